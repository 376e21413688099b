"""Bytes → text for the text-based formats (HTML, plain text, Markdown).

Chinese government files are UTF-8 or GBK/GB2312 (often mislabelled). GB18030 is a superset of both
GBK and GB2312, so it is the one legacy codec we decode with; but because it accepts most byte
sequences it is only used when something independent (a declared charset or charset-normalizer) says
the bytes are Chinese legacy text. Anything else is refused rather than decoded into mojibake.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer

from gxnlp.errors import GxnlpError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: its BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_GB_FAMILY = frozenset({"gb2312", "gbk", "gb18030", "cp936", "euc_cn"})
# <meta charset="gbk">, <meta http-equiv="Content-Type" content="text/html; charset=gb2312">,
# <?xml version="1.0" encoding="GBK"?>
_DECLARED = re.compile(rb"""(?:charset|encoding)\s*=\s*["']?\s*([A-Za-z0-9._:-]{2,40})""", re.I)
# A few stray bytes (a truncated multibyte character, one corrupt byte) are tolerated with a warning;
# more than this means the guess is wrong.
_BYTES_PER_TOLERATED_ERROR = 10_000


@dataclass(frozen=True)
class Decoded:
    """Decoded text, the codec used, and how many bad bytes became U+FFFD (0 for a clean decode)."""

    text: str
    encoding: str
    replaced: int = 0

    def warnings(self) -> list[str]:
        """Warnings a reader should attach to its Document."""
        if not self.replaced:
            return []
        return [f"{self.replaced} undecodable byte sequence(s) in {self.encoding} text replaced by U+FFFD"]


def declared_charset(data: bytes) -> str | None:
    """The charset a document declares near its start (HTML meta or XML declaration), if any."""
    match = _DECLARED.search(data[:4096])
    if not match:
        return None
    return _canonical(match.group(1).decode("ascii"))


def decode(data: bytes, *, declared: str | None = None) -> Decoded:
    """Decode ``data``: BOM, then strict UTF-8, then GB18030 when a declaration or charset-normalizer agrees.

    Raises ``GxnlpError('undecodable_text')`` when no candidate decodes (nearly) cleanly.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(codec), codec.removesuffix("-sig"))
            except UnicodeDecodeError as exc:
                raise GxnlpError("undecodable_text", f"byte-order mark says {codec} but: {exc}") from None
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    # A declaration is trusted only when it names the GB family: portals that declare latin-1 or
    # utf-8 over GBK bytes are common, and a latin-1 decode never fails, so it would hide them.
    agreed = (declared is not None and _canonical(declared) == "gb18030") or _detector_says_gb(data)
    if agreed:
        try:
            return Decoded(data.decode("gb18030"), "gb18030")
        except UnicodeDecodeError:
            pass
    # Nothing decodes strictly: accept a candidate if only a handful of bytes are bad.
    limit = 1 + len(data) // _BYTES_PER_TOLERATED_ERROR
    lenient = []
    for codec in ("gb18030", "utf-8") if agreed else ("utf-8",):
        text = data.decode(codec, errors="replace")
        lenient.append(Decoded(text, codec, text.count("\ufffd")))
    best = min(lenient, key=lambda decoded: decoded.replaced)
    if best.replaced <= limit:
        return best
    raise GxnlpError(
        "undecodable_text",
        "bytes are neither valid UTF-8 nor text that a declaration or charset detection identifies as GB18030/GBK",
    )


def _canonical(name: str) -> str:
    """Python codec name for a declared charset; the GB family collapses to its superset GB18030."""
    try:
        name = codecs.lookup(name).name
    except LookupError:
        return name.lower()
    return "gb18030" if name in _GB_FAMILY else name


def _detector_says_gb(data: bytes) -> bool:
    """Whether charset-normalizer lists a GB-family codec among its plausible readings of ``data``."""
    try:
        matches = charset_normalizer.from_bytes(data)
    except Exception:  # the detector is advisory; a crash in it must not fail the document
        return False
    return any(_canonical(match.encoding) == "gb18030" for match in matches)
