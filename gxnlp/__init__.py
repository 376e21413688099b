"""gxnlp: Chinese government information disclosure annual reports as research data.

``gxnlp.parse(path)`` returns a :class:`Report` whose ``to_dict()`` is the JSON of
``gxnlp parse --json`` (schema.md).
"""
from __future__ import annotations

from .pipeline import parse, parse_bytes, parse_document
from .report import Report

__all__ = ["Report", "parse", "parse_bytes", "parse_document"]
__version__ = "0.1.0"
