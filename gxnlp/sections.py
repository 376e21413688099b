"""Finds the six official sections (format.md §2) and the pre-2019 sections (§8.1).

Headings are matched by keyword, not by their numeral or order alone: real reports renumber them
(Shanghai prints table sections as 一/二/三), flatten them into one line, and table 3 contains row
labels (一、本年新收…) that look like headings. Among all candidates the splitter picks the
best-scoring sequence whose positions increase with the section order.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .grammar import grammar
from .normalise import squash

_NUMERALS = "一二三四五六七八九十"
_CANDIDATE_RE = re.compile(r"(?P<num>[一二三四五六七八九十]{1,2})[ \u3000]*[、.．，,][ \u3000]*")
# A heading normally starts a line or follows a space or a sentence end; flattened pages also glue
# it to the previous table cell ("…394432.52元三、收到和处理…"), accepted only for the right numeral.
_BOUNDARY = set("\n\t \u00a0\u3000。；;：:！!？?”」）)")
_OFFICIAL_TITLES = {
    "s1": "总体情况",
    "s2": "主动公开政府信息情况",
    "s3": "收到和处理政府信息公开申请情况",
    "s4": "行政复议",
    "s5": "存在的主要问题及改进情况",
    "s6": "其他需要报告的事项",
}


@dataclass(frozen=True)
class Section:
    """A section: its heading as printed and its body, with offsets into the document text."""

    key: str
    title: str
    text: str
    start: int  # offset of the heading
    body_start: int
    end: int


@dataclass(frozen=True)
class _Candidate:
    key: str
    title: str
    start: int
    body_start: int
    score: int


def _numeral_value(num: str) -> int:
    if len(num) == 1:
        return _NUMERALS.index(num) + 1
    if num[0] == "十":
        return 10 + _NUMERALS.index(num[1]) + 1
    return 0


def _title_at(text: str, pos: int, spec: dict, line_end: int) -> tuple[str, bool] | None:
    """The heading title starting at ``pos`` for one section spec and whether the title pattern
    matched (rather than a short keyword line), or None."""
    line = text[pos:line_end]
    match = re.match(spec["title"], line)
    if match:
        return match.group(0), True
    first = line.strip()
    if len(first) <= 40 and any(k in first for k in spec["keywords"]) and not re.search(r"[。；]", first):
        return first, False
    return None


def _candidates(text: str, specs: dict[str, dict], official: bool) -> list[_Candidate]:
    exclusions = grammar()["section_exclusions"]
    found: list[_Candidate] = []
    for match in _CANDIDATE_RE.finditer(text):
        pos = match.end()
        line_end = text.find("\n", pos)
        line_end = len(text) if line_end < 0 else min(line_end, pos + 80)
        head = squash(text[pos:pos + 20])
        if any(head.startswith(e) for e in exclusions):
            continue
        numeral = _numeral_value(match["num"])
        at_boundary = match.start() == 0 or text[match.start() - 1] in _BOUNDARY
        for index, (key, spec) in enumerate(specs.items(), start=1):
            found_title = _title_at(text, pos, spec, line_end)
            if found_title is None:
                continue
            title, by_pattern = found_title
            if not at_boundary and not (official and by_pattern and numeral == index):
                continue
            score = 10
            if official and numeral == index:
                score += 5
            if official and _OFFICIAL_TITLES[key] in squash(title):
                score += 3
            printed = text[match.start():pos] + title
            found.append(_Candidate(key, printed.strip(), match.start(), pos + len(title), score))
    return found


def _best_sequence(cands: list[_Candidate], order: list[str]) -> list[_Candidate]:
    """Highest-scoring choice of at most one candidate per section, increasing in position and order."""
    rank = {key: i for i, key in enumerate(order)}
    cands = sorted(cands, key=lambda c: (c.start, rank[c.key]))
    # best[i] = (score, chain) of the best chain ending with cands[i]
    best: list[tuple[int, list[_Candidate]]] = []
    for i, cand in enumerate(cands):
        top = (cand.score, [cand])
        for j in range(i):
            prev_score, chain = best[j]
            prev = chain[-1]
            if rank[prev.key] < rank[cand.key] and prev.body_start <= cand.start:
                if prev_score + cand.score > top[0]:
                    top = (prev_score + cand.score, chain + [cand])
        best.append(top)
    return max(best, key=lambda b: b[0])[1] if best else []


def split_sections(text: str, *, pre2019: bool = False) -> dict[str, Section]:
    """Sections of ``text``: keys s1–s6 (2019/2021 formats) or the pre-2019 names of grammar.json."""
    data = grammar()
    specs = data["pre2019"]["sections"] if pre2019 else data["sections"]
    if pre2019:
        specs = {k: {"keywords": v["keywords"], "title": "\\S{0,16}?(" + "|".join(v["keywords"]) + ")(\\S{0,24}?(情况|措施|事项|说明|统计表|附表))?"} for k, v in specs.items()}
    chosen = _best_sequence(_candidates(text, specs, official=not pre2019), list(specs))
    sections: dict[str, Section] = {}
    for i, cand in enumerate(chosen):
        end = chosen[i + 1].start if i + 1 < len(chosen) else len(text)
        body = text[cand.body_start:end].strip()
        sections[cand.key] = Section(cand.key, cand.title, body, cand.start, cand.body_start, end)
    return sections
