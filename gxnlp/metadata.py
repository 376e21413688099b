"""Agency, data year and publication date of a report (format.md §2 preamble)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .normalise import nfkc

_KIND = r"(?:政府信息公开|政务公开|信息公开)"
_AGENCY_YEAR_RE = re.compile(rf"(?P<agency>[^\s，。：:；;（）()《》“”]{{2,40}}?)(?P<year>(?:19|20)\d{{2}})年度?{_KIND}")
_YEAR_AGENCY_RE = re.compile(rf"(?P<year>(?:19|20)\d{{2}})年度?(?P<agency>[^\s，。：:；;（）()《》“”]{{2,40}}?){_KIND}")
_PERIOD_RE = re.compile(r"(?:统计期限|统计时限|统计周期|统计时间)[^。]{0,12}?(?P<year>(?:19|20)\d{2})年\s*1\s*月\s*1\s*日")
_DATE_LINE_RE = re.compile(r"^[(（]?\s*(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日\s*[)）]?$")
_HEADER_DATE_RE = re.compile(r"(?:发布时间|发布日期|成文日期)\s*[:：]\s*(?P<y>\d{4})[-/年.](?P<m>\d{1,2})[-/月.](?P<d>\d{1,2})")
_AGENCY_NOISE_RE = re.compile(r"^(?:标题|正文|现公布|特此公布|现将|公布|本机关|关于|#+)+")


@dataclass(frozen=True)
class Metadata:
    agency: str | None
    year: int | None
    published: str | None
    title: str | None


def _squash_spaces(text: str) -> str:
    return re.sub(r"[ \t\u00a0\u3000]+", "", text)


def _agency_year(text: str) -> tuple[str | None, int | None]:
    for regex in (_AGENCY_YEAR_RE, _YEAR_AGENCY_RE):
        match = regex.search(text)
        if match:
            agency = _AGENCY_NOISE_RE.sub("", match["agency"])
            agency = re.sub(r"^[^\u4e00-\u9fff]+", "", agency) or None  # page numbers, list marks
            return agency, int(match["year"])
    return None, None


def extract_metadata(title: str | None, text: str, published: str | None) -> Metadata:
    """Read the title (page metadata, else the first lines), the statistics period and dates."""
    head_lines = [line.strip() for line in nfkc(text[:1500]).splitlines() if line.strip()]
    head = _squash_spaces("".join(head_lines[:4]))
    agency, year = _agency_year(_squash_spaces(nfkc(title or "")))
    if agency is None:
        agency, year = _agency_year(head)
    if agency is None:
        agency, year = _agency_year(_squash_spaces(nfkc(text[:4000])))
    if year is None:
        period = _PERIOD_RE.search(nfkc(text[:6000]))
        year = int(period["year"]) if period else None
    if published is None:
        published = _find_date(head_lines[:12] + [line.strip() for line in nfkc(text[-600:]).splitlines()[-6:]], text)
    if title is None and head_lines and re.search(r"报告", head_lines[0]):
        title = head_lines[0].lstrip("# ")
    return Metadata(agency, year, published, title)


def _find_date(lines: list[str], text: str) -> str | None:
    header = _HEADER_DATE_RE.search(nfkc(text[:3000]))
    if header:
        return f"{int(header['y']):04d}-{int(header['m']):02d}-{int(header['d']):02d}"
    for line in lines:
        match = _DATE_LINE_RE.match(line)
        if match:
            return f"{int(match['y']):04d}-{int(match['m']):02d}-{int(match['d']):02d}"
    return None
