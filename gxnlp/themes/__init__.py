"""Theme classification of narrative units (themes.md): backends, the default model, ``predict``.

``gxnlp.themes.predict(texts)`` is the Python face of ``gxnlp themes --json``; ``load(path)``
reads any saved model; ``RulesClassifier``, ``LinearClassifier`` and ``TransformerClassifier``
share one estimator interface (fit / predict / predict_proba / score / save / load).
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from .base import ThemeClassifier, backend_class
from .taxonomy import theme_ids

DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "models" / "themes-default"

__all__ = ["DEFAULT_MODEL", "ThemeClassifier", "backend_class", "default_model", "load", "predict", "theme_ids"]


def load(path: str | os.PathLike) -> ThemeClassifier:
    """A saved model folder (any backend)."""
    return ThemeClassifier.load(path)


@lru_cache(maxsize=1)
def default_model() -> ThemeClassifier:
    """The shipped default model (``models/themes-default``, or ``$GXNLP_THEME_MODEL``)."""
    return load(os.environ.get("GXNLP_THEME_MODEL", DEFAULT_MODEL))


def predict(texts: Sequence[str], model: ThemeClassifier | str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """``[{"text", "themes", "scores"}]`` per text (schema.md §2); scores of the themes given."""
    classifier = default_model() if model is None else model if isinstance(model, ThemeClassifier) else load(model)
    texts = list(texts)
    proba = classifier.predict_proba(texts)
    results = []
    for text, row in zip(texts, proba):
        themes = [t for t, p, th in zip(classifier.themes, row, classifier.thresholds) if p >= th]
        scores = {t: round(float(p), 4) for t, p in zip(classifier.themes, row) if t in themes}
        results.append({"text": text, "themes": themes, "scores": scores})
    return results
