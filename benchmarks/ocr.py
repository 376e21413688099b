"""OCR benchmark (issue "Scanned reports"): pages per second at 150 dpi on this machine's cores, and peak memory.

Inputs: synthetic reports rendered as damaged image-only PDFs (gxnlp.synth_scan: blur, skew, JPEG, seal, grey
paper) and, when ../shared is there, its real PDFs rasterised at 150 dpi. Each document is parsed end to end
(``gxnlp.parse_bytes``: render, OCR, table grammar, identities, units) with pages read in parallel on
``--workers`` threads (default: every core). Printed: seconds per document, pages/s overall and per kind, the
share of cells read right (synthetic truth; hand-read values for the real PDFs), the CPU seconds per page (all
threads: on a machine shared with other jobs, cores ÷ CPU s/page is the rate the cores would give alone), the
load average, and the peak RSS of the process.

    .venv/bin/python benchmarks/ocr.py [--reports 6] [--workers 2]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GXNLP_SHARED", REPO.parent / "shared")) / "corpus"


def _peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM) in MB."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))


def _inputs(n: int) -> list[tuple[str, str, bytes, dict]]:
    """(kind, name, image-only PDF, true cells) for ``n`` synthetic scans and the rasterised real PDFs."""
    from gxnlp.synth import generate
    from gxnlp.synth_scan import rasterise_pdf, render_scan

    inputs = []
    for seed in range(n):
        report = generate(1000 + seed)
        inputs.append(("synthetic", f"synthetic-{seed}", render_scan(report, seed, fmt="pdf"), report.cells))
    for expected in sorted((REPO / "tests" / "expected").glob("*.json")):
        truth = json.loads(expected.read_text(encoding="utf-8"))
        for name in truth["files"]:
            if name.endswith(".pdf") and (SHARED / name).is_file():
                inputs.append(("real", truth["id"], rasterise_pdf((SHARED / name).read_bytes(), dpi=150), truth["cells"]))
    return inputs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=6, help="synthetic damaged scans")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="pages read at once")
    args = parser.parse_args()
    os.environ["GXNLP_OCR_WORKERS"] = str(args.workers)
    from gxnlp.ocr import read_page
    from gxnlp.pipeline import parse_bytes

    inputs = _inputs(args.reports)
    import numpy as np

    read_page(np.full((200, 200, 3), 255, np.uint8))  # load the models outside the timing
    print(f"cpu {os.cpu_count()}, page workers {args.workers}, python {sys.version.split()[0]}, 150 dpi")
    print(f"load average at start {os.getloadavg()[0]:.2f}")
    print(f"{'document':<18} {'kind':<9} {'pages':>5} {'seconds':>8} {'pages/s':>8} {'cells right':>12} {'failed checks'}")
    totals: dict[str, list[float]] = {}
    cpu_started = time.process_time()
    for kind, name, data, truth in inputs:
        started = time.perf_counter()
        report = parse_bytes(data, f"{name}.pdf")
        seconds = time.perf_counter() - started
        pages = len(report.ocr["pages"]) if report.ocr else 0
        right = sum(report.cells.get(key) == value for key, value in truth.items())
        failed = ",".join(c["id"].split(".", 1)[1] for c in report.failed_checks) or "-"
        print(f"{name:<18} {kind:<9} {pages:>5} {seconds:>8.1f} {pages / seconds:>8.2f} {right:>6}/{len(truth):<5} {failed}",
              flush=True)
        for key in (kind, "all"):
            total = totals.setdefault(key, [0, 0.0, 0, 0])
            total[0] += pages
            total[1] += seconds
            total[2] += right
            total[3] += len(truth)
    for key, (pages, seconds, right, cells) in totals.items():
        print(f"{key:<9} {pages} pages in {seconds:.1f} s: {pages / seconds:.2f} pages/s "
              f"({seconds / pages:.2f} s/page), cells right {right}/{cells} ({right / cells:.2%})")
    pages = totals["all"][0]
    cpu = (time.process_time() - cpu_started) / pages
    print(f"CPU {cpu:.2f} s/page: {os.cpu_count()} idle cores would read {os.cpu_count() / cpu:.2f} pages/s")
    print(f"load average at end {os.getloadavg()[0]:.2f}; peak RSS {_peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
