"""PDF reports through PDFium: one Paragraph per text line, pages in order.

Many county and department reports are PDF attachments, and some are scans without a text layer.
Deterministic parsing cannot read those (OCR is out of scope, format.md §6.2), so a PDF whose pages
carry almost no text is refused as ``tables_missing_or_image`` instead of yielding an empty report.
"""
from __future__ import annotations

import re

import pypdfium2 as pdfium

from gxnlp.document import Document, Paragraph
from gxnlp.errors import GxnlpError

# Below this many non-space characters per page on average the PDF is a scan (a text page has hundreds).
_MIN_CHARS_PER_PAGE = 20
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufffe\uffff]")


def read(data: bytes, source: str) -> Document:
    """Read a ``.pdf`` report; encrypted → ``encrypted_pdf``, corrupt → ``unreadable_pdf``."""
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium.raw.FPDF_ERR_PASSWORD:
            raise GxnlpError("encrypted_pdf", "the PDF is password-protected") from None
        raise GxnlpError("unreadable_pdf", f"PDFium cannot open the file: {exc}") from None
    try:
        pages = [_page_text(pdf, index) for index in range(len(pdf))]
    except pdfium.PdfiumError as exc:
        raise GxnlpError("unreadable_pdf", f"PDFium cannot read a page: {exc}") from None
    finally:
        pdf.close()
    if not pages:
        raise GxnlpError("unreadable_pdf", "the PDF has no pages")
    chars = sum(len("".join(text.split())) for text in pages)
    if chars < _MIN_CHARS_PER_PAGE * len(pages):
        raise GxnlpError(
            "tables_missing_or_image",
            f"{len(pages)} page(s) but only {chars} characters of text: a scan without a text layer",
        )
    blocks = [Paragraph(line) for text in pages for raw in text.splitlines() if (line := raw.strip())]
    return Document(source=source, format="pdf", blocks=blocks, pages=len(pages))


def _page_text(pdf: pdfium.PdfDocument, index: int) -> str:
    """The text layer of one page, without the control characters PDFium uses as markers."""
    page = pdf[index]
    try:
        textpage = page.get_textpage()
        try:
            return _CONTROL.sub("", textpage.get_text_range())
        finally:
            textpage.close()
    finally:
        page.close()
