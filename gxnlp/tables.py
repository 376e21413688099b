"""The table grammar: from document blocks to the canonical cells of tables 2, 3 and 4.

Every format ends up as one stream of *groups*: the label text printed since the previous numbers,
followed by a run of value tokens (one table row's numbers, or a digit run from a flattened page).
The grammar aligns that stream with the official row order (data/grammar.json) by dynamic
programming: printed labels anchor rows, unlabelled number rows fill the gaps in order, and rows
the template does not know are kept aside. Values are then read per row, splitting digit runs
with no separators into every segmentation the identities allow; several survivors mean
``ambiguous``, never a silent guess (format.md §6).
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from .document import Block, Paragraph
from .grammar import grammar
from .normalise import Value, label_key, nfkc, parse_value

_MAX_SPLITS = 20000  # segmentations tried per row before giving up as ambiguous
_MAX_COMBINATIONS = 20000  # joint choices tried when identities must settle several rows
# Alignment scores: a printed label naming the row dominates; filling a row with an unlabelled
# number row beats leaving it empty; the label printed last breaks ties between two named rows.
_LABEL_SCORE, _FILL_SCORE, _RIGHTMOST_SCORE = 10, 3, 2
_CACHED_LABEL = 256  # longer labels (flattened pages) are not cached, so a batch's memory stays flat
_MIN_CORROBORATION = 2  # columns the narrative must confirm to settle a table-2 digit run
_NUM_RE = re.compile(r"\d+(?:\.\d+)?")
_SIGNED_NUM_RE = re.compile(r"(?:(?<=\d)[-−－]|(?<![\w\-−－])[-−－])?\d+(?:\.\d+)?")
_NARRATIVE_UNIT_RE = re.compile(r"\s*(?:[年月日件条个项次人%％倍家篇期场批户名座亩份])")
_MONEY_UNIT_RE = re.compile(r"\s*(万元|亿元|元)")
_ITEM_NO_RE = re.compile(r"[.、．](?=\s*[\u4e00-\u9fff“\"])")
_DASH_TOKEN_RE = re.compile(r"(?<!\S)[-—–－/／](?!\S)")
_FOOTER_RE = re.compile(r"^\s*(?:[-—–－]\s*\d{1,3}\s*[-—–－]|第\s*\d+\s*页(?:\s*[/，,]?\s*共\s*\d+\s*页)?|\d{1,3}\s*/\s*\d{1,3})\s*$")
T3_COLUMNS: list[str] = grammar()["t3"]["columns"]


@dataclass
class Token:
    """One printed value; ``splittable`` when it is a digit run that may hold several cells."""

    value: Value
    splittable: bool = False
    confidence: float | None = None  # OCR's score for the printed value; None when not read by OCR


@dataclass
class Group:
    """Label text printed since the previous numbers, then the numbers of one printed row."""

    label: str
    tokens: list[Token]
    index: int = 0

    @cached_property
    def key(self) -> str:
        return label_key(self.label)

    @cached_property
    def has_number(self) -> bool:
        return any(t.value.semantic in {"NUMERIC", "ZERO"} for t in self.tokens)


@dataclass(frozen=True)
class RowSpec:
    """A canonical row: table, key prefix, its columns and the label patterns that name it."""

    table: str
    key: str
    columns: tuple[str, ...]
    patterns: tuple[str, ...]
    suffix: bool = False
    joinable: bool = False  # table 4 blocks may be printed as one row of 15 numbers

    def cell_keys(self) -> list[str]:
        return [f"{self.table}.{self.key}.{c}" for c in self.columns]


@dataclass
class TableResult:
    """What the grammar read: cells, derived totals, ambiguities, rows kept aside, versions."""

    cells: dict[str, int | float] = field(default_factory=dict)
    semantics: dict[str, str] = field(default_factory=dict)
    derived: list[str] = field(default_factory=list)
    repaired: list[dict] = field(default_factory=list)
    ambiguous: list[dict] = field(default_factory=list)
    incomplete: list[dict] = field(default_factory=list)
    extra_rows: list[dict] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    evidence: dict[str, list[str]] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)  # OCR score per cell read by OCR


# ---------------------------------------------------------------------------------------------
# Stream of groups


def _paragraph_tokens(text: str) -> Iterator[tuple[str, Token | None]]:
    """Split running text into label pieces and value tokens (label, None) / ("", token)."""
    text = nfkc(text)
    if _FOOTER_RE.match(text):
        return
    pos = 0
    pieces: list[tuple[int, int, Token]] = []
    for match in _SIGNED_NUM_RE.finditer(text):
        start, end = match.span()
        num = match.group(0)
        before = text[start - 1] if start else ""
        after = text[end:end + 3]
        if before == "第" or _NARRATIVE_UNIT_RE.match(after) or before.isascii() and before.isalpha():
            continue
        if _ITEM_NO_RE.match(after) and "." not in num and num[-1].isdigit():
            # "00000002.其他法律…": the last digit numbers the next label (format.md §6.2)
            end -= 1
            num = num[:-1]
            if not num:
                continue
        unit = _MONEY_UNIT_RE.match(after)
        raw = num + (unit.group(1) if unit else "")
        value = parse_value(raw)
        digits = num.split(".")[0].lstrip("-−－")
        pieces.append((start, end + (unit.end() if unit else 0), Token(value, splittable=len(digits) > 1)))
    for match in _DASH_TOKEN_RE.finditer(text):
        pieces.append((match.start(), match.end(), Token(parse_value(match.group(0)))))
    pieces.sort(key=lambda p: p[0])
    for start, end, token in pieces:
        if start > pos:
            yield text[pos:start], None
        yield "", token
        pos = end
    if pos < len(text):
        yield text[pos:], None


def groups_from_blocks(blocks: Iterable[Block]) -> list[Group]:
    """The stream of groups of ``blocks`` (paragraphs and tables of the table sections)."""
    groups: list[Group] = []
    label: list[str] = []
    tokens: list[Token] = []

    def emit() -> None:
        nonlocal label, tokens
        if tokens:
            groups.append(Group("".join(label), tokens, len(groups)))
            label, tokens = [], []

    for block in blocks:
        if isinstance(block, Paragraph):
            for text, token in _paragraph_tokens(block.text):
                if token is None:
                    if text.strip():
                        emit()
                        label.append(text)
                else:
                    token.confidence = block.confidence
                    tokens.append(token)
            emit()
            continue
        scores = block.confidence or ((None,) * len(row) for row in block.rows)
        for row, row_scores in zip(block.rows, scores):
            values = [parse_value(cell) for cell in row]
            last_label = max((i for i, v in enumerate(values) if v.semantic == "TEXT"), default=-1)
            for i, (cell, value, score) in enumerate(zip(row, values, row_scores)):
                if i <= last_label:
                    if value.semantic == "TEXT":
                        emit()
                        label.append(cell)
                    elif value.semantic != "EMPTY":
                        tokens.append(Token(value, confidence=score))
                else:
                    tokens.append(Token(value, confidence=score))
            while tokens and tokens[-1].value.semantic == "EMPTY" and not any(
                t.value.semantic != "EMPTY" for t in tokens
            ):
                tokens.pop()
            emit()
    emit()
    return groups


# ---------------------------------------------------------------------------------------------
# Canonical rows


@lru_cache(maxsize=4)
def t2_specs(version: str) -> list[RowSpec]:
    """Canonical rows of table 2 for one template version."""
    return [RowSpec("t2", r["key"], tuple(r["columns"]), tuple(r["patterns"])) for r in grammar()["t2"][version]]


@lru_cache(maxsize=4)
def t34_specs(other_variant: str) -> list[RowSpec]:
    """Canonical rows of tables 3 and 4 in printed order; （六） as one row or three sub-rows."""
    data = grammar()
    specs = [
        RowSpec("t3", r["key"], tuple(T3_COLUMNS), tuple(r["patterns"]), r.get("suffix", False))
        for r in data["t3"]["rows"]
        if r.get("variant", other_variant) == other_variant
    ]
    t4 = data["t4"]
    for block in t4["blocks"]:
        patterns = tuple(t4["block_patterns"][block]) + tuple(t4["patterns"])
        specs.append(RowSpec("t4", block, tuple(t4["columns"]), patterns, joinable=True))
    return specs


@lru_cache(maxsize=1)
def _all_patterns() -> tuple[tuple[str, bool], ...]:
    """Every (pattern, suffix) the grammar uses, so a label is searched once for all of them."""
    specs = t2_specs("2019") + t2_specs("2021") + t34_specs("split_other") + t34_specs("single_other")
    return tuple(sorted({(p, s.suffix) for s in specs for p in s.patterns}))


def _pattern_ends(group_key: str) -> dict[tuple[str, bool], int]:
    """End of the rightmost occurrence of every grammar pattern in a label (-1: absent). Cached for
    short labels: the same labels recur across reports."""
    return _pattern_ends_cached(group_key) if len(group_key) <= _CACHED_LABEL else _find_pattern_ends(group_key)


def _find_pattern_ends(group_key: str) -> dict[tuple[str, bool], int]:
    ends = {}
    for pattern, suffix in _all_patterns():
        if suffix:
            ends[(pattern, suffix)] = len(group_key) if group_key.endswith(pattern) else -1
        else:
            pos = group_key.rfind(pattern)
            ends[(pattern, suffix)] = pos + len(pattern) if pos >= 0 else -1
    return ends


_pattern_ends_cached = lru_cache(maxsize=16384)(_find_pattern_ends)


def _match_position(group_key: str, spec: RowSpec) -> int:
    """End position of the rightmost pattern of ``spec`` in the label, or -1."""
    ends = _pattern_ends(group_key)
    return max(ends[(p, spec.suffix)] for p in spec.patterns)


def specs_named(name: str) -> list[RowSpec]:
    """A canonical row list by name: ``t2:2019``, ``t2:2021``, ``t34:split_other``, ``t34:single_other``."""
    table, which = name.split(":")
    return t2_specs(which) if table == "t2" else t34_specs(which)


def _positions(group_key: str, specs_name: str) -> tuple[int, ...]:
    """:func:`_match_position` of a label against every row of a named list (cached per short label)."""
    if len(group_key) > _CACHED_LABEL:
        return tuple(_match_position(group_key, spec) for spec in specs_named(specs_name))
    return _positions_cached(group_key, specs_name)


@lru_cache(maxsize=65536)
def _positions_cached(group_key: str, specs_name: str) -> tuple[int, ...]:
    return tuple(_match_position(group_key, spec) for spec in specs_named(specs_name))


def _value_count_range(tokens: list[Token]) -> tuple[int, int]:
    low = high = 0
    for token in tokens:
        low += 1
        if token.splittable:
            digits = re.sub(r"\D", "", token.value.raw.split(".")[0])
            high += max(1, len(digits))
        else:
            high += 1
    return low, high


def _trimmings(tokens: list[Token], need: int, table: str) -> list[list[Token]]:
    """The ways to read a row with blank cells beyond its width.

    In tables 3 and 4, leading blanks go first: they are placeholders of the label cells that span
    up to three columns. Any other excess blank may be a placeholder of a value cell spanning two
    grid columns (table 2 of 2019, format.md §3.1), a converter's trailing empty cell, or a real
    blank: every distinct choice is returned, trailing drops first, so that the caller can settle
    it by the identities or flag the row as ambiguous instead of guessing.
    """
    tokens = list(tokens)
    while table != "t2" and len(tokens) > need and tokens[0].value.semantic == "EMPTY":
        tokens.pop(0)
    excess = len(tokens) - need
    blanks = [i for i, t in enumerate(tokens) if t.value.semantic == "EMPTY"]
    if excess <= 0 or len(blanks) < excess:
        return [tokens]
    choices: dict[tuple, list[Token]] = {}
    for dropped in sorted(itertools.combinations(blanks, excess), key=lambda d: [-i for i in reversed(d)]):
        kept = [t for i, t in enumerate(tokens) if i not in dropped]
        choices.setdefault(tuple((t.value.semantic, t.value.number) for t in kept), kept)
    return list(choices.values())


def _trimmed(tokens: list[Token], need: int, table: str) -> list[Token]:
    """The likeliest reading of :func:`_trimmings` (trailing blanks dropped first)."""
    return _trimmings(tokens, need, table)[0]


def _compatible(group: Group, need: int, table: str) -> bool:
    tokens = _trimmed(group.tokens, need, table)
    low, high = _value_count_range(tokens)
    if low <= need <= high:
        return True
    # a row that lost one cell (PDF text drops blanks): read later with repair candidates
    return table == "t3" and len(tokens) == need - 1


@dataclass
class _Assignment:
    group: Group
    specs: list[RowSpec]


def assign_t2(groups: list[Group], version: str) -> tuple[int, list[_Assignment]]:
    """Table 2 rows by their labels, which are unique: converters move whole blocks of table 2
    around (a Shanghai Markdown prints block (一) after (五)–(八)), so order cannot be relied on."""
    specs = t2_specs(version)
    taken: set[str] = set()
    assignments: list[_Assignment] = []
    for group in groups:
        key = group.key
        positions = _positions(key, f"t2:{version}")
        best = max(range(len(specs)), key=positions.__getitem__)
        if positions[best] < 0 or specs[best].key in taken:
            continue
        if max(_positions(key, "t34:split_other") + _positions(key, "t34:single_other")) > positions[best]:
            continue
        need = len(specs[best].columns)
        if _compatible(group, need, "t2") or len(_trimmed(group.tokens, need, "t2")) == need - 1 > 0:
            taken.add(specs[best].key)
            assignments.append(_Assignment(group, [specs[best]]))
    return 16 * len(assignments), assignments


def align(groups: list[Group], specs_name: str) -> tuple[int, list[_Assignment]]:
    """Best monotone assignment of groups to the canonical rows of ``specs_name`` (a group may
    span joinable rows)."""
    specs = specs_named(specs_name)
    n = len(specs)
    # (end row j, span, table, need) of every row run a group could fill
    runs: list[list[tuple[int, str, int]]] = [[] for _ in range(n + 1)]
    for j in range(1, n + 1):
        for span in (1, 2, 3):
            rows = specs[j - span:j] if j - span >= 0 else []
            if not rows or (span > 1 and not all(r.joinable for r in rows)):
                break
            runs[j].append((span, rows[0].table, sum(len(r.columns) for r in rows)))
    needs = {(table, need) for run in runs for _, table, need in run}
    # groups that fit no row at all can only be skipped: leave them out of the table
    fits = [{tn: _compatible(g, tn[1], tn[0]) for tn in needs} for g in groups]
    kept = [i for i, fit in enumerate(fits) if any(fit.values()) and groups[i].has_number]
    m = len(kept)
    positions = [_positions(groups[i].key, specs_name) for i in kept]
    rightmost = [max(range(n), key=p.__getitem__) if max(p) >= 0 else -1 for p in positions]
    dp = [[0] * (n + 1) for _ in range(m + 1)]
    back = [[(0, 0)] * (n + 1) for _ in range(m + 1)]  # (move, span): 0 skip group, 1 skip row, 2 assign
    for j in range(1, n + 1):
        back[0][j] = (1, 0)
    for a in range(1, m + 1):
        fit, pos, right = fits[kept[a - 1]], positions[a - 1], rightmost[a - 1]
        labelled = right >= 0
        prev, row = dp[a - 1], dp[a]
        for j in range(n + 1):
            best, move = prev[j], (0, 0)
            if j and row[j - 1] > best:
                best, move = row[j - 1], (1, 0)
            for span, table, need in runs[j]:
                if not fit[(table, need)]:
                    continue
                first = j - span
                if any(pos[first + t] >= 0 for t in range(span)):
                    score = _LABEL_SCORE + _FILL_SCORE * span + (_RIGHTMOST_SCORE if first <= right < j else 0)
                else:
                    score = -2 if labelled else _FILL_SCORE * span
                score += prev[first]
                if score > best:
                    best, move = score, (2, span)
            row[j] = best
            back[a][j] = move
    assignments: list[_Assignment] = []
    a, j = m, n
    while a > 0:
        move, span = back[a][j]
        if move == 2:
            assignments.append(_Assignment(groups[kept[a - 1]], specs[j - span:j]))
            a, j = a - 1, j - span
        elif move == 0:
            a -= 1
        else:
            j -= 1
    assignments.reverse()
    return dp[m][n], assignments


# ---------------------------------------------------------------------------------------------
# Reading values


def _splits(raw: str, parts: int) -> Iterator[list[str]]:
    """Ways to cut one digit run into ``parts`` numbers without leading zeros (decimals stay whole)."""
    integer, dot, frac = raw.partition(".")
    if parts == 1:
        if len(integer) == 1 or integer[0] != "0":
            yield [raw]
        return
    for cut in range(1, len(integer)):
        head = integer[:cut]
        if len(head) > 1 and head[0] == "0":
            break
        for rest in _splits(integer[cut:] + dot + frac, parts - 1):
            yield [head] + rest


def _digit_value(piece: str) -> Value:
    number = int(piece)
    return Value(piece, number, "NUMERIC" if number else "ZERO")


def _total_segmentations(digits: str, need: int, width: int) -> Iterator[list[str]]:
    """Cuts of one digit run into ``need`` integers where every ``width``-th is the sum of the
    parts before it in its block (table 3 rows, table 4 blocks). The total is then determined,
    so the search only branches on the parts, and prunes when the rest is too short to hold it."""
    pieces: list[str] = []

    def cut(rest: str, index: int, block_sum: int) -> Iterator[list[str]]:
        if index == need:
            if not rest:
                yield list(pieces)
            return
        if index % width == width - 1:  # a total: it must print the block's sum
            total = str(block_sum)
            if rest.startswith(total):
                pieces.append(total)
                yield from cut(rest[len(total):], index + 1, 0)
                pieces.pop()
            return
        left = need - index - 1  # pieces after this one, each at least one digit
        for end in range(1, len(rest) - left + 1):
            head = rest[:end]
            if len(head) > 1 and head[0] == "0":
                break
            new_sum = block_sum + int(head)
            if len(rest) - end < left - 1 + len(str(new_sum)):
                break
            pieces.append(head)
            yield from cut(rest[end:], index + 1, new_sum)
            pieces.pop()

    yield from cut(digits, 0, 0)


def _token_splits(tokens: list[Token], need: int) -> Iterator[list[Value]]:
    """Every reading of ``tokens`` as ``need`` values; only splittable tokens are cut."""
    extra = need - len(tokens)
    splittable = [i for i, t in enumerate(tokens) if t.splittable]
    if extra < 0 or (extra and not splittable):
        return
    count = 0
    for shares in _compositions(extra, len(splittable)):
        per_token = dict(zip(splittable, shares))
        options: list[list[list[Value]]] = []
        for i, token in enumerate(tokens):
            share = per_token.get(i, 0)
            if not share:
                options.append([[token.value]])
                continue
            raw = re.sub(r"[^\d.]", "", token.value.raw)
            sign = "-" if (token.value.number or 0) < 0 else ""
            unit = token.value.unit or ""
            cuts = [
                [parse_value(sign + pieces[0])] + [parse_value(p) for p in pieces[1:-1]] + [parse_value(pieces[-1] + unit)]
                if len(pieces) > 1 else [parse_value(sign + pieces[0] + unit)]
                for pieces in _splits(raw, share + 1)
            ]
            if not cuts:
                break
            options.append(cuts)
        else:
            for combo in itertools.product(*options):
                count += 1
                if count > _MAX_SPLITS:
                    return
                yield [v for part in combo for v in part]


def _compositions(total: int, bins: int) -> Iterator[tuple[int, ...]]:
    if bins == 0:
        if total == 0:
            yield ()
        return
    if bins == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in _compositions(total - first, bins - 1):
            yield (first,) + rest


def _sum_ok(values: list[Value | None], width: int) -> bool:
    """Each block of ``width`` values ends with a total equal to the sum of its parts."""
    for start in range(0, len(values), width):
        block = values[start:start + width]
        if any(v is None or v.number is None for v in block):
            continue
        if sum(v.number for v in block[:-1]) != block[-1].number:
            return False
    return True


@dataclass
class _Reading:
    values: list[Value | None]  # None: a blank total to derive
    repaired: str | None = None
    confidence: list[float | None] | None = None  # OCR score per value, when OCR read the row


def _readings(assignment: _Assignment) -> list[_Reading]:
    """The readings of a row, each value with the OCR score of the token it came from (a value cut from a
    digit run or put in by a repair gets the row's lowest score)."""
    readings = _value_readings(assignment)
    scores = [t.confidence for t in assignment.group.tokens]
    known = [score for score in scores if score is not None]
    if known:
        for reading in readings:
            reading.confidence = scores if len(reading.values) == len(scores) else [min(known)] * len(reading.values)
    return readings


def _value_readings(assignment: _Assignment) -> list[_Reading]:
    specs = assignment.specs
    need = sum(len(s.columns) for s in specs)
    width = len(specs[0].columns)
    has_total = specs[0].table in {"t3", "t4"}
    alternatives = _trimmings(assignment.group.tokens, need, specs[0].table)
    if len(alternatives) > 1:
        return [_Reading([t.value for t in tokens], "chose which blank cells are placeholders") for tokens in alternatives]
    tokens = alternatives[0]
    if len(tokens) == need:
        return [_Reading([t.value for t in tokens])]
    readings: list[_Reading] = []
    seen: set[tuple] = set()
    signed = set(grammar()["t2"]["signed_columns"])
    columns = [c for spec in specs for c in spec.columns]
    if has_total and len(tokens) == 1 and tokens[0].splittable:
        digits = re.sub(r"\D", "", tokens[0].value.raw)
        candidates: Iterable[list[Value]] = (
            [_digit_value(piece) for piece in pieces] for pieces in _total_segmentations(digits, need, width)
        )
    else:
        candidates = _token_splits(tokens, need)
    for values in candidates:
        if has_total and not _sum_ok(values, width):
            continue
        if any((v.number or 0) < 0 and c not in signed for v, c in zip(values, columns)):
            continue
        signature = tuple(v.number for v in values)
        if signature not in seen:
            seen.add(signature)
            readings.append(_Reading(list(values), "segmented"))
    if not readings and has_total and len(tokens) == need - 1 and not any(t.splittable for t in tokens):
        values = [t.value for t in tokens]
        # the blank total dropped by the converter (the likelier loss), then a blank part
        readings.append(_Reading(values + [None], None))
        seen.add(tuple(v.number for v in values) + (sum(v.number or 0 for v in values),))
        for pos in range(need - 1):
            candidate = values[:pos] + [Value("", 0, "EMPTY")] + values[pos:]
            signature = tuple(v.number for v in candidate)
            if _sum_ok(candidate, width) and signature not in seen:
                seen.add(signature)
                readings.append(_Reading(candidate, f"inserted a blank cell at column {pos + 1}"))
    return readings


# ---------------------------------------------------------------------------------------------
# From readings to cells


def _fingerprints(text: str, names: list[str]) -> list[str]:
    key = label_key(text)
    return [n for n in names if label_key(n) in key]


def _other_variants(groups: list[Group]) -> tuple[str, ...]:
    """（六）其他处理 as three sub-rows only when their labels are printed (2021, format.md §4.2)."""
    text = "".join(g.key for g in groups)
    return ("split_other",) if any(label_key(p) in text for p in grammar()["t3"]["fingerprints"]["2021"]) else ("single_other",)


def _t2_versions(groups: list[Group]) -> tuple[list[str], dict[str, list[str]]]:
    """Table 2 versions worth trying, from its fingerprints (format.md §1); both when unsure."""
    text = "".join(g.label for g in groups)
    prints = grammar()["t2"]["fingerprints"]
    evidence = {v: _fingerprints(text, prints[v]) for v in ("2021", "2019")}
    return [v for v in ("2021", "2019") if evidence[v]] or ["2021", "2019"], evidence


def _money(value: Value, header: str) -> float:
    """A money cell in 万元: the in-cell unit wins, then the header unit (format.md §10.6)."""
    number = float(value.number)
    unit = value.unit or ("元" if re.search(r"单位[:：]?元|\(元\)|（元）", nfkc(header)) else "万元")
    if unit == "元":
        return round(number / 10000, 6)
    if unit == "亿元":
        return number * 10000
    return number


def _cells_of(assignment: _Assignment, reading: _Reading, result: TableResult) -> dict[str, int | float]:
    """Cells of one row reading; EMPTY totals become derived, other blanks and dashes 0."""
    cells: dict[str, int | float] = {}
    keys = [k for spec in assignment.specs for k in spec.cell_keys()]
    width = len(assignment.specs[0].columns)
    table = assignment.specs[0].table
    for start in range(0, len(keys), width):
        block_keys = keys[start:start + width]
        block_values = reading.values[start:start + width]
        for pos, (key, value) in enumerate(zip(block_keys, block_values)):
            if reading.confidence is not None and reading.confidence[start + pos] is not None:
                result.confidence[key] = reading.confidence[start + pos]
            is_total = table in {"t3", "t4"} and pos == width - 1
            if value is None or (is_total and value.semantic == "EMPTY"):
                parts = [cells.get(k, 0) for k in block_keys[:-1]]
                cells[key] = sum(parts)
                result.derived.append(key)
                result.semantics[key] = "DERIVED"
                continue
            result.semantics[key] = value.semantic
            if value.number is None:
                cells[key] = 0
            elif key.endswith(".amount_wan"):
                cells[key] = _money(value, assignment.group.label)
            elif isinstance(value.number, float) and value.number.is_integer() and table != "t2":
                cells[key] = int(value.number)
            else:
                cells[key] = value.number
    return cells


_CLAUSE_RE = re.compile(r"[^，,。；;：:！？!?\n]+")


def _narrative_facts(narrative: str, spec: RowSpec) -> dict[str, set[str]]:
    """Numbers the narrative prints for each column of a table-2 row: a clause that names the
    row's label and a column's words ("现行有效行政规范性文件698件") states that column's value."""
    words = grammar()["t2"]["narrative_columns"]
    facts: dict[str, set[str]] = {}
    for clause in _CLAUSE_RE.findall(narrative):
        if not any(p in clause for p in spec.patterns):
            continue
        numbers = set(_NUM_RE.findall(clause))
        for column in spec.columns:
            if numbers and any(w in clause for w in words.get(column, ())):
                facts.setdefault(column, set()).update(numbers)
    return facts


def _corroboration(reading: _Reading, spec: RowSpec, facts: dict[str, set[str]]) -> int:
    """Columns whose value in ``reading`` the narrative states in a clause about that column."""
    return sum(
        1 for column, value in zip(spec.columns, reading.values)
        if value is not None and value.number is not None and str(value.number) in facts.get(column, ())
    )


def _describe(assignment: _Assignment, readings: list[_Reading]) -> dict:
    return {
        "rows": [f"{s.table}.{s.key}" for s in assignment.specs],
        "label": assignment.group.label.strip()[-60:],
        "printed": " ".join(t.value.raw for t in assignment.group.tokens),
        "candidates": [[None if v is None else v.number for v in r.values] for r in readings[:10]],
        "n_candidates": len(readings),
    }


def read_tables(blocks: Iterable[Block], narrative: str = "") -> TableResult:
    """Cells of tables 2–4 found in ``blocks``; ``narrative`` corroborates ambiguous table 2 runs."""
    groups = groups_from_blocks(blocks)
    result = TableResult()
    if not groups:
        return result
    t2_versions, t2_evidence = _t2_versions(groups)
    best: tuple[int, list[_Assignment], tuple[str, str]] | None = None
    for version in t2_versions:
        t2_score, t2_assignments = assign_t2(groups, version)
        used = {id(a.group) for a in t2_assignments}
        rest = [g for g in groups if id(g) not in used]
        for variant in _other_variants(rest):
            score, assignments = align(rest, f"t34:{variant}")
            if best is None or t2_score + score > best[0]:
                best = (t2_score + score, t2_assignments + assignments, (version, variant))
    assert best is not None
    _, assignments, (t2_version, other_variant) = best
    narrative = nfkc(narrative)

    _restore_detached_cells(groups, assignments)
    fixed: dict[str, int | float] = {}
    open_rows: list[tuple[_Assignment, list[_Reading]]] = []
    for assignment in assignments:
        readings = _readings(assignment)
        if len(readings) == 1:
            _record(result, assignment, readings[0], fixed)
        elif not readings:
            result.incomplete.append(_describe(assignment, readings))
        elif assignment.specs[0].table == "t2":
            spec = assignment.specs[0]
            facts = _narrative_facts(narrative, spec)
            scores = [_corroboration(r, spec, facts) for r in readings]
            top = max(scores)
            if top >= _MIN_CORROBORATION and scores.count(top) == 1:
                chosen = readings[scores.index(top)]
                chosen.repaired = "segmented; settled by numbers in the narrative"
                _record(result, assignment, chosen, fixed)
            else:
                result.ambiguous.append(_describe(assignment, readings))
        else:
            open_rows.append((assignment, readings))
    if open_rows:
        _settle_by_identities(result, open_rows, fixed)
    result.cells = fixed
    tables = {a.specs[0].table for a in assignments}
    if "t2" in tables:
        result.versions["t2"] = t2_version
        result.evidence["t2"] = t2_evidence[t2_version]
    if "t3" in tables:
        split = other_variant == "split_other" and any(k.startswith("t3.other.") and ".total." not in k for k in fixed)
        t3_print = _fingerprints("".join(g.label for g in groups), grammar()["t3"]["fingerprints"]["2021"])
        result.versions["t3"] = "2021" if split or t3_print else "2019"
        result.evidence["t3"] = t3_print or (["（六）其他处理 as one row"] if not split else [])
    if "t4" in tables:
        result.versions["t4"] = "2019/2021"
    _keep_extra_rows(result, groups, assignments)
    return result


_ANNOTATION_RE = re.compile(r"^\s*[（(]([^（()）]{1,40})[）)]")


def _restore_detached_cells(groups: list[Group], assignments: list[_Assignment]) -> None:
    """Put back table-2 cells that a converter moved out of the table with their note.

    A cell printed as "22（其中修订16件）" may come out as a stray line "22" followed by the note,
    leaving its table row one value short. When the stray numbers match the short rows one to one
    and each note names its column (data/grammar.json ``t2.annotation_columns``), the value goes
    back into that column; otherwise the rows stay incomplete.
    """
    columns_by_word = grammar()["t2"]["annotation_columns"]
    short = [a for a in assignments if a.specs[0].table == "t2"
             and len(_trimmed(a.group.tokens, len(a.specs[0].columns), "t2")) == len(a.specs[0].columns) - 1]
    if not short:
        return
    assigned = {id(a.group) for a in assignments}
    first = min(a.group.index for a in short)
    strays: list[tuple[Group, str]] = []
    for group, following in zip(groups, groups[1:]):
        note = _ANNOTATION_RE.match(nfkc(following.label))
        if group.index < first and id(group) not in assigned and len(group.tokens) == 1 and note:
            column = next((c for c, words in columns_by_word.items() if any(w in note.group(1) for w in words)), None)
            strays.append((group, column))
    if len(strays) != len(short) or any(column is None for _, column in strays):
        return
    for assignment, (stray, column) in zip(short, strays):
        columns = assignment.specs[0].columns
        if column not in columns:
            return
        tokens = _trimmed(assignment.group.tokens, len(columns), "t2")
        tokens.insert(columns.index(column), stray.tokens[0])
        assignment.group.tokens = tokens


def _record(result: TableResult, assignment: _Assignment, reading: _Reading, fixed: dict) -> None:
    fixed.update(_cells_of(assignment, reading, result))
    if reading.repaired:
        result.repaired.append({"rows": [f"{s.table}.{s.key}" for s in assignment.specs], "how": reading.repaired})


def _settle_by_identities(result: TableResult, open_rows: list[tuple[_Assignment, list[_Reading]]], fixed: dict) -> None:
    """Pick, among segmentations of several rows, the joint choice every identity accepts."""
    from .validate import t3_consistent, t4_identities, holds

    def consistent(cells: dict) -> bool:
        return t3_consistent(cells) and all(holds(i, cells) is not False for i in t4_identities())

    sizes = [len(r) for _, r in open_rows]
    total = 1
    for size in sizes:
        total *= size
    passing: list[tuple[int, ...]] = []
    if total <= _MAX_COMBINATIONS:
        scratch = TableResult()
        for combo in itertools.product(*(range(s) for s in sizes)):
            cells = dict(fixed)
            for (assignment, readings), choice in zip(open_rows, combo):
                cells.update(_cells_of(assignment, readings[choice], scratch))
            if consistent(cells):
                passing.append(combo)
    for index, (assignment, readings) in enumerate(open_rows):
        choices = {combo[index] for combo in passing}
        if len(choices) == 1:
            reading = readings[choices.pop()]
            reading.repaired = (reading.repaired or "segmented") + "; settled by the identities"
            _record(result, assignment, reading, fixed)
        else:
            result.ambiguous.append(_describe(assignment, readings))


def _keep_extra_rows(result: TableResult, groups: list[Group], assignments: list[_Assignment]) -> None:
    """Labelled number rows the template does not know: kept aside, never mixed in (H3.4)."""
    used = {id(a.group) for a in assignments}
    table = None
    by_group = {id(a.group): a.specs[0].table for a in assignments}
    for group in groups:
        if id(group) in by_group:
            table = by_group[id(group)]
            continue
        label = group.label.strip()
        if table is None or not group.has_number or not re.search(r"[\u4e00-\u9fff]", label) or id(group) in used:
            continue
        result.extra_rows.append({
            "table": table, "label": label[-60:], "values": [t.value.number for t in group.tokens],
        })
