"""Theme model speed: the shipped default and the rules baseline on one core; the transformer
backend's inference and fine-tuning figures come from benchmarks/themes_transformer.py.

Goals (issue 3): the default model classifies ≥ 10,000 units/s on one core; the transformer infers
≥ 50 units/s on 2 cores and fine-tunes on 5k units in < 15 min.

    .venv/bin/python benchmarks/themes.py [--repeat 3]
"""
from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core: before numpy/scipy load their thread pools

import time  # noqa: E402
from pathlib import Path  # noqa: E402

from gxnlp.labelled import load_units  # noqa: E402
from gxnlp.themes import DEFAULT_MODEL, load  # noqa: E402
from gxnlp.themes.rules import RulesClassifier  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1] / "corpora" / "gxnlp-zh"


def _rate(predict, texts: list[str], repeat: int) -> float:
    predict(texts[:100])  # warm caches and lazy state
    started = time.perf_counter()
    for _ in range(repeat):
        predict(texts)
    return repeat * len(texts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    texts = [u.text for u in load_units([CORPUS])]
    started = time.perf_counter()
    model = load(DEFAULT_MODEL)
    print(f"default model ({model.backend}, {DEFAULT_MODEL.name}): loaded in {time.perf_counter() - started:.2f} s")
    print(f"default model: {_rate(model.predict, texts, args.repeat):,.0f} units/s on one core ({len(texts)} units × {args.repeat})")
    print(f"rules baseline: {_rate(RulesClassifier().predict, texts, args.repeat):,.0f} units/s on one core")
    print("transformer backend: run benchmarks/themes_transformer.py (needs models/me5-small, built by the setup)")


if __name__ == "__main__":
    main()
