"""The synthetic report generator: consistent values, deterministic output, every format readable."""
from __future__ import annotations

import io
import re

import docx
import pypdfium2 as pdfium
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gxnlp import synth
from gxnlp.validate import failed_identity_ids

TEXT_RENDERERS = [name for name in synth.RENDERERS if name not in ("docx", "pdf")]


def _plain(value: int | float) -> str:
    return ("0" if value == 0 else f"{value:.2f}") if isinstance(value, float) else str(value)


def _text(name: str, output: str | bytes) -> str:
    """The text a reader would see, for checking content independent of the format."""
    if name == "docx":
        document = docx.Document(io.BytesIO(output))
        cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
        return "\n".join([p.text for p in document.paragraphs] + cells)
    if name == "pdf":
        pdf = pdfium.PdfDocument(output)
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)
    return output


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32), template=st.sampled_from([None, "2019", "2021"]),
       zero_rate=st.floats(0, 1), scale=st.floats(0.05, 50))
def test_generated_values_satisfy_every_hard_identity(seed, template, zero_rate, scale):
    report = synth.generate(seed, template, zero_rate=zero_rate, scale=scale)
    assert list(report.cells) == synth.cell_keys(report.template)
    assert failed_identity_ids(report.cells) == []
    assert report.violation is None
    for key, value in report.cells.items():
        if key.endswith(".amount_wan"):
            assert isinstance(value, float) and value >= 0 and round(value, 2) == value
        else:
            assert isinstance(value, int)
            assert value >= 0 or key.endswith(".delta_items")
        if key.endswith(".delta_items"):
            assert report.cells[key.replace("delta_items", "prev_items")] + value >= 0
    totals = {key for key in report.cells if key.endswith(".total") and not key.startswith("t2.")}
    assert set(report.blank_totals) <= totals


@pytest.mark.parametrize("template, n_keys", [("2019", 22 + 23 * 7 + 15), ("2021", 10 + 25 * 7 + 15)])
def test_key_set_is_the_format_of_the_template(template, n_keys):
    keys = synth.cell_keys(template)
    assert len(keys) == len(set(keys)) == n_keys
    other = "t3.other.total.total" if template == "2019" else "t3.other.no_correction.total"
    assert other in keys and synth.generate(1, template).template == template


def test_generation_produces_zeros_negatives_and_large_counts():
    reports = [synth.generate(seed) for seed in range(300)]
    values = [v for r in reports for v in r.cells.values()]
    assert sum(v == 0 for v in values) / len(values) > 0.5
    assert any(v < 0 for r in reports for k, v in r.cells.items() if k.endswith("delta_items"))
    assert any(r.cells["t3.new_received.total"] >= 1000 for r in reports)
    assert {r.template for r in reports} == {"2019", "2021"}


@pytest.mark.parametrize("violate",
                         ["t3.results_total.total", "t3.granted.natural_person", "t4.review.total", "random"])
def test_violation_breaks_exactly_what_it_records(violate):
    report = synth.generate(5, "2021", violate=violate)
    broken = report.violation
    assert broken is not None and broken.printed != broken.consistent
    assert violate in ("random", broken.key)
    assert report.cells[broken.key] == broken.printed
    assert broken.checks and list(broken.checks) == failed_identity_ids(report.cells)
    assert report.blank_totals == ()


def test_violating_a_value_outside_every_identity_is_refused():
    with pytest.raises(ValueError):
        synth.generate(1, "2021", violate="t2.fees.amount_wan")
    with pytest.raises(ValueError):
        synth.generate(1, "2020")


def test_generate_and_render_are_deterministic_per_seed():
    assert synth.generate(42) == synth.generate(42)
    assert synth.generate(42) != synth.generate(43)
    report = synth.generate(42)
    for name in TEXT_RENDERERS + ["pdf"]:
        render = synth.RENDERERS[name]
        assert render(report, 7) == render(report, 7), name


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32), noise=st.booleans(), name=st.sampled_from(TEXT_RENDERERS))
def test_text_renderers_print_the_whole_report(seed, noise, name):
    report = synth.generate(seed)
    text = synth.RENDERERS[name](report, seed, noise)
    assert report.title in text
    for section in report.sections.values():
        assert section["title"] in text


@pytest.mark.parametrize("name", list(synth.RENDERERS))
@pytest.mark.parametrize("seed", [3, 11])
def test_every_renderer_output_opens_and_holds_agency_and_headings(name, seed):
    report = synth.generate(seed, blank_total_rate=0.5)
    output = synth.RENDERERS[name](report, seed, noise=True)
    assert output
    text = _text(name, output)
    assert report.agency in text
    for section in report.sections.values():
        assert section["title"] in text


def test_tab_text_is_the_seed_layout():
    report = synth.generate(8, "2019")
    lines = synth.render_tab_text(report, 0, noise=False).split("\n")
    assert lines[0] == report.title
    numbers = [line[1:] for line in lines if re.fullmatch(r"\t-?\d+(\.\d\d)?", line)]
    assert numbers == [_plain(report.cells[key]) for key in synth.cell_keys("2019")]
    i = lines.index("\t一、本年新收政府信息公开申请数量")
    assert lines[i + 1:i + 9] == ["\t" + _plain(report.cells[f"t3.new_received.{c}"]) for c in synth.T3_COLUMNS] + [""]
    i = lines.index("\t2.其他法律行政法规禁止公开")
    assert lines[i - 3:i] == ["", "\t", "\t"]  # two rowspan placeholders
    assert lines[lines.index("\t本年新") + 1] == "制作数量"  # <br> continuation without TAB
    i = lines.index(report.sections["s5"]["title"])
    assert lines[i - 2:i] == ["", ""]  # two blank lines end a table
    assert lines[lines.index("\t商业企业") - 2:lines.index("\t商业企业")] == ["\t", "\t"]


def test_digit_runs_glue_numbers_and_the_next_item_number():
    report = synth.generate(9, "2021")
    text = synth.render_digit_runs(report, 0, noise=False)
    lines = text.rstrip("\n").split("\n")
    assert len(lines) == 6 and lines[0] == f"标题: {report.title}"
    row = "".join(_plain(report.cells[f"t3.denied.state_secret.{c}"]) for c in synth.T3_COLUMNS)
    assert f"1.属于国家秘密 {row}2.其他法律行政法规禁止公开" in lines[5]
    t4 = " ".join(_plain(report.cells[key]) for key in synth.cell_keys("2021") if key.startswith("t4."))
    assert f"总计 {t4} 五、" in lines[5]


def test_pipe_text_rows_and_blank_totals():
    report = synth.generate(4, "2021", blank_total_rate=1.0)
    assert report.blank_totals
    plain = synth.render_pipe_text(report, 0, noise=False)
    numbers = " | ".join(_plain(report.cells[f"t3.new_received.{c}"]) for c in synth.T3_COLUMNS)
    assert f"\n一、本年新收政府信息公开申请数量 ||| {numbers} |\n" in plain
    assert "商业 企业 | 科研 机构" in plain
    noisy = synth.render_pipe_text(report, 0, noise=True)
    row = next(line for line in noisy.split("\n") if line.startswith("一、本年新收"))
    total_printed = [f.strip() for f in row.split("|")][-2]
    assert (total_printed == "") == ("t3.new_received.total" in report.blank_totals)
    assert synth.expected_derived(report, "pipe_text") == report.blank_totals
    assert synth.expected_derived(report, "pdf") == synth.expected_derived(report, "html", noise=False) == ()


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8"])
def test_html_encodings_match_the_meta_charset(encoding):
    report = synth.generate(12)
    page = synth.render_html(report, 1, encoding=encoding)
    assert isinstance(page, bytes)
    text = page.decode(encoding)
    assert f'<meta charset="{encoding}">' in text and report.agency in text
    assert 'rowspan="' in text and "<table" in text


def test_docx_has_real_merged_cells():
    report = synth.generate(2, "2021")
    document = docx.Document(io.BytesIO(synth.render_docx(report, 0, noise=False)))
    t2, t3, t4 = document.tables
    assert t3.cell(0, 0)._tc is t3.cell(2, 2)._tc  # the corner note spans 3×3
    assert t3.cell(5, 0)._tc is t3.cell(26, 0)._tc  # 三、本年度办理结果 spans 22 rows
    assert t3.cell(5, 0).text == "三、本年度办理结果"
    assert t4.cell(0, 5)._tc is t4.cell(0, 14)._tc  # 行政诉讼 spans 10 columns
    assert [t4.cell(3, c).text for c in range(15)] == [_plain(report.cells[k]) for k in synth.cell_keys("2021")[-15:]]


def test_pdf_text_layer_extracts_as_unicode():
    report = synth.generate(6)
    text = _text("pdf", synth.render_pdf(report, 0, noise=False))
    assert "本年新收" in text and "三安全一稳定" in text
    numbers = " ".join(_plain(report.cells[f"t3.results_total.{c}"]) for c in synth.T3_COLUMNS)
    assert f"（七）总计 {numbers}" in text
