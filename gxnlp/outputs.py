"""Corpus tables as files researchers open directly, and as one self-contained HTML report.

Why: the comparison tables are meant for pandas, but most readers of the results use Excel or a browser.
``write_tables`` writes every table as Parquet (exact types), CSV (UTF-8 with BOM, so that Excel shows the
Chinese) and one workbook; ``render_report`` draws the comparison as one HTML file with inline SVG charts,
no scripts and no external resources, so that it opens offline and can be mailed or archived as is.

``render_report`` reads these entries of ``tables`` (each optional; a missing or empty one gives a
"no data" note in its section):

* ``reports``: report_id, ok, template, year, errors, and the grouping column (``by``, default agency);
* ``cells``: report_id, table, row, column, value (table 3 outcomes and new applications);
* ``checks``: report_id, check, status, delta (identity failures);
* ``metrics``: report_id, metric, numerator, denominator (``disclosure_rate``, ``correction_rate.*``);
* ``profiles``: group column(s), theme, share, and optionally units, total_units.
"""
from __future__ import annotations

import html
import json
import math
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from . import __version__

EXCEL_MAX_ROWS = 1_048_576  # rows per sheet, header included
EXCEL_MAX_CHARS = 32_767  # characters per cell
EXCEL_SHEET_CHARS = 31
ABOUT_SHEET = "_about"

MAX_GROUPS = 40  # groups drawn per chart; more would make unreadable charts
MAX_LISTED = 100  # reports listed with failed checks

FONT_STACK = ('"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", '
              '"Microsoft YaHei", "PingFang SC", sans-serif')

# Table 3 outcome families (the first part of a t3 row key) with their printed names and colours.
OUTCOMES: tuple[tuple[str, str, str], ...] = (
    ("granted", "予以公开", "#2b8a3e"),
    ("partial", "部分公开", "#94d82d"),
    ("denied", "不予公开", "#e03131"),
    ("unable", "无法提供", "#f08c00"),
    ("not_processed", "不予处理", "#7048e8"),
    ("other", "其他处理", "#adb5bd"),
)
# Table 4 blocks pooled into the two kinds of correction the report compares.
CORRECTIONS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("行政复议", ("review",), "#1971c2"),
    ("行政诉讼", ("lit_direct", "lit_after_review"), "#e8590c"),
    ("合计", ("review", "lit_direct", "lit_after_review"), "#495057"),
)
GROUP_NAMES = {"agency": "机关", "region": "地区", "level": "层级", "year": "年份", "template": "模板"}
UNKNOWN = "（未注明）"
NO_DATA = "无数据"

# ---------------------------------------------------------------------------------------------------
# Files


def write_tables(tables: Mapping[str, pd.DataFrame], out: str | Path) -> list[Path]:
    """Write each table as ``<name>.parquet`` and ``<name>.csv`` plus all of them in ``tables.xlsx``.

    A named index is kept as columns. Parquet keeps list/dict columns natively when pyarrow can;
    CSV and Excel get them as JSON text. Tables longer than Excel's row limit are cut in the workbook
    only; its ``_about`` sheet maps sheet names to tables and says what was cut.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    stems: set[str] = set()
    plain = {name: _plain(frame) for name, frame in tables.items()}
    for name, frame in plain.items():
        stem = _unique(re.sub(r"[^\w.-]+", "_", str(name)).strip("._") or "table", stems, 200)
        parquet, csv = out / f"{stem}.parquet", out / f"{stem}.csv"
        try:
            frame.to_parquet(parquet, index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            _flat(frame).to_parquet(parquet, index=False)  # mixed nested values pyarrow cannot type
        _flat(frame).to_csv(csv, index=False, encoding="utf-8-sig")
        written += [parquet, csv]
    written.append(_write_workbook(plain, out / "tables.xlsx"))
    return written


def write_dataset(tables: Mapping[str, pd.DataFrame], out: str | Path,
                  partition_by: Sequence[str] = ("year", "region"), *, existing: str = "replace",
                  name: str | None = None, types: Mapping[str, pa.DataType] | None = None) -> list[Path]:
    """Write each table as a Hive-partitioned Parquet dataset: ``<out>/<table>/year=2021/region=广东/part-0.parquet``.

    Tables without the partition columns get them from ``tables["reports"]`` by ``report_id``. A missing value
    is the ``__HIVE_DEFAULT_PARTITION__`` folder. ``existing="replace"``: ``<out>/<table>`` is replaced whole, so
    no stale partition of an earlier run survives; ``"update"``: only the partitions present in these tables are
    replaced, the others kept (a national build written one year or one region at a time); ``"append"``: files are
    added beside those already there (a build streamed batch by batch). Files are named ``<name>-<i>.parquet``;
    a ``name`` given makes them deterministic (written in a fixed order: the same rows give the same files, so a
    batch written again replaces its files instead of adding copies); by default ``part`` ("append": a random
    name). ``types``: Arrow types of columns pandas cannot tell from one batch's values (lists that are all
    empty, all-missing objects), so that every batch of a dataset writes one schema. Read back with
    :func:`read_dataset`, ``pyarrow.dataset.dataset(out / "cells", partitioning="hive")``, or
    ``pd.read_parquet(out / "cells", filters=[("year", "=", 2021)])`` (pandas cannot read a missing-value
    partition together with others: "Cannot yet unify dictionaries with nulls").
    """
    import shutil

    import pyarrow.dataset as ds

    if existing not in ("replace", "update", "append"):
        raise ValueError(f"existing must be 'replace', 'update' or 'append', not {existing!r}")
    partition_by = list(partition_by)
    reports = tables.get("reports")
    missing = [c for c in partition_by if reports is None or c not in reports]
    if missing:
        raise ValueError(f"cannot partition by {missing}: not columns of the reports table "
                         f"(region, level, … come from a manifest)")
    keys = reports[["report_id", *partition_by]].drop_duplicates("report_id")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    stem = name or (f"part-{uuid.uuid4().hex[:12]}" if existing == "append" else "part")
    for table, frame in tables.items():
        frame = _plain(frame)
        if not set(partition_by) <= set(frame.columns):
            if "report_id" not in frame:
                raise ValueError(f"table {table!r} has neither the partition columns nor report_id")
            frame = frame.drop(columns=[c for c in partition_by if c in frame]).merge(keys, on="report_id", how="left")
        data = _without_pandas_types(pa.Table.from_pandas(frame, preserve_index=False), partition_by)
        for column, type_ in (types or {}).items():
            if column in data.column_names:
                data = data.set_column(data.column_names.index(column), column, data[column].cast(type_))
        folder = out / str(table)
        if existing == "replace":
            shutil.rmtree(folder, ignore_errors=True)
        # append: files of another batch in the same partition stay, so each batch writes uniquely named files
        ds.write_dataset(data, folder, format="parquet", partitioning=partition_by, partitioning_flavor="hive",
                         existing_data_behavior="overwrite_or_ignore" if existing == "append" else "delete_matching",
                         basename_template=f"{stem}-{{i}}.parquet", use_threads=name is None)
        written.append(folder)
    return written


def read_dataset(folder: str | Path, filters: Any = None, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A table written by :func:`write_dataset`, only the partitions ``filters`` select (pandas/pyarrow style:
    ``[("year", "=", 2021), ("region", "in", ["广东", "广西"])]``); partition columns come back as plain columns."""
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    dataset = ds.dataset(folder, format="parquet", partitioning="hive")
    table = dataset.to_table(columns=list(columns) if columns is not None else None,
                             filter=pq.filters_to_expression(filters) if filters else None)
    return table.to_pandas(types_mapper={pa.int32(): pd.Int64Dtype(), pa.int64(): pd.Int64Dtype(),
                                         pa.string(): pd.StringDtype(), pa.bool_(): pd.BooleanDtype()}.get)


def _without_pandas_types(data: pa.Table, columns: Sequence[str]) -> pa.Table:
    """The table with the pandas metadata of ``columns`` dropped: read back from the folder names they are
    dictionary-encoded, which a stored ``Int64`` dtype cannot convert (pandas then makes them categories)."""
    meta = dict(data.schema.metadata or {})
    if b"pandas" in meta:
        pandas_meta = json.loads(meta[b"pandas"])
        pandas_meta["columns"] = [c for c in pandas_meta["columns"] if c.get("name") not in set(columns)]
        meta[b"pandas"] = json.dumps(pandas_meta).encode()
    return data.replace_schema_metadata(meta)


def _write_workbook(tables: Mapping[str, pd.DataFrame], path: Path) -> Path:
    """One sheet per table; the first sheet lists which sheet holds which table and what was cut."""
    sheets: set[str] = {ABOUT_SHEET}
    keep = EXCEL_MAX_ROWS - 1
    about = pd.DataFrame(
        [{"table": str(name), "sheet": _unique(re.sub(r"[\[\]:*?/\\']", "_", str(name)) or "table", sheets,
                                               EXCEL_SHEET_CHARS),
          "rows": len(frame), "rows_in_sheet": min(len(frame), keep),
          "note": (f"truncated to Excel's limit: first {keep:,} of {len(frame):,} rows; the full table is in the "
                   f"Parquet and CSV files" if len(frame) > keep else "")}
         for name, frame in tables.items()],
        columns=["table", "sheet", "rows", "rows_in_sheet", "note"])
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        about.to_excel(writer, sheet_name=ABOUT_SHEET, index=False)
        for frame, sheet in zip(tables.values(), about["sheet"]):
            _excel_safe(frame.head(keep)).to_excel(writer, sheet_name=sheet, index=False)
    return path


def _unique(name: str, taken: set[str], limit: int) -> str:
    """``name`` cut to ``limit`` characters and made distinct from ``taken`` (case-insensitively, as Excel)."""
    lowered = {t.lower() for t in taken}
    candidate, n = name[:limit], 1
    while candidate.lower() in lowered:
        n += 1
        suffix = f"~{n}"
        candidate = name[: limit - len(suffix)] + suffix
    taken.add(candidate)
    return candidate


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame with string column names and its index as columns when the index is named (it carries data)."""
    frame = frame.reset_index() if any(n is not None for n in frame.index.names) else frame.copy()
    frame.columns = [".".join(map(str, c)) if isinstance(c, tuple) else str(c) for c in frame.columns]
    return frame


def _is_nested(value: Any) -> bool:
    return isinstance(value, (list, tuple, dict, set, np.ndarray))


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """Nested values as JSON text: CSV and Excel have no list or dict cells."""
    frame = frame.copy()
    for col in frame.columns:
        if frame[col].dtype == object and frame[col].map(_is_nested).any():
            frame[col] = frame[col].map(lambda v: _json(v) if _is_nested(v) else v)
    return frame


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_jsonable)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    if isinstance(value, set):
        return sorted(value, key=str)
    return str(value)


def _excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """What openpyxl refuses, made acceptable: nested values, time zones, control characters, huge text."""
    frame = _flat(frame)
    for col in frame.columns:
        series = frame[col]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            frame[col] = series.dt.tz_localize(None)
        elif series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            frame[col] = series.map(
                lambda v: ILLEGAL_CHARACTERS_RE.sub("", v)[:EXCEL_MAX_CHARS] if isinstance(v, str) else v)
    return frame


# ---------------------------------------------------------------------------------------------------
# HTML report


def write_report(tables: Mapping[str, pd.DataFrame], out: str | Path, **kw: Any) -> Path:
    """Render the report (``render_report`` keywords) into ``out/report.html``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "report.html"
    path.write_text(render_report(tables, **kw), encoding="utf-8")
    return path


def render_report(tables: Mapping[str, pd.DataFrame], *, title: str, by: str | None = None,
                  theme: str | None = None, summary: Mapping[str, Any] | None = None) -> str:
    """One self-contained HTML document comparing the groups ``by`` (a reports column; default agency).

    ``theme`` (a theme id) is highlighted in the heatmap and names the thematic summary. ``summary`` maps
    each group to ``{"measures": [...], "problems": [...], "terms": [...]}``; measures and problems are
    texts or dicts with text, report_id, unit (the citation); terms are strings, (term, score) pairs or
    dicts with term, score. Omitted, the summary section is left out.
    """
    by = by or "agency"
    reports = _frame(tables, "reports")
    groups = _groups(reports, by)
    group_name = GROUP_NAMES.get(by, by)
    sections = [
        ("overview", "概览", "Overview", _overview(reports, groups)),
        ("themes", "主题分布", f"Themes by {by}", _heatmap(_frame(tables, "profiles"), theme)),
        ("outcomes", "申请办理结果", f"Outcomes of applications by {by}",
         _outcomes(_frame(tables, "cells"), groups)),
        ("corrections", "纠错率", f"Correction rates by {by}", _corrections(_frame(tables, "metrics"), groups)),
        ("checks", "恒等式检查", "Identity checks", _failures(_frame(tables, "checks"), reports, groups)),
        ("trends", "年度趋势", "Trends by year",
         _trends(_frame(tables, "cells"), _frame(tables, "metrics"), reports)),
    ]
    if summary is not None:
        heading = f"专题摘要：{_theme_name(theme)}" if theme else "专题摘要"
        sections.append(("summary", heading, "Thematic summary", _summary(summary)))
    nav = " · ".join(f'<a href="#{sid}">{_esc(zh)}</a>' for sid, zh, _, _ in sections)
    body = "\n".join(
        f'<section id="{sid}"><h2>{_esc(zh)} <small>{_esc(en)}</small></h2>\n{content}</section>'
        for sid, zh, en, content in sections)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="gxnlp {_esc(__version__)}">
<title>{_esc(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<header><h1>{_esc(title)}</h1>
<p class="meta">分组 Grouped by：{_esc(group_name)} · gxnlp {_esc(__version__)}</p>
<nav>{nav}</nav></header>
<main>
{body}
</main>
</body>
</html>
"""


_CSS = f"""
:root {{ --fonts: {FONT_STACK}; }}
body {{ font-family: var(--fonts); margin: 0 auto; max-width: 1200px; padding: 0 24px 48px; color: #212529;
       background: #fff; line-height: 1.5; }}
h1 {{ font-size: 26px; margin: 24px 0 4px; }}
h2 {{ font-size: 20px; border-bottom: 2px solid #dee2e6; padding-bottom: 4px; margin-top: 36px; }}
h2 small, h3 small {{ color: #868e96; font-weight: normal; font-size: 14px; }}
h3 {{ font-size: 16px; margin: 20px 0 6px; }}
.meta {{ color: #868e96; margin: 0 0 8px; }}
nav a {{ color: #1971c2; text-decoration: none; }}
.cards {{ display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }}
.card {{ border: 1px solid #dee2e6; border-radius: 6px; padding: 8px 16px; min-width: 110px; }}
.card b {{ display: block; font-size: 24px; }}
.card span {{ color: #868e96; font-size: 13px; }}
.tables {{ display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }}
table {{ border-collapse: collapse; font-size: 13px; margin: 8px 0; }}
th, td {{ border-bottom: 1px solid #e9ecef; padding: 3px 10px; text-align: left; vertical-align: top; }}
th {{ background: #f8f9fa; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
.note {{ color: #868e96; font-size: 13px; }}
.nodata {{ color: #868e96; font-style: italic; }}
svg {{ max-width: 100%; height: auto; display: block; margin: 8px 0; }}
svg text {{ font-family: var(--fonts); font-size: 12px; fill: #343a40; }}
svg text.small {{ font-size: 10px; }}
svg text.inside {{ fill: #fff; font-size: 10px; }}
.charts {{ display: flex; flex-wrap: wrap; gap: 24px; }}
.terms span {{ display: inline-block; background: #e7f5ff; border-radius: 10px; padding: 0 8px; margin: 2px;
              font-size: 13px; }}
.group {{ border-left: 3px solid #1971c2; padding-left: 14px; margin: 18px 0; }}
.group h3 {{ margin-top: 0; }}
h4 {{ font-size: 14px; color: #495057; margin: 10px 0 4px; }}
cite {{ color: #868e96; font-style: normal; font-size: 12px; }}
"""

# --- helpers ---------------------------------------------------------------------------------------


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _frame(tables: Mapping[str, Any], name: str) -> pd.DataFrame:
    """The table, or an empty frame when it is missing or not a DataFrame."""
    frame = tables.get(name)
    return frame if isinstance(frame, pd.DataFrame) else pd.DataFrame()


def _has(frame: pd.DataFrame, *columns: str) -> bool:
    return not frame.empty and all(c in frame.columns for c in columns)


def _no_data(what: str = "") -> str:
    return f'<p class="nodata">{NO_DATA}{_esc("：" + what if what else "")}</p>'


def _label(value: Any) -> str:
    """Group and year labels: 2023.0 prints as 2023, a missing value as （未注明）."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return UNKNOWN
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip() or UNKNOWN


def _pct(x: float) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{x:.1%}"


def _int(x: float) -> str:
    return f"{x:,.0f}" if x is not None and math.isfinite(x) else "—"


def _width(text: str, size: float = 12) -> float:
    """Approximate rendered width: CJK and other wide characters take one em, the rest about 0.6 em."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else 0.6 * size for ch in text)


def _clip(text: str, width: float, size: float = 12) -> str:
    if _width(text, size) <= width:
        return text
    while text and _width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def _num(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce")


@cache
def _themes() -> dict[str, str]:
    """Theme id → Chinese name, in taxonomy order (themes.json)."""
    data = json.loads(resources.files("gxnlp").joinpath("data/themes.json").read_text(encoding="utf-8"))
    return {t["id"]: t["name"] for t in data["themes"]}


def _theme_name(theme: str) -> str:
    return _themes().get(theme, theme)


def _groups(reports: pd.DataFrame, by: str) -> pd.Series:
    """report_id → group label; every report in one group 全部 when the column is absent."""
    if not _has(reports, "report_id"):
        return pd.Series(dtype=object)
    values = reports[by] if by in reports.columns else pd.Series("全部", index=reports.index)
    groups = pd.Series([_label(v) for v in values], index=reports["report_id"].astype(str).values)
    return groups[~groups.index.duplicated()]


def _top(weights: pd.Series) -> tuple[list[str], str]:
    """The ``MAX_GROUPS`` heaviest groups in label order, and a note when some were left out."""
    weights = weights.sort_values(ascending=False, kind="stable")
    kept = sorted(weights.index[:MAX_GROUPS], key=str)
    left = len(weights) - len(kept)
    note = f'<p class="note">仅显示规模最大的 {len(kept)} 组（另有 {left} 组未显示）。</p>' if left > 0 else ""
    return kept, note


def _table(frame: pd.DataFrame, numeric: Iterable[str] = ()) -> str:
    numeric = set(numeric)
    head = "".join(f"<th>{_esc(c)}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f'<td class="num">{_esc(v)}</td>' if c in numeric else f"<td>{_esc(v)}</td>"
                         for c, v in zip(frame.columns, row)) + "</tr>"
        for row in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _svg(width: float, height: float, content: str, label: str) -> str:
    return (f'<svg width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'role="img" aria-label="{_esc(label)}">{content}</svg>')


def _legend(items: Sequence[tuple[str, str]], x: float, y: float) -> str:
    parts = []
    for name, colour in items:
        parts.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{x + 16:.1f}" y="{y:.1f}">{_esc(name)}</text>')
        x += 16 + _width(name) + 18
    return "".join(parts)


TICKS = 5  # axis intervals; every maximum ``_nice`` picks divides into round steps


def _nice(x: float) -> float:
    """A round axis maximum at or above ``x``."""
    if not x > 0 or not math.isfinite(x):
        return 1.0
    exp = 10 ** math.floor(math.log10(x))
    return next(m * exp for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 10) if m * exp >= x * (1 - 1e-9))


def _tick(value: float, vmax: float, rate: bool) -> str:
    """Axis label with as many decimals as the step needs."""
    step = vmax / TICKS * (100 if rate else 1)
    digits = next((d for d in range(3) if abs(round(step, d) - step) < 1e-9 * max(step, 1)), 3)
    return f"{value:.{digits}%}" if rate else f"{value:,.{digits}f}"


def _ratio(frame: pd.DataFrame, by: str | list[str]) -> pd.DataFrame:
    """Pooled rate per group: Σ numerator / Σ denominator, so that large reports weigh as they should."""
    sums = frame.groupby(by, sort=True)[["numerator", "denominator"]].sum()
    sums["rate"] = sums["numerator"] / sums["denominator"].where(sums["denominator"] > 0)
    return sums


# --- sections --------------------------------------------------------------------------------------


def _overview(reports: pd.DataFrame, groups: pd.Series) -> str:
    if not _has(reports, "report_id"):
        return _no_data("没有报告")
    n = len(reports)
    ok = int(reports["ok"].fillna(False).astype(bool).sum()) if "ok" in reports.columns else n
    years = _num(reports["year"]).dropna() if "year" in reports.columns else pd.Series(dtype=float)
    span = f"{int(years.min())}–{int(years.max())}" if len(years) else "—"
    cards = [("报告 reports", _int(n)), ("解析成功 ok", _int(ok)), ("失败 failed", _int(n - ok)),
             ("分组 groups", _int(groups.nunique())), ("年份 years", span)]
    html_ = '<div class="cards">' + "".join(f"<div class=\"card\"><b>{_esc(v)}</b><span>{_esc(k)}</span></div>"
                                             for k, v in cards) + "</div>"
    tables = []
    if "template" in reports.columns:
        counts = reports["template"].map(_label).value_counts().sort_index()
        tables.append("<div><h3>模板 <small>Templates</small></h3>"
                      + _table(pd.DataFrame({"模板": counts.index, "报告": counts.map(_int).values}), ["报告"])
                      + "</div>")
    if len(years):
        counts = years.astype(int).value_counts().sort_index()
        tables.append("<div><h3>年份 <small>Years</small></h3>"
                      + _table(pd.DataFrame({"年份": counts.index, "报告": counts.map(_int).values}), ["报告"])
                      + "</div>")
    if "errors" in reports.columns:
        codes = reports["errors"].dropna().astype(str).str.split(";").explode().str.strip()
        counts = codes[codes != ""].value_counts()
        if len(counts):
            tables.append("<div><h3>失败原因 <small>Errors</small></h3>"
                          + _table(pd.DataFrame({"错误": counts.index, "报告": counts.map(_int).values}), ["报告"])
                          + "</div>")
    return html_ + '<div class="tables">' + "".join(tables) + "</div>"


def _heatmap(profiles: pd.DataFrame, theme: str | None) -> str:
    """Groups × themes, colour = share of a group's units that carry the theme."""
    if not _has(profiles, "theme", "share"):
        return _no_data("没有主题分布表 (profiles)")
    measures = {"theme", "units", "total_units", "share"}
    keys = [c for c in profiles.columns if c not in measures]
    frame = profiles.assign(
        group=profiles[keys].apply(lambda r: " · ".join(_label(v) for v in r), axis=1) if keys else "全部",
        theme=profiles["theme"].astype(str), share=_num(profiles["share"]))
    matrix = frame.pivot_table(index="group", columns="theme", values="share", aggfunc="mean")
    if matrix.empty:
        return _no_data("没有主题分布表 (profiles)")
    weights = (frame.groupby("group")["total_units"].max() if "total_units" in frame.columns
               else frame.groupby("group").size())
    kept, note = _top(_num(weights).fillna(0))
    known = list(_themes())
    themes = known + sorted(t for t in matrix.columns if t not in known)
    matrix = matrix.reindex(index=kept, columns=themes).fillna(0.0)  # a theme no unit carries: share 0
    vmax = float(matrix.to_numpy().max()) or 1.0

    cw, ch, size = 46, 24, 12
    label_w = min(220, max(_width(g) for g in kept) + 12)
    names = [_theme_name(t) for t in themes]
    head = max(_width(n) for n in names) * 0.72 + 20
    right = 70 + head
    width, height = label_w + cw * len(themes) + right, head + ch * len(kept) + 44
    parts = []
    for j, (t, name) in enumerate(zip(themes, names)):
        x = label_w + j * cw + cw / 2
        weight = ' font-weight="bold"' if t == theme else ""
        parts.append(f'<text x="{x:.1f}" y="{head - 6:.1f}" transform="rotate(-45 {x:.1f} {head - 6:.1f})"'
                     f'{weight}><title>{_esc(t)}</title>{_esc(name)}</text>')
    for i, group in enumerate(kept):
        y = head + i * ch
        parts.append(f'<text x="{label_w - 8}" y="{y + ch / 2 + 4:.1f}" text-anchor="end">'
                     f'<title>{_esc(group)}</title>{_esc(_clip(group, label_w - 12, size))}</text>')
        for j, t in enumerate(themes):
            share = float(matrix.iat[i, j])
            x = label_w + j * cw
            fill, text = (_blue(share / vmax), f"{share:.0%}") if share > 0 else ("#f1f3f5", "")
            dark = share / vmax > 0.55
            parts.append(f'<rect x="{x}" y="{y:.1f}" width="{cw - 1}" height="{ch - 1}" fill="{fill}">'
                         f'<title>{_esc(group)} · {_esc(_theme_name(t))}: {_esc(_pct(share))}</title></rect>')
            if text:
                parts.append(f'<text x="{x + cw / 2:.1f}" y="{y + ch / 2 + 4:.1f}" text-anchor="middle" '
                             f'class="{"inside" if dark else "small"}">{text}</text>')
        if "total_units" in frame.columns:
            parts.append(f'<text x="{label_w + cw * len(themes) + 6}" y="{y + ch / 2 + 4:.1f}" class="small">'
                         f'n={_int(_num(weights).get(group, 0))}</text>')
    if theme and theme in themes:
        j = themes.index(theme)
        parts.append(f'<rect x="{label_w + j * cw - 1}" y="{head - 1:.1f}" width="{cw + 1}" '
                     f'height="{ch * len(kept) + 1}" fill="none" stroke="#212529" stroke-width="2"/>')
    y = head + ch * len(kept) + 24
    steps = [vmax * k / 4 for k in range(5)]
    parts.append(f'<text x="{label_w + 5 * 52 + 6}" y="{y + 3}" class="small">单元占比 share of units</text>')
    parts += [f'<rect x="{label_w + k * 52}" y="{y - 9}" width="50" height="14" fill="{_blue(s / vmax)}"/>'
              f'<text x="{label_w + k * 52 + 25}" y="{y + 3}" text-anchor="middle" '
              f'class="{"inside" if s / vmax > 0.55 else "small"}">{s:.0%}</text>' for k, s in enumerate(steps)]
    caption = ('<p class="note">每格为该组文本单元中涉及该主题的比例（一个单元可有多个主题）；'
               'n 为单元总数。</p>')
    return caption + _svg(width, height, "".join(parts), "主题热力图") + note


def _blue(t: float) -> str:
    """White → dark blue, for shares scaled to 0..1."""
    stops = ((247, 251, 255), (107, 174, 214), (8, 48, 107))
    t = min(max(float(t), 0.0), 1.0) * (len(stops) - 1)
    i = min(int(t), len(stops) - 2)
    return "#" + "".join(f"{round(a + (b - a) * (t - i)):02x}" for a, b in zip(stops[i], stops[i + 1]))


def _outcomes(cells: pd.DataFrame, groups: pd.Series) -> str:
    """Stacked shares of the six outcome families of table 3 (总计 column), pooled per group."""
    if not _has(cells, "report_id", "table", "row", "column", "value"):
        return _no_data("没有表三数据 (cells)")
    t3 = cells[(cells["table"] == "t3") & (cells["column"] == "total")]
    family = t3["row"].astype(str).str.split(".").str[0]
    keys = [k for k, _, _ in OUTCOMES]
    t3 = t3.assign(family=family, group=t3["report_id"].astype(str).map(groups).fillna(UNKNOWN),
                   value=_num(t3["value"]))[family.isin(keys)]
    counts = t3.groupby(["group", "family"])["value"].sum().unstack(fill_value=0).reindex(columns=keys, fill_value=0)
    totals = counts.sum(axis=1)
    counts = counts[totals > 0]
    if counts.empty:
        return _no_data("没有办理结果")
    kept, note = _top(totals[totals > 0])
    rows = [(g, [float(counts.at[g, k]) for k in keys], float(totals[g])) for g in kept]
    caption = '<p class="note">各组办理结果（表三“总计”列）占全部办理结果的比例；n 为办理结果总数。</p>'
    return caption + _stacked(rows, [(name, colour) for _, name, colour in OUTCOMES]) + note


def _stacked(rows: Sequence[tuple[str, Sequence[float], float]], series: Sequence[tuple[str, str]]) -> str:
    label_w = min(220, max(_width(g) for g, _, _ in rows) + 12)
    bar_w, row_h, top = 680, 26, 34
    width, height = label_w + bar_w + 90, top + row_h * len(rows) + 8
    parts = [_legend(series, label_w, 16)]
    for i, (group, values, total) in enumerate(rows):
        y = top + i * row_h
        parts.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end"><title>{_esc(group)}</title>'
                     f'{_esc(_clip(group, label_w - 12))}</text>')
        x = float(label_w)
        for value, (name, colour) in zip(values, series):
            w = bar_w * value / total
            if w <= 0:
                continue
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_h - 6}" fill="{colour}">'
                         f'<title>{_esc(group)} · {_esc(name)}: {_pct(value / total)} ({_int(value)})</title></rect>')
            if w > 36:
                parts.append(f'<text x="{x + w / 2:.1f}" y="{y + 14}" text-anchor="middle" class="inside">'
                             f'{value / total:.0%}</text>')
            x += w
        parts.append(f'<text x="{label_w + bar_w + 6}" y="{y + 14}" class="small">n={_int(total)}</text>')
    return _svg(width, height, "".join(parts), "办理结果构成")


def _corrections(metrics: pd.DataFrame, groups: pd.Series) -> str:
    """纠错率 per group: corrected / (total − pending), pooled over reports and over table 4 blocks."""
    if not _has(metrics, "report_id", "metric", "numerator", "denominator"):
        return _no_data("没有指标表 (metrics)")
    frame = metrics[metrics["metric"].astype(str).str.startswith("correction_rate.")]
    frame = frame.assign(block=frame["metric"].astype(str).str.removeprefix("correction_rate."),
                         group=frame["report_id"].astype(str).map(groups).fillna(UNKNOWN),
                         numerator=_num(frame["numerator"]).fillna(0),
                         denominator=_num(frame["denominator"]).fillna(0))
    rates = {name: _ratio(frame[frame["block"].isin(blocks)], "group") for name, blocks, _ in CORRECTIONS}
    pooled = rates["合计"]
    decided = pooled["denominator"][pooled["denominator"] > 0]
    if decided.empty:
        return _no_data("没有已审结的复议或诉讼案件")
    kept, note = _top(decided)
    rows = [(g, [(float(r["rate"].get(g, np.nan)), float(r["denominator"].get(g, 0))) for r in rates.values()])
            for g in kept]
    skipped = pooled.index.difference(decided.index)
    if len(skipped):
        note += f'<p class="note">{len(skipped)} 组没有已审结的复议或诉讼案件，未显示。</p>'
    caption = ('<p class="note">纠错率 = 被纠错数 ÷（总计 − 尚未审结），按组汇总各报告；'
               '行政诉讼含未经复议直接起诉与复议后起诉。括号内为已审结案件数。</p>')
    return caption + _grouped(rows, [(name, colour) for name, _, colour in CORRECTIONS]) + note


def _grouped(rows: Sequence[tuple[str, Sequence[tuple[float, float]]]], series: Sequence[tuple[str, str]]) -> str:
    """Horizontal bars, one per series within each group, with rate and n written at the bar's end."""
    label_w = min(220, max(_width(g) for g, _ in rows) + 12)
    bar_w, bar_h, top = 560, 10, 46
    block = bar_h * len(series) + 12
    vmax = _nice(max((r for _, vals in rows for r, _ in vals if math.isfinite(r)), default=0))
    width, height = label_w + bar_w + 130, top + block * len(rows) + 6
    parts = [_legend(series, label_w, 16)]
    for k in range(TICKS + 1):
        x = label_w + bar_w * k / TICKS
        parts.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 4}" stroke="#e9ecef"/>'
                     f'<text x="{x:.1f}" y="{top - 10}" text-anchor="middle" class="small">'
                     f'{_tick(vmax * k / TICKS, vmax, True)}</text>')
    for i, (group, values) in enumerate(rows):
        y = top + i * block
        parts.append(f'<text x="{label_w - 8}" y="{y + block / 2:.1f}" text-anchor="end"><title>{_esc(group)}</title>'
                     f'{_esc(_clip(group, label_w - 12))}</text>')
        for j, ((rate, n), (name, colour)) in enumerate(zip(values, series)):
            yy = y + j * bar_h
            w = bar_w * rate / vmax if math.isfinite(rate) else 0
            parts.append(f'<rect x="{label_w}" y="{yy}" width="{w:.1f}" height="{bar_h - 2}" fill="{colour}">'
                         f'<title>{_esc(group)} · {_esc(name)}: {_pct(rate)} (n={_int(n)})</title></rect>'
                         f'<text x="{label_w + w + 4:.1f}" y="{yy + bar_h - 2}" class="small">'
                         f'{_pct(rate)} ({_int(n)})</text>')
    return _svg(width, height, "".join(parts), "纠错率")


def _failures(checks: pd.DataFrame, reports: pd.DataFrame, groups: pd.Series) -> str:
    """Which identities fail how often, and the reports to look at again."""
    if not _has(checks, "report_id", "check", "status"):
        return _no_data("没有检查结果 (checks)")
    checks = checks.assign(report_id=checks["report_id"].astype(str), check=checks["check"].astype(str))
    failed = checks[checks["status"].astype(str) == "fail"]
    checked = checks["report_id"].nunique()
    if failed.empty:
        return f'<p>全部 {_int(checked)} 份报告的恒等式检查均通过。All identity checks pass.</p>'
    per_check = failed.groupby("check")["report_id"].nunique().sort_values(ascending=False, kind="stable")
    rows = [(c, float(n), f"{_int(n)} ({n / checked:.1%})") for c, n in per_check.items()]
    caption = (f'<p>{_int(failed["report_id"].nunique())} / {_int(checked)} 份报告至少有一项恒等式不成立。'
               '条形为不成立的报告数（占已检查报告的比例）。</p>')
    delta = _num(failed["delta"]) if "delta" in failed.columns else pd.Series(np.nan, index=failed.index)
    failed = failed.assign(item=[f"{c} (Δ={d:+g})" if math.isfinite(d) else c
                                 for c, d in zip(failed["check"], delta.astype(float))])
    listing = failed.groupby("report_id", sort=True)["item"].agg(list)
    years = (reports.assign(report_id=reports["report_id"].astype(str)).set_index("report_id")["year"]
             if _has(reports, "report_id", "year") else pd.Series(dtype=object))
    years = years[~years.index.duplicated()]
    table = pd.DataFrame({
        "报告 report_id": listing.index,
        "分组": [groups.get(r, UNKNOWN) for r in listing.index],
        "年份": [_label(years.get(r)) for r in listing.index],
        "不成立": [len(items) for items in listing],
        "恒等式 checks": ["，".join(items) for items in listing],
    })
    note = (f'<p class="note">仅列出前 {MAX_LISTED} 份（共 {len(table)} 份）。</p>' if len(table) > MAX_LISTED else "")
    return (caption + _bars(rows, "#e03131", "不成立的恒等式")
            + "<h3>有不成立恒等式的报告 <small>Reports with failed checks</small></h3>"
            + _table(table.head(MAX_LISTED), ["不成立"]) + note)


def _bars(rows: Sequence[tuple[str, float, str]], colour: str, label: str) -> str:
    label_w = min(320, max(_width(g) for g, _, _ in rows) + 12)
    bar_w, row_h = 520, 22
    vmax = max(v for _, v, _ in rows) or 1.0
    width, height = label_w + bar_w + 110, row_h * len(rows) + 8
    parts = []
    for i, (name, value, text) in enumerate(rows):
        y, w = 4 + i * row_h, bar_w * value / vmax
        parts.append(f'<text x="{label_w - 8}" y="{y + 13}" text-anchor="end">{_esc(_clip(name, label_w - 12))}</text>'
                     f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{row_h - 6}" fill="{colour}"/>'
                     f'<text x="{label_w + w + 4:.1f}" y="{y + 13}" class="small">{_esc(text)}</text>')
    return _svg(width, height, "".join(parts), label)


def _trends(cells: pd.DataFrame, metrics: pd.DataFrame, reports: pd.DataFrame) -> str:
    """New applications (表三 本年新收 总计) and the pooled 公开率 per data year, over all groups."""
    if not _has(reports, "report_id", "year"):
        return _no_data("报告没有年份")
    year = _num(reports.set_index(reports["report_id"].astype(str))["year"]).dropna().astype(int)
    year = year[~year.index.duplicated()]
    charts, table = [], pd.DataFrame(index=sorted(year.unique()))
    if _has(cells, "report_id", "table", "row", "column", "value"):
        new = cells[(cells["table"] == "t3") & (cells["row"] == "new_received") & (cells["column"] == "total")]
        new = new.assign(year=new["report_id"].astype(str).map(year), value=_num(new["value"])).dropna(
            subset=["year"]).astype({"year": int})
        if not new.empty:
            per_year = new.groupby("year")["value"].agg(["sum", "count"])
            table["报告"] = per_year["count"]
            table["新收申请"] = per_year["sum"]
            charts.append(_year_chart(per_year["sum"], "本年新收申请 New applications", "#1971c2", bars=True))
    if _has(metrics, "report_id", "metric", "numerator", "denominator"):
        rate = metrics[metrics["metric"] == "disclosure_rate"]
        rate = rate.assign(year=rate["report_id"].astype(str).map(year), numerator=_num(rate["numerator"]),
                           denominator=_num(rate["denominator"])).dropna(subset=["year"]).astype({"year": int})
        if not rate.empty:
            pooled = _ratio(rate, "year")["rate"].dropna()
            if len(pooled):
                table["公开率"] = pooled
                charts.append(_year_chart(pooled, "公开率 Disclosure rate", "#2b8a3e", bars=False))
    if not charts:
        return _no_data("没有按年份的申请或指标数据")
    table = table.dropna(how="all").reset_index(names="年份")
    shown = table.assign(**{c: table[c].map(_pct if c == "公开率" else _int) for c in table.columns if c != "年份"})
    caption = '<p class="note">公开率 =（予以公开 + 部分公开）÷ 办理结果总计，按年汇总各报告。</p>'
    return (caption + '<div class="charts">' + "".join(charts) + "</div>"
            + _table(shown.fillna("—"), [c for c in shown.columns if c != "年份"]))


def _year_chart(values: pd.Series, label: str, colour: str, *, bars: bool) -> str:
    """A small per-year chart: bars for counts, a line with points for rates."""
    years = [int(y) for y in values.index]
    data = [float(v) for v in values.values]
    left, top, w, h = 56, 28, max(220, 44 * len(years)), 180
    vmax = max(5.0, _nice(max(data, default=0))) if bars else min(1.0, _nice(max(data, default=0)))
    step = w / len(years)
    parts = [f'<text x="{left}" y="16" font-weight="bold">{_esc(label)}</text>']
    for k in range(TICKS + 1):
        y = top + h - h * k / TICKS
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + w}" y2="{y:.1f}" stroke="#e9ecef"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="small">'
                     f'{_tick(vmax * k / TICKS, vmax, not bars)}</text>')
    points = []
    for i, (year, value) in enumerate(zip(years, data)):
        cx, y = left + step * (i + 0.5), top + h - h * value / vmax
        text = _int(value) if bars else _pct(value)
        if bars:
            parts.append(f'<rect x="{cx - step * 0.35:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" '
                         f'height="{top + h - y:.1f}" fill="{colour}"><title>{year}: {text}</title></rect>')
        else:
            points.append(f"{cx:.1f},{y:.1f}")
            parts.append(f'<circle cx="{cx:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"><title>{year}: {text}</title>'
                         f"</circle>")
        parts.append(f'<text x="{cx:.1f}" y="{y - 6:.1f}" text-anchor="middle" class="small">{text}</text>'
                     f'<text x="{cx:.1f}" y="{top + h + 16}" text-anchor="middle" class="small">{year}</text>')
    if points:
        parts.insert(1, f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" stroke-width="2"/>')
    return _svg(left + w + 16, top + h + 26, "".join(parts), label)


def _summary(summary: Mapping[str, Any]) -> str:
    """Representative measures and problems per group, each with its report_id/unit citation."""
    if not summary:
        return _no_data("没有专题摘要")
    blocks = []
    for group, content in summary.items():
        content = content if isinstance(content, Mapping) else {"measures": content}
        parts = [f'<div class="group"><h3>{_esc(_label(group))}</h3>']
        for key, name in (("measures", "代表性措施 Measures"), ("problems", "问题 Problems")):
            items = _records(content.get(key))
            if items:
                parts.append(f"<h4>{_esc(name)}</h4><ul>" + "".join(_cited(i) for i in items) + "</ul>")
        terms = _records(content.get("terms", content.get("distinctive_terms")))
        if terms:
            parts.append("<h4>特征词 Distinctive terms</h4><p class=\"terms\">"
                         + "".join(_term(t) for t in terms) + "</p>")
        if len(parts) == 1:
            parts.append(_no_data())
        blocks.append("".join(parts) + "</div>")
    return "\n".join(blocks)


def _records(value: Any) -> list[Any]:
    """A list of items from a list, a DataFrame (its rows as dicts) or nothing."""
    if value is None:
        return []
    if isinstance(value, pd.DataFrame):
        return value.to_dict("records")
    if isinstance(value, (str, Mapping)):
        return [value]
    return list(value)


def _cited(item: Any) -> str:
    if isinstance(item, Mapping):
        text = item.get("text", "")
        source = [f"{k} {_label(item[k])}" for k in ("report_id", "unit") if item.get(k) is not None]
        cite = f' <cite>（{_esc("，".join(source))}）</cite>' if source else ""
        return f"<li>{_esc(text)}{cite}</li>"
    return f"<li>{_esc(item)}</li>"


def _term(item: Any) -> str:
    if isinstance(item, Mapping):
        term, score = item.get("term", ""), item.get("score")
    elif isinstance(item, (tuple, list)) and item:
        term, score = item[0], item[1] if len(item) > 1 else None
    else:
        term, score = item, None
    title = f' title="{_esc(f"{float(score):.3g}")}"' if isinstance(score, (int, float, np.number)) else ""
    return f"<span{title}>{_esc(term)}</span>"
