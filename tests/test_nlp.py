"""The spaCy face (gxnlp.nlp): jieba + sentencizer + gxnlp_units, one Doc per narrative section."""
from __future__ import annotations

import pytest

pytest.importorskip("spacy")
pytest.importorskip("jieba")

from spacy.tokens import Doc, Span  # noqa: E402

from gxnlp import parse  # noqa: E402
from gxnlp.nlp import load_pipeline, section_doc, section_docs  # noqa: E402

from .conftest import CORPUS, REPO, requires_shared  # noqa: E402

S5 = ("2023年，本局政务公开工作取得了一定进展，但仍存在一些不足：一是“财政预决算”专栏全年仅更新2次；二是政策解读形式单一。\n"
      "下一步，我局将采取以下措施加以改进。一是建立栏目更新台账。二是推出图解和短视频解读。")


@pytest.fixture(scope="module")
def nlp():
    return load_pipeline()


def test_pipeline_components(nlp) -> None:
    assert nlp.lang == "zh"
    assert nlp.pipe_names == ["sentencizer", "gxnlp_units"]
    assert nlp.config["nlp"]["tokenizer"]["segmenter"] == "jieba"


def test_decimals_are_not_split(nlp) -> None:
    doc = nlp("全年发布信息4567.8万条，PM2.5平均浓度下降3.2%。群众满意度提升！")
    assert "4567.8" in [t.text for t in doc] and "PM2.5" in [t.text for t in doc]
    assert [s.text for s in doc.sents] == ["全年发布信息4567.8万条，PM2.5平均浓度下降3.2%。", "群众满意度提升！"]


def test_closing_quote_stays_in_the_sentence(nlp) -> None:
    doc = nlp("负责人表示：“将继续做好公开工作。”全年发布信息12条。")
    assert [s.text for s in doc.sents] == ["负责人表示：“将继续做好公开工作。”", "全年发布信息12条。"]


def test_units_as_spans_with_extensions(nlp) -> None:
    doc = section_doc("s5", S5, nlp)
    assert doc._.section == "s5"
    spans = list(doc.spans["units"])
    assert [s._.kind for s in spans] == ["other", "problem", "problem", "other", "measure", "measure"]
    assert all(isinstance(s, Span) and s._.section == "s5" and s._.themes is None for s in spans)
    assert [s._.tense for s in spans if s._.kind == "measure"] == ["planned", "planned"]
    assert spans[1]._.specificity == 3 and spans[1]._.marker == "一是"
    assert spans[1].text == "一是“财政预决算”专栏全年仅更新2次；"
    assert all(s._.heading_path == () for s in spans)


def test_default_section_without_doc_section(nlp) -> None:
    doc = nlp(S5)
    assert doc._.section is None
    assert [s._.section for s in doc.spans["units"]] == ["s5"] * 6


def test_section_docs_of_a_report(nlp) -> None:
    report = parse(REPO / "samples" / "synth-106-tab_text.txt")
    docs = section_docs(report, nlp)
    assert set(docs) == {k for k in ("s1", "s5", "s6") if k in report.sections}
    for key, doc in docs.items():
        assert isinstance(doc, Doc) and doc._.section == key
        assert doc.text == report.sections[key].text
        expected = [(u["start"], u["end"], u["kind"]) for u in report.units if u["section"] == key]
        got = [(s.start_char, s.end_char, s._.kind) for s in doc.spans["units"]]
        assert got == expected


@requires_shared
@pytest.mark.shared
def test_section_docs_of_a_wrapped_pdf(nlp) -> None:
    report = parse(CORPUS / "reports/hongze-2024/report.pdf")
    docs = section_docs(report, nlp)
    units = [u for u in report.units if u["section"] == "s5"]
    spans = list(docs["s5"].spans["units"])
    assert [s._.kind for s in spans] == [u["kind"] for u in units]
    assert all(s.start_char <= u["start"] and u["end"] <= s.end_char for s, u in zip(spans, units))
