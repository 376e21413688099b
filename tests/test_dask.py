"""The Dask engine (issue "Scale out"): same tables as the local engine, every document accounted for when a worker
dies mid-run, resumable through the cache; and the Hive-partitioned Parquet output.

One LocalCluster of two worker processes serves the module. Tests skip, saying why, when distributed is not
installed or cannot start a cluster here.
"""
from __future__ import annotations

import logging
import os
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import pandas.testing as pdt
import pyarrow.dataset as pads
import pytest

from gxnlp.corpus import Corpus
from gxnlp.engines import ENGINES, DaskEngine, LocalEngine, make_engine
from gxnlp.outputs import read_dataset

from .conftest import assert_dataset_equals, synthetic_reports

TABLES = ("reports", "cells", "checks", "units", "unit_themes")
SORT = {"reports": ["source"], "cells": ["report_id", "key"], "checks": ["report_id", "check"],
        "units": ["report_id", "unit"], "unit_themes": ["report_id", "unit", "theme"]}


@pytest.fixture(scope="module")
def client() -> Any:
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")
    import dask

    try:  # a task whose worker dies twice comes back as KilledWorker (the default, 3, takes longer)
        with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
            cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                               dashboard_address=":0", silence_logs=logging.ERROR)
        client = distributed.Client(cluster)
    except Exception as error:  # noqa: BLE001 - the sandbox may forbid sockets or process spawning
        pytest.skip(f"distributed cannot start a LocalCluster here: {type(error).__name__}: {error}")
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ten synthetic reports (every format) and one broken PDF."""
    return synthetic_reports(tmp_path_factory.mktemp("dask-reports"), 10, seed=500)


@pytest.fixture(scope="module")
def local(folder: Path) -> Corpus:
    return Corpus(folder, cache=None, themes=None, workers=1, progress=False)


def _sorted(corpus: Corpus, name: str) -> pd.DataFrame:
    return getattr(corpus, name).sort_values(SORT[name]).reset_index(drop=True)


def assert_same_tables(left: Corpus, right: Corpus) -> None:
    for name in TABLES:
        pdt.assert_frame_equal(_sorted(left, name), _sorted(right, name), obj=name)


class Wrapped:
    """An engine running ``wrap(fn, chunk)`` instead of ``fn(chunk)``: a way to make a worker die mid-run."""

    def __init__(self, inner: Any, wrap: Any) -> None:
        self.inner, self.wrap = inner, wrap

    @property
    def workers(self) -> int:
        return self.inner.workers

    def map(self, fn: Any, chunks: Any) -> Any:
        return self.inner.map(partial(self.wrap, fn), chunks)


def test_registered() -> None:
    assert ENGINES["dask"] is DaskEngine and ENGINES["local"] is LocalEngine
    with pytest.raises(ValueError, match="needs engine='dask'"):
        make_engine("local", None, "tcp://127.0.0.1:8786")


def test_same_tables_as_the_local_engine(client: Any, folder: Path, local: Corpus) -> None:
    dask = Corpus(folder, cache=None, themes=None, engine="dask", scheduler=client, progress=False)
    assert len(dask.reports) == 11 and dask.reports["ok"].sum() == 10
    assert_same_tables(local, dask)
    assert client.status == "running"  # a client passed in is the caller's: left open


def test_scheduler_address(client: Any, folder: Path, local: Corpus) -> None:
    dask = Corpus(folder, cache=None, themes=None, engine="dask", scheduler=client.scheduler.address, progress=False)
    assert_same_tables(local, dask)


def test_map_yields_every_chunk_once_with_results_or_exceptions(client: Any) -> None:
    def work(chunk: list[str]) -> int:
        if "bad" in chunk:
            raise RuntimeError("bad chunk")
        return len(chunk)

    engine = DaskEngine(client)
    engine.IN_FLIGHT = 1  # two in flight at most: the feeding loop must still reach every chunk
    chunks = [["x"] * i for i in range(30)] + [["bad"]]
    outcomes = dict(engine.map(work, chunks))
    assert sorted(outcomes) == list(range(31))
    assert all(outcomes[i] == i for i in range(30))
    assert isinstance(outcomes[30], RuntimeError)


def test_a_worker_killed_once_is_redone(client: Any, folder: Path, local: Corpus, tmp_path: Path) -> None:
    target, marker = str(min(folder.glob("*.pdf"))), str(tmp_path / "died")

    def die_once(fn: Any, chunk: list[str]) -> Any:
        if target in chunk and not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(1)
        return fn(chunk)

    dask = Corpus(folder, cache=None, themes=None, engine=Wrapped(DaskEngine(client), die_once), progress=False)
    assert os.path.exists(marker)
    assert_same_tables(local, dask)


def test_a_worker_killed_every_time_leaves_error_rows(client: Any, folder: Path, tmp_path: Path) -> None:
    target = str(min(folder.glob("*.docx")))

    def always_die(fn: Any, chunk: list[str]) -> Any:
        if target in chunk:
            os._exit(1)
        return fn(chunk)

    cache = tmp_path / "cache"
    dask = Corpus(folder, cache=cache, themes=None, engine=Wrapped(DaskEngine(client), always_die), progress=False)
    reports = dask.reports
    assert sorted(reports["source"]) == sorted(str(p) for p in folder.iterdir() if not p.name.endswith(".json"))
    killed = reports[reports["source"] == target].iloc[0]
    assert not killed["ok"] and "internal_error" in killed["errors"]
    # any other chunk lost with the dying worker is an error row too; all else parsed
    others = reports[reports["source"] != target]
    assert (others["ok"] | others["errors"].str.contains("internal_error")).all()
    # the failed chunk is not cached: the next run (resumed, on the local engine) parses just those files
    again = Corpus(folder, cache=cache, themes=None, workers=1, progress=False)
    failed = int((reports["errors"].fillna("").str.contains("internal_error")).sum())
    assert again.stats == {"parsed": failed, "cached": 11 - failed}
    assert again.reports["ok"].sum() == 10


def test_resumes_from_the_cache(client: Any, folder: Path, local: Corpus, tmp_path: Path) -> None:
    first = Corpus(folder, cache=tmp_path, themes=None, engine="dask", scheduler=client, progress=False)
    assert first.stats == {"parsed": 11, "cached": 0}
    second = Corpus(folder, cache=tmp_path, themes=None, engine="dask", scheduler=client, progress=False)
    assert second.stats == {"parsed": 0, "cached": 11}
    assert_same_tables(local, second)


def test_own_local_cluster_is_closed(folder: Path, local: Corpus) -> None:
    pytest.importorskip("distributed", reason="dask.distributed is not installed")
    engine = DaskEngine(workers=1)
    try:
        dask = Corpus(folder, cache=None, themes=None, engine=engine, progress=False)
    except OSError as error:  # pragma: no cover - as the fixture: no cluster in this sandbox
        pytest.skip(f"distributed cannot start a LocalCluster here: {error}")
    assert_same_tables(local, dask)
    assert engine._client is None and engine._cluster is None


def test_default_theme_model_in_the_workers(client: Any, folder: Path) -> None:
    """The model is loaded once per worker process; the themes match a serial run's."""
    few = sorted(str(p) for p in folder.iterdir() if p.suffix in (".md", ".html"))
    serial = Corpus(few, cache=None, workers=1, progress=False)
    dask = Corpus(few, cache=None, engine="dask", scheduler=client, progress=False)
    assert len(serial.unit_themes) > 0
    assert_same_tables(serial, dask)


# -- partitioned Parquet ----------------------------------------------------------------------------------------

def test_write_dataset_partitions_by_year_and_region(folder: Path, tmp_path: Path) -> None:
    files = sorted(p.name for p in folder.iterdir() if not p.name.endswith(".json"))
    manifest = pd.DataFrame({"file": files, "region": ["广东" if i % 2 else "江苏" for i in range(len(files))]})
    corpus = Corpus(manifest=manifest.assign(file=[str(folder / f) for f in files]), cache=None, themes=None,
                    workers=1, progress=False)
    written = corpus.write_dataset(tmp_path / "ds")
    assert sorted(p.name for p in written) == sorted(TABLES)
    assert any(p.name == "year=__HIVE_DEFAULT_PARTITION__" for p in (tmp_path / "ds" / "reports").iterdir())
    year = int(corpus.reports["year"].dropna().iloc[0])
    cells = pd.read_parquet(tmp_path / "ds" / "cells", filters=[("year", "=", year), ("region", "=", "广东")])
    ids = corpus.reports.query("year == @year and region == '广东'")["report_id"]
    expected = corpus.cells[corpus.cells["report_id"].isin(ids)]
    assert len(cells) == len(expected) > 0 and set(cells["report_id"]) == set(ids) & set(expected["report_id"])
    dataset = pads.dataset(tmp_path / "ds" / "units", partitioning="hive")
    assert dataset.count_rows() == len(corpus.units)
    reports = read_dataset(tmp_path / "ds" / "reports")  # the missing-year partition included
    assert sorted(reports["report_id"]) == sorted(corpus.reports["report_id"])
    assert str(reports["year"].dtype) == "Int64" and reports["year"].isna().sum() == corpus.reports["year"].isna().sum()
    units = read_dataset(tmp_path / "ds" / "units", filters=[("region", "in", ["江苏"])], columns=["report_id", "text"])
    assert len(units) == corpus.units["report_id"].isin(corpus.reports.query("region == '江苏'")["report_id"]).sum()
    # batches written one by one: "update" keeps the partitions a batch does not have
    first = corpus.reports["region"] == "江苏"
    batch = Corpus.from_frames(**{name: getattr(corpus, name)[getattr(corpus, name)["report_id"].isin(
        corpus.reports.loc[first, "report_id"])] for name in TABLES})
    batch.write_dataset(tmp_path / "ds", existing="update")
    assert len(read_dataset(tmp_path / "ds" / "cells")) == len(corpus.cells)
    batch.write_dataset(tmp_path / "ds")  # replace: just this batch
    assert len(read_dataset(tmp_path / "ds" / "cells")) == len(batch.cells) < len(corpus.cells)
    with pytest.raises(ValueError, match="cannot partition by"):
        corpus.write_dataset(tmp_path / "bad", partition_by=("year", "level"))


def _manifest(folder: Path, out: Path) -> Path:
    """The folder's reports with a region each (one left blank: the missing-value partition)."""
    files = sorted(p for p in folder.iterdir() if not p.name.endswith(".json"))
    out.write_text("file,region\n" + "".join(f"{p},{'' if i == 3 else '东' if i % 2 else '西'}\n"
                                             for i, p in enumerate(files)), encoding="utf-8")
    return out


def test_build_dataset_on_either_engine_equals_a_whole_corpus(client: Any, folder: Path, tmp_path: Path) -> None:
    """Tasks write their own files (three files a task here); the dataset holds a whole corpus's rows, themes and
    manifest columns included, whichever engine ran the tasks; a rerun finds everything done."""
    from gxnlp.corpus import build_dataset

    manifest = _manifest(folder, tmp_path / "manifest.csv")
    whole = Corpus(manifest=manifest, cache=None, workers=1, progress=False)
    assert len(whole.unit_themes) > 0 and whole.reports["region"].isna().sum() == 1
    engines = {"local": {"workers": 2}, "dask": {"engine": "dask", "scheduler": client}}
    for name, options in engines.items():
        out = tmp_path / name
        stats = build_dataset(None, out, manifest=manifest, batch=3, progress=False, **options)
        assert stats == {"written": 11, "ok": 10, "failed": 1, "retry": 0, "skipped": 0}, name
        assert_dataset_equals(out, whole)
        assert not (out / "_staging").exists()
        assert build_dataset(None, out, manifest=manifest, batch=3, progress=False, **options)["skipped"] == 11
    assert client.status == "running"  # a client passed in is the caller's: left open


def test_build_dataset_starts_one_local_cluster_for_the_whole_build(folder: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")
    from gxnlp.corpus import build_dataset

    started: list[Any] = []

    class Counted(distributed.LocalCluster):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            started.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(distributed, "LocalCluster", Counted)
    try:
        stats = build_dataset(folder, tmp_path / "lake", partition_by=["year"], batch=2, engine="dask", workers=1,
                              themes=None, progress=False)
    except OSError as error:  # pragma: no cover - as the fixture: no cluster in this sandbox
        pytest.skip(f"distributed cannot start a LocalCluster here: {error}")
    assert stats["written"] == 11 and len(started) == 1  # six tasks, one cluster
    assert started[0].status.name == "closed"


def test_build_dataset_accounts_for_a_killed_worker_and_a_rerun_fills_in(client: Any, folder: Path,
                                                                        tmp_path: Path) -> None:
    from gxnlp.corpus import build_dataset

    target = str(min(folder.glob("*.docx")))

    def always_die(fn: Any, chunk: pd.DataFrame) -> Any:
        if target in set(chunk["source"]):
            os._exit(1)
        return fn(chunk)

    out, options = tmp_path / "lake", {"partition_by": ["year"], "batch": 2, "themes": None, "progress": False}
    first = build_dataset(folder, out, engine=Wrapped(DaskEngine(client), always_die), **options)
    reports = read_dataset(out / "reports")
    assert sorted(reports["source"]) == sorted(str(p) for p in folder.iterdir() if not p.name.endswith(".json"))
    lost = reports["errors"] == "internal_error"
    assert lost[reports["source"] == target].all() and first["retry"] == lost.sum() >= 1
    assert first["ok"] + first["failed"] + first["retry"] == first["written"] == 11
    again = build_dataset(folder, out, workers=1, **options)
    assert again["written"] == again["ok"] + again["failed"] == first["retry"] and again["retry"] == 0
    assert again["skipped"] == 11 - first["retry"]
    assert_dataset_equals(out, Corpus(folder, cache=None, themes=None, workers=1, progress=False))
