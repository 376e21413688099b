"""Markdown reports, as written by PDF-to-Markdown converters.

Converters break one printed table into several pipe tables with header rules in odd places and
spill cell text into the lines between them; the reader keeps that order and leaves regrouping to
the table grammar. Every pipe cell is kept (a blank Markdown cell is a real blank cell).
"""
from __future__ import annotations

from gxnlp.document import Block, Document, Paragraph, Table
from gxnlp.readers.encoding import decode
from gxnlp.readers.text import heading_text, is_separator, pipe_cells


def read(data: bytes, source: str) -> Document:
    """Read a ``.md`` report: consecutive pipe rows form one Table, every other line is a Paragraph."""
    decoded = decode(data)
    blocks: list[Block] = []
    rows: list[tuple[str, ...]] = []
    for line in decoded.text.splitlines():
        cells = pipe_cells(line, drop_merged=False) if line.lstrip().startswith("|") else None
        if cells is not None:
            if not is_separator(cells):
                rows.append(cells)
            continue
        if rows:
            blocks.append(Table(tuple(rows)))
            rows = []
        text = line.strip()
        if text:
            blocks.append(Paragraph(heading_text(text) or text))
    if rows:
        blocks.append(Table(tuple(rows)))
    return Document(source=source, format="md", blocks=blocks, warnings=decoded.warnings())
