"""Evaluation of a theme classifier: per-theme P/R/F1, macro and micro F1, frequent confusions."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from .base import ThemeClassifier, binarize


def evaluate(model: ThemeClassifier, texts: Sequence[str], labels: Sequence[Sequence[str]], *, top: int = 10) -> dict[str, Any]:
    """Metrics of ``model`` on labelled texts, as a JSON-safe dict (also the model card's)."""
    predicted = model.predict(texts)
    return metrics(labels, predicted, model.themes, top=top)


def metrics(labels: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], themes: Sequence[str], *, top: int = 10) -> dict[str, Any]:
    """Scores of predicted against true theme lists. Macro F1 averages the themes that occur."""
    truth, guess = binarize(labels, themes), binarize(predicted, themes)
    tp = (truth & guess).sum(axis=0)
    fp = ((1 - truth) & guess).sum(axis=0)
    fn = (truth & (1 - guess)).sum(axis=0)
    per_theme = {}
    for j, theme in enumerate(themes):
        precision = tp[j] / (tp[j] + fp[j]) if tp[j] + fp[j] else 0.0
        recall = tp[j] / (tp[j] + fn[j]) if tp[j] + fn[j] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_theme[theme] = {"precision": round(float(precision), 4), "recall": round(float(recall), 4), "f1": round(float(f1), 4), "support": int(truth[:, j].sum())}
    present = [t for t in themes if per_theme[t]["support"]]
    micro_p = tp.sum() / (tp.sum() + fp.sum()) if tp.sum() + fp.sum() else 0.0
    micro_r = tp.sum() / (tp.sum() + fn.sum()) if tp.sum() + fn.sum() else 0.0
    confusions: Counter[tuple[str, str]] = Counter()
    for true_row, guess_row in zip(truth, guess):
        missed = [themes[j] for j in np.flatnonzero(true_row & (1 - guess_row))] or ["(none)"]
        extra = [themes[j] for j in np.flatnonzero(guess_row & (1 - true_row))] or ["(none)"]
        for a in missed:
            for b in extra:
                if (a, b) != ("(none)", "(none)"):
                    confusions[(a, b)] += 1
    return {
        "n": len(labels),
        "macro_f1": round(float(np.mean([per_theme[t]["f1"] for t in present])) if present else 0.0, 4),
        "micro_f1": round(float(2 * micro_p * micro_r / (micro_p + micro_r)) if micro_p + micro_r else 0.0, 4),
        "exact_match": round(float(np.mean((truth == guess).all(axis=1))), 4),
        "per_theme": per_theme,
        "confusions": [{"true": a, "predicted": b, "count": n} for (a, b), n in confusions.most_common(top)],
    }
