"""Synthetic scans: A4 pages, ruled tables, image-only PDFs without a text layer, visible scan damage."""
from __future__ import annotations

import io
import math

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image

from gxnlp import synth
from gxnlp.synth_scan import (
    SKEW_DEGREES,
    damage,
    find_cjk_font,
    page_size,
    rasterise_pdf,
    render_pages,
    render_scan,
)

needs_font = pytest.mark.skipif(find_cjk_font() is None,
                                reason="no CJK font (fonts-noto-cjk); scripts/setup.sh installs it")


def _texts(data: bytes) -> list[str]:
    pdf = pdfium.PdfDocument(data)
    try:
        return [page.get_textpage().get_text_range() for page in pdf]
    finally:
        pdf.close()


def _red(image: Image.Image) -> int:
    """Pixels of seal red: strong red, little green or blue (text is grey, paper is near white)."""
    rgb = np.asarray(image.convert("RGB"), dtype=np.int16)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return int(((r > 150) & (r - g > 70) & (r - b > 60)).sum())


@pytest.fixture(scope="module")
def report() -> synth.SynthReport:
    return synth.generate(1, "2021")


@pytest.fixture(scope="module")
def pages(report: synth.SynthReport) -> list[Image.Image]:
    if find_cjk_font() is None:
        pytest.skip("no CJK font (fonts-noto-cjk); scripts/setup.sh installs it")
    return render_pages(report, 3)


def test_find_cjk_font_names_a_font_file_or_none():
    font = find_cjk_font()
    assert font is None or (font.is_file() and font.suffix.lower() in (".ttc", ".ttf", ".otf"))


@needs_font
def test_pages_are_white_a4_at_the_dpi(pages, report):
    assert page_size(150) == (1240, 1754)
    assert len(pages) >= 2
    for page in pages:
        assert page.mode == "RGB" and page.size == (1240, 1754)
        assert page.getpixel((5, 5)) == (255, 255, 255)
    small = render_pages(report, 3, dpi=72)
    assert [p.size for p in small] == [page_size(72)] * len(small) == [(595, 842)] * len(small)


@needs_font
def test_pages_are_deterministic_per_seed(pages, report):
    again = render_pages(report, 3)
    assert [p.tobytes() for p in again] == [p.tobytes() for p in pages]


@needs_font
def test_tables_are_ruled_grids(pages, report):
    """Every table row is closed by a rule across (nearly) the whole type area."""
    rules = 0
    for page in pages:
        dark = np.asarray(page.convert("L")) < 128
        full = dark.mean(axis=1) > 0.5  # a ruled line spans most of the page width; text lines do not
        rules += int((full[1:] & ~full[:-1]).sum())
    grids = [grid for kind, grid in synth._blocks(report) if kind == "table"]
    assert rules >= sum(len(grid.rows) for grid in grids)


@needs_font
def test_scan_pdf_is_image_only_and_deterministic(report):
    data = render_scan(report, 5, dpi=100)
    texts = _texts(data)
    assert len(texts) == len(render_pages(report, 5, dpi=100)) >= 1
    assert all(text.strip() == "" for text in texts)
    assert render_scan(report, 5, dpi=100) == data


def test_rasterise_pdf_keeps_pages_and_drops_the_text_layer():
    original = synth.render_pdf(synth.generate(1))
    assert any(text.strip() for text in _texts(original))
    scanned = rasterise_pdf(original, dpi=72)
    assert len(_texts(scanned)) == len(_texts(original))
    assert all(text == "" for text in _texts(scanned))


@needs_font
def test_damage_changes_pixels_within_the_rotation_bounds(pages):
    page = pages[-1]
    damaged = damage(page, 7)
    assert damaged.mode == "RGB" and damaged.tobytes() != page.tobytes()
    w, h = page.size
    a = math.radians(SKEW_DEGREES)
    assert w <= damaged.width <= w * math.cos(a) + h * math.sin(a) + 2
    assert h <= damaged.height <= h * math.cos(a) + w * math.sin(a) + 2
    corner = damaged.getpixel((0, 0))
    assert min(corner) > 150  # the rotated-in corner is grey, not black
    assert damage(page, 7, blur=False, skew=False, jpeg=False, seal=False, grey=False).tobytes() == page.tobytes()
    assert damage(page, 7, skew=False).size == page.size
    assert damage(page, 7).tobytes() == damaged.tobytes()


@needs_font
def test_seal_puts_red_on_the_page(pages):
    page = pages[-1]
    assert _red(page) == 0
    assert _red(damage(page, 7, seal=False)) < 50
    assert _red(damage(page, 7)) > 1000
    assert _red(damage(page, 7, blur=False, skew=False, jpeg=False, grey=False)) > 2000


@needs_font
@pytest.mark.parametrize("fmt, damaged", [("png", False), ("jpeg", True)])
def test_picture_formats_decode(report, fmt, damaged):
    pictures = render_scan(report, 2, dpi=72, fmt=fmt, damaged=damaged)
    assert isinstance(pictures, list) and len(pictures) == len(render_pages(report, 2, dpi=72))
    for data in pictures:
        image = Image.open(io.BytesIO(data))
        assert image.format == fmt.upper()
        image.load()
        assert image.width >= page_size(72)[0]


def test_render_scan_rejects_unknown_formats(report):
    with pytest.raises(ValueError, match="fmt"):
        render_scan(report, fmt="tiff")
