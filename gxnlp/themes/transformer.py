"""Theme classifier that fine-tunes a pretrained encoder (multilingual-e5-small by default) on CPU.

Why this shape:

* **Model.** Mean-pooled last hidden state of the texts, prefixed ``"passage: "`` as E5 was trained,
  then dropout and one linear layer to 16 logits, trained with ``BCEWithLogitsLoss`` (multi-label).
  Only the top ``train_layers`` encoder layers and the head learn; the embeddings (96 M of the 118 M
  parameters) and the lower layers stay frozen. ``train_layers=0`` trains the head alone.
* **Speed on 2 cores.** Frozen layers give the same output every epoch, so ``fit`` runs them once per
  text and caches the hidden states at the first trained layer; each epoch then costs only the top
  layers' forward and backward passes. Frozen layers run without dropout (eval mode) for the same
  reason.
* **Thresholds.** A seeded ``holdout`` slice of the training data is kept out of training, and each
  theme's threshold maximises F1 on it (``base.tune_thresholds``).
* **Small, code-free artifact.** ``save`` writes only the head and the trained top layers
  (``weights.safetensors``, fp32: ~7 MB per me5-small layer) plus the base checkpoint's path in
  ``model.json``. ``load`` rebuilds the encoder from the base checkpoint and overwrites those layers.
  The file records the SHA-256 of the base weights, and ``load`` refuses a different base, which
  would silently give wrong predictions. Nothing is unpickled.
* **Offline.** The base is always read with ``local_files_only=True`` and ``HF_HUB_OFFLINE=1``.
* **Threads.** torch's own setting is respected (it defaults to the number of cores and honours
  ``OMP_NUM_THREADS``); call ``torch.set_num_threads`` before ``fit`` to change it.

The encoder must be BERT-like (``embeddings`` plus ``encoder.layer``), as XLM-R and BERT are.
"""
from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from ..models.me5 import default_me5_path
from .base import ThemeClassifier, binarize, tune_thresholds

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before transformers imports huggingface_hub's constants

import torch  # noqa: E402
from safetensors.torch import load_file, save  # noqa: E402
from torch import nn  # noqa: E402

WEIGHTS_FILE = "weights.safetensors"
HEAD_PREFIX = "head."
LAYER_PREFIX = "encoder.layer."


class TransformerClassifier(ThemeClassifier):
    """Multi-label theme classifier fine-tuned from a local Hugging Face encoder checkpoint.

    Args:
        base_model: checkpoint folder; ``None`` means :func:`gxnlp.models.me5.default_me5_path`,
            resolved when the model is built, so a saved model follows ``$GXNLP_ME5``.
        max_length: tokens per text, prefix and special tokens included (longer texts are cut).
        batch_size: texts per batch, for training and inference.
        epochs: passes over the training part.
        learning_rate: AdamW rate of the trained encoder layers (linear warm-up, then linear decay).
        head_learning_rate: AdamW rate of the freshly initialised head, which needs a larger one.
        train_layers: how many top encoder layers to fine-tune; 0 freezes the whole encoder.
        holdout: fraction of the training data kept out to tune the thresholds (0: all 0.5).
        prefix: prepended to every text (E5 expects ``"passage: "``).
        seed: seeds the holdout split, the batch order, the head initialisation and dropout.
    """

    backend = "transformer"

    def __init__(
        self,
        base_model: str | None = None,
        *,
        max_length: int = 64,
        batch_size: int = 32,
        epochs: int = 5,
        learning_rate: float = 1e-4,
        head_learning_rate: float = 2e-3,
        train_layers: int = 4,
        holdout: float = 0.15,
        prefix: str = "passage: ",
        seed: int = 0,
    ) -> None:
        super().__init__()
        if train_layers < 0:
            raise ValueError("train_layers must be >= 0")
        if not 0 <= holdout < 1:
            raise ValueError("holdout must be in [0, 1)")
        self.base_model = base_model
        self.max_length = max_length
        self.batch_size = batch_size
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.head_learning_rate = head_learning_rate
        self.train_layers = train_layers
        self.holdout = holdout
        self.prefix = prefix
        self.seed = seed
        self._tokenizer: Any = None
        self._encoder: nn.Module | None = None
        self._head: nn.Sequential | None = None
        self._base_sha256 = ""

    def _config(self) -> dict[str, Any]:
        return {
            "base_model": self.base_model,
            "max_length": self.max_length,
            "batch_size": self.batch_size,
            "epochs": self.epochs,
            "learning_rate": self.learning_rate,
            "head_learning_rate": self.head_learning_rate,
            "train_layers": self.train_layers,
            "holdout": self.holdout,
            "prefix": self.prefix,
            "seed": self.seed,
        }

    # -- the network -----------------------------------------------------------------------------

    @property
    def base_path(self) -> Path:
        """The base checkpoint folder this model is (or will be) built from."""
        return Path(self.base_model) if self.base_model else default_me5_path()

    def _build(self) -> None:
        """Load the base encoder and tokenizer (frozen, fp32) and a fresh head."""
        from transformers import AutoModel, AutoTokenizer

        path = self.base_path
        if not (path / "config.json").is_file():
            hint = " (build it: python -m gxnlp.models.me5)" if self.base_model is None else ""
            raise FileNotFoundError(f"no encoder checkpoint at {path}{hint}")
        self._tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        encoder = AutoModel.from_pretrained(path, local_files_only=True, dtype=torch.float32, add_pooling_layer=False)
        encoder.eval().requires_grad_(False)
        n_layers = len(encoder.encoder.layer)
        if self.train_layers > n_layers:
            raise ValueError(f"train_layers={self.train_layers} but {path} has only {n_layers} layers")
        for layer in self._top_layers(encoder):
            layer.requires_grad_(True)
        self._encoder = encoder
        self._head = nn.Sequential(nn.Dropout(encoder.config.hidden_dropout_prob), nn.Linear(encoder.config.hidden_size, len(self.themes)))
        self._base_sha256 = _weights_sha256(path)

    def _first_trained(self, encoder: nn.Module) -> int:
        return len(encoder.encoder.layer) - self.train_layers

    def _top_layers(self, encoder: nn.Module) -> list[nn.Module]:
        return list(encoder.encoder.layer)[self._first_trained(encoder) :]

    def _run_layers(self, hidden: torch.Tensor, mask: torch.Tensor, start: int, stop: int | None = None) -> torch.Tensor:
        """Encoder layers ``start:stop`` over ``hidden``, with ``mask`` (1 = token, 0 = padding)."""
        from transformers.masking_utils import create_bidirectional_mask

        assert self._encoder is not None
        attention = create_bidirectional_mask(config=self._encoder.config, inputs_embeds=hidden, attention_mask=mask)
        for layer in list(self._encoder.encoder.layer)[start:stop]:
            hidden = layer(hidden, attention)
        return hidden

    def _logits(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mean pooling over real tokens, then the head."""
        assert self._head is not None
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)
        return self._head(pooled)

    def _token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        encoded = self._tokenizer([self.prefix + t for t in texts], truncation=True, max_length=self.max_length)
        return encoded["input_ids"]

    def _pad_ids(self, rows: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), self._tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
            mask[i, : len(row)] = 1
        return ids, mask

    def _length_batches(self, token_ids: Sequence[Sequence[int]]) -> Iterator[np.ndarray]:
        """Index batches of similar length, so little time goes into padding."""
        order = np.argsort([len(r) for r in token_ids], kind="stable")
        for start in range(0, len(order), self.batch_size):
            yield order[start : start + self.batch_size]

    # -- fit ---------------------------------------------------------------------------------------

    def fit(self, texts: Sequence[str], labels: Sequence[Sequence[str]]) -> "TransformerClassifier":
        """Fine-tune on ``texts`` minus the holdout slice, then tune thresholds on that slice."""
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} label lists")
        if len(texts) == 0:
            raise ValueError("no training texts")
        started = time.perf_counter()
        truth = binarize(labels, self.themes)
        rng = np.random.default_rng(self.seed)
        order = rng.permutation(len(texts))
        n_holdout = int(round(self.holdout * len(texts)))
        held, train = order[:n_holdout], order[n_holdout:]
        if len(train) == 0:
            raise ValueError("holdout leaves no training texts")

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self._build()
            assert self._encoder is not None and self._head is not None
            token_ids = self._token_ids(texts)
            states = self._frozen_states(token_ids)
            self._init_head_bias(truth[train])
            losses = self._train(states, truth, train, rng)
            if len(held):
                held_proba = self._proba_from_states([states[i] for i in held])
                self.thresholds = tune_thresholds(truth[held], held_proba)

        self.card.update(
            {
                "n_train": len(train),
                "n_holdout": len(held),
                "base_model": {"path": str(self.base_path), "sha256": self._base_sha256},
                "train_seconds": round(time.perf_counter() - started, 1),
                "final_loss": round(losses[-1], 4) if losses else None,
            }
        )
        return self

    def _frozen_states(self, token_ids: Sequence[Sequence[int]]) -> list[torch.Tensor]:
        """Per text, the hidden states entering the first trained layer (unpadded, [tokens, hidden])."""
        assert self._encoder is not None
        first = self._first_trained(self._encoder)
        states: list[torch.Tensor] = [torch.empty(0)] * len(token_ids)
        with torch.no_grad(), tqdm(total=len(token_ids), desc="encoding (frozen layers)", unit="text") as bar:
            for batch in self._length_batches(token_ids):
                ids, mask = self._pad_ids([token_ids[i] for i in batch])
                hidden = self._run_layers(self._encoder.embeddings(input_ids=ids), mask, 0, first)
                for row, i in enumerate(batch):
                    states[i] = hidden[row, : int(mask[row].sum())].clone()
                bar.update(len(batch))
        return states

    def _init_head_bias(self, truth: np.ndarray) -> None:
        """Start each theme's logit at its training prevalence: with 16 mostly-absent themes the
        loss otherwise spends the first steps just learning to say "no"."""
        assert self._head is not None
        prevalence = np.clip(truth.mean(axis=0), 1e-3, 1 - 1e-3)
        with torch.no_grad():
            self._head[1].bias.copy_(torch.from_numpy(np.log(prevalence / (1 - prevalence))).float())

    def _train(self, states: list[torch.Tensor], truth: np.ndarray, train: np.ndarray, rng: np.random.Generator) -> list[float]:
        """AdamW on the top layers and the head over the cached states; returns the loss per step."""
        assert self._encoder is not None and self._head is not None
        top = self._top_layers(self._encoder)
        groups = [{"params": list(self._head.parameters()), "lr": self.head_learning_rate}]
        if top:
            groups.append({"params": [p for layer in top for p in layer.parameters()], "lr": self.learning_rate})
        optimizer = torch.optim.AdamW(groups, weight_decay=0.01)
        steps_per_epoch = -(-len(train) // self.batch_size)
        total = max(1, steps_per_epoch * self.epochs)
        warmup = max(1, total // 16)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup)))
        )
        loss_fn = nn.BCEWithLogitsLoss()
        targets = torch.from_numpy(truth.astype(np.float32))
        first = self._first_trained(self._encoder)
        for module in (*top, self._head):
            module.train()
        losses: list[float] = []
        with tqdm(total=total, desc="fine-tuning", unit="batch") as bar:
            for epoch in range(self.epochs):
                shuffled = rng.permutation(train)
                for start in range(0, len(shuffled), self.batch_size):
                    batch = shuffled[start : start + self.batch_size]
                    hidden, mask = _pad_states([states[i] for i in batch])
                    logits = self._logits(self._run_layers(hidden, mask, first), mask)
                    loss = loss_fn(logits, targets[batch])
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    nn.utils.clip_grad_norm_([p for g in groups for p in g["params"]], 1.0)
                    optimizer.step()
                    schedule.step()
                    losses.append(loss.item())
                    bar.set_postfix(epoch=epoch + 1, loss=f"{np.mean(losses[-20:]):.4f}")
                    bar.update(1)
        self._encoder.eval()
        self._head.eval()
        return losses

    def _proba_from_states(self, states: list[torch.Tensor]) -> np.ndarray:
        """Probabilities from cached frozen states (same result as :meth:`predict_proba`)."""
        assert self._encoder is not None
        first = self._first_trained(self._encoder)
        out = np.zeros((len(states), len(self.themes)), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(states), self.batch_size):
                hidden, mask = _pad_states(states[start : start + self.batch_size])
                logits = self._logits(self._run_layers(hidden, mask, first), mask)
                out[start : start + len(logits)] = torch.sigmoid(logits).numpy()
        return out

    # -- inference ---------------------------------------------------------------------------------

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities (n_texts, 16), in batches of similar length, with a progress bar."""
        if self._encoder is None or self._head is None:
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("TransformerClassifier is not fitted; call fit() or load()")
        out = np.zeros((len(texts), len(self.themes)), dtype=np.float32)
        if not len(texts):
            return out
        token_ids = self._token_ids(texts)
        with torch.inference_mode(), tqdm(total=len(texts), desc="predicting", unit="text") as bar:
            for batch in self._length_batches(token_ids):
                ids, mask = self._pad_ids([token_ids[i] for i in batch])
                hidden = self._run_layers(self._encoder.embeddings(input_ids=ids), mask, 0)
                out[batch] = torch.sigmoid(self._logits(hidden, mask)).numpy()
                bar.update(len(batch))
        return out

    # -- persistence -------------------------------------------------------------------------------

    def _save_weights(self, folder: Path) -> None:
        if self._encoder is None or self._head is None:
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("nothing to save: the model is not fitted")
        first = self._first_trained(self._encoder)
        tensors = {HEAD_PREFIX + k: v for k, v in self._head.state_dict().items()}
        for offset, layer in enumerate(self._top_layers(self._encoder)):
            for name, value in layer.state_dict().items():
                tensors[f"{LAYER_PREFIX}{first + offset}.{name}"] = value
        metadata = {"base_sha256": self._base_sha256, "first_trained_layer": str(first)}
        data = save({k: v.detach().contiguous() for k, v in tensors.items()}, metadata=metadata)
        (folder / WEIGHTS_FILE).write_bytes(data)  # not save_file: it creates the file owner-only (0600)

    def _load_weights(self, folder: Path) -> None:
        from safetensors import safe_open

        path = folder / WEIGHTS_FILE
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
        with torch.random.fork_rng(devices=[]):  # the head's random init is overwritten below
            self._build()
        assert self._encoder is not None and self._head is not None
        if metadata.get("base_sha256") != self._base_sha256:
            raise ValueError(
                f"{folder} was fine-tuned from a base checkpoint with weights sha256 {metadata.get('base_sha256')}, "
                f"but {self.base_path} has {self._base_sha256}"
            )
        tensors = load_file(str(path))
        head = {k[len(HEAD_PREFIX) :]: v for k, v in tensors.items() if k.startswith(HEAD_PREFIX)}
        layers = {k: v for k, v in tensors.items() if not k.startswith(HEAD_PREFIX)}
        self._head.load_state_dict(head)
        first = self._first_trained(self._encoder)
        expected = {f"{LAYER_PREFIX}{first + o}.{n}" for o, layer in enumerate(self._top_layers(self._encoder)) for n in layer.state_dict()}
        if set(layers) != expected:
            raise ValueError(f"{path} does not hold exactly the top {self.train_layers} layers of the encoder")
        self._encoder.load_state_dict(layers, strict=False)
        self._encoder.eval()
        self._head.eval()


def _pad_states(states: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack unpadded [tokens, hidden] states into a zero-padded batch and its mask."""
    width = max(s.shape[0] for s in states)
    hidden = states[0].new_zeros((len(states), width, states[0].shape[1]))
    mask = torch.zeros((len(states), width), dtype=torch.long)
    for i, state in enumerate(states):
        hidden[i, : state.shape[0]] = state
        mask[i, : state.shape[0]] = 1
    return hidden, mask


def _weights_sha256(folder: Path) -> str:
    """SHA-256 over the checkpoint's safetensors files (name order): the base model's identity."""
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise FileNotFoundError(f"no .safetensors weights in {folder}")
    digest = hashlib.sha256()
    for file in files:
        with open(file, "rb") as handle:
            while chunk := handle.read(1 << 23):
                digest.update(chunk)
    return digest.hexdigest()
