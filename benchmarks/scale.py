"""Scale-out benchmark (issue "Scale out"): corpus build time and memory against corpus size, local and Dask engines.

For each size N (default 1,000 and 10,000; ``--sizes 100000`` is possible), N synthetic reports are written
(not timed), then each engine builds a fresh ``Corpus`` from scratch (no cache) and every table is read. Printed
per run: seconds, reports/s, peak RSS of the main process (each build runs in a fresh interpreter, so its peak is
its own) and, for Dask, the peak RSS of each worker (``VmHWM``, asked of the workers with ``client.run``; not
ru_maxrss, which a spawned process inherits from its parent on Linux). At the end, a least-squares line per engine: seconds = intercept + N × s/report.

    .venv/bin/python benchmarks/scale.py [--sizes 1000 10000] [--engines local dask] [--workers 2]
                                         [--themes default|none] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from gxnlp.corpus import Corpus
from gxnlp.synth import RENDERERS, write_corpus

SEED = 100
_CYCLE = 2 * len(RENDERERS)
TABLES = ("reports", "cells", "checks", "units", "unit_themes")


def _write(folder: Path, n: int, workers: int) -> None:
    """``write_corpus(folder, n)`` split over processes (same files, written faster)."""
    step = max(_CYCLE, (n // (workers * 4)) // _CYCLE * _CYCLE)
    with ProcessPoolExecutor(workers) as pool:
        for job in [pool.submit(write_corpus, folder, min(step, n - start), seed=SEED + start)
                    for start in range(0, n, step)]:
            job.result()


def _peak_rss_mb() -> float:
    """This process's peak resident set in MB: VmHWM (this address space only), else ru_maxrss."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource as r

    return r.getrusage(r.RUSAGE_SELF).ru_maxrss / 1024


def _fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least squares ``seconds = a + b·n``: (b seconds per report, a intercept); with one point, b = t/n, a = 0."""
    if len(points) < 2:
        n, t = points[0]
        return t / n, 0.0
    mean_n = sum(n for n, _ in points) / len(points)
    mean_t = sum(t for _, t in points) / len(points)
    slope = sum((n - mean_n) * (t - mean_t) for n, t in points) / sum((n - mean_n) ** 2 for n, _ in points)
    return slope, mean_t - slope * mean_n


def _run(engine: str, folder: Path, workers: int, themes: str | None) -> dict:
    extra: dict = {}
    if engine == "dask":
        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                               silence_logs=40)
        client = Client(cluster)
        extra = {"scheduler": client}
    started = time.perf_counter()
    try:
        corpus = Corpus(folder, cache=None, workers=workers, engine=engine, themes=themes, progress=False, **extra)
        rows = {table: len(getattr(corpus, table)) for table in TABLES}
        seconds = time.perf_counter() - started
        result = {"seconds": seconds, "rows": rows, "ok": int(corpus.reports["ok"].sum()), "main_mb": _peak_rss_mb()}
        if engine == "dask":
            result["worker_mb"] = sorted(client.run(_peak_rss_mb).values())
        return result
    finally:
        if engine == "dask":
            client.close()
            cluster.close()


def _run_fresh(engine: str, folder: Path, workers: int, themes: str | None) -> dict:
    """:func:`_run` in a new interpreter: its peak memory is this build's alone."""
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); from scale import _run; from pathlib import Path; "
            "print(json.dumps(_run(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5]))))")
    done = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent), engine, str(folder), str(workers),
                           json.dumps(themes)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--engines", nargs="+", default=["local", "dask"], choices=["local", "dask"])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--themes", default="none", help="'default', a model folder, or 'none' (parsing only)")
    parser.add_argument("--keep", type=Path, default=None, help="write the corpora here and keep them")
    args = parser.parse_args()
    themes = None if args.themes == "none" else args.themes
    root = args.keep or Path(tempfile.mkdtemp(prefix="gxnlp-scale-"))
    points: dict[str, list[tuple[int, float]]] = {engine: [] for engine in args.engines}
    print(f"workers {args.workers}, themes {themes}, cpu {os.cpu_count()}, python {sys.version.split()[0]}")
    print(f"{'engine':<6} {'reports':>8} {'seconds':>8} {'reports/s':>10} {'ok':>8} {'units':>9} {'cells':>10} "
          f"{'main MB':>8}  worker MB")
    try:
        for n in args.sizes:
            folder = root / f"n{n}"
            if not folder.is_dir():
                _write(folder, n, args.workers)
            for engine in args.engines:
                r = _run_fresh(engine, folder, args.workers, themes)
                points[engine].append((n, r["seconds"]))
                workers_mb = " ".join(f"{mb:.0f}" for mb in r.get("worker_mb", [])) or "-"
                print(f"{engine:<6} {n:>8,} {r['seconds']:>8.1f} {n / r['seconds']:>10.1f} {r['ok']:>8,} "
                      f"{r['rows']['units']:>9,} {r['rows']['cells']:>10,} {r['main_mb']:>8.0f}  {workers_mb}",
                      flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    for engine, pts in points.items():
        slope, intercept = _fit(pts)
        print(f"fit {engine}: seconds = {intercept:.2f} + {slope * 1000:.2f} ms × reports "
              f"({1 / slope:.0f} reports/s, {1 / slope / args.workers:.0f} per worker)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
