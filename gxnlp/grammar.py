"""Loads the official labels (data/grammar.json) once; every module reads them from here."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any


@lru_cache(maxsize=1)
def grammar() -> dict[str, Any]:
    """The parsed data file: table rows, columns, fingerprints, section keywords."""
    return json.loads((Path(__file__).parent / "data" / "grammar.json").read_text(encoding="utf-8"))
