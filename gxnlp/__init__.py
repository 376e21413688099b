"""gxnlp: Chinese government information disclosure annual reports as research data.

``gxnlp.parse(path)`` returns a :class:`Report` whose ``to_dict()`` is the JSON of
``gxnlp parse --json`` (schema.md); ``gxnlp.Corpus(folder)`` parses many into tidy DataFrames.
"""
from __future__ import annotations

from typing import Any

from .pipeline import parse, parse_bytes, parse_document
from .report import Report

__all__ = ["Corpus", "Report", "parse", "parse_bytes", "parse_document"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """``gxnlp.Corpus`` on first use: it needs pandas and pyarrow, which ``gxnlp parse`` must not import."""
    if name == "Corpus":
        from .corpus import Corpus

        return Corpus
    raise AttributeError(f"module 'gxnlp' has no attribute {name!r}")
