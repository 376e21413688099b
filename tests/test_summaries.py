"""Comparing agencies: thematic summaries (extractive representatives, log-odds terms) and boilerplate
(near-duplicates, originality, most copied sentences), on a small hand-written corpus."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from gxnlp.analysis.boilerplate import most_copied, near_duplicates, originality, skeleton
from gxnlp.analysis.summaries import ThematicSummary, terms, thematic_summary

SHARED = "全年共受理政府信息公开申请{}件，均在法定期限内予以答复，未发生行政复议和行政诉讼。"
REFUND_QA = "通过门户网站专栏集中发布留抵退税政策问答{}条，帮助纳税人准确理解申报流程。"
REFUND_TALK = "联合街道开展留抵退税政策宣讲活动，现场回应经营主体提出的操作疑问。"
HOTLINE = "在服务大厅设置政策咨询窗口，安排业务骨干轮流值守接听群众来电。"
TRAINING = "组织全局信息发布人员参加保密审查专题培训，提升稿件审核把关能力。"
ENROL = "每年春季公布义务教育阶段招生入学政策和学区划分方案，方便家长提前了解。"
AID = "利用家长学校和班级群推送学生资助申请条件，确保资助政策覆盖每一个困难家庭。"
FEES = "及时公开幼儿园收费标准和学位供给情况，接受社会公众监督。"
STALE = "部分基层站所的政府信息公开目录长期未随机构改革同步更新，栏目名称与实际职能不相符。"
STALE_EDIT = "部分基层站所的政府信息公开目录长期未随机构改革同步更新，栏目名称与实际职责不相符。"
FORMS = "政策解读多为文字转载，图表和视频形式的解读数量偏少。"
BOARDS = "学校收费公示牌分散在各校门口，线上集中查询渠道仍不健全。"

REPORTS = [
    ("tax-a-2022", "甲市税务局", 2022, "税务", {"s1": [SHARED.format(36), REFUND_QA.format(12), REFUND_TALK, TRAINING],
                                               "s5": [STALE, FORMS]}),
    ("tax-a-2023", "甲市税务局", 2023, "税务", {"s1": [SHARED.format(41), REFUND_QA.format(15), HOTLINE],
                                               "s5": [STALE, FORMS]}),
    ("tax-b-2023", "乙市税务局", 2023, "税务", {"s1": [SHARED.format(8), REFUND_TALK, HOTLINE], "s5": [STALE_EDIT]}),
    ("edu-c-2023", "丙县教育局", 2023, "教育", {"s1": [SHARED.format(5), ENROL, AID], "s5": [BOARDS]}),
    ("edu-d-2023", "丁县教育局", 2023, "教育", {"s1": [FEES, AID], "s5": [FORMS]}),
]


def corpus() -> tuple[pd.DataFrame, pd.DataFrame]:
    """reports and units as gxnlp.Corpus holds them (start/end: offsets in the section text)."""
    reports, units = [], []
    for rid, agency, year, kind, sections in REPORTS:
        reports.append({"report_id": rid, "agency": agency, "year": year, "agency_type": kind})
        for section, texts in sections.items():
            offset = 0
            for text in texts:
                units.append({"report_id": rid, "unit": len([u for u in units if u["report_id"] == rid]),
                              "section": section, "kind": "measure" if section == "s1" else "problem",
                              "tense": "done" if section == "s1" else None, "heading_path": "", "text": text,
                              "start": offset, "end": offset + len(text), "specificity": None})
                offset += len(text)
    return pd.DataFrame(reports), pd.DataFrame(units)


def unit_of(units: pd.DataFrame, rid: str, text: str) -> int:
    return int(units.loc[(units["report_id"] == rid) & (units["text"] == text), "unit"].iloc[0])


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    return corpus()


@pytest.fixture(scope="module")
def summary(data: tuple[pd.DataFrame, pd.DataFrame]) -> ThematicSummary:
    reports, units = data
    return thematic_summary(units, None, reports, "agency_type", k=5)


@pytest.fixture(scope="module")
def pairs(data: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    reports, units = data
    return near_duplicates(units, reports)


# --- thematic summaries ---------------------------------------------------------------------------

def test_counts_by_group_and_kind(summary: ThematicSummary) -> None:
    counts = summary.counts.set_index("agency_type")
    assert counts.loc["税务", ["n_reports", "n_units", "measure", "problem", "rectification", "other"]].tolist() == [
        3, 15, 10, 5, 0, 0]
    assert counts.loc["教育", ["n_reports", "n_units", "measure", "problem"]].tolist() == [2, 7, 5, 2]


def test_representatives_are_units_of_the_reports_with_their_offsets(data, summary: ThematicSummary) -> None:
    _, units = data
    reps = summary.representatives
    assert set(reps["kind"]) == {"measure", "problem"}
    merged = reps.merge(units, on=["report_id", "unit"], suffixes=("", "_unit"), validate="one_to_one")
    assert len(merged) == len(reps)
    for column in ("text", "start", "end", "kind"):
        assert (merged[column] == merged[f"{column}_unit"]).all()
    assert (merged["end"] - merged["start"] == merged["text"].str.len()).all()
    assert reps.loc[reps["report_id"] == "tax-b-2023", "agency"].eq("乙市税务局").all()
    for _, group in reps.groupby(["agency_type", "kind"]):
        assert group["rank"].tolist() == list(range(1, len(group) + 1))


def test_mmr_never_picks_two_near_identical_units(summary: ThematicSummary) -> None:
    reps = summary.representatives
    for _, group in reps.groupby(["agency_type", "kind"]):
        assert group["text"].map(skeleton).is_unique
    # 教育 has five measures, two of them the same sentence: four representatives, the repeated one with support 2.
    edu = reps[(reps["agency_type"] == "教育") & (reps["kind"] == "measure")]
    assert len(edu) == 4
    assert edu.loc[edu["text"] == AID, "support"].tolist() == [2]
    # the three numbered variants of the shared sentence are one representative among the tax measures.
    tax = reps[(reps["agency_type"] == "税务") & (reps["kind"] == "measure")]
    assert tax["text"].str.startswith("全年共受理").sum() == 1
    assert tax.loc[tax["text"].str.startswith("全年共受理"), "support"].tolist() == [3]


def test_lambda_one_ranks_by_centrality(data) -> None:
    reports, units = data
    reps = thematic_summary(units, None, reports, "agency_type", k=5, lambda_=1.0).representatives
    tax = reps[(reps["agency_type"] == "税务") & (reps["kind"] == "measure")]
    assert tax["centrality"].is_monotonic_decreasing


def test_log_odds_ranks_a_term_only_one_group_uses_first(summary: ThematicSummary) -> None:
    terms_by_group = summary.distinctive.groupby("agency_type")
    tax = terms_by_group.get_group("税务")
    assert tax.iloc[0]["term"] == "留抵退税"
    assert tax.iloc[0]["n_group"] == 4 and tax.iloc[0]["n_rest"] == 0
    assert tax["z"].is_monotonic_decreasing and (tax["z"] > 0).all()
    assert "留抵退税" not in set(terms_by_group.get_group("教育")["term"])


def test_terms_drop_stop_words_single_characters_and_numbers() -> None:
    words = terms("进一步加强政务公开工作，全年发布留抵退税政策问答12条。")
    assert "留抵退税" in words
    assert not {"进一步", "加强", "政务公开", "工作", "12", "条"} & set(words)


def test_theme_restricts_the_units(data) -> None:
    reports, units = data
    refund = units[units["text"].str.contains("留抵退税")][["report_id", "unit"]].assign(theme="tax", score=1.0)
    result = thematic_summary(units, refund, reports, ["agency_type", "year"], theme="tax")
    assert result.counts[["agency_type", "year", "n_units"]].values.tolist() == [["税务", 2022, 2], ["税务", 2023, 2]]
    assert result.representatives["text"].str.contains("留抵退税").all()
    with_list = units.assign(themes=[["tax"] if "留抵退税" in t else [] for t in units["text"]])
    assert thematic_summary(with_list, None, reports, "agency_type", theme="tax").counts["n_units"].tolist() == [4]


def test_summary_is_json_ready_and_renders(summary: ThematicSummary) -> None:
    data = summary.to_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert data["by"] == ["agency_type"] and len(data["representatives"]) == len(summary.representatives)
    assert "留抵退税" in summary._repr_html_()


def test_summary_is_deterministic_and_independent_of_row_order(data, summary: ThematicSummary) -> None:
    reports, units = data
    again = thematic_summary(units.sample(frac=1.0, random_state=3), None, reports.iloc[::-1], "agency_type", k=5)
    for name in ("counts", "representatives", "distinctive"):
        pd.testing.assert_frame_equal(getattr(summary, name), getattr(again, name))


# --- boilerplate --------------------------------------------------------------------------------

def pair_set(pairs: pd.DataFrame) -> set[tuple[str, int, str, int]]:
    return set(pairs[["report_id_a", "unit_a", "report_id_b", "unit_b"]].itertuples(index=False, name=None))


def test_near_duplicates_across_agencies_when_only_numbers_differ(data, pairs: pd.DataFrame) -> None:
    _, units = data
    a = unit_of(units, "tax-b-2023", SHARED.format(8))
    b = unit_of(units, "edu-c-2023", SHARED.format(5))
    row = pairs[(pairs["report_id_a"] == "edu-c-2023") & (pairs["unit_a"] == b)
                & (pairs["report_id_b"] == "tax-b-2023") & (pairs["unit_b"] == a)]
    assert len(row) == 1
    assert row.iloc[0]["relation"] == "other_agency" and row.iloc[0]["similarity"] == 1.0
    assert row.iloc[0][["agency_a", "agency_b"]].tolist() == ["丙县教育局", "乙市税务局"]


def test_near_duplicates_with_an_edit_are_found_by_lsh_with_exact_jaccard(data, pairs: pd.DataFrame) -> None:
    _, units = data
    key = ("tax-a-2023", unit_of(units, "tax-a-2023", STALE), "tax-b-2023", unit_of(units, "tax-b-2023", STALE_EDIT))
    row = pairs[[tuple(r) == key for r in pairs[["report_id_a", "unit_a", "report_id_b", "unit_b"]].to_numpy()]]
    assert len(row) == 1
    assert 0.8 <= row.iloc[0]["similarity"] < 1.0


def test_different_sentences_are_not_near_duplicates(data, pairs: pd.DataFrame) -> None:
    _, units = data
    unique = {(rid, unit_of(units, rid, text)) for rid, text in
              [("edu-c-2023", ENROL), ("edu-d-2023", FEES), ("edu-c-2023", BOARDS), ("tax-a-2022", TRAINING)]}
    ends = set(zip(pairs["report_id_a"], pairs["unit_a"])) | set(zip(pairs["report_id_b"], pairs["unit_b"]))
    assert not unique & ends
    # every pair: shared sentence (6), refund Q&A (1), refund talk (1), hotline (1), stale catalogue (3), forms (3), aid (1)
    assert len(pairs) == 16
    assert pairs["relation"].value_counts().to_dict() == {"other_agency": 12, "same_agency_other_year": 4}
    assert all((ra, ua) < (rb, ub) for ra, ua, rb, ub in pair_set(pairs))


def test_near_duplicates_within_a_report_and_short_units(data) -> None:
    reports, units = data
    twice = pd.concat([units, units[units["report_id"] == "edu-c-2023"].head(1).assign(unit=99)], ignore_index=True)
    found = near_duplicates(twice, reports)
    assert "same_report" in set(found["relation"])
    assert near_duplicates(units, reports, min_chars=200).empty


def test_originality_counts(data, pairs: pd.DataFrame) -> None:
    reports, units = data
    table = originality(units, reports, pairs).set_index("report_id")
    assert table.loc["tax-a-2022", ["n_units", "n_copied", "n_same_agency", "n_other_agency"]].tolist() == [6, 5, 4, 4]
    assert table.loc["tax-a-2022", "originality"] == pytest.approx(1 / 6)
    assert table.loc["edu-c-2023", ["n_units", "n_copied"]].tolist() == [4, 2]
    assert table.loc["edu-c-2023", "originality"] == pytest.approx(0.5)
    # section 五 recycled word for word from last year: the 内容雷同 criterion.
    assert table.loc["tax-a-2023", "previous_report_id"] == "tax-a-2022"
    assert table.loc["tax-a-2023", "s5_similarity"] == 1.0
    assert np.isnan(table.loc["tax-b-2023", "s5_similarity"]) and pd.isna(table.loc["tax-b-2023", "previous_report_id"])


def test_most_copied(data, pairs: pd.DataFrame) -> None:
    _, units = data
    top = most_copied(units, pairs, top=20)
    assert len(top) == 7
    first = top.iloc[0]
    assert first[["cluster", "size", "n_reports", "n_agencies"]].tolist() == [1, 4, 4, 3]
    assert skeleton(first["text"]) == skeleton(SHARED.format(0))
    cited = units.set_index(["report_id", "unit"]).loc[(first["report_id"], first["unit"])]
    assert (cited["start"], cited["end"], cited["text"]) == (first["start"], first["end"], first["text"])
    assert len({e["agency"] for e in first["examples"]}) == 3 and len(first["examples"]) == 4
    assert most_copied(units, pairs, top=2)["cluster"].tolist() == [1, 2]


def test_boilerplate_is_deterministic_and_independent_of_row_order(data, pairs: pd.DataFrame) -> None:
    reports, units = data
    shuffled = units.sample(frac=1.0, random_state=5)
    again = near_duplicates(shuffled, reports.iloc[::-1])
    pd.testing.assert_frame_equal(pairs, again)
    pd.testing.assert_frame_equal(originality(units, reports, pairs), originality(shuffled, reports, again))
    pd.testing.assert_frame_equal(most_copied(units, pairs), most_copied(shuffled, again))
