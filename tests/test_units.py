"""Narrative units (themes.md §1) and their types (§5): segmentation, offsets, kinds, specificity.

The section texts below are written for these tests (not copied from reports); the real-report
checks read ../shared and skip without it; the kind accuracy is measured on the project's
labelled units (corpora/gxnlp-zh).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections import Counter

import pytest

from gxnlp import parse
from gxnlp.units import KINDS, Unit, classify, problem_specificity, report_units, segment, wrap_width

from .conftest import CORPUS, REPO, requires_shared

S1 = """2023年，本局坚持以习近平新时代中国特色社会主义思想为指导，认真落实政务公开各项要求。
（一）主动公开
全年主动公开政府信息1234条，其中规范性文件12件。一是做好预决算公开，在专栏发布预决算信息56条。二是推进重点领域信息公开，发布“PM2.5”浓度月报12期，全年空气优良率达到87.6%。
（二）依申请公开
全年收到政府信息公开申请25件，均在法定期限内答复。"""

S5 = """2023年，本局政务公开工作取得了一定进展，但对照新要求仍存在一些不足：一是部分栏目信息更新不及时，“财政预决算”专栏全年仅更新2次；二是政策解读形式单一，图解和视频解读偏少；三是基层工作人员兼职较多，业务能力有待提高。
下一步，我局将采取以下措施加以改进。一是建立栏目更新台账，每月核查专栏内容。二是丰富解读形式，推出图解和短视频解读。三是组织开展业务培训，提升工作人员能力。"""

S5_WITH_RECTIFICATION = """（一）上年度问题整改情况
针对上年度依申请公开答复超期的问题，已建立办理台账，本年度未再发生超期答复，整改到位。
（二）存在的主要问题
一是门户网站部分栏目内容陈旧，个别链接失效。二是对群众关切的回应不够及时。
（三）改进措施
一是开展网站栏目集中清理，建立季度巡检制度。二是完善舆情回应机制，明确回应时限。"""


def _kinds(units: list[Unit]) -> list[str]:
    return [u.kind for u in units]


def _unwrap(span: str) -> str:
    """A span of hard-wrapped text as the unit text gives it: no page-number lines, no breaks."""
    span = re.sub(r"\n[ \t]*[-—–－]+ ?\d+ ?[-—–－]+[ \t]*(?=\n)", "", span)
    return re.sub(r"[ \t\u3000]*\n[ \t\u3000]*", "", span)


# --------------------------------------------------------------------------------------------
# Segmentation


def test_enumerated_items_run_from_marker_to_next_marker() -> None:
    units = segment("s5", "存在以下问题：一是栏目更新慢。二是解读偏少；三是回应不及时。")
    assert [u.text for u in units] == ["存在以下问题：", "一是栏目更新慢。", "二是解读偏少；", "三是回应不及时。"]
    assert [u.marker for u in units] == [None, "一是", "二是", "三是"]


@pytest.mark.parametrize("marker", ["（一）", "(二)", "1.", "2、", "（3）", "第一，", "首先，"])
def test_marker_families(marker: str) -> None:
    text = f"本年度开展以下工作。{marker}开展专题培训2次，覆盖工作人员80人。"
    units = segment("s1", text)
    assert [u.text for u in units] == ["本年度开展以下工作。", f"{marker}开展专题培训2次，覆盖工作人员80人。"]
    assert units[1].marker == marker.rstrip("，")


def test_markers_inside_words_are_not_markers() -> None:
    units = segment("s1", "统一是前提，做好第一时间发布。坚持最后一公里服务。")
    assert [u.marker for u in units] == [None, None]


def test_sentences_split_at_sentence_ends_only() -> None:
    units = segment("s1", "全年发布信息4567.8万条，PM2.5平均浓度下降3.2%。群众满意度提升！是否按期答复？均按期答复")
    assert [u.text for u in units] == ["全年发布信息4567.8万条，PM2.5平均浓度下降3.2%。", "群众满意度提升！", "是否按期答复？", "均按期答复"]


def test_closing_quotes_stay_with_their_sentence() -> None:
    units = segment("s1", "坚持“公开为常态。不公开为例外。”的原则。设立“政策问答”专栏。")
    assert [u.text for u in units] == ["坚持“公开为常态。不公开为例外。”的原则。", "设立“政策问答”专栏。"]
    units = segment("s1", "负责人表示：“将继续做好公开工作。”全年发布信息12条。")
    assert units[0].text == "负责人表示：“将继续做好公开工作。”"


def test_sub_heads_are_structure_not_units() -> None:
    units = segment("s1", S1)
    texts = [u.text for u in units]
    assert "（一）主动公开" not in texts and "（二）依申请公开" not in texts
    assert units[0].heading_path == ()
    assert [u.heading_path for u in units[1:4]] == [("（一）主动公开",)] * 3
    assert units[4].heading_path == ("（二）依申请公开",)
    assert units[3].text == "二是推进重点领域信息公开，发布“PM2.5”浓度月报12期，全年空气优良率达到87.6%。"


def test_nested_sub_heads_and_sibling_replacement() -> None:
    text = "（一）主要做法\n1.加强组织领导\n调整领导小组成员。\n2.推进重点领域公开\n（1）公开财政预决算信息56条。（2）公开环评审批结果23条。\n（二）其他\n建立工作台账。"
    units = segment("s1", text)
    assert [(u.text, u.heading_path) for u in units] == [
        ("调整领导小组成员。", ("（一）主要做法", "1.加强组织领导")),
        ("（1）公开财政预决算信息56条。", ("（一）主要做法", "2.推进重点领域公开")),
        ("（2）公开环评审批结果23条。", ("（一）主要做法", "2.推进重点领域公开")),
        ("建立工作台账。", ("（二）其他",)),
    ]


def test_flattened_inline_sub_heads() -> None:
    text = "（一）主动公开方面 全年公开信息1200条。一是公开预算。（二）依申请公开方面 一是规范答复流程。"
    units = segment("s1", text)
    assert [(u.text, u.heading_path) for u in units] == [
        ("全年公开信息1200条。", ("（一）主动公开方面",)),
        ("一是公开预算。", ("（一）主动公开方面",)),
        ("一是规范答复流程。", ("（二）依申请公开方面",)),
    ]


def test_nested_enumeration_units_do_not_overlap() -> None:
    units = segment("s1", "2.推进教育信息公开。一是公开招生计划。二是公开学区划分。")
    assert [u.text for u in units] == ["2.推进教育信息公开。", "一是公开招生计划。", "二是公开学区划分。"]
    assert all(a.end <= b.start for a, b in zip(units, units[1:]))


def test_title_only_item_line_takes_the_next_paragraph() -> None:
    units = segment("s1", "一是提高解读效能。\n全年发布解读材料21篇，其中图解17篇。\n二是从严日常管理。整改错误信息83处。")
    assert [u.text for u in units] == ["一是提高解读效能。全年发布解读材料21篇，其中图解17篇。", "二是从严日常管理。整改错误信息83处。"]


def test_item_ends_before_a_block_opener_sentence() -> None:
    units = segment("s5", "主要表现在：一是工作力量薄弱。基层人员多为兼职。为此，我们将采取以下措施加以改进。一是充实人员。")
    assert [(u.text, u.kind) for u in units] == [
        ("主要表现在：", "other"),
        ("一是工作力量薄弱。基层人员多为兼职。", "problem"),
        ("为此，我们将采取以下措施加以改进。", "other"),
        ("一是充实人员。", "measure"),
    ]


def test_colon_list_in_section_five_splits_at_semicolons() -> None:
    units = segment("s5", "但仍存在一些不足，如：政务公开队伍建设有待加强；依申请答复质量待提升；平台互动功能仍有不足。")
    assert [(u.text, u.kind, u.marker) for u in units] == [
        ("但仍存在一些不足，如：", "other", None),
        ("政务公开队伍建设有待加强；", "problem", "；"),
        ("依申请答复质量待提升；", "problem", "；"),
        ("平台互动功能仍有不足。", "problem", "；"),
    ]


@pytest.mark.parametrize("text", [S1, S5, S5_WITH_RECTIFICATION, "  \n（一）概况\n\n全年公开信息12条。  \n\n二是开展培训。\n"])
def test_offsets_point_into_the_section_text(text: str) -> None:
    units = segment("s1", text)
    assert units
    for unit in units:
        assert text[unit.start:unit.end] == unit.text
        assert unit.text == unit.text.strip()


def test_hard_wrapped_pdf_text_is_joined_and_offsets_still_point_into_it() -> None:
    paragraph = ("2023年，本局认真贯彻落实政务公开工作各项要求，全年主动公开政府信息1234条，发布政策解读材料36篇，"
                 "办理政府信息公开申请25件。针对存在问题，下一步将切实抓好以下工作：一是加强政务新媒体管理，定期开展内容巡查，"
                 "及时关停更新不及时的账号。二是完善依申请公开办理流程，统一答复文书格式，提升答复规范化水平。")
    lines = [paragraph[i:i + 28] for i in range(0, len(paragraph), 28)]
    lines.insert(3, "- 2 -")
    text = "\n".join(lines)
    assert wrap_width(text) >= 50
    units = segment("s5", text)
    assert "".join(u.text for u in units) == paragraph
    assert [u.marker for u in units][-2:] == ["一是", "二是"]
    for unit in units:
        assert _unwrap(text[unit.start:unit.end]) == unit.text


def test_empty_and_whitespace_sections() -> None:
    assert segment("s5", "") == []
    assert segment("s6", " \n\u3000") == []
    assert [(u.text, u.kind) for u in segment("s6", "无")] == [("无", "other")]


def test_unit_dict_has_the_schema_fields() -> None:
    unit = segment("s5", S5)[1]
    data = unit.to_dict()
    assert list(data) == ["section", "kind", "text", "start", "end", "heading_path", "tense", "specificity"]
    assert data["section"] == "s5" and data["kind"] in KINDS and isinstance(data["heading_path"], list)


# --------------------------------------------------------------------------------------------
# Types


def test_section_five_problems_then_planned_measures() -> None:
    units = segment("s5", S5)
    assert _kinds(units) == ["other", "problem", "problem", "problem", "other", "measure", "measure", "measure"]
    assert [u.tense for u in units if u.kind == "measure"] == ["planned"] * 3
    assert all(u.specificity is not None for u in units if u.kind == "problem")
    assert all(u.specificity is None and u.tense is None for u in units if u.kind == "other")


def test_section_five_with_rectification_and_sub_heads() -> None:
    units = segment("s5", S5_WITH_RECTIFICATION)
    assert _kinds(units) == ["rectification", "problem", "problem", "measure", "measure"]
    assert [u.heading_path[0][:3] for u in units] == ["（一）", "（二）", "（二）", "（三）", "（三）"]


def test_section_one_is_done_measures_and_other() -> None:
    units = segment("s1", S1)
    assert _kinds(units) == ["other", "measure", "measure", "measure", "measure"]
    assert {u.tense for u in units if u.kind == "measure"} == {"done"}


@pytest.mark.parametrize(("text", "section", "kind"), [
    ("二是政务公开队伍建设有待进一步加强。", "s5", "problem"),          # problem marker wins over 加强
    ("三是重点项目审批信息更新不及时，个别项目批复后一个月才公开。", "s5", "problem"),
    ("下一步，将把村庄规划信息公开纳入年度考核。", "s5", "measure"),
    ("2024年，我局将按季度公开食品安全抽检结果。", "s5", "measure"),
    ("针对上年度解读材料发布滞后的问题，已实行政策与解读同步发布，整改到位。", "s5", "rectification"),
    ("为此，我们将采取以下措施加以改进。", "s5", "other"),
    ("根据《中华人民共和国政府信息公开条例》规定，特向社会公布本年度报告。", "s1", "other"),
    ("本年度无其他需要报告的事项。", "s6", "other"),
    ("全年收取信息处理费2笔，共计300元。", "s6", "measure"),
])
def test_classify_single_units(text: str, section: str, kind: str) -> None:
    assert classify(text, section)[0] == kind


def test_planned_tense_in_section_one() -> None:
    assert classify("下一步，我局将继续推进政务新媒体规范化建设。", "s1") == ("measure", "planned")
    assert classify("将政务公开工作纳入年度绩效考核。", "s1") == ("measure", "done")


# --------------------------------------------------------------------------------------------
# Problem specificity (themes.md §5.2)


def test_specificity_examples_of_the_spec() -> None:
    assert problem_specificity("二是部分科室对政务公开重视程度不够，认识不到位。") == -2
    assert problem_specificity("“重点项目”专栏全年仅更新3条，区住建局承办项目的施工进展未公开。") == 4


@pytest.mark.parametrize(("text", "score"), [
    ("一是工作人员业务水平有待提高。", -1),
    ("2023年政策解读数量偏少。", 0),                          # a bare year is not a number, 二是 not either
    ("城区12所学校的招生信息未在门户网站公开。", 3),          # number, channel, policy area
    ("组织开展保密警示教育偏少。", 0),                        # 警示教育 is not the education domain
])
def test_specificity_parts(text: str, score: int) -> None:
    assert problem_specificity(text) == score


# --------------------------------------------------------------------------------------------
# Pipeline: parse fills report.units; parse does not load spaCy


def test_parse_fills_units_of_sections_one_five_six() -> None:
    report = parse(REPO / "samples" / "synth-106-tab_text.txt")
    assert report.ok and report.units
    assert {u["section"] for u in report.units} <= {"s1", "s5", "s6"}
    for unit in report.to_dict()["units"]:
        assert set(unit) == {"section", "kind", "text", "start", "end", "heading_path", "tense", "specificity",
                             "confidence"}
        assert unit["confidence"] is None  # read from text, not by OCR
        section = report.sections[unit["section"]].text
        assert section[unit["start"]:unit["end"]] == unit["text"]
    assert report_units(report.sections)[0].to_dict() == report.units[0]


def test_parse_does_not_import_spacy() -> None:
    code = ("import sys, gxnlp; gxnlp.parse(sys.argv[1]); "
            "print('spacy' in sys.modules, 'jieba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(REPO / "samples" / "synth-106-tab_text.txt")],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_segmenter_is_fast() -> None:
    text = "\n".join([S1, S5, S5_WITH_RECTIFICATION] * 2)
    segment("s5", text)
    started = time.process_time()
    for _ in range(50):
        segment("s1", text)
    per_call = (time.process_time() - started) / 50
    assert per_call < 0.005, f"{per_call * 1000:.2f} ms for {len(text)} characters"


# --------------------------------------------------------------------------------------------
# Real reports (../shared)


def _section_units(path: str, key: str) -> list[Unit]:
    report = parse(CORPUS / path)
    assert report.ok, report.errors
    return [u for u in report_units(report.sections) if u.section == key]


@requires_shared
@pytest.mark.shared
def test_pingtan_2022_section_five() -> None:
    units = _section_units("reports/pingtan-2022/page.txt", "s5")
    assert _kinds(units) == ["other", "problem", "problem", "problem", "other", "measure", "measure", "measure"]
    assert [u.marker for u in units if u.kind != "other"] == ["一是", "二是", "三是"] * 2


@requires_shared
@pytest.mark.shared
def test_seed_section_five() -> None:
    units = [u for u in _section_units("reports/nanyang-demo-2020/report.txt", "s5") if u.kind != "other"]
    assert _kinds(units) == ["problem", "problem", "measure", "measure"]
    assert units[0].text.startswith("一是") and units[2].text.startswith("一是")
    assert all(u.tense == "planned" for u in units[2:])


@requires_shared
@pytest.mark.shared
def test_flattened_page_sub_heads_become_heading_paths() -> None:
    units = _section_units("reports/pingtan-2022/page.txt", "s1")
    paths = {u.heading_path for u in units}
    assert ("（一）主动公开方面",) in paths and ("（二）依申请公开方面",) in paths
    assert not any("方面" in u.text[:12] for u in units)


@requires_shared
@pytest.mark.shared
def test_pdf_marker_split_across_lines_is_joined() -> None:
    report = parse(CORPUS / "reports/hongze-2023/report.pdf")
    units = [u for u in report_units(report.sections) if u.section == "s5"]
    assert [u.marker for u in units if u.kind == "measure"] == ["一是", "二是", "三是"]
    section = report.sections["s5"].text
    for unit in units:
        assert _unwrap(section[unit.start:unit.end]) == unit.text


@requires_shared
@pytest.mark.shared
def test_units_of_every_official_report_point_into_their_sections() -> None:
    files = sorted(p for p in (CORPUS / "reports").glob("*/*") if p.suffix in {".html", ".txt", ".md", ".pdf"})
    checked = 0
    for path in files:
        report = parse(path)
        if not report.ok or report.template == "pre2019":
            continue
        for unit in report.units:
            span = report.sections[unit["section"]].text[unit["start"]:unit["end"]]
            assert span.strip() == span and _unwrap(span) == unit["text"], (path, unit)
            assert unit["kind"] in KINDS
        checked += 1
    assert checked >= 10


# --------------------------------------------------------------------------------------------
# Kind accuracy on the project's labelled units


def _labelled() -> list[dict]:
    rows = []
    for file in sorted((REPO / "corpora" / "gxnlp-zh").glob("*.jsonl")):
        rows += [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def _scores(rows: list[dict], section: str) -> tuple[float, float, int]:
    units = [r for r in rows if r.get("section") == section and r.get("kind")]
    predicted = [classify(r["text"], section)[0] for r in units]
    accuracy = sum(p == r["kind"] for p, r in zip(predicted, units)) / len(units)
    tp = sum(p == r["kind"] == "problem" for p, r in zip(predicted, units))
    positives = sum(p == "problem" for p in predicted) + sum(r["kind"] == "problem" for r in units)
    return accuracy, (2 * tp / positives if positives else 1.0), len(units)


# Floors a little under what the rules reach (s5: 0.988 all / 0.968 test, problem F1 0.994 / 0.981;
# s1: 0.986; s6: 0.865). The cue lists were extended by looking at train-split errors only.
@pytest.mark.parametrize(("section", "split", "min_accuracy", "min_problem_f1"), [
    ("s5", "all", 0.96, 0.97),
    ("s5", "test", 0.94, 0.95),
    ("s1", "all", 0.95, None),
    ("s6", "all", 0.80, None),
])
def test_kind_accuracy_on_labelled_units(section: str, split: str, min_accuracy: float, min_problem_f1: float | None) -> None:
    rows = [r for r in _labelled() if split == "all" or r.get("split") == split]
    if not rows:
        pytest.skip("no labelled units in corpora/gxnlp-zh")
    accuracy, problem_f1, n = _scores(rows, section)
    print(f"\n{section} {split}: n={n} kind accuracy {accuracy:.3f}, problem F1 {problem_f1:.3f}")
    assert accuracy >= min_accuracy, f"{section}/{split}: accuracy {accuracy:.3f} over {n} units"
    if min_problem_f1 is not None:
        assert problem_f1 >= min_problem_f1, f"{section}/{split}: problem F1 {problem_f1:.3f}"


def test_labelled_kinds_are_known() -> None:
    kinds = Counter(r.get("kind") for r in _labelled())
    assert set(kinds) - {None} <= set(KINDS)
