"""The ``gxnlp parse`` command: JSON Lines as schema.md, exit codes, batches that survive bad files."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import gxnlp
from gxnlp.readers import SUPPORTED_EXTENSIONS

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
SCHEMA_KEYS = {"source", "ok", "errors", "template", "year", "agency", "cells", "derived", "checks", "sections", "units"}


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gxnlp.cli", *args], capture_output=True, text=True, cwd=REPO, check=False)


def test_json_lines_follow_the_schema_and_equal_to_dict() -> None:
    result = _run("parse", "samples", "--json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    files = sorted(p for p in SAMPLES.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_EXTENSIONS)
    assert [Path(line["source"]).name for line in lines] == [p.name for p in files]
    for line in lines:
        assert SCHEMA_KEYS <= set(line)
        assert line["ok"] and line["template"] in {"2019", "2021"}
        for check in line["checks"]:
            assert {"id", "status", "lhs", "rhs", "message"} <= set(check)
            assert check["status"] in {"pass", "fail", "warn"}
        assert set(line["sections"]) <= {"s1", "s2", "s3", "s4", "s5", "s6"}
        assert all(set(s) == {"title", "text"} for s in line["sections"].values())
    first = files[0]
    assert json.loads(json.dumps(gxnlp.parse(first.relative_to(REPO)).to_dict())) == lines[0] | {
        "source": lines[0]["source"]
    }


def test_a_bad_file_fails_alone_and_sets_exit_status_1(tmp_path: Path) -> None:
    good = tmp_path / "a-good.html"
    good.write_bytes((SAMPLES / "synth-102-html.html").read_bytes())
    (tmp_path / "b-empty.txt").write_bytes(b"")
    (tmp_path / "c-broken.pdf").write_bytes(b"%PDF-1.7 garbage")
    result = _run("parse", str(tmp_path), "--json")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["ok"] for line in lines] == [True, False, False]
    assert [line["errors"][0]["code"] for line in lines[1:]] == ["empty_file", "unreadable_pdf"]


def test_usage_error_exits_2() -> None:
    assert _run("parse").returncode == 2
    assert _run("frobnicate").returncode == 2


def test_readable_table_output() -> None:
    result = _run("parse", "samples")
    assert result.returncode == 0
    assert "template" in result.stdout and "synth-102-html.html" in result.stdout


def test_parse_imports_no_ml_library() -> None:
    code = (
        "import sys; from gxnlp.cli import main; main(['parse', 'samples', '--json']);"
        "heavy = {'torch', 'transformers', 'spacy', 'sklearn', 'pandas'} & set(sys.modules);"
        "sys.exit(1 if heavy else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=REPO, check=False)
    assert result.returncode == 0


def test_synth_command_writes_reports_with_truth(tmp_path: Path) -> None:
    result = _run("synth", str(tmp_path), "--n", "3", "--formats", "html", "pdf")
    assert result.returncode == 0, result.stderr
    reports = sorted(p for p in tmp_path.iterdir() if not p.name.endswith(".json"))
    assert [p.suffix for p in reports] == [".html", ".pdf", ".html"]
    for path in reports:
        truth = json.loads(path.with_name(path.name + ".truth.json").read_text(encoding="utf-8"))
        assert gxnlp.parse(path).cells == truth["cells"]


def test_dataset_refuses_an_unknown_partition_column_before_parsing(tmp_path: Path) -> None:
    result = _run("dataset", "samples/corpus", "--out", str(tmp_path / "lake"), "--partition-by", "region")
    assert result.returncode == 2
    assert "cannot partition by ['region']" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "lake").exists()


def test_dataset_writes_the_partitioned_tables_and_resumes(tmp_path: Path) -> None:
    args = ("dataset", "--manifest", "samples/corpus/manifest.csv", "--out", str(tmp_path / "lake"),
            "--partition-by", "year", "region", "--workers", "1")
    first = _run(*args)
    assert first.returncode == 0, first.stderr
    assert "23 reports written (23 ok, 0 not parsed, 0 lost with a failed task), 0 already in" in first.stdout
    assert min(p.name for p in (tmp_path / "lake" / "cells").iterdir()).startswith("year=2021")
    assert "0 reports written" in _run(*args).stdout
