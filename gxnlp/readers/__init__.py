"""Readers: one file of any supported format → a ``Document`` of paragraphs and tables in reading order.

``read`` is the only entry point. It refuses what no reader should touch (too large, empty, unknown
kind) before reading, and picks the reader from the extension corrected by the content: portals
serve PDFs under ``.html`` names and HTML error pages under ``.pdf`` names, and the magic bytes are
the truth. Every failure on a bad file is a ``GxnlpError`` with a schema.md code.
"""
from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from pathlib import Path

from gxnlp.document import Document
from gxnlp.errors import GxnlpError
from gxnlp.readers import docx, html, image, markdown, pdf, text

__all__ = ["DEFAULT_MAX_BYTES", "SUPPORTED_EXTENSIONS", "read", "sniff"]

DEFAULT_MAX_BYTES = 64 * 2**20

_BY_EXTENSION = {
    ".html": "html", ".htm": "html", ".shtml": "html", ".xhtml": "html",
    ".txt": "txt", ".text": "txt",
    ".md": "md", ".markdown": "md",
    ".docx": "docx",
    ".pdf": "pdf",
    ".png": "image", ".jpg": "image", ".jpeg": "image", ".tif": "image", ".tiff": "image",
}
_READERS: dict[str, Callable[[bytes, str], Document]] = {
    "html": html.read, "txt": text.read, "md": markdown.read, "docx": docx.read, "pdf": pdf.read,
    "image": image.read,
}
SUPPORTED_EXTENSIONS = frozenset(_BY_EXTENSION)

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc/.xls/.wps
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")  # PNG, JPEG, TIFF
_HTML_START = re.compile(rb"<(?:!doctype\s+html|html|head|body|meta|table|div)\b", re.I)


def read(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read one report file into a ``Document``; raise ``GxnlpError`` for a file that cannot be read."""
    source = os.fspath(path)
    file = Path(source)
    try:
        info = file.stat()
    except FileNotFoundError:
        raise GxnlpError("not_found", f"no such file: {source}") from None
    except OSError as exc:
        raise GxnlpError("unreadable_file", f"cannot access {source}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise GxnlpError("unreadable_file", f"not a regular file: {source}")
    if info.st_size > max_bytes:
        raise GxnlpError("too_large", f"{info.st_size} bytes exceeds the limit of {max_bytes}")
    try:
        with open(file, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise GxnlpError("unreadable_file", f"cannot read {source}: {exc.strerror or exc}") from None
    return read_bytes(data, source, max_bytes=max_bytes)


def read_bytes(data: bytes, source: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read a report held in memory; ``source`` names it, and its extension hints the format."""
    if len(data) > max_bytes:
        raise GxnlpError("too_large", f"more than {max_bytes} bytes")
    if not data:
        raise GxnlpError("empty_file", "the file is empty")
    suffix = Path(source).suffix.lower()
    by_extension = _BY_EXTENSION.get(suffix)
    if by_extension is None:
        raise GxnlpError(
            "unsupported_format",
            f"unsupported file type {suffix or '(no extension)'!r}; expected one of {sorted(_BY_EXTENSION)}",
        )
    return _READERS[sniff(data, by_extension)](data, source)


def sniff(data: bytes, by_extension: str) -> str:
    """The format of ``data``: magic bytes and an HTML start win over the extension's guess.

    Raises ``unsupported_format`` for a zip that is not a Word package and for legacy binary Office files.
    """
    head = data[:1024]
    if b"%PDF-" in head:  # the header may follow up to 1 KB of junk
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        if by_extension == "docx" or docx.is_word_package(data):
            return "docx"
        raise GxnlpError("unsupported_format", "a zip archive that is not a Word document (no word/document.xml)")
    if data.startswith(_IMAGE_MAGIC):
        return "image"
    if data.startswith(_OLE_MAGIC):
        raise GxnlpError("unsupported_format", "a legacy binary Office file (.doc/.wps); save it as .docx or PDF")
    if _HTML_START.match(head.removeprefix(b"\xef\xbb\xbf").lstrip()) or b"<html" in head.lower():
        return "html"
    return by_extension
