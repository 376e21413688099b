"""Files and the HTML report of ``gxnlp.outputs``: round trips, self-containment, graceful empties, and a
headless-Chromium screenshot that shows the report (and its Chinese) actually renders."""
from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gxnlp import outputs
from gxnlp.outputs import render_report, write_report, write_tables

CHROMIUM = Path("/usr/bin/chromium")
requires_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} not installed (scripts/setup.sh installs it as root with apt-get)")
THEMES = {t["id"]: t["name"] for t in json.loads(
    (Path(outputs.__file__).parent / "data" / "themes.json").read_text(encoding="utf-8"))["themes"]}
SECTIONS = ("overview", "themes", "outcomes", "corrections", "checks", "trends")

# ---------------------------------------------------------------------------------------------------
# Tables built by hand with the corpus column names


def _tables() -> dict[str, pd.DataFrame]:
    agencies = ["平潭县自然资源局", "洪泽区生态环境局", '<b>"某局"&</b>']
    reports = pd.DataFrame({
        "report_id": [f"r{i}" for i in range(6)],
        "ok": [True, True, True, False, True, True],
        "errors": ["", "", "", "tables_missing_or_image", "", ""],
        "template": ["2019", "2021", "2021", "2021", "2021", "2021"],
        "year": [2020, 2021, 2022, 2022, 2023, None],
        "agency": [agencies[i % 3] for i in range(6)],
    })
    cells = []
    for i, rid in enumerate(reports["report_id"]):
        values = {"new_received": 40 + 10 * i, "results_total": 38 + 10 * i, "granted": 20 + 5 * i, "partial": 4,
                  "denied.state_secret": 1, "denied.third_party": i, "unable.not_held": 6, "not_processed.petition": 2,
                  "other.total": 5 + 5 * i - i}
        cells += [{"report_id": rid, "key": f"t3.{row}.total", "table": "t3", "row": row, "column": "total",
                   "value": float(v), "derived": False} for row, v in values.items()]
    checks = pd.DataFrame([
        {"report_id": rid, "check": check, "status": "fail" if (rid, check) in {("r1", "H3.1"), ("r2", "H3.1"),
                                                                                 ("r2", "H4.1")} else "pass",
         "lhs": 1.0, "rhs": 0.0, "delta": 1.0, "message": "不平衡"}
        for rid in reports["report_id"] for check in ("H3.1", "H3.2", "H4.1")])
    metrics = []
    for i, rid in enumerate(reports["report_id"]):
        metrics.append({"report_id": rid, "metric": "disclosure_rate", "numerator": 24.0 + 5 * i,
                        "denominator": 38.0 + 10 * i})
        for block, (num, den) in {"review": (1, 4 + i), "lit_direct": (0, 2), "lit_after_review": (i % 2, 1)}.items():
            metrics.append({"report_id": rid, "metric": f"correction_rate.{block}", "numerator": float(num),
                            "denominator": float(den)})
    metrics = pd.DataFrame(metrics).assign(value=lambda m: m["numerator"] / m["denominator"])
    profiles = pd.DataFrame([
        {"agency": agency, "theme": theme, "units": units, "total_units": 50, "share": units / 50}
        for agency, shares in zip(agencies, ({"land": 20, "on_request": 10}, {"environment": 25, "platform": 5},
                                             {"fiscal": 8}))
        for theme, units in shares.items()])
    return {"reports": reports, "cells": pd.DataFrame(cells), "checks": checks, "metrics": metrics,
            "profiles": profiles}


SUMMARY = {
    "平潭县自然资源局": {
        "measures": [{"text": "公开征地补偿安置方案37件。", "report_id": "r0", "unit": 12}],
        "problems": [{"text": "征收信息公开不够及时。", "report_id": "r3", "unit": 40}],
        "terms": [("征地补偿", 2.5), "安置"],
    },
}

# ---------------------------------------------------------------------------------------------------
# write_tables


def _sheets(path: Path) -> dict[str, str]:
    about = pd.read_excel(path, sheet_name=outputs.ABOUT_SHEET)
    return dict(zip(about["table"], about["sheet"]))


def test_write_tables_round_trip(tmp_path: Path) -> None:
    tables = {
        "reports": pd.DataFrame({"report_id": ["r0", "r1", "r2"], "agency": ["平潭县", "洪泽区", "上海市"],
                                 "year": [2021, 2022, 2023], "ok": [True, False, True], "rate": [0.5, np.nan, 1.25]}),
        "a_table_name_well_over_thirty_one_characters": pd.DataFrame({"x": [1, 2]}),
        "a_table_name_well_over_thirty_one_characters_too": pd.DataFrame({"y": ["甲", "乙"]}),
    }
    paths = write_tables(tables, tmp_path)
    assert all(p.is_file() for p in paths) and tmp_path / "tables.xlsx" in paths
    sheets = _sheets(tmp_path / "tables.xlsx")
    assert len(set(sheets.values())) == 3 and all(len(s) <= 31 for s in sheets.values())
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / f"{name}.parquet"), frame)
        raw = (tmp_path / f"{name}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel then reads the CSV as UTF-8
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / f"{name}.csv", encoding="utf-8-sig"), frame,
                                      check_dtype=False)
        pd.testing.assert_frame_equal(pd.read_excel(tmp_path / "tables.xlsx", sheet_name=sheets[name]), frame,
                                      check_dtype=False)


def test_write_tables_nested_values_and_named_index(tmp_path: Path) -> None:
    nested = pd.DataFrame({"report_id": ["r0", "r1"], "terms": [["征地", "安置"], []],
                           "scores": [{"land": 0.9}, {}]})
    by_year = pd.DataFrame({"reports": [3, 4]}, index=pd.Index([2021, 2022], name="year"))
    write_tables({"nested": nested, "by_year": by_year}, tmp_path)
    assert list(pd.read_parquet(tmp_path / "nested.parquet")["terms"][0]) == ["征地", "安置"]
    for frame in (pd.read_csv(tmp_path / "nested.csv", encoding="utf-8-sig"),
                  pd.read_excel(tmp_path / "tables.xlsx", sheet_name=_sheets(tmp_path / "tables.xlsx")["nested"])):
        assert [json.loads(v) for v in frame["terms"]] == [["征地", "安置"], []]
        assert json.loads(frame["scores"][0]) == {"land": 0.9}
    assert pd.read_csv(tmp_path / "by_year.csv", encoding="utf-8-sig").columns.tolist() == ["year", "reports"]


def test_write_tables_truncates_to_excel_row_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outputs, "EXCEL_MAX_ROWS", 6)  # 5 data rows + header
    frame = pd.DataFrame({"n": range(10)})
    write_tables({"long": frame}, tmp_path)
    assert len(pd.read_excel(tmp_path / "tables.xlsx", sheet_name="long")) == 5
    about = pd.read_excel(tmp_path / "tables.xlsx", sheet_name=outputs.ABOUT_SHEET)
    assert about.loc[0, "rows"] == 10 and "truncated" in about.loc[0, "note"]
    assert len(pd.read_parquet(tmp_path / "long.parquet")) == 10


# ---------------------------------------------------------------------------------------------------
# render_report


def _assert_self_contained(doc: str) -> None:
    assert doc.startswith("<!DOCTYPE html>") and doc.rstrip().endswith("</html>")
    for forbidden in ("<script", "src=", "http", "url(", "@import", "<link"):
        assert forbidden not in doc, forbidden


def test_render_report_sections_charts_and_escaping() -> None:
    doc = render_report(_tables(), title="比较 <测试>", theme="land", summary=SUMMARY)
    _assert_self_contained(doc)
    for sid in (*SECTIONS, "summary"):
        assert f'<section id="{sid}">' in doc
    for heading in ("概览", "主题分布", "申请办理结果", "纠错率", "恒等式检查", "年度趋势", "专题摘要"):
        assert f"<h2>{heading}" in doc
    for theme in ("land", "environment", "on_request", "platform", "fiscal"):
        assert THEMES[theme] in doc
    assert f"专题摘要：{THEMES['land']}" in doc
    assert doc.count("<svg") >= 6 and "<rect" in doc and "<polyline" in doc
    assert "Noto Sans CJK SC" in doc and "WenQuanYi Micro Hei" in doc
    assert "<title>比较 &lt;测试&gt;</title>" in doc
    assert "某局\"&" not in doc and "&lt;b&gt;&quot;某局&quot;&amp;&lt;/b&gt;" in doc
    for outcome in ("予以公开", "部分公开", "不予公开", "无法提供", "不予处理", "其他处理"):
        assert outcome in doc
    assert "r0，unit 12" in doc and "征地补偿" in doc  # citation and distinctive term
    assert "2 / 6" in doc and "H3.1" in doc  # reports with failed identities


def test_render_report_groups_by_column() -> None:
    tables = _tables()
    tables["reports"]["region"] = ["福建", "江苏", "福建", "江苏", "福建", None]
    doc = render_report(tables, title="t", by="region")
    assert "Outcomes of applications by region" in doc and "福建" in doc and "（未注明）" in doc


@pytest.mark.parametrize("tables", [
    {},
    {name: pd.DataFrame() for name in ("reports", "cells", "checks", "metrics", "profiles")},
    {name: pd.DataFrame({"unrelated": [1]}) for name in ("reports", "cells", "checks", "metrics", "profiles")},
], ids=["missing", "empty", "wrong-columns"])
def test_render_report_without_data(tables: dict[str, pd.DataFrame]) -> None:
    doc = render_report(tables, title="空", summary={})
    _assert_self_contained(doc)
    assert doc.count('class="nodata"') == len(SECTIONS) + 1  # every section, and the empty summary


def test_render_report_no_failures_and_no_cases() -> None:
    tables = _tables()
    tables["checks"] = tables["checks"].assign(status="pass")
    tables["metrics"] = tables["metrics"].assign(denominator=0.0)
    doc = render_report(tables, title="t")
    assert "均通过" in doc and "没有已审结" in doc and 'id="summary"' not in doc


def test_render_report_caps_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outputs, "MAX_GROUPS", 2)
    doc = render_report(_tables(), title="t")
    assert doc.count("另有 1 组未显示") == 3  # heatmap, outcomes, corrections


def test_write_report(tmp_path: Path) -> None:
    path = write_report(_tables(), tmp_path / "out", title="报告", summary=SUMMARY)
    assert path == tmp_path / "out" / "report.html"
    assert "<h2>专题摘要" in path.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------------
# In a real browser


def _screenshot(page: Path, png: Path, size: str = "1280,2400") -> None:
    subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={png.parent / 'profile'}", f"--screenshot={png}", f"--window-size={size}",
         page.resolve().as_uri()],
        check=True, capture_output=True, timeout=120)
    assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@requires_chromium
def test_report_renders_in_chromium(tmp_path: Path) -> None:
    from PIL import Image, ImageStat  # Pillow comes with reportlab

    png = tmp_path / "report.png"
    _screenshot(write_report(_tables(), tmp_path, title="政府信息公开年度报告比较", summary=SUMMARY), png)
    with Image.open(png) as image:
        assert image.size == (1280, 2400)
        grey = image.convert("L")
        assert ImageStat.Stat(grey).stddev[0] > 10  # not a blank page
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 20) or ()) > 50  # charts' colours are there


@requires_chromium
def test_chinese_renders_as_glyphs(tmp_path: Path) -> None:
    """Missing fonts draw every character as the same box: two different characters must differ."""
    from PIL import Image, ImageChops

    page = tmp_path / "glyphs.html"
    style = html.escape(f"position:absolute;top:0;font:160px {outputs.FONT_STACK};line-height:1")
    page.write_text(f'<!DOCTYPE html><meta charset="utf-8"><body style="margin:0">'
                    f'<div style="{style};left:0">国</div><div style="{style};left:200px">民</div>', encoding="utf-8")
    png = tmp_path / "glyphs.png"
    _screenshot(page, png, "400,200")
    with Image.open(png) as image:
        grey = image.convert("L")
        left, right = grey.crop((0, 0, 200, 200)), grey.crop((200, 0, 400, 200))
        assert left.getextrema()[0] < 128, "no ink: the character was not drawn"
        diff = ImageChops.difference(left, right)
        assert diff.point(lambda v: 255 if v > 64 else 0).histogram()[255] > 500, "both characters look alike: CJK font missing (tofu)"


def test_report_mentions_only_known_sections() -> None:
    doc = render_report(_tables(), title="t")
    assert re.findall(r'<section id="(\w+)">', doc) == list(SECTIONS)
