"""Parsing speed per format on one core, CLI start-up time, and peak memory of a 1,000-file batch.

Goals (issue 2): ≥150 portal HTML pages/s, ≥500 text reports/s, ≥100 PDF pages/s, start-up < 1 s,
peak memory < 500 MB for 1,000 files. Real portal pages and PDFs from ../shared/corpus are used when
present (they carry the real chrome and layout); synthetic reports from gxnlp.synth otherwise.

    .venv/bin/python benchmarks/parse.py [--seconds 3]
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pypdfium2

from gxnlp import parse_bytes
from gxnlp.synth import RENDERERS, SUFFIXES, generate

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GXNLP_SHARED", REPO.parent / "shared")) / "corpus" / "reports"


def _real(pattern: str) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(SHARED.glob(pattern))] if SHARED.is_dir() else []


def _synth(renderer: str, n: int = 20) -> list[tuple[str, bytes]]:
    out = []
    for seed in range(n):
        data = RENDERERS[renderer](generate(seed), seed)
        out.append((f"s{seed}{SUFFIXES[renderer]}", data.encode("utf-8") if isinstance(data, str) else data))
    return out


def _rate(files: list[tuple[str, bytes]], seconds: float) -> tuple[float, int]:
    """Documents per second over at least ``seconds`` of repeated parsing."""
    done, started = 0, time.perf_counter()
    while True:
        for name, data in files:
            parse_bytes(data, name)
            done += 1
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return done / elapsed, done


def _pages(files: list[tuple[str, bytes]]) -> float:
    total = 0
    for _, data in files:
        document = pypdfium2.PdfDocument(data)
        total += len(document)
        document.close()
    return total / len(files)


def _batch_memory(n: int) -> tuple[float, float]:
    """Peak RSS (MB) and wall time of ``gxnlp parse DIR --json`` over ``n`` files."""
    folder = Path(tempfile.mkdtemp(prefix="gxnlp-bench-"))
    try:
        pool = [(name, data) for renderer in sorted(RENDERERS) for name, data in _synth(renderer, 10)]
        pool += _real("*/page.html") + _real("*/report.pdf") + _real("*/*.md")
        for i in range(n):
            name, data = pool[i % len(pool)]
            (folder / f"{i:05d}-{name}").write_bytes(data)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "gxnlp.cli", "parse", str(folder), "--json"],
                       stdout=subprocess.DEVNULL, check=False)
        wall = time.perf_counter() - started
        return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, wall
    finally:
        shutil.rmtree(folder)


def _startup() -> float:
    sample = REPO / "samples" / "synth-106-tab_text.txt"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "gxnlp.cli", "parse", str(sample), "--json"], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time spent per format")
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    print(f"gxnlp parse benchmark (one core; real reports: {'yes' if SHARED.is_dir() else 'no'})")
    rows = [
        ("portal HTML pages (real, 100-370 KB)", _real("*/page.html"), None),
        ("HTML (synthetic)", _synth("html"), None),
        ("text dumps (real page.txt + seed)", _real("*/page.txt") + _real("*/report.txt"), None),
        ("text (synthetic tab/pipe/digit runs)", _synth("tab_text") + _synth("pipe_text") + _synth("digit_runs"), None),
        ("Markdown (real + synthetic)", _real("*/*.md") + _synth("markdown"), None),
        ("DOCX (synthetic)", _synth("docx"), None),
        ("PDF (real, 5 pages each)", _real("*/report.pdf"), "pdf"),
        ("PDF (synthetic)", _synth("pdf"), "pdf"),
    ]
    print(f"{'format':42} {'docs/s':>9} {'pages/s':>9}")
    for label, files, kind in rows:
        if not files:
            continue
        rate, _ = _rate(files, args.seconds)
        pages = f"{rate * _pages(files):9.0f}" if kind == "pdf" else f"{'':9}"
        print(f"{label:42} {rate:9.0f} {pages}")
    print(f"CLI start-up and one text report: {_startup():.2f} s")
    peak, wall = _batch_memory(args.batch)
    print(f"batch of {args.batch} files through `gxnlp parse --json`: peak RSS {peak:.0f} MB, {wall:.1f} s")


if __name__ == "__main__":
    main()
