"""The notebooks in notebooks/ run top to bottom on the bundled sample corpus, which is what its script writes.

Each notebook is executed in memory with nbclient (kernel ``python3`` of this interpreter, working directory the
repository root); nothing is written back, and the committed files must carry no outputs. Measured on 2 cores:
01 10–12 s, 02 9–15 s, 03 34–39 s (it trains and saves a linear model) — 53–65 s together, so not ``slow``.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT = 300


def test_the_three_notebooks_are_there() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "01_quickstart.ipynb", "02_comparative_summary.ipynb", "03_train_theme_classifier.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebooks_are_valid_and_carry_no_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    # the kernel must be this interpreter's environment (the one with gxnlp installed), not another python3
    guard = nbformat.v4.new_code_cell(f"import sys\nassert sys.prefix == {sys.prefix!r}, sys.prefix")
    guard["id"] = "environment-guard"
    notebook.cells.insert(0, guard)
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(REPO)}})
    client.execute()  # raises CellExecutionError, with the cell and its traceback, when a cell fails
    errors = [out for cell in notebook.cells for out in cell.get("outputs", []) if out.output_type == "error"]
    assert not errors


def _script():
    spec = importlib.util.spec_from_file_location("make_sample_corpus", REPO / "scripts" / "make_sample_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sample_corpus_is_what_the_script_writes(tmp_path: Path) -> None:
    script = _script()
    written = script.write(tmp_path)
    bundled = REPO / "samples" / "corpus"
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(p.name for p in bundled.iterdir())
    changed = [name for name in names if (tmp_path / name).read_bytes() != (bundled / name).read_bytes()]
    assert not changed, f"samples/corpus is stale: rerun scripts/make_sample_corpus.py ({changed})"
    assert len(written) == len(script.AGENCIES) * len(script.YEARS) - 1
    assert sum(p.stat().st_size for p in bundled.iterdir()) < 3 * 2**20
    assert script.check(tmp_path) == []


def test_narrative_option_quotes_the_labelled_corpus_and_keeps_the_tables() -> None:
    from gxnlp import synth
    from gxnlp.labelled import load_units

    units = load_units([REPO / "corpora" / "gxnlp-zh"])
    plain = synth.generate(7, "2021", agency="青禾市税务局", year=2022)
    quoted = synth.generate(7, "2021", agency="青禾市税务局", year=2022, narrative=units)
    assert quoted.cells == plain.cells and quoted.preamble == plain.preamble and plain.units == ()
    assert quoted == synth.generate(7, "2021", agency="青禾市税务局", year=2022, narrative=units)
    labelled = {u.id: u for u in units}
    assert {u.section for u in quoted.units} == {"s1", "s5", "s6"}
    for unit in quoted.units:  # printed without its marker; a problem ends in ；
        assert unit.text[:-1] in quoted.sections[unit.section]["text"]
        assert unit.themes == labelled[unit.source_id].themes
    assert "为此，我们将采取以下措施加以改进。" in quoted.sections["s5"]["text"]
    assert all(head in quoted.sections["s1"]["text"] for head in synth.S1_HEADS)
    # the tax bureau leans to tax; a copy takes units verbatim from its source
    leaning = [synth.generate(s, "2021", agency="青禾市税务局", narrative=units) for s in range(20)]
    neutral = [synth.generate(s, "2021", agency="青禾市审计局", narrative=units) for s in range(20)]

    def tax_share(reports: list) -> float:
        drawn = [u for r in reports for u in r.units]
        return sum("tax" in u.themes for u in drawn) / len(drawn)

    assert tax_share(leaning) > 2 * tax_share(neutral)
    copy = synth.generate(8, "2021", agency="白沙县教育局", previous=quoted, narrative=units, copy_from=quoted,
                          n_copied=4, copy_sections=("s5",))
    copied = [u for u in copy.units if u.copied_from == quoted.title]
    assert len(copied) == 4 and all(u.section == "s5" and u.text[:-1] in copy.sections["s5"]["text"] for u in copied)
    assert copy.year == 2023 and copy.agency == "白沙县教育局"
    assert all(copy.cells[f"t3.carried_in.{c}"] == quoted.cells[f"t3.carried_out.{c}"] for c in synth.T3_COLUMNS)
    for row in ("regulations", "normative_docs"):
        assert copy.cells[f"t2.{row}.valid"] == (quoted.cells[f"t2.{row}.valid"] + copy.cells[f"t2.{row}.made"]
                                                 - copy.cells[f"t2.{row}.repealed"])
