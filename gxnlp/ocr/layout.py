"""Recognised boxes → the blocks of a ``Document``: ruled tables rebuilt cell by cell, text lines in reading order.

Tables are found from their rules, not from the text: horizontal and vertical strokes (morphological openings
much longer than any character) form a grid, and every white region the grid encloses is one cell, so merged
header cells (table 3's 申请人情况, table 4's 行政复议 / 行政诉讼) and the tall merged label cells come out as
one cell each. Rows are the cells that start at the same height, left to right, which is what the table
grammar expects (``gxnlp.document.Table``: a merged cell once, in the row where it starts). Text outside the
grids is grouped into lines by height and read top to bottom.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..grammar import grammar
from .engine import Box, Rect

_INK = 160  # grey level below which a pixel is print (the page is already flattened to white)
_MIN_CELL = 10  # px: narrower or lower white regions are gaps between double rules, not cells
_CELL_INK = 12  # dark pixels that make an undetected cell worth recognising
_INSET = 3  # px kept clear of a cell's rules when looking for print in it
# An ink box is widened by this fraction of its height: the recogniser reads glyphs best with the margin
# the detector leaves around them (no margin or a wide white one both lose lone "0"s).
_MARGIN = 0.12
# What the recogniser returns for a digit printed alone in a cell (a lone "0" is read as a letter o or a
# full stop): a cell holding only these is the number they stand for.
_DIGIT_LOOKALIKES = str.maketrans({"o": "0", "O": "0", "〇": "0", "。": "0", "°": "0", "D": "0",
                                   "l": "1", "I": "1", "|": "1"})
_SURE = 0.95  # a short cell text read at least this surely is what it says (规章 in a row of numbers)
_NUMERIC = re.compile(r"[\d.,，]+")


@dataclass(frozen=True)
class Cell:
    """One cell of a ruled table: its box, and its text and score once read ("" and None: blank)."""

    x0: int
    y0: int
    x1: int
    y1: int
    text: str = ""
    score: float | None = None


@dataclass(frozen=True)
class Grid:
    """A ruled table on the page: its bounding box and its cells, in rows."""

    x0: int
    y0: int
    x1: int
    y1: int
    rows: tuple[tuple[Cell, ...], ...]



def find_grids(page: np.ndarray) -> tuple[list[Grid], np.ndarray]:
    """The ruled tables of a clean grey page (see :func:`gxnlp.ocr.engine.clean_page`), cells unread, and
    the page with their rules whitened: a rule beside a digit is read as another "1"."""
    import cv2

    w = page.shape[1]
    ink = (page < _INK).astype(np.uint8)
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(40, w // 25), 1)))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(30, w // 40))))
    # close small breaks in the rules (blur, faint print), so neighbouring cells do not merge
    horizontal = cv2.dilate(cv2.morphologyEx(horizontal, cv2.MORPH_CLOSE, np.ones((1, 25), np.uint8)), np.ones((3, 1), np.uint8))
    vertical = cv2.dilate(cv2.morphologyEx(vertical, cv2.MORPH_CLOSE, np.ones((25, 1), np.uint8)), np.ones((1, 3), np.uint8))
    rules = horizontal | vertical
    count, labels, stats, _ = cv2.connectedComponentsWithStats(rules, connectivity=8)
    grids = []
    text = page.copy()
    for index in range(1, count):
        x, y, gw, gh, _ = stats[index]
        if gw < w * 0.3 or gh < 40:
            continue
        region = (slice(y, y + gh), slice(x, x + gw))
        if not vertical[region].any() or horizontal[region].sum(axis=1).astype(bool).sum() < 6:
            continue  # a lone rule or a frame, not a table
        cells = _cells(rules[region], x, y)
        if len(cells) >= 4:
            grids.append(Grid(int(x), int(y), int(x + gw), int(y + gh), _rows(cells)))
            own = labels[region] == index
            text[region][cv2.dilate(own.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0] = 255
    return sorted(grids, key=lambda g: g.y0), text


def _cells(rules: np.ndarray, x: int, y: int) -> list[Cell]:
    """The white regions the rules enclose, the table's bounding box counting as a rule: the cells."""
    import cv2

    closed = rules.copy()  # a table cut by the page end has no bottom rule: its last cells still count
    closed[[0, -1], :] = 1
    closed[:, [0, -1]] = 1
    count, _, stats, _ = cv2.connectedComponentsWithStats((closed == 0).astype(np.uint8), connectivity=4)
    cells = []
    for index in range(1, count):
        cx, cy, cw, ch, _ = stats[index]
        if cw < _MIN_CELL or ch < _MIN_CELL:
            continue
        cells.append(Cell(int(x + cx), int(y + cy), int(x + cx + cw), int(y + cy + ch)))
    return cells


def _rows(cells: list[Cell]) -> tuple[tuple[Cell, ...], ...]:
    """Cells grouped by the height they start at (within a quarter of a typical cell: a slight residual tilt
    must not split a row), left to right."""
    rows: list[list[Cell]] = []
    tolerance = max(6.0, 0.25 * float(np.median([c.y1 - c.y0 for c in cells])))
    for cell in sorted(cells, key=lambda c: (c.y0, c.x0)):
        if rows and cell.y0 - rows[-1][0].y0 <= tolerance:
            rows[-1].append(cell)
        else:
            rows.append([cell])
    return tuple(tuple(sorted(row, key=lambda c: c.x0)) for row in rows)


def place(grid: Grid, box: Rect) -> list[tuple[int, int, Rect]]:
    """The cells ``box`` falls in, as (row, column, the part of the box in that cell): a box the detector
    drew across a rule ("0  0" in two cells) is cut at the rule; a box outside the grid gives []."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    if not (grid.x0 <= cx <= grid.x1 and grid.y0 <= cy <= grid.y1):
        return []
    height = box[3] - box[1]
    parts, best, most = [], None, 0.0
    for r, row in enumerate(grid.rows):
        for c, cell in enumerate(row):
            across = min(box[2], cell.x1) - max(box[0], cell.x0)
            down = min(box[3], cell.y1) - max(box[1], cell.y0)
            if across <= 0 or down <= 0:
                continue
            if across >= 0.3 * height and down >= 0.5 * min(height, cell.y1 - cell.y0):
                parts.append((r, c, clip(box, cell)))
            if across * down > most:
                best, most = (r, c, clip(box, cell)), across * down
    return parts or ([best] if best else [])


def clip(box: Rect, cell: Cell) -> Rect:
    """``box`` kept inside the cell, clear of its rules (a rule in the crop reads as "1")."""
    x0, y0, x1, y1 = cell.x0 + 3, cell.y0 + 1, cell.x1 - 3, cell.y1 - 1
    return (max(box[0], x0), max(box[1], y0), min(box[2], x1), min(box[3], y1))


def ink_box(page: np.ndarray, cell: Cell) -> Rect | None:
    """The box around the print inside a cell (clear of its rules), or None for a blank cell."""
    x0, y0, x1, y1 = cell.x0 + _INSET, cell.y0 + _INSET, cell.x1 - _INSET, cell.y1 - _INSET
    if x1 <= x0 or y1 <= y0:
        return None
    ys, xs = np.nonzero(page[y0:y1, x0:x1] < _INK)
    if len(xs) < _CELL_INK:
        return None
    margin = max(2.0, _MARGIN * (ys.max() + 1 - ys.min()))
    return clip((x0 + xs.min() - margin, y0 + ys.min() - margin, x0 + xs.max() + 1 + margin, y0 + ys.max() + 1 + margin), cell)


def numeric_rows(grid: Grid, boxes: dict[tuple[int, int], list[Box]],
                 unread: dict[tuple[int, int], Rect]) -> list[tuple[tuple[int, int], Rect]]:
    """Cells of rows that are mostly numbers whose reading is not one, or who hold print nothing was read
    from: ((row, column), box to read again as digits) each. A short, surely read text before the numbers
    is a label (规章) unless the row has no label at all (table 4's data row)."""
    doubtful = []
    for r, row in enumerate(grid.rows):
        texts = {c: _cell_text(boxes[(r, c)]) for c in range(len(row)) if (r, c) in boxes}
        numbers = [c for c, text in texts.items() if _NUMERIC.fullmatch(text.replace(" ", ""))]
        if len(numbers) < 3 or len(numbers) < 0.6 * (len(texts) + len([k for k in unread if k[0] == r]) - 1):
            continue
        labelled = any(c not in numbers and len(text) > 2 for c, text in texts.items())
        doubtful += [((r, c), _span(boxes[(r, c)])) for c, text in texts.items()
                     if c not in numbers and len(text) <= 2 and (c > min(numbers) or not labelled)
                     and min(b.score for b in boxes[(r, c)]) < _SURE]
        doubtful += [((r, c), box) for (row_index, c), box in unread.items() if row_index == r and c > min(numbers)]
    return doubtful


def _span(boxes: list[Box]) -> Rect:
    return (min(b.x0 for b in boxes), min(b.y0 for b in boxes), max(b.x1 for b in boxes), max(b.y1 for b in boxes))


def widen_left(page: np.ndarray, box: Rect,
               others: list[Rect], limit: float = 0.0) -> Rect:
    """``box`` widened to print just left of it that no other box holds: the detector often leaves out a
    leading 一 or 二 (a lone thin stroke), and "、主动公开…" then lacks its section number."""
    x0, y0, x1, y1 = box
    height = y1 - y0
    left = max(limit, x0 - 1.5 * height)
    if x0 - left < 2 or any(o[2] > left and o[0] < x0 and min(o[3], y1) - max(o[1], y0) > 0.3 * height
                            for o in others if o is not box):
        return box
    strip = page[int(y0):int(y1), int(left):int(x0)]
    columns = np.flatnonzero((strip < _INK).any(axis=0))
    return box if not len(columns) else (left + float(columns[0]) - 2, y0, x1, y1)


def fill(grid: Grid, boxes: dict[tuple[int, int], list[Box]]) -> Grid:
    """The grid with each cell's text (a misread official label snapped back) and lowest score."""
    rows = tuple(
        tuple(Cell(cell.x0, cell.y0, cell.x1, cell.y1, snap_label(_cell_text(found := boxes.get((r, c), []))),
                   min((b.score for b in found), default=None)) for c, cell in enumerate(row))
        for r, row in enumerate(grid.rows)
    )
    return Grid(grid.x0, grid.y0, grid.x1, grid.y1, rows)


@lru_cache(maxsize=1)
def _label_words() -> tuple[str, ...]:
    """The words that name the official table rows (data/grammar.json), longest first."""
    data = grammar()
    words = {w for version in ("2019", "2021") for row in data["t2"][version] for w in row["patterns"]}
    words |= {w for row in data["t3"]["rows"] for w in row["patterns"]} | set(data["t4"]["patterns"])
    return tuple(sorted(words, key=len, reverse=True))


def snap_label(text: str) -> str:
    """A cell text with one character of an official row word misread (现章 for 规章) given that word back,
    when no word is printed whole and exactly one is one character away; a two-character word only when it
    is the whole cell. Anything else, numbers included, is returned as read."""
    if not text or _NUMERIC.fullmatch(text.replace(" ", "")) or any(w in text for w in _label_words()):
        return text
    found = set()
    for word in _label_words():
        if len(word) == 2 and len(text) != 2 or len(word) < 2:
            continue
        for start in range(len(text) - len(word) + 1):
            window = text[start:start + len(word)]
            if sum(a != b for a, b in zip(window, word)) == 1:
                found.add((start, word))
    if len({word for _, word in found}) != 1:
        return text
    start, word = min(found)
    return text[:start] + word + text[start + len(word):]


def _cell_text(boxes: list[Box]) -> str:
    """A cell's lines joined top to bottom; a cell of digit look-alikes ("o", "l") is the number they stand for,
    and a speck read as a point beside a number ("0.") is dropped."""
    text = "".join(line_text(line) for line in text_lines(boxes)).strip()
    mapped = text.translate(_DIGIT_LOOKALIKES)
    if not _NUMERIC.fullmatch(mapped.replace(" ", "")):
        return text
    return mapped.strip(".,，") or mapped


def text_lines(boxes: list[Box]) -> list[list[Box]]:
    """Boxes outside tables grouped into printed lines (vertical overlap), each left to right."""
    lines: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: (b.cy, b.x0)):
        line = lines[-1] if lines else None
        if line and _overlap(line, box) > 0.5:
            line.append(box)
        else:
            lines.append([box])
    return [sorted(line, key=lambda b: b.x0) for line in lines]


def _overlap(line: list[Box], box: Box) -> float:
    top, bottom = min(b.y0 for b in line), max(b.y1 for b in line)
    shared = min(bottom, box.y1) - max(top, box.y0)
    return shared / max(1.0, min(bottom - top, box.height))


def line_text(line: list[Box]) -> str:
    """A line's boxes joined: a space where the gap is wider than a character (separate cells or numbers)."""
    text = line[0].text
    for before, box in itertools.pairwise(line):
        gap = box.x0 - before.x1
        text += (" " if gap > 0.8 * max(box.height, before.height) else "") + box.text
    return text
