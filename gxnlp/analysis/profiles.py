"""How often each narrative theme occurs in a group of reports, as a share of the group's units.

Shares, not counts, make agencies with long and short reports comparable; every theme seen in the
selection gets a row in every group (0 when absent), so a missing theme reads as 0, not as a gap.
"""
from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

PROFILE_VALUE_COLUMNS = ["theme", "units", "total_units", "share"]


def theme_profiles(unit_themes: pd.DataFrame, units: pd.DataFrame, reports: pd.DataFrame,
                   by: str | list[str] = "report_id", *, kinds: Iterable[str] | None = None,
                   sections: Iterable[str] | None = None) -> pd.DataFrame:
    """Tidy theme profile: the ``by`` columns (any columns of ``reports``), theme, units, total_units, share.

    ``units`` counts the units of the group that carry the theme, ``total_units`` all units of the group
    after the ``kinds`` (e.g. ``("measure",)``) and ``sections`` (e.g. ``("s5",)``) filters.
    Groups whose key is missing (a report without a region) are kept under NaN.
    """
    keys = [by] if isinstance(by, str) else list(by)
    unknown = [k for k in keys if k not in reports.columns]
    if unknown:
        raise KeyError(f"not a column of reports: {unknown}; choose from {list(reports.columns)}")
    chosen = units[["report_id", "unit", "kind", "section"]]
    if kinds is not None:
        chosen = chosen[chosen["kind"].isin(list(kinds))]
    if sections is not None:
        chosen = chosen[chosen["section"].isin(list(sections))]
    groups = reports[list(dict.fromkeys(["report_id", *keys]))]
    chosen = chosen[["report_id", "unit"]].merge(groups, on="report_id")
    totals = chosen.groupby(keys, dropna=False).size().rename("total_units")

    tagged = unit_themes[["report_id", "unit", "theme"]].drop_duplicates().merge(chosen, on=["report_id", "unit"])
    counts = tagged.groupby([*keys, "theme"], dropna=False).size().rename("units").reset_index()
    themes = tagged[["theme"]].drop_duplicates().sort_values("theme")
    out = totals.reset_index().merge(themes, how="cross").merge(counts, on=[*keys, "theme"], how="left")
    out["units"] = out["units"].fillna(0).astype(int)
    out["share"] = out["units"] / out["total_units"]
    return out.sort_values([*keys, "share", "theme"], ascending=[True] * len(keys) + [False, True],
                           ignore_index=True)[[*keys, *PROFILE_VALUE_COLUMNS]]
