"""Theme classifiers: the rules of themes.md §3, the linear backend, persistence, evaluation,
the labelled-corpus format and the theme commands."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gxnlp.labelled import load_units, validate
from gxnlp.synth import generate, render_tab_text
from gxnlp.themes import DEFAULT_MODEL, load, predict, theme_ids
from gxnlp.themes.base import binarize, tune_thresholds
from gxnlp.themes.evaluate import metrics
from gxnlp.themes.linear import LinearClassifier
from gxnlp.themes.rules import RulesClassifier

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpora" / "gxnlp-zh"


def test_taxonomy_has_the_16_ids_of_themes_md() -> None:
    assert theme_ids() == [
        "tax", "land", "environment", "education", "fiscal", "business", "projects", "procurement", "health",
        "social_security", "market_regulation", "emergency", "rural", "policy_communication", "on_request", "platform",
    ]


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("组织开展保密警示教育和网络安全培训各2次，信息发布严格执行“三审三校”。", {"platform"}, {"education", "emergency"}),
        ("每季度公开食品安全监督抽检结果，全年发布抽检信息1320批次。", {"market_regulation"}, {"emergency"}),
        ("及时公开药品耗材集中带量采购中选结果和医保支付标准。", {"health"}, {"procurement"}),
        ("城区环境卫生整治情况每周通报一次。", {"environment"}, {"health"}),
        ("全年收取信息处理费200元。", {"on_request"}, {"tax"}),
        ("公开义务教育阶段教育收费项目和标准。", {"education"}, {"tax"}),
        ("公开职业技能培训补贴申领条件和发放名单。", {"social_security"}, {"platform"}),
        ("公示集体土地征收补偿安置方案3件。", {"land"}, {"tax"}),
    ],
)
def test_rules_follow_the_disambiguation_table(text: str, present: set[str], absent: set[str]) -> None:
    [themes] = RulesClassifier().predict([text])
    assert present <= set(themes)
    assert not absent & set(themes)


def test_rules_give_no_theme_to_boilerplate() -> None:
    assert RulesClassifier().predict(["一年来，我局始终高度重视此项工作，各项工作取得了新的进展。"]) == [[]]


def test_thresholds_are_tuned_per_theme() -> None:
    truth = np.array([[1, 0], [1, 0], [0, 1], [0, 0]])
    proba = np.array([[0.3, 0.1], [0.35, 0.2], [0.1, 0.9], [0.05, 0.95]])
    thresholds = tune_thresholds(truth, proba)
    assert 0.05 < thresholds[0] <= 0.3
    assert 0.2 < thresholds[1] <= 0.9  # keep both high scores: one of them is the positive


def test_unknown_theme_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown theme"):
        binarize([["taxes"]], theme_ids())


def test_metrics_per_theme_macro_micro_and_confusions() -> None:
    themes = ["tax", "land"]
    result = metrics([["tax"], ["land"], ["tax", "land"]], [["tax"], ["tax"], ["tax", "land"]], themes)
    assert result["per_theme"]["tax"] == {"precision": pytest.approx(2 / 3, abs=1e-3), "recall": 1.0, "f1": pytest.approx(0.8), "support": 2}
    assert result["per_theme"]["land"]["recall"] == 0.5
    assert result["confusions"][0] == {"true": "land", "predicted": "tax", "count": 1}
    assert 0 < result["macro_f1"] < result["micro_f1"] <= 1


@pytest.fixture(scope="module")
def small_linear() -> tuple[LinearClassifier, list]:
    units = load_units([CORPUS], split="train")[:600]
    model = LinearClassifier(folds=3).fit([u.text for u in units], [list(u.themes) for u in units])
    return model, units


def test_linear_fit_predict_score(small_linear) -> None:
    model, units = small_linear
    proba = model.predict_proba([u.text for u in units[:5]])
    assert proba.shape == (5, 16) and ((proba >= 0) & (proba <= 1)).all()
    assert model.score([u.text for u in units], [list(u.themes) for u in units]) > 0.5
    assert "tax" in model.predict(["公开减税降费和留抵退税政策，惠及企业300家。"])[0]
    assert set(model.card["present_themes"]) < set(theme_ids())  # themes with too few examples are not learnt


def test_linear_save_load_round_trip_without_pickles(small_linear, tmp_path: Path) -> None:
    model, units = small_linear
    folder = model.save(tmp_path / "model")
    assert not list(folder.glob("*.pkl")) and not list(folder.glob("*.pickle"))
    card = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    assert card["backend"] == "linear" and len(card["thresholds"]) == 16
    again = load(folder)
    texts = [u.text for u in units[:50]]
    assert np.allclose(again.predict_proba(texts), model.predict_proba(texts))
    assert again.predict(texts) == model.predict(texts)


def test_corpus_is_valid_and_covers_every_theme() -> None:
    assert validate([CORPUS]) == []
    units = load_units([CORPUS])
    assert len(units) >= 3000
    counts = {t: sum(t in u.themes for u in units) for t in theme_ids()}
    assert min(counts.values()) >= 100, counts


def test_validator_reports_problems(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"id": "x1", "text": "一", "themes": ["taxes"], "kind": "measure", "source": "t", "split": "train"},
        {"id": "x1", "text": "二", "themes": [], "kind": "idea", "source": "t", "split": "holdout"},
        {"id": "x3", "themes": [], "source": "t", "split": "train"},
    ]), encoding="utf-8")
    problems = "\n".join(validate([path]))
    for expected in ("unknown themes", "duplicate id", "kind 'idea'", "split 'holdout'", "needs 'text'"):
        assert expected in problems


def test_annotation_records_resolve_into_external_reports(tmp_path: Path) -> None:
    report = generate(3, "2021")
    (tmp_path / "r.txt").write_text(render_tab_text(report, 3, noise=False), encoding="utf-8")
    (tmp_path / "manifest.csv").write_text("id,file\nsynth-3,r.txt\n", encoding="utf-8")
    s5 = report.sections["s5"]["text"]
    record = {"id": "a1", "doc": "synth-3", "section": "s5", "start": 0, "end": 12, "themes": [], "kind": "other", "source": "annotation", "split": "test"}
    corpus = tmp_path / "ann.jsonl"
    corpus.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    assert validate([corpus], documents=tmp_path / "manifest.csv") == []
    [unit] = load_units([corpus], documents=tmp_path / "manifest.csv")
    assert unit.text == s5[:12]
    assert load_units([corpus]) == []  # without the documents the record cannot be resolved


def test_default_model_is_shipped_small_and_predicts_the_schema() -> None:
    size = sum(p.stat().st_size for p in DEFAULT_MODEL.iterdir())
    assert size < 25 * 2**20
    [result] = predict(["公开减税降费政策解读材料12篇。"])
    assert set(result) == {"text", "themes", "scores"}
    assert "tax" in result["themes"] and set(result["scores"]) == set(result["themes"])


def _cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gxnlp.cli", *args], input=stdin, capture_output=True, text=True, cwd=REPO)


def test_themes_command_reads_lines_and_prints_json() -> None:
    result = _cli("themes", "--json", stdin="公开义务教育招生入学政策。\n根据《条例》规定编制本报告。\n")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["themes"] == ["education"]
    assert lines[1]["text"] == "根据《条例》规定编制本报告。"


def test_train_and_evaluate_commands(tmp_path: Path) -> None:
    trained = _cli("train", "--corpus", str(CORPUS / "part-a.jsonl"), "--backend", "rules", "--out", str(tmp_path / "rules"))
    assert trained.returncode == 0, trained.stderr
    card = json.loads((tmp_path / "rules" / "model.json").read_text(encoding="utf-8"))["card"]
    assert card["n_train"] > 900 and len(card["corpus_sha256"]) == 64 and "macro_f1" in card["metrics"]
    evaluated = _cli("evaluate", "--model", str(tmp_path / "rules"), "--corpus", str(CORPUS / "part-b.jsonl"), "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    assert 0 < json.loads(evaluated.stdout)["macro_f1"] < 1
