"""Comparable ratios per report (format.md §5.4), long and tidy so coverage gaps stay visible.

Every metric is one row with its numerator and denominator next to the value: a reader can pool
ratios correctly (Σ numerators / Σ denominators) and see why a value is missing. A denominator of
0 gives value NaN, never an error; a key the report does not print gives a NaN numerator or
denominator. Sums over a group of rows (``denied.*``, …) use the rows that are present and are NaN
only when none is.
"""
from __future__ import annotations

import pandas as pd

from ..grammar import grammar

METRIC_COLUMNS = ["report_id", "metric", "value", "numerator", "denominator"]
T4_BLOCKS: list[str] = grammar()["t4"]["blocks"]
_T3_ROWS: list[str] = [r["key"] for r in grammar()["t3"]["rows"]]
_ORG_COLUMNS = ("commercial", "research", "social_org", "legal_service", "other_org")
_ENFORCEMENT = {
    "enforcement.licensing_decisions": "t2.licensing.decisions",
    "enforcement.penalty_decisions": "t2.penalty.decisions",
    "enforcement.fees_wan": "t2.fees.amount_wan",
}


def _reasons(group: str) -> list[str]:
    """The leaf names of one table-3 result group, e.g. ``denied`` → state_secret, …"""
    return [r.split(".", 1)[1] for r in _T3_ROWS if r.startswith(group + ".")]


def report_metrics(cells: pd.DataFrame) -> pd.DataFrame:
    """Every §5.4 metric of every report in ``cells``: report_id, metric, value, numerator, denominator.

    ``dispute_rate`` is per 100 new applications (value = 100 × numerator / denominator); the
    ``enforcement.*`` figures are raw table-2 values (numerator = value, denominator NaN).
    """
    wide = cells.drop_duplicates(["report_id", "key"]).pivot(index="report_id", columns="key", values="value")

    def cell(key: str) -> pd.Series:
        return wide[key] if key in wide.columns else pd.Series(float("nan"), index=wide.index)

    def total(keys: list[str]) -> pd.Series:
        return pd.concat([cell(k) for k in keys], axis=1).sum(axis=1, min_count=1)

    results = cell("t3.results_total.total")
    new = cell("t3.new_received.total")
    denied = [f"t3.denied.{r}.total" for r in _reasons("denied")]
    unable = [f"t3.unable.{r}.total" for r in _reasons("unable")]
    not_held = cell("t3.unable.not_held.total")
    parts: list[tuple[str, pd.Series, pd.Series, float]] = [
        ("disclosure_rate", total(["t3.granted.total", "t3.partial.total"]), results, 1.0),
        ("disclosure_rate.granted", cell("t3.granted.total"), results, 1.0),
        ("denial_rate", total(denied), results, 1.0),
        *((f"denial_rate.{r}", cell(f"t3.denied.{r}.total"), results, 1.0) for r in _reasons("denied")),
        ("unable_rate", total(unable), results, 1.0),
        ("unable_rate.not_held", not_held, results, 1.0),
        ("unable_share.not_held", not_held, total(unable), 1.0),
        ("not_processed_rate", total([f"t3.not_processed.{r}.total" for r in _reasons("not_processed")]), results, 1.0),
        ("org_share", total([f"t3.new_received.{c}" for c in _ORG_COLUMNS]), new, 1.0),
        ("backlog_rate", cell("t3.carried_out.total"), total(["t3.new_received.total", "t3.carried_in.total"]), 1.0),
    ]
    decided = {b: cell(f"t4.{b}.total") - cell(f"t4.{b}.pending") for b in T4_BLOCKS}
    parts += [(f"correction_rate.{b}", cell(f"t4.{b}.corrected"), decided[b], 1.0) for b in T4_BLOCKS]
    parts += [
        ("correction_rate", total([f"t4.{b}.corrected" for b in T4_BLOCKS]),
         pd.concat(decided.values(), axis=1).sum(axis=1, min_count=1), 1.0),
        ("dispute_rate", total([f"t4.{b}.total" for b in T4_BLOCKS]), new, 100.0),
    ]
    frames = [
        pd.DataFrame({"report_id": wide.index, "metric": name, "value": scale * num.div(den.where(den != 0)),
                      "numerator": num, "denominator": den})
        for name, num, den, scale in parts
    ]
    frames += [
        pd.DataFrame({"report_id": wide.index, "metric": name, "value": cell(key), "numerator": cell(key),
                      "denominator": float("nan")})
        for name, key in _ENFORCEMENT.items()
    ]
    out = pd.concat(frames, ignore_index=True).sort_values("report_id", kind="stable", ignore_index=True)
    return out[METRIC_COLUMNS].astype({"value": float, "numerator": float, "denominator": float})


def metrics_wide(metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per report, one column per metric (values only), for quick tables and plots."""
    wide = metrics.pivot(index="report_id", columns="metric", values="value")
    wide = wide.reindex(columns=pd.unique(metrics["metric"]))
    wide.columns.name = None
    return wide.rename_axis("report_id").reset_index()
