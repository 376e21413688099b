"""The spaCy face of gxnlp, for researchers: one ``Doc`` per narrative section, units as spans.

``gxnlp parse`` never imports this module (spaCy and jieba take seconds to load); the units
themselves come from :mod:`gxnlp.units`, so a span here is exactly a unit of ``gxnlp parse --json``.

    >>> from gxnlp import parse
    >>> from gxnlp.nlp import section_docs
    >>> docs = section_docs(parse("page.html"))
    >>> [(span.text, span._.kind, span._.tense) for span in docs["s5"].spans["units"]]

The pipeline (``load_pipeline``) is ``spacy.blank("zh")`` with the jieba segmenter (offline; jieba
keeps 4567.8 and PM2.5 as one token, where the default character segmenter would let the
sentencizer split them at the ".") and three components:

* ``sentencizer`` with ``punct_chars`` 。！？!? — the sentence ends of themes.md §1. ``；`` is not
  one: it separates clauses, and enumerated items (一是…；二是…) are units, not sentences;
* ``gxnlp_units`` (factory of this module) — sets ``doc.spans["units"]``: one span per unit of
  ``gxnlp.units.segment``, aligned to the unit offsets with ``alignment_mode="expand"``, with the
  extensions ``Span._.kind``, ``._.tense``, ``._.specificity``, ``._.heading_path``, ``._.marker``,
  ``._.section`` and ``._.themes`` (None until a theme component fills it). The section comes
  from ``Doc._.section`` (set it before the component runs; ``section_docs`` does), else from the
  component's ``default_section`` setting.

jieba writes its prefix-dictionary cache to the temp folder on first use (``jieba.dt.tmp_dir``,
default ``tempfile.gettempdir()``); its log messages are silenced here.
"""
from __future__ import annotations

import logging
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

from .units import UNIT_SECTIONS, segment, wrap_width

SENTENCE_PUNCT = ["。", "！", "？", "!", "?"]
UNITS_KEY = "units"
_WRAP_KEY = "gxnlp_wrap"  # Doc.user_data: the report's line width for hard-wrapped (PDF) text

_SPAN_EXTENSIONS = ("kind", "tense", "specificity", "heading_path", "marker", "section", "themes")


def _register_extensions() -> None:
    if not Doc.has_extension("section"):
        Doc.set_extension("section", default=None)
    for name in _SPAN_EXTENSIONS:
        if not Span.has_extension(name):
            Span.set_extension(name, default=None)


_register_extensions()


class UnitsComponent:
    """Sets ``doc.spans["units"]`` from the cue-rule segmenter of ``gxnlp.units``."""

    def __init__(self, nlp: Language, name: str, default_section: str) -> None:
        self.name = name
        self.default_section = default_section

    def __call__(self, doc: Doc) -> Doc:
        section = doc._.section or self.default_section
        spans = []
        for unit in segment(section, doc.text, wrap=doc.user_data.get(_WRAP_KEY)):
            span = doc.char_span(unit.start, unit.end, alignment_mode="expand")
            if span is None:  # pragma: no cover - expand always finds tokens for a non-empty unit
                continue
            span._.kind = unit.kind
            span._.tense = unit.tense
            span._.specificity = unit.specificity
            span._.heading_path = unit.heading_path
            span._.marker = unit.marker
            span._.section = unit.section
            spans.append(span)
        doc.spans[UNITS_KEY] = spans
        return doc


@Language.factory("gxnlp_units", default_config={"default_section": "s5"})
def make_units_component(nlp: Language, name: str, default_section: str) -> UnitsComponent:
    """The ``gxnlp_units`` component: narrative units as ``doc.spans["units"]``."""
    return UnitsComponent(nlp, name, default_section)


def _quiet_jieba() -> None:
    import jieba

    jieba.setLogLevel(logging.WARNING)


def load_pipeline() -> Language:
    """``spacy.blank("zh")`` with jieba, a Chinese sentencizer and ``gxnlp_units``."""
    import spacy

    _quiet_jieba()
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    nlp.add_pipe("sentencizer", config={"punct_chars": SENTENCE_PUNCT})
    nlp.add_pipe("gxnlp_units")
    return nlp


_PIPELINE: Language | None = None


def pipeline() -> Language:
    """A shared ``load_pipeline()`` (built once per process)."""
    global _PIPELINE
    if _PIPELINE is None:
        _PIPELINE = load_pipeline()
    return _PIPELINE


def section_doc(key: str, text: str, nlp: Language | None = None, *, wrap: int | None = None) -> Doc:
    """One section text as a ``Doc`` with ``Doc._.section`` set before the components run."""
    nlp = nlp or pipeline()
    doc = nlp.make_doc(text)
    doc._.section = key
    if wrap is not None:
        doc.user_data[_WRAP_KEY] = wrap
    return nlp(doc)


def section_docs(report: Any, nlp: Language | None = None) -> dict[str, Doc]:
    """One ``Doc`` per narrative section (s1, s5, s6) of a parsed report, keyed by section.

    ``report`` is a :class:`gxnlp.Report` (or any object with ``sections`` mapping keys to
    sections with a ``text``). The units match ``report.units``: same segmenter, same offsets
    into ``section.text``, same line-width guess for hard-wrapped text.
    """
    sections = report.sections
    present = [key for key in UNIT_SECTIONS if key in sections]
    wrap = wrap_width("\n".join(sections[key].text for key in present))
    return {key: section_doc(key, sections[key].text, nlp, wrap=wrap) for key in present}
