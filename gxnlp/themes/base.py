"""The estimator interface every theme backend implements (scikit-learn style, no surprises).

A theme classifier is multi-label over the 16 ids of themes.md: ``predict_proba`` gives one
probability per theme, ``predict`` the themes whose probability reaches that theme's threshold.
Thresholds are tuned per theme on held-out predictions at ``fit`` time. A saved model is a folder:
``model.json`` (backend, themes, thresholds, card) plus the backend's own files, none of them
pickles (skops for scikit-learn, safetensors for torch), so loading a model never runs its code.
"""
from __future__ import annotations

import datetime as dt
import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .taxonomy import theme_ids

MODEL_FILE = "model.json"


def binarize(labels: Sequence[Sequence[str]], themes: Sequence[str]) -> np.ndarray:
    """Label lists → a 0/1 matrix with one column per theme (unknown ids are an error)."""
    index = {t: i for i, t in enumerate(themes)}
    matrix = np.zeros((len(labels), len(themes)), dtype=np.int8)
    for row, names in enumerate(labels):
        for name in names:
            if name not in index:
                raise ValueError(f"unknown theme {name!r}; expected one of {list(themes)}")
            matrix[row, index[name]] = 1
    return matrix


def tune_thresholds(truth: np.ndarray, proba: np.ndarray, grid: np.ndarray | None = None) -> np.ndarray:
    """Per-theme threshold that maximises F1 on held-out probabilities (0.5 for unseen themes)."""
    grid = np.linspace(0.05, 0.95, 19) if grid is None else grid
    thresholds = np.full(truth.shape[1], 0.5)
    for j in range(truth.shape[1]):
        positives = truth[:, j].sum()
        if positives == 0:
            continue
        best_f1 = -1.0
        for threshold in grid:
            predicted = proba[:, j] >= threshold
            tp = np.sum(predicted & (truth[:, j] == 1))
            f1 = 2 * tp / (predicted.sum() + positives) if predicted.sum() + positives else 0.0
            if f1 > best_f1:
                best_f1, thresholds[j] = f1, float(threshold)
    return thresholds


class ThemeClassifier(ABC):
    """fit / predict / predict_proba / score / save / load over the 16 themes."""

    backend: ClassVar[str]

    def __init__(self) -> None:
        self.themes: list[str] = theme_ids()
        self.thresholds: np.ndarray = np.full(len(self.themes), 0.5)
        self.card: dict[str, Any] = {}

    @abstractmethod
    def fit(self, texts: Sequence[str], labels: Sequence[Sequence[str]]) -> "ThemeClassifier":
        """Learn from texts and their theme lists; tune the per-theme thresholds."""

    @abstractmethod
    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Array (n_texts, n_themes) of probabilities, columns in ``self.themes`` order."""

    def predict(self, texts: Sequence[str]) -> list[list[str]]:
        """Themes of each text: those whose probability reaches the theme's threshold."""
        proba = self.predict_proba(texts)
        return [[t for t, hit in zip(self.themes, row) if hit] for row in proba >= self.thresholds]

    def score(self, texts: Sequence[str], labels: Sequence[Sequence[str]]) -> float:
        """Macro F1 over the themes present in ``labels`` (scikit-learn's ``f1_score``)."""
        from sklearn.metrics import f1_score

        truth = binarize(labels, self.themes)
        predicted = binarize(self.predict(texts), self.themes)
        present = np.flatnonzero(truth.sum(axis=0))
        return float(f1_score(truth[:, present], predicted[:, present], average="macro", zero_division=0))

    # -- persistence ---------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the model folder: ``model.json`` with the model card, plus the backend's files."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        self._save_weights(folder)
        meta = {
            "backend": self.backend,
            "themes": self.themes,
            "thresholds": [round(float(t), 4) for t in self.thresholds],
            "card": {"saved": dt.date.today().isoformat(), **self.card},
            "config": self._config(),
        }
        (folder / MODEL_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        (folder / "README.md").write_text(model_card_markdown(meta), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, path: str | Path) -> "ThemeClassifier":
        """Load a folder written by :meth:`save` (the backend named in ``model.json``)."""
        folder = Path(path)
        meta = json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))
        backend = backend_class(meta["backend"])
        if cls is not ThemeClassifier and not issubclass(backend, cls):
            raise TypeError(f"{folder} holds a {meta['backend']} model, not {cls.backend}")
        model = backend._from_config(meta.get("config", {}))
        model.themes = list(meta["themes"])
        model.thresholds = np.asarray(meta["thresholds"], dtype=float)
        model.card = dict(meta.get("card", {}))
        model._load_weights(folder)
        return model

    def _config(self) -> dict[str, Any]:
        """Constructor arguments to rebuild an unfitted model (JSON-safe)."""
        return {}

    @classmethod
    def _from_config(cls, config: dict[str, Any]) -> "ThemeClassifier":
        return cls(**config)

    def _save_weights(self, folder: Path) -> None:
        """Write learnt parameters into ``folder`` (no pickles)."""

    def _load_weights(self, folder: Path) -> None:
        """Read what :meth:`_save_weights` wrote."""


def backend_class(name: str) -> type[ThemeClassifier]:
    """The class of a backend name: rules, linear or transformer (imported on demand)."""
    if name == "rules":
        from .rules import RulesClassifier

        return RulesClassifier
    if name == "linear":
        from .linear import LinearClassifier

        return LinearClassifier
    if name == "transformer":
        from .transformer import TransformerClassifier

        return TransformerClassifier
    raise ValueError(f"unknown backend {name!r}; expected rules, linear or transformer")


def model_card_markdown(meta: dict[str, Any]) -> str:
    """A human-readable model card from ``model.json``."""
    card = meta["card"]
    lines = [f"# gxnlp theme model ({meta['backend']})", ""]
    for key in ("saved", "trained_on", "n_train", "corpus_sha256", "notes"):
        if key in card:
            lines.append(f"- **{key}**: {card[key]}")
    metrics = card.get("metrics", {})
    if metrics:
        lines += ["", "## Metrics", "", "| metric | value |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in metrics.items() if not isinstance(v, dict)]
        per_theme = metrics.get("per_theme", {})
        if per_theme:
            lines += ["", "| theme | precision | recall | F1 | support |", "|---|---|---|---|---|"]
            lines += [f"| {t} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |" for t, m in per_theme.items()]
    lines += ["", "## Thresholds", "", ", ".join(f"{t}: {v}" for t, v in zip(meta["themes"], meta["thresholds"]))]
    return "\n".join(lines) + "\n"
