"""gxnlp.Corpus: inputs and manifests, the tidy tables and their dtypes, the cache, and parallel = serial."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pandas.testing as pdt
import pytest

import gxnlp
import gxnlp.corpus as corpus_module
from gxnlp.corpus import Corpus, build_dataset
from gxnlp.frames import (
    CELL_COLUMNS,
    CHECK_COLUMNS,
    REPORT_COLUMNS,
    UNIT_COLUMNS,
    UNIT_THEME_COLUMNS,
)
from gxnlp.outputs import read_dataset
from gxnlp.themes import default_model

from .conftest import assert_dataset_equals, synthetic_reports

TABLES = ("reports", "cells", "checks", "units", "unit_themes")
DTYPES = {
    "report_id": "string", "source": "string", "sha256": "string", "ok": "boolean", "errors": "string",
    "year": "Int64", "n_cells": "Int64", "value": "float64", "derived": "boolean", "lhs": "float64",
    "unit": "Int64", "start": "Int64", "text": "string", "score": "float64", "theme": "string",
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eleven synthetic reports (every format) and one broken PDF."""
    return synthetic_reports(tmp_path_factory.mktemp("reports"), 11, seed=300)


@pytest.fixture(scope="module")
def built(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """Built serially with the default theme model (loaded once per test session)."""
    return Corpus(folder, cache=tmp_path_factory.mktemp("cache"), workers=1, progress=False)


def _copy(folder: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(folder, tmp_path / "copy"))


def test_tables_have_the_frames_columns_and_proper_dtypes(built: Corpus) -> None:
    expected = {"reports": REPORT_COLUMNS, "cells": CELL_COLUMNS, "checks": CHECK_COLUMNS,
                "units": [*UNIT_COLUMNS, "themes"], "unit_themes": UNIT_THEME_COLUMNS}
    for name in TABLES:
        frame = getattr(built, name)
        assert list(frame.columns) == expected[name], name
        for column, dtype in DTYPES.items():
            if column in frame:
                assert frame[column].dtype == dtype, (name, column, frame[column].dtype)
    assert len(built) == 12 and built.reports["report_id"].is_unique
    assert set(built.cells["report_id"]) <= set(built.reports["report_id"])
    assert "12 reports (11 ok, 1 failed)" in repr(built)


def test_cells_equal_the_ground_truth(built: Corpus, folder: Path) -> None:
    reports = built.reports.set_index("source")
    for truth_file in sorted(folder.glob("*.truth.json")):
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        row = reports.loc[str(folder / truth_file.name.removesuffix(".truth.json"))]
        assert row["ok"] and row["template"] == truth["template"] and row["year"] == truth["year"]
        cells = built.cells[built.cells["report_id"] == row["report_id"]]
        found = dict(zip(cells["key"], cells["value"]))
        assert found == gxnlp.parse(row.name).cells  # nothing lost on the way into the table
        assert found == pytest.approx({key: truth["cells"][key] for key in found}), truth_file.name
        assert len(found) > 0.9 * len(truth["cells"])  # the parser may leave an ambiguous row out (test_roundtrip)
        assert sorted(cells.loc[cells["derived"], "key"]) == sorted(truth["derived"])


def test_a_broken_file_is_a_row_not_an_exception(built: Corpus) -> None:
    broken = built.reports[built.reports["source"].str.endswith("broken.pdf")]
    assert len(broken) == 1 and not broken["ok"].iloc[0] and broken["errors"].iloc[0]
    assert broken["n_cells"].iloc[0] == 0


def test_a_missing_file_and_an_empty_folder_are_not_errors(tmp_path: Path) -> None:
    missing = Corpus([str(tmp_path / "missing.txt")], cache=tmp_path / "cache", workers=1, progress=False)
    row = missing.reports.iloc[0]
    assert not row["ok"] and row["errors"] == "not_found" and pd.isna(row["sha256"])
    again = Corpus([str(tmp_path / "missing.txt")], cache=tmp_path / "cache", workers=1, progress=False)
    assert again.stats == {"parsed": 1, "cached": 0}  # not cached: it may turn up
    (tmp_path / "empty").mkdir()
    empty = Corpus(tmp_path / "empty", cache=tmp_path / "cache", workers=1, progress=False)
    assert len(empty) == 0 and list(empty.cells.columns) == CELL_COLUMNS


def test_a_glob_selects_the_matching_supported_files(folder: Path) -> None:
    corpus = Corpus(str(folder / "*.txt"), cache=None, workers=1, themes=None, progress=False)
    assert len(corpus) == len(list(folder.glob("*.txt"))) > 0
    assert Corpus(str(folder / "*"), cache=None, workers=1, themes=None, progress=False).stats["parsed"] == 12


def test_a_manifest_lists_files_and_adds_metadata(folder: Path, tmp_path: Path) -> None:
    files = sorted(p.name for p in folder.glob("synth-*") if not p.name.endswith(".json"))[:4]
    (tmp_path / "sub").mkdir()
    manifest = pd.DataFrame({"file": [f"../{folder.name}/{name}" for name in files],
                             "region": ["东湖区", "西湖区", "东湖区", None], "level": ["county", "city", "county", "city"],
                             "agency": ["某某局", None, None, None]})
    shutil.copytree(folder, tmp_path / folder.name)
    manifest.to_csv(tmp_path / "sub" / "manifest.csv", index=False)
    corpus = Corpus(manifest=tmp_path / "sub" / "manifest.csv", cache=None, workers=1, themes=None, progress=False)
    reports = corpus.reports
    assert list(reports.columns) == [*REPORT_COLUMNS, "region", "level", "parsed_agency"]
    assert reports["region"].dtype == "string" and reports["level"].tolist() == manifest["level"].tolist()
    assert reports["agency"].iloc[0] == "某某局" and reports["parsed_agency"].iloc[0] != "某某局"
    assert (reports["agency"].iloc[1:] == reports["parsed_agency"].iloc[1:]).all()
    with_ids = Corpus(manifest=manifest.assign(id=["a", "b", "c", "d"], file=[str(folder / n) for n in files]),
                      cache=None, workers=1, themes=None, progress=False)
    assert with_ids.reports["report_id"].tolist() == ["a", "b", "c", "d"]


def test_a_rebuild_parses_only_the_changed_file(folder: Path, tmp_path: Path) -> None:
    copy, cache = _copy(folder, tmp_path), tmp_path / "cache"
    first = Corpus(copy, cache=cache, workers=1, themes=None, progress=False)
    assert first.stats == {"parsed": 12, "cached": 0}
    changed = next(copy.glob("*.txt"))
    changed.write_bytes(changed.read_bytes() + b"\n")
    second = Corpus(copy, cache=cache, workers=1, themes=None, progress=False)
    assert second.stats == {"parsed": 1, "cached": 11}
    for name in TABLES:  # the same content: the same tables, save the changed file's hash and id
        pdt.assert_frame_equal(getattr(first, name).drop(columns=["report_id", "sha256"], errors="ignore"),
                               getattr(second, name).drop(columns=["report_id", "sha256"], errors="ignore"))
    assert Corpus(copy, cache=cache, workers=1, themes=None, progress=False).stats == {"parsed": 0, "cached": 12}


def test_the_cache_compacts_its_parts(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(corpus_module, "COMPACT_AT", 2)
    copy, cache = _copy(folder, tmp_path), tmp_path / "cache"
    first = Corpus(copy, cache=cache, workers=1, themes=None, progress=False)
    for changed in sorted(copy.glob("*.txt"))[:3]:
        changed.write_bytes(changed.read_bytes() + b"\n")
        again = Corpus(copy, cache=cache, workers=1, themes=None, progress=False)
        assert again.stats == {"parsed": 1, "cached": 11}
    assert len(list(cache.glob("*/part-*"))) <= 2
    last = Corpus(copy, cache=cache, workers=1, themes=None, progress=False)
    assert last.stats == {"parsed": 0, "cached": 12} and len(last.cells) == len(first.cells)


def test_one_worker_and_two_give_identical_tables(folder: Path, built: Corpus) -> None:
    parallel = Corpus(folder, cache=None, workers=2, progress=False)
    for name in TABLES:
        pdt.assert_frame_equal(getattr(built, name), getattr(parallel, name))


def test_a_chunk_that_raises_becomes_error_rows_and_is_not_cached(folder: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(path: str) -> None:
        raise MemoryError("simulated worker failure")

    monkeypatch.setattr(corpus_module, "parse", explode)
    failed = Corpus(folder, cache=tmp_path, workers=1, themes=None, progress=False)
    assert not failed.reports["ok"].any() and set(failed.reports["errors"]) == {"internal_error"}
    monkeypatch.undo()
    assert Corpus(folder, cache=tmp_path, workers=1, themes=None, progress=False).stats["parsed"] == 12


def test_units_get_their_themes(built: Corpus) -> None:
    units, themes = built.units, built.unit_themes
    assert len(units) > 0 and units["themes"].map(lambda t: isinstance(t, list)).all()
    assert built.reports["n_units"].sum() == len(units)
    model = default_model()
    assert set(themes["theme"]) <= set(model.themes) and themes["score"].between(0, 1).all()
    listed = units.explode("themes").dropna(subset="themes")
    assert sorted(zip(listed["report_id"], listed["unit"], listed["themes"])) == sorted(
        zip(themes["report_id"], themes["unit"], themes["theme"]))


def test_from_frames_and_bad_arguments(built: Corpus) -> None:
    again = Corpus.from_frames(built.reports, cells=built.cells)
    assert len(again) == 12 and again.checks.empty and list(again.units.columns) == list(built.units.columns)
    with pytest.raises(ValueError, match="unknown engine"):
        Corpus("x", engine="nope", cache=None)
    with pytest.raises(ValueError, match="inputs"):
        Corpus(cache=None)
    with pytest.raises(ValueError, match="'file' or 'path'"):
        Corpus(manifest=pd.DataFrame({"name": ["x"]}), cache=None)


def test_import_gxnlp_stays_light() -> None:
    code = ("import sys, gxnlp; assert 'pandas' not in sys.modules, 'pandas imported';"
            "gxnlp.Corpus; assert 'pandas' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


class _StopsAfter:
    """An engine that runs chunks in this process and is interrupted after ``n`` of them."""

    workers = 4

    def __init__(self, n: int) -> None:
        self.n = n

    def map(self, fn, chunks):
        for index, chunk in enumerate(chunks):
            if index == self.n:
                raise KeyboardInterrupt
            yield index, fn(chunk)


def test_an_interrupted_run_resumes_where_it_stopped(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(corpus_module, "FLUSH_AT", 1)  # every finished chunk becomes a cache part
    with pytest.raises(KeyboardInterrupt):
        Corpus(folder, cache=tmp_path / "cache", themes=None, engine=_StopsAfter(2), progress=False)
    resumed = Corpus(folder, cache=tmp_path / "cache", themes=None, workers=1, progress=False)
    assert 0 < resumed.stats["cached"] < len(resumed)
    assert resumed.stats["cached"] + resumed.stats["parsed"] == len(resumed)
    fresh = Corpus(folder, cache=None, themes=None, workers=1, progress=False)
    pdt.assert_frame_equal(resumed.cells.sort_values(["report_id", "key"]).reset_index(drop=True),
                           fresh.cells.sort_values(["report_id", "key"]).reset_index(drop=True))


def test_an_interrupted_dataset_build_resumes_without_duplicates(folder: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Stopped between tasks, then in the middle of a task's move into place (its data files there, its reports
    not yet), with a half-written task left behind too: the rerun completes the moved task, drops the half-written
    one, parses just the rest, and the dataset holds every report once."""
    out, options = tmp_path / "lake", {"partition_by": ["year"], "batch": 2, "themes": None, "progress": False}
    with pytest.raises(KeyboardInterrupt):
        build_dataset(folder, out, engine=_StopsAfter(2), **options)

    def stop_before_reports(staging: Path, out: Path) -> None:
        for path in staging.rglob("*.parquet"):
            if path.relative_to(staging).parts[0] != "reports":
                (out / path.relative_to(staging)).parent.mkdir(parents=True, exist_ok=True)
                path.replace(out / path.relative_to(staging))
        raise KeyboardInterrupt

    monkeypatch.setattr(corpus_module, "_publish", stop_before_reports)
    with pytest.raises(KeyboardInterrupt):
        build_dataset(folder, out, workers=1, **options)
    monkeypatch.undo()
    half = out / "_staging" / "part-0123-4567.tmp" / "cells" / "year=2021"
    half.mkdir(parents=True)
    (half / "part-0123-0.parquet").write_bytes(b"cut short")
    reports = read_dataset(out / "reports")  # two tasks of one file each (four workers), and orphan cells
    assert len(reports) == 2 and set(read_dataset(out / "cells")["report_id"]) - set(reports["report_id"])

    resumed = build_dataset(folder, out, workers=1, **options)  # the two files of the task caught moving count done
    assert resumed["skipped"] == 4 and resumed["written"] == 8 and not (out / "_staging").exists()
    assert_dataset_equals(out, Corpus(folder, cache=None, themes=None, workers=1, progress=False))
    with pytest.raises(ValueError, match="was built with"):  # a resume never mixes layouts or versions
        build_dataset(folder, out, workers=1, **{**options, "partition_by": ["year", "format"]})
