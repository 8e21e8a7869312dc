"""The ``simd`` ASIC model: a generic vector unit doing one BF16 operation per lane per cycle.

Every non-GEMV op in ASIC clock cycles. Owns its formulas; pure functions of (element count, AsicConfig, shape), no
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

from pimsim.asic.work import NO_WORK, AsicWork, ELEMENT_BYTES, ceil_div as _ceil_div, count as _count
from pimsim.asic.work import OpWork, gelu_ops_per_element, registrar, swiglu_ops_per_element
from pimsim.config.pim import AsicConfig


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


ASIC_OPS: dict[str, OpWork] = {}
_register = registrar(ASIC_OPS)


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


@_register("gelu")
def gelu(n: int, cfg: AsicConfig) -> AsicWork:
    """tanh-approximation GELU: one pass, see gelu_ops_per_element for the counts."""
    adds, muls = gelu_ops_per_element(cfg.gelu_taylor_order)
    return _elementwise(_count("n", n), cfg, adds=adds, muls=muls, reads=1)


@_register("argmax")
def argmax(n: int, cfg: AsicConfig) -> AsicWork:
    """Index of the largest logit: one reduction pass of n - 1 compares."""
    return _reduction(_count("n", n), cfg, compare=True)


@_register("rmsnorm")
def rmsnorm(n: int, cfg: AsicConfig) -> AsicWork:
    """x * rsqrt(mean(x^2) + eps) * gamma: LayerNorm without the mean and the shift.

    1. pass: x * x (1 mul per element), writes x^2. 2. sum(x^2) (reduction); scalar: * (1/n)
    (1 mul), + eps (1 add). 3. scalar rsqrt as in layernorm. 4. pass: x * r * gamma (2 muls per
    element), reads x and gamma.
    """
    n = _count("n", n)
    newton = cfg.rsqrt_newton_iterations
    return (_elementwise(n, cfg, adds=0, muls=1, reads=1) + _reduction(n, cfg)
            + _scalar(adds=1, muls=1) + _scalar(adds=1 + newton, muls=1 + 3 * newton)
            + _elementwise(n, cfg, adds=0, muls=2, reads=2))


@_register("swiglu")
def swiglu(n: int, cfg: AsicConfig) -> AsicWork:
    """silu(gate) * up over the n outputs: one pass reading both halves (swiglu_ops_per_element)."""
    adds, muls = swiglu_ops_per_element(cfg.gelu_taylor_order)
    return _elementwise(_count("n", n), cfg, adds=adds, muls=muls, reads=2)


@_register("relu")
def relu(n: int, cfg: AsicConfig) -> AsicWork:
    """max(x, 0): one pass of one compare per element."""
    n = _count("n", n)
    return AsicWork(_ceil_div(n, cfg.vector_lanes) + cfg.pipeline_fill_cycles, 0, 0, n, ELEMENT_BYTES * n * 2)


@_register("rope")
def rope(n: int, cfg: AsicConfig) -> AsicWork:
    """Rotary embedding of the n rotated features of q and k: each pair (a, b) becomes
    (a cos - b sin, a sin + b cos), 2 muls + 1 add per element; reads x and the position's
    cos and sin (a table in SRAM, shared by the heads: assumption)."""
    return _elementwise(_count("n", n), cfg, adds=1, muls=2, reads=3)


def units(cfg: AsicConfig) -> dict[str, tuple[int, int, int]]:
    """The datapaths this design needs: name -> (BF16 adders, multipliers, comparators)."""
    lanes = cfg.vector_lanes
    return {
        "vector lanes (one ALU each)": (lanes, lanes, lanes),
        "lane reduction tree": (lanes - 1 if cfg.reduction_tree else 0, 0, 0),
        "scalar unit": (1, 1, 0),
    }
