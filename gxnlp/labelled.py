"""Labelled corpora of narrative units: the JSON Lines format, a loader and a validator.

One JSON object per line. A *unit record* carries its text:

    {"id": "a-0001", "text": "一是…", "themes": ["tax"], "kind": "measure",
     "section": "s1", "source": "written:gxnlp", "split": "train"}

An *annotation record* points into an external report instead of copying its text (real report
text stays where it was published):

    {"id": "pt22-s5-1", "doc": "pingtan-2022", "section": "s5", "start": 0, "end": 41,
     "themes": ["policy_communication"], "kind": "problem", "source": "annotation", "split": "test"}

``doc`` is an id of the documents manifest (``manifest.csv`` with columns ``id`` and ``file``);
the loader parses that report and takes ``sections[section].text[start:end]``.
"""
from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from .themes.taxonomy import theme_ids

KINDS = ("measure", "problem", "rectification", "other")
SECTIONS = ("s1", "s2", "s3", "s4", "s5", "s6")
SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class LabelledUnit:
    id: str
    text: str
    themes: tuple[str, ...]
    kind: str | None
    section: str | None
    source: str
    split: str


def _files(paths: Iterable[str | Path]) -> Iterator[Path]:
    for path in map(Path, paths):
        if path.is_dir():
            yield from sorted(path.glob("*.jsonl"))
        else:
            yield path


def _records(paths: Iterable[str | Path]) -> Iterator[tuple[Path, int, dict]]:
    for file in _files(paths):
        with open(file, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield file, number, json.loads(line)


class _Documents:
    """Section texts of the reports annotation records point into, parsed once each."""

    def __init__(self, manifest: Path) -> None:
        with open(manifest, encoding="utf-8") as handle:
            self.files = {row["id"]: manifest.parent / row["file"] for row in csv.DictReader(handle)}
        self.cache: dict[str, dict[str, str]] = {}

    def section(self, doc: str, section: str) -> str:
        if doc not in self.cache:
            from .pipeline import parse

            report = parse(self.files[doc])
            self.cache[doc] = {k: s.text for k, s in report.sections.items()}
        return self.cache[doc][section]


def validate(paths: Iterable[str | Path], documents: str | Path | None = None) -> list[str]:
    """Every problem found, as "file:line: message" (an empty list means the corpus is valid)."""
    themes = set(theme_ids())
    problems: list[str] = []
    seen: dict[str, str] = {}
    docs = _Documents(Path(documents)) if documents else None
    for file, number, record in _records(paths):
        where = f"{file}:{number}"
        for field in ("id", "themes", "source", "split"):
            if field not in record:
                problems.append(f"{where}: missing field {field!r}")
        if "text" not in record and not {"doc", "section", "start", "end"} <= record.keys():
            problems.append(f"{where}: needs 'text', or 'doc', 'section', 'start' and 'end'")
        unknown = set(record.get("themes", [])) - themes
        if unknown:
            problems.append(f"{where}: unknown themes {sorted(unknown)}")
        if record.get("kind") not in (None, *KINDS):
            problems.append(f"{where}: kind {record['kind']!r} not in {KINDS}")
        if record.get("section") not in (None, *SECTIONS):
            problems.append(f"{where}: section {record['section']!r} not in {SECTIONS}")
        if record.get("split") not in SPLITS:
            problems.append(f"{where}: split {record.get('split')!r} not in {SPLITS}")
        if record.get("id") in seen:
            problems.append(f"{where}: duplicate id {record['id']!r} (first at {seen[record['id']]})")
        seen.setdefault(record.get("id"), where)
        if "doc" in record and docs is not None:
            try:
                text = docs.section(record["doc"], record["section"])
            except KeyError as missing:
                problems.append(f"{where}: cannot resolve {missing}")
                continue
            if not 0 <= record["start"] < record["end"] <= len(text):
                problems.append(f"{where}: offsets {record['start']}-{record['end']} outside the section ({len(text)} chars)")
    return problems


def load_units(paths: Iterable[str | Path], *, split: str | None = None, documents: str | Path | None = None) -> list[LabelledUnit]:
    """Units of the given files or folders (``*.jsonl``), optionally one split only.

    Annotation records need ``documents`` (a manifest.csv) to resolve their text; without it they
    are skipped."""
    docs = _Documents(Path(documents)) if documents else None
    units = []
    for _, _, record in _records(paths):
        if split and record["split"] != split:
            continue
        text = record.get("text")
        if text is None:
            if docs is None:
                continue
            text = docs.section(record["doc"], record["section"])[record["start"]:record["end"]]
        units.append(LabelledUnit(
            record["id"], text, tuple(record["themes"]), record.get("kind"), record.get("section"),
            record["source"], record["split"],
        ))
    return units


def fingerprint(units: Iterable[LabelledUnit]) -> str:
    """SHA-256 of the units' content: the model card records exactly what a model learnt from."""
    digest = hashlib.sha256()
    for unit in units:
        digest.update(json.dumps(asdict(unit), ensure_ascii=False, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()
