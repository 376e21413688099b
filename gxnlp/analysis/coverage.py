"""Which of the reports a study expects are in the corpus, and in what state (format.md §11).

A comparison across agencies is only as good as its coverage: a missing or unreadable report, or
one whose tables do not add up, must be visible next to the figures rather than silently dropped.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from .crosschecks import normalise_agency

COVERAGE_STATUSES = ("present_ok", "present_failed_identities", "present_unreadable", "missing", "unexpected")
_RANK_STATUS = {0: "present_ok", 1: "present_failed_identities", 2: "present_unreadable"}


def expected_grid(agencies: Iterable[str] | pd.DataFrame, years: Iterable[int]) -> pd.DataFrame:
    """Every agency × year; ``agencies`` may be a DataFrame with an ``agency`` column plus region, level, …"""
    frame = agencies if isinstance(agencies, pd.DataFrame) else pd.DataFrame({"agency": list(agencies)})
    return frame.merge(pd.DataFrame({"year": list(years)}), how="cross")


def _key(frame: pd.DataFrame) -> pd.DataFrame:
    """The join key: normalised agency and Int64 year."""
    return frame.assign(_agency=normalise_agency(frame["agency"]),
                        _year=pd.to_numeric(frame["year"], errors="coerce").astype("Int64"))


def coverage(reports: pd.DataFrame, checks: pd.DataFrame,
             expected: pd.DataFrame | Sequence[dict[str, Any]]) -> pd.DataFrame:
    """One row per expected agency-year, then one per report nobody expected.

    Columns: the columns of ``expected`` (agency, year, region, level, …), status, report_ids (";"-joined,
    best copy first), n_failed_checks. Status: present_ok (a readable report with no failed identity),
    present_failed_identities (readable, but hard checks fail), present_unreadable (only reports with
    ``ok`` false), missing, unexpected. With several copies of one agency-year the best one decides the
    status and n_failed_checks (its count of checks with status ``fail``); missing rows have NA.
    """
    grid = _key(pd.DataFrame(expected)).reset_index(drop=True)
    failed = checks.loc[checks["status"] == "fail", "report_id"].value_counts()
    present = _key(reports).assign(
        n_failed_checks=lambda d: d["report_id"].map(failed).fillna(0).astype(int),
        ok=lambda d: d["ok"].fillna(False).astype(bool),
    )
    present["_rank"] = (~present["ok"]) * 2 + (present["ok"] & present["n_failed_checks"].gt(0))
    present = present.sort_values(["_rank", "n_failed_checks", "report_id"], kind="stable")

    matched = grid[["_agency", "_year"]].reset_index().merge(present, on=["_agency", "_year"])
    best = matched.groupby("index").first()
    out = grid.drop(columns=["_agency", "_year"]).assign(
        status=best["_rank"].map(_RANK_STATUS).reindex(grid.index).fillna("missing"),
        report_ids=matched.groupby("index")["report_id"].agg(";".join).reindex(grid.index),
        n_failed_checks=best["n_failed_checks"].reindex(grid.index).astype("Int64"),
    )

    known = pd.MultiIndex.from_frame(grid[["_agency", "_year"]])
    extra = present[~pd.MultiIndex.from_frame(present[["_agency", "_year"]]).isin(known)].sort_values("report_id")
    unexpected = extra.reindex(columns=[c for c in out.columns if c in extra.columns]).assign(
        status="unexpected", report_ids=extra["report_id"], n_failed_checks=extra["n_failed_checks"].astype("Int64"),
    )
    return pd.concat([out, unexpected], ignore_index=True)
