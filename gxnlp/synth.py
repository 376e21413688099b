"""Synthetic annual reports whose every table value is known, printed the ways real portals print them.

Why: real reports are few and only partly checked by hand, so the parser, the validator and the
benchmarks need documents with ground truth for every cell (format.md §3-§5), in every source format
seen in the wild (§6, §9) and with the noise real documents carry (§10). ``generate(seed)`` draws a
consistent report; each ``render_*`` prints it as one whole document. Both are deterministic per seed.

The values satisfy every hard identity of format.md §5.1 unless ``violate`` breaks one on purpose.
"""
from __future__ import annotations

import datetime as _dt
import html as _html
import io
import json
import math
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from docx import Document as _DocxDocument
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas as _canvas

from .grammar import grammar
from .validate import failed_identity_ids

_GRAMMAR = grammar()

TEMPLATES = ("2019", "2021")
SECTION_IDS = ("s1", "s2", "s3", "s4", "s5", "s6")
T3_COLUMNS: tuple[str, ...] = tuple(_GRAMMAR["t3"]["columns"])
T4_BLOCKS: tuple[str, ...] = tuple(_GRAMMAR["t4"]["blocks"])
T4_COLUMNS: tuple[str, ...] = tuple(_GRAMMAR["t4"]["columns"])

_T3_PARTS = T3_COLUMNS[:-1]  # the six applicant columns; the last column is their total
_T3_FLOW = ("new_received", "carried_in", "results_total", "carried_out")  # rows outside the results sum
_OTHER_VARIANT = {"2019": "split_other", "2021": "single_other"}  # grammar rows a template does NOT have

# ---------------------------------------------------------------------------------------------------
# Keys and identities


def _check_template(template: str) -> None:
    if template not in TEMPLATES:
        raise ValueError(f"template must be one of {TEMPLATES}, not {template!r}")


def t2_rows(template: str) -> dict[str, tuple[str, ...]]:
    """Table 2 row key -> column keys, in printed order (grammar.json)."""
    _check_template(template)
    return {row["key"]: tuple(row["columns"]) for row in _GRAMMAR["t2"][template]}


def t3_rows(template: str) -> tuple[str, ...]:
    """Table 3 row keys in printed order: 23 rows (2019) or 25 (2021, （六） split in three)."""
    _check_template(template)
    return tuple(row["key"] for row in _GRAMMAR["t3"]["rows"] if row.get("variant") != _OTHER_VARIANT[template])


def cell_keys(template: str) -> list[str]:
    """Every flat key of format.md for a template, in printed order (t2, t3 row by row, t4)."""
    keys = [f"t2.{row}.{col}" for row, cols in t2_rows(template).items() for col in cols]
    keys += [f"t3.{row}.{col}" for row in t3_rows(template) for col in T3_COLUMNS]
    keys += [f"t4.{block}.{col}" for block in T4_BLOCKS for col in T4_COLUMNS]
    return keys


# ---------------------------------------------------------------------------------------------------
# The report


@dataclass(frozen=True)
class Violation:
    """One printed value changed on purpose, so validation tests know what must fail and why."""

    key: str
    consistent: int  # the value that satisfies every identity
    printed: int  # the value in ``SynthReport.cells`` and in every rendering
    checks: tuple[str, ...]  # the identity ids that fail because of it


@dataclass
class SynthReport:
    """Ground truth for one synthetic report: what a perfect parser would return."""

    template: str  # "2019" | "2021"
    year: int  # data year
    agency: str
    published: str  # ISO date
    cells: dict[str, int | float]  # exactly cell_keys(template); money in 万元 with 2 decimals
    sections: dict[str, dict[str, str]]  # "s1".."s6" -> {"title": heading as printed, "text": body}
    preamble: str  # the paragraphs between the title and 一, one per line
    blank_totals: tuple[str, ...] = ()  # total keys printed blank when rendered with noise (derived)
    violation: Violation | None = None
    units: tuple[NarrativeUnit, ...] = ()  # with ``narrative``: the labelled units sections 一, 五, 六 quote

    @property
    def title(self) -> str:
        return f"{self.agency}{self.year}年政府信息公开工作年度报告"


# ---------------------------------------------------------------------------------------------------
# Values


def _count(rng: random.Random, median: float, zero_p: float, *, big: bool = True) -> int:
    """A skewed count: zero with probability ``zero_p``, else log-normal, rarely in the thousands."""
    if median <= 0 or rng.random() < zero_p:
        return 0
    n = max(1, round(rng.lognormvariate(math.log(median), 0.9)))
    if big and rng.random() < 0.04:
        n *= rng.randint(20, 150)
    return n


def _split(total: int, weights: dict[str, float], rng: random.Random) -> dict[str, int]:
    """Split ``total`` into integer parts roughly proportional to ``weights`` (zero weight, zero part)."""
    out = dict.fromkeys(weights, 0)
    if total == 0:
        return out
    scale = sum(weights.values())
    for key, weight in weights.items():
        out[key] = int(total * weight / scale)
    keys = list(weights)
    for key in rng.choices(keys, weights=[weights[k] for k in keys], k=total - sum(out.values())):
        out[key] += 1
    return out


_RESULT_WEIGHTS = {"granted": 0.45, "partial": 0.1, "unable.not_held": 0.2, "not_processed.petition": 0.06,
                   "not_processed.duplicate": 0.05, "other.total": 0.06, "other.other": 0.06}


def _t3_values(rng: random.Random, template: str, zero_rate: float, scale: float,
               fixed_carried_in: Mapping[str, int] | None = None) -> dict[str, int]:
    """Table 3 built from its flows, so that H3.1-H3.3 hold by construction (``carried_in`` as given, if given)."""
    rows = t3_rows(template)
    results = [row for row in rows if row not in _T3_FLOW]
    applicants = {"natural_person": 1.0} | {
        col: 0.0 if rng.random() < 0.5 + zero_rate / 2 else rng.uniform(0.03, 0.5) for col in _T3_PARTS[1:]}
    new = _split(_count(rng, 20 * scale, 0.3 * zero_rate), applicants, rng)
    carried_in = _split(_count(rng, 2 * scale, 0.3 + 0.6 * zero_rate, big=False), applicants, rng)
    if fixed_carried_in is not None:
        carried_in = {col: int(fixed_carried_in.get(col, 0)) for col in _T3_PARTS}
    outcome = {row: _RESULT_WEIGHTS.get(row, 0.03) for row in results
               if row == "granted" or rng.random() < (1 - zero_rate) * 0.5}
    values: dict[str, int] = {}
    for col in _T3_PARTS:
        flow = new[col] + carried_in[col]
        out = 0 if flow == 0 or rng.random() < 0.4 + 0.5 * zero_rate else rng.randint(0, max(1, flow // 6))
        done = _split(flow - out, {row: w * rng.uniform(0.5, 1.5) for row, w in outcome.items()}, rng)
        column = {"new_received": new[col], "carried_in": carried_in[col], "carried_out": out,
                  "results_total": flow - out} | {row: done.get(row, 0) for row in results}
        values |= {f"t3.{row}.{col}": n for row, n in column.items()}
    for row in rows:
        values[f"t3.{row}.total"] = sum(values[f"t3.{row}.{col}"] for col in _T3_PARTS)
    return values


def _t4_values(rng: random.Random, zero_rate: float, scale: float) -> dict[str, int]:
    """Table 4: a few disputes at most; each block total is the sum of its four outcomes (H4.1)."""
    values: dict[str, int] = {}
    for block in T4_BLOCKS:
        weights = {"upheld": 0.6} | {col: w for col, w in (("corrected", 0.15), ("other", 0.15), ("pending", 0.1))
                                     if rng.random() > zero_rate / 2}
        parts = _split(_count(rng, 2 * scale, 0.35 + 0.6 * zero_rate, big=False), weights, rng)
        for col in T4_COLUMNS[:-1]:
            values[f"t4.{block}.{col}"] = parts.get(col, 0)
        values[f"t4.{block}.total"] = sum(parts.values())
    return values


def _continue_stock(values: dict[str, int | float], previous: Mapping[str, int | float]) -> None:
    """2021 table 2 stocks that continue last year's: valid = valid of N−1 + made − repealed (format.md §5.2 S2)."""
    for row in ("regulations", "normative_docs"):
        made, before = int(values[f"t2.{row}.made"]), int(previous[f"t2.{row}.valid"])
        repealed = min(int(values[f"t2.{row}.repealed"]), before + made)
        values[f"t2.{row}.repealed"] = repealed
        values[f"t2.{row}.valid"] = before + made - repealed


def _t2_values(rng: random.Random, template: str, zero_rate: float, scale: float) -> dict[str, int | float]:
    """Table 2: no identities, only plausible magnitudes; 规章 mostly zero (format.md §5.2 S4)."""
    z = zero_rate
    v: dict[str, int | float] = {}

    def documents(row: str, median: float, zero_p: float) -> None:
        made = _count(rng, median * scale, zero_p, big=False)
        if template == "2021":
            v[f"t2.{row}.made"] = made
            v[f"t2.{row}.repealed"] = _count(rng, median * scale / 4, 0.3 + z / 2, big=False)
            v[f"t2.{row}.valid"] = made + _count(rng, median * scale * 8, 0.1, big=False)
        else:
            published = made - rng.randint(0, made // 4)
            v[f"t2.{row}.new_made"] = made
            v[f"t2.{row}.new_published"] = published
            v[f"t2.{row}.total_published"] = published + _count(rng, median * scale * 8, 0.1, big=False)

    documents("regulations", 2, 0.5)
    if rng.random() < 0.85:  # most agencies issue no 规章: the whole row is zero
        v |= {key: 0 for key in v if key.startswith("t2.regulations.")}
    documents("normative_docs", 8, 0.5 * z)
    if template == "2021":
        v["t2.licensing.decisions"] = _count(rng, 500 * scale, 0.6 * z)
        v["t2.penalty.decisions"] = _count(rng, 200 * scale, 0.6 * z)
        v["t2.coercion.decisions"] = _count(rng, 10 * scale, 0.3 + 0.6 * z)
        v["t2.fees.amount_wan"] = 0.0 if rng.random() < 0.8 * z else round(
            rng.lognormvariate(math.log(200 * scale), 1.5), 2)
        return v
    for row, items, decisions in (("licensing", 30, 300), ("other_services", 20, 150), ("penalty", 40, 80),
                                  ("coercion", 5, 5), ("fees", 3, 0)):
        prev = _count(rng, items * scale, z, big=False)
        v[f"t2.{row}.prev_items"] = prev
        v[f"t2.{row}.delta_items"] = 0 if rng.random() < 0.5 else rng.randint(-min(prev, 8), 8)  # 减用负值表示
        if decisions:
            v[f"t2.{row}.decisions"] = _count(rng, decisions * scale, 0.6 * z)
    projects = _count(rng, 6 * scale, z, big=False)
    v["t2.procurement.projects"] = projects
    v["t2.procurement.amount_wan"] = round(projects * rng.uniform(5, 200), 2) if projects else 0.0
    return v


# ---------------------------------------------------------------------------------------------------
# Narrative: small phrase banks, written for this module (not taken from real reports)

_CITIES = ("青禾市", "云泽市", "澄溪市", "安澜市", "鹿鸣市", "北岭市")
_COUNTIES = ("东湖区", "石桥区", "白沙县", "柳塘县", "梧岗县", "临溪新区")
_DEPARTMENTS = ("人民政府办公室", "生态环境局", "自然资源和规划局", "市场监督管理局", "人力资源和社会保障局",
                "交通运输局", "教育局", "卫生健康委员会", "住房和城乡建设局", "司法局", "审计局", "人民政府")
_BASIS = {"2019": "国办公开办函〔2019〕60号", "2021": "国办公开办函〔2021〕30号"}
_ORDINALS = "一二三四五六七八九"

_SECTION_TITLES = {
    "s1": (("一、总体情况", 8), ("一、基本情况概述", 1)),
    "s2": (("二、主动公开政府信息情况", 1),),
    "s3": (("三、收到和处理政府信息公开申请情况", 1),),
    "s4": (("四、政府信息公开行政复议、行政诉讼情况", 19), ("四、政府信息公开行政法复议、行政诉讼情况", 1)),
    "s5": (("五、存在的主要问题及改进情况", 6), ("五、存在的主要问题及改进措施", 2), ("五、存在问题及改进情况", 1)),
    "s6": (("六、其他需要报告的事项", 1),),
}

_PREAMBLE = (
    "依据《中华人民共和国政府信息公开条例》第四十九条、第五十条的规定，按照{basis}文件对年度报告格式的要求，{agency}编制了本年度报告。",
    "为全面反映本年度政府信息公开工作情况，{agency}对照《中华人民共和国政府信息公开条例》和{basis}文件要求，汇总各科室数据编写本报告。",
    "本报告由{agency}根据《中华人民共和国政府信息公开条例》编制，表格格式执行{basis}文件的统一规定。",
)
_OPENINGS = (
    "{year}年，{agency}认真贯彻《中华人民共和国政府信息公开条例》，把政务公开融入日常工作，各项任务有序推进。",
    "{year}年，{agency}坚持以公开为常态、不公开为例外，政府信息公开的规范化、标准化水平稳步提升。",
    "{year}年，在上级政务公开主管部门的指导下，{agency}把信息公开列为年度重点工作，统筹安排、逐项落实。",
)
_S1_ITEMS = {
    "（一）主动公开": (
        "围绕年度重点工作发布工作动态{n}条，及时反映工作进展",
        "在门户网站集中公开财政预决算和“三公”经费信息，做到应公开尽公开",
        "对新出台的政策文件同步开展解读，发布解读材料{n}篇",
        "及时调整权责清单，更新事项{n}项",
        "通过政务新媒体推送惠民惠企政策信息{m}条",
        "按季度公开重点项目建设进展，累计发布项目信息{n}条",
    ),
    "（二）依申请公开": (
        "严格执行受理、登记、审核、答复的办理流程，确保在法定期限内作出答复",
        "对涉及多个部门的复杂申请实行会商，必要时书面征求第三方意见",
        "统一答复文书格式，在告知书中写明法律依据和救济途径",
        "建立申请办理台账，逐件跟踪办理进度",
    ),
    "（三）政府信息管理": (
        "落实公文公开属性源头认定，拟文时同步确定公开方式",
        "开展规范性文件集中清理，对失效文件逐件标注并公开清理结果",
        "严格执行信息发布前的保密审查，全年未发生泄密事件",
        "动态调整政府信息公开目录，新增目录事项{n}项",
    ),
    "（四）政府信息公开平台建设": (
        "优化网站栏目设置，新增政策解读、办事指南等专栏{n}个",
        "完善站内搜索功能，提高信息查找效率",
        "加强政务新媒体日常监管，按季度开展内容巡查",
        "推进政府信息公开专栏标准化建设，统一栏目名称和内容要求",
    ),
    "（五）监督保障": (
        "调整政务公开工作领导小组，明确{n}名工作人员具体负责信息公开工作",
        "组织业务培训{n}次，参训人员{m}人次",
        "将政务公开工作纳入年度绩效考核，每季度开展一次自查",
        "主动接受社会评议，全年未发生因信息公开不到位被追究责任的情况",
    ),
}
_PROBLEMS = (
    "部分栏目更新不够及时，个别信息发布滞后",
    "政策解读形式较为单一，图解、音视频等形式的解读占比不高",
    "依申请公开答复文书的说理还不够充分",
    "基层工作人员业务能力参差不齐，培训覆盖面不够",
    "重点领域信息公开的深度和广度仍需拓展",
    "公众参与渠道利用不充分，意见征集结果反馈不够及时",
)
_MEASURES = (
    "建立栏目责任清单，每月开展一次内容检查",
    "丰富解读方式，重要政策同步制作图解或短视频",
    "完善答复文书模板，强化答复前的法律审核",
    "分层分类开展业务培训，全年不少于{n}次",
    "细化重点领域公开目录，动态更新公开内容",
    "健全意见征集结果反馈机制，及时公开意见采纳情况",
)


def _items(rng: random.Random, bank: tuple[str, ...], k: int) -> list[str]:
    """k phrases from a bank, with fresh numbers filled in."""
    return [p.format(n=rng.randint(2, 40), m=rng.randint(30, 900)) for p in rng.sample(bank, k)]


def _enumerated(items: list[str], end: str = "。") -> str:
    """一是…。二是…。 — the enumeration real reports use for measures and problems."""
    return "".join(f"{_ORDINALS[i]}是{item}{end}" for i, item in enumerate(items))


def _s1(rng: random.Random, template: str, year: int, agency: str, cells: dict[str, int | float]) -> str:
    suffix = "方面" if rng.random() < 0.3 else ""
    made = cells["t2.normative_docs.made" if template == "2021" else "t2.normative_docs.new_made"]
    new, carried = cells["t3.new_received.total"], cells["t3.carried_in.total"]
    if new + carried == 0:
        requests = "本年度未收到政府信息公开申请。"
    else:
        requests = (f"全年共收到政府信息公开申请{new}件" + (f"，上年结转{carried}件" if carried else "")
                    + f"，结转下年度继续办理{cells['t3.carried_out.total']}件。")
    leads = {
        "（一）主动公开": f"全年累计主动公开政府信息{rng.randint(40, 3000)}条，本年制发规范性文件{made}件。",
        "（二）依申请公开": requests,
        "（三）政府信息管理": "",
        "（四）政府信息公开平台建设": f"门户网站全年发布各类信息{rng.randint(100, 5000)}条，政务新媒体发布信息{rng.randint(20, 2000)}条。",
        "（五）监督保障": "",
    }
    paras = [rng.choice(_OPENINGS).format(year=year, agency=agency)]
    for head, bank in _S1_ITEMS.items():
        paras += [head + suffix, leads[head] + _enumerated(_items(rng, bank, rng.randint(2, 3)))]
    return "\n".join(paras)


def _s5(rng: random.Random, template: str, year: int) -> str:
    problems = _enumerated(_items(rng, _PROBLEMS, rng.randint(2, 3)), "；")[:-1] + "。"
    problems = f"{year}年，本机关政府信息公开工作取得一定成效，但仍存在一些不足：{problems}"
    measures = "为此，我们将采取以下措施加以改进。" + _enumerated(_items(rng, _MEASURES, rng.randint(2, 4)))
    if template == "2021" and rng.random() < 0.6:
        done = f"针对上年度报告提出的{rng.randint(2, 4)}项问题，已逐项制定整改措施并全部完成整改。"
        return "\n".join(["（一）上年度问题整改情况", done, "（二）存在的主要问题", problems, "（三）改进措施", measures])
    return "\n".join([problems, measures])


def _s6(rng: random.Random, template: str, year: int, agency: str, cells: dict[str, int | float]) -> str:
    if template == "2019":
        return rng.choice(("无。", "本年度无其他需要报告的事项。", "本年度未收取政府信息公开相关费用。"))
    unpaid = cells["t3.other.fee_unpaid.total"]
    if unpaid:  # format.md §5.2 S6: then section 六 mentions 收费通知
        fee = f"本年度发出收费通知{unpaid + rng.randint(0, 3)}件，申请人逾期未缴费的{unpaid}件依法不再处理，实际收取信息处理费0元。"
    else:
        fee = rng.choice(("本年度未收取信息处理费。", f"{year}年，{agency}未收取信息处理费。",
                          f"依据《政府信息公开信息处理费管理办法》，{year}年共收取信息处理费{rng.randint(1, 40) * 50}元。"))
    paras = [fee]
    if rng.random() < 0.4:
        paras.append(f"本年度承办人大代表建议{rng.randint(0, 30)}件、政协提案{rng.randint(0, 30)}件，"
                     "办结率为100%，答复内容已按规定公开。")
    return "\n".join(paras)


def _narrative(rng: random.Random, template: str, year: int, agency: str,
               cells: dict[str, int | float]) -> tuple[str, dict[str, dict[str, str]]]:
    """Preamble and the six sections, with numbers that agree with the tables (format.md §5.2 S5-S7)."""
    preamble = "\n".join([
        rng.choice(_PREAMBLE).format(agency=agency, basis=_BASIS[template]),
        f"本报告中所列数据的统计期限为{year}年1月1日至{year}年12月31日。",
        f"本报告电子版可在{agency}门户网站政府信息公开专栏查阅，如有疑问请与{agency}办公室联系"
        f"（电话：0{rng.randint(300, 999)}-{rng.randint(2000000, 8999999)}）。",
    ])
    new = cells["t3.new_received.total"]
    received = rng.choice((new, new + cells["t3.carried_in.total"]))  # either reading is accepted (S5)
    texts = {
        "s1": _s1(rng, template, year, agency, cells),
        "s2": "",
        "s3": f"本年度共收到政府信息公开申请{received}件，办理情况见下表。" if rng.random() < 0.4 else "",
        "s4": "",
        "s5": _s5(rng, template, year),
        "s6": _s6(rng, template, year, agency, cells),
    }
    sections = {}
    for sid in SECTION_IDS:
        titles, weights = zip(*_SECTION_TITLES[sid])
        sections[sid] = {"title": rng.choices(titles, weights)[0], "text": texts[sid]}
    return preamble, sections


# ---------------------------------------------------------------------------------------------------
# Narrative drawn from a labelled corpus (``generate(..., narrative=units)``)
#
# The phrase banks above give every report the same few dozen sentences, so theme profiles, thematic
# summaries and boilerplate detection have nothing to find. With a labelled corpus (gxnlp.labelled) the
# narrative quotes its units instead: section 一 groups measures under the five sub-heads, section 五 lists
# problems, then planned measures (and last year's rectification in the 2021 format), section 六 adds
# items. Each agency has a thematic bent (a 税务局 quotes more tax units), and a report may copy units
# from another report (shared boilerplate, or its own previous year recycled).

S1_HEADS = tuple(_S1_ITEMS)  # （一）主动公开 … （五）监督保障
_S1_COUNTS = {"（一）主动公开": (3, 5), "（二）依申请公开": (2, 3), "（三）政府信息管理": (1, 2),
              "（四）政府信息公开平台建设": (2, 3), "（五）监督保障": (1, 2)}
_S5_COUNTS = {"problem": (2, 4), "measure": (2, 4), "rectification": (1, 3)}
_S6_COUNT = (1, 2)

# Agency type (a pattern of the name) -> the themes its narrative leans to; the first match wins.
AGENCY_BENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("税务", ("tax",)),
    ("生态环境|环境保护", ("environment",)),
    ("教育", ("education",)),
    ("自然资源|规划|住房|住建", ("land",)),
    ("财政", ("fiscal",)),
    ("发展和改革|发改", ("projects", "business")),
    ("市场监督|市场监管", ("market_regulation",)),
    ("卫生健康|医疗保障|医保", ("health",)),
    ("人力资源和社会保障|人社|民政", ("social_security",)),
    ("应急管理", ("emergency",)),
    ("农业农村|乡村振兴", ("rural",)),
    ("公共资源交易", ("procurement",)),
    ("行政审批|数据", ("business",)),
    ("交通运输", ("projects",)),
    ("人民政府", ("policy_communication", "fiscal", "business")),
)
BENT_WEIGHT = 8.0  # how much more likely a unit on the agency's own themes is drawn

_MARKER_RE = re.compile(r"^\s*(?:[（(][一二三四五六七八九十\d]{1,3}[）)]|[一二三四五六七八九十]{1,3}是|第[一二三四五六七八九十]{1,3}[，、是]?|"
                        r"[一二三四五六七八九十]{1,3}、|\d{1,2}[.．、](?!\d)|[①②③④⑤⑥⑦⑧⑨⑩])\s*")
_LEAD_RE = re.compile(r"^(?:下一步|今后|明年)[，,]\s*")
_YEAR_RE = re.compile(r"20\d\d(?=年)")
# Units that state how many applications were received (or none) would contradict table 3 (format.md §5.2 S5,
# S7), and units on 行政复议 / 行政诉讼 table 4: they are never quoted.
_AGAINST_TABLES_RE = re.compile(r"(?:收到|受理|接收)[^。；]{0,12}申请[^。；]{0,6}\d|(?:未|没有)(?:收到|受理|接收)|复议|诉讼")
_FEE_RE = re.compile(r"收费|费用|处理费")
_S1_MANAGEMENT_RE = re.compile(r"目录|公文|属性|清理|保密审查|发布审核|审核|三审三校|档案|规范性文件|台账|源头")
_S1_SUPPORT_RE = re.compile(r"培训|考核|领导小组|督查|督导|监督|评议|问责|考评|专人|工作机构|队伍|责任")
_GENERAL_THEMES = frozenset({"platform", "policy_communication", "on_request"})


@dataclass(frozen=True)
class NarrativeUnit:
    """One unit a synthetic narrative quotes from a labelled corpus, or copies from another report."""

    section: str  # s1 | s5 | s6
    slot: str  # s1: its sub-head (（一）主动公开 …); s5: problem | measure | rectification; s6: item
    text: str  # as printed, without an enumeration marker
    source_id: str  # the labelled unit's id
    themes: tuple[str, ...]
    copied_from: str | None = None  # title of the report it was copied from


def agency_bent(agency: str) -> dict[str, float]:
    """Theme → draw weight for an agency's narrative, from its type (``AGENCY_BENTS``); {} for none known."""
    for pattern, themes in AGENCY_BENTS:
        if re.search(pattern, agency):
            return dict.fromkeys(themes, BENT_WEIGHT)
    return {}


def _s1_slot(text: str, themes: tuple[str, ...]) -> str:
    """The sub-head of section 一 a measure belongs under."""
    if "on_request" in themes:
        return "（二）依申请公开"
    if set(themes) <= _GENERAL_THEMES:
        if _S1_MANAGEMENT_RE.search(text):
            return "（三）政府信息管理"
        if _S1_SUPPORT_RE.search(text):
            return "（五）监督保障"
        if "platform" in themes:
            return "（四）政府信息公开平台建设"
    return "（一）主动公开"


def _clean(text: str) -> str:
    """A unit's text without its enumeration marker or a leading 下一步, ending in a full stop."""
    text = _MARKER_RE.sub("", text.strip(), count=1).strip()
    text = _LEAD_RE.sub("", text, count=1)
    return text if text[-1:] in ("。", "！", "？", "；", "：") else text + "。"


def narrative_pools(units: Sequence[Any]) -> dict[tuple[str, str], list[NarrativeUnit]]:
    """Labelled units (``gxnlp.labelled.LabelledUnit``) by (section, slot), as the narrative draws them.

    Section 一 takes measures of section 一, sorted under the five sub-heads; section 五 takes problems,
    measures and rectifications of section 五; section 六 takes measures of section 六 that are not about
    fees (the fee sentence follows table 3, format.md §5.2 S6). Units that state how many applications
    were received are left out (they would contradict table 3), and so are units without a theme in 五 and 六.
    """
    pools: dict[tuple[str, str], list[NarrativeUnit]] = {}
    for unit in units:
        text = unit.text.strip()
        if len(text) < 8 or _AGAINST_TABLES_RE.search(text):
            continue
        themes = tuple(unit.themes)
        if unit.section == "s1" and unit.kind == "measure":
            key = ("s1", _s1_slot(text, themes))
        elif unit.section == "s5" and unit.kind in _S5_COUNTS and themes:
            key = ("s5", unit.kind)
        elif unit.section == "s6" and unit.kind == "measure" and themes and not _FEE_RE.search(text):
            key = ("s6", "item")
        else:
            continue
        pools.setdefault(key, []).append(NarrativeUnit(key[0], key[1], _clean(text), unit.id, themes))
    return pools


def _draw(rng: random.Random, pool: list[NarrativeUnit], k: int, bent: Mapping[str, float],
          year: int) -> list[NarrativeUnit]:
    """k units without replacement, weighted by the bent (Efraimidis–Spirakis keys), years set to ``year``."""
    keyed = []
    for unit in pool:
        weight = max([bent.get(theme, 1.0) for theme in unit.themes] or [1.0])
        keyed.append((rng.random() ** (1.0 / weight), unit))
    keyed.sort(key=lambda pair: -pair[0])
    return [replace(unit, text=_YEAR_RE.sub(str(year), unit.text)) for _, unit in keyed[:k]]


def _copy_units(rng: random.Random, drawn: list[NarrativeUnit], sources: Sequence[SynthReport], n: int,
                sections: Sequence[str]) -> list[NarrativeUnit]:
    """``drawn`` with n units replaced by verbatim copies of the sources' units (same section and slot)."""
    candidates = [replace(unit, copied_from=source.title) for source in sources for unit in source.units
                  if unit.section in sections]
    out = list(drawn)
    for copy in rng.sample(candidates, min(n, len(candidates))):
        same = [i for i, unit in enumerate(out) if unit.source_id == copy.source_id]
        slot = [i for i, unit in enumerate(out) if (unit.section, unit.slot) == (copy.section, copy.slot)
                and unit.copied_from is None]
        if same:
            out[same[0]] = copy
        elif slot:
            out[rng.choice(slot)] = copy
        else:
            out.append(copy)
    return out


def _listed(items: list[str], end: str = "。") -> list[str]:
    """一是…。二是…。 over whole sentences: the last full stop of each item becomes ``end``."""
    return [f"{_ORDINALS[i]}是{text[:-1] if text.endswith('。') else text}{end}" for i, text in enumerate(items)]


def _block(lead: str, items: list[str], inline: bool, end: str = "。") -> list[str]:
    """A lead sentence and its enumerated items, as one paragraph or one paragraph per item."""
    listed = _listed(items, end)
    if end != "。" and listed:
        listed[-1] = listed[-1][:-1] + "。"
    if inline:
        return [lead + "".join(listed)]
    return ([lead] if lead else []) + listed


def _corpus_narrative(rng: random.Random, template: str, year: int, agency: str, cells: dict[str, int | float],
                      pools: Mapping[tuple[str, str], list[NarrativeUnit]], bent: Mapping[str, float],
                      sources: Sequence[SynthReport], n_copied: int, copy_sections: Sequence[str],
                      ) -> tuple[dict[str, str], tuple[NarrativeUnit, ...]]:
    """Texts of sections 一, 五 and 六 quoting the pools, and the units quoted in printed order."""
    drawn: list[NarrativeUnit] = []
    for head in S1_HEADS:
        drawn += _draw(rng, pools.get(("s1", head), []), rng.randint(*_S1_COUNTS[head]), bent, year)
    for kind in ("rectification", "problem", "measure") if template == "2021" else ("problem", "measure"):
        at = year + 1 if kind == "measure" else year - 1 if kind == "rectification" else year
        drawn += _draw(rng, pools.get(("s5", kind), []), rng.randint(*_S5_COUNTS[kind]), bent, at)
    drawn += _draw(rng, pools.get(("s6", "item"), []), rng.randint(*_S6_COUNT), bent, year)
    if sources and n_copied:
        drawn = _copy_units(rng, drawn, sources, n_copied, copy_sections)

    def slot(section: str, name: str) -> list[NarrativeUnit]:
        return [unit for unit in drawn if (unit.section, unit.slot) == (section, name)]

    inline = rng.random() < 0.5
    ordered: list[NarrativeUnit] = []
    # 一: the sub-heads with their lead figures (the count of applications agrees with table 3)
    suffix = "方面" if rng.random() < 0.3 else ""
    made = cells["t2.normative_docs.made" if template == "2021" else "t2.normative_docs.new_made"]
    new, carried = cells["t3.new_received.total"], cells["t3.carried_in.total"]
    requests = "本年度未收到政府信息公开申请。" if new + carried == 0 else (
        f"全年共收到政府信息公开申请{new}件" + (f"，上年结转{carried}件" if carried else "")
        + f"，结转下年度继续办理{cells['t3.carried_out.total']}件。")
    leads = {
        "（一）主动公开": f"全年累计主动公开政府信息{rng.randint(40, 3000)}条，本年制发规范性文件{made}件。",
        "（二）依申请公开": requests,
        "（四）政府信息公开平台建设": f"门户网站全年发布各类信息{rng.randint(100, 5000)}条，"
                                   f"政务新媒体发布信息{rng.randint(20, 2000)}条。",
    }
    s1 = [rng.choice(_OPENINGS).format(year=year, agency=agency)]
    for head in S1_HEADS:
        units = slot("s1", head)
        items = [unit.text for unit in units] or _items(rng, _S1_ITEMS[head], 2)
        s1 += [head + suffix, *_block(leads.get(head, ""), items, inline)]
        ordered += units
    # 五: last year's problems fixed (2021), this year's problems, then the planned measures
    problems = slot("s5", "problem")
    problem_text = _block(f"{year}年，本机关政府信息公开工作取得一定成效，但仍存在一些不足：",
                          [unit.text for unit in problems] or _items(rng, _PROBLEMS, 2), inline, "；")
    measures = slot("s5", "measure")
    measure_text = _block("为此，我们将采取以下措施加以改进。",
                          [unit.text for unit in measures] or _items(rng, _MEASURES, 2), inline)
    if template == "2021":
        fixed = slot("s5", "rectification")
        rectified = (_block("针对上年度报告提出的问题，逐项制定整改措施：", [unit.text for unit in fixed], inline) if fixed
                     else [f"针对上年度报告提出的{rng.randint(2, 4)}项问题，已逐项制定整改措施并全部完成整改。"])
        s5 = ["（一）上年度问题整改情况", *rectified, "（二）存在的主要问题", *problem_text,
              "（三）改进措施", *measure_text]
        ordered += fixed
    else:
        s5 = [*problem_text, *measure_text]
    ordered += problems + measures
    # 六: the fee sentence of the phrase-bank narrative, then items on this year's work
    items = slot("s6", "item")
    fees = _s6(rng, template, year, agency, cells) if template == "2021" else "本年度未收取政府信息公开相关费用。"
    s6 = [fees] + [f"（{_ORDINALS[i]}）{unit.text}" for i, unit in enumerate(items)]
    ordered += items
    return {"s1": "\n".join(s1), "s5": "\n".join(s5), "s6": "\n".join(s6)}, tuple(ordered)


# ---------------------------------------------------------------------------------------------------
# generate


def generate(seed: int, template: str | None = None, *, zero_rate: float = 0.5, scale: float = 1.0,
             violate: str | None = None, blank_total_rate: float = 0.1, agency: str | None = None,
             year: int | None = None, previous: SynthReport | None = None,
             carried_in: Mapping[str, int] | None = None, narrative: Sequence[Any] | None = None,
             bent: Mapping[str, float] | None = None, copy_from: SynthReport | Sequence[SynthReport] = (),
             n_copied: int = 3, copy_sections: Sequence[str] = ("s1", "s5", "s6")) -> SynthReport:
    """A consistent synthetic report, the same for the same arguments.

    ``zero_rate`` (0-1) sets how many cells are 0; ``scale`` multiplies typical magnitudes.
    ``violate`` names a t3/t4 key (or ``"random"``) whose printed value is shifted so that the
    identities containing it fail; ``report.violation`` records which. ``blank_total_rate`` is the
    chance that some totals are printed blank (recorded in ``report.blank_totals``; never with
    ``violate``, whose failures a derived total would hide).

    A series of reports of one agency: ``agency`` and ``year`` replace the drawn ones; ``previous`` (the
    same agency's report of the year before) sets both when they are not given, ``carried_in`` to its
    ``carried_out`` (the carry-over chain, format.md §5.2 S1) and, both in the 2021 format, the table 2
    stocks to continue its ``valid`` counts (S2). ``carried_in`` (applicant column → count) sets table 3's
    carried-over applications explicitly, e.g. to break the chain on purpose.

    ``narrative``: labelled units (``gxnlp.labelled.load_units``) that sections 一, 五 and 六 quote instead
    of the built-in phrase bank (:func:`narrative_pools` says which units go where); ``report.units``
    lists those quoted. ``bent`` (theme → weight) makes the agency's own themes likelier, by default
    :func:`agency_bent` of its name. ``copy_from`` (reports with units) gives ``n_copied`` of its units of
    ``copy_sections`` verbatim: shared boilerplate, or last year's text recycled. The narrative draws from
    its own random stream, so the tables are the same with or without it.
    """
    rng = random.Random(seed)
    if template is None:
        template = rng.choice(TEMPLATES)
    _check_template(template)
    drawn_year = rng.choice((2019, 2020)) if template == "2019" else rng.randint(2021, 2024)
    drawn_agency = rng.choice(_CITIES) + (rng.choice(_COUNTIES) if rng.random() < 0.5 else "") + rng.choice(_DEPARTMENTS)
    if previous is not None:
        year = previous.year + 1 if year is None else year
        agency = previous.agency if agency is None else agency
        if carried_in is None:
            carried_in = {col: int(previous.cells[f"t3.carried_out.{col}"]) for col in _T3_PARTS}
    if carried_in is not None:
        unknown = set(carried_in) - set(_T3_PARTS)
        if unknown or any(int(n) < 0 for n in carried_in.values()):
            raise ValueError(f"carried_in maps applicant columns {_T3_PARTS} to counts ≥ 0, not {dict(carried_in)}")
    year = drawn_year if year is None else int(year)
    agency = drawn_agency if agency is None else agency
    published = (_dt.date(year + 1, 1, 5) + _dt.timedelta(days=rng.randint(0, 85))).isoformat()
    values = (_t2_values(rng, template, zero_rate, scale) | _t3_values(rng, template, zero_rate, scale, carried_in)
              | _t4_values(rng, zero_rate, scale))
    if previous is not None and template == previous.template == "2021":
        _continue_stock(values, previous.cells)
    cells = {key: values[key] for key in cell_keys(template)}
    preamble, sections = _narrative(rng, template, year, agency, cells)
    units: tuple[NarrativeUnit, ...] = ()
    if narrative is not None:
        sources = [copy_from] if isinstance(copy_from, SynthReport) else list(copy_from)
        texts, units = _corpus_narrative(random.Random(f"gxnlp-narrative-{seed}"), template, year, agency, cells,
                                         narrative_pools(narrative), agency_bent(agency) if bent is None else bent,
                                         sources, n_copied, copy_sections)
        for sid, text in texts.items():
            sections[sid] = {"title": sections[sid]["title"], "text": text}

    blank_totals: tuple[str, ...] = ()
    violation = None
    if violate is not None:
        candidates = [key for key in cells if not key.startswith("t2.")]
        key = rng.choice(candidates) if violate == "random" else violate
        if key not in candidates:
            raise ValueError(f"violate must be a t3/t4 key of the {template} template or 'random', not {violate!r}")
        delta = rng.randint(1, 3)
        consistent = int(cells[key])
        cells[key] = consistent - delta if consistent >= delta and rng.random() < 0.5 else consistent + delta
        violation = Violation(key, consistent, int(cells[key]), tuple(failed_identity_ids(cells)))
    elif rng.random() < blank_total_rate:
        totals = [key for key in cells if key.startswith("t3.") and key.endswith(".total")]
        if rng.random() < 0.5:  # 总计 column mostly empty, as in real 2019-format HTML (format.md §9)
            blank_totals = tuple(key for key in totals if rng.random() < 0.8)
        else:  # a few dropped cells, as in PDF-to-text conversions
            totals += [f"t4.{block}.total" for block in T4_BLOCKS]
            blank_totals = tuple(sorted(rng.sample(totals, rng.randint(1, 3)), key=list(cells).index))
    return SynthReport(template, year, agency, published, cells, sections, preamble, blank_totals, violation, units)


# ---------------------------------------------------------------------------------------------------
# The printed tables, as grids with merged cells (format.md §3.1-§3.3, §4.1)


@dataclass(frozen=True)
class _Cell:
    text: str = ""  # "\n" marks a <br> inside the cell
    key: str | None = None  # set on number cells
    rowspan: int = 1
    colspan: int = 1
    group: bool = False  # a table 3 group label spanning rows (printed vertically in some sources)


@dataclass(frozen=True)
class _Grid:
    name: str  # t2 | t3 | t4
    width: int
    rows: tuple[tuple[_Cell, ...], ...]


_T2_BLOCKS = {
    "2019": (("第二十条第（一）项", ("regulations", "normative_docs")), ("第二十条第（五）项", ("licensing", "other_services")),
             ("第二十条第（六）项", ("penalty", "coercion")), ("第二十条第（八）项", ("fees",)),
             ("第二十条第（九）项", ("procurement",))),
    "2021": (("第二十条第（一）项", ("regulations", "normative_docs")), ("第二十条第（五）项", ("licensing",)),
             ("第二十条第（六）项", ("penalty", "coercion")), ("第二十条第（八）项", ("fees",))),
}
_T2_ROW_LABELS = {
    "2019": {"regulations": "规章", "normative_docs": "规范性文件", "licensing": "行政许可",
             "other_services": "其他对外管理服务事项", "penalty": "行政处罚", "coercion": "行政强制",
             "fees": "行政事业性收费", "procurement": "政府集中采购"},
    "2021": {"regulations": "规章", "normative_docs": "行政规范性文件", "licensing": "行政许可",
             "penalty": "行政处罚", "coercion": "行政强制", "fees": "行政事业性收费"},
}
_T2_COLUMN_LABELS = {
    "2019": {"new_made": "本年新\n制作数量", "new_published": "本年新\n公开数量", "total_published": "对外公开总数量",
             "prev_items": "上一年项目数量", "delta_items": "本年增/减", "decisions": "处理决定数量",
             "projects": "采购项目数量", "amount_wan": "采购总金额（单位:万元）"},
    "2021": {"made": "本年制发件数", "repealed": "本年废止件数", "valid": "现行有效件数",
             "decisions": "本年处理决定数量", "amount_wan": "本年收费金额（单位：万元）"},
}
# (template, columns in block) -> (header colspans, data colspans). The 2019 grid is irregular: the
# header widens its 2nd column, data rows their 1st number (format.md §3.1).
_T2_SPANS = {("2019", 3): ((1, 2, 1), (2, 1, 1)), ("2019", 2): ((2, 2), (2, 2)),
             ("2021", 3): ((1, 1, 1), (1, 1, 1)), ("2021", 1): ((3,), (3,))}

_L3 = "三、本年度办理结果"
_T3_PATHS = {
    "new_received": ("一、本年新收政府信息公开申请数量",),
    "carried_in": ("二、上年结转政府信息公开申请数量",),
    "granted": (_L3, "（一）予以公开"),
    "partial": (_L3, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    "denied.state_secret": (_L3, "（三）\n不予公开", "1.属于国家秘密"),
    "denied.law_prohibited": (_L3, "（三）\n不予公开", "2.其他法律行政法规禁止公开"),
    "denied.security_stability": (_L3, "（三）\n不予公开", "3.危及“三安全一稳定”"),
    "denied.third_party": (_L3, "（三）\n不予公开", "4.保护第三方合法权益"),
    "denied.internal_affairs": (_L3, "（三）\n不予公开", "5.属于三类内部事务信息"),
    "denied.process_info": (_L3, "（三）\n不予公开", "6.属于四类过程性信息"),
    "denied.enforcement_file": (_L3, "（三）\n不予公开", "7.属于行政执法案卷"),
    "denied.admin_query": (_L3, "（三）\n不予公开", "8.属于行政查询事项"),
    "unable.not_held": (_L3, "（四）无法提供", "1.本机关不掌握相关政府信息"),
    "unable.need_creation": (_L3, "（四）无法提供", "2.没有现成信息需要另行制作"),
    "unable.unclear": (_L3, "（四）无法提供", "3.补正后申请内容仍不明确"),
    "not_processed.petition": (_L3, "（五）不予处理", "1.信访举报投诉类申请"),
    "not_processed.duplicate": (_L3, "（五）不予处理", "2.重复申请"),
    "not_processed.publication": (_L3, "（五）不予处理", "3.要求提供公开出版物"),
    "not_processed.excessive": (_L3, "（五）不予处理", "4.无正当理由大量反复申请"),
    "not_processed.reconfirm": (_L3, "（五）不予处理", "5.要求行政机关确认或重新出具已获取信息"),
    "other.total": (_L3, "（六）其他处理"),
    "other.no_correction": (_L3, "（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    "other.fee_unpaid": (_L3, "（六）其他处理", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    "other.other": (_L3, "（六）其他处理", "3.其他"),
    "results_total": (_L3, "（七）总计"),
    "carried_out": ("四、结转下年度继续办理",),
}
_T3_CORNER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
_T4_OUTCOMES = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
# Header words as pipe exports and flattened pages split them (format.md §6.2: 商业 企业, 科研 机构).
_HEADER_WORDS = {"商业企业": "商业 企业", "科研机构": "科研 机构", "社会公益组织": "社会公益 组织",
                 "法律服务机构": "法律服务 机构", "结果维持": "结果 维持", "结果纠正": "结果 纠正",
                 "其他结果": "其他 结果", "尚未审结": "尚未 审结"}


def _grid_t2(template: str) -> _Grid:
    columns = t2_rows(template)
    labels, headers = _T2_ROW_LABELS[template], _T2_COLUMN_LABELS[template]
    width = 1 + sum(_T2_SPANS[template, 3][0])
    rows: list[tuple[_Cell, ...]] = []
    for caption, row_keys in _T2_BLOCKS[template]:
        cols = columns[row_keys[0]]
        head_spans, data_spans = _T2_SPANS[template, len(cols)]
        rows.append((_Cell(caption, colspan=width),))
        rows.append((_Cell("信息内容"),) + tuple(_Cell(headers[c], colspan=s) for c, s in zip(cols, head_spans)))
        for row in row_keys:
            rows.append((_Cell(labels[row]),)
                        + tuple(_Cell(key=f"t2.{row}.{c}", colspan=s) for c, s in zip(columns[row], data_spans)))
    return _Grid("t2", width, tuple(rows))


def _grid_t3(template: str) -> _Grid:
    rows: list[tuple[_Cell, ...]] = [
        (_Cell(_T3_CORNER, rowspan=3, colspan=3), _Cell("申请人情况", colspan=7)),
        (_Cell("自然人", rowspan=2), _Cell("法人或其他组织", colspan=5), _Cell("总计", rowspan=2)),
        tuple(_Cell(t) for t in ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")),
    ]
    keys = t3_rows(template)
    paths = [_T3_PATHS[key] for key in keys]
    for i, (key, path) in enumerate(zip(keys, paths)):
        cells = []
        for depth, text in enumerate(path):
            if i and paths[i - 1][:depth + 1] == path[:depth + 1]:
                continue  # covered by a rowspan from the row above
            run = 1
            while i + run < len(paths) and paths[i + run][:depth + 1] == path[:depth + 1]:
                run += 1
            leaf = depth == len(path) - 1
            cells.append(_Cell(text, rowspan=run, colspan=3 - depth if leaf else 1, group=not leaf))
        rows.append(tuple(cells) + tuple(_Cell(key=f"t3.{key}.{col}") for col in T3_COLUMNS))
    return _Grid("t3", 10, tuple(rows))


def _grid_t4() -> _Grid:
    return _Grid("t4", 15, (
        (_Cell("行政复议", colspan=5), _Cell("行政诉讼", colspan=10)),
        tuple(_Cell(t, rowspan=2) for t in _T4_OUTCOMES) + (_Cell("未经复议直接起诉", colspan=5), _Cell("复议后起诉", colspan=5)),
        tuple(_Cell(t) for t in _T4_OUTCOMES * 2),
        tuple(_Cell(key=f"t4.{block}.{col}") for block in T4_BLOCKS for col in T4_COLUMNS),
    ))


def _layout(grid: _Grid) -> list[list[tuple[int, _Cell, bool]]]:
    """Per row, (grid column, cell, covered) in column order.

    ``covered`` marks a cell spanning down from an earlier row; it is listed once per row, at its
    first column, which is where the seed layout prints an empty TAB placeholder (format.md §6.1).
    """
    taken: dict[tuple[int, int], tuple[_Cell, int]] = {}
    out = []
    for r, row in enumerate(grid.rows):
        queue = list(row)
        items: list[tuple[int, _Cell, bool]] = []
        col = 0
        while col < grid.width:
            if (r, col) in taken:
                cell, origin = taken[r, col]
                if origin == col:
                    items.append((col, cell, True))
                col += 1
            elif queue:
                cell = queue.pop(0)
                items.append((col, cell, False))
                for i in range(1, cell.rowspan):
                    for j in range(cell.colspan):
                        taken[r + i, col + j] = (cell, col)
                col += cell.colspan
            else:
                col += 1
        out.append(items)
    return out


_TABLE_OF = {"s2": "t2", "s3": "t3", "s4": "t4"}


def _blocks(report: SynthReport) -> list[tuple[str, str | _Grid]]:
    """The document in reading order: ("title" | "para" | "heading", text) and ("table", grid)."""
    grids = {"t2": _grid_t2(report.template), "t3": _grid_t3(report.template), "t4": _grid_t4()}
    blocks: list[tuple[str, str | _Grid]] = [("title", report.title)]
    blocks += [("para", p) for p in report.preamble.split("\n")]
    for sid in SECTION_IDS:
        section = report.sections[sid]
        blocks.append(("heading", section["title"]))
        blocks += [("para", p) for p in section["text"].split("\n") if p]
        if sid in _TABLE_OF:
            blocks.append(("table", grids[_TABLE_OF[sid]]))
    return blocks


# ---------------------------------------------------------------------------------------------------
# Print choices (noise)

_FULLWIDTH = str.maketrans("0123456789-.", "０１２３４５６７８９－．")


def _plain(value: int | float) -> str:
    """A value as the template prints it: money with 2 decimals, a zero amount as 0."""
    if isinstance(value, float):
        return "0" if value == 0 else f"{value:.2f}"
    return str(value)


class _Ink:
    """One rendering's print choices, drawn once per document so that its noise is coherent."""

    def __init__(self, report: SynthReport, rng: random.Random, noise: bool, *, blanks: bool = True,
                 pads: tuple[str, ...] = ("\xa0", "\u3000"), fullwidth: bool = True) -> None:
        self.report, self.rng = report, rng
        self.fullwidth = noise and fullwidth and rng.random() < 0.25
        self.pads = pads if noise else ()
        self.blank_zeros = noise and blanks and rng.random() < 0.35
        self.blank_totals = frozenset(report.blank_totals) if noise and blanks else frozenset()
        self.straight_quotes = noise and rng.random() < 0.5
        self.comma = noise and rng.random() < 0.5
        self.vertical = noise and rng.random() < 0.3

    def number(self, key: str) -> str:
        text = _plain(self.report.cells[key])
        if self.fullwidth and self.rng.random() < 0.6:
            text = text.translate(_FULLWIDTH)
        if self.pads and self.rng.random() < 0.15:
            pad = self.rng.choice(self.pads)
            text = text + pad if pad == "\xa0" else pad + text + pad  # seed: "0\xa0"
        return text

    def row(self, keys: list[str]) -> dict[str, str]:
        """Texts of one row's numbers. A zero may print blank only while the row keeps another
        printed number (format.md §10: blank is 0 only then); a total only if listed in blank_totals."""
        texts = {key: "" if key in self.blank_totals else self.number(key) for key in keys}
        if self.blank_zeros:
            for key in keys:
                if (not key.endswith(".total") and self.report.cells[key] == 0 and self.rng.random() < 0.5
                        and sum(map(bool, texts.values())) > 1):
                    texts[key] = ""
        return texts

    def label(self, text: str) -> str:
        """The label variants real reports print (format.md §4.2, §9)."""
        if self.straight_quotes:
            text = text.replace("“", '"').replace("”", '"')
        if self.comma:
            text = text.replace("、行政机关不再处理", "，行政机关不再处理")
        return text


@dataclass(frozen=True)
class _Item:
    cell: _Cell
    col: int
    covered: bool
    text: str  # printed text; "" for covered and blank cells
    vertical: bool  # print one character per line (or per space)


def _print_rows(grid: _Grid, ink: _Ink) -> list[list[_Item]]:
    rows = []
    for items in _layout(grid):
        values = ink.row([cell.key for _, cell, covered in items if cell.key and not covered])
        printed = []
        for col, cell, covered in items:
            text = "" if covered else values[cell.key] if cell.key else ink.label(cell.text)
            printed.append(_Item(cell, col, covered, text, ink.vertical and cell.group and not covered))
        rows.append(printed)
    return rows


def _is_data(items: list[_Item]) -> bool:
    return any(item.cell.key for item in items)


def _vertical(text: str, sep: str) -> str:
    return sep.join(ch for ch in text if ch != "\n")


class _Pager:
    """Page footers that PDF conversions leave in the text flow ("— 3 —")."""

    def __init__(self, rng: random.Random) -> None:
        self.page = 0
        self.style = rng.choice(("— {} —", "- {} -", "-{}-"))

    def footer(self) -> str:
        self.page += 1
        return self.style.format(self.page)


def _rng(rng: random.Random | int) -> random.Random:
    return rng if isinstance(rng, random.Random) else random.Random(rng)


# ---------------------------------------------------------------------------------------------------
# Renderers


def render_tab_text(report: SynthReport, rng: random.Random | int = 0, noise: bool = True) -> str:
    """The seed layout (format.md §6.1): narrative lines without TAB, one TAB line per table cell,
    a blank line after each row, two after a table, empty TAB lines for rowspan placeholders, and
    <br> continuations on lines without TAB."""
    ink = _Ink(report, _rng(rng), noise)
    lines: list[str] = []
    for kind, obj in _blocks(report):
        if isinstance(obj, _Grid):
            for items in _print_rows(obj, ink):
                lines += ["\t" + (_vertical(it.text, "\n") if it.vertical else it.text) for it in items]
                lines.append("")
            lines.append("")
        else:
            lines.append(obj)
    return "\n".join(lines) + "\n"


def _with_footers(lines: list[str], rng: random.Random) -> list[str]:
    """Insert a page footer every 25-45 lines, wherever it falls (tables included)."""
    pager = _Pager(rng)
    out: list[str] = []
    left = rng.randint(25, 45)
    for line in lines:
        out.append(line)
        left -= 1
        if left == 0:
            out.append(pager.footer())
            left = rng.randint(25, 45)
    return out


def render_pipe_text(report: SynthReport, rng: random.Random | int = 0, noise: bool = True) -> str:
    """A CMS text export (format.md §6.2): ``label | 1 | 2 |`` rows, header words split by spaces,
    ``||`` where merged cells leave empty fields; with noise, vertical labels as spaced characters
    and page footers."""
    rng = _rng(rng)
    ink = _Ink(report, rng, noise)
    lines: list[str] = []
    for kind, obj in _blocks(report):
        if not isinstance(obj, _Grid):
            lines.append(obj)
            continue
        for items in _print_rows(obj, ink):
            data = _is_data(items)
            fields: list[str] = []
            for it in items:
                if it.covered:
                    fields += [""] * it.cell.colspan
                    continue
                flat = it.text.replace("\n", "")
                if not data:
                    text = _HEADER_WORDS.get(flat, it.text.replace("\n", " "))
                else:
                    # a blank value is printed "|  |": only merged-cell traces collapse into "||"
                    text = (_vertical(it.text, " ") if it.vertical else flat) or " "
                fields += [text] + [""] * (it.cell.colspan - 1)
            line = "".join(f" {f} |" if f else "|" for f in fields).strip()
            lines.append("| " + line if fields and fields[0] == " " else line)  # keep a leading blank cell
    if noise:
        lines = _with_footers(lines, rng)
    return "\n".join(lines) + "\n"


def render_digit_runs(report: SynthReport, rng: random.Random | int = 0, noise: bool = True) -> str:
    """A page dump like Pingtan ``page.txt`` (format.md §6.2): a metadata header, then the whole page
    on one line; T2/T3 numbers glued into digit runs with the next label glued after them, T4
    space-separated. Runs can be ambiguous; nothing prints blank here (a blank cannot be seen)."""
    rng = _rng(rng)
    ink = _Ink(report, rng, noise, blanks=False, pads=(), fullwidth=False)

    def gap() -> str:
        return rng.choice((" ", "")) if noise else " "

    pieces = []
    for kind, obj in _blocks(report)[1:]:
        if not isinstance(obj, _Grid):
            pieces.append(obj)
            continue
        run = ""
        for items in _print_rows(obj, ink):
            labels = [it.text.replace("\n", "") for it in items if not it.covered and not it.cell.key]
            if not _is_data(items):
                run += gap().join(_HEADER_WORDS.get(t, t) for t in labels) + " "
            elif obj.name == "t4":
                run += " ".join(it.text for it in items if it.cell.key) + " "
            else:
                run += " ".join(labels) + gap() + "".join(it.text for it in items if it.cell.key)
        pieces.append(run.strip())
    header = [f"标题: {report.title}", f"发布时间: {report.published} {rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}",
              f"发布机构: {report.agency}", "栏目: 政府信息公开年报", "=" * 20 + " 正文 " + "=" * 20]
    return "\n".join(header + [" ".join(pieces)]) + "\n"


def render_markdown(report: SynthReport, rng: random.Random | int = 0, noise: bool = True) -> str:
    """Markdown as a PDF converter writes it: merged cells become empty cells; with noise, some long
    labels wrap onto a row of their own and tables break at page footers (a new table follows)."""
    rng = _rng(rng)
    ink = _Ink(report, rng, noise)
    pager = _Pager(rng)
    heading = rng.choice(("## {}", "**{}**")) if noise else "## {}"
    out: list[str] = []
    for kind, obj in _blocks(report):
        if kind == "title":
            out += [f"# {obj}", ""]
        elif kind == "heading":
            out += [heading.format(obj), ""]
        elif isinstance(obj, _Grid):
            out += _markdown_table(obj, ink, rng, noise, pager) + [""]
        else:
            out += [obj, ""]
    return "\n".join(out)


def _markdown_table(grid: _Grid, ink: _Ink, rng: random.Random, noise: bool, pager: _Pager) -> list[str]:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cells) + " |"

    lines: list[str] = []
    starts_table = True
    for items in _print_rows(grid, ink):
        cells = [""] * grid.width
        for it in items:
            if not it.covered:
                cells[it.col] = _vertical(it.text, " ") if it.vertical else it.text.replace("\n", "<br>")
        block = [cells]
        data = _is_data(items)
        labels = [it for it in items if not it.covered and not it.cell.key and not it.vertical and len(it.text) > 12]
        if noise and data and labels and rng.random() < 0.15:  # broken row: the label wraps alone
            it = labels[-1]
            head = [""] * grid.width
            head[it.col], cells[it.col] = it.text[:len(it.text) // 2], it.text[len(it.text) // 2:]
            block = [head, cells]
        for cells in block:
            lines.append(line(cells))
            if starts_table:
                lines.append(line(["---"] * grid.width))
                starts_table = False
        if noise and data and rng.random() < 0.05:
            lines += ["", pager.footer(), ""]
            starts_table = True
    return lines


def _html_text(text: str) -> str:
    return _html.escape(text, quote=False).replace("\xa0", "&nbsp;")


def _html_table(grid: _Grid, ink: _Ink, rng: random.Random, noise: bool) -> str:
    out = ['<table border="1" cellspacing="0" cellpadding="0" style="border-collapse:collapse;width:100%;">', "<tbody>"]
    for items in _print_rows(grid, ink):
        shown = [it for it in items if not it.covered]
        numbers = [it for it in shown if it.cell.key]
        wide = rng.choice(numbers) if noise and numbers and rng.random() < 0.1 else None  # irregular colspan
        tds = []
        for it in shown:
            colspan = it.cell.colspan + (1 if it is wide else 0)
            attrs = (f' rowspan="{it.cell.rowspan}"' if it.cell.rowspan > 1 else "") + (
                f' colspan="{colspan}"' if colspan > 1 else "")
            if it.cell.key:
                body = _html_text(it.text) if it.text else "&nbsp;"
            else:
                parts = [_html_text(part) for part in it.text.split("\n")]
                if noise and rng.random() < 0.3:
                    body = "".join(f"<p>{part}</p>" for part in parts)
                else:
                    body = rng.choice(("<br>", "<br/>")).join(parts) if noise else "<br>".join(parts)
            tds.append(f'<td valign="center"{attrs}>{body}</td>')
        out.append("<tr>" + "".join(tds) + "</tr>")
    out += ["</tbody>", "</table>"]
    return "\n".join(out)


def render_html(report: SynthReport, rng: random.Random | int = 0, noise: bool = True, *,
                encoding: str | None = None) -> str | bytes:
    """A government portal article page: header and navigation, the article with real tables
    (rowspan/colspan as the official layout, ``&nbsp;`` blanks, <p>/<br> in labels), then a footer.
    With ``encoding`` ("utf-8" | "gbk" | "gb18030") returns bytes declared by a matching <meta charset>."""
    rng = _rng(rng)
    ink = _Ink(report, rng, noise)
    esc = _html_text
    heading = (rng.choice(('<p style="text-indent:2em;"><strong>{}</strong></p>', "<h3>{}</h3>",
                           '<p class="MsoNormal"><b>{}</b></p>')) if noise else "<h3>{}</h3>")
    body: list[str] = []
    for kind, obj in _blocks(report):
        if kind == "title":
            body += [f'<h1 class="article-title">{esc(obj)}</h1>',
                     f'<div class="info">发布时间：{report.published}　来源：{esc(report.agency)}　'
                     '<span id="views">浏览次数：' + str(rng.randint(30, 9000)) + "</span></div>",
                     '<div class="article-content">']
        elif kind == "heading":
            body.append(heading.format(esc(obj)))
        elif isinstance(obj, _Grid):
            body.append(_html_table(obj, ink, rng, noise))
        else:
            body.append(f'<p style="text-indent:2em;">{esc(obj)}</p>')
    charset = encoding or "utf-8"
    page = "\n".join([
        "<!DOCTYPE html>", '<html lang="zh-CN">', "<head>", f'<meta charset="{charset}">',
        f'<meta name="ArticleTitle" content="{esc(report.title)}">',
        f'<meta name="PubDate" content="{report.published} {rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}">',
        f"<title>{esc(report.title)}_{esc(report.agency)}</title>",
        f'<script>var siteCode = "{rng.randint(10**9, 10**10 - 1)}";</script>', "</head>", "<body>",
        f'<div class="header"><div class="site-name">{esc(report.agency)}</div>',
        '<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>'
        '<li><a href="/zwfw/">政务服务</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>',
        '<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; 政府信息公开年报</div>',
        '<div class="article">', *body, "</div>",
        '<div class="tools"><a href="javascript:window.print()">打印本页</a> '
        '<a href="javascript:window.close()">关闭窗口</a></div>',
        "</div>",
        f'<div class="footer"><p>主办单位：{esc(report.agency)}</p><p>网站标识码：{rng.randint(10**9, 10**10 - 1)}　'
        f"ICP备{rng.randint(10**7, 10**8 - 1)}号</p></div>",
        "</body>", "</html>", ""])
    return page if encoding is None else page.encode(encoding, errors="xmlcharrefreplace")


def render_docx(report: SynthReport, rng: random.Random | int = 0, noise: bool = True) -> bytes:
    """A Word document with real merged cells (gridSpan / vMerge via ``merge()``); with noise, the
    tall group labels of table 3 get vertical text direction, as in Word originals."""
    ink = _Ink(report, _rng(rng), noise)
    doc = _DocxDocument()
    doc.core_properties.title = report.title
    doc.core_properties.author = report.agency
    doc.core_properties.created = _dt.datetime.fromisoformat(report.published)
    for kind, obj in _blocks(report):
        if isinstance(obj, _Grid):
            _docx_table(doc, obj, ink)
        elif kind == "para":
            doc.add_paragraph(obj)
        else:
            paragraph = doc.add_paragraph()
            paragraph.add_run(obj).bold = True
            if kind == "title":
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _docx_table(doc: DocxDocument, grid: _Grid, ink: _Ink) -> None:
    rows = _print_rows(grid, ink)
    table = doc.add_table(rows=len(rows), cols=grid.width)
    table.style = "Table Grid"
    # Fetched once, before merging: table.cell() rescans the whole table on every call. Merges never
    # overlap, so every cell still needed keeps its element.
    cells = [list(row.cells) for row in table.rows]
    for r, items in enumerate(rows):
        for it in items:
            if it.covered:
                continue
            cell = cells[r][it.col]
            if it.cell.rowspan > 1 or it.cell.colspan > 1:
                cell = cell.merge(cells[r + it.cell.rowspan - 1][it.col + it.cell.colspan - 1])
            cell.text = it.text  # "\n" becomes <w:br/>
            if it.vertical:
                direction = OxmlElement("w:textDirection")
                direction.set(qn("w:val"), "tbRlV")
                cell._tc.get_or_add_tcPr().append(direction)


_PDF_FONT = "STSong-Light"  # a built-in CID font: no font file needed, text extracts as Unicode
_PDF_MARGIN = 56.0


class _PdfFlow:
    """Flows lines of text down A4 pages; with a pager, draws a page footer on every page."""

    def __init__(self, canvas: _canvas.Canvas, pager: _Pager | None) -> None:
        self.canvas, self.pager = canvas, pager
        self.width = A4[0] - 2 * _PDF_MARGIN
        self.y = A4[1] - _PDF_MARGIN

    def _advance(self, height: float) -> None:
        if self.y - height < _PDF_MARGIN:
            self.end_page()
            self.canvas.showPage()
            self.y = A4[1] - _PDF_MARGIN
        self.y -= height

    def end_page(self) -> None:
        if self.pager:
            self.canvas.setFont(_PDF_FONT, 9)
            self.canvas.drawCentredString(A4[0] / 2, _PDF_MARGIN / 2, self.pager.footer())

    def _wrap(self, text: str, size: float, width: float) -> list[str]:
        lines, line = [], ""
        for ch in text:
            if line and pdfmetrics.stringWidth(line + ch, _PDF_FONT, size) > width:
                lines.append(line)
                line = ""
            line += ch
        return lines + [line]

    def text(self, text: str, size: float, *, indent: float = 0, center: bool = False, tail: str = "") -> None:
        """Write wrapped text; ``tail`` (a row's numbers) stays whole on the last line."""
        room = self.width - indent - (pdfmetrics.stringWidth(" " + tail, _PDF_FONT, size) if tail else 0)
        lines = self._wrap(text, size, room)
        lines[-1] = (lines[-1] + " " + tail).strip()
        for line in lines:
            self._advance(size * 1.6)
            self.canvas.setFont(_PDF_FONT, size)
            if center:
                self.canvas.drawCentredString(A4[0] / 2, self.y, line)
            else:
                self.canvas.drawString(_PDF_MARGIN + indent, self.y, line)

    def rule(self) -> None:
        self.canvas.setLineWidth(0.4)
        self.canvas.line(_PDF_MARGIN, self.y - 3, _PDF_MARGIN + self.width, self.y - 3)


def render_pdf(report: SynthReport, rng: random.Random | int = 0, noise: bool = True) -> bytes:
    """A PDF with a text layer (reportlab, CID font STSong-Light). Tables print as lines of text, the
    row's labels then its numbers separated by spaces, ruled between rows; with noise, page footers
    fall wherever a page ends. Nothing prints blank: a blank cell cannot be seen in extracted text."""
    rng = _rng(rng)
    ink = _Ink(report, rng, noise, blanks=False, pads=("\u3000",))
    pdfmetrics.registerFont(UnicodeCIDFont(_PDF_FONT))
    buffer = io.BytesIO()
    canvas = _canvas.Canvas(buffer, pagesize=A4, invariant=1)
    canvas.setTitle(report.title)
    canvas.setAuthor(report.agency)
    flow = _PdfFlow(canvas, _Pager(rng) if noise else None)
    for kind, obj in _blocks(report):
        if kind == "title":
            flow.text(obj, 15, center=True)
        elif kind == "heading":
            flow.text(obj, 12)
        elif isinstance(obj, _Grid):
            for items in _print_rows(obj, ink):
                labels = " ".join(it.text.replace("\n", "") for it in items if not it.covered and not it.cell.key)
                flow.text(labels, 8, tail=" ".join(it.text for it in items if it.cell.key))
                flow.rule()
        else:
            flow.text(obj, 10.5, indent=21)
    flow.end_page()
    canvas.save()
    return buffer.getvalue()


RENDERERS: dict[str, Callable[..., str | bytes]] = {
    "html": render_html,
    "tab_text": render_tab_text,
    "pipe_text": render_pipe_text,
    "digit_runs": render_digit_runs,
    "markdown": render_markdown,
    "docx": render_docx,
    "pdf": render_pdf,
}
_NO_BLANKS = frozenset({"digit_runs", "pdf"})  # formats where a blank cell would vanish without a trace


def expected_derived(report: SynthReport, renderer: str, noise: bool = True) -> tuple[str, ...]:
    """The keys a parser should list as ``derived`` for this rendering (blank totals, schema.md)."""
    return report.blank_totals if noise and renderer not in _NO_BLANKS else ()


SUFFIXES = {"html": ".html", "tab_text": ".txt", "pipe_text": ".txt", "digit_runs": ".txt", "markdown": ".md", "docx": ".docx", "pdf": ".pdf"}


def write_corpus(out: str | Path, n: int, *, seed: int = 100, formats: list[str] | None = None) -> list[Path]:
    """Write ``n`` synthetic reports, cycling through the renderers and both templates, with their
    ground truth as ``<name>.truth.json`` beside each (so a demo or benchmark can check itself)."""
    names = formats or sorted(RENDERERS)
    unknown = set(names) - set(RENDERERS)
    if unknown:
        raise ValueError(f"unknown formats {sorted(unknown)}; choose from {sorted(RENDERERS)}")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for i in range(n):
        name = names[i % len(names)]
        report = generate(seed + i, TEMPLATES[i % 2])
        data = RENDERERS[name](report, seed + i, noise=True)
        path = folder / f"synth-{seed + i}-{name}{SUFFIXES[name]}"
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        truth = {"template": report.template, "year": report.year, "agency": report.agency, "cells": report.cells,
                 "derived": list(expected_derived(report, name))}
        path.with_name(path.name + ".truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
        written.append(path)
    return written
