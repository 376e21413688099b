"""Readers: synthetic inputs for each format and failure mode, then the real samples in ../shared."""
from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import docx as python_docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from gxnlp.document import Document, Paragraph, Table
from gxnlp.errors import GxnlpError
from gxnlp.readers import encoding, html, markdown, read, text

SHARED = Path(__file__).resolve().parents[2] / "shared"
REPORTS = SHARED / "corpus" / "reports"
PORTAL_MENU = ("网站支持IPV6", "闽政通APP", "网站标识码", "友情链接")


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def tables(doc: Document) -> list[Table]:
    return [block for block in doc.blocks if isinstance(block, Table)]


def paragraphs(doc: Document) -> list[str]:
    return [block.text for block in doc.blocks if isinstance(block, Paragraph)]


def expect_error(code: str, path: Path, **kwargs: int) -> GxnlpError:
    with pytest.raises(GxnlpError) as info:
        read(path, **kwargs)
    assert info.value.code == code, info.value.message
    return info.value


# --- HTML -----------------------------------------------------------------------------------------

PORTAL = """<!DOCTYPE html><html><head><meta charset="utf-8">
<meta name="ArticleTitle" content="某某区2022年度政府信息公开工作年度报告">
<meta name="PubDate" content="2023-02-20 15:07">
<title>某某区2022年度报告_年报栏目_某某区人民政府</title>
<script>var menu = "首页 政务公开";</script><style>.x{color:red}</style></head>
<body><div class="header"><ul class="menu"><li><a href="/">首页</a></li><li><a href="/zwgk">政务公开</a></li>
<li><a href="/hd">互动交流</a></li></ul></div>
<nav>网站导航 新闻中心</nav>
<div class="main"><div class="article_title">某某区2022年度政府信息公开工作年度报告</div>
<div class="TRS_Editor">
<p>　　一、总体情况</p>
<p>2022年，我区认真贯彻落实《条例》。<br>第二行文字。</p>
<p>二、主动公开政府信息情况</p>
<table><tbody>
<tr><td colspan="4"><p>第二十条第（一）项</p></td></tr>
<tr><td>信息内容</td><td><p>本年</p>
<p>制发件数</p></td><td>本年废止<br>件数</td><td>现行有效件数</td></tr>
<tr><td rowspan="2">规章</td><td>0</td><td>&nbsp;</td><td> 12 </td></tr>
<tr><td>3</td><td>&nbsp;&nbsp;</td><td>4</td></tr>
</tbody></table>
<div>三、收到和处理政府信息公开申请情况</div>
</div></div>
<div class="footer"><p>版权所有：某某区人民政府 网站标识码：1234</p><script>track()</script></div>
</body></html>"""


def test_html_portal_article_tables_and_metadata(tmp_path: Path) -> None:
    doc = read(write(tmp_path, "page.html", PORTAL))
    assert doc.format == "html"
    assert doc.title == "某某区2022年度政府信息公开工作年度报告"
    assert doc.published == "2023-02-20"
    assert paragraphs(doc) == [
        "一、总体情况",
        "2022年，我区认真贯彻落实《条例》。",
        "第二行文字。",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
    ]
    [table] = tables(doc)
    assert table.rows == (
        ("第二十条第（一）项",),
        ("信息内容", "本年制发件数", "本年废止件数", "现行有效件数"),
        ("规章", "0", "", "12"),
        ("3", "", "4"),
    )
    assert isinstance(doc.blocks[4], Table)  # reading order: between its heading and the next one
    everything = doc.text()
    for chrome in ("首页", "网站导航", "网站标识码", "track", "color:red"):
        assert chrome not in everything


def test_html_without_named_container_uses_densest_block(tmp_path: Path) -> None:
    links = "".join(f"<li><a href='/{i}'>栏目链接{i}</a></li>" for i in range(60))
    page = (
        f"<html><body><ul>{links}</ul><div id='x'><div>"
        "<p>一、总体情况</p><p>本机关全年主动公开政府信息一百二十条，依申请公开三件。</p>"
        "<table><tr><td>规章</td><td>1</td></tr></table></div></div>"
        "<div><p>联系我们</p></div></body></html>"
    )
    doc = read(write(tmp_path, "page.htm", page))
    assert paragraphs(doc) == ["一、总体情况", "本机关全年主动公开政府信息一百二十条，依申请公开三件。"]
    assert tables(doc)[0].rows == (("规章", "1"),)


def test_html_layout_table_is_flattened_to_its_data_table(tmp_path: Path) -> None:
    page = (
        "<html><head><title>年度报告</title></head><body><table><tr><td>"
        "<p>一、总体情况</p><p>正文内容正文内容正文内容。</p>"
        "<table><tr><th>信息内容</th><th>本年处理决定数量</th></tr><tr><td>行政许可</td><td>10690</td></tr></table>"
        "</td></tr></table></body></html>"
    )
    doc = read(write(tmp_path, "page.html", page))
    assert doc.title == "年度报告" and doc.published is None
    assert [type(block).__name__ for block in doc.blocks] == ["Paragraph", "Paragraph", "Table"]
    assert tables(doc)[0].rows == (("信息内容", "本年处理决定数量"), ("行政许可", "10690"))


def test_html_gbk_with_meta_and_without(tmp_path: Path) -> None:
    body = "<p>一、总体情况</p><p>本年新收政府信息公开申请数量七十四件，全部按时答复。</p>"
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    declared = f"<html><head>{meta}</head><body>{body}</body></html>"
    doc = read(write(tmp_path, "gbk.html", declared.encode("gbk")))
    assert paragraphs(doc)[1] == "本年新收政府信息公开申请数量七十四件，全部按时答复。"
    undeclared = f"<html><body>{body * 3}</body></html>"
    assert "一、总体情况" in read(write(tmp_path, "nometa.html", undeclared.encode("gbk"))).text()


def test_html_whitespace_only_is_empty(tmp_path: Path) -> None:
    expect_error("empty_file", write(tmp_path, "blank.html", " \n\t\n"))


# --- plain text -----------------------------------------------------------------------------------

SEED_STYLE = (
    "一、总体情况\n"
    "本机关认真落实条例。\n"
    "二、主动公开政府信息情况\n"
    "\t信息内容\n\t本年新\n制作数量\n\t（三）\n不予公开\n\n"
    "\t规章\n\t0\xa0\n\t\n\n"
    "\t规范性文件\n\t12\n\t3\n\n\n"
    "三、收到和处理政府信息公开申请情况\n"
    "\t\n\t一、本年新收政府信息公开申请数量\n\t10\n\t0\n\n\n"
    "五、存在的主要问题及改进情况\n"
)


def test_text_seed_layout_rows_continuations_and_table_ends(tmp_path: Path) -> None:
    doc = read(write(tmp_path, "report.txt", SEED_STYLE))
    assert doc.format == "txt"
    kinds = [type(block).__name__ for block in doc.blocks]
    assert kinds == ["Paragraph", "Paragraph", "Paragraph", "Table", "Paragraph", "Table", "Paragraph"]
    first, second = tables(doc)
    assert first.rows == (
        ("信息内容", "本年新制作数量", "（三）不予公开"),
        ("规章", "0", ""),
        ("规范性文件", "12", "3"),
    )
    assert second.rows == (("", "一、本年新收政府信息公开申请数量", "10", "0"),)


def test_text_narrative_after_single_blank_ends_tab_table(tmp_path: Path) -> None:
    doc = read(write(tmp_path, "r.txt", "\t规章\n\t1\n\n正文继续。\n"))
    assert tables(doc)[0].rows == (("规章", "1"),)
    assert paragraphs(doc) == ["正文继续。"]


def test_text_tab_indented_prose_stays_paragraphs(tmp_path: Path) -> None:
    long_line = "本机关坚持以人民为中心，" * 30
    doc = read(write(tmp_path, "r.txt", f"\t一、总体情况\n\n\t{long_line}\n\t二、主动公开\n"))
    assert tables(doc) == []
    assert paragraphs(doc) == ["一、总体情况", long_line.strip(), "二、主动公开"]


def test_text_dump_header_and_flattened_line(tmp_path: Path) -> None:
    flattened = "本报告根据条例编制。 一、总体情况 2022年…… 一、本年新收政府信息公开申请数量 713000074 " * 50
    dump = (
        "标题: 某区2022年度政府信息公开工作年度报告\n发布时间: 2023-02-20 15:07\n文号: \n"
        "原文链接: https://example.gov.cn/a.htm\n页面链接与图片详见 links.tsv(同目录)\n"
        f"==================== 正文 ====================\n{flattened}\n"
    )
    doc = read(write(tmp_path, "page.txt", dump))
    assert doc.title == "某区2022年度政府信息公开工作年度报告"
    assert doc.published == "2023-02-20"
    assert paragraphs(doc) == [flattened.strip()]


def test_text_pipe_rows_merged_runs_and_blank_cells(tmp_path: Path) -> None:
    lines = (
        "三、收到和处理政府信息公开申请情况\n"
        "| 信息内容 | 本年制发件数 |\n|---|---|\n"
        "三、本年度办理结果 | (一)予以公开 | 2 | 1 | 0 | 0 | 0 | 0 | 3 |\n"
        "申请人情况 || 商业 企业 | |||\n"
        "| - | - |\n"
        "\n"
        "四、行政复议\n"
    )
    doc = read(write(tmp_path, "pipes.txt", lines))
    [table] = tables(doc)
    assert table.rows == (
        ("信息内容", "本年制发件数"),
        ("三、本年度办理结果", "(一)予以公开", "2", "1", "0", "0", "0", "0", "3"),
        ("申请人情况", "商业 企业", ""),
        ("-", "-"),
    )
    assert paragraphs(doc) == ["三、收到和处理政府信息公开申请情况", "四、行政复议"]


def test_text_gbk_and_markdown_headings(tmp_path: Path) -> None:
    source = "## 一、总体情况\n本机关全年主动公开政府信息一百二十条。\n"
    doc = read(write(tmp_path, "gbk.txt", source.encode("gbk")))
    assert paragraphs(doc) == ["一、总体情况", "本机关全年主动公开政府信息一百二十条。"]


# --- Markdown -------------------------------------------------------------------------------------


def test_markdown_tables_headings_and_blank_cells(tmp_path: Path) -> None:
    source = (
        "正文\n## 表三：收到和处理政府信息公开申请情况\n"
        "| 一、本年新收政府信息公开申请数量 | 32 | 2 | 0 | 0 | 0 | 0 | 34 |  |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
        "| 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n"
        "|---|---|---|---|---|---|---|\n"
        "（二）部分公开\n"
        "| a \\| b | c |\n"
    )
    doc = read(write(tmp_path, "report.md", source))
    assert doc.format == "md"
    assert [type(block).__name__ for block in doc.blocks] == ["Paragraph", "Paragraph", "Table", "Paragraph", "Table"]
    assert paragraphs(doc) == ["正文", "表三：收到和处理政府信息公开申请情况", "（二）部分公开"]
    first, second = tables(doc)
    assert first.rows == (
        ("一、本年新收政府信息公开申请数量", "32", "2", "0", "0", "0", "0", "34", ""),
        ("0",) * 7,
    )
    assert second.rows == (("a | b", "c"),)


# --- DOCX -----------------------------------------------------------------------------------------


def docx_bytes() -> bytes:
    document = python_docx.Document()
    document.add_paragraph("一、总体情况")
    document.add_paragraph("第一行").add_run().add_break()
    document.paragraphs[-1].add_run("第二行")
    table = document.add_table(rows=3, cols=4)
    table.cell(0, 0).merge(table.cell(0, 3)).text = "第二十条第（一）项"
    for column, label in enumerate(["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]):
        table.cell(1, column).text = label
    table.cell(1, 1).add_paragraph("(件)")
    table.cell(1, 0).merge(table.cell(2, 0))  # vertical merge: 信息内容 spans rows 2-3
    for column, value in enumerate(["0", "0", "5"], start=1):
        table.cell(2, column).text = value
    document.add_paragraph("二、主动公开政府信息情况")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_order_and_merged_cells_once(tmp_path: Path) -> None:
    doc = read(write(tmp_path, "report.docx", docx_bytes()))
    assert doc.format == "docx"
    assert [type(block).__name__ for block in doc.blocks] == ["Paragraph"] * 3 + ["Table", "Paragraph"]
    assert paragraphs(doc) == ["一、总体情况", "第一行", "第二行", "二、主动公开政府信息情况"]
    assert tables(doc)[0].rows == (
        ("第二十条第（一）项",),
        ("信息内容", "本年制发件数(件)", "本年废止件数", "现行有效件数"),
        ("", "0", "0", "5"),
    )


def test_docx_random_bytes_and_foreign_zip(tmp_path: Path) -> None:
    expect_error("unreadable_docx", write(tmp_path, "random.docx", os.urandom(4096)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    expect_error("unreadable_docx", write(tmp_path, "sheet.docx", buffer.getvalue()))
    expect_error("unsupported_format", write(tmp_path, "sheet.html", buffer.getvalue()))


def test_docx_zip_bomb_is_refused_before_parsing(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<w:document>" + b" " * (51 * 2**20) + b"</w:document>")
    path = write(tmp_path, "bomb.docx", buffer.getvalue())
    assert path.stat().st_size < 1 * 2**20
    assert "word/document.xml" in expect_error("too_large", path).message


def test_legacy_word_file_is_unsupported(tmp_path: Path) -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024)
    expect_error("unsupported_format", write(tmp_path, "old.docx", ole))


# --- PDF ------------------------------------------------------------------------------------------

pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))


def pdf_bytes(pages: list[list[str]], **options: str) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, **options)
    for lines in pages:
        pdf.setFont("STSong-Light", 12)
        for index, line in enumerate(lines):
            pdf.drawString(72, 760 - 18 * index, line)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


REPORT_PAGES = [
    ["一、总体情况", "本机关全年主动公开政府信息一百二十条。"],
    ["三、收到和处理政府信息公开申请情况", "一、本年新收政府信息公开申请数量 71 3 0 0 0 0 74"],
]


def test_pdf_lines_and_pages(tmp_path: Path) -> None:
    doc = read(write(tmp_path, "report.pdf", pdf_bytes(REPORT_PAGES)))
    assert doc.format == "pdf" and doc.pages == 2
    assert paragraphs(doc) == [line for page in REPORT_PAGES for line in page]


def test_pdf_encrypted_truncated_random_and_scanned(tmp_path: Path) -> None:
    expect_error("encrypted_pdf", write(tmp_path, "locked.pdf", pdf_bytes(REPORT_PAGES, encrypt="secret")))
    good = pdf_bytes(REPORT_PAGES)
    expect_error("unreadable_pdf", write(tmp_path, "cut.pdf", good[: len(good) // 2]))
    expect_error("unreadable_pdf", write(tmp_path, "random.pdf", os.urandom(4096)))
    # a scan with nothing on it: OCR runs and finds nothing to read
    expect_error("no_text", write(tmp_path, "scan.pdf", pdf_bytes([[], ["1"]])))


# --- dispatch -------------------------------------------------------------------------------------


def test_dispatch_refusals(tmp_path: Path) -> None:
    expect_error("empty_file", write(tmp_path, "empty.txt", b""))
    expect_error("unsupported_format", write(tmp_path, "report.xlsx", b"data"))
    expect_error("unsupported_format", write(tmp_path, "report", b"data"))
    expect_error("too_large", write(tmp_path, "big.txt", "正文" * 100), max_bytes=100)
    expect_error("not_found", tmp_path / "missing.pdf")
    expect_error("unreadable_file", tmp_path)
    expect_error("undecodable_text", write(tmp_path, "noise.txt", bytes(range(128, 256)) * 8))


def test_content_beats_extension(tmp_path: Path) -> None:
    assert read(write(tmp_path, "attachment.html", pdf_bytes(REPORT_PAGES))).format == "pdf"
    error_page = "<!DOCTYPE html><html><body><p>404 页面不存在</p></body></html>"
    assert read(write(tmp_path, "error.pdf", error_page)).format == "html"
    assert read(write(tmp_path, "report.docx.txt", docx_bytes())).format == "docx"


# --- encoding -------------------------------------------------------------------------------------


def test_decode_bom_strict_lenient_and_refusal() -> None:
    assert encoding.decode("年报".encode("utf-16")).text == "年报"
    assert encoding.decode(b"\xef\xbb\xbf" + "年报".encode()).text == "年报"
    mostly_utf8 = ("本年新收政府信息公开申请数量" * 100).encode() + b"\xff"
    decoded = encoding.decode(mostly_utf8)
    assert decoded.replaced == 1 and decoded.warnings()
    assert encoding.decode("政务公开".encode("gbk"), declared="GBK").text == "政务公开"
    with pytest.raises(GxnlpError) as info:
        encoding.decode(bytes(range(128, 256)) * 4, declared="latin-1")
    assert info.value.code == "undecodable_text"


# --- robustness: arbitrary input raises GxnlpError or nothing -------------------------------------

ROBUST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ROBUST
@given(st.binary(min_size=1, max_size=2000))
def test_text_readers_never_leak_exceptions_on_bytes(data: bytes) -> None:
    for reader in (text.read, markdown.read, html.read):
        try:
            reader(data, "fuzz")
        except GxnlpError:
            pass


LINE_KINDS = ["\t", "\t0", "\t规章", "续行", "", "a | b", "| x ||| y |", "|---|", "## 标题", "<p>", "<td>"]


@ROBUST
@given(st.lists(st.sampled_from(LINE_KINDS), max_size=40))
def test_text_and_html_readers_accept_any_line_mix(lines: list[str]) -> None:
    data = "\n".join(lines).encode()
    for reader in (text.read, markdown.read, html.read):
        try:
            doc = reader(data, "fuzz")
        except GxnlpError as error:
            assert error.code == "empty_file"
            continue
        assert all(block.rows and all(block.rows) for block in doc.blocks if isinstance(block, Table))


# --- real samples ---------------------------------------------------------------------------------

shared = pytest.mark.skipif(not REPORTS.is_dir(), reason=f"shared corpus not found at {REPORTS}")


def sample(relative: str) -> Path:
    return REPORTS / relative


@pytest.mark.shared
@shared
def test_real_pingtan_2022_page_html() -> None:
    doc = read(sample("pingtan-2022/page.html"))
    assert len(tables(doc)) == 3
    assert doc.title == "平潭综合实验区2022年度政府信息公开工作年度报告"
    assert doc.published == "2023-02-20"
    everything = doc.text()
    assert "一、总体情况" in everything
    assert not [menu for menu in PORTAL_MENU if menu in everything]
    t3 = tables(doc)[1]
    assert ("一、本年新收政府信息公开申请数量", "71", "3", "0", "0", "0", "0", "74") in t3.rows


@pytest.mark.shared
@shared
@pytest.mark.parametrize(
    ("name", "count"), [("2013", 1), ("2018", 1), ("2019", 3), ("2021", 3), ("2023", 3), ("2025", 3)]
)
def test_real_portal_pages_keep_only_the_article(name: str, count: int) -> None:
    doc = read(sample(f"pingtan-{name}/page.html"))
    assert len(tables(doc)) == count
    assert doc.published and doc.published.startswith(str(int(name) + 1))
    everything = doc.text()
    assert not [menu for menu in PORTAL_MENU if menu in everything]
    assert "信息公开" in everything


@pytest.mark.shared
@shared
def test_real_seed_report_txt() -> None:
    doc = read(sample("nanyang-demo-2020/report.txt"))
    assert len(tables(doc)) == 3
    rows = [row for table in tables(doc) for row in table.rows]
    [new_received] = [row for row in rows if "一、本年新收政府信息公开申请数量" in row]
    after = new_received[new_received.index("一、本年新收政府信息公开申请数量") + 1 :]
    assert len(after) == 7 and all(cell.isdigit() for cell in after)
    assert after == ("10", "0", "0", "0", "0", "0", "10")
    assert ("信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量") in rows


@pytest.mark.shared
@shared
def test_real_text_dumps_have_header_metadata() -> None:
    doc = read(sample("pingtan-2022/page.txt"))
    assert doc.title == "平潭综合实验区2022年度政府信息公开工作年度报告"
    assert doc.published == "2023-02-20"
    assert not any(block.text.startswith(("标题", "原文链接")) for block in doc.blocks if isinstance(block, Paragraph))
    assert "一、本年新收政府信息公开申请数量 713000074" in doc.text()


@pytest.mark.shared
@shared
def test_real_markdown_and_pipe_text() -> None:
    kewei = read(sample("shanghai-kewei-2024/report.md"))
    rows = [row for table in tables(kewei) for row in table.rows]
    assert ("一、本年新收政府信息公开申请数量", "32", "2", "0", "0", "0", "0", "34", "") in rows
    assert "表二：主动公开政府信息情况" in paragraphs(kewei)
    shuyang = read(sample("shuyang-2025/report.txt"))
    rows = [row for table in tables(shuyang) for row in table.rows]
    assert ("行政规范性文件", "6", "1", "32") in rows
    assert "一、总体情况" in paragraphs(shuyang)


@pytest.mark.shared
@shared
def test_real_docx_template_merged_cells() -> None:
    doc = read(sample("template-2021/template.docx"))
    assert len(tables(doc)) == 3
    t4 = tables(doc)[2]
    assert t4.rows[0] == ("行政复议", "行政诉讼")
    assert len(t4.rows[-1]) == 15


@pytest.mark.shared
@shared
def test_real_pdf() -> None:
    doc = read(sample("hongze-2024/report.pdf"))
    assert doc.pages == 5
    assert "一、本年新收政府信息公开申请数量 95 0 0 0 0 0 95" in paragraphs(doc)
