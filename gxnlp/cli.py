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


if __name__ == "__main__":
    sys.exit(main())
