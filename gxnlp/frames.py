"""Reports as tidy rows: the one place that turns a ``Report`` into the corpus tables' records.

Every corpus table is long and tidy (one observation per row) so that it goes straight into a
``groupby``. ``report_id`` joins them. Column names are the contract of ``gxnlp.Corpus``:

* ``reports``: report_id, source, sha256, ok, errors, template, year, agency, published, format,
  n_cells, n_failed_checks, n_units, ocr_pages, ocr_confidence, plus the manifest's columns (region,
  level, …) when given.
* ``cells``: report_id, key, table, row, column, value, derived, provenance ("text" or "ocr"), confidence
  (OCR's score, null for text), repaired (a misread digit settled by the identities).
* ``checks``: report_id, check, status, lhs, rhs, delta, message.
* ``units``: report_id, unit, section, kind, tense, heading_path, text, start, end, specificity, confidence
  (null unless OCR read the unit's lines).

Filter OCR-derived values with ``cells.provenance == "ocr"`` or ``cells.confidence < 0.9``.
* ``unit_themes``: report_id, unit, theme, score (one row per unit and theme it got).
"""
from __future__ import annotations

from typing import Any

from .report import Report

REPORT_COLUMNS = ["report_id", "source", "sha256", "ok", "errors", "template", "year", "agency", "published",
                  "format", "n_cells", "n_failed_checks", "n_units", "ocr_pages", "ocr_confidence"]
CELL_COLUMNS = ["report_id", "key", "table", "row", "column", "value", "derived", "provenance", "confidence", "repaired"]
CHECK_COLUMNS = ["report_id", "check", "status", "lhs", "rhs", "delta", "message"]
UNIT_COLUMNS = ["report_id", "unit", "section", "kind", "tense", "heading_path", "text", "start", "end", "specificity",
                "confidence"]
UNIT_THEME_COLUMNS = ["report_id", "unit", "theme", "score"]


def split_key(key: str) -> tuple[str, str, str]:
    """``t3.denied.state_secret.total`` → (``t3``, ``denied.state_secret``, ``total``)."""
    table, rest = key.split(".", 1)
    row, _, column = rest.rpartition(".")
    return table, row, column


def report_rows(report_id: str, sha256: str, report: Report) -> dict[str, list[dict[str, Any]]]:
    """The records one report contributes to each corpus table (units without themes yet)."""
    data = report.to_dict()
    derived = set(data["derived"])
    ocr = data["ocr"] or {}
    scores, repaired = ocr.get("cells", {}), {r["key"] for r in ocr.get("repaired", ())}
    cells = [
        {"report_id": report_id, "key": key, **dict(zip(("table", "row", "column"), split_key(key))),
         "value": float(value), "derived": key in derived, "provenance": "ocr" if key in scores else "text",
         "confidence": scores.get(key), "repaired": key in repaired}
        for key, value in data["cells"].items()
    ]
    checks = [
        {"report_id": report_id, "check": c["id"], "status": c["status"], "lhs": float(c["lhs"]),
         "rhs": float(c["rhs"]), "delta": float(c.get("delta", c["lhs"] - c["rhs"])), "message": c["message"]}
        for c in data["checks"]
    ]
    units = [
        {"report_id": report_id, "unit": i, "section": u["section"], "kind": u["kind"], "tense": u.get("tense"),
         "heading_path": " / ".join(u.get("heading_path") or ()), "text": u["text"], "start": u.get("start"),
         "end": u.get("end"), "specificity": u.get("specificity"), "confidence": u.get("confidence")}
        for i, u in enumerate(data["units"])
    ]
    summary = {
        "report_id": report_id, "source": data["source"], "sha256": sha256, "ok": data["ok"],
        "errors": ";".join(e["code"] for e in data["errors"]), "template": data["template"], "year": data["year"],
        "agency": data["agency"], "published": data["published"], "format": data["format"], "n_cells": len(cells),
        "n_failed_checks": sum(c["status"] == "fail" for c in checks), "n_units": len(units),
        "ocr_pages": len(ocr.get("pages", ())), "ocr_confidence": ocr.get("confidence"),
    }
    return {"reports": [summary], "cells": cells, "checks": checks, "units": units}
