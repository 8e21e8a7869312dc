"""Analytic GPU/CPU baseline: a roofline time per op plus a fixed launch/framework cost per kernel.

For every op of a forward pass (``pimsim.workload.ops``), in the device's own precision
(``dtype_bytes``):

- ``gemv``: bytes = the weight matrix (``rows x cols``) + the input (``cols``) and output
  (``rows``) vectors; flops = ``2 rows cols``.
- ``attn_score`` / ``attn_value``: bytes = K or V of every cached token (``kv_heads x d_head x
  context``: grouped query heads share it, read once) + the query or output vector (``heads x
  d_head``) + the scores (``heads x context``); flops = ``2 heads d_head context``.
- vector ops and ``kv_write``: bytes = ``elements x groups x dtype_bytes x accesses``, flops =
  ``elements x groups x flops per element``, with the accesses and flops per element of
  :data:`VECTOR_COSTS` (an element-wise kernel reads each input and writes each output once).

Time of one op = ``max(bytes / (bandwidth x bandwidth_efficiency), flops / (peak x
compute_efficiency))``; the op counts as memory-bound when the first term wins, else as
compute-bound. A pass adds ``kernel_overhead_us x (kernels_per_layer x layers +
kernels_per_token)`` (per layer scaled to the model's family, :data:`LAYER_OPS`): at batch 1, eager
PyTorch launches each small kernel from Python, and that
launch and framework time dominates small models (docs/references.md, "Baseline hardware"). The overhead is *added* to the
op time, not overlapped with it: exact on a CPU, where ops run synchronously, and an upper bound
on a GPU, where the host may queue the next launch while a kernel runs.

Energy of a pass = ``active_power_w x op time + idle_power_w x overhead time``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable

from pimsim.baselines.device import DeviceConfig
from pimsim.config.hf_model import hf_fields
from pimsim.config.workload import ModelShape
from pimsim.errors import PimsimError
from pimsim.workload.ops import ATTENTION, GEMV, Op, flops, kv_bytes, weight_bytes

Pass = tuple[int, bool, list[Op]]  # (position, is_prompt, ops), as generation_ops yields them

# kind: (memory accesses per element, flops per element). Accesses count the element-sized reads
# and writes of one kernel; flops are the arithmetic of a straightforward implementation.
VECTOR_COSTS: dict[str, tuple[int, int]] = {
    "layernorm": (4, 8),  # read x, gamma, beta, write y; mean add, sub, square, var add, mul rstd, scale, shift, +eps
    "rmsnorm": (3, 4),  # read x, gamma, write y; square, sum, mul rstd, scale
    "rope": (4, 3),  # read x, cos, sin, write; 2 mul + 1 add per rotated element
    "softmax": (2, 5),  # read scores, write probabilities; max, subtract, exp, sum, divide
    "scale": (2, 1),  # read, write; one multiply by 1/sqrt(d_head)
    "gelu": (2, 8),  # read, write; tanh form: x^3 (2 mul), fma, mul, tanh, add, 2 mul
    "relu": (2, 1),  # read, write; one max
    "swiglu": (3, 5),  # read gate and up, write; silu = x / (1 + exp(-x)) (neg, exp, add, div), * up
    "bias": (3, 1),  # read x and bias, write; one add
    "residual": (3, 1),  # read both branches, write; one add
    "argmax": (1, 1),  # read the logits; one compare each
    "embed": (3, 1),  # read the token row and the position row, write their sum; one add
    "token_embed": (2, 0),  # read the token row, write it (rotary families: no position row)
    "kv_write": (2, 0),  # read this token's K and V, write them into the cache; no arithmetic
}


@dataclass(frozen=True)
class BaselineResult:
    """Time and energy of a baseline over a run's forward passes.

    ``breakdown`` holds seconds by cause: the analytic backend gives ``memory`` (time of
    memory-bound ops), ``compute`` (compute-bound ops) and ``overhead`` (launch/framework); the
    measured backend gives ``measured``. ``energy_source`` says where the power came from.
    """

    device: str
    backend: str
    passes: int
    seconds: float
    joules: float
    per_pass_seconds: list[float]
    breakdown: dict[str, float]
    energy_source: str  # "model" | "measured power" | "assumed power"
    source: str  # citation of the figures the result rests on
    batch: int = 1  # sequences per pass
    ms_per_token: float = field(init=False)  # seconds / passes x 1e3: per step (nan for no passes)
    j_per_token: float = field(init=False)  # joules / (passes x batch) (nan for no passes)

    def __post_init__(self) -> None:
        # No passes is allowed: callers estimate [] to check a device and its data before a long run.
        per = 1.0 / self.passes if self.passes else math.nan
        object.__setattr__(self, "ms_per_token", self.seconds * per * 1e3)
        object.__setattr__(self, "j_per_token", self.joules * per / self.batch)


def op_traffic(op: Op, dtype_bytes: int) -> tuple[int, int]:
    """``(bytes, flops)`` of one op on a device that stores elements in ``dtype_bytes`` bytes. A batch
    of B sequences reads each weight matrix once (one batched kernel); vectors, KV caches and flops
    are B times one sequence's."""
    if op.kind == GEMV:
        return weight_bytes(op, dtype_bytes) + (op.rows + op.cols) * dtype_bytes * op.batch, flops(op)
    if op.kind in ATTENTION:
        vectors = op.heads * (op.d_head + op.context) * dtype_bytes * op.batch
        return kv_bytes(op, dtype_bytes) + vectors, flops(op)
    try:
        accesses, per_element = VECTOR_COSTS[op.kind]
    except KeyError:
        raise PimsimError(f"no analytic cost for op kind {op.kind!r}", where="baselines.analytic",
                          key=op.name) from None
    count = op.elements * op.groups * op.batch
    return count * dtype_bytes * accesses, count * per_element


def op_seconds(op: Op, device: DeviceConfig) -> tuple[float, bool]:
    """``(seconds, memory_bound)`` of one op: the slower of its memory and compute rooflines."""
    nbytes, nflops = op_traffic(op, device.dtype_bytes)
    t_mem = nbytes / (device.memory_bandwidth_gbps * 1e9 * device.bandwidth_efficiency)
    t_cmp = nflops / (device.peak_tflops * 1e12 * device.compute_efficiency)
    return (t_mem, True) if t_mem >= t_cmp else (t_cmp, False)


# Top-level ATen operators per decoder layer of one eager decode step, by Hugging Face family
# (``pimsim baseline host-params --stack torch --model ...`` on a CPU, fp32, transformers 5.25, torch
# 2.13): a device's ``kernels_per_layer`` was derived for GPT-2, and scales by the family's count.
LAYER_OPS = {"gpt2": 39, "opt": 28, "gpt_neox": 42, "llama": 55, "mistral": 57, "qwen2": 55}


def layer_kernels(device: DeviceConfig, model: ModelShape) -> float:
    """Kernels one layer launches: the device's GPT-2 count, scaled to the model's family."""
    if not model.family_changes():
        return device.kernels_per_layer
    try:
        family = hf_fields(model)["model_type"]
    except PimsimError:
        family = "gpt2"  # a shape no family has: counted as GPT-2's layer
    return device.kernels_per_layer * LAYER_OPS[family] / LAYER_OPS["gpt2"]


def overhead_seconds(device: DeviceConfig, model: ModelShape) -> float:
    """Launch/framework time of one forward pass: per-kernel overhead x kernels per pass."""
    kernels = layer_kernels(device, model) * model.layers + device.kernels_per_token
    return kernels * device.kernel_overhead_us * 1e-6


def estimate(device: DeviceConfig, model_name: str, model: ModelShape, passes: Iterable[Pass]) -> BaselineResult:
    """Time and energy of ``passes`` on ``device`` (``model_name`` is unused here)."""
    del model_name
    overhead = overhead_seconds(device, model)
    cache: dict[tuple, tuple[float, bool]] = {}  # identical shapes cost the same: compute once
    memory = compute = joules = 0.0
    per_pass: list[float] = []
    batch = 1
    for _position, _is_prompt, ops in passes:
        t_mem = t_cmp = 0.0
        for op in ops:
            batch = op.batch
            cost = cache.get(op.signature)
            if cost is None:
                cost = cache[op.signature] = op_seconds(op, device)
            if cost[1]:
                t_mem += cost[0]
            else:
                t_cmp += cost[0]
        memory += t_mem
        compute += t_cmp
        per_pass.append(t_mem + t_cmp + overhead)
        joules += device.active_power_w * (t_mem + t_cmp) + device.idle_power_w * overhead
    n = len(per_pass)
    return BaselineResult(
        device=device.name, backend="analytic", passes=n, seconds=sum(per_pass), joules=joules,
        per_pass_seconds=per_pass, breakdown={"memory": memory, "compute": compute, "overhead": overhead * n},
        energy_source="model", source=device.source, batch=batch)
