"""HTML reports, usually whole portal pages: find the article, then its paragraphs and tables.

Portal pages carry hundreds of KB of menus, link farms and scripts around a few KB of report. The
reader keeps only the article element and turns it into lines and table rows. Table rows give each
<td>/<th> once, in order, ignoring rowspan/colspan: the table grammar maps numbers to columns by
order within the row (format.md §3.1), so rebuilding the grid would only add copies to filter out.
Parsing and text extraction stay in lxml's C code; Python only walks the article's few hundred nodes.
"""
from __future__ import annotations

import re

from lxml import etree

from gxnlp.document import Block, Document, Paragraph, Table
from gxnlp.errors import GxnlpError
from gxnlp.readers.encoding import declared_charset, decode
from gxnlp.readers.text import iso_date

# Plain etree parser: lxml.html's element-class lookup runs Python code for every node touched.
_PARSER = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
_CHROME = ("script", "style", "noscript", "template", "nav", "iframe", "select", "textarea", "button")
# Class or id of the article container in the common government CMSs (TRS, Hanweb, Kaipu, …).
_ARTICLE_NAME = re.compile(
    r"TRS_Editor|TRS_UEDITOR|article[-_]?(?:content|con|body|text)|art[-_]?con|zoom|UCAP-CONTENT|pages_content"
    r"|(?:content|detail|news|info|xxgk)[-_]?(?:text|body|detail|con|content)|con[-_]?text",
    re.I,
)
_CONTAINERS = ("div", "td", "article", "section", "main")
_MIN_ARTICLE_CHARS = 100  # a named container with less text is a placeholder, not the article
_NESTED_SHARE = 0.8  # prefer the innermost named container holding this share of the largest one's text
_BLOCK_TAGS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd section article main header footer aside blockquote pre "
    "center address figure figcaption table caption thead tbody tfoot tr td th form fieldset hr".split()
)
_DATE_METAS = ("pubdate", "publishdate", "firstpublishedtime", "article:published_time")
_STRING = etree.XPath("string()")
_SPACES = re.compile(r"[ \t\r\n\f\v]+")
# Whitespace containing a line break inside a cell is source formatting between <p>s or around <br>;
# a label split over lines inside one cell (`本年新` / `制作数量`) is one label.
_CELL_BREAK = re.compile(r"\s*\n\s*")


def read(data: bytes, source: str) -> Document:
    """Read an ``.html`` report page: metadata, then the article's paragraphs and tables in order."""
    decoded = decode(data, declared=declared_charset(data))
    if not decoded.text.strip():
        raise GxnlpError("empty_file", "the HTML file holds only whitespace")
    try:
        root = etree.fromstring(decoded.text.encode("utf-8"), _PARSER)
    except (etree.LxmlError, ValueError) as exc:
        raise GxnlpError("unreadable_html", f"lxml could not parse the page: {exc}") from None
    doc = Document(source=source, format="html", warnings=decoded.warnings())
    if root is None:
        return doc
    doc.title, doc.published = _metadata(root)
    etree.strip_elements(root, *_CHROME, with_tail=False)
    doc.blocks = _blocks(_article(root))
    return doc


def _metadata(root: etree._Element) -> tuple[str | None, str | None]:
    """Title (``<meta name="ArticleTitle">``, else ``<title>``) and ISO publication date (``PubDate``)."""
    metas: dict[str, str] = {}
    for meta in root.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").strip().lower()
        content = (meta.get("content") or "").strip()
        if name and content:
            metas.setdefault(name, content)
    title = metas.get("articletitle")
    if title is None:
        title_el = root.find(".//title")
        title = _clean_line(_STRING(title_el)) if title_el is not None else None
    published = next((date for name in _DATE_METAS if name in metas and (date := iso_date(metas[name]))), None)
    return title or None, published


def _article(root: etree._Element) -> etree._Element:
    """The element holding the report: the densest block, or a named CMS container around or inside it.

    A named container (``div.TRS_Editor`` …) is preferred because it has exact bounds, but only when it
    agrees with the density vote: a sidebar that happens to be called ``news_con`` must not win.
    """
    dense = _densest(root)
    named = []
    for el in root.iter(*_CONTAINERS):
        name = f"{el.get('class') or ''} {el.get('id') or ''}"
        if name != " " and _ARTICLE_NAME.search(name) and (
            el is dense or _is_ancestor(el, dense) or _is_ancestor(dense, el)
        ):
            size = len("".join(_STRING(el).split()))
            if size >= _MIN_ARTICLE_CHARS:
                named.append((el, size))
    if not named:
        return dense
    largest = max(size for _, size in named)
    best = next(el for el, size in named if size >= _NESTED_SHARE * largest)
    for el, size in named:  # document order: descendants follow their ancestors
        if size >= _NESTED_SHARE * largest and _is_ancestor(best, el):
            best = el
    return best


def _is_ancestor(ancestor: etree._Element, el: etree._Element) -> bool:
    return any(parent is ancestor for parent in el.iterancestors())


def _densest(root: etree._Element) -> etree._Element:
    """The block whose paragraphs and data tables hold the most text (a readability-style vote).

    Each <p>, <br>-separated line and leaf <table> votes its text length to its parent and half to its
    grandparent, so the container of the report's paragraphs wins over menus (links in <li>) and over
    layout tables wrapping the whole page (they contain tables, so they do not vote).
    """
    votes: dict[etree._Element, float] = {}
    for el in root.iter("p", "table", "br", "pre", "h1", "h2", "h3", "h4", "h5", "h6"):
        if el.tag == "br":
            size = len((el.tail or "").strip())
        elif el.tag == "table" and el.find(".//table") is not None:
            continue
        else:
            size = len(_STRING(el).strip())
        parent = el.getparent()
        if not size or parent is None:
            continue
        votes[parent] = votes.get(parent, 0.0) + size
        grandparent = parent.getparent()
        if grandparent is not None:
            votes[grandparent] = votes.get(grandparent, 0.0) + size / 2
    if not votes:
        body = root.find("body")
        return body if body is not None else root
    return max(votes, key=votes.__getitem__)


def _blocks(article: etree._Element) -> list[Block]:
    """Paragraphs (one per block element or <br>-separated line) and Tables, in document order.

    A table that contains tables is layout: its cells are walked like any block. Only leaf tables
    become Table blocks.
    """
    blocks: list[Block] = []
    line: list[str] = []

    def flush() -> None:
        if line:
            text = _clean_line("".join(line))
            line.clear()
            if text:
                blocks.append(Paragraph(text))

    walker = etree.iterwalk(article, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if event == "start":
            if tag == "table" and el.find(".//table") is None:
                flush()
                _emit_table(el, blocks)
                walker.skip_subtree()
            elif tag == "br" or tag in _BLOCK_TAGS:
                flush()
            if el.text and isinstance(tag, str):
                line.append(el.text)
        else:
            if tag in _BLOCK_TAGS:
                flush()
            if el.tail and el is not article:
                line.append(el.tail)
    flush()
    return blocks


def _emit_table(table: etree._Element, blocks: list[Block]) -> None:
    """Append the table's caption (as a Paragraph) and its rows (each cell once) to ``blocks``."""
    caption = table.find("caption")
    if caption is not None and (text := _clean_line(_STRING(caption))):
        blocks.append(Paragraph(text))
    rows = []
    for tr in table.iter("tr"):
        cells = tuple(_clean_cell(_STRING(cell)) for cell in tr if cell.tag in ("td", "th"))
        if cells:
            rows.append(cells)
    if rows:
        blocks.append(Table(tuple(rows)))


def _clean_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _clean_cell(text: str) -> str:
    return _SPACES.sub(" ", _CELL_BREAK.sub("", text)).strip()
