"""The linear backend: hashed TF-IDF character n-grams plus the rules' keyword scores, one calibrated
linear model per theme, thresholds tuned per theme on out-of-fold predictions.

A plain scikit-learn Pipeline, so it composes and inspects like any other; saved with skops and
loaded only with the types listed in ``TRUSTED`` (no unpickling of arbitrary objects).
"""
from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from .base import ThemeClassifier, binarize, tune_thresholds
from .rules import RulesClassifier

PIPELINE_FILE = "pipeline.skops"
MIN_POSITIVES = 10  # examples a theme needs before the linear model learns it
TRUSTED = [
    "gxnlp.themes.linear.KeywordScores",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.feature_extraction.text.HashingVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.multiclass.OneVsRestClassifier",
    "sklearn.preprocessing._label.LabelBinarizer",
    "sklearn.svm._classes.LinearSVC",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.pipeline.Pipeline",
    "sklearn.utils._bunch.Bunch",
    "numpy.dtype",
    "builtins.dict",
]


class KeywordScores(TransformerMixin, BaseEstimator):
    """The rules backend's keyword scores as 16 features (log-scaled), so the linear model can
    lean on the curated keywords and the disambiguation rules where n-grams are thin."""

    def fit(self, texts: Sequence[str], y: Any = None) -> "KeywordScores":
        return self

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        return np.log1p(RulesClassifier().scores(list(texts)))


def make_pipeline(c: float = 0.5, n_features: int = 2**18, seed: int = 0) -> Pipeline:
    """The unfitted estimator: hashed TF-IDF character n-grams plus keyword scores, then one
    calibrated linear SVM per theme. Hashing keeps no vocabulary, so the saved model is small and
    loads in a fraction of a second (a 40k-entry vocabulary took seconds to restore)."""
    chars = Pipeline([
        ("hash", HashingVectorizer(analyzer="char", ngram_range=(1, 3), n_features=n_features, alternate_sign=False, norm=None)),
        ("tfidf", TfidfTransformer(sublinear_tf=True)),
    ])
    features = FeatureUnion([("chars", chars), ("keywords", KeywordScores())])
    # ensemble=False: one SVM per theme, calibrated on cross-validated scores (3x smaller, faster)
    classifier = OneVsRestClassifier(CalibratedClassifierCV(LinearSVC(C=c, random_state=seed), method="sigmoid", cv=3, ensemble=False))
    return Pipeline([("features", features), ("classifier", classifier)])


class LinearClassifier(ThemeClassifier):
    """TF-IDF + keyword features → one-vs-rest calibrated linear SVMs; per-theme thresholds."""

    backend = "linear"

    def __init__(self, c: float = 0.5, n_features: int = 2**18, folds: int = 5, seed: int = 0) -> None:
        super().__init__()
        self.c, self.n_features, self.folds, self.seed = c, n_features, folds, seed
        self.pipeline: Pipeline | None = None

    def _config(self) -> dict[str, Any]:
        return {"c": self.c, "n_features": self.n_features, "folds": self.folds, "seed": self.seed}

    def fit(self, texts: Sequence[str], labels: Sequence[Sequence[str]]) -> "LinearClassifier":
        texts = list(texts)
        truth = binarize(labels, self.themes)
        # a theme with too few examples cannot be learnt and calibrated across folds: it stays at
        # probability 0, and the model card lists the themes the model does know
        self._present = np.flatnonzero(truth.sum(axis=0) >= MIN_POSITIVES)
        folds = KFold(self.folds, shuffle=True, random_state=self.seed)
        held_out = cross_val_predict(make_pipeline(self.c, self.n_features, self.seed), texts, truth[:, self._present], cv=folds, method="predict_proba")
        proba = np.zeros(truth.shape)
        proba[:, self._present] = held_out
        self.thresholds = tune_thresholds(truth, proba)
        self.pipeline = make_pipeline(self.c, self.n_features, self.seed).fit(texts, truth[:, self._present])
        self.card["present_themes"] = [self.themes[j] for j in self._present]
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if self.pipeline is None:
            raise RuntimeError("the model is not fitted")
        proba = np.zeros((len(texts), len(self.themes)))
        if len(texts):
            proba[:, self._present] = self.pipeline.predict_proba(list(texts))
        return proba

    def _save_weights(self, folder: Path) -> None:
        import skops.io

        skops.io.dump(self.pipeline, folder / PIPELINE_FILE, compression=zipfile.ZIP_DEFLATED)

    def _load_weights(self, folder: Path) -> None:
        import skops.io

        path = folder / PIPELINE_FILE
        untrusted = skops.io.get_untrusted_types(file=path)
        unknown = sorted(set(untrusted) - set(TRUSTED))
        if unknown:
            raise ValueError(f"{path} holds types gxnlp does not trust: {unknown}")
        self.pipeline = skops.io.load(path, trusted=untrusted)
        present = self.card.get("present_themes", self.themes)
        self._present = np.array([self.themes.index(t) for t in present])
