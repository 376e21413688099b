"""The official arithmetic identities (勾稽关系, format.md §5) as checks with diagnostics.

A failed identity is a finding about the report: the printed values are kept and the check says
by how much and where it fails, with the likely cause (swapped columns, offsetting errors).
Nothing here changes a value.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

from .grammar import grammar

T3_COLUMNS: list[str] = grammar()["t3"]["columns"]
T4_BLOCKS: list[str] = grammar()["t4"]["blocks"]
T4_COLUMNS: list[str] = grammar()["t4"]["columns"]
_RESULT_GROUPS = ("granted", "partial", "denied.", "unable.", "not_processed.")
_SWAP_COLUMNS = [("natural_person", "total"), ("legal_service", "other_org")]
_SWAP_ROWS = [("granted", "partial")]
_MONEY_TOLERANCE = 0.01


@dataclass(frozen=True)
class Identity:
    """``sum(lhs) == sum(rhs)``; ``where`` names the row or column the check is about."""

    id: str
    lhs: tuple[str, ...]
    rhs: tuple[str, ...]


@lru_cache(maxsize=4)
def _t3_rows(split_other: bool) -> tuple[str, ...]:
    rows = []
    for r in grammar()["t3"]["rows"]:
        variant = r.get("variant")
        if variant is None or variant == ("split_other" if split_other else "single_other"):
            rows.append(r["key"])
    return tuple(rows)


def t3_identities(cells: dict) -> list[Identity]:
    """H3.1–H3.3 for the rows this report prints (其他处理 as one row or as three sub-rows)."""
    split_other = "t3.other.total.total" not in cells and any(k.startswith("t3.other.") for k in cells)
    rows = _t3_rows(split_other)
    result_rows = [r for r in rows if r.startswith(_RESULT_GROUPS) or r.startswith("other.")]
    identities = []
    for c in T3_COLUMNS:
        identities.append(Identity(
            f"t3.balance.{c}",
            (f"t3.new_received.{c}", f"t3.carried_in.{c}"),
            (f"t3.results_total.{c}", f"t3.carried_out.{c}"),
        ))
        identities.append(Identity(
            f"t3.results_sum.{c}", (f"t3.results_total.{c}",), tuple(f"t3.{r}.{c}" for r in result_rows)
        ))
    for r in rows:
        identities.append(Identity(
            f"t3.row_total.{r}", (f"t3.{r}.total",), tuple(f"t3.{r}.{c}" for c in T3_COLUMNS[:-1])
        ))
    return identities


def t4_identities() -> list[Identity]:
    """H4.1 for each block of table 4."""
    return [
        Identity(f"t4.block_total.{b}", (f"t4.{b}.total",), tuple(f"t4.{b}.{c}" for c in T4_COLUMNS[:-1]))
        for b in T4_BLOCKS
    ]


def evaluate(identity: Identity, cells: dict) -> tuple[float, float] | None:
    """(lhs, rhs), or None when a cell the identity needs is absent."""
    try:
        return sum(cells[k] for k in identity.lhs), sum(cells[k] for k in identity.rhs)
    except KeyError:
        return None


def holds(identity: Identity, cells: dict) -> bool | None:
    sides = evaluate(identity, cells)
    return None if sides is None else sides[0] == sides[1]


def t3_consistent(cells: dict) -> bool:
    """Whether every table 3 identity that can be evaluated holds (used to settle segmentations)."""
    return all(holds(i, cells) is not False for i in t3_identities(cells))


def _number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else round(x, 6)


def _swap_diagnosis(identity: Identity, cells: dict, identities: list[Identity]) -> list[dict]:
    """Whitelisted swaps (format.md §5.3) that make every identity they touch hold."""
    found = []
    keys = set(identity.lhs) | set(identity.rhs)
    candidates: list[tuple[str, str]] = []
    for key in keys:
        table, *middle, col = key.split(".")
        row = ".".join(middle)
        if table == "t3":
            for a, b in _SWAP_COLUMNS:
                if col in (a, b):
                    candidates.append((f"t3.{row}.{a}", f"t3.{row}.{b}"))
            for a, b in _SWAP_ROWS:
                if row in (a, b):
                    candidates.append((f"t3.{a}.{col}", f"t3.{b}.{col}"))
        elif table == "t4" and col in ("upheld", "corrected"):
            candidates.append((f"t4.{row}.upheld", f"t4.{row}.corrected"))
    for a, b in sorted(set(candidates)):
        if a not in cells or b not in cells or cells[a] == cells[b]:
            continue
        swapped = dict(cells)
        swapped[a], swapped[b] = cells[b], cells[a]
        touched = [i for i in identities if a in i.lhs + i.rhs or b in i.lhs + i.rhs]
        if all(holds(i, swapped) is not False for i in touched):
            found.append({"kind": "probable_column_swap", "cells": [a, b]})
    return found


def _offsetting(failures: list[tuple[Identity, float]]) -> list[dict]:
    """Two table-3 columns off by +k and −k while row totals hold: a misfiled applicant type."""
    found = []
    by_column = {i.id.rsplit(".", 1)[1]: delta for i, delta in failures if i.id.startswith("t3.results_sum.")}
    for (a, da), (b, db) in combinations(by_column.items(), 2):
        if da == -db and "total" not in (a, b):
            found.append({"kind": "offsetting_errors", "columns": [a, b], "delta": [_number(da), _number(db)]})
    return found


def hard_checks(cells: dict) -> list[dict]:
    """Every hard identity that can be evaluated, as schema.md check objects with diagnostics."""
    identities = t3_identities(cells) + t4_identities()
    checks, failures = [], []
    for identity in identities:
        sides = evaluate(identity, cells)
        if sides is None:
            continue
        lhs, rhs = sides
        if lhs == rhs:
            checks.append({"id": identity.id, "status": "pass", "lhs": _number(lhs), "rhs": _number(rhs), "message": ""})
            continue
        delta = lhs - rhs
        failures.append((identity, delta))
        checks.append({
            "id": identity.id, "status": "fail", "lhs": _number(lhs), "rhs": _number(rhs),
            "delta": _number(delta),
            "message": f"{' + '.join(identity.lhs)} = {_number(lhs)} but {_short(identity.rhs)} = {_number(rhs)} (Δ = {_number(delta):+})",
            "cells": list(identity.lhs + identity.rhs),
            "diagnosis": _swap_diagnosis(identity, cells, identities),
        })
    offsetting = _offsetting(failures)
    if offsetting:
        for check in checks:
            if check["status"] == "fail" and check["id"].startswith("t3.results_sum."):
                check["diagnosis"].extend(offsetting)
    checks.extend(_domain_checks(cells))
    return checks


def failed_identity_ids(cells: dict) -> list[str]:
    """Ids of the hard identities (H3.1–H3.3, H4.1) that ``cells`` break, in check order."""
    identities = t3_identities(cells) + t4_identities()
    return [i.id for i in identities if holds(i, cells) is False]


def _short(keys: tuple[str, ...]) -> str:
    return " + ".join(keys) if len(keys) <= 3 else f"{keys[0]} + … + {keys[-1]} ({len(keys)} cells)"


def _domain_checks(cells: dict) -> list[dict]:
    """H3.5 / H4.2: table 3 and 4 values are integers ≥ 0; table 2 counts ≥ 0 except 本年增/减."""
    checks = []
    for table in ("t2", "t3", "t4"):
        keys = [k for k in cells if k.startswith(table + ".")]
        if not keys:
            continue
        bad = [
            k for k in keys
            if (cells[k] < 0 and not k.endswith(".delta_items"))
            or (table != "t2" and not float(cells[k]).is_integer())
        ]
        checks.append({
            "id": f"{table}.domain", "status": "fail" if bad else "pass", "lhs": len(bad), "rhs": 0,
            "message": f"not a non-negative integer: {', '.join(bad)}" if bad else "", **({"cells": bad} if bad else {}),
        })
    return checks


_RECEIVED_RE = re.compile(r"(?:共|全年|累计)?(?:收到|受理|接收)(?:各类)?(?:政府信息公开)?(?:申请|依申请公开申请)(?:共计|共|合计)?(\d+)件")


def soft_checks(cells: dict, narrative: str) -> list[dict]:
    """Single-report soft checks of format.md §5.2 (WARN, never a correction)."""
    checks = []
    for block in ("regulations", "normative_docs"):
        total, new = cells.get(f"t2.{block}.total_published"), cells.get(f"t2.{block}.new_published")
        if total is not None and new is not None:
            ok = total >= new
            checks.append(_soft(f"t2.{block}.total_ge_new", ok, total, new, "对外公开总数量 < 本年新公开数量"))
    for block in ("licensing", "other_services", "penalty", "coercion", "fees"):
        prev, delta = cells.get(f"t2.{block}.prev_items"), cells.get(f"t2.{block}.delta_items")
        if prev is not None and delta is not None:
            checks.append(_soft(f"t2.{block}.stock_nonnegative", prev + delta >= 0, prev + delta, 0, "上一年项目数量 + 本年增/减 < 0"))
    new, carried = cells.get("t3.new_received.total"), cells.get("t3.carried_in.total")
    mentioned = [int(m.group(1)) for m in _RECEIVED_RE.finditer(narrative)]
    if new is not None and mentioned:
        value = mentioned[0]
        ok = value in {new, new + (carried or 0)}
        which = "new_received" if value == new else "new_received + carried_in" if ok else ""
        checks.append(_soft("text.t3.received", ok, value, new, f"narrative says {value}; table {which or 'disagrees'}"))
    t34 = [v for k, v in cells.items() if k.startswith(("t3.", "t4."))]
    if t34 and all(v == 0 for v in t34):
        claims = [m for m in mentioned if m > 0]
        checks.append(_soft("zero_report.narrative", not claims, len(claims), 0, "tables 3 and 4 are all zero but the narrative reports applications"))
    return checks


def _soft(check_id: str, ok: bool, lhs, rhs, message: str) -> dict:
    return {"id": check_id, "status": "pass" if ok else "warn", "lhs": _number(lhs), "rhs": _number(rhs), "message": "" if ok else message}
