"""OCR of scanned reports: page images → ``Document`` blocks with confidences (issue "Scanned reports").

``read_pages(images)`` runs :mod:`gxnlp.ocr.engine` (clean, deskew, detect, recognise) and
:mod:`gxnlp.ocr.layout` (ruled tables cell by cell, text lines in reading order) on each page, a few pages at
a time on a thread pool (the ONNX sessions release the GIL), so memory holds ``workers`` pages however long
the document. The readers (PDF pages without a text layer, PNG/JPEG pictures) call it; digit repair by the
identities happens after the table grammar, in :mod:`gxnlp.ocr.repair`.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from ..document import Block, Paragraph, Table
from .engine import ENGINE_NAME, MIN_CELL_SCORE, MIN_SCORE, Box, clean_page, engine
from .layout import fill, find_grids, ink_box, line_text, numeric_rows, place, text_lines

__all__ = ["ENGINE_NAME", "PageResult", "read_page", "read_pages"]

# A digit misread as a character (1 as 工) keeps a few percent of the recogniser's mass on that digit; a real
# short label (规章) keeps next to none (1e-7), so below this the free reading stands.
DIGIT_FLOOR = 0.01


class PageResult:
    """One page read by OCR: its blocks in reading order and the angle it was turned by."""

    def __init__(self, blocks: list[Block], skew: float) -> None:
        self.blocks, self.skew = blocks, skew


def read_page(rgb: np.ndarray) -> PageResult:
    """Blocks of one page image (RGB or grey uint8): tables as ``Table`` with cell scores, lines as ``Paragraph``.

    Detected boxes inside a table are clipped to their cell; cells with print but no box are cropped to their
    print; then every crop is recognised in one batch."""
    ocr = engine()
    page, skew = clean_page(rgb)
    grids, page = find_grids(page)
    crops: list[tuple[float, float, float, float]] = []
    places: list[tuple[int, int, int] | None] = []  # (grid, row, column) of each crop, None: running text
    detected = ocr.detect(page)
    char = float(np.median([b[3] - b[1] for b in detected])) if detected else 0.0
    for box in detected:
        parts = next(((g, found) for g, grid in enumerate(grids) if (found := place(grid, box))), None)
        if parts is None:
            crops.append(box)
            places.append(None)
            continue
        for r, c, part in parts[1]:
            crops.append(part)
            places.append((parts[0], r, c))
    found = set(places)
    for g, grid in enumerate(grids):
        for r, row in enumerate(grid.rows):
            for c, cell in enumerate(row):
                if (g, r, c) not in found and (ink := ink_box(page, cell)) is not None:
                    crops.append(ink)
                    places.append((g, r, c))
    in_cells: list[dict[tuple[int, int], list[Box]]] = [{} for _ in grids]
    outside: list[Box] = []
    for box, where, (text, score) in zip(crops, places, ocr.recognise(page, crops, char)):
        if not text.strip() or score < (MIN_SCORE if where is None else MIN_CELL_SCORE):
            continue
        read = Box(*box, text, score)
        if where is None:
            outside.append(read)
        else:
            in_cells[where[0]].setdefault(where[1:], []).append(read)
    for grid, boxes in zip(grids, in_cells):
        doubtful = numeric_rows(grid, boxes)
        spans = [_span(boxes[cell]) for cell in doubtful]
        for cell, span, (text, score) in zip(doubtful, spans, ocr.recognise_digits(page, spans)):
            if text and score >= DIGIT_FLOOR:
                boxes[cell] = [Box(*span, text, score)]
    placed: list[tuple[float, Block]] = []
    for grid, boxes in zip(grids, in_cells):
        filled = fill(grid, boxes)
        rows = tuple(tuple(cell.text for cell in row) for row in filled.rows)
        scores = tuple(tuple(cell.score for cell in row) for row in filled.rows)
        placed.append((grid.y0, Table(rows, scores)))
    for line in text_lines(outside):
        placed.append((min(b.y0 for b in line), Paragraph(line_text(line), min(b.score for b in line))))
    placed.sort(key=lambda item: item[0])
    return PageResult([block for _, block in placed], skew)


def _span(boxes: list[Box]) -> tuple[float, float, float, float]:
    return (min(b.x0 for b in boxes), min(b.y0 for b in boxes), max(b.x1 for b in boxes), max(b.y1 for b in boxes))


def read_pages(images: Iterable[np.ndarray], workers: int | None = None) -> Iterator[PageResult]:
    """:func:`read_page` over ``images`` in order, ``workers`` pages at once (default ``GXNLP_OCR_WORKERS``
    or every core); images are pulled from the iterable only as pages finish, so memory stays bounded."""
    workers = workers or int(os.environ.get("GXNLP_OCR_WORKERS", "0")) or os.cpu_count() or 1
    if workers == 1:
        yield from (read_page(image) for image in images)
        return
    with ThreadPoolExecutor(workers) as pool:
        pending: list[Future[PageResult]] = []
        for image in images:
            pending.append(pool.submit(read_page, image))
            if len(pending) >= workers:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()
