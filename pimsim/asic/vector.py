"""Latency and operation counts of every non-GEMV op, in ASIC clock cycles.

Owns the formulas; pure functions of (element count, AsicConfig, shape), no
simulation and no time other than cycles. PIM-GPT (arXiv 2310.09385, second-hand
summary in docs/references.md, "PIM-GPT"): the ASIC does softmax exp and
GELU by Taylor series, division by a Newton-Raphson reciprocal and LayerNorm's
inverse square root by the fast-inverse-square-root trick plus Newton steps.

Cycle model, one set of rules for every kind (L = vector_lanes,
F = pipeline_fill_cycles; every lane does one BF16 add, mul or compare a cycle):

- element-wise pass over n elements with p operations each:
  ceil(n * p / L) + F cycles.
- reduction of n elements to one (sum, max, argmax): ceil(n / L) cycles to
  fold the data into min(n, L) lane partials, then combining those partials:
  ceil(log2(min(n, L))) adder-tree stages if reduction_tree, else
  min(n, L) - 1 serial steps; plus F. n - 1 operations. (Using min(n, L) rather
  than L: an input shorter than the lanes leaves lanes empty, and the
  combine is cut short; assumption, so that more lanes never cost more in tree mode.)
- scalar work (the mean and variance scalings, Newton steps, reciprocal and
  rsqrt seeds) runs on one scalar unit in order: one cycle per operation,
  no fill (it is not a sweep over the data).
- passes are not fused: a reduction is its own pass and re-reads its input
  from SRAM; the element-wise operations between two reductions form one pass.

sram_bytes: every pass reads each of its input vectors once and writes its
output vector once, 2 bytes per BF16 element (constants and scalars live in
registers: 0 bytes). A reduction writes nothing (its result is a scalar).
Work for G independent softmax rows is G times the work of one row.
"""

from __future__ import annotations

import inspect
import operator
from dataclasses import dataclass
from typing import Callable

from pimsim.config.pim import AsicConfig
from pimsim.errors import PimsimError

ELEMENT_BYTES = 2  # BF16 (PIM-GPT's data type, reference section 1)


@dataclass(frozen=True)
class AsicWork:
    """Cycles and operation counts of a piece of ASIC work."""

    cycles: int  # ASIC clock cycles, including pipeline fill
    adds: int  # BF16 additions/subtractions (integer seed tricks count as adds)
    muls: int  # BF16 multiplications
    compares: int  # comparisons (max, argmax)
    sram_bytes: int  # bytes read + written in the ASIC's on-chip buffer

    def __add__(self, other: object) -> AsicWork:
        """Sequential composition: cycles add, counts add."""
        if not isinstance(other, AsicWork):
            return NotImplemented
        return AsicWork(self.cycles + other.cycles, self.adds + other.adds, self.muls + other.muls,
                        self.compares + other.compares, self.sram_bytes + other.sram_bytes)


NO_WORK = AsicWork(0, 0, 0, 0, 0)


def _count(name: str, value: object) -> int:
    """An integer >= 1 (element count or shape), else PimsimError."""
    try:
        number = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        number = None
    if number is None or isinstance(value, bool) or number < 1:
        raise PimsimError(f"must be an integer >= 1, got {value!r}", key=name)
    return number


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _elementwise(n: int, cfg: AsicConfig, adds: int, muls: int, reads: int) -> AsicWork:
    """One pass: adds + muls operations per element, `reads` input vectors, one output."""
    cycles = _ceil_div(n * (adds + muls), cfg.vector_lanes) + cfg.pipeline_fill_cycles
    return AsicWork(cycles, adds * n, muls * n, 0, ELEMENT_BYTES * n * (reads + 1))


def _reduction(n: int, cfg: AsicConfig, compare: bool = False) -> AsicWork:
    """One pass folding n elements into a scalar: n - 1 adds (or compares)."""
    partials = min(n, cfg.vector_lanes)
    combine = (partials - 1).bit_length() if cfg.reduction_tree else partials - 1  # ceil(log2) or serial
    cycles = _ceil_div(n, cfg.vector_lanes) + combine + cfg.pipeline_fill_cycles
    ops = n - 1
    return AsicWork(cycles, 0 if compare else ops, 0, ops if compare else 0, ELEMENT_BYTES * n)


def _scalar(adds: int = 0, muls: int = 0) -> AsicWork:
    """Dependent scalar operations: one cycle each, registers only."""
    return AsicWork(adds + muls, adds, muls, 0, 0)


def _repeat(work: AsicWork, times: int) -> AsicWork:
    return AsicWork(work.cycles * times, work.adds * times, work.muls * times,
                    work.compares * times, work.sram_bytes * times)


ASIC_OPS: dict[str, Callable[..., AsicWork]] = {}


def _register(kind: str) -> Callable[[Callable[..., AsicWork]], Callable[..., AsicWork]]:
    def add(fn: Callable[..., AsicWork]) -> Callable[..., AsicWork]:
        ASIC_OPS[kind] = fn
        return fn
    return add


@_register("reduce")
def reduce_partial_sums(n: int, cfg: AsicConfig, *, inputs: int) -> AsicWork:
    """Add `inputs` partial-sum vectors (a matrix row split over DRAM rows/channels).

    One pass, inputs - 1 adds per element, reads inputs vectors, writes one.
    inputs == 1 is free: the single vector already is the result.
    """
    n, inputs = _count("n", n), _count("inputs", inputs)
    return NO_WORK if inputs == 1 else _elementwise(n, cfg, adds=inputs - 1, muls=0, reads=inputs)


def vector_add(n: int, cfg: AsicConfig) -> AsicWork:
    """x + y (bias add, residual add, token + position embedding): one pass, 1 add per
    element, reads both vectors."""
    return _elementwise(_count("n", n), cfg, adds=1, muls=0, reads=2)


for _kind in ("bias", "residual", "embed"):
    _register(_kind)(vector_add)


@_register("scale")
def scale(n: int, cfg: AsicConfig) -> AsicWork:
    """x * constant (attention scores by 1/sqrt(d_head)): one pass, 1 mul per element."""
    return _elementwise(_count("n", n), cfg, adds=0, muls=1, reads=1)


@_register("layernorm")
def layernorm(n: int, cfg: AsicConfig) -> AsicWork:
    """(x - mean) * rsqrt(var + eps) * gamma + beta; four passes plus scalar work.

    1. sum(x) (reduction); scalar: mean = sum * (1/n), 1 mul.
    2. pass: d = x - mean, d * d (1 add + 1 mul per element), writes d^2.
    3. sum(d^2) (reduction); scalar: var = sum * (1/n) (1 mul), var + eps (1 add).
    4. scalar rsqrt: seed by the integer trick (1 add), half = 0.5 * v (1 mul),
       then rsqrt_newton_iterations steps y = y * (1.5 - half * y * y):
       3 muls + 1 add each.
    5. pass: (x - mean) * r * gamma + beta (2 adds + 2 muls per element),
       reads x, gamma, beta.
    """
    n = _count("n", n)
    newton = cfg.rsqrt_newton_iterations
    return (_reduction(n, cfg) + _scalar(muls=1)
            + _elementwise(n, cfg, adds=1, muls=1, reads=1)
            + _reduction(n, cfg) + _scalar(adds=1, muls=1)
            + _scalar(adds=1 + newton, muls=1 + 3 * newton)
            + _elementwise(n, cfg, adds=2, muls=2, reads=3))


@_register("softmax")
def softmax(n: int, cfg: AsicConfig, *, groups: int = 1) -> AsicWork:
    """Softmax over `groups` independent rows of n elements (heads x context).

    Per row, with k = exp_taylor_order:
    1. max(x) (reduction by compares: n - 1).
    2. pass: x - max, then exp by its order-k Taylor series by Horner's rule
       (k muls + k adds): 1 + k adds and k muls per element.
    3. sum(e) (reduction: n - 1 adds).
    4. scalar reciprocal: seed by the integer trick (1 add), then
       reciprocal_newton_iterations steps y = y * (2 - s * y): 2 muls + 1 add each.
    5. pass: e * (1 / sum): 1 mul per element.
    """
    n, groups = _count("n", n), _count("groups", groups)
    k, newton = cfg.exp_taylor_order, cfg.reciprocal_newton_iterations
    row = (_reduction(n, cfg, compare=True)
           + _elementwise(n, cfg, adds=1 + k, muls=k, reads=1)
           + _reduction(n, cfg)
           + _scalar(adds=1 + newton, muls=2 * newton)
           + _elementwise(n, cfg, adds=0, muls=1, reads=1))
    return _repeat(row, groups)


def gelu_ops_per_element(order: int) -> tuple[int, int]:
    """(adds, muls) per element of tanh-GELU with tanh by an odd polynomial of `order`.

    gelu(x) = x * (0.5 + 0.5 * tanh(z)), z = x * (a + b * x^2), a = sqrt(2/pi),
    b = 0.044715 * a (constants folded):
      z: x*x, b*x^2, + a, * x                          -> 3 muls, 1 add
      0.5 * tanh(z) = z * P(w), w = z*z, P of degree j - 1 in w, j = (order + 1) // 2
        odd terms (z, z^3, ... z^(2j-1)), the 0.5 folded into P's coefficients;
        w (1 mul, only if j > 1), Horner (j - 1 muls, j - 1 adds), * z (1 mul)
      0.5 + ..., then * x                              -> 1 add, 1 mul
    Total: adds = j + 1; muls = j + 5 if j > 1 else 5. (order 5: 4 adds, 8 muls.)
    """
    j = (order + 1) // 2
    adds = 1 + (j - 1) + 1
    muls = 3 + (1 if j > 1 else 0) + (j - 1) + 1 + 1
    return adds, muls


@_register("gelu")
def gelu(n: int, cfg: AsicConfig) -> AsicWork:
    """tanh-approximation GELU: one pass, see gelu_ops_per_element for the counts."""
    adds, muls = gelu_ops_per_element(cfg.gelu_taylor_order)
    return _elementwise(_count("n", n), cfg, adds=adds, muls=muls, reads=1)


@_register("argmax")
def argmax(n: int, cfg: AsicConfig) -> AsicWork:
    """Index of the largest logit: one reduction pass of n - 1 compares."""
    return _reduction(_count("n", n), cfg, compare=True)


def asic_work(kind: str, n: int, cfg: AsicConfig, **shape: int) -> AsicWork:
    """Work of op `kind` on n elements; unknown kinds or shape keys are PimsimErrors."""
    fn = ASIC_OPS.get(kind)
    if fn is None:
        raise PimsimError(f"unknown ASIC op kind {kind!r} (known: {', '.join(sorted(ASIC_OPS))})")
    params = list(inspect.signature(fn).parameters.values())[2:]  # after n, cfg
    accepted = [p.name for p in params]
    for key in shape:
        if key not in accepted:
            raise PimsimError(f"unknown shape key for {kind!r} (accepted: {', '.join(accepted) or 'none'})",
                              key=key)
    for p in params:
        if p.default is inspect.Parameter.empty and p.name not in shape:
            raise PimsimError(f"op {kind!r} needs shape key {p.name!r}", key=p.name)
    return fn(n, cfg, **shape)


def asic_cycles_to_seconds(cycles: int, cfg: AsicConfig) -> float:
    """ASIC cycles at clock_mhz to seconds."""
    if cycles < 0:
        raise PimsimError(f"cycles must be >= 0, got {cycles}")
    return cycles / (cfg.clock_mhz * 1e6)
