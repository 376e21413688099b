"""The report model: one parsed annual report, and its JSON form (schema.md §1)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .sections import Section


_UNIT_KEYS = ("section", "kind", "text", "start", "end", "heading_path", "tense", "specificity", "confidence")


def _unit_dict(unit: Any) -> dict[str, Any]:
    """A narrative unit as schema.md §1 prints it (``gxnlp.units.Unit`` or its dict form)."""
    data = unit.to_dict() if hasattr(unit, "to_dict") else dict(unit)
    out = {key: data.get(key) for key in _UNIT_KEYS}
    out["heading_path"] = list(out["heading_path"] or [])
    return out


@dataclass
class Report:
    """Everything gxnlp read from one document. ``to_dict()`` is exactly ``gxnlp parse --json``."""

    source: str
    ok: bool = True
    errors: list[dict[str, str]] = field(default_factory=list)
    template: str = "unknown"
    year: int | None = None
    agency: str | None = None
    published: str | None = None
    format: str | None = None
    cells: dict[str, int | float] = field(default_factory=dict)
    derived: list[str] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    sections: dict[str, Section] = field(default_factory=dict)
    units: list[dict[str, Any]] = field(default_factory=list)
    tables: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Set when OCR read some pages: engine, pages, dpi, mean confidence, per-cell scores, digit repairs.
    ocr: dict[str, Any] | None = None

    @classmethod
    def failed(cls, source: str, code: str, message: str, **fields: Any) -> "Report":
        return cls(source=source, ok=False, errors=[{"code": code, "message": message}], **fields)

    @property
    def failed_checks(self) -> list[dict[str, Any]]:
        return [c for c in self.checks if c["status"] == "fail"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "ok": self.ok,
            "errors": list(self.errors),
            "template": self.template,
            "year": self.year,
            "agency": self.agency,
            "published": self.published,
            "format": self.format,
            "cells": dict(self.cells),
            "derived": list(self.derived),
            "checks": list(self.checks),
            "sections": {k: {"title": s.title, "text": s.text} for k, s in self.sections.items()},
            "units": [_unit_dict(u) for u in self.units],
            "tables": dict(self.tables),
            "warnings": list(self.warnings),
            "ocr": self.ocr,
        }
