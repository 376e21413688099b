"""Scale-out benchmark (issue "Scale out"): the streaming dataset build against corpus size, local and Dask engines.

For each size N (default 1,000, 10,000 and 100,000) N synthetic reports are written once (not timed; ``--keep DIR``
keeps them for the next run: 100,000 take ~11 min to write) with a manifest giving each a province, then each
engine runs :func:`gxnlp.corpus.build_dataset` from scratch — parse, validate, units, the theme model, Parquet
partitioned by year and region, written by the workers — in a fresh interpreter, so that its memory is its own.
Printed per run: seconds, reports/s, CPU seconds of the whole process tree (per report: the cost per core, which
the load of a shared machine does not inflate as it does the wall time), rows and files written, and peak memory:
of the whole process tree (the
build's process and every descendant: pool workers, or Dask nannies and workers; the scheduler runs in the build's
process) and of the build's process alone, as PSS (shared pages counted once across the tree, so forked workers
are not counted twice; sampled every second from a thread), and the tree's summed RSS (sampled every 0.2 s; an
upper bound that counts shared pages in every process). At the end, a least-squares line per engine:
seconds = intercept + N × s/report. ``load`` is the 1-minute load average before and after each run (the machine
may be shared).

    .venv/bin/python benchmarks/scale.py [--sizes 1000 10000 100000] [--engines local dask] [--workers 2]
                                         [--themes default|none] [--batch 500] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# benchmarks/corpus.py: the same synthetic corpora, written in parallel
from corpus import _write

TABLES = ("reports", "cells", "checks", "units", "unit_themes")
_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")
PROVINCES = ("北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽", "福建", "江西",
             "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州", "云南", "西藏", "陕西", "甘肃",
             "青海", "宁夏", "新疆")


def _manifest(root: Path, n: int) -> Path:
    """``<root>/n<N>.csv``: every report of ``<root>/n<N>/`` with a province, round robin (the region partition)."""
    from gxnlp.cli import expand_inputs

    path = root / f"n{n}.csv"
    files = sorted(os.path.relpath(f, root) for f in expand_inputs([str(root / f"n{n}")]))
    path.write_text("file,region\n" + "".join(f"{f},{PROVINCES[i % len(PROVINCES)]}\n" for i, f in enumerate(files)),
                    encoding="utf-8")
    return path


def _descendants(root: int) -> dict[int, float]:
    """``root`` and every process below it (from the parent ids in /proc), each with the CPU seconds it has used."""
    children: dict[int, list[int]] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()  # after the command name: state, ppid, …
                parent, cpu[int(entry)] = int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS  # utime+stime
            except (OSError, IndexError, ValueError):  # gone meanwhile
                continue
            children.setdefault(parent, []).append(int(entry))
    tree, stack = {}, [root]
    while stack:
        pid = stack.pop()
        tree[pid] = cpu.get(pid, 0.0)
        stack += children.get(pid, [])
    return tree


def _pss_mb(pid: int) -> float:
    """Proportional set size in MB (a page shared by k processes counts 1/k in each); 0 for a process gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _rss_mb(pid: int) -> float:
    """Resident set size in MB (shared pages counted in every process); 0 for a process gone. Cheap to read."""
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * _PAGE / 2**20
    except (OSError, IndexError, ValueError):
        return 0.0


class Peaks(threading.Thread):
    """Samples this process and its whole tree and keeps the peaks: summed RSS every ``every`` seconds, PSS every
    ``pss_every`` samples (reading smaps_rollup of ~800 MB processes costs ~10 ms of CPU each); and the CPU seconds
    each process of the tree was last seen to have used (their sum, less this thread's own: the build's CPU time,
    which the load of a shared machine does not inflate as it does the wall time)."""

    def __init__(self, every: float = 0.2, pss_every: int = 5) -> None:
        super().__init__(daemon=True)
        self.every, self.pss_every = every, pss_every
        self.tree_mb = self.tree_rss_mb = self.main_mb = self.own_cpu = 0.0
        self.processes = 0
        self.cpu: dict[int, float] = {}
        self._stop_event = threading.Event()

    def run(self) -> None:
        me, sample = os.getpid(), 0
        while not self._stop_event.wait(self.every):
            tree = _descendants(me)
            self.cpu.update(tree)
            self.tree_rss_mb = max(self.tree_rss_mb, sum(map(_rss_mb, tree)))
            self.processes = max(self.processes, len(tree))
            if sample % self.pss_every == 0:
                sizes = {pid: _pss_mb(pid) for pid in tree}
                self.tree_mb = max(self.tree_mb, sum(sizes.values()))
                self.main_mb = max(self.main_mb, sizes[me])
            sample += 1
        self.own_cpu = time.thread_time()

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _run(engine: str, manifest: Path, workers: int, themes: str | None, batch: int) -> dict:
    """One build from scratch into a fresh folder, timed and sampled; then what it wrote is counted and removed."""
    import pyarrow.dataset as ds

    from gxnlp.corpus import build_dataset

    out = Path(tempfile.mkdtemp(prefix=f"gxnlp-scale-{engine}-", dir=manifest.parent))
    peaks = Peaks()
    load = os.getloadavg()[0]
    peaks.start()
    started, cpu_before = time.perf_counter(), _descendants(os.getpid())[os.getpid()]
    try:
        stats = build_dataset(None, out, manifest=manifest, partition_by=("year", "region"), batch=batch,
                              engine=engine, workers=workers, themes=themes, progress=False)
        seconds = time.perf_counter() - started
        peaks.cpu.update(_descendants(os.getpid()))
        peaks.stop()
        parquet = list(out.rglob("*.parquet"))
        return {"seconds": seconds, "cpu_s": sum(peaks.cpu.values()) - cpu_before - peaks.own_cpu, "stats": stats,
                "tree_mb": peaks.tree_mb, "tree_rss_mb": peaks.tree_rss_mb, "main_mb": peaks.main_mb,
                "processes": peaks.processes, "load": [load, os.getloadavg()[0]],
                "rows": {t: ds.dataset(out / t, format="parquet", partitioning="hive").count_rows() for t in TABLES},
                "files": len(parquet), "disk_mb": sum(p.stat().st_size for p in parquet) / 2**20}
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _run_fresh(engine: str, manifest: Path, workers: int, themes: str | None, batch: int) -> dict:
    """:func:`_run` in a new interpreter: its memory peaks are this build's alone."""
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); from scale import _run; from pathlib import Path; "
            "print(json.dumps(_run(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5]), "
            "int(sys.argv[6]))))")
    done = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent), engine, str(manifest), str(workers),
                           json.dumps(themes), str(batch)], capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{engine} build failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least squares ``seconds = a + b·n``: (b seconds per report, a intercept); with one point, b = t/n, a = 0."""
    if len(points) < 2:
        n, t = points[0]
        return t / n, 0.0
    mean_n = sum(n for n, _ in points) / len(points)
    mean_t = sum(t for _, t in points) / len(points)
    slope = sum((n - mean_n) * (t - mean_t) for n, t in points) / sum((n - mean_n) ** 2 for n, _ in points)
    return slope, mean_t - slope * mean_n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--engines", nargs="+", default=["local", "dask"], choices=["local", "dask"])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--themes", default="default", help="'default', a model folder, or 'none' (no themes)")
    parser.add_argument("--batch", type=int, default=500, help="files per task, at most (build_dataset's batch)")
    parser.add_argument("--keep", type=Path, default=None, help="write the corpora here and keep them for later runs")
    args = parser.parse_args()
    themes = None if args.themes == "none" else args.themes
    root = args.keep or Path(tempfile.mkdtemp(prefix="gxnlp-scale-"))
    points: dict[str, list[tuple[int, float]]] = {engine: [] for engine in args.engines}
    cpu: dict[str, list[tuple[int, float]]] = {engine: [] for engine in args.engines}
    print(f"workers {args.workers}, themes {themes}, batch {args.batch}, cpu {os.cpu_count()}, "
          f"python {sys.version.split()[0]}, load {os.getloadavg()[0]:.2f}")
    print(f"{'engine':<6} {'reports':>8} {'seconds':>8} {'reports/s':>9} {'CPU s':>7} {'CPU ms/r':>8} {'ok':>8} "
          f"{'cells':>10} {'units':>9} {'themes':>9} {'files':>6} {'disk MB':>7} {'tree MB':>7} {'tree RSS':>8} {'main MB':>7} "
          f"{'procs':>5}  load")
    try:
        for n in args.sizes:
            folder = root / f"n{n}"
            if not folder.is_dir():
                started = time.perf_counter()
                _write(folder, n, args.workers)
                print(f"wrote {n:,} reports in {time.perf_counter() - started:.0f} s (not timed)", flush=True)
            manifest = _manifest(root, n)
            for engine in args.engines:
                r = _run_fresh(engine, manifest, args.workers, themes, args.batch)
                points[engine].append((n, r["seconds"]))
                cpu[engine].append((n, r["cpu_s"]))
                rows = r["rows"]
                print(f"{engine:<6} {n:>8,} {r['seconds']:>8.1f} {n / r['seconds']:>9.1f} {r['cpu_s']:>7.0f} "
                      f"{r['cpu_s'] / n * 1000:>8.1f} {r['stats']['ok']:>8,} {rows['cells']:>10,} {rows['units']:>9,} {rows['unit_themes']:>9,} {r['files']:>6,} "
                      f"{r['disk_mb']:>7.1f} {r['tree_mb']:>7.0f} {r['tree_rss_mb']:>8.0f} {r['main_mb']:>7.0f} {r['processes']:>5}  "
                      f"{r['load'][0]:.2f} → {r['load'][1]:.2f}", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    for engine, pts in points.items():
        slope, intercept = _fit(pts)
        cpu_slope, cpu_intercept = _fit(cpu[engine])
        print(f"fit {engine}: seconds = {intercept:.2f} + {slope * 1000:.2f} ms × reports "
              f"({1 / slope:.0f} reports/s, {1 / slope / args.workers:.0f} per worker, "
              f"{slope * args.workers * 1000:.1f} ms per report per core); "
              f"CPU seconds = {cpu_intercept:.1f} + {cpu_slope * 1000:.2f} ms × reports")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
