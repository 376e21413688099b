"""The format-neutral document every reader returns: text blocks and table grids in reading order.

Readers know bytes and file formats; everything after them (sections, table grammar, validation)
only sees a ``Document``. This is the first step of the one-way flow bytes → document → report.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Paragraph:
    """One line or paragraph of running text, as printed (not normalised); ``confidence`` (0–1) when OCR
    read it (the lowest score of its boxes), None when it came from a text layer or markup."""

    text: str
    confidence: float | None = None


@dataclass(frozen=True)
class Table:
    """A table as rows of cell texts in reading order.

    Each merged cell appears once, in the row where it starts (no rowspan/colspan copies); a blank
    cell is ``""``. The table grammar maps numbers to columns by their order within the row, never
    by grid position (format.md §3.1), so this is all it needs.
    """

    rows: tuple[tuple[str, ...], ...]
    confidence: tuple[tuple[float | None, ...], ...] | None = None  # per cell, when OCR read the table


Block = Paragraph | Table


@dataclass(frozen=True)
class OcrInfo:
    """How the pages without a text layer were read: which pages (1-based), at what resolution, by what."""

    engine: str
    pages: tuple[int, ...]
    dpi: int
    skew: tuple[float, ...] = ()  # degrees each OCR page was turned to level it


@dataclass
class Document:
    """What a reader recovered from one file."""

    source: str
    format: str  # html | txt | md | docx | pdf | image
    blocks: list[Block] = field(default_factory=list)
    title: str | None = None  # from page metadata (HTML <meta>, text-dump header), when present
    published: str | None = None  # ISO date from page metadata, when present
    pages: int | None = None  # PDF page count
    warnings: list[str] = field(default_factory=list)
    ocr: OcrInfo | None = None  # set when some pages were read by OCR

    def text(self) -> str:
        """Plain text of the whole document: paragraphs as lines, table rows as TAB-joined lines."""
        lines: list[str] = []
        for block in self.blocks:
            if isinstance(block, Paragraph):
                lines.append(block.text)
            else:
                lines.extend("\t".join(row) for row in block.rows)
        return "\n".join(lines)
