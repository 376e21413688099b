"""``gxnlp.Corpus``: many reports parsed once, cached by content, and laid out as the tidy tables of ``gxnlp.frames``.

Why: comparing agencies needs thousands of reports in DataFrames, rebuilt in seconds when a few files change.
An engine maps :func:`process_files` over chunks of paths (all cores by default), each result is cached under
the hash of the file's bytes in an embedded Parquet store, and the tables join on ``report_id``. A bad file is
a row with ``ok`` False and its error codes, never an exception. A corpus too large for one process's memory
goes through :func:`build_dataset` instead: each task writes its own part of a partitioned Parquet dataset.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import uuid
from collections.abc import Iterable, Sequence
from functools import lru_cache, partial
from glob import glob
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import __version__
from .cli import expand_inputs
from .engines import ENGINES, Engine, LocalEngine, make_engine
from .frames import (
    CELL_COLUMNS,
    CHECK_COLUMNS,
    REPORT_COLUMNS,
    UNIT_COLUMNS,
    UNIT_THEME_COLUMNS,
    report_rows,
)
from .pipeline import parse
from .readers import SUPPORTED_EXTENSIONS
from .report import Report

if TYPE_CHECKING:
    from .themes import ThemeClassifier

__all__ = ["ENGINES", "Corpus", "Engine", "LocalEngine", "build_dataset", "content_key", "process_files", "write_chunk"]

TABLES: dict[str, list[str]] = {
    "reports": REPORT_COLUMNS, "cells": CELL_COLUMNS, "checks": CHECK_COLUMNS,
    "units": [*UNIT_COLUMNS, "themes"], "unit_themes": UNIT_THEME_COLUMNS,
}
_ARROW_TYPES: dict[str, pa.DataType] = {
    **dict.fromkeys(("ok", "derived", "repaired"), pa.bool_()),
    **dict.fromkeys(("year", "n_cells", "n_failed_checks", "n_units", "unit", "start", "end", "ocr_pages"), pa.int64()),
    **dict.fromkeys(("value", "lhs", "rhs", "delta", "score", "specificity", "confidence", "ocr_confidence"),
                    pa.float64()),
    "themes": pa.list_(pa.string()),
}
_PANDAS_TYPES = {pa.string(): pd.StringDtype(), pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}
CACHE_FORMAT = 1  # bump when the store's layout changes
COMPACT_AT = 16  # parts in the store before they are merged into one
FLUSH_AT = 1000  # parsed files written to the cache as one part, at least (a long run makes ≤ COMPACT_AT/2 parts)
_UNREADABLE = "unreadable:"  # cache-key prefix of a file that could not be hashed: parsed every time, never cached
_FILE_COLUMNS = ("cache_key", "report_id", "source", "_name")  # the file table's own columns; the rest is the manifest's
STAGING = "_staging"  # under a dataset: chunks written whole here, then moved into place
SETTINGS = "_gxnlp.json"  # under a dataset: what it is built with, so that a resume does not mix versions or layouts

FileResult = tuple[str, str, dict[str, list[dict[str, Any]]]]
Status = tuple[str, str | None, str, bool, str]  # what a dataset task sends back per file: source, sha256, report_id, ok, errors


# -- the unit of parallel work ----------------------------------------------------------------------------------

def content_key(path: str) -> str:
    """What a parse result depends on: the sha256 of the bytes plus the extension (which picks the reader)."""
    try:
        with open(path, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return _UNREADABLE + path
    return digest + Path(path).suffix.lower()


def _sha256(key: str) -> str | None:
    return None if key.startswith(_UNREADABLE) else key[:64]


def _file_result(path: str, report: Report) -> FileResult:
    """A report's rows for every table, keyed by its content key (the corpus puts ``report_id`` there later)."""
    key = content_key(path)
    rows = report_rows(key, _sha256(key), report)
    rows["unit_themes"] = []
    return path, key, rows


def _failed_results(paths: Iterable[str], error: BaseException) -> list[FileResult]:
    """Rows for the files of a chunk that failed as a whole (an exception, a dead worker): each keeps its row."""
    message = f"{type(error).__name__}: {error}"
    return [_file_result(path, Report.failed(path, "internal_error", message)) for path in paths]


@lru_cache(maxsize=4)
def _classifier(themes: str) -> ThemeClassifier:
    """Loaded once per process: a worker classifies many chunks with the same model."""
    from .themes import default_model, load

    return default_model() if themes == "default" else load(themes)


def _model_dir(themes: str) -> Path:
    from .themes import DEFAULT_MODEL

    return Path(os.environ.get("GXNLP_THEME_MODEL", DEFAULT_MODEL)) if themes == "default" else Path(themes)


def process_files(paths: list[str], themes: str | None) -> list[FileResult]:
    """Parse a chunk of files and theme all their units in one batched call: ``(path, cache_key, rows)`` per file.

    A plain top-level function of picklable arguments so that any engine (a process pool, Dask) can ship it.
    ``themes`` is ``"default"``, a model folder, or None for no theme classification.
    """
    results = [_file_result(path, parse(path)) for path in paths]
    units = [unit for _, _, rows in results for unit in rows["units"]]
    if themes is None or not units:
        for unit in units:
            unit["themes"] = None if themes is None else []
        return results
    from .themes import predict

    predictions = iter(predict([unit["text"] for unit in units], _classifier(themes)))
    for _, _, rows in results:
        for unit in rows["units"]:
            prediction = next(predictions)
            unit["themes"] = prediction["themes"]
            rows["unit_themes"] += [{"report_id": unit["report_id"], "unit": unit["unit"], "theme": theme,
                                     "score": prediction["scores"][theme]} for theme in prediction["themes"]]
    return results


# -- the cache --------------------------------------------------------------------------------------------------

def _schema(table: str) -> pa.Schema:
    return pa.schema([(column, _ARROW_TYPES.get(column, pa.string())) for column in TABLES[table]])


def _arrow(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    """Rows of one table as Arrow, their ``report_id`` (holding the content key) named ``cache_key``."""
    data = pa.Table.from_pylist(rows, schema=_schema(table))
    return data.rename_columns(["cache_key", *data.column_names[1:]])


def _tables(results: Iterable[FileResult]) -> dict[str, pa.Table]:
    results = list(results)
    return {name: _arrow(name, [row for _, _, rows in results for row in rows[name]]) for name in TABLES}


def _concat(parts: Sequence[dict[str, pa.Table]]) -> dict[str, pa.Table]:
    return {name: pa.concat_tables([part[name] for part in parts]) if parts else _arrow(name, []) for name in TABLES}


def cache_version(themes: str | None) -> str:
    """Results stay valid while the package version, its data files, the theme model and the tables' columns do."""
    digest = hashlib.sha256(f"{CACHE_FORMAT}|{__version__}|{json.dumps(TABLES)}".encode())
    for path in sorted((Path(__file__).parent / "data").glob("*.json")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    digest.update(b"no themes" if themes is None else (_model_dir(themes) / "model.json").read_bytes())
    return "v-" + digest.hexdigest()[:16]


class Store:
    """The embedded Parquet cache: ``<root>/<version>/part-<n>/<table>.parquet``, every row carrying its ``cache_key``.

    A part is written whole (a temporary folder renamed into place), so it holds complete reports; when a key
    is in several parts the newest wins. Folders of other versions are left alone (another checkout may use them).
    """

    def __init__(self, root: str | os.PathLike[str], version: str) -> None:
        self.folder = Path(root) / version

    def parts(self) -> list[Path]:
        return sorted(self.folder.glob("part-*")) if self.folder.is_dir() else []

    def load(self, keys: set[str] | None = None) -> dict[str, pa.Table]:
        """Rows of ``keys`` (all when None), each key from the newest readable part holding it."""
        owner: dict[str, Path] = {}
        sizes: dict[Path, int] = {}
        for part in self.parts():
            try:
                found = pq.read_table(part / "reports.parquet", columns=["cache_key"]).column("cache_key").to_pylist()
            except (OSError, pa.ArrowException):  # a damaged part is as good as absent
                continue
            sizes[part] = len(found)
            owner.update((key, part) for key in found if keys is None or key in keys)
        by_part: dict[Path, list[str]] = {}
        for key, part in owner.items():
            by_part.setdefault(part, []).append(key)
        loaded = []
        for part, wanted in by_part.items():
            try:
                loaded.append({name: self._read(part / f"{name}.parquet", name, None if len(wanted) == sizes[part] else wanted)
                               for name in TABLES})
            except (OSError, pa.ArrowException):
                continue
        return _concat(loaded)

    @staticmethod
    def _read(path: Path, name: str, wanted: list[str] | None) -> pa.Table:
        """One table of a part, only the rows of ``wanted`` keys (all when None), in the current schema.

        The keys are read dictionary-encoded, so the filter tests each distinct key once, not once per row."""
        table = pq.read_table(path, read_dictionary=["cache_key"])
        if wanted is not None:
            value_set = pa.array(wanted, pa.string())
            table = table.filter(pa.chunked_array(
                [pc.take(pc.is_in(chunk.dictionary, value_set=value_set), chunk.indices)
                 for chunk in table["cache_key"].chunks], pa.bool_()))
        return table.cast(_arrow(name, []).schema)

    def add(self, tables: dict[str, pa.Table]) -> None:
        """Write one new part; merge all parts into one when there are many."""
        if tables["reports"].num_rows:
            self._write(tables)
        parts = self.parts()
        if len(parts) > COMPACT_AT:
            self._write(self.load())
            for part in parts:
                shutil.rmtree(part, ignore_errors=True)

    def _write(self, tables: dict[str, pa.Table]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        staging = self.folder / f".tmp-{uuid.uuid4().hex}"
        staging.mkdir()
        for name, table in tables.items():
            pq.write_table(table, staging / f"{name}.parquet")
        parts = self.parts()
        number = int(parts[-1].name.split("-")[1]) + 1 if parts else 0
        while True:
            try:
                staging.rename(self.folder / f"part-{number:05d}")
                return
            except OSError:  # another process took that number
                number += 1


# -- inputs -----------------------------------------------------------------------------------------------------

def _expand(inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[str]:
    """Paths as given, supported files below folders, and the supported files and folders a glob matches."""
    items = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    paths: list[str] = []
    for item in map(os.fspath, items):
        if os.path.exists(item) or not any(ch in item for ch in "*?["):
            paths += expand_inputs([item])
        else:
            matches = sorted(glob(item, recursive=True))
            paths += expand_inputs([m for m in matches if os.path.isdir(m) or Path(m).suffix.lower() in SUPPORTED_EXTENSIONS])
    return list(dict.fromkeys(paths))


def _absolute(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))


def _read_manifest(manifest: str | os.PathLike[str] | pd.DataFrame) -> pd.DataFrame:
    """The manifest as a file table: ``source`` (the file, relative to the manifest's folder), ``_name`` (as
    listed, for stable ids), ``report_id`` if it has a filled, unique ``id``/``report_id`` column (else that column
    is kept as ``manifest_id``), and its metadata columns."""
    if isinstance(manifest, pd.DataFrame):
        frame, folder = manifest.copy(), Path()
    else:
        frame, folder = pd.read_csv(manifest), Path(manifest).parent
    frame = frame.convert_dtypes()
    file_column = next((c for c in ("file", "path") if c in frame), None)
    if file_column is None:
        raise ValueError(f"the manifest needs a 'file' or 'path' column; it has {list(frame.columns)}")
    if frame[file_column].isna().any():
        raise ValueError(f"the manifest's {file_column!r} column has empty entries")
    names = frame.pop(file_column).astype(str)
    frame.insert(0, "source", pd.array([os.fspath(folder / name) for name in names], dtype="string"))
    frame.insert(1, "_name", names.astype("string"))
    if frame["source"].map(_absolute).duplicated().any():
        raise ValueError("the manifest lists a file twice")
    id_column = next((c for c in ("report_id", "id") if c in frame), None)
    if id_column is not None:
        ids = frame.pop(id_column).astype("string")
        if ids.isna().any() or ids.duplicated().any():
            # one report published as several files (page.txt and page.html) shares its id: keep it as
            # metadata, and give every file its own derived report_id
            frame.insert(2, "manifest_id", ids)
        else:
            frame.insert(0, "report_id", ids)
    for column in frame.columns.intersection(REPORT_COLUMNS).difference(_FILE_COLUMNS):
        dtype = _PANDAS_TYPES.get(_ARROW_TYPES.get(column, pa.string()), "float64")
        try:
            frame[column] = frame[column].astype(dtype)
        except (TypeError, ValueError) as error:
            raise ValueError(f"the manifest's {column!r} column does not convert to {dtype}: {error}") from None
    return frame.reset_index(drop=True)


def _file_table(inputs: Any, manifest: Any) -> pd.DataFrame:
    """One row per document; with both inputs and a manifest, the manifest annotates the inputs it lists."""
    if inputs is None and manifest is None:
        raise ValueError("give inputs (paths, folders, globs), a manifest, or both")
    listed = None if manifest is None else _read_manifest(manifest)
    if inputs is None:
        return listed
    paths = _expand(inputs)
    files = pd.DataFrame({"source": pd.array(paths, dtype="string"), "_name": pd.array(paths, dtype="string")})
    if listed is None:
        return files
    listed = listed.drop(columns=["_name"]).assign(source=listed["source"].map(_absolute))
    return files.assign(_path=files["source"].map(_absolute)).merge(
        listed.rename(columns={"source": "_path"}), on="_path", how="left").drop(columns="_path")


def _report_id(key: str, name: str) -> str:
    """Stable across machines and runs: the content and the path as listed."""
    return hashlib.sha256(f"{_sha256(key) or ''}\0{name}".encode()).hexdigest()[:16]


def _keyed(files: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """The file table with each file's content key and ``report_id`` (the manifest's id where it gives one, else
    derived from the content and the name as listed), indexed from 0 as the tables' merges expect."""
    derived = pd.Series([_report_id(key, name) for key, name in zip(keys, files["_name"])], index=files.index,
                        dtype="string")
    keyed = files.drop(columns=["_name", "report_id"], errors="ignore")
    keyed.insert(0, "report_id", files["report_id"].fillna(derived) if "report_id" in files else derived)
    keyed.insert(0, "cache_key", pd.array(keys, dtype="string"))
    return keyed.reset_index(drop=True)


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    frame = table.to_pandas(types_mapper=_PANDAS_TYPES.get)
    if "themes" in frame:
        frame["themes"] = pd.Series(table.column("themes").to_pylist(), index=frame.index, dtype=object)  # lists
    return frame


def _progress(total: int, desc: str, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="file", desc=desc, disable=not enabled or not total, smoothing=0.1,
                dynamic_ncols=True)


def _tally(bar: Any, counts: dict[str, int], outcomes: Iterable[str]) -> None:
    """Count each file of a finished chunk under its outcome (a key of ``counts``) and advance the bar."""
    files = 0
    for outcome in outcomes:
        counts[outcome] += 1
        files += 1
    bar.set_postfix(counts, refresh=False)
    bar.update(files)


def _chunk_size(runner: Engine, files: int, most: int) -> int:
    """About four chunks per worker, so that the last ones finish together, of at most ``most`` files."""
    workers = getattr(runner, "workers", None) or os.cpu_count() or 1
    return max(1, min(most, math.ceil(files / (workers * 4))))


# -- the corpus -------------------------------------------------------------------------------------------------

class Corpus:
    """Many reports as tidy DataFrames (``reports``, ``cells``, ``checks``, ``units``, ``unit_themes``) joined on
    ``report_id``; see ``gxnlp.frames`` for the columns.

    ``inputs``: a path, a glob, a folder (every supported file below it) or a list of them. ``manifest``: a CSV
    (or DataFrame) with a ``file``/``path`` column, relative to its folder, and metadata columns (region, level,
    …) merged into ``reports``; its values win over parsed ones, which stay as ``parsed_<column>``. A manifest
    alone means the files it lists. ``cache``: folder of the Parquet cache (None: no cache). ``workers``: processes
    (default: every core). ``engine``: a name in ``ENGINES`` (``"local"``, ``"dask"``) or an :class:`Engine`;
    ``scheduler``: for ``"dask"``, a scheduler address or ``distributed.Client`` (None: a local cluster). ``themes``: ``"default"``, a
    model folder, or None. ``stats`` says how many files were parsed and how many came from the cache.
    """

    def __init__(self, inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None, *,
                 manifest: str | os.PathLike[str] | pd.DataFrame | None = None,
                 cache: str | os.PathLike[str] | None = ".gxnlp-cache", workers: int | None = None,
                 engine: str | Engine = "local", themes: str | os.PathLike[str] | None = "default",
                 progress: bool = True, scheduler: Any = None) -> None:
        themes = None if themes is None else os.fspath(themes)
        runner = make_engine(engine, workers, scheduler)
        files = _file_table(inputs, manifest)
        store = None if cache is None else Store(cache, cache_version(themes))
        keys = [content_key(path) for path in files["source"]]
        files = _keyed(files, keys)
        cached = store.load({key for key in keys if _sha256(key)}) if store else _concat([])
        done = set(cached["reports"].column("cache_key").to_pylist())
        todo: dict[str, str] = {}  # one parse per content
        for key, path in zip(keys, files["source"]):
            if key not in done:
                todo.setdefault(key, path)
        self.stats = {"parsed": sum(key not in done for key in keys), "cached": sum(key in done for key in keys)}
        chunks = self._parse(runner, list(todo.values()), themes, cached=self.stats["cached"], progress=progress,
                             store=store)
        fresh = _concat([tables for tables, _ in chunks])
        self._files = files
        self._tables = {name: pa.concat_tables([cached[name], fresh[name]]) for name in TABLES}
        self._frames: dict[str, pd.DataFrame] = {}

    @classmethod
    def _assembled(cls, files: pd.DataFrame, tables: dict[str, pa.Table]) -> Corpus:
        """A corpus over a keyed file table (:func:`_keyed`) and its parsed rows, one per content key: a chunk of
        :func:`build_dataset` gets its tables exactly as a whole corpus would (ids, manifest merged)."""
        corpus = cls.__new__(cls)
        corpus._files, corpus._tables, corpus._frames = files, tables, {}
        corpus.stats = {"parsed": len(files), "cached": 0}
        return corpus

    @staticmethod
    def _parse(runner: Engine, paths: list[str], themes: str | None, *, cached: int, progress: bool,
               store: Store | None) -> list[tuple[dict[str, pa.Table], bool]]:
        """Arrow tables per chunk (in chunk order) and whether the chunk ran cleanly.

        Clean chunks go to the cache as they finish, a part every ``flush_every`` files, so a run that
        stops (interrupted, killed) resumes from what it had cached; what a failed chunk or an unreadable
        file gave is never kept, as next time may differ."""
        if not paths:
            return []
        flush_every = max(FLUSH_AT, len(paths) // (COMPACT_AT // 2))
        pending: list[dict[str, pa.Table]] = []

        def flush() -> None:
            if store is not None and pending:
                store.add({name: table.filter(pc.invert(pc.starts_with(table["cache_key"], _UNREADABLE)))
                           for name, table in _concat(pending).items()})
            pending.clear()

        size = _chunk_size(runner, len(paths), 64)
        chunks = [paths[i:i + size] for i in range(0, len(paths), size)]
        done: dict[int, tuple[dict[str, pa.Table], bool]] = {}
        counts = {"ok": 0, "failed": 0}
        with _progress(len(paths), f"parsing ({cached:,} cached)", progress) as bar:
            for index, outcome in runner.map(partial(process_files, themes=themes), chunks):
                if isinstance(outcome, BaseException):  # its files become error rows, parsed again next time
                    done[index] = (_tables(_failed_results(chunks[index], outcome)), False)
                else:
                    done[index] = (_tables(outcome), True)
                    pending.append(done[index][0])
                    if sum(t["reports"].num_rows for t in pending) >= flush_every:
                        flush()
                oks = done[index][0]["reports"].column("ok").to_pylist()
                _tally(bar, counts, ("ok" if ok else "failed" for ok in oks))
        flush()
        return [done[index] for index in sorted(done)]

    @classmethod
    def from_frames(cls, reports: pd.DataFrame, cells: pd.DataFrame | None = None, checks: pd.DataFrame | None = None,
                    units: pd.DataFrame | None = None, unit_themes: pd.DataFrame | None = None) -> Corpus:
        """A corpus over tables already in hand (tests of the analyses, tables read back from disk): no parsing."""
        corpus = cls.__new__(cls)
        given = {"reports": reports, "cells": cells, "checks": checks, "units": units, "unit_themes": unit_themes}
        corpus._frames = {name: frame.reset_index(drop=True) if frame is not None else cls._empty(name)
                          for name, frame in given.items()}
        corpus.stats = {"parsed": 0, "cached": 0}
        return corpus

    @staticmethod
    def _empty(name: str) -> pd.DataFrame:
        return _to_pandas(_arrow(name, [])).rename(columns={"cache_key": "report_id"})

    def _frame(self, name: str) -> pd.DataFrame:
        if name not in self._frames:
            self._frames[name] = self._reports() if name == "reports" else self._files[["cache_key", "report_id"]].merge(
                _to_pandas(self._tables[name]), on="cache_key").drop(columns="cache_key")
        return self._frames[name]

    def _reports(self) -> pd.DataFrame:
        """Parsed summaries in file order, then the manifest's columns (winning over parsed ones, kept as parsed_*)."""
        files = self._files
        parsed = _to_pandas(self._tables["reports"].drop_columns(["source"]))
        frame = files[["cache_key", "report_id", "source"]].merge(parsed, on="cache_key", how="left")
        frame = frame.drop(columns="cache_key")
        for column in (c for c in files.columns if c not in _FILE_COLUMNS):
            given = files[column]
            if column in frame:
                frame[f"parsed_{column}"] = frame[column]
                frame[column] = given.where(given.notna(), frame[column])
            else:
                frame[column] = given
        return frame

    @property
    def reports(self) -> pd.DataFrame:
        """One row per document: parse summary (ok, errors, template, year, agency, …) and manifest metadata."""
        return self._frame("reports")

    @property
    def cells(self) -> pd.DataFrame:
        """One row per table value: key, table, row, column, value, derived, and provenance ("text" or "ocr"),
        confidence (OCR score) and repaired (a misread digit settled by the identities)."""
        return self._frame("cells")

    @property
    def checks(self) -> pd.DataFrame:
        """One row per arithmetic identity evaluated: check, status, lhs, rhs, delta, message."""
        return self._frame("checks")

    @property
    def units(self) -> pd.DataFrame:
        """One row per narrative unit: section, kind, tense, text, …, and ``themes`` (a list; None without a model)."""
        return self._frame("units")

    @property
    def unit_themes(self) -> pd.DataFrame:
        """One row per unit and theme it got, with the model's score."""
        return self._frame("unit_themes")

    def __len__(self) -> int:
        return len(self.reports)

    def __repr__(self) -> str:
        ok = int(self.reports["ok"].sum())
        return (f"<Corpus: {len(self):,} reports ({ok:,} ok, {len(self) - ok:,} failed), {len(self.cells):,} cells, "
                f"{len(self.units):,} units>")

    # -- analyses: thin views over gxnlp.analysis, so that notebooks and the command share them --

    @property
    def metrics(self) -> pd.DataFrame:
        """format.md §5.4 per report, long: report_id, metric, value, numerator, denominator."""
        from .analysis.metrics import report_metrics

        return report_metrics(self.cells)

    def profiles(self, by: str | list[str] = "report_id", **filters: Any) -> pd.DataFrame:
        """Theme shares by report, agency, region, level or year (``kinds=``/``sections=`` filter units)."""
        from .analysis.profiles import theme_profiles

        return theme_profiles(self.unit_themes, self.units, self.reports, by, **filters)

    def cross_checks(self) -> pd.DataFrame:
        """Carry-over and stock chains across years (S1, S2), text against table (S5), zero reports (S7)."""
        from .analysis.crosschecks import cross_report_checks

        return cross_report_checks(self.reports, self.cells, self.units)

    def coverage(self, expected: pd.DataFrame | Sequence[dict] | str | os.PathLike[str]) -> pd.DataFrame:
        """Which expected agency-years are missing, unreadable or fail identities (``expected``: frame or CSV)."""
        from .analysis.coverage import coverage

        if isinstance(expected, (str, os.PathLike)):
            expected = pd.read_csv(expected)
        return coverage(self.reports, self.checks, expected)

    def summary(self, by: str | list[str], theme: str | None = None, **options: Any) -> Any:
        """Comparative thematic summary: counts, representative units with citations, distinctive terms."""
        from .analysis.summaries import thematic_summary

        return thematic_summary(self.units, self.unit_themes, self.reports, by, theme, **options)

    def boilerplate(self, **options: Any) -> dict[str, pd.DataFrame]:
        """Near-duplicate units (内容雷同): ``pairs``, per-report ``originality``, ``most_copied`` sentences."""
        from .analysis.boilerplate import most_copied, near_duplicates, originality

        pairs = near_duplicates(self.units, self.reports, **options)
        return {"pairs": pairs, "originality": originality(self.units, self.reports, pairs),
                "most_copied": most_copied(self.units, pairs)}

    def write_dataset(self, out: str | os.PathLike[str], partition_by: Sequence[str] = ("year", "region"), *,
                      existing: str = "replace") -> list[Path]:
        """The five tables as Hive-partitioned Parquet datasets, ``<out>/<table>/year=…/region=…/`` (see
        :func:`gxnlp.outputs.write_dataset`), for pandas/pyarrow reads that filter on the partition columns;
        ``existing="update"`` replaces only the partitions this corpus has (batches written one by one)."""
        from .outputs import write_dataset

        return write_dataset({name: getattr(self, name) for name in TABLES}, out, partition_by, existing=existing)

    def write(self, out: str | os.PathLike[str], *, by: str = "agency", theme: str | None = None,
              expected: pd.DataFrame | str | os.PathLike[str] | None = None) -> list[Path]:
        """Every table as Parquet and CSV, one Excel workbook, and a self-contained ``report.html``."""
        from .outputs import write_report, write_tables

        folder = Path(out)
        summary = self.summary(by, theme)
        copies = self.boilerplate()
        tables = {
            "reports": self.reports, "cells": self.cells, "checks": self.checks, "units": self.units,
            "unit_themes": self.unit_themes, "metrics": self.metrics, "profiles": self.profiles(by),
            "cross_checks": self.cross_checks(), "summary_counts": summary.counts,
            "summary_units": summary.representatives, "summary_terms": summary.distinctive,
            "near_duplicates": copies["pairs"], "originality": copies["originality"], "most_copied": copies["most_copied"],
        }
        if expected is not None:
            tables["coverage"] = self.coverage(expected)
        written = write_tables(tables, folder)
        written.append(write_report(tables, folder, title="政府信息公开工作年度报告比较", by=by, theme=theme,
                                    summary=_summary_for_report(summary, by)))
        return written


# -- a corpus of any size into a partitioned dataset ------------------------------------------------------------

def build_dataset(inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None, out: str | os.PathLike[str],
                  *, manifest: str | os.PathLike[str] | pd.DataFrame | None = None,
                  partition_by: Sequence[str] = ("year", "region"), batch: int = 500, engine: str | Engine = "local",
                  scheduler: Any = None, workers: int | None = None, themes: str | os.PathLike[str] | None = "default",
                  progress: bool = True) -> dict[str, int]:
    """A corpus of any size straight into Hive-partitioned Parquet datasets, ``<out>/<table>/year=…/region=…/``.

    Each task parses, themes and writes a chunk of at most ``batch`` files itself (:func:`write_chunk`: one file
    per table and partition it touches) and sends back one status per file, so nothing funnels through this
    process, whose memory holds just the file list and counts. The engine (``engine``, ``workers``,
    ``scheduler`` as for :class:`Corpus`; a Dask engine without a scheduler starts one LocalCluster) serves the
    whole build. Files whose path and content are in ``reports`` are skipped, so a stopped build resumes where it
    stopped. A chunk that fails (an exception, a dead worker) becomes ``internal_error`` rows in ``reports``, so
    every document is accounted for, and the next build whose inputs include all its files parses them again.
    One build at a time per ``out``. Returns counts of files: written (ok, failed: parsed as not ``ok``,
    retry: lost with a failed chunk) and skipped (already in the dataset).
    """
    if batch < 1:
        raise ValueError(f"batch must be at least 1, not {batch}")
    themes = None if themes is None else os.fspath(themes)
    partition_by = list(partition_by)
    files = _file_table(inputs, manifest)
    missing = [c for c in partition_by if c not in REPORT_COLUMNS and c not in files]
    if missing:  # found out before hours of parsing, not after the first chunk
        raise ValueError(f"cannot partition by {missing}: neither parsed report columns nor manifest columns")
    out = Path(out)
    _prepare(out, {"version": cache_version(themes), "partition_by": partition_by})
    _recover(out)
    _forget_failures(out, set(files["source"]))
    todo = _unwritten(files, out)
    skipped = len(files) - len(todo)
    del files  # the file list is held once: as the chunks below
    known = [c for c in partition_by if c in todo]  # from the manifest: chunks then fall in few partitions
    todo = todo.sort_values(known, kind="stable") if known else todo
    counts = dict.fromkeys(("ok", "failed", "retry"), 0)
    if len(todo):
        runner = make_engine(engine, workers, scheduler)
        size = _chunk_size(runner, len(todo), batch)
        chunks = [todo.iloc[start:start + size] for start in range(0, len(todo), size)]
        task = partial(write_chunk, out=os.path.abspath(out), partition_by=partition_by, themes=themes)  # any cwd
        with _progress(len(todo), f"writing ({skipped:,} done before)", progress) as bar:
            for index, outcome in runner.map(task, chunks):
                if isinstance(outcome, BaseException):
                    lost = _commit(chunks[index], _failed_results(chunks[index]["source"], outcome), out, partition_by,
                                   "failed")
                    _tally(bar, counts, ["retry"] * len(lost))
                else:
                    _tally(bar, counts, ("ok" if ok else "failed" for _, _, _, ok, _ in outcome))
    _recover(out)
    return {"written": len(todo), **counts, "skipped": skipped}


def write_chunk(files: pd.DataFrame, out: str, partition_by: Sequence[str], themes: str | None) -> list[Status]:
    """Parse and theme a chunk of :func:`build_dataset`'s file table and write its tables into the dataset ``out``;
    only a status per file goes back. A plain top-level function of picklable arguments, for any engine."""
    return _commit(files, process_files(files["source"].tolist(), themes), Path(out), partition_by, "part")


def _commit(files: pd.DataFrame, results: list[FileResult], out: Path, partition_by: Sequence[str],
            kind: str) -> list[Status]:
    """Write a chunk's rows (``results``, in file order) as dataset files named after the chunk's content, so a
    chunk run again (a retried task) replaces its files instead of adding copies. All tables are written to a
    staging folder, which a rename marks complete, then moved into place, ``reports`` last: resume reads
    ``reports``, and completes a chunk found staged (:func:`_recover`)."""
    from .outputs import write_dataset

    files = _keyed(files, [key for _, key, _ in results])
    corpus = Corpus._assembled(files, _tables({key: (path, key, rows) for path, key, rows in results}.values()))
    content = "\n".join(f"{key}\t{report_id}" for key, report_id in zip(files["cache_key"], files["report_id"]))
    name = f"{kind}-{hashlib.sha256(content.encode()).hexdigest()[:20]}"
    staging = out / STAGING / f"{name}-{uuid.uuid4().hex[:8]}"
    write_dataset({table: getattr(corpus, table) for table in TABLES}, staging.with_suffix(".tmp"), partition_by,
                  existing="append", name=name, types={"themes": _ARROW_TYPES["themes"]})
    staging.with_suffix(".tmp").rename(staging)
    _publish(staging, out)
    reports = corpus.reports.astype(object).where(corpus.reports.notna(), None)
    return list(zip(reports["source"], reports["sha256"], reports["report_id"], reports["ok"], reports["errors"]))


def _publish(staging: Path, out: Path) -> None:
    """Move a complete staged chunk's files into the dataset, ``reports`` last (what is there is replaced)."""
    for path in sorted(staging.rglob("*.parquet"), key=lambda p: p.relative_to(staging).parts[0] == "reports"):
        target = out / path.relative_to(staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
    shutil.rmtree(staging)


def _recover(out: Path) -> None:
    """After a stop: complete the chunks that were staged whole, drop those caught half-written."""
    folder = out / STAGING
    for staging in sorted(folder.glob("*")):
        if staging.suffix == ".tmp":
            shutil.rmtree(staging, ignore_errors=True)
        else:
            _publish(staging, out)
    if folder.is_dir():
        folder.rmdir()


def _prepare(out: Path, settings: dict[str, Any]) -> None:
    """Every table's folder (readable even when empty), and the settings: a dataset built with another gxnlp
    version, data files, theme model or partitioning is not resumed, it would mix results or layouts."""
    path = out / SETTINGS
    if path.is_file():
        found = json.loads(path.read_text(encoding="utf-8"))
        if found != settings:
            raise ValueError(f"{out} was built with {found}, not {settings}: build into a new folder")
    for name in TABLES:
        (out / name).mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(settings), encoding="utf-8")


def _forget_failures(out: Path, sources: set[str]) -> None:
    """Drop the ``internal_error`` rows of failed chunks whose files are all in this build: it parses them again."""
    for path in (out / "reports").rglob("failed-*.parquet"):
        if set(pq.ParquetFile(path).read(columns=["source"]).column("source").to_pylist()) <= sources:
            path.unlink()


def _unwritten(files: pd.DataFrame, out: Path) -> pd.DataFrame:
    """The files whose path and content are not in the dataset's ``reports`` yet. Only a file whose path is
    there is hashed here (a fresh build reads no input in this process)."""
    import pyarrow.dataset as ds

    dataset = ds.dataset(out / "reports", format="parquet", partitioning="hive")
    if not dataset.files:
        return files
    table = dataset.to_table(columns=["source", "sha256"])
    written: dict[str, set[str | None]] = {}
    for source, sha256 in zip(table.column("source").to_pylist(), table.column("sha256").to_pylist()):
        written.setdefault(source, set()).add(sha256)
    return files[[source not in written or _sha256(content_key(source)) not in written[source]
                  for source in files["source"]]]


def _summary_for_report(summary: Any, by: str) -> dict[str, dict[str, list]]:
    """The thematic summary in the shape ``render_report`` shows: per group, measures, problems, terms."""
    groups: dict[str, dict[str, list]] = {}
    for row in summary.representatives.itertuples(index=False):
        entry = groups.setdefault(str(getattr(row, by)), {"measures": [], "problems": [], "terms": []})
        key = {"measure": "measures", "problem": "problems"}.get(row.kind)
        if key:
            entry[key].append({"text": row.text, "report_id": row.report_id, "unit": int(row.unit)})
    for row in summary.distinctive.itertuples(index=False):
        entry = groups.setdefault(str(getattr(row, by)), {"measures": [], "problems": [], "terms": []})
        entry["terms"].append({"term": row.term, "score": round(float(row.z), 2)})
    return groups
