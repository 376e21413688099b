"""Scanned reports: OCR round trips of damaged synthetic scans, rasterised real PDFs, digit repair, provenance.

Each OCR page costs ~2–3 s on two cores, so the default run reads a few reports; ``-m slow`` reads more seeds.
"""
from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from gxnlp.ocr.repair import TRUSTED, repair_digits
from gxnlp.pipeline import parse, parse_bytes
from gxnlp.readers import read_bytes
from gxnlp.synth import generate
from gxnlp.synth_scan import (
    damage,
    find_cjk_font,
    rasterise_pdf,
    render_pages,
    render_scan,
)
from gxnlp.validate import failed_identity_ids

from .conftest import CORPUS, EXPECTED, requires_shared

needs_font = pytest.mark.skipif(find_cjk_font() is None, reason="no CJK font (fonts-noto-cjk); scripts/setup.sh installs it")


def _assert_round_trip(report, parsed) -> None:
    """Every cell of the synthetic truth read back, and the same identity verdicts."""
    assert parsed.ok, parsed.errors
    wrong = {k: (v, parsed.cells.get(k)) for k, v in report.cells.items() if parsed.cells.get(k) != v}
    assert not wrong, wrong
    assert failed_identity_ids(parsed.cells) == failed_identity_ids(report.cells)
    assert parsed.template == report.template and parsed.year == report.year


def _tall_picture(pages: list[Image.Image]) -> Image.Image:
    """A report published as one long picture (图片版): the pages one under another."""
    tall = Image.new("RGB", (max(p.width for p in pages), sum(p.height for p in pages)), "white")
    top = 0
    for page in pages:
        tall.paste(page, (0, top))
        top += page.height
    return tall


@needs_font
def test_damaged_scanned_pdf_round_trips() -> None:
    """Blur, ±2° skew, JPEG artefacts, a red seal and grey paper on every page of an image-only PDF."""
    report = generate(3)
    parsed = parse_bytes(render_scan(report, 3, fmt="pdf"), "scan.pdf")
    _assert_round_trip(report, parsed)
    assert parsed.ocr["pages"] == list(range(1, len(parsed.ocr["skew"]) + 1))
    assert any(abs(angle) >= 0.3 for angle in parsed.ocr["skew"])  # the damage tilted pages; OCR levelled them
    assert parsed.units and all(unit["confidence"] is not None for unit in parsed.units)
    assert any("公开" in unit["text"] for unit in parsed.units)  # the narrative is read, not only the tables


@needs_font
def test_a_corpus_marks_what_ocr_read(tmp_path) -> None:
    """In the corpus tables a researcher filters OCR-derived values by provenance and confidence."""
    from gxnlp.corpus import Corpus
    from gxnlp.synth import render_html

    report = generate(3)
    (tmp_path / "scan.pdf").write_bytes(render_scan(report, 3, fmt="pdf"))
    (tmp_path / "page.html").write_text(render_html(generate(4), 4), encoding="utf-8")
    corpus = Corpus(tmp_path, cache=None, themes=None, workers=1, progress=False)
    cells = corpus.cells.merge(corpus.reports[["report_id", "format"]], on="report_id")
    assert set(cells.loc[cells.format == "pdf", "provenance"]) == {"ocr"}
    assert set(cells.loc[cells.format == "html", "provenance"]) == {"text"}
    assert cells.loc[cells.format == "pdf", "confidence"].between(0, 1).all()
    assert cells.loc[cells.format == "html", "confidence"].isna().all()
    assert not cells["repaired"].any()
    scanned = corpus.reports.set_index("format").loc["pdf"]
    assert scanned.ocr_pages >= 3 and 0.5 < scanned.ocr_confidence <= 1
    units = corpus.units.merge(corpus.reports[["report_id", "format"]], on="report_id")
    assert units.loc[units.format == "pdf", "confidence"].notna().all()
    assert units.loc[units.format == "html", "confidence"].isna().all()


@needs_font
def test_long_damaged_picture_round_trips() -> None:
    report = generate(7)
    picture = damage(_tall_picture(render_pages(report, 7)), 7, jpeg=False)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=70)
    parsed = parse_bytes(buffer.getvalue(), "report.jpg")
    assert parsed.format == "image"
    _assert_round_trip(report, parsed)


@needs_font
def test_one_png_page_is_read() -> None:
    """A single page picture: the sniffer picks the image reader by its magic bytes, whatever the name."""
    report = generate(1)
    first = render_scan(report, 1, fmt="png")[0]
    document = read_bytes(first, "page-1.html")
    assert document.format == "image" and document.ocr is not None
    assert "政府信息公开" in document.text()


@pytest.mark.slow
@needs_font
@pytest.mark.parametrize("seed", range(10, 20))
def test_more_damaged_scans_round_trip(seed: int) -> None:
    report = generate(seed)
    _assert_round_trip(report, parse_bytes(render_scan(report, seed, fmt="pdf"), "scan.pdf"))


@requires_shared
@pytest.mark.shared
@pytest.mark.parametrize("report_id", ["hongze-2023", "hongze-2024"])
def test_rasterised_real_pdf_matches_its_text_version(report_id: str) -> None:
    """A real PDF rendered at 150 dpi into an image-only PDF: the cells read by hand, the same verdicts."""
    data = (CORPUS / "reports" / report_id / "report.pdf").read_bytes()
    text_version = parse(CORPUS / "reports" / report_id / "report.pdf")
    scanned = parse_bytes(rasterise_pdf(data, dpi=150), f"{report_id}-scan.pdf")
    expected = json.loads((EXPECTED / f"{report_id}.json").read_text(encoding="utf-8"))
    assert scanned.ocr is not None and text_version.ocr is None
    wrong = {k: (v, scanned.cells.get(k)) for k, v in expected["cells"].items() if scanned.cells.get(k) != v}
    assert not wrong, wrong
    assert [c["id"] for c in scanned.failed_checks] == [c["id"] for c in text_version.failed_checks]
    assert scanned.template == text_version.template and scanned.year == text_version.year
    assert set(scanned.sections) == set(text_version.sections)


# -- digit repair ---------------------------------------------------------------------------------------------

def _consistent_cells() -> dict[str, int | float]:
    report = generate(11)
    assert not failed_identity_ids(report.cells)
    return {k: v for k, v in report.cells.items() if k.startswith(("t3.", "t4."))}


def _misread(cells: dict, digits: str) -> str:
    """A cell whose value holds one of ``digits`` (a digit OCR confuses), not a derived total."""
    return next(k for k, v in sorted(cells.items()) if v and any(d in str(int(v)) for d in digits) and k.endswith(".natural_person"))


def test_a_single_misread_digit_is_repaired_and_marked() -> None:
    cells = _consistent_cells()
    key = _misread(cells, "68")
    truth = cells[key]
    wrong = int(str(int(truth)).replace("6", "#").replace("8", "6").replace("#", "8"), 10)
    fixed, repaired, unsettled = repair_digits({**cells, key: wrong}, dict.fromkeys(cells, 0.9))
    assert fixed[key] == truth and not failed_identity_ids(fixed)
    assert repaired and repaired[0]["key"] == key and repaired[0]["read"] == wrong and not unsettled


def test_a_clearly_read_digit_is_a_finding_not_a_misread() -> None:
    cells = _consistent_cells()
    key = _misread(cells, "68")
    wrong = int(str(int(cells[key])).replace("6", "#").replace("8", "6").replace("#", "8"), 10)
    fixed, repaired, _ = repair_digits({**cells, key: wrong}, dict.fromkeys(cells, TRUSTED))
    assert fixed[key] == wrong and not repaired and failed_identity_ids(fixed)


def test_several_possible_repairs_are_flagged_never_guessed() -> None:
    # new_received 8 + carried_in 0 = results 0 + carried_out 0 fails; 8→6 does not help, and the
    # 0→9 or 9→0 readings of several cells would: nothing changes, the candidates are listed
    cells = {"t3.new_received.total": 9, "t3.carried_in.total": 0, "t3.results_total.total": 0,
             "t3.carried_out.total": 0}
    fixed, repaired, unsettled = repair_digits(cells, dict.fromkeys(cells, 0.5))
    assert fixed == cells and not repaired
    assert unsettled and len(unsettled[0]["candidates"]) >= 2


def test_a_printed_failure_no_single_swap_explains_stands() -> None:
    # table 4 printed with a total 11 short (hongze 2023): no one-digit confusion accounts for Δ = −11
    cells = {"t4.review.upheld": 10, "t4.review.corrected": 1, "t4.review.other": 0, "t4.review.pending": 0,
             "t4.review.total": 0}
    fixed, repaired, unsettled = repair_digits(cells, dict.fromkeys(cells, 0.5))
    assert fixed == cells and not repaired and not unsettled


def test_blank_and_undecodable_pictures_give_structured_errors() -> None:
    blank = io.BytesIO()
    Image.fromarray(np.full((1754, 1240, 3), 255, np.uint8)).save(blank, "PNG")
    assert [e["code"] for e in parse_bytes(blank.getvalue(), "blank.png").errors] == ["no_text"]
    assert [e["code"] for e in parse_bytes(b"\x89PNG\r\n\x1a\nnot really", "bad.png").errors] == ["unreadable_image"]


def test_misread_official_label_words_are_snapped_back() -> None:
    from gxnlp.ocr.layout import snap_label

    assert snap_label("现章") == "规章"  # one character of a two-character label, the whole cell
    assert snap_label("、本年新牧政府信息公开申请数量") == "、本年新收政府信息公开申请数量"
    assert snap_label("总汁") == "总计"
    for as_read in ("规章", "自然人", "商业企业", "0", "12", "澄溪市审计局"):
        assert snap_label(as_read) == as_read  # printed whole, a number, or nothing official near it
