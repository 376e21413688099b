"""Thematic summaries: how groups of reports (agency type, region, level, year, agency…) differ on a theme.

Nothing is generated. A summary shows counts, units quoted from the reports (each cited by report_id,
unit, start, end, so that every sentence can be checked against its source) and the words that set a
group apart. Representatives are chosen extractively: centrality (mean cosine similarity of a unit to
the other units of its group and kind, over TF-IDF character 1–3-grams, which need no segmentation
and survive the variant wordings of the same measure) traded against novelty by maximal marginal
relevance, so that five representatives say five different things. Units are compared on the same
skeleton as in ``boilerplate`` (no punctuation or digits), since "2022年，无收费" and "2023年，无收费"
say one thing. Distinctive words are the weighted log-odds with an informative Dirichlet prior of
Monroe, Colaresi & Quinn (2008), which ranks words by a z-score instead of raw frequency ratios that
rare words dominate. Deterministic: no randomness, ties broken by (report_id, unit) and by term.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

import jieba
import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from ..themes.taxonomy import taxonomy
from .boilerplate import skeleton

KINDS = ("measure", "problem", "rectification", "other")
NEAR_COPY = 0.8
PRIOR_MASS = 1000.0
_WORD = re.compile(r"[^\W\d_]{2,}")

COUNT_COLUMNS = ["n_reports", "n_units", *KINDS]
REPRESENTATIVE_COLUMNS = ["kind", "rank", "report_id", "unit", "start", "end", "agency", "text", "score",
                          "centrality", "support"]
DISTINCTIVE_COLUMNS = ["rank", "term", "z", "log_odds", "n_group", "n_rest"]


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """data/stopwords.json: the stock vocabulary every report shares, parsed once."""
    path = Path(__file__).resolve().parents[1] / "data" / "stopwords.json"
    return frozenset(json.loads(path.read_text(encoding="utf-8"))["words"])


@lru_cache(maxsize=1)
def _tokenizer() -> jieba.Tokenizer:
    """jieba's dictionary plus the theme keywords (themes.md §2), so that terms like 三审三校 stay whole.

    A private instance: adding words to jieba's global one would change other users' segmentation.
    """
    tokenizer = jieba.Tokenizer()
    for theme in taxonomy()["themes"]:
        for word in theme["keywords"]:
            tokenizer.add_word(word)
    return tokenizer


def terms(text: str) -> list[str]:
    """Words of a unit that can characterise a group: no single characters, numbers or stop words.

    Dictionary words only (no HMM guessing of unknown words): the guesses are slow and mostly
    fragments, which would be dropped as single characters or noise anyway.
    """
    stop = stopwords()
    words = (w.lower() for w in _tokenizer().lcut(unicodedata.normalize("NFKC", text), HMM=False))
    return [w for w in words if _WORD.fullmatch(w) and w not in stop]


@dataclass(frozen=True)
class ThematicSummary:
    """Counts, representative units and distinctive terms per group (``by`` columns lead every table).

    * ``counts``: one row per group: n_reports, n_units and the number of units of each kind.
    * ``representatives``: per group and kind, up to k quoted units in MMR order: ``score`` is the MMR
      value when picked, ``centrality`` the mean cosine similarity to the group's other units of that
      kind, ``support`` how many of them (itself included) are near-copies of it.
    * ``distinctive``: per group, the terms with the highest log-odds z-score against all other groups.
    """

    by: tuple[str, ...]
    theme: str | None
    counts: pd.DataFrame
    representatives: pd.DataFrame
    distinctive: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the three tables as lists of records (missing values as None)."""
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return json.loads(frame.to_json(orient="records", force_ascii=False, date_format="iso",
                                            double_precision=15))
        return {"by": list(self.by), "theme": self.theme, "counts": records(self.counts),
                "representatives": records(self.representatives), "distinctive": records(self.distinctive)}

    def _repr_html_(self) -> str:
        by = list(self.by)
        top = (self.distinctive.groupby(by, dropna=False, sort=False)["term"].agg(lambda t: "、".join(t.head(10)))
               .rename("distinctive terms").reset_index())
        counts = self.counts.merge(top, on=by, how="left") if len(top) else self.counts
        shown = self.representatives[list(dict.fromkeys([*by, "kind", "rank", "agency", "text", "score", "report_id",
                                                         "unit"]))]
        theme = f", theme {escape(self.theme)}" if self.theme else ""
        return (f"<h4>Thematic summary by {escape(', '.join(by))}{theme}</h4>"
                + counts.to_html(index=False, na_rep="—")
                + "<h5>Representative units</h5>"
                + shown.to_html(index=False, na_rep="—", float_format="{:.3f}".format))


def thematic_summary(units: pd.DataFrame, unit_themes: pd.DataFrame | None, reports: pd.DataFrame,
                     by: str | Sequence[str], theme: str | None = None, *, k: int = 5,
                     kinds: Sequence[str] = ("measure", "problem"), lambda_: float = 0.7,
                     n_terms: int = 20) -> ThematicSummary:
    """Summarise the units on ``theme`` (None: all units) for each group of the ``by`` columns.

    ``by`` names columns of ``reports`` (manifest columns such as region or level included) or of
    ``units``. Units with a missing group value form their own group. Representatives and distinctive
    terms use the units of ``kinds``; counts use every unit. ``lambda_`` is the MMR weight of centrality
    (1: the k most central units; lower: more varied ones); a near-copy of a picked unit (cosine ≥ 0.8)
    is never picked, since boilerplate repeated across a group would otherwise fill the list.
    """
    by_cols = [by] if isinstance(by, str) else list(by)
    frame = _scope(units, unit_themes, reports, by_cols, theme)
    group = frame.groupby(by_cols, dropna=False, sort=True).ngroup().to_numpy()
    keys = frame[by_cols].assign(_group=group).drop_duplicates("_group").set_index("_group").sort_index()
    selected = frame["kind"].isin(kinds).to_numpy() & frame["text"].notna().to_numpy()
    return ThematicSummary(
        by=tuple(by_cols), theme=theme,
        counts=_counts(frame, group, keys),
        representatives=_representatives(frame[selected], group[selected], keys, kinds, k, lambda_),
        distinctive=_distinctive(frame.loc[selected, "text"], group[selected], keys, n_terms),
    )


def _scope(units: pd.DataFrame, unit_themes: pd.DataFrame | None, reports: pd.DataFrame, by_cols: list[str],
           theme: str | None) -> pd.DataFrame:
    """Units on the theme with their group columns and agency, in (report_id, unit) order."""
    needed = [c for c in dict.fromkeys(["agency", *by_cols]) if c not in units.columns]
    missing = [c for c in needed if c not in reports.columns]
    if missing:
        raise KeyError(f"columns {missing} are in neither units nor reports")
    frame = units.merge(reports.drop_duplicates("report_id")[["report_id", *needed]], on="report_id", how="left")
    if theme is not None:
        if unit_themes is not None:
            keys = unit_themes.loc[unit_themes["theme"] == theme, ["report_id", "unit"]].drop_duplicates()
            frame = frame.merge(keys, on=["report_id", "unit"])
        elif "themes" in frame.columns:
            frame = frame[frame["themes"].map(lambda labels: isinstance(labels, (list, tuple, np.ndarray))
                                              and theme in labels)]
        else:
            raise ValueError("a theme needs unit_themes or a 'themes' column in units")
    return frame.sort_values(["report_id", "unit"], kind="stable", ignore_index=True)


def _counts(frame: pd.DataFrame, group: np.ndarray, keys: pd.DataFrame) -> pd.DataFrame:
    """Reports, units and units per kind of each group."""
    grouped = frame.assign(_group=group).groupby("_group")
    table = pd.DataFrame({"n_reports": grouped["report_id"].nunique(), "n_units": grouped.size()})
    per_kind = pd.crosstab(group, frame["kind"]).reindex(index=table.index, columns=list(KINDS), fill_value=0)
    table = table.join(per_kind)
    return keys.join(table, how="inner").reset_index(drop=True)[[*keys.columns, *COUNT_COLUMNS]]


def _representatives(frame: pd.DataFrame, group: np.ndarray, keys: pd.DataFrame, kinds: Sequence[str], k: int,
                     lambda_: float) -> pd.DataFrame:
    """Per group and kind, up to k units picked by MMR over TF-IDF character n-grams."""
    columns = list(dict.fromkeys([*keys.columns, *REPRESENTATIVE_COLUMNS]))
    if frame.empty:
        return pd.DataFrame(columns=columns)
    texts = [skeleton(t) for t in frame["text"]]
    matrix = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True).fit_transform(texts).tocsr()
    cells = pd.Series(np.arange(len(frame))).groupby([group, frame["kind"].to_numpy()]).indices
    rows = []
    for code, key in zip(keys.index, keys.to_dict("records")):
        for name in kinds:
            members = cells.get((code, name), np.zeros(0, dtype=int))
            for rank, (member, score, centrality, support) in enumerate(_mmr(matrix[members], k, lambda_), start=1):
                unit = frame.iloc[members[member]]
                rows.append({**key, "kind": name, "rank": rank, "report_id": unit["report_id"],
                             "unit": unit["unit"], "start": unit["start"], "end": unit["end"],
                             "agency": unit["agency"], "text": unit["text"], "score": score,
                             "centrality": centrality, "support": support})
    return pd.DataFrame(rows, columns=columns)


def _mmr(vectors: csr_matrix, k: int, lambda_: float) -> list[tuple[int, float, float, int]]:
    """(row, MMR score, centrality, support) of up to k rows, in the order picked.

    Centrality is rescaled by the group's maximum so that ``lambda_`` weighs it against cosine
    redundancy on the same 0–1 scale in small and large, homogeneous and varied groups alike.
    """
    n = vectors.shape[0]
    if n == 0:
        return []
    self_similarity = np.asarray(vectors.multiply(vectors).sum(axis=1)).ravel()
    total = np.asarray(vectors.sum(axis=0)).ravel()
    centrality = (vectors @ total - self_similarity) / (n - 1) if n > 1 else np.zeros(1)
    relevance = centrality / centrality.max() if centrality.max() > 0 else centrality
    redundancy = np.zeros(n)
    available = np.ones(n, dtype=bool)
    picked = []
    while len(picked) < k and available.any():
        scores = np.where(available, lambda_ * relevance - (1 - lambda_) * redundancy, -np.inf)
        best = int(np.argmax(scores))
        similarity = (vectors @ vectors[best].T).toarray().ravel()
        near = similarity >= NEAR_COPY
        near[best] = True
        picked.append((best, float(scores[best]), float(centrality[best]), int(near.sum())))
        redundancy = np.maximum(redundancy, similarity)
        available &= ~near
    return picked


def _distinctive(texts: pd.Series, group: np.ndarray, keys: pd.DataFrame, n_terms: int) -> pd.DataFrame:
    """Per group, the top terms by weighted log-odds z-score against all other groups (Monroe et al. 2008).

    The informative Dirichlet prior spreads PRIOR_MASS pseudo-words over the vocabulary in proportion
    to the corpus frequencies: it shrinks rare words toward the corpus rate, and the z-score divides
    the log-odds difference by its standard error, so a term must be both frequent and lopsided to rank.
    """
    columns = list(dict.fromkeys([*keys.columns, *DISTINCTIVE_COLUMNS]))
    vectorizer = CountVectorizer(analyzer=terms)
    try:
        counts = vectorizer.fit_transform(texts).tocsr()
    except ValueError:  # no term in any unit
        return pd.DataFrame(columns=columns)
    vocabulary = vectorizer.get_feature_names_out()
    everyone = np.asarray(counts.sum(axis=0)).ravel().astype(float)
    alpha = PRIOR_MASS * everyone / everyone.sum()
    membership = csr_matrix((np.ones(len(group)), (group, np.arange(len(group)))), shape=(len(keys), len(group)))
    per_group = (membership @ counts).tocsr()
    frames = []
    for code, key in zip(keys.index, keys.to_dict("records")):
        mine = per_group[code].toarray().ravel()
        if not mine.any():
            continue
        rest = everyone - mine
        n_mine, n_rest = mine.sum(), rest.sum()
        log_odds = (np.log((mine + alpha) / (n_mine + PRIOR_MASS - mine - alpha))
                    - np.log((rest + alpha) / (n_rest + PRIOR_MASS - rest - alpha)))
        z = log_odds / np.sqrt(1 / (mine + alpha) + 1 / (rest + alpha))
        order = np.argsort(-z, kind="stable")  # ties: alphabetical, the vocabulary's order
        order = order[z[order] > 0][:n_terms]
        frames.append(pd.DataFrame({**{c: [key[c]] * len(order) for c in keys.columns},
                                    "rank": np.arange(1, len(order) + 1), "term": vocabulary[order], "z": z[order],
                                    "log_odds": log_odds[order], "n_group": mine[order].astype(int),
                                    "n_rest": rest[order].astype(int)}))
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
