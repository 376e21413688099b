"""Bad input: each document gets ok=false and an error code, the batch goes on, nothing raises.

The fuzz test mutates real and synthetic reports and checks that no exception escapes and that no
document takes more than 5 s (DEVELOPERS.md: a bad document never stops a batch).
"""
from __future__ import annotations

import io
import random
import time
from pathlib import Path

import pypdfium2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gxnlp import parse, parse_bytes
from gxnlp.synth import generate, render_docx, render_html, render_pdf, render_tab_text

from .conftest import CORPUS, shared_available


def _codes(report) -> list[str]:
    return [e["code"] for e in report.errors]


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("empty.txt", b"", "empty_file"),
        ("random.pdf", bytes(random.Random(1).randbytes(4096)), "unreadable_pdf"),
        ("random.docx", bytes(random.Random(2).randbytes(4096)), "unreadable_docx"),
        ("report.xls", b"\x00\x01\x02", "unsupported_format"),
        ("notes.txt", "这是一份会议通知，请各单位按时参加。".encode("utf-8"), "not_a_report"),
        ("binary.txt", bytes(range(256)) * 64, "undecodable_text"),
    ],
)
def test_bad_documents_get_a_code(tmp_path: Path, name: str, data: bytes, code: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    report = parse(path)
    assert not report.ok
    assert _codes(report) == [code]
    assert report.to_dict()["errors"][0]["message"]


def test_truncated_and_encrypted_pdfs(tmp_path: Path) -> None:
    pdf = render_pdf(generate(3), 3)
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(pdf[: len(pdf) // 3])
    assert _codes(parse(truncated)) == ["unreadable_pdf"]
    encrypted = tmp_path / "encrypted.pdf"
    encrypted.write_bytes(_encrypted_pdf())
    assert _codes(parse(encrypted)) == ["encrypted_pdf"]


def _encrypted_pdf() -> bytes:
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, encrypt=pdfencrypt.StandardEncryption("secret", ownerPassword="owner"))
    c.drawString(72, 720, "annual report")
    c.save()
    return buffer.getvalue()


def test_blank_image_only_pdf_is_no_text(tmp_path: Path) -> None:
    document = pypdfium2.PdfDocument.new()
    document.new_page(595, 842)
    buffer = io.BytesIO()
    document.save(buffer)
    path = tmp_path / "scan.pdf"
    path.write_bytes(buffer.getvalue())
    assert _codes(parse(path)) == ["no_text"]


def test_gbk_page_is_decoded(tmp_path: Path) -> None:
    report = generate(5, "2021")
    path = tmp_path / "gbk.html"
    path.write_bytes(render_html(report, 5, noise=False, encoding="gbk"))
    parsed = parse(path)
    assert parsed.ok, parsed.errors
    assert parsed.cells["t3.new_received.total"] == report.cells["t3.new_received.total"]


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.pdf"
    with open(path, "wb") as handle:
        handle.seek(70 * 2**20)
        handle.write(b"\0")
    started = time.perf_counter()
    report = parse(path)
    assert _codes(report) == ["too_large"]
    assert time.perf_counter() - started < 1


def _seeds() -> list[tuple[str, bytes]]:
    report = generate(11, "2021")
    seeds = [
        ("synth.txt", render_tab_text(report, 11).encode("utf-8")),
        ("synth.html", render_html(report, 11)),
        ("synth.docx", render_docx(report, 11)),
        ("synth.pdf", render_pdf(report, 11)),
    ]
    if shared_available():
        for name in ("pingtan-2022/page.txt", "pingtan-2022/page.html", "hongze-2024/report.pdf", "template-2021/template.docx"):
            path = CORPUS / "reports" / name
            seeds.append((path.name, path.read_bytes()))
    return [(name, data if isinstance(data, bytes) else data.encode("utf-8")) for name, data in seeds]


SEEDS = _seeds()


@st.composite
def mutated(draw) -> tuple[str, bytes]:
    name, data = draw(st.sampled_from(SEEDS))
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "repeat"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "cut":
            del data[pos:pos + draw(st.integers(1, 4096))]
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=64))
        else:
            data[pos:pos] = data[pos:pos + draw(st.integers(1, 2048))]
    return name, bytes(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_fuzzed_documents_never_raise_and_stay_fast(case: tuple[str, bytes]) -> None:
    name, data = case
    started = time.perf_counter()
    report = parse_bytes(data, name)
    assert time.perf_counter() - started < 5
    payload = report.to_dict()
    assert isinstance(payload["ok"], bool)
    if not payload["ok"]:
        assert payload["errors"] and all(e["code"] != "internal_error" for e in payload["errors"]), payload["errors"]
