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
