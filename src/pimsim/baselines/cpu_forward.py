"""A measured CPU baseline: a real GPT-2-style forward pass in numpy, one token at a time.

Owns :class:`CpuGpt` (random weights with a model's shapes, a KV cache, greedy decoding)
and :func:`measure_cpu` (wall-clock milliseconds per generated token on this host).

The arithmetic is the GPT-2 decoder (Radford et al. 2019; the layout of the released
``modeling_gpt2``): pre-LayerNorm blocks, fused QKV projection, causal multi-head attention
with a KV cache, a GELU MLP (tanh approximation) and an LM head tied to the token embeddings.
Weights are random (``np.random.default_rng(seed)``, normal with std 0.02, as GPT-2 initialises
them): the timing depends on shapes only, so nothing is downloaded.

Precision: FP32. numpy has no BF16 arithmetic, so the CPU figure streams twice the weight
bytes of the BF16 PIM-GPT and GPU runs; say so wherever it is compared.

Every matrix is a contiguous float32 array of shape ``(out, in)`` and every GEMV is
``W @ x``: the orientation the PIM mapper uses (one output row per weight row).
"""

from __future__ import annotations

import os
import time

import numpy as np

from pimsim.config.workload import ModelShape
from pimsim.errors import PimsimError

INIT_STD = 0.02
LN_EPS = 1e-5
_GELU_C = np.float32(np.sqrt(2.0 / np.pi))


def _normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """float32 N(0, INIT_STD^2) drawn directly in float32 (no float64 temporary)."""
    w = rng.standard_normal(shape, dtype=np.float32)
    w *= np.float32(INIT_STD)
    return w


def _layernorm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
    mu = x.mean()
    d = x - mu
    var = np.dot(d, d) / np.float32(x.shape[0])
    return d * (gamma / np.sqrt(var + np.float32(LN_EPS))) + beta


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU, tanh approximation (as GPT-2's ``gelu_new``)."""
    return np.float32(0.5) * x * (np.float32(1.0) + np.tanh(_GELU_C * (x + np.float32(0.044715) * x * x * x)))


class _Layer:
    """One decoder block's parameters and its KV cache, laid out ``(heads, context, d_head)``."""

    def __init__(self, m: ModelShape, rng: np.random.Generator) -> None:
        d, f = m.d_model, m.d_ff
        self.ln1_g, self.ln1_b = np.ones(d, np.float32), np.zeros(d, np.float32)
        self.w_qkv, self.b_qkv = _normal(rng, (3 * d, d)), _normal(rng, (3 * d,))
        self.w_proj, self.b_proj = _normal(rng, (d, d)), _normal(rng, (d,))
        self.ln2_g, self.ln2_b = np.ones(d, np.float32), np.zeros(d, np.float32)
        self.w_fc1, self.b_fc1 = _normal(rng, (f, d)), _normal(rng, (f,))
        self.w_fc2, self.b_fc2 = _normal(rng, (d, f)), _normal(rng, (d,))
        self.k = np.zeros((m.heads, m.context, m.d_head), np.float32)
        self.v = np.zeros((m.heads, m.context, m.d_head), np.float32)


class CpuGpt:
    """A GPT-2-style decoder with random FP32 weights, run token by token with a KV cache.

    ``step(token, position)`` runs one forward pass and returns the logits; positions must be
    fed in order (``position == cache_len``); an earlier position rewinds the cache to it.
    """

    def __init__(self, model: ModelShape, seed: int = 0) -> None:
        self.model = model
        rng = np.random.default_rng(seed)
        self.wte = _normal(rng, (model.vocab, model.d_model))
        self.wpe = _normal(rng, (model.context, model.d_model))
        self.layers = [_Layer(model, rng) for _ in range(model.layers)]
        self.lnf_g, self.lnf_b = np.ones(model.d_model, np.float32), np.zeros(model.d_model, np.float32)
        # GPT-2 ties the LM head to wte; an untied model gets its own (vocab, d_model) matrix
        self.lm_head = self.wte if model.tied_embeddings else _normal(rng, (model.vocab, model.d_model))
        self.scale = np.float32(1.0 / np.sqrt(model.d_head))
        self.cache_len = 0

    def reset(self) -> None:
        """Forget the sequence (the cache contents are overwritten as new tokens arrive)."""
        self.cache_len = 0

    def step(self, token_id: int, position: int) -> np.ndarray:
        """One token through the whole model; returns the ``(vocab,)`` float32 logits."""
        m = self.model
        if not 0 <= token_id < m.vocab:
            raise PimsimError(f"token id {token_id} outside the vocabulary 0..{m.vocab - 1}", where="cpu forward")
        if not 0 <= position <= self.cache_len or position >= m.context:
            raise PimsimError(f"position {position} must be fed in order (next is {self.cache_len}) and be below "
                              f"the context of {m.context}", where="cpu forward")
        n = position + 1
        h, dh = m.heads, m.d_head
        x = self.wte[token_id] + self.wpe[position]
        for L in self.layers:
            a = _layernorm(x, L.ln1_g, L.ln1_b)
            qkv = L.w_qkv @ a
            qkv += L.b_qkv
            q, k, v = qkv.reshape(3, h, dh)
            L.k[:, position] = k
            L.v[:, position] = v
            scores = np.matmul(L.k[:, :n], q[:, :, None])[:, :, 0]  # (heads, n): q.K^T per head
            scores *= self.scale
            scores -= scores.max(axis=1, keepdims=True)
            p = np.exp(scores)
            p /= p.sum(axis=1, keepdims=True)
            ctx = np.matmul(p[:, None, :], L.v[:, :n])[:, 0]  # (heads, d_head): softmax . V
            o = L.w_proj @ ctx.reshape(-1)
            o += L.b_proj
            x = x + o
            a = _layernorm(x, L.ln2_g, L.ln2_b)
            u = L.w_fc1 @ a
            u += L.b_fc1
            o = L.w_fc2 @ _gelu(u)
            o += L.b_fc2
            x = x + o
        self.cache_len = n
        return self.lm_head @ _layernorm(x, self.lnf_g, self.lnf_b)


def blas_info() -> str:
    """A short name of the BLAS numpy uses, e.g. ``scipy-openblas 0.3.27``, or ``unknown``."""
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg["Build Dependencies"]["blas"]
        return f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()
    except Exception:  # older numpy prints instead of returning, or the layout differs
        return "unknown"


def load_avg_1m() -> float | None:
    """The host's 1-minute load average (other processes competing for the cores), if known."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def _check_tokens(model: ModelShape, tokens: int, warmup: int) -> None:
    if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 1:
        raise PimsimError(f"must be an integer of at least 1 (got {tokens!r})", where="--tokens")
    if tokens > model.context:
        raise PimsimError(f"{tokens} tokens exceed the model's context of {model.context}", where="--tokens")
    if warmup < 0:
        raise PimsimError(f"must be 0 or more (got {warmup})", where="warmup")


def measure_cpu(model: ModelShape, tokens: int, warmup: int = 2, seed: int = 0) -> dict:
    """Milliseconds per generated token of :class:`CpuGpt` on this host (wall clock).

    ``warmup`` tokens run first (untimed) and the cache is rewound; then ``tokens`` tokens are
    generated greedily from token 0 at positions ``0..tokens-1``, each timed on its own.
    """
    _check_tokens(model, tokens, warmup)
    gpt = CpuGpt(model, seed=seed)
    token = 0
    for pos in range(min(warmup, model.context)):
        token = int(np.argmax(gpt.step(token, pos)))
    gpt.reset()
    token, times_ms = 0, []
    for pos in range(tokens):
        t0 = time.perf_counter()
        token = int(np.argmax(gpt.step(token, pos)))
        times_ms.append((time.perf_counter() - t0) * 1e3)
    return {
        "ms_per_token": float(np.median(times_ms)),
        "ms_per_token_mean": float(np.mean(times_ms)),
        "tokens": tokens,
        "warmup": warmup,
        "dtype": "fp32",
        "threads": os.cpu_count(),
        "load_avg_1m": load_avg_1m(),
        "numpy": np.__version__,
        "blas": blas_info(),
    }


def _median_s(fn, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def measure_host(quick: bool = False) -> dict:
    """This host's achieved numpy figures for the analytic CPU model (medians of 5 runs).

    Memory: a 256 MB float32 array summed (read) and copied (read + write). GEMV: an FP32
    ``(n, n) @ (n,)`` streaming 256 MB of weights (GFLOP/s and GB/s). GEMM: FP32 ``(n, n) @ (n, n)``.
    Overheads: one tiny numpy op and one 8x8 GEMV, per call. ``quick`` shrinks every size for tests
    (its figures then come from cache, not DRAM).
    """
    mem_mb, n_gemv, n_gemm = (4, 512, 128) if quick else (256, 8192, 2048)
    rng = np.random.default_rng(0)
    a = rng.standard_normal(mem_mb * 2 ** 20 // 4, dtype=np.float32)
    b = np.empty_like(a)
    read_s = _median_s(lambda: a.sum())
    copy_s = _median_s(lambda: np.copyto(b, a))
    del a, b
    w, x = rng.standard_normal((n_gemv, n_gemv), dtype=np.float32), rng.standard_normal(n_gemv, dtype=np.float32)
    gemv_s = _median_s(lambda: w @ x)
    del w
    m1, m2 = (rng.standard_normal((n_gemm, n_gemm), dtype=np.float32) for _ in range(2))
    gemm_s = _median_s(lambda: m1 @ m2)
    t1, t2, t3 = np.ones(4, np.float32), np.ones(4, np.float32), np.empty(4, np.float32)
    w8, x8, calls = np.ones((8, 8), np.float32), np.ones(8, np.float32), 200 if quick else 10_000
    op_s = _median_s(lambda: [np.add(t1, t2, out=t3) for _ in range(calls)])
    small_gemv_s = _median_s(lambda: [w8 @ x8 for _ in range(calls)])
    mem_bytes = mem_mb * 2 ** 20
    return {
        "mem_read_gbps": mem_bytes / read_s / 1e9,
        "mem_copy_gbps": 2 * mem_bytes / copy_s / 1e9,  # bytes read + bytes written
        "gemv_gflops": 2 * n_gemv ** 2 / gemv_s / 1e9,
        "gemv_gbps": 4 * n_gemv ** 2 / gemv_s / 1e9,  # weight bytes streamed
        "gemm_gflops": 2 * n_gemm ** 3 / gemm_s / 1e9,
        "op_overhead_us": op_s / calls * 1e6,
        "small_gemv_us": small_gemv_s / calls * 1e6,
        "sizes": {"mem_mb": mem_mb, "gemv_n": n_gemv, "gemm_n": n_gemm},
        "quick": quick,
        "threads": os.cpu_count(),
        "load_avg_1m": load_avg_1m(),
        "numpy": np.__version__,
        "blas": blas_info(),
    }
