"""gxnlp.analysis on small hand-built corpus tables; every expected number is worked out by hand."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from gxnlp.analysis.coverage import COVERAGE_STATUSES, coverage, expected_grid
from gxnlp.analysis.crosschecks import CROSS_CHECK_COLUMNS, cross_report_checks
from gxnlp.analysis.metrics import METRIC_COLUMNS, metrics_wide, report_metrics
from gxnlp.analysis.profiles import theme_profiles
from gxnlp.frames import CELL_COLUMNS, split_key


def _cells(report_id: str, values: dict[str, float]) -> list[dict]:
    return [{"report_id": report_id, "key": k, **dict(zip(("table", "row", "column"), split_key(k))),
             "value": float(v), "derived": False} for k, v in values.items()]


# 甲局 2021: table 3 in three columns (balance 10 + 0 = 9 + 1 holds), table 4, 2021 table 2.
A21 = {
    "t3.new_received.natural_person": 8, "t3.new_received.commercial": 2, "t3.new_received.total": 10,
    "t3.carried_in.natural_person": 0, "t3.carried_in.commercial": 0, "t3.carried_in.total": 0,
    "t3.granted.total": 4, "t3.partial.total": 2, "t3.denied.state_secret.total": 1, "t3.denied.third_party.total": 1,
    "t3.unable.not_held.total": 1, "t3.not_processed.duplicate.total": 0, "t3.results_total.total": 9,
    "t3.carried_out.natural_person": 1, "t3.carried_out.commercial": 0, "t3.carried_out.total": 1,
    "t4.review.upheld": 1, "t4.review.corrected": 1, "t4.review.other": 0, "t4.review.pending": 1, "t4.review.total": 3,
    "t4.lit_direct.upheld": 0, "t4.lit_direct.corrected": 0, "t4.lit_direct.other": 0, "t4.lit_direct.pending": 0,
    "t4.lit_direct.total": 0,
    "t2.regulations.made": 1, "t2.regulations.repealed": 0, "t2.regulations.valid": 5,
    "t2.normative_docs.made": 3, "t2.normative_docs.repealed": 1, "t2.normative_docs.valid": 20,
    "t2.licensing.decisions": 100, "t2.penalty.decisions": 20, "t2.fees.amount_wan": 1.5,
}
# 甲局 2022: carried_in 1 / 1 / 2 against 2021's carried_out 1 / 0 / 1 → S1 holds for natural_person only.
A22 = {
    "t3.new_received.natural_person": 4, "t3.new_received.commercial": 0, "t3.new_received.total": 4,
    "t3.carried_in.natural_person": 1, "t3.carried_in.commercial": 1, "t3.carried_in.total": 2,
    "t3.granted.total": 6, "t3.results_total.total": 6, "t3.carried_out.total": 0,
    "t2.regulations.made": 2, "t2.regulations.repealed": 1, "t2.regulations.valid": 6,
    "t2.normative_docs.made": 4, "t2.normative_docs.repealed": 0, "t2.normative_docs.valid": 30,
}
A19 = {"t3.carried_out.total": 7}  # 2019 → 2021 is not consecutive: never chained
Z22 = {"t3.new_received.total": 0, "t3.carried_in.total": 0, "t3.granted.total": 0, "t3.results_total.total": 0,
       "t3.carried_out.total": 0, "t4.review.total": 0}
C22 = {"t3.new_received.total": 3, "t3.results_total.total": 3, "t3.carried_in.total": 0, "t3.carried_out.total": 0}

REPORTS = pd.DataFrame([
    {"report_id": "a19", "agency": "甲局", "year": 2019, "ok": True, "region": "东"},
    {"report_id": "a21", "agency": "甲 局", "year": 2021, "ok": True, "region": "东"},
    {"report_id": "a22", "agency": "甲局", "year": 2022, "ok": True, "region": "东"},
    {"report_id": "a22b", "agency": "甲局", "year": 2022, "ok": False, "region": "东"},
    {"report_id": "z22", "agency": "乙局", "year": 2022, "ok": True, "region": "西"},
    {"report_id": "u21", "agency": "丙局", "year": 2021, "ok": False, "region": "西"},
    {"report_id": "c22", "agency": "丙局", "year": 2022, "ok": True, "region": "西"},
])
CELLS = pd.DataFrame(
    _cells("a19", A19) + _cells("a21", A21) + _cells("a22", A22) + _cells("z22", Z22) + _cells("c22", C22),
    columns=CELL_COLUMNS,
)
UNITS = pd.DataFrame([
    ("a21", 0, "s1", "other", "2021年，共收到政府信息公开申请10件，均已按时答复。"),
    ("a21", 1, "s5", "problem", "公开内容不够全面。"),
    ("a21", 2, "s5", "measure", "加强税收和土地信息公开。"),
    ("a21", 3, "s5", "measure", "完善税务公开目录。"),
    ("a22", 0, "s1", "other", "全年收到申请6件。"),
    ("a22", 1, "s5", "measure", "推进土地征收信息公开。"),
    ("z22", 0, "s1", "other", "本年度共收到申请5件。"),
    ("z22", 1, "s5", "measure", "做好税费政策解读。"),
    ("c22", 0, "s1", "other", "本年度未收到政府信息公开申请。"),
], columns=["report_id", "unit", "section", "kind", "text"])
UNIT_THEMES = pd.DataFrame([
    ("a21", 1, "tax"), ("a21", 2, "tax"), ("a21", 2, "land"), ("a21", 3, "tax"), ("a22", 1, "land"), ("z22", 1, "tax"),
], columns=["report_id", "unit", "theme"])


def _metric(metrics: pd.DataFrame, report_id: str, metric: str) -> tuple[float, float, float]:
    row = metrics[(metrics["report_id"] == report_id) & (metrics["metric"] == metric)]
    assert len(row) == 1, (report_id, metric)
    return tuple(row[["value", "numerator", "denominator"]].iloc[0])


def _same(actual: tuple[float, ...], expected: tuple[float, ...]) -> bool:
    return all((math.isnan(a) and math.isnan(e)) or a == pytest.approx(e) for a, e in zip(actual, expected))


NAN = float("nan")


@pytest.mark.parametrize(("metric", "expected"), [
    ("disclosure_rate", (6 / 9, 6, 9)),
    ("disclosure_rate.granted", (4 / 9, 4, 9)),
    ("denial_rate", (2 / 9, 2, 9)),
    ("denial_rate.state_secret", (1 / 9, 1, 9)),
    ("denial_rate.third_party", (1 / 9, 1, 9)),
    ("denial_rate.law_prohibited", (NAN, NAN, 9)),  # row not printed
    ("unable_rate", (1 / 9, 1, 9)),
    ("unable_rate.not_held", (1 / 9, 1, 9)),
    ("unable_share.not_held", (1.0, 1, 1)),
    ("not_processed_rate", (0.0, 0, 9)),
    ("org_share", (0.2, 2, 10)),
    ("backlog_rate", (0.1, 1, 10)),
    ("correction_rate.review", (0.5, 1, 2)),
    ("correction_rate.lit_direct", (NAN, 0, 0)),  # zero denominator
    ("correction_rate.lit_after_review", (NAN, NAN, NAN)),  # block not printed
    ("correction_rate", (0.5, 1, 2)),
    ("dispute_rate", (30.0, 3, 10)),
    ("enforcement.licensing_decisions", (100.0, 100, NAN)),
    ("enforcement.penalty_decisions", (20.0, 20, NAN)),
    ("enforcement.fees_wan", (1.5, 1.5, NAN)),
])
def test_report_metrics_by_hand(metric: str, expected: tuple[float, float, float]) -> None:
    assert _same(_metric(report_metrics(CELLS), "a21", metric), expected)


def test_metrics_zero_denominators_keep_rows() -> None:
    metrics = report_metrics(CELLS)
    assert list(metrics.columns) == METRIC_COLUMNS
    per_report = metrics.groupby("report_id").size()
    assert per_report.nunique() == 1 and set(per_report.index) == {"a19", "a21", "a22", "c22", "z22"}
    assert _same(_metric(metrics, "z22", "disclosure_rate"), (NAN, 0, 0))
    assert _same(_metric(metrics, "z22", "dispute_rate"), (NAN, 0, 0))
    wide = metrics_wide(metrics)
    assert list(wide["report_id"]) == ["a19", "a21", "a22", "c22", "z22"]
    assert wide.set_index("report_id").loc["a22", "disclosure_rate"] == 1.0
    assert list(wide.columns[1:]) == list(pd.unique(metrics["metric"]))


def test_metrics_of_no_cells() -> None:
    assert report_metrics(pd.DataFrame(columns=CELL_COLUMNS)).empty


def _checks() -> pd.DataFrame:
    out = cross_report_checks(REPORTS, CELLS, UNITS)
    assert list(out.columns) == CROSS_CHECK_COLUMNS
    return out.set_index(["report_id", "check"])


def test_s1_carry_over_per_column_consecutive_years_only() -> None:
    checks = _checks()
    s1 = checks[checks.index.get_level_values("check").str.startswith("s1.")]
    assert set(s1.index) == {("a22", f"s1.carry_over.{c}") for c in ("natural_person", "commercial", "total")}
    assert s1.loc[("a22", "s1.carry_over.natural_person"), ["status", "lhs", "rhs", "delta"]].tolist() == ["pass", 1, 1, 0]
    assert s1.loc[("a22", "s1.carry_over.commercial"), ["status", "lhs", "rhs", "delta"]].tolist() == ["warn", 0, 1, -1]
    total = s1.loc[("a22", "s1.carry_over.total")]
    assert [total["status"], total["delta"], total["other_report_id"], total["agency"], total["year"]] == \
        ["warn", -1, "a21", "甲局", 2022]


def test_s2_stock_chain() -> None:
    checks = _checks()
    assert checks.loc[("a22", "s2.stock.regulations"), ["status", "lhs", "rhs"]].tolist() == ["pass", 6, 6]
    docs = checks.loc[("a22", "s2.stock.normative_docs")]
    assert [docs["status"], docs["lhs"], docs["rhs"], docs["delta"]] == ["warn", 30, 24, 6]


def test_s5_text_vs_table_records_hypothesis() -> None:
    checks = _checks()
    a21 = checks.loc[("a21", "s5.text_received")]
    assert [a21["status"], a21["lhs"], a21["rhs"], a21["message"]] == ["pass", 10, 10, "matches new_received"]
    a22 = checks.loc[("a22", "s5.text_received")]
    assert [a22["status"], a22["lhs"], a22["rhs"], a22["message"]] == \
        ["pass", 6, 6, "matches new_received + carried_in"]
    z22 = checks.loc[("z22", "s5.text_received")]
    assert [z22["status"], z22["lhs"], z22["rhs"], z22["delta"]] == ["warn", 5, 0, 5]


def test_s7_zero_report_both_ways() -> None:
    checks = _checks()
    s7 = checks[checks.index.get_level_values("check") == "s7.zero_report"]
    assert set(s7.index.get_level_values("report_id")) == {"z22", "c22"}
    assert checks.loc[("z22", "s7.zero_report"), ["status", "lhs", "rhs"]].tolist() == ["warn", 5, 0]
    assert checks.loc[("c22", "s7.zero_report"), ["status", "lhs", "rhs"]].tolist() == ["warn", 0, 3]
    assert (checks["status"] == "warn").sum() == 6  # S1 ×2, S2 ×1, S5 ×1, S7 ×2


def test_cross_checks_without_units() -> None:
    out = cross_report_checks(REPORTS, CELLS)
    assert set(out["check"].str.split(".").str[0]) == {"s1", "s2"}
    assert cross_report_checks(REPORTS.iloc[:0], CELLS).empty


def test_coverage_grid() -> None:
    checks = pd.DataFrame([
        {"report_id": "a21", "check": "t3.balance.total", "status": "pass"},
        {"report_id": "a22", "check": "t3.balance.total", "status": "fail"},
        {"report_id": "a22", "check": "t3.results_sum.total", "status": "fail"},
        {"report_id": "z22", "check": "text.t3.received", "status": "warn"},
    ])
    agencies = pd.DataFrame({"agency": ["甲局", "乙局", "丙局"], "region": ["东", "西", "西"]})
    grid = expected_grid(agencies, [2021, 2022])
    assert len(grid) == 6 and list(grid.columns) == ["agency", "region", "year"]
    out = coverage(REPORTS, checks, grid)
    assert list(out.columns) == ["agency", "region", "year", "status", "report_ids", "n_failed_checks"]
    got = {(r.agency, r.year): (r.status, r.report_ids, r.n_failed_checks) for r in out.itertuples()}
    assert got[("甲局", 2021)] == ("present_ok", "a21", 0)
    assert got[("甲局", 2022)] == ("present_failed_identities", "a22;a22b", 2)
    assert got[("乙局", 2022)] == ("present_ok", "z22", 0)  # a warn is not a failed identity
    assert got[("丙局", 2021)] == ("present_unreadable", "u21", 0)
    assert got[("丙局", 2022)] == ("present_ok", "c22", 0)
    status, report_ids, n_failed = got[("乙局", 2021)]
    assert status == "missing" and pd.isna(report_ids) and pd.isna(n_failed)
    assert got[("甲局", 2019)] == ("unexpected", "a19", 0)
    assert out.loc[out["status"] == "unexpected", "region"].tolist() == ["东"]
    assert len(out) == 7 and set(out["status"]) == set(COVERAGE_STATUSES)


def test_coverage_accepts_list_of_dicts() -> None:
    out = coverage(REPORTS, pd.DataFrame(columns=["report_id", "status"]), [{"agency": "甲 局", "year": 2021}])
    assert out.iloc[0][["status", "report_ids"]].tolist() == ["present_ok", "a21"]
    assert sorted(out.loc[out["status"] == "unexpected", "report_ids"]) == ["a19", "a22", "a22b", "c22", "u21", "z22"]


def _profile(out: pd.DataFrame, *key: object) -> dict:
    return {r.theme: (r.units, r.total_units, r.share) for r in out.itertuples() if tuple(r)[1:1 + len(key)] == key}


def test_theme_profiles_by_region() -> None:
    out = theme_profiles(UNIT_THEMES, UNITS, REPORTS, by="region")
    assert list(out.columns) == ["region", "theme", "units", "total_units", "share"]
    assert _profile(out, "东") == {"tax": (3, 6, 0.5), "land": (2, 6, pytest.approx(1 / 3))}
    assert _profile(out, "西") == {"tax": (1, 3, pytest.approx(1 / 3)), "land": (0, 3, 0.0)}


def test_theme_profiles_measures_by_region_and_year() -> None:
    out = theme_profiles(UNIT_THEMES, UNITS, REPORTS, by="region", kinds=("measure",))
    assert _profile(out, "东") == {"tax": (2, 3, pytest.approx(2 / 3)), "land": (2, 3, pytest.approx(2 / 3))}
    assert _profile(out, "西") == {"tax": (1, 1, 1.0), "land": (0, 1, 0.0)}
    by_year = theme_profiles(UNIT_THEMES, UNITS, REPORTS, by=["region", "year"], sections=("s5",))
    assert _profile(by_year, "东", 2022) == {"tax": (0, 1, 0.0), "land": (1, 1, 1.0)}
    assert _profile(by_year, "东", 2021) == {"tax": (3, 3, 1.0), "land": (1, 3, pytest.approx(1 / 3))}


def test_theme_profiles_rejects_unknown_column() -> None:
    with pytest.raises(KeyError):
        theme_profiles(UNIT_THEMES, UNITS, REPORTS, by="province")
