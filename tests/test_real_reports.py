"""Every report in ../shared/corpus against values read by hand (tests/expected/*.json).

HTML, Markdown, PDF and tab-text files must give every cell exactly. Pingtan's page.txt flattens
table 2 into digit runs that the identities cannot settle (no identity covers table 2): there a row
may be reported ``ambiguous``, but a value that is given must be right.
"""
from __future__ import annotations

import json

import pytest

from gxnlp import parse
from gxnlp.normalise import squash

from .conftest import CORPUS, EXPECTED, manifest, requires_shared

pytestmark = [requires_shared, pytest.mark.shared]

OFFICIAL = [r for r in manifest() if r["template"] in {"2019", "2021"} and r["id"] != "template-2021"]
PRE2019 = [r for r in manifest() if r["template"] == "pre2019"]


def _expected(report_id: str) -> dict:
    return json.loads((EXPECTED / f"{report_id}.json").read_text(encoding="utf-8"))




@pytest.mark.parametrize("row", OFFICIAL, ids=lambda r: r["file"])
def test_official_report_parses_right(row: dict) -> None:
    expected = _expected(row["id"])
    report = parse(CORPUS / row["file"])
    assert report.ok, report.errors
    assert report.template == expected["template"]
    assert report.year == expected["year"]
    assert report.agency == expected["agency"]
    flattened = row["file"].endswith("page.txt")
    ambiguous_rows = {r for entry in report.tables["ambiguous"] for r in entry["rows"]}
    if not flattened:
        assert not ambiguous_rows
    else:
        assert all(r.startswith("t2.") for r in ambiguous_rows), ambiguous_rows
    wrong = {}
    for key, value in expected["cells"].items():
        if key not in report.cells and any(key.startswith(r + ".") for r in ambiguous_rows):
            continue
        if report.cells.get(key) != pytest.approx(value):
            wrong[key] = (report.cells.get(key), value)
    assert not wrong, wrong
    assert set(report.cells) <= set(expected["cells"]), set(report.cells) - set(expected["cells"])
    assert sorted(report.derived) == sorted(expected["derived"])
    failed = sorted(c["id"] for c in report.checks if c["status"] == "fail")
    assert failed == sorted(expected["failed_checks"])
    titles = {k: squash(s.title) for k, s in report.sections.items()}
    assert titles == {k: squash(v) for k, v in expected["sections"].items()}


@pytest.mark.parametrize("row", PRE2019, ids=lambda r: r["file"])
def test_pre2019_reports_are_recognised(row: dict) -> None:
    report = parse(CORPUS / row["file"])
    assert report.ok, report.errors
    assert report.template == "pre2019"
    assert report.cells == {}
    assert len(report.sections) >= 3
    assert report.year == int(row["year"])


@pytest.mark.parametrize("report_id", ["pingtan-2013", "pingtan-2018"])
def test_pre2019_section_titles(report_id: str) -> None:
    expected = _expected(report_id)
    for file in expected["files"]:
        report = parse(CORPUS / file)
        titles = [squash(s.title) for s in report.sections.values()]
        assert titles == [squash(t) for t in expected["sections"].values()]


def test_non_report_is_flagged() -> None:
    report = parse(CORPUS / "reports/pingtan-nonreport-2014/page.txt")
    assert not report.ok
    assert [e["code"] for e in report.errors] == ["not_a_report"]


def test_blank_official_template_has_labels_but_no_values() -> None:
    report = parse(CORPUS / "reports/template-2021/template.docx")
    assert report.template == "2021"
    assert report.cells == {}
    assert set(report.sections) == {"s1", "s2", "s3", "s4", "s5", "s6"}


def test_printed_identity_failures_are_kept_not_fixed() -> None:
    """hongze-2023 prints table 4 totals of 0 under non-zero parts: a finding, not a typo to mend."""
    report = parse(CORPUS / "reports/hongze-2023/report.pdf")
    assert report.cells["t4.review.total"] == 0
    assert report.cells["t4.review.upheld"] == 10
    failing = {c["id"]: c for c in report.checks if c["status"] == "fail"}
    assert failing["t4.block_total.review"]["delta"] == -11
    assert "t4.review.total" not in report.derived
