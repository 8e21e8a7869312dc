"""A measured GPU baseline: the forward pass of :mod:`pimsim.baselines.cpu_forward` in BF16 on CUDA.

Owns :func:`measure_gpu`. PyTorch is imported inside the function, so pimsim neither needs nor
loads it unless a GPU is measured. Weights are random (seeded, std 0.02) with the model's shapes,
stored ``(out, in)`` in BF16; every GEMV is ``W @ x``.

The KV cache is static: ``(layers, heads, context, d_head)`` tensors. Each step writes K and V at
its position and attends over a fixed window of the first ``max(warm-up, tokens)`` cache slots with
positions after the current one masked out, so the single-token step has static shapes and can be
captured once in a CUDA graph and replayed per token. The eager path runs the very same step.
Greedy decoding stays on the device (argmax is written back into the token input).

Per-token time is wall clock around each step followed by ``torch.cuda.synchronize()``; the median
is reported. With ``pynvml`` importable, board power is sampled (``nvmlDeviceGetPowerUsage``)
every 5 ms while the generation is repeated for at least ``POWER_MIN_S`` seconds; else watts is None.
"""

from __future__ import annotations

import math
import statistics
import threading
import time

from pimsim.config.workload import ModelShape
from pimsim.errors import PimsimError

INIT_STD = 0.02
WARMUP = 3
POWER_MIN_S = 2.0


def _torch():
    try:
        import torch
    except ImportError:
        torch, version = None, "not installed"
    else:
        version = torch.__version__
    if torch is None or not torch.cuda.is_available():
        raise PimsimError(f"measure-gpu needs PyTorch with a CUDA GPU; none found on this machine (torch: {version})",
                          where="baseline measure-gpu")
    return torch


class _Model:
    def __init__(self, torch, m: ModelShape, window: int, seed: int) -> None:
        self.t, self.m, self.window = torch, m, window
        dev, bf = "cuda", torch.bfloat16
        g = torch.Generator(device=dev).manual_seed(seed)

        def w(*shape):
            return (torch.randn(*shape, generator=g, device=dev, dtype=torch.float32) * INIT_STD).to(bf)

        d, f, L = m.d_model, m.d_ff, m.layers
        self.wte, self.wpe = w(m.vocab, d), w(m.context, d)
        self.lm_head = self.wte if m.tied_embeddings else w(m.vocab, d)
        self.layers = [dict(w_qkv=w(3 * d, d), b_qkv=w(3 * d), w_proj=w(d, d), b_proj=w(d),
                            w_fc1=w(f, d), b_fc1=w(f), w_fc2=w(d, f), b_fc2=w(d),
                            ln1=(torch.ones(d, device=dev, dtype=bf), torch.zeros(d, device=dev, dtype=bf)),
                            ln2=(torch.ones(d, device=dev, dtype=bf), torch.zeros(d, device=dev, dtype=bf)))
                       for _ in range(L)]
        self.lnf = (torch.ones(d, device=dev, dtype=bf), torch.zeros(d, device=dev, dtype=bf))
        self.k = torch.zeros(L, m.heads, m.context, m.d_head, device=dev, dtype=bf)
        self.v = torch.zeros_like(self.k)
        self.token = torch.zeros(1, device=dev, dtype=torch.long)  # static inputs for graph replay
        self.pos = torch.zeros(1, device=dev, dtype=torch.long)
        self.slots = torch.arange(window, device=dev)
        self.scale = 1.0 / math.sqrt(m.d_head)

    def step(self) -> None:
        """One token: reads ``self.token`` at ``self.pos``, writes the greedy next token back."""
        t, m, F = self.t, self.m, self.t.nn.functional
        h, dh, d = m.heads, m.d_head, m.d_model
        x = (self.wte.index_select(0, self.token) + self.wpe.index_select(0, self.pos))[0]
        masked = (self.slots > self.pos)[None, :]  # (1, window): future slots
        for i, p in enumerate(self.layers):
            a = F.layer_norm(x, (d,), *p["ln1"])
            qkv = t.mv(p["w_qkv"], a) + p["b_qkv"]
            q, k, v = qkv.view(3, h, dh)
            self.k[i].index_copy_(1, self.pos, k[:, None, :])
            self.v[i].index_copy_(1, self.pos, v[:, None, :])
            kw, vw = self.k[i, :, :self.window], self.v[i, :, :self.window]
            s = t.bmm(kw, q[:, :, None])[:, :, 0].float() * self.scale  # (heads, window)
            s = s.masked_fill(masked, float("-inf")).softmax(dim=-1).to(kw.dtype)
            ctx = t.bmm(s[:, None, :], vw)[:, 0].reshape(d)
            x = x + t.mv(p["w_proj"], ctx) + p["b_proj"]
            a = F.layer_norm(x, (d,), *p["ln2"])
            u = F.gelu(t.mv(p["w_fc1"], a) + p["b_fc1"], approximate="tanh")
            x = x + t.mv(p["w_fc2"], u) + p["b_fc2"]
        logits = t.mv(self.lm_head, F.layer_norm(x, (d,), *self.lnf))
        self.token.copy_(logits.argmax().view(1))


def _generate(torch, run, model: _Model, tokens: int) -> list[float]:
    """Greedy generation from token 0 at positions 0..tokens-1; per-token wall times in ms."""
    model.token.zero_()
    times = []
    for pos in range(tokens):
        model.pos.fill_(pos)
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        run()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - t0) * 1e3)
    return times


def _power_watts(torch, run, model: _Model, tokens: int):
    try:
        import pynvml
    except ImportError:
        return None
    pynvml.nvmlInit()
    try:
        handle = pynvml.nvmlDeviceGetHandleByIndex(torch.cuda.current_device())
        samples, done = [], threading.Event()

        def sample():
            while not done.is_set():
                samples.append(pynvml.nvmlDeviceGetPowerUsage(handle) / 1e3)  # mW -> W
                time.sleep(0.005)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        t_end = time.perf_counter() + POWER_MIN_S
        while time.perf_counter() < t_end:
            _generate(torch, run, model, tokens)
        done.set()
        thread.join()
        return statistics.fmean(samples) if samples else None
    finally:
        pynvml.nvmlShutdown()


def measure_gpu(model: ModelShape, tokens: int, cuda_graphs: bool = True, seed: int = 0) -> dict:
    """Milliseconds per generated token of the BF16 forward pass on the current CUDA device."""
    torch = _torch()
    if isinstance(tokens, bool) or not isinstance(tokens, int) or not 1 <= tokens <= model.context:
        raise PimsimError(f"must be an integer from 1 to {model.context} (got {tokens!r})", where="--tokens")
    with torch.inference_mode():
        net = _Model(torch, model, window=min(max(WARMUP, tokens), model.context), seed=seed)
        run, graphs = net.step, False
        _generate(torch, run, net, min(WARMUP, model.context))  # eager warm-up: kernels chosen, allocator primed
        if cuda_graphs and hasattr(torch.cuda, "CUDAGraph"):
            stream = torch.cuda.Stream()
            stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(stream):  # warm-up on a side stream, as torch.cuda.graph advises
                net.step()
            torch.cuda.current_stream().wait_stream(stream)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                net.step()
            run, graphs = graph.replay, True
            _generate(torch, run, net, min(WARMUP, model.context))
        times = _generate(torch, run, net, tokens)
        watts = _power_watts(torch, run, net, tokens)
    return {
        "ms_per_token": statistics.median(times),
        "ms_per_token_mean": statistics.fmean(times),
        "tokens": tokens,
        "dtype": "bf16",
        "cuda_graphs": graphs,
        "watts": watts,
        "device": torch.cuda.get_device_name(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
    }
