"""OCR of scanned reports: page images → ``Document`` blocks with confidences (issue "Scanned reports").

``read_pages(images)`` runs :mod:`gxnlp.ocr.engine` (clean, deskew, detect, recognise) and
:mod:`gxnlp.ocr.layout` (ruled tables cell by cell, text lines in reading order) on each page, a few pages at
a time on a thread pool (the ONNX sessions release the GIL), so memory holds ``workers`` pages however long
the document. The readers (PDF pages without a text layer, PNG/JPEG pictures) call it; digit repair by the
identities happens after the table grammar, in :mod:`gxnlp.ocr.repair`.
"""
from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..document import Block, Paragraph, Table
from .engine import (
    ENGINE_NAME,
    MIN_CELL_SCORE,
    MIN_SCORE,
    Box,
    Rect,
    clean_page,
    ocr_engine,
)
from .layout import (
    fill,
    find_grids,
    ink_box,
    line_text,
    numeric_rows,
    place,
    text_lines,
    widen_left,
)

__all__ = ["ENGINE_NAME", "PageResult", "read_page", "read_pages"]

# A digit misread as a character (1 as 工) keeps a few percent of the recogniser's mass on that digit; a real
# short label (规章) keeps next to none (1e-7), so below this the free reading stands.
DIGIT_FLOOR = 0.01


@dataclass(frozen=True)
class PageResult:
    """One page read by OCR: its blocks in reading order and the angle (degrees) it was turned by."""

    blocks: list[Block]
    skew: float


def read_page(rgb: np.ndarray) -> PageResult:
    """Blocks of one page image (RGB or grey uint8): tables as ``Table`` with cell scores, lines as ``Paragraph``.

    Detected boxes inside a table are clipped to their cell; cells with print but no box are cropped to their
    print; every crop is recognised in one batch; then cells of numeric rows that did not read as numbers
    are read again as digits."""
    ocr = ocr_engine()
    page, skew = clean_page(rgb)
    grids, page = find_grids(page)
    detected = ocr.detect(page)
    char = float(np.median([b[3] - b[1] for b in detected])) if detected else 0.0
    crops: list[Rect] = []
    places: list[tuple[int, int, int] | None] = []  # (grid, row, column) of each crop, None: running text
    for box in detected:
        parts = next(((g, found) for g, grid in enumerate(grids) if (found := place(grid, box))), None)
        if parts is None:
            crops.append(widen_left(page, box, detected))
            places.append(None)
        else:
            for r, c, part in parts[1]:
                crops.append(widen_left(page, part, detected, grids[parts[0]].rows[r][c].x0))
                places.append((parts[0], r, c))
    found = set(places)
    inked = {(g, r, c): ink for g, grid in enumerate(grids) for r, row in enumerate(grid.rows)
             for c, cell in enumerate(row) if (g, r, c) not in found and (ink := ink_box(page, cell)) is not None}
    crops += inked.values()
    places += inked.keys()
    in_cells: list[dict[tuple[int, int], list[Box]]] = [{} for _ in grids]
    outside: list[Box] = []
    lines = [i for i, where in enumerate(places) if where is None]
    cells = [i for i, where in enumerate(places) if where is not None]
    readings = dict(zip(lines, ocr.recognise(page, [crops[i] for i in lines], char, cells=False)))
    readings.update(zip(cells, ocr.recognise(page, [crops[i] for i in cells], char)))
    for box, where, (text, score) in zip(crops, places, (readings[i] for i in range(len(crops)))):
        if not text.strip() or score < (MIN_SCORE if where is None else MIN_CELL_SCORE):
            continue
        read = Box(*box, text, score)
        if where is None:
            outside.append(read)
        else:
            in_cells[where[0]].setdefault(where[1:], []).append(read)
    placed: list[tuple[float, Block]] = []
    for g, (grid, boxes) in enumerate(zip(grids, in_cells)):
        unread = {(r, c): ink for (gi, r, c), ink in inked.items() if gi == g and (r, c) not in boxes}
        doubtful = numeric_rows(grid, boxes, unread)
        for (cell, span), (text, score) in zip(doubtful, ocr.recognise_digits(page, [span for _, span in doubtful])):
            if text and score >= DIGIT_FLOOR:
                boxes[cell] = [Box(*span, text, score)]
        filled = fill(grid, boxes)
        rows = tuple(tuple(cell.text for cell in row) for row in filled.rows)
        scores = tuple(tuple(cell.score for cell in row) for row in filled.rows)
        placed.append((grid.y0, Table(rows, scores)))
    for line in text_lines(outside):
        placed.append((min(b.y0 for b in line), Paragraph(line_text(line), min(b.score for b in line))))
    placed.sort(key=lambda item: item[0])
    return PageResult([block for _, block in placed], skew)


def page_workers() -> int:
    """Pages read at once: ``GXNLP_OCR_WORKERS``, else every core — or 1 inside a worker process of a corpus
    build (local pool or Dask), which already keeps every core busy with other files."""
    configured = int(os.environ.get("GXNLP_OCR_WORKERS", "0"))
    if configured:
        return configured
    return 1 if multiprocessing.parent_process() is not None else os.cpu_count() or 1


@lru_cache(maxsize=2)
def _pool(workers: int) -> ThreadPoolExecutor:
    """One thread pool per process and size, kept for the next document (threads are cheap to keep)."""
    return ThreadPoolExecutor(workers, thread_name_prefix="gxnlp-ocr")


def read_pages(images: Iterable[np.ndarray], workers: int | None = None) -> Iterator[PageResult]:
    """:func:`read_page` over ``images`` in order, ``workers`` pages at once (default :func:`page_workers`);
    images are pulled from the iterable only as pages finish, so memory holds ``workers`` pages at most."""
    workers = workers or page_workers()
    if workers == 1:
        yield from (read_page(image) for image in images)
        return
    pool = _pool(workers)
    pending: deque[Future[PageResult]] = deque()
    for image in images:
        pending.append(pool.submit(read_page, image))
        if len(pending) >= workers:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
