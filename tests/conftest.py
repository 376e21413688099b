"""Shared fixtures. Tests that need ../shared (the real reports) skip with a reason without it."""
from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GXNLP_SHARED", REPO.parent / "shared"))
CORPUS = SHARED / "corpus"
EXPECTED = REPO / "tests" / "expected"


def shared_available() -> bool:
    return (CORPUS / "manifest.csv").is_file()


requires_shared = pytest.mark.skipif(
    not shared_available(), reason=f"real reports not found at {CORPUS} (set GXNLP_SHARED to the shared folder)"
)


def manifest() -> list[dict[str, str]]:
    if not shared_available():
        return []
    with open(CORPUS / "manifest.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def synthetic_reports(out: Path, n: int, seed: int) -> Path:
    """``n`` synthetic reports in every format (gxnlp.synth) and one broken PDF, for corpus tests."""
    from gxnlp.synth import write_corpus

    write_corpus(out, n, seed=seed)
    (out / "broken.pdf").write_bytes(b"%PDF-1.4 this is not a PDF")
    return out


DATASET_SORT = {"reports": ["source"], "cells": ["report_id", "key"], "checks": ["report_id", "check"],
                "units": ["report_id", "unit"], "unit_themes": ["report_id", "unit", "theme"]}


def _comparable(frame, name: str):
    """Rows as plain Python values in a fixed order: a dataset read back and a corpus table compare equal."""
    frame = frame.astype(object).where(frame.notna(), None)
    if "themes" in frame:
        frame["themes"] = frame["themes"].map(lambda themes: None if themes is None else list(themes))
    return frame.sort_values(DATASET_SORT[name]).reset_index(drop=True)


def assert_dataset_equals(out: Path, corpus) -> None:
    """Every table of the dataset at ``out`` holds exactly the corpus's rows: none missing, none twice."""
    import pandas.testing as pdt

    from gxnlp.outputs import read_dataset

    for name in DATASET_SORT:
        expected = getattr(corpus, name)
        found = read_dataset(out / name)
        if expected.empty:  # an empty table is an empty folder: no files, so no columns either
            assert found.empty, name
            continue
        assert set(expected.columns) <= set(found.columns), name
        pdt.assert_frame_equal(_comparable(found[list(expected.columns)], name), _comparable(expected, name),
                               check_dtype=False, obj=name)
