"""The rules baseline (themes.md §3): keyword hits after the deterministic disambiguation rules.

Each rule masks the phrase it explains from the themes it must not count for (警示教育 does not
count for education) and may add the theme the phrase names. A theme scores its keyword hits;
a unit gets every theme with a score ≥ 1. ``predict_proba`` maps a score s to 1 − 2^−s, so the
default threshold 0.5 is exactly "score ≥ 1".
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cached_property

import numpy as np

from ..normalise import nfkc
from .base import ThemeClassifier, binarize, tune_thresholds
from .taxonomy import taxonomy

_MASK = "□"
_ADD_SCORE = 2.0


class RulesClassifier(ThemeClassifier):
    """Keyword scorer with disambiguation rules; ``fit`` only tunes the per-theme thresholds."""

    backend = "rules"

    @cached_property
    def _keywords(self) -> list[re.Pattern[str]]:
        by_id = {t["id"]: t["keywords"] for t in taxonomy()["themes"]}
        return [
            re.compile("|".join(re.escape(k) for k in sorted(by_id[theme], key=len, reverse=True)))
            for theme in self.themes
        ]

    @cached_property
    def _rules(self) -> list[tuple[re.Pattern[str], list[int], list[int]]]:
        index = {t: i for i, t in enumerate(self.themes)}
        return [
            (re.compile(rule["match"]), [index[t] for t in rule.get("mask", [])], [index[t] for t in rule.get("add", [])])
            for rule in taxonomy()["rules"]
        ]

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Keyword scores (n_texts, n_themes) after the disambiguation rules."""
        out = np.zeros((len(texts), len(self.themes)))
        for row, raw in enumerate(texts):
            text = nfkc(raw)
            views = {}
            for pattern, masked, added in self._rules:
                if not pattern.search(text):
                    continue
                for j in masked:
                    views[j] = pattern.sub(lambda m: _MASK * len(m.group(0)), views.get(j, text))
                for j in added:
                    out[row, j] += _ADD_SCORE
            for j, keywords in enumerate(self._keywords):
                hits = keywords.findall(views.get(j, text))
                out[row, j] += sum(2.0 if len(h) >= 2 else 1.0 for h in hits)
        return out

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return 1.0 - np.power(2.0, -self.scores(texts))

    def fit(self, texts: Sequence[str], labels: Sequence[Sequence[str]]) -> "RulesClassifier":
        self.thresholds = tune_thresholds(binarize(labels, self.themes), self.predict_proba(texts), grid=1.0 - np.power(2.0, -np.arange(1, 9)))
        return self
