"""bytes → document → report: the parse of one file, which never raises on bad input."""
from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator

from .document import Document, Paragraph, Table
from .errors import GxnlpError
from .grammar import grammar
from .metadata import extract_metadata
from .normalise import label_key, nfkc
from .report import Report
from .sections import Section, split_sections
from .tables import read_tables
from .units import report_units
from .validate import hard_checks, soft_checks

_MIN_TABLE_DIGITS = 10  # fewer digits between the headings of 二 and 四: the tables are images


def parse(path: str | os.PathLike) -> Report:
    """Parse one report file. Bad input gives ``ok=False`` with an error code, never an exception."""
    from .readers import read

    return _parse_with(lambda: read(path), os.fspath(path))


def parse_bytes(data: bytes, source: str) -> Report:
    """Parse a report held in memory (``source`` names it; its extension hints the format)."""
    from .readers import read_bytes

    return _parse_with(lambda: read_bytes(data, source), source)


def _parse_with(read_document: Callable[[], Document], source: str) -> Report:
    try:
        document = read_document()
    except GxnlpError as error:
        return Report.failed(source, error.code, error.message)
    except Exception as error:  # noqa: BLE001 - a batch must survive a reader bug too
        return Report.failed(source, "internal_error", f"{type(error).__name__}: {error}")
    try:
        return parse_document(document)
    except Exception as error:  # noqa: BLE001
        return Report.failed(source, "internal_error", f"{type(error).__name__}: {error}", format=document.format)


def _spans(document: Document) -> Iterator[tuple[int, int, Paragraph | Table]]:
    """Each block with its (start, end) offsets in ``document.text()`` (blocks are joined by newlines)."""
    offset = 0
    for block in document.blocks:
        if isinstance(block, Paragraph):
            length = len(block.text)
        else:
            length = sum(len("\t".join(row)) for row in block.rows) + max(len(block.rows) - 1, 0)
        yield offset, offset + length, block
        offset += length + 1


def _blocks_in(document: Document, start: int, end: int) -> list[Paragraph | Table]:
    """The blocks of ``document`` between two offsets of ``document.text()``, paragraphs clipped."""
    selected: list[Paragraph | Table] = []
    for first, last, block in _spans(document):
        if last > start and first < end:
            if isinstance(block, Paragraph):
                block = Paragraph(block.text[max(0, start - first):end - first], block.confidence)
            selected.append(block)
    return selected


def _is_pre2019(text: str, year: int | None) -> bool:
    key = label_key(text)
    official = sum(label_key(s) in key for s in grammar()["official_table_labels"])
    if official >= 2:
        return False
    old = sum(label_key(s) in key for s in grammar()["pre2019"]["fingerprints"])
    return old >= 2 or (year is not None and year < 2019)


def _not_a_report(title: str | None, text: str) -> bool:
    spec = grammar()["not_a_report"]
    head = nfkc(title or text[:300])
    if re.search(spec["report_title"], head):
        return False
    return any(p in head for p in spec["title_patterns"])


def parse_document(document: Document) -> Report:
    """Everything after reading: metadata, template, sections, narrative units, tables, checks."""
    text = document.text()
    meta = extract_metadata(document.title, text, document.published)
    report = Report(
        source=document.source, format=document.format, year=meta.year, agency=meta.agency,
        published=meta.published, warnings=list(document.warnings),
        ocr=None if document.ocr is None else {
            "engine": document.ocr.engine, "pages": list(document.ocr.pages), "dpi": document.ocr.dpi,
            "skew": list(document.ocr.skew)},
    )
    if _not_a_report(meta.title, text):
        report.ok = False
        report.errors.append({"code": "not_a_report", "message": f"not an annual report: {meta.title or text[:60]!r}"})
        return report
    if _is_pre2019(text, meta.year):
        report.template = "pre2019"
        report.sections = split_sections(text, pre2019=True)
        if len(report.sections) < 3:
            report.ok = False
            report.errors.append({"code": "not_a_report", "message": "no annual-report structure found"})
        return report

    sections = split_sections(text)
    report.sections = sections
    try:
        report.units = [unit.to_dict() for unit in report_units(sections)]
    except Exception as error:  # noqa: BLE001 - a segmenter bug must not cost the tables
        report.warnings.append(f"narrative units not segmented: {type(error).__name__}: {error}")
    start, end = _table_region(sections, len(text))
    narrative = text[:start] + "\n" + text[end:]
    result = read_tables(_blocks_in(document, start, end), narrative=narrative)
    report.cells = result.cells
    report.derived = result.derived
    report.tables = {
        "versions": result.versions,
        "evidence": result.evidence,
        "repaired": result.repaired,
        "ambiguous": result.ambiguous,
        "incomplete": result.incomplete,
        "extra_rows": result.extra_rows,
    }
    if report.ocr is not None:
        report.ocr.update(_ocr_provenance(document, report, result.confidence, text))
    report.template = _template(result.versions, text[start:end])
    report.checks = hard_checks(report.cells) + soft_checks(report.cells, narrative)
    if not result.cells:
        digits = sum(ch.isdigit() for ch in text[start:end])
        if {"s2", "s4"} <= sections.keys() and digits < _MIN_TABLE_DIGITS:
            report.ok = False
            report.errors.append({"code": "tables_missing_or_image", "message": "section headings 二–四 are present but their tables are not (images or attachments?)"})
        elif len(sections) < 3:
            report.ok = False
            report.errors.append({"code": "not_a_report", "message": "no annual-report sections or tables found"})
        else:
            report.warnings.append("no table values found")
    if result.ambiguous:
        report.warnings.append(f"{len(result.ambiguous)} table row(s) ambiguous: {', '.join(r for a in result.ambiguous for r in a['rows'])}")
    return report


def _ocr_provenance(document: Document, report: Report, confidence: dict[str, float], text: str) -> dict:
    """Repair misread digits by the identities (gxnlp.ocr.repair) and say how surely OCR read the report:
    its mean score, every cell's score, and each unit's (the lowest score of the lines it spans)."""
    from .ocr.repair import repair_digits

    report.cells, repaired, unsettled = repair_digits(report.cells, confidence, frozenset(report.derived))
    report.tables["repaired"] += [{"rows": [r["key"].rsplit(".", 1)[0]], "how": r["how"]} for r in repaired]
    if unsettled:
        report.warnings.append(f"{len(unsettled)} failed identity group(s) have several one-digit OCR readings")
    spans = [(start, end, block.confidence) for start, end, block in _spans(document)
             if isinstance(block, Paragraph) and block.confidence is not None]
    for unit in report.units:
        section = report.sections[unit["section"]]
        raw = text[section.body_start:section.end]
        base = section.body_start + len(raw) - len(raw.lstrip())
        scores = [score for start, end, score in spans if start < base + unit["end"] and end > base + unit["start"]]
        unit["confidence"] = round(min(scores), 3) if scores else None
    scores = list(confidence.values()) + [score for _, _, score in spans]
    return {
        "confidence": round(sum(scores) / len(scores), 3) if scores else None,
        "cells": {key: round(score, 3) for key, score in confidence.items()},
        "repaired": repaired, "unsettled": unsettled,
    }


def _template(versions: dict[str, str], region: str) -> str:
    """Report template from the tables read, else from the labels printed (a blank form)."""
    found = set(versions.values())
    if not found:
        key = label_key(region)
        data = grammar()
        for version in ("2021", "2019"):
            prints = data["t2"]["fingerprints"][version] + data["t3"]["fingerprints"].get(version, [])
            if any(label_key(p) in key for p in prints):
                found.add(version)
    return "2021" if "2021" in found else "2019" if "2019" in found else "unknown"


def _table_region(sections: dict[str, Section], length: int) -> tuple[int, int]:
    """Offsets of the text holding tables 2–4: from section 二 (or 三) to section 五 (or 六)."""
    start = next((sections[k].start for k in ("s2", "s3", "s4") if k in sections), 0)
    end = next((sections[k].start for k in ("s5", "s6") if k in sections and sections[k].start > start), length)
    return start, end

