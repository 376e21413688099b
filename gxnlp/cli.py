"""The ``gxnlp`` command line. Kept light: ``gxnlp parse`` imports no ML library."""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path


def expand_inputs(inputs: Sequence[str]) -> Iterator[str]:
    """Files as given, and every supported file below each directory (sorted, so runs repeat)."""
    from .readers import SUPPORTED_EXTENSIONS

    for item in inputs:
        path = Path(item)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in SUPPORTED_EXTENSIONS:
                    yield os.fspath(child)
        else:
            yield item


def _figure(cells: dict, key: str) -> str:
    value = cells.get(key)
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def _print_table(rows: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="gxnlp parse", show_lines=False)
    for column in ("source", "ok", "template", "year", "agency", "新收", "办结", "予以公开", "复议", "诉讼", "failed checks", "notes"):
        table.add_column(column, overflow="fold")
    for row in rows:
        cells = row["cells"]
        failed = [c["id"] for c in row["checks"] if c["status"] == "fail"]
        errors = ", ".join(e["code"] for e in row["errors"])
        litigation = sum(cells.get(k, 0) for k in ("t4.lit_direct.total", "t4.lit_after_review.total"))
        notes = [f"{len(row['tables'].get('ambiguous', []))} ambiguous row(s)"] if row["tables"].get("ambiguous") else []
        notes += [f"{len(row['derived'])} derived"] if row["derived"] else []
        table.add_row(
            "/".join(Path(row["source"]).parts[-2:]),
            "[green]yes[/]" if row["ok"] else f"[red]{errors}[/]",
            row["template"],
            str(row["year"] or ""),
            row["agency"] or "",
            _figure(cells, "t3.new_received.total"),
            _figure(cells, "t3.results_total.total"),
            _figure(cells, "t3.granted.total"),
            _figure(cells, "t4.review.total"),
            str(litigation) if "t4.lit_direct.total" in cells else "",
            f"[red]{', '.join(failed)}[/]" if failed else "",
            ", ".join(notes),
        )
    Console(width=None if sys.stdout.isatty() else 200).print(table)


def _cmd_parse(args: argparse.Namespace) -> int:
    from .pipeline import parse

    status = 0
    rows = []
    for path in expand_inputs(args.inputs):
        report = parse(path).to_dict()
        if not report["ok"]:
            status = 1
        if args.json:
            sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            rows.append(report)
    if not args.json:
        _print_table(rows)
    return status


def _cmd_synth(args: argparse.Namespace) -> int:
    from .synth import write_corpus

    for path in write_corpus(args.out, args.n, seed=args.seed, formats=args.formats):
        print(path)
    return 0


def _cmd_themes(args: argparse.Namespace) -> int:
    from .themes import predict

    texts = [line.rstrip("\n") for line in sys.stdin if line.strip()]
    results = predict(texts, args.model)
    for result in results:
        if args.json:
            sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(f"{', '.join(result['themes']) or '-'}\t{result['text']}\n")
    return 0


def _corpus_split(args: argparse.Namespace, split: str | None) -> tuple[list[str], list[list[str]]]:
    from .labelled import load_units

    units = load_units(args.corpus, split=None if split == "all" else split, documents=args.documents)
    if not units:
        raise SystemExit(f"no labelled units found in {args.corpus} (split {split})")
    return [u.text for u in units], [list(u.themes) for u in units]


def _print_metrics(result: dict, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in ("theme", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="left" if column == "theme" else "right")
    for theme, m in result["per_theme"].items():
        table.add_row(theme, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"]))
    console = Console(width=None if sys.stdout.isatty() else 120)
    console.print(table)
    console.print(f"macro F1 {result['macro_f1']:.3f} · micro F1 {result['micro_f1']:.3f} · exact match {result['exact_match']:.3f} · n = {result['n']}")
    if result["confusions"]:
        console.print("most frequent confusions (true → predicted): " + "; ".join(
            f"{c['true']} → {c['predicted']} ({c['count']})" for c in result["confusions"]))


def _cmd_train(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .labelled import fingerprint, load_units
    from .themes.base import backend_class
    from .themes.evaluate import evaluate

    train_units = load_units(args.corpus, split=None if args.split == "all" else args.split, documents=args.documents)
    texts, labels = [u.text for u in train_units], [list(u.themes) for u in train_units]
    options = json.loads(args.options) if args.options else {}
    model = backend_class(args.backend)(**options)
    with Console(stderr=True).status(f"training {args.backend} on {len(texts)} units"):
        model.fit(texts, labels)
    model.card.update({
        "trained_on": [str(p) for p in args.corpus], "split": args.split, "n_train": len(texts),
        "corpus_sha256": fingerprint(train_units), "options": options,
    })
    if args.split != "all":
        test_texts, test_labels = _corpus_split(args, args.eval_split)
        result = evaluate(model, test_texts, test_labels)
        model.card["metrics"] = {"evaluated_on": args.eval_split, **result}
        _print_metrics(result, f"{args.backend} on the {args.eval_split} split")
    print(model.save(args.out))
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .themes import load
    from .themes.evaluate import evaluate

    texts, labels = _corpus_split(args, args.split)
    result = evaluate(load(args.model), texts, labels)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        _print_metrics(result, f"{args.model} on {', '.join(map(str, args.corpus))} ({args.split})")
    return 0


def _add_corpus_arguments(command: argparse.ArgumentParser) -> None:
    """Inputs, output and engine options shared by the commands that build a Corpus."""
    command.add_argument("inputs", nargs="*", metavar="INPUT", help="files, folders or globs (or none with --manifest)")
    command.add_argument("--out", required=True, type=Path)
    command.add_argument("--manifest", default=None, help="CSV with a file column and metadata (agency, region, level, year)")
    command.add_argument("--workers", type=int, default=None)
    command.add_argument("--engine", default="local", choices=["local", "dask"])
    command.add_argument("--scheduler", default=None, help="Dask scheduler address (tcp://host:port)")


def _engine_options(args: argparse.Namespace) -> dict:
    """Engine keyword arguments (of ``Corpus`` and ``build_dataset``) from :func:`_add_corpus_arguments`' options."""
    options = {"workers": args.workers, "engine": args.engine}
    return options | ({"scheduler": args.scheduler} if args.scheduler else {})


def _cmd_summarize(args: argparse.Namespace) -> int:
    from .corpus import Corpus

    corpus = Corpus(args.inputs or None, manifest=args.manifest, cache=args.cache or None, **_engine_options(args))
    written = corpus.write(args.out, by=args.by, theme=args.theme, expected=args.expected)
    failed = int((~corpus.reports["ok"].astype(bool)).sum())
    print(f"{len(corpus)} reports ({failed} not parsed) → {len(written)} files in {args.out}")
    for path in written:
        print(path)
    return 0


def _cmd_dataset(args: argparse.Namespace) -> int:
    from .corpus import build_dataset

    stats = build_dataset(args.inputs or None, args.out, manifest=args.manifest, partition_by=args.partition_by,
                          batch=args.batch, **_engine_options(args))
    print(f"{stats['written']:,} reports written ({stats['ok']:,} ok, {stats['failed']:,} not parsed, "
          f"{stats['retry']:,} lost with a failed task), {stats['skipped']:,} already in {args.out}")
    if stats["retry"]:
        print("run the same command again to retry the files lost with failed tasks", file=sys.stderr)
    return 1 if stats["retry"] else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gxnlp", description="Chinese government information disclosure annual reports as research data.")
    commands = parser.add_subparsers(dest="command", required=True)
    parse_cmd = commands.add_parser("parse", help="parse reports (HTML, text, Markdown, DOCX, PDF) into tables, checks and sections")
    parse_cmd.add_argument("inputs", nargs="+", metavar="FILE_OR_DIR")
    parse_cmd.add_argument("--json", action="store_true", help="print one JSON object per document (schema.md)")
    parse_cmd.set_defaults(handler=_cmd_parse)
    synth_cmd = commands.add_parser("synth", help="write synthetic reports with known values (demo data, benchmarks)")
    synth_cmd.add_argument("out", metavar="DIR")
    synth_cmd.add_argument("--n", type=int, default=7, help="number of reports (default 7)")
    synth_cmd.add_argument("--seed", type=int, default=100)
    synth_cmd.add_argument("--formats", nargs="+", default=None, help="renderers to cycle through (default: all)")
    synth_cmd.set_defaults(handler=_cmd_synth)

    summarize_cmd = commands.add_parser("summarize", help="compare reports: corpus tables, metrics, summaries and report.html")
    _add_corpus_arguments(summarize_cmd)
    summarize_cmd.add_argument("--cache", default=".gxnlp-cache", help="parse cache folder ('' to disable)")
    summarize_cmd.add_argument("--by", default="agency", help="grouping column: agency, region, level, year, … (default agency)")
    summarize_cmd.add_argument("--theme", default=None, help="theme id for the thematic summary (default: all units)")
    summarize_cmd.add_argument("--expected", default=None, help="CSV of expected agency × year for the coverage table")
    summarize_cmd.set_defaults(handler=_cmd_summarize)

    dataset_cmd = commands.add_parser("dataset", help="stream a corpus of any size into partitioned Parquet (resumable; "
                                      "exit status 1 when files were lost with failed tasks: run it again)")
    _add_corpus_arguments(dataset_cmd)
    dataset_cmd.add_argument("--partition-by", nargs="+", default=["year"], help="report columns (region, level, … need a manifest)")
    dataset_cmd.add_argument("--batch", type=int, default=500,
                             help="files per task, at most (default 500): a task writes one Parquet file per table and "
                                  "partition it touches, so larger means fewer, bigger files and more memory per worker")
    dataset_cmd.set_defaults(handler=_cmd_dataset)

    themes_cmd = commands.add_parser("themes", help="classify texts from standard input (one per line) into themes")
    themes_cmd.add_argument("--json", action="store_true", help="one JSON object per line (schema.md §2)")
    themes_cmd.add_argument("--model", default=None, help="a trained model folder (default: the shipped model)")
    themes_cmd.set_defaults(handler=_cmd_themes)

    for name, help_text in (("train", "train a theme model on a labelled corpus"), ("evaluate", "score a theme model on a labelled corpus")):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--corpus", nargs="+", required=True, type=Path, help="JSON Lines files or folders of them")
        sub.add_argument("--documents", default=None, help="manifest.csv that annotation records point into")
        if name == "train":
            sub.add_argument("--backend", choices=["rules", "linear", "transformer"], default="linear")
            sub.add_argument("--out", required=True, type=Path)
            sub.add_argument("--split", default="train", help="split to learn from (train, dev, test or all)")
            sub.add_argument("--eval-split", default="test", help="split to report metrics on")
            sub.add_argument("--options", default=None, help='backend options as JSON, e.g. \'{"c": 0.5}\'')
            sub.set_defaults(handler=_cmd_train)
        else:
            sub.add_argument("--model", required=True, type=Path)
            sub.add_argument("--split", default="test", help="split to score (or all)")
            sub.add_argument("--json", action="store_true")
            sub.set_defaults(handler=_cmd_evaluate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0) and 2
    try:
        return args.handler(args)
    except BrokenPipeError:
        return 0
    except (ValueError, FileNotFoundError) as error:  # bad arguments or inputs: a message, not a traceback
        print(f"gxnlp {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
