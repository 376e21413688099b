"""Deterministic normalisation of labels and cell values (format.md §10).

Labels are compared after NFKC with whitespace and punctuation removed; values keep a semantic tag
next to the number so that a blank, a dash and a printed zero stay distinguishable downstream.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_SPACE_RE = re.compile(r"[\s\u00a0\u3000\u2000-\u200a]+")
# Punctuation that label variants disagree on: 、 vs ， , straight vs curly quotes, brackets.
_LABEL_PUNCT_RE = re.compile(r"[\s\u00a0\u3000\u2000-\u200b、，,。.．:：;；“”\"'‘’「」()（）\[\]【】《》<>〈〉*※|\-—–－_/／]+")
_DASHES = {"-", "—", "–", "－", "——", "--", "/", "／", "\\", "×", "\u2212"}
_TEXT_NONE = {"无", "暂无", "/无", "零"}
_NUMBER_RE = re.compile(
    r"^(?P<sign>[+\-−－]|减少?|增加?)?(?P<num>\d+(?:\.\d+)?)(?P<unit>万元|亿元|元|件|个|项|条|次|人)?$"
)
_THOUSANDS_RE = re.compile(r"(?<=\d)[,，](?=\d{3}(?!\d))")
_FOOTNOTE_RE = re.compile(r"[*※①②③④⑤]|注\d")


def nfkc(text: str) -> str:
    """NFKC without zero-width characters: full-width digits and brackets become ASCII."""
    return unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH)


def squash(text: str) -> str:
    """NFKC with every Unicode space removed (NBSP, U+3000 included)."""
    return _SPACE_RE.sub("", nfkc(text))


_CACHED_LENGTH = 256  # labels and cells recur across reports and are cached; whole texts are not kept


def label_key(text: str) -> str:
    """A label reduced to what identifies it: no spaces, no punctuation, no brackets."""
    return _label_key_cached(text) if len(text) <= _CACHED_LENGTH else _label_key(text)


def _label_key(text: str) -> str:
    return _LABEL_PUNCT_RE.sub("", nfkc(text))


_label_key_cached = lru_cache(maxsize=65536)(_label_key)


@dataclass(frozen=True)
class Value:
    """One table cell read as a value.

    ``semantic`` is one of NUMERIC, ZERO, EMPTY, DASH, SLASH, TEXT_NONE, TEXT (format.md §10.4).
    ``unit`` is the unit printed inside the cell, if any (万元, 元, 件 …).
    """

    raw: str
    number: float | int | None
    semantic: str
    unit: str | None = None

    @property
    def is_value(self) -> bool:
        return self.semantic != "TEXT"


@lru_cache(maxsize=65536)
def parse_value(raw: str) -> Value:
    """Read one cell. Non-numeric text gets semantic TEXT (a label, or a finding).

    Cached: the same cells ("0", "1", the official labels) recur in every report."""
    text = _FOOTNOTE_RE.sub("", squash(raw))
    if not text:
        return Value(raw, None, "EMPTY")
    if text in _DASHES or set(text) <= {"-", "—", "–", "－"}:
        return Value(raw, 0, "SLASH" if text in {"/", "／", "\\"} else "DASH")
    if text in _TEXT_NONE:
        return Value(raw, 0, "TEXT_NONE")
    text = _THOUSANDS_RE.sub("", text)
    match = _NUMBER_RE.match(text)
    if not match:
        return Value(raw, None, "TEXT")
    num_text = match["num"]
    number: float | int = float(num_text) if "." in num_text else int(num_text)
    sign = match["sign"] or ""
    if sign in {"-", "−", "－"} or sign.startswith("减"):
        number = -number
    semantic = "ZERO" if number == 0 else "NUMERIC"
    return Value(raw, number, semantic, match["unit"])
