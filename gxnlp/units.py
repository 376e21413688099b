"""Narrative units of sections 一, 五 and 六 and their type (themes.md §1 and §5).

Pure Python and regular expressions (no spaCy: ``gxnlp parse`` runs this on every report). The cue
lists live in ``data/units.json``; this module only applies them.

**Units** (themes.md §1). A section text is read as paragraphs. An *enumerated item* runs from its
marker (一是, （一）, 1. / 1、 / （1）, 第一, 首先…, ① …) to the next marker or the end of its
paragraph; all other text is split into *sentences* after 。！？ (a closing quote stays with its
sentence, and there is no split inside a quotation or before a quote that the sentence continues,
“…例外。”的原则; decimals such as 4567.8 and PM2.5 are never split, since ``.`` is not a
boundary). Decisions beyond the spec, all deliberate:

* units never overlap: an item that contains a nested enumeration ("2.推进教育卫生信息公开。一是…二是…")
  ends where the nested one starts, so the outer item keeps its lead text and each nested item is
  a unit of its own;
* an item also ends before a later sentence of it that opens a new block ("…兼职人员。为此，我们将
  采取以下措施加以改进。"): that sentence and what follows are sentence units;
* sub-head lines with no sentence of their own (（一）主动公开方面, 1.加强组织领导，健全工作机制, a
  short unpunctuated line) are structure: they go into ``heading_path`` of the units that follow
  until a sub-head of the same or a higher level. A flattened page's inline sub-head ("（一）主动公开方面
  平潭…", the title followed by a space) and a marker with a block title and a colon ("（一）存在的主要
  问题：…", "（二）改进措施：一是…") are sub-heads too. A title-only line of an inline family ("三是提高
  解读效能。" alone on its line) is not a sub-head: the item takes the next paragraph as its body;
* in section 五, a sentence that introduces a list with a colon and separates its items with ；
  ("但仍存在一些不足，如：A；B；C。") is split into its lead and one unit per clause (marker "；");
* PDF text wraps lines inside sentences: a line break is *soft* (joined) unless the line ends a
  sentence or clause (。！？；：), is short (a heading or the last line of a paragraph), or the next line
  starts with a marker. Page-number lines (- 2 -, — 7 —) and signature dates are dropped.

**Offsets.** ``start`` and ``end`` index ``section.text`` (the body as ``Section.text`` holds it),
and ``section_text[start:end]`` is the unit's source span, trimmed of surrounding whitespace.
``text`` is that span with what the reading removed taken out: soft line breaks with the spaces
around them, page-number lines, and the paragraph break between a title-only item line and its body.
Where the span holds no line break (every HTML and most text reports), ``text ==
section_text[start:end]`` exactly.

**Types** (themes.md §5.1). In section 五, block openers (存在的主要问题…, 下一步 / 为此 / 将采取以下措施,
上年度问题整改情况), in a sentence or a sub-head, set the type of the units that follow until the
next opener (an open measure block goes back to problems only on a strong opener such as 仍存在); an
opener that names nothing concrete ("…但仍存在一些不足：", "2023年，我区将采取以下措施加以改进。") is
``other``, one that goes on to name the problems ("…仍存在一些不足，主要是：个别部门…") takes the
block's type. Within a block the block decides, whatever words a unit contains. Outside any
block the sentence markers decide: problem markers win over measure markers (有待加强 contains 加强),
unless the unit starts as a plan (下一步, 20XX年…将). Rectification cues (上年度…问题…整改, 已整改…) win
everywhere in section 五. Legal basis, boilerplate and transitions are ``other``. Section 一 units
are measures (``done``) or ``other``; section 六 units are measures (an action, a figure, or a
statement about the information processing fee, as the project's labels have it) or ``other``
(nothing to report, closing words). Measures carry a
tense: ``planned`` in section 五, ``done`` in 一 and 六 unless the unit starts as a plan.
Problems carry ``specificity`` (§5.2, :func:`problem_specificity`).
"""
from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .normalise import nfkc

KINDS = ("measure", "problem", "rectification", "other")
UNIT_SECTIONS = ("s1", "s5", "s6")
_DATA = Path(__file__).parent / "data" / "units.json"
_SPACE = " \t\r\n\u3000\u00a0"


@dataclass(frozen=True)
class Unit:
    """One unit of a section: a sentence or an enumerated item, with its type.

    ``start``/``end`` are offsets into the section text (see the module doc for ``text``);
    ``heading_path`` the sub-heads above it, outermost first; ``tense`` ``"done"`` or ``"planned"``
    for measures, else None; ``marker`` the enumeration marker as printed (一是, （一）, 1., "；" for a
    clause of a colon list), None for a sentence; ``specificity`` the §5.2 score of a problem.
    """

    section: str
    kind: str
    text: str
    start: int
    end: int
    heading_path: tuple[str, ...] = ()
    tense: str | None = None
    marker: str | None = None
    specificity: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The unit as it appears in ``gxnlp parse --json`` (schema.md §1)."""
        return {
            "section": self.section,
            "kind": self.kind,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "heading_path": list(self.heading_path),
            "tense": self.tense,
            "specificity": self.specificity,
        }


# --------------------------------------------------------------------------------------------
# The rules, compiled once

# Cue form of a text: full-width digits and Latin letters become ASCII, ASCII punctuation becomes
# the full-width Chinese form the cue lists are written in (NFKC would do the opposite and turn
# every ， into , so that [^，。] classes stop at nothing). "." is kept: it is a decimal point.
_CUE_FORM = {**{0xFF10 + i: 0x30 + i for i in range(10)}, **{0xFF21 + i: 0x41 + i for i in range(26)},
             **{0xFF41 + i: 0x61 + i for i in range(26)}, **{ord(a): ord(b) for a, b in zip(",;:()!?", "，；：（）！？")},
             0xFF0E: 0x2E, 0x3000: 0x20, 0xA0: 0x20}


_CUE_CHARS = re.compile("[" + re.escape("".join(map(chr, _CUE_FORM))) + "]")


def cue_form(text: str) -> str:
    """The form the cue rules of data/units.json are matched on (same length as ``text``)."""
    return _CUE_CHARS.sub(_cue_char, text)


def _cue_char(match: re.Match[str]) -> str:
    return chr(_CUE_FORM[ord(match.group(0))])



def _alt(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def _top_level(pattern: str) -> list[str]:
    """The top-level alternatives of a pattern (split at | outside groups and classes)."""
    parts, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if pattern[i + 1:i + 2] == "]":
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


_META = set("\\.^$*+?{}[]()|")


def _distribute(pattern: str, limit: int = 64) -> list[str]:
    """Equivalent alternatives that start with a literal where the pattern starts with a group of
    literal alternatives: "(认真|切实)?解决" → ["认真解决", "切实解决", "解决"]."""
    if not pattern.startswith("(") or (pattern.startswith("(?") and not pattern.startswith("(?:")):
        return [pattern]
    depth, i = 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            return [pattern]  # a class inside the group: leave it
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0:
            break
        i += 1
    inner = pattern[3 if pattern.startswith("(?:") else 1:i]
    rest = pattern[i + 1:]
    options = inner.split("|")
    if any(ch in _META for option in options for ch in option):
        return [pattern]
    optional = rest.startswith("?") and not rest.startswith("??")
    if optional:
        rest = rest[1:]
    elif rest[:1] in ("*", "+", "{", "?"):
        return [pattern]
    out = [option + rest for option in options] + (_distribute(rest, limit) if optional else [])
    return out if len(out) <= limit else [pattern]


def _starts_with_literal(pattern: str) -> bool:
    from re import _parser  # the parse tree tells what the pattern starts with

    parsed = _parser.parse(pattern)
    return bool(parsed.data) and parsed.data[0][0] is _parser.LITERAL


class _AnyOf:
    """A cue list compiled for speed. Python's re scans fast for a pattern whose alternatives all
    start with a literal character (it skips positions by a character set), but not for a big
    alternation whose alternatives start with groups: those are kept as separate patterns, and the
    literal-led ones are joined into one."""

    def __init__(self, patterns: list[str]) -> None:
        alternatives = [d for p in patterns for alt in _top_level(p) for d in _distribute(alt)]
        literal = [alt for alt in alternatives if _starts_with_literal(alt)]
        anchored = [alt[1:] for alt in alternatives if alt.startswith("^") and not _starts_with_literal(alt)]
        other = [alt for alt in alternatives if not alt.startswith("^") and not _starts_with_literal(alt)]
        self.patterns = ([re.compile("|".join(literal))] if literal else []) + [re.compile(alt) for alt in other]
        # anchored alternatives are tried at the start only (one pattern, ``match``)
        self.anchored = re.compile("|".join(f"(?:{alt})" for alt in anchored)) if anchored else None

    def search(self, text: str) -> re.Match[str] | None:
        if self.anchored is not None:
            match = self.anchored.match(text)
            if match:
                return match
        for pattern in self.patterns:
            match = pattern.search(text)
            if match:
                return match
        return None

    def sub(self, repl: str, text: str) -> str:
        if self.anchored is not None:
            text = self.anchored.sub(lambda m: repl * len(m.group(0)), text, count=1)
        for pattern in self.patterns:
            text = pattern.sub(lambda m: repl * len(m.group(0)), text)
        return text


@lru_cache(maxsize=1)
def rules() -> dict[str, Any]:
    """data/units.json, parsed once."""
    return json.loads(_DATA.read_text(encoding="utf-8"))


class _Compiled:
    def __init__(self, data: dict[str, Any]) -> None:
        markers = data["markers"]
        families: dict[str, str] = markers["families"]
        self.inline_families = frozenset(markers["inline"])
        boundary = markers["boundary"]
        inline = "|".join(f"(?P<{name}>{pattern})" for name, pattern in families.items() if name not in markers["line_start_only"])
        # Inside a paragraph a marker follows a boundary character; matching that character first
        # (a character set) lets the engine skip the other positions fast. At the start of a
        # paragraph every family counts (``marker_at_start``).
        self.marker = re.compile(f"{boundary}(?:{inline})")
        self.marker_at_start = re.compile("|".join(
            f"(?P<{name}>{pattern})" for name, pattern in families.items()))
        structure = data["structure"]
        self.max_title = int(structure["max_title_chars"])
        self.max_plain_heading = int(structure["max_plain_heading_chars"])
        self.title_punct = re.compile(structure["title_punct"])
        self.any_punct = re.compile(structure["any_punct"])
        self.drop_line = re.compile(structure["drop_lines"] + "|" + structure["date_line"])
        self.paragraph_end = re.compile(structure["paragraph_end"])
        self.sentence_end = re.compile(structure["sentence_end"])
        self.colon_list_min = int(structure["colon_list_min_items"])

        pbo = data["problem_block_openers"]
        self.problem_opener = _AnyOf(pbo["spec"] + pbo["extension"])
        self.problem_opener_strong = _AnyOf(pbo["strong"])
        pm = data["problem_markers"]
        self.problem_marker = _AnyOf(pm["spec"] + pm["extension"])
        self.problem_not = _AnyOf(pm["not"])
        mbo = data["measure_block_openers"]
        self.measure_opener = _AnyOf(mbo["spec"] + mbo["extension"])
        mm = data["measure_markers"]
        self.measure_marker = _AnyOf(mm["spec"] + mm["extension"])
        self.imperative = re.compile(mm["imperative"])
        self.object_phrase = re.compile(mm["object_phrase"])
        rect = data["rectification"]
        self.rect_cue = _AnyOf(rect["spec"] + rect["extension"])
        self.rect_opener = _AnyOf(rect["openers"])
        other = data["other"]
        self.other_always = _AnyOf(other["legal_basis"] + other["nothing_to_report"])
        self.nothing_to_report = _AnyOf(other["nothing_to_report"])
        self.other_free = _AnyOf(other["transition"] + other["generic_opener"])
        self.boilerplate = _AnyOf(other["boilerplate"])
        self.planned_cue = _AnyOf(data["planned"]["cues"])
        self.s6_measure = _AnyOf(data["section_six"]["measure"])
        self.planned_start = re.compile(data["planned"]["start"])
        spec = data["specificity"]
        self.number = re.compile(spec["number"])
        self.channel = _AnyOf(spec["named_channel"])
        self.office = _AnyOf(spec["named_office"])
        self.stock = _alt(spec["stock_phrases"]["spec"] + spec["stock_phrases"]["variants"])
        self.digit = re.compile(r"[0-9]")
        self.figure = re.compile(r"(?<![0-9])(?![12][0-9]{3}\s*年)[0-9]")


@lru_cache(maxsize=1)
def _rules() -> _Compiled:
    return _Compiled(rules())


# --------------------------------------------------------------------------------------------
# Reading: lines → paragraphs (the "view"), with a map back to section offsets


def _width(line: str) -> int:
    """Printed width: 1 for ASCII, 2 for the rest (CJK characters and punctuation)."""
    return 2 * len(line) - len(line.encode("ascii", "ignore"))


class _View:
    """The section text with soft line breaks and dropped lines removed; maps offsets back."""

    def __init__(self, text: str, rules_: _Compiled, wrap: int | None = None) -> None:
        self.source = text
        removed = self._removals(text, rules_, wrap) if "\n" in text else []
        if not removed:
            self.text = text
            self._starts: list[int] | None = None
            return
        pieces, pos = [], 0
        for start, end in removed:
            if start > pos:
                pieces.append((pos, start))
            pos = max(pos, end)
        if pos < len(text):
            pieces.append((pos, len(text)))
        self._starts, self._origins, chunks, total = [], [], [], 0
        for start, end in pieces:
            self._starts.append(total)
            self._origins.append(start)
            chunks.append(text[start:end])
            total += end - start
        self.text = "".join(chunks)

    def origin(self, index: int) -> int:
        """Offset in the section text of the view character at ``index``."""
        if self._starts is None:
            return index
        i = bisect_right(self._starts, index) - 1
        return self._origins[i] + index - self._starts[i]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Section offsets of the view span [start, end) (end exclusive, non-empty span)."""
        return self.origin(start), self.origin(end - 1) + 1

    @staticmethod
    def _removals(text: str, r: _Compiled, wrap: int | None) -> list[tuple[int, int]]:
        lines: list[tuple[int, int]] = []
        pos = 0
        for match in re.finditer("\n", text):
            lines.append((pos, match.start()))
            pos = match.end()
        lines.append((pos, len(text)))
        kinds = []
        for start, end in lines:
            line = text[start:end]
            if not line.strip(_SPACE):
                kinds.append("blank")
            elif r.drop_line.match(line):
                kinds.append("drop")
            else:
                kinds.append("text")
        texts = [text[s:e].strip(_SPACE) for s, e in lines]
        wrap_width = _wrap_width([t for t, k in zip(texts, kinds) if k == "text"], r) if wrap is None else wrap
        removed: list[tuple[int, int]] = []
        previous = None  # index of the last text line, if no blank line since
        for i, kind in enumerate(kinds):
            start, end = lines[i]
            if kind == "drop":
                removed.append((start, min(end + 1, len(text))))
                continue
            if kind == "blank":
                previous = None
                continue
            if previous is not None and _soft_break(texts[previous], texts[i], wrap_width, r):
                a_start, a_end = lines[previous]
                a_content_end = a_start + len(text[a_start:a_end].rstrip(_SPACE))
                b_content_start = start + len(text[start:end]) - len(text[start:end].lstrip(_SPACE))
                removed.append((a_content_end, b_content_start))
            previous = i
        removed.sort()
        return removed


def _wrap_width(lines: list[str], r: _Compiled) -> int:
    """Width (CJK = 2) at which hard-wrapped text (PDF) breaks its lines, or 0 if it does not:
    many lines end mid-sentence at nearly the same width."""
    open_widths = sorted(_width(t) for t in lines if not r.paragraph_end.search(t))
    if len(open_widths) < 3:
        return 0
    median = open_widths[len(open_widths) // 2]
    close = sum(abs(w - median) <= 4 for w in open_widths)
    return median if median >= 36 and close >= 3 and close >= 0.3 * len(lines) else 0


def wrap_width(text: str) -> int:
    """The line width of hard-wrapped text (see ``segment``), 0 for text that is not wrapped."""
    r = _rules()
    lines = [t for t in (line.strip(_SPACE) for line in text.split("\n")) if t and not r.drop_line.match(t)]
    return _wrap_width(lines, r)


_OPENERS, _CLOSERS = "《“（(「", "》”）)」"
_CONTINUATION = tuple("，,。、；;：:！？!?》”’）)」』")


def _soft_break(line: str, following: str, wrap_width: int, r: _Compiled) -> bool:
    """Whether the break between two text lines is a wrap inside a paragraph."""
    if following.startswith(_CONTINUATION):
        return True
    if r.paragraph_end.search(line) or r.marker_at_start.match(following):
        return False
    if wrap_width:
        if _width(line) >= wrap_width - 8:  # a first line is indented by two characters
            return True
    elif len(line) > r.max_title + 10:
        return True
    return any(line.count(a) > line.count(b) for a, b in zip(_OPENERS, _CLOSERS))


# --------------------------------------------------------------------------------------------
# Segmentation


@dataclass
class _Piece:
    """A unit before typing (view offsets) or a sub-head."""

    start: int
    end: int
    marker: str | None = None
    family: str | None = None
    item: bool = False
    heading: bool = False
    text: str = ""


def _paragraphs(view: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for part in view.split("\n"):
        start, end = pos, pos + len(part)
        pos = end + 1
        lstrip = len(part) - len(part.lstrip(_SPACE))
        rstrip = len(part) - len(part.rstrip(_SPACE))
        if end - rstrip > start + lstrip:
            out.append((start + lstrip, end - rstrip))
    return out


def _markers(view: str, start: int, end: int, r: _Compiled) -> list[tuple[int, int, str]]:
    """(start, end, family) of the enumeration markers in the paragraph view[start:end]."""
    found = []
    first = r.marker_at_start.match(view, start, end)
    if first is not None and first.lastgroup:
        found.append((first.start(), first.end(), first.lastgroup))
        start = first.end()
    for match in r.marker.finditer(view, start, end):
        family = match.lastgroup
        if family is not None:
            found.append((match.start(family), match.end(family), family))
    return found


def _trim(view: str, start: int, end: int) -> tuple[int, int]:
    while start < end and view[start] in _SPACE:
        start += 1
    while end > start and view[end - 1] in _SPACE:
        end -= 1
    return start, end


_MAX_QUOTED = 400
_QUOTE_CLOSERS = frozenset("”’」』")
_QUOTE_CONTINUES = frozenset("的等之和与及，、；：）)")


def _sentences(view: str, start: int, end: int, r: _Compiled) -> list[tuple[int, int]]:
    """Sentences of view[start:end], split after 。！？ outside quotes (trimmed, non-empty)."""
    out, pos = [], start
    for match in r.sentence_end.finditer(view, start, end):
        chunk = view[pos:match.end()]
        if len(chunk) < _MAX_QUOTED and ("“" in chunk or "「" in chunk) and (
                chunk.count("“") > chunk.count("”") or chunk.count("「") > chunk.count("」")):
            continue  # inside a quotation (an unclosed quote stops counting after _MAX_QUOTED chars)
        if view[match.end() - 1] in _QUOTE_CLOSERS and view[match.end():match.end() + 1] in _QUOTE_CONTINUES:
            continue  # “…例外。”的原则: the quotation ends inside the sentence
        s, e = _trim(view, pos, match.end())
        if e > s:
            out.append((s, e))
        pos = match.end()
    s, e = _trim(view, pos, end)
    if e > s and r.any_punct.sub("", view[s:e]).strip(_SPACE):
        out.append((s, e))
    elif e > s and out:
        out[-1] = (out[-1][0], e)
    return out


def _heading_title(view: str, start: int, end: int, r: _Compiled) -> bool:
    """Whether view[start:end] (after a marker) is a short title with no sentence of its own."""
    title = view[start:end].strip(_SPACE)
    if not title or len(title) > r.max_title:
        return False
    return not r.title_punct.search(title[:-1])


def _block_title(title: str, r: _Compiled) -> bool:
    text = cue_form(title)
    return bool(r.problem_opener.search(text) or r.measure_opener.search(text) or r.rect_opener.search(text))


def _is_breaker(sentence: str, r: _Compiled) -> bool:
    """A later sentence of an item that opens a new block, so it ends the item: a measure or
    rectification opener near its start, or a problem opener that names nothing concrete."""
    text = cue_form(sentence)
    head = text[:24]
    if r.measure_opener.search(head) or r.rect_opener.search(head):
        return True
    return bool(r.problem_opener_strong.search(head) and r.other_free.search(text))


def _pieces(view: str, section: str, r: _Compiled) -> list[_Piece]:
    paragraphs = _paragraphs(view)
    pieces: list[_Piece] = []
    absorbed: set[int] = set()

    def starts_with_marker(index: int) -> tuple[int, int, str] | None:
        if index >= len(paragraphs):
            return None
        match = r.marker_at_start.match(view, paragraphs[index][0])
        return (match.start(), match.end(), match.lastgroup) if match and match.lastgroup else None

    def plain_heading(index: int) -> bool:
        p_start, p_end = paragraphs[index]
        text = view[p_start:p_end]
        return len(text) <= r.max_plain_heading and not r.any_punct.search(text) and starts_with_marker(index) is None

    for index, (p_start, p_end) in enumerate(paragraphs):
        if index in absorbed:
            continue
        last = index == len(paragraphs) - 1
        markers = _markers(view, p_start, p_end, r)
        if markers and markers[0][0] == p_start:
            m_start, m_end, family = markers[0]
            following = starts_with_marker(index + 1)
            if family not in r.inline_families:
                if len(markers) == 1 and not last and _heading_title(view, m_end, p_end, r) and (following is None or following[2] != family):
                    pieces.append(_Piece(p_start, p_end, view[m_start:m_end], family, heading=True))
                    continue
            elif len(markers) == 1 and not last and following is None and _heading_title(view, m_end, p_end, r) \
                    and not plain_heading(index + 1):
                # 三是提高解读效能。 alone on its line: the next paragraph is the item's body
                n_start, n_end = paragraphs[index + 1]
                first = _sentences(view, n_start, n_end, r)
                if first and not _is_breaker(view[first[0][0]:first[0][1]], r):
                    absorbed.add(index + 1)
                    pieces.extend(_item(view, m_start, m_end, family, n_end, r, joined=True))
                    continue
        elif not markers and plain_heading(index):
            if not last:
                pieces.append(_Piece(p_start, p_end, heading=True))
                continue
            if any(not p.heading for p in pieces):
                continue  # a signature line at the end
        lead_end = markers[0][0] if markers else p_end
        pieces.extend(_plain(view, p_start, lead_end, section, r))
        for i, (m_start, m_end, family) in enumerate(markers):
            item_end = markers[i + 1][0] if i + 1 < len(markers) else p_end
            title_end = _inline_heading(view, m_end, item_end, p_end, family, r)
            if title_end is not None:
                pieces.append(_Piece(m_start, title_end, view[m_start:m_end], family, heading=True))
                pieces.extend(_plain(view, title_end, item_end, section, r))
            else:
                pieces.extend(_item(view, m_start, m_end, family, item_end, r))
    return pieces


_INLINE_TITLE = re.compile(r"[ \u3000\u00a0]*([^0-9，,。；;：:、！？!?\s]{2,20})(?:[ \u3000\u00a0]+(?=\S)|(?P<colon>[：:]))")


def _inline_heading(view: str, m_end: int, end: int, p_end: int, family: str, r: _Compiled) -> int | None:
    """End of a sub-head title that a marker starts inside a paragraph, or None.

    A flattened page prints "（一）主动公开方面 平潭…" (title, then a space); a block title may end
    with a colon ("（一）存在的主要问题：…", "（二）改进措施：一是…"). Inline families never do.
    """
    if family in r.inline_families:
        return None
    match = _INLINE_TITLE.match(view, m_end, p_end)
    if match is None or match.end() > end or match.end() >= p_end:
        return None
    if match.group("colon") and not _block_title(match.group(1), r):
        return None
    return match.end(1) + (1 if match.group("colon") else 0)


def _plain(view: str, start: int, end: int, section: str, r: _Compiled) -> list[_Piece]:
    """Sentence units of non-item text; in section 五 a colon list is split at ；."""
    out = []
    for s, e in _sentences(view, start, end, r):
        if section == "s5":
            split = _colon_list(view, s, e, r)
            if split:
                out.extend(split)
                continue
        out.append(_Piece(s, e))
    return out


def _colon_list(view: str, start: int, end: int, r: _Compiled) -> list[_Piece] | None:
    sentence = view[start:end]
    colon = max(sentence.rfind("："), sentence.rfind(":"))
    if colon < 0:
        return None
    body = sentence[colon + 1:]
    clauses = [c for c in re.split(r"(?<=[；;])", body) if c.strip(_SPACE)]
    if len(clauses) < r.colon_list_min or any(len(c.strip(_SPACE)) < 4 for c in clauses):
        return None
    out = [_Piece(start, start + colon + 1)]
    pos = start + colon + 1
    for clause in clauses:
        s, e = _trim(view, pos, pos + len(clause))
        out.append(_Piece(s, e, marker="；", family="semicolon", item=True))
        pos += len(clause)
    return out


def _item(view: str, m_start: int, m_end: int, family: str, end: int, r: _Compiled, joined: bool = False) -> list[_Piece]:
    """An enumerated item, cut before a later sentence of it that opens a new block."""
    sentences = _sentences(view, m_start, end, r)
    cut = next((i for i in range(1, len(sentences)) if _is_breaker(view[sentences[i][0]:sentences[i][1]], r)), None)
    item_end = sentences[cut - 1][1] if cut else _trim(view, m_start, end)[1]
    text = re.sub(r"[ \t\u3000\u00a0]*\n[ \t\u3000\u00a0\n]*", "", view[m_start:item_end]) if joined else ""
    pieces = [_Piece(m_start, item_end, view[m_start:m_end], family, item=True, text=text)]
    if cut:
        pieces.extend(_Piece(s, e) for s, e in sentences[cut:])
    return pieces


# --------------------------------------------------------------------------------------------
# Typing


def _has_problem_marker(text: str, r: _Compiled) -> bool:
    if r.imperative.match(text):
        text = r.object_phrase.sub("□", text)
    return bool(r.problem_marker.search(r.problem_not.sub("□", text)))


def _is_other(text: str, item: bool, r: _Compiled, *, free_checked: bool = False) -> bool:
    if r.other_always.search(text):
        return True
    if item:
        return False
    if not free_checked and r.other_free.search(text):
        return True
    return not r.figure.search(text) and bool(r.boilerplate.search(text))


def _strip_marker(text: str, r: _Compiled) -> str:
    match = r.marker_at_start.match(text.lstrip(_SPACE))
    return text.lstrip(_SPACE)[match.end():].lstrip(_SPACE + "，,：:") if match else text


def classify(text: str, section: str = "s5", block: str | None = None, *, item: bool | None = None) -> tuple[str, str | None]:
    """``(kind, tense)`` of one unit text by the cue rules (themes.md §5.1).

    ``block`` is the type set by the last block opener (``"problem"``, ``"measure"``,
    ``"rectification"`` or None outside any block: then the sentence markers decide). ``item``
    says whether the unit is an enumerated item (default: it starts with a marker); the
    boilerplate and transition rules apply to sentences only.
    """
    r = _rules()
    norm = cue_form(text)
    if item is None:
        item = bool(r.marker_at_start.match(norm.lstrip(_SPACE)))
    return _kind(_strip_marker(norm, r), section, block, item, r)


def _kind(body: str, section: str, block: str | None, item: bool, r: _Compiled) -> tuple[str, str | None]:
    """``classify`` on a unit in cue form without its marker."""
    if (not item and r.other_free.search(body)) or r.nothing_to_report.search(body):
        return "other", None
    if section == "s5" and r.rect_cue.search(body):
        return "rectification", None
    if _is_other(body, item, r, free_checked=True):
        return "other", None
    if section != "s5":
        if section == "s6" and not (r.measure_marker.search(body) or r.figure.search(body) or r.s6_measure.search(body)):
            return "other", None
        return "measure", "planned" if r.planned_start.search(body) else "done"
    if block == "problem":
        return "problem", None
    if block == "measure":
        return "measure", "planned"
    if block == "rectification":
        return "rectification", None
    if r.planned_start.search(body):
        return "measure", "planned"
    if _has_problem_marker(body, r):
        return "problem", None
    return "measure", "planned"


def _opens(text: str, block: str | None, r: _Compiled) -> str | None:
    """The block a unit or sub-head opens, if any."""
    if r.rect_opener.search(text):
        return "rectification"
    if r.measure_opener.search(text):
        return "measure"
    if r.problem_opener.search(text) and (block in (None, "rectification") or r.problem_opener_strong.search(text)):
        return "problem"
    return None


def problem_specificity(text: str) -> int:
    """Problem-specificity score of themes.md §5.2.

    +1 for each of: a number (not a bare year, not the enumeration marker); a named column,
    platform or system (“…”专栏, 网站, 平台, 系统, 公众号…); a policy area (a keyword of a domain
    theme in themes.json, after its disambiguation rules); a named office or subordinate body
    (区住建局, 县政务服务中心…). −1 for each generic stock phrase (认识不到位, 重视程度不够…).
    """
    r = _rules()
    return _specificity(_strip_marker(cue_form(text), r), r)


def _specificity(body: str, r: _Compiled) -> int:
    score = 0
    if r.number.search(body):
        score += 1
    if r.channel.search(body):
        score += 1
    if _names_policy_area(nfkc(body)):
        score += 1
    if r.office.search(body):
        score += 1
    return score - len(r.stock.findall(body))


@lru_cache(maxsize=1)
def _domains() -> tuple[re.Pattern[str], dict[str, str], list[tuple[re.Pattern[str], frozenset[str], bool]]]:
    """The domain themes of themes.json: one pattern of all their keywords, keyword → theme, and
    the disambiguation rules as (pattern, domain themes masked, adds a domain theme)."""
    data = json.loads((Path(__file__).parent / "data" / "themes.json").read_text(encoding="utf-8"))
    domains = [t for t in data["themes"] if t.get("kind") == "domain"]
    ids = {t["id"] for t in domains}
    theme_of = {k: t["id"] for t in reversed(domains) for k in t["keywords"]}
    keywords = re.compile("|".join(re.escape(k) for k in sorted(theme_of, key=len, reverse=True)))
    rules_ = [(re.compile(r["match"]), frozenset(r.get("mask", [])) & ids, bool(set(r.get("add", [])) & ids)) for r in data["rules"]]
    return keywords, theme_of, rules_


def _names_policy_area(text: str) -> bool:
    """Whether ``text`` (NFKC) names a policy domain: a domain keyword not masked for its theme by
    a disambiguation rule (警示教育 is not education), or a rule that adds a domain theme."""
    keywords, theme_of, rules_ = _domains()
    hits = [(m.start(), m.end(), theme_of[m.group(0)]) for m in keywords.finditer(text)]
    masked: list[tuple[int, int, frozenset[str]]] = []
    for pattern, mask, adds in rules_:
        for match in pattern.finditer(text):
            if adds:
                return True
            if mask:
                masked.append((match.start(), match.end(), mask))
    return any(not any(s <= start and end <= e and theme in mask for s, e, mask in masked) for start, end, theme in hits)


def segment(section_key: str, text: str, *, wrap: int | None = None) -> list[Unit]:
    """The typed units of one section text (section key ``s1``…``s6``; typed as in themes.md §5).

    ``wrap`` is the line width of hard-wrapped (PDF) text, as :func:`wrap_width` gives it; by
    default it is guessed from this text alone (``report_units`` guesses it from all sections).
    """
    if not text or not text.strip(_SPACE):
        return []
    r = _rules()
    view = _View(text, r, wrap)
    pieces = _pieces(view.text, section_key, r)
    units: list[Unit] = []
    families: list[str] = []  # the open sub-heads: their marker families and titles
    path: tuple[str, ...] = ()
    block: str | None = None
    for piece in pieces:
        family = piece.family or ("plain" if piece.heading else None)
        if piece.heading:
            title = re.sub(r"\s+", " ", view.text[piece.start:piece.end]).strip().rstrip("：:，,。")
            if family in families:
                path = path[:families.index(family)]
                del families[families.index(family):]
            families.append(family)
            path = (*path, title)
            if section_key == "s5":
                block = _opens(cue_form(title), block, r) or block
            continue
        if family is not None and family in families:  # an item at the level of a sub-head ends it
            path = path[:families.index(family)]
            del families[families.index(family):]
        raw = piece.text or view.text[piece.start:piece.end]
        body = _strip_marker(cue_form(raw), r)
        kind, tense = None, None
        if section_key == "s5":
            opened = _opens(body, block, r) if not piece.item or len(body) <= 20 else None
            if opened:
                block = opened
                if r.rect_cue.search(body) and opened != "rectification":
                    kind = "rectification"
                elif _is_other(body, False, r):
                    kind = "other"
                else:
                    kind = opened
                    tense = "planned" if opened == "measure" else None
        if kind is None:
            kind, tense = _kind(body, section_key, block, piece.item, r)
        start, end = view.span(piece.start, piece.end)
        units.append(Unit(
            section=section_key, kind=kind, text=raw, start=start, end=end,
            heading_path=path, tense=tense, marker=piece.marker,
            specificity=_specificity(body, r) if kind == "problem" else None,
        ))
    return units


def report_units(sections: Mapping[str, Any]) -> list[Unit]:
    """Units of sections 一, 五 and 六 (``Report.sections``: key → ``Section``), in that order."""
    present = [(key, sections[key].text) for key in UNIT_SECTIONS if key in sections]
    wrap = wrap_width("\n".join(text for _, text in present))
    units: list[Unit] = []
    for key, text in present:
        units.extend(segment(key, text, wrap=wrap))
    return units
