"""PDF reports through PDFium: one Paragraph per text line, pages in order; scanned pages through OCR.

Many county and department reports are PDF attachments, and some are scans without a text layer. A page
whose text layer holds almost nothing is rendered at ``OCR_DPI`` and read by :mod:`gxnlp.ocr`, so a scanned
report, or a text report with scanned table pages, yields the same blocks as a text one, with confidences.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pypdfium2 as pdfium

from gxnlp.document import Block, Document, OcrInfo, Paragraph
from gxnlp.errors import GxnlpError

if TYPE_CHECKING:  # numpy comes with OCR; text PDFs (and `gxnlp parse` start-up) do without it
    import numpy as np

# Below this many non-space characters a page is a scan (a text page has hundreds; a scan may carry a
# stray page number or a scanner's watermark in its text layer).
MIN_TEXT_CHARS = 20
OCR_DPI = 150
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
        if len(pdf) == 0:
            raise GxnlpError("unreadable_pdf", "the PDF has no pages")
        texts = [_page_text(pdf, index) for index in range(len(pdf))]
        scanned = [i for i, text in enumerate(texts) if len("".join(text.split())) < MIN_TEXT_CHARS]
        pages: list[list[Block]] = [[Paragraph(line) for raw in text.splitlines() if (line := raw.strip())]
                                    for text in texts]
        ocr = None
        if scanned:
            from gxnlp.ocr import ENGINE_NAME, read_pages

            skews = []
            for index, result in zip(scanned, read_pages(_renders(pdf, scanned))):
                pages[index] = result.blocks
                skews.append(round(result.skew, 2))
            ocr = OcrInfo(ENGINE_NAME, tuple(i + 1 for i in scanned), OCR_DPI, tuple(skews))
    except pdfium.PdfiumError as exc:
        raise GxnlpError("unreadable_pdf", f"PDFium cannot read a page: {exc}") from None
    finally:
        pdf.close()
    if not any(pages):
        raise GxnlpError("no_text", f"{len(texts)} page(s) with no text layer and nothing OCR could read (blank scans?)")
    return Document(source=source, format="pdf", blocks=[b for page in pages for b in page], pages=len(texts), ocr=ocr)


def _renders(pdf: pdfium.PdfDocument, indices: list[int]) -> Iterator[np.ndarray]:
    """Pages as RGB arrays at ``OCR_DPI``, one at a time (PDFium is not thread-safe: render here, OCR in threads)."""
    import numpy as np

    for index in indices:
        page = pdf[index]
        try:
            yield np.asarray(page.render(scale=OCR_DPI / 72, grayscale=False).to_pil().convert("RGB"))
        finally:
            page.close()


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
