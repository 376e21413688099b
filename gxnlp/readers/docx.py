"""Word (.docx) reports: body paragraphs and tables in order, each merged cell once.

python-docx opens the package; the body is then walked as XML, because python-docx's own table API
repeats a merged cell in every grid position it covers (gridSpan and vMerge), while the table grammar
needs each printed cell once, in order (format.md §6.2, "DOCX").
"""
from __future__ import annotations

import io
import zipfile

import docx
from lxml import etree

from gxnlp.document import Block, Document, Paragraph, Table
from gxnlp.errors import GxnlpError

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NS = {"w": _W, "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006"}
_P, _TBL, _TR = (f"{{{_W}}}{tag}" for tag in ("p", "tbl", "tr"))
_SDT, _SDT_CONTENT, _CUSTOM_XML = (f"{{{_W}}}{tag}" for tag in ("sdt", "sdtContent", "customXml"))
_T, _TAB = f"{{{_W}}}t", f"{{{_W}}}tab"
# Run content in reading order. Text boxes are skipped: their text also sits in the mc:Fallback copy,
# and neither copy is part of the paragraph's line.
_RUN_CONTENT = etree.XPath(
    "(.//w:r/w:t | .//w:r/w:tab | .//w:r/w:br | .//w:r/w:cr)"
    "[not(ancestor::w:txbxContent) and not(ancestor::mc:Fallback)]",
    namespaces=_NS,
)
_ROW_CELLS = etree.XPath("./w:tc | ./w:sdt/w:sdtContent/w:tc | ./w:customXml/w:tc", namespaces=_NS)
_V_MERGE = etree.XPath("string(./w:tcPr/w:vMerge/@w:val)", namespaces=_NS)
_HAS_V_MERGE = etree.XPath("boolean(./w:tcPr/w:vMerge)", namespaces=_NS)
# zipfile raises NotImplementedError for unknown versions/compressions and ValueError/EOFError on junk.
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, ValueError, EOFError)
# XML parts larger than this are a zip bomb or not a report; python-docx would parse them into memory.
_MAX_XML_BYTES = 50 * 2**20


def read(data: bytes, source: str) -> Document:
    """Read a ``.docx`` report."""
    _check_package(data)
    try:
        body = docx.Document(io.BytesIO(data)).element.body
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml and zip errors alike
        raise GxnlpError("unreadable_docx", f"not a readable Word document: {type(exc).__name__}: {exc}") from None
    blocks: list[Block] = []
    _walk(body, blocks)
    return Document(source=source, format="docx", blocks=blocks)


def is_word_package(data: bytes) -> bool:
    """Whether ``data`` is a zip holding ``word/document.xml`` (a .docx under another name)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            return "word/document.xml" in package.namelist()
    except _ZIP_ERRORS:
        return False


def _check_package(data: bytes) -> None:
    """Refuse a non-zip and a package whose XML would inflate past ``_MAX_XML_BYTES`` before parsing."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            members = package.infolist()
    except _ZIP_ERRORS as exc:
        raise GxnlpError("unreadable_docx", f"not a zip package: {exc}") from None
    for member in members:
        if member.filename.endswith((".xml", ".rels")) and member.file_size > _MAX_XML_BYTES:
            raise GxnlpError(
                "too_large",
                f"{member.filename} inflates to {member.file_size} bytes (limit {_MAX_XML_BYTES})",
            )


def _walk(container: etree._Element, blocks: list[Block]) -> None:
    """Append the paragraphs and tables of a body-level container, descending into content controls."""
    for child in container:
        if child.tag == _P:
            blocks.extend(Paragraph(line) for line in _paragraph_lines(child))
        elif child.tag == _TBL:
            rows = tuple(cells for tr in child.iterchildren(_TR) if (cells := _row_cells(tr)))
            if rows:
                blocks.append(Table(rows))
        elif child.tag in (_SDT, _SDT_CONTENT, _CUSTOM_XML):
            _walk(child, blocks)


def _paragraph_lines(paragraph: etree._Element) -> list[str]:
    """The non-empty lines of a paragraph; a manual line break (w:br, w:cr) starts a new line."""
    lines, current = [], []
    for node in _RUN_CONTENT(paragraph):
        if node.tag == _T:
            current.append(node.text or "")
        elif node.tag == _TAB:
            current.append(" ")
        else:
            lines.append("".join(current))
            current = []
    lines.append("".join(current))
    return [text for line in lines if (text := line.strip())]


def _row_cells(tr: etree._Element) -> tuple[str, ...]:
    """Each <w:tc> once; a vertically merged continuation cell is "" rather than a copy of the text above."""
    cells = []
    for tc in _ROW_CELLS(tr):
        if _HAS_V_MERGE(tc) and _V_MERGE(tc) in ("", "continue"):
            cells.append("")
            continue
        parts = [(node.text or "") if node.tag == _T else " " if node.tag == _TAB else "" for node in _RUN_CONTENT(tc)]
        cells.append("".join(parts).strip())
    return tuple(cells)
