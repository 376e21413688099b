"""Unit tests of the table grammar (gxnlp.tables) and the identities (gxnlp.validate)."""
from __future__ import annotations

from gxnlp.document import Paragraph, Table
from gxnlp.tables import _paragraph_tokens, _splits, groups_from_blocks, read_tables
from gxnlp.validate import hard_checks

T3_LABELS = [
    "一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "（一）予以公开",
    "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "1.属于国家秘密", "2.其他法律行政法规禁止公开",
    "3.危及“三安全一稳定”", "4.保护第三方合法权益", "5.属于三类内部事务信息", "6.属于四类过程性信息",
    "7.属于行政执法案卷", "8.属于行政查询事项", "1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作",
    "3.补正后申请内容仍不明确", "1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物", "4.无正当理由大量反复申请",
    "5.要求行政机关确认或重新出具已获取信息",
    "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "3.其他", "（七）总计",
    "四、结转下年度继续办理",
]
T3_KEYS = [
    "new_received", "carried_in", "granted", "partial", "denied.state_secret", "denied.law_prohibited",
    "denied.security_stability", "denied.third_party", "denied.internal_affairs", "denied.process_info",
    "denied.enforcement_file", "denied.admin_query", "unable.not_held", "unable.need_creation", "unable.unclear",
    "not_processed.petition", "not_processed.duplicate", "not_processed.publication", "not_processed.excessive",
    "not_processed.reconfirm", "other.no_correction", "other.fee_unpaid", "other.other", "results_total", "carried_out",
]


def _t3_rows(granted: int = 5, not_held: int = 3, carried_in: int = 1, carried_out: int = 1) -> dict[str, list[int]]:
    """A consistent 2021 table 3 with natural persons only."""
    rows = {key: [0] * 7 for key in T3_KEYS}
    new = granted + not_held + carried_out - carried_in
    for key, value in (("new_received", new), ("carried_in", carried_in), ("granted", granted),
                       ("unable.not_held", not_held), ("results_total", granted + not_held), ("carried_out", carried_out)):
        rows[key] = [value, 0, 0, 0, 0, 0, value]
    return rows


def test_splits_respect_leading_zeros_and_decimals() -> None:
    assert list(_splits("000", 3)) == [["0", "0", "0"]]
    assert ["13", "575394432.52"] in list(_splits("13575394432.52", 2))
    assert all(len(p) == 2 for p in _splits("1234", 2))


def test_item_number_glued_after_digits_belongs_to_the_next_label() -> None:
    pieces = list(_paragraph_tokens("1.属于国家秘密00000002.其他法律行政法规禁止公开 0000000"))
    tokens = [t.value.raw for _, t in pieces if t is not None]
    labels = "".join(text for text, t in pieces if t is None)
    assert tokens == ["0000000", "0000000"]
    assert "2.其他法律" in labels


def test_narrative_numbers_with_units_are_not_values() -> None:
    pieces = list(_paragraph_tokens("全年共收到申请75件，同比增长12%，第二十条"))
    assert all(t is None for _, t in pieces)


def test_seed_style_rows_with_placeholders_and_blank_total() -> None:
    table = Table((
        ("", "（一）予以公开", "2", "1", "0", "", "0", "0", ""),
        ("四、结转下年度继续办理", "0", "0", "0", "0", "0", "0", "0"),
    ))
    groups = groups_from_blocks([table])
    assert [len(g.tokens) for g in groups] == [7, 7]
    result = read_tables([table])
    assert result.cells["t3.granted.total"] == 3
    assert result.derived == ["t3.granted.total"]
    assert result.cells["t3.granted.social_org"] == 0


def test_digit_runs_are_segmented_by_row_totals() -> None:
    rows = _t3_rows(granted=21, not_held=37, carried_in=1, carried_out=0)
    text = "".join(label + "".join(map(str, rows[key])) for label, key in zip(T3_LABELS, T3_KEYS))
    result = read_tables([Paragraph(text)])
    assert not result.ambiguous
    for key in T3_KEYS:
        assert [result.cells[f"t3.{key}.{c}"] for c in ("natural_person", "total")] == [rows[key][0], rows[key][6]]


def test_unresolvable_digit_runs_are_ambiguous_not_guessed() -> None:
    result = read_tables([Paragraph("第二十条第（一）项 信息内容 本年制发件数 本年废止件数 现行有效件数 规章000行政规范性文件8855698")])
    assert "t2.normative_docs.made" not in result.cells
    assert result.ambiguous[0]["rows"] == ["t2.normative_docs"]
    assert result.ambiguous[0]["n_candidates"] > 1
    assert result.cells["t2.regulations.made"] == 0


def test_narrative_next_to_the_row_label_settles_a_digit_run() -> None:
    narrative = "集中公开现行有效行政规范性文件698件，动态更新本年度制发的规范性文件88件。"
    result = read_tables(
        [Paragraph("第二十条第（一）项 信息内容 本年制发件数 本年废止件数 现行有效件数 规章000行政规范性文件8855698")],
        narrative,
    )
    assert [result.cells[f"t2.normative_docs.{c}"] for c in ("made", "repealed", "valid")] == [88, 55, 698]
    assert "narrative" in result.repaired[-1]["how"]


def test_detached_labels_are_aligned_by_row_order() -> None:
    """Markdown converters put some labels after their numbers (Shanghai reports)."""
    rows = _t3_rows()
    blocks = []
    for i, (label, key) in enumerate(zip(T3_LABELS, T3_KEYS)):
        cells = tuple(str(v) for v in rows[key])
        if i in (3, 13):  # label printed as a stray line after the numbers
            blocks.append(Table((cells,)))
            blocks.append(Paragraph(label))
        else:
            blocks.append(Table(((label,) + cells,)))
    result = read_tables(blocks)
    assert result.cells["t3.unable.not_held.total"] == 3
    assert result.cells["t3.partial.total"] == 0
    assert result.cells["t3.unable.need_creation.total"] == 0
    assert not result.ambiguous


def test_table4_as_one_row_or_three_blocks() -> None:
    header = Paragraph("行政复议 行政诉讼 结果维持 结果纠正 其他结果 尚未审结 总计 未经复议直接起诉 复议后起诉")
    one = read_tables([header, Paragraph("0 1 1 0 2 1 0 0 0 1 0 0 0 0 0")])
    three = read_tables([
        Paragraph("行政复议"), Table((("1", "0", "0", "0", "1"),)),
        Paragraph("行政诉讼（未经复议直接起诉）"), Table((("0", "0", "0", "0", "0"),)),
        Paragraph("行政诉讼（复议后起诉）"), Table((("2", "0", "0", "1", "3"),)),
    ])
    assert one.cells["t4.review.total"] == 2 and one.cells["t4.lit_direct.upheld"] == 1
    assert three.cells["t4.review.upheld"] == 1 and three.cells["t4.lit_after_review.total"] == 3


def test_money_in_yuan_is_converted_to_wan() -> None:
    result = read_tables([Table((
        ("第二十条第（九）项",), ("信息内容", "采购项目数量", "采购总金额"), ("政府集中采购", "3", "350000元"),
    ))])
    assert result.cells["t2.procurement.amount_wan"] == 35.0


def test_unknown_rows_are_kept_aside() -> None:
    result = read_tables([Table((
        ("第二十条第（一）项",), ("信息内容", "本年制发件数", "本年废止件数", "现行有效件数"),
        ("规章", "0", "0", "0"), ("其他主动公开文件", "4", "0", "9"), ("行政规范性文件", "1", "2", "3"),
    ))])
    assert result.extra_rows == [{"table": "t2", "label": "其他主动公开文件", "values": [4, 0, 9]}]
    assert result.cells["t2.normative_docs.valid"] == 3


def test_failed_identity_reports_delta_and_swap() -> None:
    rows = _t3_rows()
    cells = {f"t3.{k}.{c}": v for k, vals in rows.items() for c, v in zip(
        ["natural_person", "commercial", "research", "social_org", "legal_service", "other_org", "total"], vals)}
    cells["t3.granted.legal_service"], cells["t3.granted.other_org"] = 0, 0
    cells["t3.granted.natural_person"], cells["t3.granted.total"] = cells["t3.granted.total"], cells["t3.granted.natural_person"] - 1
    checks = {c["id"]: c for c in hard_checks(cells)}
    assert checks["t3.balance.total"]["status"] == "pass"
    failing = checks["t3.row_total.granted"]
    assert failing["status"] == "fail" and failing["delta"] == -1
    # the printed value stays as printed
    assert cells["t3.granted.total"] == 4


def test_offsetting_errors_are_diagnosed() -> None:
    cells = {f"t4.review.{c}": v for c, v in zip(["upheld", "corrected", "other", "pending", "total"], [1, 2, 0, 0, 3])}
    cells["t4.review.upheld"], cells["t4.review.corrected"] = 2, 1
    assert all(c["status"] == "pass" for c in hard_checks(cells))
    rows = _t3_rows()
    t3 = {f"t3.{k}.{c}": v for k, vals in rows.items() for c, v in zip(
        ["natural_person", "commercial", "research", "social_org", "legal_service", "other_org", "total"], vals)}
    t3["t3.granted.natural_person"], t3["t3.granted.commercial"] = 3, 2  # total 5 still holds
    t3["t3.granted.total"] = 5
    t3["t3.results_total.commercial"] = 0
    checks = {c["id"]: c for c in hard_checks(t3)}
    assert checks["t3.results_sum.natural_person"]["status"] == "fail"
    kinds = {d["kind"] for d in checks["t3.results_sum.natural_person"]["diagnosis"]}
    assert "offsetting_errors" in kinds
