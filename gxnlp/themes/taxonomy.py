"""The theme taxonomy (themes.md §2–§3) as data: ids, names, keywords and disambiguation rules."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any


@lru_cache(maxsize=1)
def taxonomy() -> dict[str, Any]:
    """data/themes.json, parsed once."""
    return json.loads((Path(__file__).resolve().parents[1] / "data" / "themes.json").read_text(encoding="utf-8"))


def theme_ids() -> list[str]:
    """The 16 theme ids in taxonomy order."""
    return [t["id"] for t in taxonomy()["themes"]]
