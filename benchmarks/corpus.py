"""Corpus build time: N synthetic reports from scratch, then a rebuild after 100 files changed.

Goals (issue "Compare agencies"): 10,000 reports in < 3 min on a 2-core machine with the default theme
model; the rebuild after 100 changed files in < 10 s (the cache serves the rest), timed as a rerun in a new
process (start-up and the model's load count) and again within the same process. Writing the reports is not
timed. The tables are materialised (every DataFrame property read) inside the timings.

    .venv/bin/python benchmarks/corpus.py [--n 10000] [--workers N] [--no-progress]
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from gxnlp import Corpus
from gxnlp.synth import RENDERERS, write_corpus

SEED = 100
_CYCLE = 2 * len(RENDERERS)  # write_corpus cycles formats and templates: slices on this stride join seamlessly


def _write(folder: Path, n: int, workers: int) -> None:
    """``write_corpus(folder, n)`` split over processes (same files, written faster)."""
    step = max(_CYCLE, (n // (workers * 4)) // _CYCLE * _CYCLE)
    with ProcessPoolExecutor(workers) as pool:
        jobs = [pool.submit(write_corpus, folder, min(step, n - start), seed=SEED + start) for start in range(0, n, step)]
        for job in jobs:
            job.result()


TABLES = ("reports", "cells", "checks", "units", "unit_themes")


def _build(folder: Path, cache: Path, workers: int | None, progress: bool) -> tuple[Corpus, float]:
    started = time.perf_counter()
    corpus = Corpus(folder, cache=cache, workers=workers, progress=progress)
    for table in TABLES:
        getattr(corpus, table)
    return corpus, time.perf_counter() - started


def _change(paths: list[Path]) -> None:
    """New bytes, same report: the cache must notice and parse these again."""
    for path in paths:
        path.write_bytes(path.read_bytes() + b"\n")


def _rebuild_in_a_new_process(folder: Path, cache: Path, workers: int | None) -> tuple[str, float]:
    """A rerun of a script: interpreter start, imports and the theme model's load all count."""
    code = (f"from gxnlp import Corpus; c = Corpus({str(folder)!r}, cache={str(cache)!r}, workers={workers!r}, "
            f"progress=False); [getattr(c, t) for t in {TABLES!r}]; print(c.stats)")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip(), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="reports in the corpus")
    parser.add_argument("--changed", type=int, default=100, help="files changed before the rebuild")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: every core)")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args()
    cores = args.workers or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="gxnlp-corpus-bench-") as tmp:
        folder, cache = Path(tmp) / "reports", Path(tmp) / "cache"
        started = time.perf_counter()
        _write(folder, args.n, cores)
        print(f"wrote {args.n:,} synthetic reports in {time.perf_counter() - started:.0f} s (not timed)")

        corpus, wall = _build(folder, cache, args.workers, not args.no_progress)
        print(f"build:   {wall:6.1f} s  {args.n / wall:6.0f} reports/s  {corpus!r}  (goal for 10,000: < 180 s)")

        text = sorted(p for p in folder.iterdir() if p.suffix in {".txt", ".md", ".html"})
        stride = max(1, len(text) // args.changed)
        _change(text[::stride][:args.changed])
        stats, wall = _rebuild_in_a_new_process(folder, cache, args.workers)
        print(f"rebuild: {wall:6.1f} s  after {args.changed} changed files, new process, stats {stats}  (goal: < 10 s)")
        _change(text[1::stride][:args.changed])
        corpus, wall = _build(folder, cache, args.workers, not args.no_progress)
        print(f"rebuild: {wall:6.1f} s  after {args.changed} other changed files, same process (model loaded), "
              f"stats {corpus.stats}")
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024
    print(f"peak RSS of one process: {peak:.0f} MB; {cores} worker(s)")


if __name__ == "__main__":
    main()
