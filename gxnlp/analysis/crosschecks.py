"""Soft checks that need more than one report, or the narrative next to the tables (format.md §5.2).

S1 (carry-over chain) and S2 (stock chain) compare an agency's report with its report of the year
before; S5 (text vs table) and S7 (zero-report sanity) compare the narrative of section 一 with
table 3. They are findings, never corrections: a failure is a ``warn`` with Δ = lhs − rhs, and no
value is changed.
"""
from __future__ import annotations

import re
import unicodedata

import pandas as pd

CROSS_CHECK_COLUMNS = ["report_id", "agency", "year", "check", "status", "lhs", "rhs", "delta", "message",
                       "other_report_id"]
_STOCK_BLOCKS = ("regulations", "normative_docs")
# format.md §5.2 S5, widened with the wordings of validate.soft_checks (全年/累计, 接收, 共计…).
_RECEIVED = r"(?:共|全年|累计)?(?:收到|受理|接收)(?:各类)?(?:政府信息公开)?(?:申请|依申请公开申请)(?:共计|共|合计)?(\d[\d,]*)件"
_NONE_RECEIVED = r"(?:未|没有)(?:收到|受理|接收)(?:任何|过)?(?:政府信息公开|依申请公开)?的?申请"


def normalise_agency(agency: pd.Series) -> pd.Series:
    """The matching key of an agency name: NFKC, all whitespace removed (NBSP and U+3000 included)."""
    return agency.map(lambda a: re.sub(r"\s+", "", unicodedata.normalize("NFKC", a)) if isinstance(a, str) else None)


def _keyed(reports: pd.DataFrame) -> pd.DataFrame:
    """report_id, agency (normalised), year (Int64) of the reports whose agency and year are known."""
    keyed = pd.DataFrame({
        "report_id": reports["report_id"],
        "agency": normalise_agency(reports["agency"]),
        "year": pd.to_numeric(reports["year"], errors="coerce").astype("Int64"),
    })
    return keyed.dropna(subset=["agency", "year"])


def _finish(frame: pd.DataFrame, check: pd.Series | str) -> pd.DataFrame:
    """Add check id, Δ and status (pass when lhs == rhs, else warn) in the column order of the output."""
    out = frame.assign(check=check, delta=frame["lhs"] - frame["rhs"])
    out["status"] = out["delta"].eq(0).map({True: "pass", False: "warn"})
    return out.reindex(columns=CROSS_CHECK_COLUMNS)


def _with_previous(keyed: pd.DataFrame, current: pd.DataFrame, previous: pd.DataFrame, on: list[str]) -> pd.DataFrame:
    """Rows of ``current`` joined to ``previous`` rows of the same agency one year earlier (suffix ``_prev``)."""
    now = keyed.merge(current, on="report_id")
    before = keyed.merge(previous, on="report_id").assign(year=lambda d: d["year"] + 1)
    return now.merge(before, on=["agency", "year", *on], suffixes=("", "_prev"))


def _values(cells: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per report that has any of ``keys``, one column per key (NaN where absent)."""
    chosen = cells[cells["key"].isin(keys)].drop_duplicates(["report_id", "key"])
    wide = chosen.pivot(index="report_id", columns="key", values="value").reindex(columns=keys)
    wide.columns.name = None
    return wide.reset_index()


def _s1_carry_over(keyed: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """S1: ``t3.carried_out.c`` (N−1) = ``t3.carried_in.c`` (N), for each table-3 column both print."""
    def row(name: str) -> pd.DataFrame:
        return cells.loc[(cells["table"] == "t3") & (cells["row"] == name), ["report_id", "column", "value"]]

    pairs = _with_previous(keyed, row("carried_in"), row("carried_out"), on=["column"])
    frame = pd.DataFrame({
        "report_id": pairs["report_id"], "agency": pairs["agency"], "year": pairs["year"],
        "lhs": pairs["value_prev"], "rhs": pairs["value"], "other_report_id": pairs["report_id_prev"],
        "message": ["" if a == b else f"carried_out.{c} of {y - 1} = {a:g} but carried_in.{c} of {y} = {b:g}"
                    for c, y, a, b in zip(pairs["column"], pairs["year"], pairs["value_prev"], pairs["value"])],
    })
    return _finish(frame, "s1.carry_over." + pairs["column"])


def _s2_stock(keyed: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """S2: ``valid(N) = valid(N−1) + made(N) − repealed(N)`` for 规章 and 行政规范性文件 (2021 table 2)."""
    frames = []
    for block in _STOCK_BLOCKS:
        made, repealed, valid = (f"t2.{block}.{leaf}" for leaf in ("made", "repealed", "valid"))
        pairs = _with_previous(keyed, _values(cells, [made, repealed, valid]), _values(cells, [valid]), on=[])
        pairs = pairs.dropna(subset=[made, repealed, valid, f"{valid}_prev"])
        rhs = pairs[f"{valid}_prev"] + pairs[made] - pairs[repealed]
        frame = pd.DataFrame({
            "report_id": pairs["report_id"], "agency": pairs["agency"], "year": pairs["year"],
            "lhs": pairs[valid], "rhs": rhs, "other_report_id": pairs["report_id_prev"],
            "message": ["" if v == e else f"valid {v:g} but valid of {y - 1} {p:g} + made {m:g} − repealed {r:g} = {e:g}"
                        for v, e, y, p, m, r in zip(pairs[valid], rhs, pairs["year"], pairs[f"{valid}_prev"],
                                                     pairs[made], pairs[repealed])],
        })
        frames.append(_finish(frame, f"s2.stock.{block}"))
    return pd.concat(frames, ignore_index=True)


def _narrative_claims(units: pd.DataFrame) -> pd.DataFrame:
    """Per report with a section 一: the first count of received applications, and whether it says none."""
    s1 = units[units["section"] == "s1"].sort_values(["report_id", "unit"])
    text = s1.groupby("report_id")["text"].agg(lambda t: unicodedata.normalize("NFKC", "\n".join(t)))
    claimed = text.str.extract(_RECEIVED, expand=False).str.replace(",", "", regex=False).astype(float)
    return pd.DataFrame({"claimed": claimed, "says_none": text.str.contains(_NONE_RECEIVED)}).reset_index()


def _s5_text_vs_table(keyed: pd.DataFrame, cells: pd.DataFrame, claims: pd.DataFrame) -> pd.DataFrame:
    """S5: the narrative count = new_received or new_received + carried_in; the message says which held."""
    values = _values(cells, ["t3.new_received.total", "t3.carried_in.total"])
    data = keyed.merge(claims.dropna(subset=["claimed"]), on="report_id").merge(values, on="report_id")
    data = data.dropna(subset=["t3.new_received.total"])
    new = data["t3.new_received.total"]
    both = new + data["t3.carried_in.total"].fillna(0)
    with_carried = data["claimed"].ne(new) & data["claimed"].eq(both)
    frame = pd.DataFrame({
        "report_id": data["report_id"], "agency": data["agency"], "year": data["year"], "lhs": data["claimed"],
        "rhs": both.where(with_carried, new),
        "message": [("matches new_received + carried_in" if w else "matches new_received") if c in (n, b)
                    else f"narrative says {c:g}; table new_received {n:g}, new_received + carried_in {b:g}"
                    for c, n, b, w in zip(data["claimed"], new, both, with_carried)],
    })
    return _finish(frame, "s5.text_received")


def _s7_zero_report(keyed: pd.DataFrame, cells: pd.DataFrame, claims: pd.DataFrame) -> pd.DataFrame:
    """S7: all-zero tables 3 and 4 whose narrative reports applications, or a narrative that reports none
    while table 3 has new applications."""
    t34 = cells[cells["table"].isin(["t3", "t4"])]
    all_zero = t34["value"].eq(0).groupby(t34["report_id"]).all().rename("all_zero").reset_index()
    data = (keyed.merge(all_zero, on="report_id").merge(claims, on="report_id")
            .merge(_values(cells, ["t3.new_received.total"]), on="report_id", how="left"))
    count = data["claimed"].fillna(0)
    new = data["t3.new_received.total"].fillna(0)
    says_none = count.eq(0) & (data["says_none"] | data["claimed"].eq(0))
    keep = data["all_zero"] | (says_none & new.gt(0))
    frame = pd.DataFrame({
        "report_id": data["report_id"], "agency": data["agency"], "year": data["year"], "lhs": count, "rhs": new,
        "message": ["" if c == n else f"tables 3 and 4 are all zero but the narrative reports {c:g} applications"
                    if z else f"the narrative reports no applications but t3.new_received.total = {n:g}"
                    for c, n, z in zip(count, new, data["all_zero"])],
    })
    return _finish(frame[keep], "s7.zero_report")


def cross_report_checks(reports: pd.DataFrame, cells: pd.DataFrame, units: pd.DataFrame | None = None) -> pd.DataFrame:
    """S1 and S2, plus S5 and S7 when ``units`` is given, for every report whose agency and year are known.

    Columns: report_id, agency (normalised), year, check, status (pass/warn), lhs, rhs, delta, message
    (why it warned; for S5 also which hypothesis held), other_report_id (the year-before report of S1/S2).
    """
    keyed = _keyed(reports)
    parts = [_s1_carry_over(keyed, cells), _s2_stock(keyed, cells)]
    if units is not None:
        claims = _narrative_claims(units)
        parts += [_s5_text_vs_table(keyed, cells, claims), _s7_zero_report(keyed, cells, claims)]
    out = pd.concat([p for p in parts if len(p)] or [pd.DataFrame(columns=CROSS_CHECK_COLUMNS)], ignore_index=True)
    out = out.sort_values(["agency", "year", "report_id"], kind="stable", ignore_index=True)
    return out.astype({"year": "Int64", "lhs": float, "rhs": float, "delta": float})
