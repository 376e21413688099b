"""Synthetic scanned reports: the reports of :mod:`gxnlp.synth` printed on A4 pages and scanned.

Why: many county and department reports are published as scans (image-only PDFs, or pictures of the
pages), and the OCR path needs inputs whose every cell value is known. ``render_pages`` typesets a
``SynthReport`` the way a Word original prints (GB/T 9704 margins, ruled tables with the official merged
headers, page numbers, the signature and date at the end); ``damage`` adds what a cheap scanner and a
portal's re-compression do to it; ``render_scan`` wraps both into the files portals publish.
``rasterise_pdf`` turns any PDF with a text layer into a scanned stand-in of itself.

Numbers print plainly (no blanks, no full-width digits), so the ground truth of a scan is exactly
``report.cells`` and nothing is derived. Everything is deterministic for a given ``rng``.
"""
from __future__ import annotations

import functools
import io
import math
import random
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from .synth import (
    _HEADER_WORDS,
    SynthReport,
    _blocks,
    _Grid,
    _Ink,
    _is_data,
    _Item,
    _Pager,
    _print_rows,
    _rng,
)

# ---------------------------------------------------------------------------------------------------
# Page geometry and type sizes (GB/T 9704-2012, the layout standard of official documents)

A4_MM = (210.0, 297.0)
_MARGIN_MM = (28.0, 37.0, 26.0, 35.0)  # left, top, right, bottom: the standard 156 × 225 mm type area
_FOOTER_MM = 7.0  # the page number sits this far below the type area
_TITLE_PT = 18.0
_BODY_PT = 12.0  # 小四: what most annual reports use for the body
_LABEL_PT = 9.0  # table labels and headers
_NUMBER_PT = 10.0  # table numbers
_FOOTER_PT = 10.5
_LEADING = 1.6  # body line pitch as a multiple of the type size
_CELL_LEADING = 1.25
_CELL_PAD_MM = (0.6, 0.8)  # horizontal, vertical padding inside a table cell
_MIN_ROW_MM = 6.5  # the official template's rows are about this tall
_RULE_PT = 0.75  # table rules: 2 px at 150 dpi
_INK = (0, 0, 0)

_NO_LINE_START = frozenset("，。、；：？！）》」』”’%")  # closing punctuation never starts a line
_SUBHEAD_RE = re.compile(r"^（[一二三四五六七八九十]+）[^。；，]{1,24}$")  # （一）主动公开 … printed bold
_ENUMERATOR_RE = re.compile(r"^（[一二三四五六七八九十]+）")
_WORD_RE = re.compile(r"[0-9A-Za-z.%-]")  # characters of a number or Latin word, which does not break

# ---------------------------------------------------------------------------------------------------
# Scan damage. Ranges are per page, drawn from ``rng``; the blur radius is in pixels at 150 dpi and
# scales with the page's resolution (taken from its width: pages are A4).

BLUR_RADIUS = (0.5, 1.2)  # Gaussian px: scanner optics and a page not flat on the glass soften strokes
SKEW_DEGREES = 2.0  # pages fed by hand or by a sheet feeder sit up to about 2° askew
JPEG_QUALITY = (35, 60)  # portals re-compress scans hard to keep attachments small: ringing, 8×8 blocks
PAPER_LEVEL = (222.0, 246.0)  # the brightness white paper scans to (never pure 255)
PAPER_YELLOW = (0.0, 16.0)  # how much blue (and a third as much green) aged or recycled paper loses
INK_LEVEL = (18.0, 55.0)  # toner scans dark grey, not pure black
ILLUMINATION = (0.03, 0.12)  # relative darkening where the lamp falls off or the page lifts
NOISE_SIGMA = (1.5, 5.0)  # sensor noise, in grey levels
SEAL_DIAMETER_MM = (40.0, 45.0)  # seals of state organs are 4.2 cm (counties, departments) to 4.5 cm
SEAL_OPACITY = (0.75, 0.95)  # stamp-pad ink is translucent: the text below stays visible
SEAL_RED = ((195.0, 235.0), (15.0, 60.0), (25.0, 70.0))  # RGB ranges of 印泥 red
SEAL_TEXT = "政府信息公开专用章"  # arc text when the caller names no agency


def _mm(dpi: int, mm: float) -> float:
    return mm * dpi / 25.4


def _pt(dpi: int, pt: float) -> float:
    return pt * dpi / 72


def page_size(dpi: int = 150) -> tuple[int, int]:
    """A4 in pixels at ``dpi`` (1240 × 1754 at 150 dpi)."""
    return round(_mm(dpi, A4_MM[0])), round(_mm(dpi, A4_MM[1]))


# ---------------------------------------------------------------------------------------------------
# Fonts

_FONT_CANDIDATES = tuple(Path(folder) / name
                         for folder in ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/noto-cjk")
                         for name in ("NotoSerifCJK-Regular.ttc", "NotoSansCJK-Regular.ttc"))


def find_cjk_font() -> Path | None:
    """A font with Chinese glyphs, serif first (reports print in 宋体); None if the machine has none.

    Asks ``fc-list :lang=zh`` after the known Noto CJK paths, not ``fc-match``: that falls back to a
    Latin font (DejaVu) when nothing covers Chinese, which would print every character as a box.
    """
    for path in _FONT_CANDIDATES:
        if path.is_file():
            return path
    if shutil.which("fc-list") is None:
        return None
    listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=30,
                            check=False).stdout
    files = sorted({Path(line.split(":")[0].strip()) for line in listed.splitlines() if line.strip()},
                   key=lambda p: ("Regular" not in p.name, p.name))
    return next((p for p in files if p.is_file()), None)


@functools.cache
def _faces() -> dict[str, Path]:
    """Font files by role: body (宋体-like), bold (the title, sub-heads) and heading (黑体-like)."""
    body = find_cjk_font()
    if body is None:
        raise RuntimeError("no CJK font found (install fonts-noto-cjk; scripts/setup.sh does)")

    def sibling(path: Path, old: str, new: str) -> Path:
        other = path.with_name(path.name.replace(old, new))
        return other if other.is_file() else path

    bold = sibling(body, "Regular", "Bold")
    return {"body": body, "bold": bold, "heading": sibling(bold, "Serif", "Sans")}


@functools.cache
def _sc_index(path: Path) -> int:
    """The Simplified Chinese face of a font collection (Noto CJK puts JP first: wrong glyph shapes)."""
    for index in range(16):
        try:
            family = ImageFont.truetype(str(path), 12, index=index).getname()[0] or ""
        except OSError:
            break
        if family.endswith(" SC"):
            return index
    return 0


@functools.cache
def _font(role: str, px: int) -> ImageFont.FreeTypeFont:
    path = _faces()[role]
    return ImageFont.truetype(str(path), px, index=_sc_index(path))


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float, indent: float = 0.0) -> list[str]:
    """Lines within ``width`` (the first ``indent`` narrower), broken between characters as Chinese
    typesetting does, except inside a number or Latin word (1550 never splits), and never before
    closing punctuation: the character before it moves down with it (unless that would leave a line
    of one or two characters, as in narrow cells)."""
    lines: list[str] = []
    line, room = "", width - indent
    for ch in text:
        if line and font.getlength(line + ch) > room:
            keep = len(line)
            if _WORD_RE.match(ch):
                while keep and _WORD_RE.match(line[keep - 1]):
                    keep -= 1
                keep = keep or len(line)  # a word wider than the line breaks after all
            elif ch in _NO_LINE_START and len(line) > 2:
                keep -= 1
            lines.append(line[:keep])
            line, room = line[keep:], width
        line += ch
    return lines + [line]


def _cell_lines(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """A cell label's lines: at its ``<br>``s, at the break real tables use (商业/企业, （四）/无法提供)
    when the label is too wide and its words fit, else between characters."""
    if "\n" in text:
        return [line for part in text.split("\n") for line in _wrap(part, font, width)]
    words = (_HEADER_WORDS.get(text) or _ENUMERATOR_RE.sub(r"\g<0> ", text, count=1)).split(" ")
    if len(words) > 1 and font.getlength(text) > width and all(font.getlength(w) <= width for w in words):
        return words
    return _wrap(text, font, width)


# ---------------------------------------------------------------------------------------------------
# Typesetting


class _Pages:
    """A4 pages at a dpi, filled top to bottom inside the type area."""

    def __init__(self, dpi: int, pager: _Pager) -> None:
        self.dpi, self.pager = dpi, pager
        self.size = page_size(dpi)
        left, top, right, bottom = (_mm(dpi, m) for m in _MARGIN_MM)
        self.left, self.right = left, self.size[0] - right
        self.top, self.bottom = top, self.size[1] - bottom
        self.images: list[Image.Image] = []
        self.y = self.top
        self.new_page()

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def draw(self) -> ImageDraw.ImageDraw:
        return ImageDraw.Draw(self.images[-1])

    def font(self, role: str, pt: float) -> ImageFont.FreeTypeFont:
        return _font(role, round(_pt(self.dpi, pt)))

    def new_page(self) -> None:
        self.images.append(Image.new("RGB", self.size, "white"))
        self.y = self.top

    def need(self, height: float) -> None:
        """Start a new page unless ``height`` still fits on this one (or this one is empty)."""
        if self.y + height > self.bottom and self.y > self.top:
            self.new_page()

    def lines(self, lines: list[str], font: ImageFont.FreeTypeFont, pitch: float, *, indent: float = 0.0,
              justify: bool = True, center: bool = False) -> None:
        """Draw lines down the page, breaking pages between lines. Justified lines (all but a
        paragraph's last) spread their characters to the right edge, as Word prints Chinese."""
        for i, line in enumerate(lines):
            self.need(pitch)
            y = self.y + pitch / 2
            x = self.left + (indent if i == 0 else 0.0)
            if center:
                self.draw.text(((self.left + self.right) / 2, y), line, font=font, fill=_INK, anchor="mm")
            else:
                advances = [font.getlength(ch) for ch in line]
                spare = self.right - x - sum(advances)
                gap = spare / (len(line) - 1) if justify and i < len(lines) - 1 and len(line) > 1 else 0.0
                draw = self.draw
                for ch, advance in zip(line, advances):
                    draw.text((x, y), ch, font=font, fill=_INK, anchor="lm")
                    x += advance + gap
            self.y += pitch

    def finish(self) -> list[Image.Image]:
        """Number the pages (``- 3 -`` centred below the type area) and hand them over."""
        font = self.font("body", _FOOTER_PT)
        y = self.bottom + _mm(self.dpi, _FOOTER_MM) + font.size / 2
        for image in self.images:
            ImageDraw.Draw(image).text((self.size[0] / 2, y), self.pager.footer(), font=font, fill=_INK, anchor="mm")
        return self.images


def _column_weights(grid: _Grid) -> tuple[float, ...]:
    """Relative column widths as the official template draws them: table 3 has a narrow column for
    the vertical group labels, a middle one, a wide one for leaf labels, then seven number columns."""
    if grid.name == "t3":
        return (6.0, 16.0, 33.0) + (14.4,) * (grid.width - 3)
    if grid.name == "t2":
        return (1.3,) + (1.0,) * (grid.width - 1)
    return (1.0,) * grid.width


@dataclass
class _Table:
    """A table measured for the page: column edges, row heights and each shown cell's lines."""

    xs: list[float]
    heights: list[float]
    cells: list[tuple[int, _Item, list[str], ImageFont.FreeTypeFont, bool]]  # row, item, lines, font, centred
    head: float  # the header rows and the first row of numbers, which stay together


def _measure(pages: _Pages, grid: _Grid, ink: _Ink) -> _Table:
    """Wrap every label in its cell and size the rows: each row fits its own cells, and rows under a
    merged cell grow evenly when its text needs more room than they give."""
    weights = _column_weights(grid)
    xs = [pages.left + pages.width * sum(weights[:i]) / sum(weights) for i in range(grid.width + 1)]
    pad_x, pad_y = (_mm(pages.dpi, m) for m in _CELL_PAD_MM)
    label_font, number_font = pages.font("body", _LABEL_PT), pages.font("body", _NUMBER_PT)
    rows = _print_rows(grid, ink)
    heights = [_mm(pages.dpi, _MIN_ROW_MM)] * len(rows)
    cells, merged = [], []
    for r, items in enumerate(rows):
        for it in items:
            if it.covered:
                continue
            font = number_font if it.cell.key else label_font
            width = xs[it.col + it.cell.colspan] - xs[it.col] - 2 * pad_x
            lines = [it.text] if it.cell.key else _cell_lines(it.text, font, width)
            need = len(lines) * font.size * _CELL_LEADING + 2 * pad_y
            cells.append((r, it, lines, font, bool(it.cell.key) or it.cell.group or not _is_data(items)))
            if it.cell.rowspan == 1:
                heights[r] = max(heights[r], need)
            else:
                merged.append((slice(r, r + it.cell.rowspan), need))
    for span, need in merged:
        deficit = need - sum(heights[span])
        if deficit > 0:
            heights[span] = [h + deficit / len(heights[span]) for h in heights[span]]
    first_data = next(r for r, items in enumerate(rows) if _is_data(items))
    return _Table(xs, heights, cells, sum(heights[:first_data + 1]))


def _draw_table(pages: _Pages, table: _Table) -> None:
    """Rule and fill a measured table. It continues on the next page between rows, the header not
    repeated; a merged cell cut by a page break is boxed on both pages, its text in the taller part."""
    pages.need(table.head)
    where: list[tuple[int, float]] = []  # page and top of each row
    for height in table.heights:
        pages.need(height)
        where.append((len(pages.images) - 1, pages.y))
        pages.y += height
    rule = max(1, round(_pt(pages.dpi, _RULE_PT)))
    pad_x = _mm(pages.dpi, _CELL_PAD_MM[0])
    for r, it, lines, font, centred in table.cells:
        parts: dict[int, list[float]] = {}
        for row in range(r, r + it.cell.rowspan):
            page, top = where[row]
            part = parts.setdefault(page, [top, top])
            part[1] = top + table.heights[row]
        x0, x1 = table.xs[it.col], table.xs[it.col + it.cell.colspan]
        for page, (y0, y1) in parts.items():
            ImageDraw.Draw(pages.images[page]).line([(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)],
                                                    fill=_INK, width=rule, joint="curve")
        page, (y0, y1) = max(parts.items(), key=lambda kv: kv[1][1] - kv[1][0])
        draw = ImageDraw.Draw(pages.images[page])
        pitch = font.size * _CELL_LEADING
        y = (y0 + y1) / 2 - pitch * (len(lines) - 1) / 2
        for line in lines:
            if centred:
                draw.text(((x0 + x1) / 2, y), line, font=font, fill=_INK, anchor="mm")
            else:
                draw.text((x0 + pad_x, y), line, font=font, fill=_INK, anchor="lm")
            y += pitch


def render_pages(report: SynthReport, rng: random.Random | int = 0, *, dpi: int = 150) -> list[Image.Image]:
    """Clean A4 pages (RGB, white) of the report as its Word original prints: centred title, headings,
    justified paragraphs with a two-character indent, ruled tables with the official merged headers,
    the agency and date at the end, page numbers. Raises RuntimeError without a CJK font."""
    rng = _rng(rng)
    pages = _Pages(dpi, _Pager(rng))
    ink = _Ink(report, rng, noise=False)  # plain numbers: the truth of the scan is report.cells
    body = pages.font("body", _BODY_PT)
    pitch = _pt(dpi, _BODY_PT) * _LEADING
    indent = 2 * body.size
    blocks = _blocks(report)
    tables = {i: _measure(pages, obj, ink) for i, (_, obj) in enumerate(blocks) if isinstance(obj, _Grid)}
    for i, (kind, obj) in enumerate(blocks):
        if i in tables:
            pages.y += pitch / 3
            _draw_table(pages, tables[i])
            pages.y += pitch / 2
        elif kind == "title":
            font = pages.font("bold", _TITLE_PT)
            pages.lines(_wrap(obj, font, pages.width), font, font.size * 1.5, center=True)
            pages.y += pitch / 2
        elif kind == "heading" or _SUBHEAD_RE.match(obj):
            font = pages.font("heading" if kind == "heading" else "bold", _BODY_PT)
            keep = tables[i + 1].head + pitch / 3 if i + 1 in tables else pitch
            pages.need(pitch + keep)  # a heading never ends a page: its first line or table header follows
            pages.lines([obj], font, pitch, indent=indent, justify=False)
        else:
            pages.lines(_wrap(obj, body, pages.width, indent), body, pitch, indent=indent)
    # the signature: the date four characters in from the right margin, the agency centred above it
    day = time.strptime(report.published, "%Y-%m-%d")
    date = f"{day.tm_year}年{day.tm_mon}月{day.tm_mday}日"
    centre = pages.right - 4 * body.size - body.getlength(date) / 2
    centre = min(centre, pages.right - body.getlength(report.agency) / 2)
    pages.y += pitch
    pages.need(3 * pitch)
    for line in (report.agency, date):
        pages.draw.text((centre, pages.y + pitch / 2), line, font=body, fill=_INK, anchor="mm")
        pages.y += pitch
    return pages.finish()


# ---------------------------------------------------------------------------------------------------
# Scan damage


def _smooth_field(np_rng: np.random.Generator, size: tuple[int, int], cells: tuple[int, int]) -> np.ndarray:
    """A smooth random field in [0, 1] over an image of ``size`` (a coarse grid upsampled bicubically)."""
    coarse = Image.fromarray((np_rng.random((cells[1], cells[0])) * 255).astype(np.uint8), "L")
    return np.asarray(coarse.resize(size, Image.Resampling.BICUBIC), dtype=np.float32) / 255


def _falloff(rng: random.Random, shape: tuple[int, int]) -> np.ndarray:
    """Where a flatbed's light is weaker, in [0, 1]: a ramp towards one side (the lamp, or the page
    lifting at the binding) and darker corners."""
    y, x = np.mgrid[0:1:shape[0] * 1j, 0:1:shape[1] * 1j].astype(np.float32)
    angle = rng.uniform(0, 2 * math.pi)
    ramp = (x - 0.5) * math.cos(angle) + (y - 0.5) * math.sin(angle) + 0.5 ** 0.5
    corners = (x - 0.5) ** 2 + (y - 0.5) ** 2
    return np.clip(0.5 * ramp / 2 ** 0.5 + corners, 0, 1)


def _seal_mask(rng: random.Random, np_rng: np.random.Generator, diameter: int, text: str) -> np.ndarray:
    """Coverage in [0, 1] of a round official seal: ring, five-pointed star, the name along the top arc,
    with the patchy ink of a hand stamp."""
    mask = Image.new("L", (diameter, diameter), 0)
    draw = ImageDraw.Draw(mask)
    r = diameter / 2
    ring = max(2, round(diameter * 0.03))
    draw.ellipse([ring / 2, ring / 2, diameter - ring / 2, diameter - ring / 2], outline=255, width=ring)
    star = r * 0.36
    points = [(r + (star if i % 2 == 0 else star * 0.38) * math.sin(math.pi * i / 5),
               r - (star if i % 2 == 0 else star * 0.38) * math.cos(math.pi * i / 5)) for i in range(10)]
    draw.polygon(points, fill=255)
    try:
        font = _font("bold", max(8, round(r * 0.27)))
    except RuntimeError:  # no CJK font: a seal without its name is still a red ring and star
        font = None
    if font is not None and text:
        radius = r - ring - font.size * 0.7
        span = min(250.0, 24.0 * len(text))  # degrees of arc the name covers, centred on the top
        for i, ch in enumerate(text):
            angle = span * i / (len(text) - 1) - span / 2 if len(text) > 1 else 0.0
            tile = Image.new("L", (font.size * 2, font.size * 2), 0)
            ImageDraw.Draw(tile).text((font.size, font.size), ch, font=font, fill=255, anchor="mm")
            tile = tile.rotate(-angle, resample=Image.Resampling.BICUBIC)
            cx = r + radius * math.sin(math.radians(angle))
            cy = r - radius * math.cos(math.radians(angle))
            mask.paste(255, (round(cx - font.size), round(cy - font.size)), tile)
    ink = 0.7 + 0.3 * _smooth_field(np_rng, mask.size, (5, 5))  # uneven pressure across the stamp
    speckle = np_rng.random(ink.shape) > rng.uniform(0.03, 0.12)  # pores where the pad left no ink
    return np.asarray(mask, dtype=np.float32) / 255 * ink * speckle


def _stamp(page: np.ndarray, rng: random.Random, np_rng: np.random.Generator, text: str) -> None:
    """Multiply a red seal onto ``page`` (H×W×3 floats in 0-255) over the last text above the footer,
    its right part: on the signature and date of a report's last page, or on a table's corner."""
    h, w = page.shape[:2]
    px_per_mm = w / A4_MM[0]  # pages are A4: the width gives the scale at any dpi
    diameter = round(rng.uniform(*SEAL_DIAMETER_MM) * px_per_mm)
    mask = _seal_mask(rng, np_rng, diameter, text) * rng.uniform(*SEAL_OPACITY)
    dark = page[: int(h * 0.9)].min(axis=2) < 128  # the bottom tenth holds the page number
    rows = np.flatnonzero(dark.any(axis=1))
    if rows.size:
        last = rows[-1]
        cols = np.flatnonzero(dark[max(0, last - diameter // 2): last + 1].any(axis=0))
        cx = cols[-1] - diameter / 2 * rng.uniform(0.6, 1.2)
        cy = last - diameter / 2 * rng.uniform(0.1, 0.7)
    else:
        cx, cy = w / 2, h * 0.7
    x0 = int(max(0, min(cx - diameter / 2, w - diameter)))
    y0 = int(max(0, min(cy - diameter / 2, h - diameter)))
    red = np.array([rng.uniform(*band) for band in SEAL_RED], dtype=np.float32) / 255
    region = page[y0:y0 + diameter, x0:x0 + diameter]
    mask = mask[: region.shape[0], : region.shape[1], None]
    region *= 1 - mask * (1 - red)


def damage(image: Image.Image, rng: random.Random | int, *, blur: bool = True, skew: bool = True, jpeg: bool = True,
           seal: bool = True, grey: bool = True, seal_text: str = SEAL_TEXT) -> Image.Image:
    """What scanning and a portal do to a printed page, each kind switchable, parameters from ``rng``
    (ranges in the module constants): a red seal with ``seal_text`` on its arc, grey or yellowish paper
    with uneven light, a skew of up to ±2° (the canvas grows, filled with the scanner lid's grey),
    blur, sensor noise, and JPEG re-compression."""
    rng = _rng(rng)
    np_rng = np.random.default_rng(rng.getrandbits(64))
    page = np.asarray(image.convert("RGB"), dtype=np.float32).copy()
    if seal:
        _stamp(page, rng, np_rng, seal_text)
    lid = (255, 255, 255)
    if grey:
        level, yellow, ink = rng.uniform(*PAPER_LEVEL), rng.uniform(*PAPER_YELLOW), rng.uniform(*INK_LEVEL)
        paper = np.array([level, level - yellow / 3, level - yellow], dtype=np.float32)
        light = 1 - rng.uniform(*ILLUMINATION) * _falloff(rng, page.shape[:2])
        page = (ink + (paper - ink) * page / 255) * light[..., None]
        lid = tuple(int(c * 0.9) for c in paper)
    out = Image.fromarray(np.clip(page, 0, 255).astype(np.uint8), "RGB")
    if skew:
        out = out.rotate(rng.uniform(-SKEW_DEGREES, SKEW_DEGREES), resample=Image.Resampling.BICUBIC,
                         expand=True, fillcolor=lid)
    if blur:
        out = out.filter(ImageFilter.GaussianBlur(rng.uniform(*BLUR_RADIUS) * image.width / page_size(150)[0]))
    if grey:
        sigma = rng.uniform(*NOISE_SIGMA)
        noisy = np.asarray(out, dtype=np.float32) + np_rng.normal(0, sigma, (out.height, out.width, 1))
        out = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB")
    if jpeg:
        buffer = io.BytesIO()
        out.save(buffer, "JPEG", quality=rng.randint(*JPEG_QUALITY))
        out = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    return out


# ---------------------------------------------------------------------------------------------------
# Files

_SAVE_QUALITY = 90  # final encoding of pages already damaged (or clean): adds no visible artefacts


def _image_pdf(images: list[Image.Image], dpi: int, when: time.struct_time) -> bytes:
    """An image-only PDF, one page per image at ``dpi``; fixed dates keep the bytes deterministic."""
    if not images:
        raise ValueError("a PDF needs at least one page")
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:], resolution=float(dpi),
                   quality=_SAVE_QUALITY, creationDate=when, modDate=when, producer="gxnlp.synth_scan")
    return buffer.getvalue()


def render_scan(report: SynthReport, rng: random.Random | int = 0, *, dpi: int = 150, fmt: str = "pdf",
                damaged: bool = True) -> bytes | list[bytes]:
    """The report as a portal publishes a scan: ``fmt="pdf"`` one image-only PDF; ``"png"`` or
    ``"jpeg"`` one encoded picture per page. With ``damaged``, every page is scanned (``damage``) and
    the last one carries the agency's seal over its signature."""
    if fmt not in ("pdf", "png", "jpeg"):
        raise ValueError(f"fmt must be 'pdf', 'png' or 'jpeg', not {fmt!r}")
    rng = _rng(rng)
    pages = render_pages(report, rng, dpi=dpi)
    if damaged:
        pages = [damage(page, rng, seal=i == len(pages) - 1, seal_text=report.agency) for i, page in enumerate(pages)]
    if fmt == "pdf":
        return _image_pdf(pages, dpi, time.strptime(report.published, "%Y-%m-%d"))
    encoded = []
    for page in pages:
        buffer = io.BytesIO()
        if fmt == "png":
            page.save(buffer, "PNG", dpi=(dpi, dpi))
        else:
            page.save(buffer, "JPEG", quality=_SAVE_QUALITY, dpi=(dpi, dpi))
        encoded.append(buffer.getvalue())
    return encoded


def rasterise_pdf(data: bytes, *, dpi: int = 150) -> bytes:
    """Any PDF as an image-only PDF of the same pages at ``dpi``, undamaged: a scanned stand-in of a
    real report whose text layer is known."""
    pdf = pdfium.PdfDocument(data)
    try:
        images = [page.render(scale=dpi / 72).to_pil().convert("RGB") for page in pdf]
    finally:
        pdf.close()
    return _image_pdf(images, dpi, time.gmtime(0))
