"""Plain-text reports: text dumps with a metadata header, the seed's TAB-cell tables, pipe tables.

Three layouts share one line scanner because real files mix them (format.md §6): a narrative
paragraph per line, TAB-started table cells (the seed layout, §6.1) and pipe-delimited rows (CMS
exports, §6.2). Text flattened into one huge line stays one Paragraph; splitting digit runs is the
table grammar's job, not the reader's.
"""
from __future__ import annotations

import re

from gxnlp.document import Block, Document, Paragraph, Table
from gxnlp.readers.encoding import decode

# `==================== 正文 ====================` closes the header of the page.txt dumps.
_BODY_MARK = re.compile(r"^={3,}\s*正文\s*={3,}$")
_HEADER_FIELD = re.compile(r"^\s*([^:：]{1,12})\s*[:：]\s*(.*?)\s*$")
_HEADER_SCAN_LINES = 40
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$")
_PIPE = re.compile(r"(?<!\\)\|")
_SEPARATOR_CELL = re.compile(r"^:?-{3,}:?$")
# A TAB "table" holding a cell this long is TAB-indented narrative, not a table (table cells are labels
# and numbers; the longest template label is under 60 characters).
_MAX_CELL_CHARS = 300


def read(data: bytes, source: str) -> Document:
    """Read a ``.txt`` report: optional dump header, then narrative, TAB tables and pipe tables."""
    decoded = decode(data)
    doc = Document(source=source, format="txt", warnings=decoded.warnings())
    lines = decoded.text.splitlines()
    doc.title, doc.published, body_start = _header(lines)
    doc.blocks = scan_lines(lines[body_start:])
    return doc


def iso_date(value: str) -> str | None:
    """``YYYY-MM-DD`` from the first date in ``value`` (``2023-02-20 15:07``, ``2023年2月20日``), if valid."""
    match = _DATE.search(value)
    if not match:
        return None
    year, month, day = (int(group) for group in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def heading_text(line: str) -> str | None:
    """The text of a Markdown ATX heading (``## 一、总体情况`` → ``一、总体情况``), else None."""
    match = _HEADING.match(line)
    return match.group(1) if match else None


def pipe_cells(line: str, *, drop_merged: bool) -> tuple[str, ...] | None:
    """Cells of a pipe-delimited row, or None when ``line`` is not one.

    With ``drop_merged`` (CMS text exports) the empty strings between adjacent pipes (``||``) are the
    traces of merged cells and are dropped, while a blank between spaced pipes (``| |``) is a real
    empty cell. Markdown keeps every cell. An escaped ``\\|`` is a literal pipe.
    """
    stripped = line.strip()
    if "|" not in stripped:
        return None
    parts = _PIPE.split(stripped)
    fenced = stripped.startswith("|")
    if fenced:
        parts = parts[1:]
    if stripped.endswith("|") and not stripped.endswith("\\|"):
        parts = parts[:-1]
    if drop_merged:
        parts = [part for part in parts if part]
    cells = tuple(part.strip().replace("\\|", "|") for part in parts)
    if len(cells) >= 2 or (fenced and cells):
        return cells
    return None


def is_separator(cells: tuple[str, ...]) -> bool:
    """Whether a pipe row is a Markdown header rule (``|---|:--:|``) rather than data."""
    return all(_SEPARATOR_CELL.match(cell) for cell in cells)


def scan_lines(lines: list[str]) -> list[Block]:
    """Blocks of the body lines, in order (format.md §6.1 for the TAB layout)."""
    blocks: list[Block] = []
    table: list[tuple[str, ...]] = []  # rows of the TAB or pipe table being read
    row: list[str] = []  # cells of the TAB row being read
    mode: str | None = None  # "tab" | "pipe" while inside a table
    after_cell = False  # the previous line was a TAB cell or its continuation
    blank_run = 0

    def end_table() -> None:
        nonlocal mode
        if row:
            table.append(tuple(row))
            row.clear()
        if mode == "tab" and _is_indented_prose(table):
            blocks.extend(Paragraph(cell) for cells in table for cell in cells if cell)
        elif table:
            blocks.append(Table(tuple(table)))
        table.clear()
        mode = None

    for line in lines:
        if line.startswith("\t"):
            if mode == "pipe":
                end_table()
            mode, after_cell, blank_run = "tab", True, 0
            row.append(line.strip())
            continue
        text = line.strip()
        if not text:
            after_cell = False
            if mode == "tab":
                blank_run += 1
                if row:
                    table.append(tuple(row))
                    row.clear()
                if blank_run >= 2:
                    end_table()
            elif mode == "pipe":
                end_table()
            continue
        if after_cell:  # a <br> inside the cell: `\t本年新` + `制作数量`
            row[-1] += text
            continue
        if mode == "tab":
            end_table()
        cells = pipe_cells(text, drop_merged=True)
        if cells is not None:
            mode = "pipe"
            if not is_separator(cells):
                table.append(cells)
            continue
        if mode == "pipe":
            end_table()
        blocks.append(Paragraph(heading_text(text) or text))
    end_table()
    return blocks


def _is_indented_prose(rows: list[tuple[str, ...]]) -> bool:
    """Whether TAB-started lines are indented paragraphs (one cell per row, or a cell too long for a table)."""
    return all(len(cells) < 2 for cells in rows) or any(len(cell) > _MAX_CELL_CHARS for cells in rows for cell in cells)


def _header(lines: list[str]) -> tuple[str | None, str | None, int]:
    """Title, publication date and first body line of a text dump (`标题: …` … `=== 正文 ===`)."""
    for index, line in enumerate(lines[:_HEADER_SCAN_LINES]):
        if _BODY_MARK.match(line.strip()):
            fields = {}
            for field_line in lines[:index]:
                match = _HEADER_FIELD.match(field_line)
                if match:
                    fields.setdefault(match.group(1).strip(), match.group(2))
            title = fields.get("标题") or None
            published = iso_date(fields.get("发布时间") or fields.get("发布日期") or "")
            return title, published, index + 1
    return None, None, 0
