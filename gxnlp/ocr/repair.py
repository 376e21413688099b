"""Digits OCR may have misread (6/8, 1/7, 0/9), settled by the official identities — or flagged, never guessed.

A failed identity in a scanned report is either a finding about the report (the printed numbers do not add
up) or a misread digit. A cell read by OCR is changed only when swapping one confusable digit in it makes
every failed identity it touches hold, breaks no other identity, and is the only such swap; the cell is
then listed as repaired with what was read. When several swaps would do, the identities are left failing
and the candidates are listed; when none does, the failure stands as a finding. Cells read with a score of
``TRUSTED`` or more are taken as printed: a clearly read digit that breaks an identity is the report's.
"""
from __future__ import annotations

from ..validate import Identity, holds, t3_identities, t4_identities

CONFUSABLE = {"6": "8", "8": "6", "1": "7", "7": "1", "0": "9", "9": "0"}
TRUSTED = 0.98


def _variants(value: int | float) -> list[int]:
    """Integers that differ from ``value`` by one confusable digit."""
    if not float(value).is_integer():
        return []
    digits = str(int(value))
    found = []
    for i, digit in enumerate(digits):
        if digit in CONFUSABLE:
            candidate = digits[:i] + CONFUSABLE[digit] + digits[i + 1:]
            if len(candidate) == 1 or candidate[0] != "0":
                found.append(int(candidate))
    return found


def _components(failed: list[Identity]) -> list[list[Identity]]:
    """Failed identities grouped by shared cells: one misread digit breaks a connected group."""
    groups: list[tuple[set[str], list[Identity]]] = []
    for identity in failed:
        keys = set(identity.lhs) | set(identity.rhs)
        joined = [g for g in groups if g[0] & keys]
        merged_keys, merged = keys, [identity]
        for group in joined:
            merged_keys |= group[0]
            merged += group[1]
            groups.remove(group)
        groups.append((merged_keys, merged))
    return [identities for _, identities in groups]


def repair_digits(cells: dict[str, int | float], confidence: dict[str, float],
                  derived: frozenset[str] = frozenset()) -> tuple[dict[str, int | float], list[dict], list[dict]]:
    """(cells after repair, repairs made, failures left unsettled with their candidate swaps)."""
    identities = t3_identities(cells) + t4_identities()
    failing = {i.id for i in identities if holds(i, cells) is False}
    if not failing:
        return cells, [], []
    cells = dict(cells)
    repaired: list[dict] = []
    unsettled: list[dict] = []
    for component in _components([i for i in identities if i.id in failing]):
        ids = {i.id for i in component}
        keys = sorted({k for i in component for k in i.lhs + i.rhs
                       if k in confidence and k not in derived and confidence[k] < TRUSTED})
        solutions = []
        for key in keys:
            for value in _variants(cells[key]):
                trial = {**cells, key: value}
                after = {i.id for i in identities if holds(i, trial) is False}
                if not after & ids and after <= failing:
                    solutions.append((key, value))
        if len(solutions) == 1:
            key, value = solutions[0]
            repaired.append({"key": key, "read": cells[key], "value": value, "confidence": round(confidence[key], 3),
                             "how": f"OCR digit {cells[key]}→{value}: the only reading that satisfies {', '.join(sorted(ids))}"})
            cells[key] = value
            failing -= ids
        elif solutions:
            unsettled.append({"checks": sorted(ids), "candidates": [{"key": k, "value": v} for k, v in solutions]})
    return cells, repaired, unsettled
