"""The ``pipelined`` ASIC model: function units built the way a compact accelerator ASIC is built.

Where the ``simd`` model runs every Taylor, Newton and reduction step as its own operation on a
generic vector unit, this one gives each op its own pipelined datapath of ``vector_lanes`` lanes
(L), every BF16 add, multiply or compare one pipeline stage (one ASIC cycle, as in ``simd``):

- an element-wise datapath (bias, residual, scale, GELU's polynomial, exp's Horner chain) takes L
  elements a cycle once full: ``ceil(n / L)`` cycles plus its depth, the length of its dependent
  operation chain (GELU of order 7: 14 stages). More arithmetic per element costs area, not time.
- a reduction accumulates into L lane accumulators as the data passes, then combines the lanes in
  ``tree(m) = ceil(log2 m)`` adder-tree stages (m = ceil(n / ceil(n / L)) filled lanes: the data
  spread evenly over as few lanes as its pass count needs; ``m - 1`` serial steps without
  ``reduction_tree``). Softmax's rows are reduced together, each element tagged with its row
  (a segmented reduction), so a head's short row does not leave lanes idle.
- scalar steps (the LayerNorm statistics, the rsqrt seed and its Newton steps) run in order on a
  scalar unit, one cycle each; a reciprocal per softmax row runs on an L-lane Newton pipeline.
- the first pass of an op consumes its input as it arrives (the results of the GEMV before it, read
  out of the banks unit by unit, or the output of the op before it): the partial-sum reduction, bias,
  residual, scale, GELU, argmax, LayerNorm's statistics and softmax's running maximum. The system
  overlaps that pass with its producer (``sim.system``); the rest (``AsicWork.rest``) follows.
- the closing pass of LayerNorm and of softmax (``AsicWork.out_cycles``) feeds the global-buffer
  write that opens the next GEMV, element by element: that write starts while the pass runs,
  as early as it can without overtaking it (``sim.system``).

Per op (t = tree(n), N = groups * n for softmax, k = exp_taylor_order, r = Newton steps):

=========  ==========================================================  ===========================
op         cycles (stream + depth + rest)                              first pass
=========  ==========================================================  ===========================
reduce     ceil(n*inputs / L) + 1; free for one input                   every partial sum, 1 add
bias etc.  ceil(n / L) + 1                                              1 add (embed, residual too)
scale      ceil(n / L) + 1                                              1 mul
gelu       ceil(n / L) + adds + muls                                    the whole polynomial
argmax     ceil(n / L) + 1 + t                                          compare, lane tree
layernorm  ceil(n / L) + 2 + t  +  7 + 4r  +  ceil(n / L) + 4           x*x, sum x and sum x^2
softmax    ceil(N / L) + 1 + t  +  max(ceil(N / L) + 2 + 2k + t, groups)   running max per row
           +  1 + 3r  +  ceil(n / L) + 1
rmsnorm    ceil(n / L) + 2 + t  +  6 + 4r  +  ceil(n / L) + 2           x*x, sum x^2
swiglu     ceil(n / L) + adds + muls                                    the whole polynomial
relu       ceil(n / L) + 1                                              1 compare
rope       ceil(n / L) + 2                                              mul, add
=========  ==========================================================  ===========================

RMSNorm is LayerNorm without the mean: one statistics pass (sum of x^2), 6 + 4r scalar operations
(E[x^2], + eps, rsqrt seed, 0.5 * v, r Newton steps) and one normalising pass x * rsqrt * gamma.
SwiGLU's SiLU uses GELU's tanh polynomial (``swiglu_ops_per_element``) and multiplies by the up
half in the same chain. RoPE rotates each pair of features by the position's angle (2 muls, 1 add
per element; cos and sin from an SRAM table, an assumption). These run on the LayerNorm, GELU,
comparator and scaling datapaths of ``units`` (RoPE's second multiplier and SwiGLU's gate
multiplier are not in the area model).

LayerNorm takes its statistics in one pass (sum of x and of x^2 together, variance = E[x^2] -
mean^2), then 7 + 4r scalar operations (mean, E[x^2], mean^2, variance, + eps, rsqrt seed, 0.5 * v,
r Newton steps of 3 muls + 1 add), then one normalising pass (x - mean) * rsqrt * gamma + beta.
Softmax: running max (streams), then exp(x - max) by Horner's rule with the row sums accumulated in
the same pass, the reciprocal of each row sum (seed + r steps of mul, sub, mul), one scaling pass.
Rows pipeline through these units: a row's reciprocal starts when its sum is complete (one a cycle:
the last leaves the seed no sooner than ``groups`` cycles into the exp pass), its scaling when its
reciprocal is; after the last row's sum only the Newton depth and the last row's scaling are left.
Operation counts are those of these algorithms (they set the energy); ``sram_bytes`` counts every
pass's vector reads and its output write, 2 bytes per element, as in ``simd``.
"""

from __future__ import annotations

from pimsim.asic.work import NO_WORK, AsicWork, ELEMENT_BYTES, OpWork, ceil_div, count, gelu_ops_per_element, registrar
from pimsim.asic.work import swiglu_ops_per_element
from pimsim.config.pim import AsicConfig

ASIC_OPS: dict[str, OpWork] = {}
_register = registrar(ASIC_OPS)


def tree(n: int, cfg: AsicConfig) -> int:
    """Stages combining the filled lane accumulators of an n-element reduction into one value. The
    elements spread evenly over as few lanes as the pass count allows: ceil(n / ceil(n / L)) lanes
    (130 elements on 129 lanes take 2 cycles either way, so they fill 65 lanes, not 129)."""
    filled = ceil_div(n, ceil_div(n, cfg.vector_lanes))
    return (filled - 1).bit_length() if cfg.reduction_tree else filled - 1


def _stream(n: int, cfg: AsicConfig, depth: int, adds: int = 0, muls: int = 0, compares: int = 0,
            sram: int = 0, rest: int = 0, passes_on: bool = True, out: int = 0) -> AsicWork:
    """Work whose first pass streams n elements through a datapath ``depth`` stages deep."""
    stream = ceil_div(n, cfg.vector_lanes)
    return AsicWork(stream + depth + rest, adds, muls, compares, sram, stream, depth, passes_on, out)


@_register("reduce")
def reduce_partial_sums(n: int, cfg: AsicConfig, *, inputs: int) -> AsicWork:
    """Add ``inputs`` partial-sum vectors as they arrive: every partial passes one adder lane."""
    n, inputs = count("n", n), count("inputs", inputs)
    if inputs == 1:
        return NO_WORK
    return _stream(n * inputs, cfg, 1, adds=n * (inputs - 1), sram=ELEMENT_BYTES * n * (inputs + 1))


def vector_add(n: int, cfg: AsicConfig) -> AsicWork:
    """x + y (bias, residual, token + position embedding): one add stage."""
    n = count("n", n)
    return _stream(n, cfg, 1, adds=n, sram=ELEMENT_BYTES * n * 3)


for _kind in ("bias", "residual", "embed"):
    _register(_kind)(vector_add)


@_register("scale")
def scale(n: int, cfg: AsicConfig) -> AsicWork:
    """x * constant: one multiply stage."""
    n = count("n", n)
    return _stream(n, cfg, 1, muls=n, sram=ELEMENT_BYTES * n * 2)


def _chain(n: int, cfg: AsicConfig, per_element: tuple[int, int], inputs: int) -> AsicWork:
    """An element-wise polynomial whose whole dependent chain of (adds, muls) is the pipeline."""
    adds, muls = per_element
    return _stream(n, cfg, adds + muls, adds=adds * n, muls=muls * n, sram=ELEMENT_BYTES * n * (inputs + 1))


@_register("gelu")
def gelu(n: int, cfg: AsicConfig) -> AsicWork:
    """tanh-GELU: the polynomial's whole dependent chain is the pipeline (simd's operation counts)."""
    return _chain(count("n", n), cfg, gelu_ops_per_element(cfg.gelu_taylor_order), inputs=1)


@_register("argmax")
def argmax(n: int, cfg: AsicConfig) -> AsicWork:
    """Largest logit as the logits arrive: a compare per lane, then the lane tree."""
    n = count("n", n)
    return _stream(n, cfg, 1 + tree(n, cfg), compares=n - 1, sram=ELEMENT_BYTES * n, passes_on=False)


@_register("layernorm")
def layernorm(n: int, cfg: AsicConfig) -> AsicWork:
    """Statistics in one streamed pass, scalar rsqrt, one normalising pass (module docstring)."""
    n, r = count("n", n), cfg.rsqrt_newton_iterations
    scalar_adds, scalar_muls = 3 + r, 4 + 3 * r
    rest = scalar_adds + scalar_muls + ceil_div(n, cfg.vector_lanes) + 4
    return _stream(n, cfg, 2 + tree(n, cfg), adds=2 * (n - 1) + scalar_adds + 2 * n,
                   muls=n + scalar_muls + 2 * n, sram=ELEMENT_BYTES * n * 5, rest=rest, passes_on=False,
                   out=ceil_div(n, cfg.vector_lanes))


@_register("softmax")
def softmax(n: int, cfg: AsicConfig, *, groups: int = 1) -> AsicWork:
    """Running max (streams), exp + row sums in one pass, row reciprocals, one scaling pass."""
    n, groups = count("n", n), count("groups", groups)
    total, k, r, lanes = n * groups, cfg.exp_taylor_order, cfg.reciprocal_newton_iterations, cfg.vector_lanes
    t = tree(total, cfg)
    # rows pipeline through the units: a row's reciprocal starts when its sum is done, its scaling
    # when its reciprocal is; after the last row's sum only the Newton depth and its scaling remain
    # (one reciprocal a cycle: the last leaves no sooner than `groups` cycles into the exp pass)
    last_sum = ceil_div(total, lanes) + 2 + 2 * k + t
    rest = max(last_sum, groups) + 1 + 3 * r + ceil_div(n, lanes) + 1
    adds = total * (1 + k) + (total - groups) + groups * (1 + r)
    muls = total * k + groups * 2 * r + total
    return _stream(total, cfg, 1 + t, adds=adds, muls=muls, compares=total - groups,
                   sram=ELEMENT_BYTES * total * 5, rest=rest, passes_on=False, out=ceil_div(total, lanes))


@_register("rmsnorm")
def rmsnorm(n: int, cfg: AsicConfig) -> AsicWork:
    """Sum of squares streamed, scalar rsqrt, one normalising pass (module docstring)."""
    n, r = count("n", n), cfg.rsqrt_newton_iterations
    scalar_adds, scalar_muls = 2 + r, 2 + 3 * r
    rest = scalar_adds + scalar_muls + ceil_div(n, cfg.vector_lanes) + 2
    return _stream(n, cfg, 2 + tree(n, cfg), adds=(n - 1) + scalar_adds, muls=n + scalar_muls + 2 * n,
                   sram=ELEMENT_BYTES * n * 4, rest=rest, passes_on=False, out=ceil_div(n, cfg.vector_lanes))


@_register("swiglu")
def swiglu(n: int, cfg: AsicConfig) -> AsicWork:
    """silu(gate) * up: the SiLU polynomial and the gate multiply are one pipeline."""
    return _chain(count("n", n), cfg, swiglu_ops_per_element(cfg.gelu_taylor_order), inputs=2)


@_register("relu")
def relu(n: int, cfg: AsicConfig) -> AsicWork:
    """max(x, 0): one compare stage."""
    n = count("n", n)
    return _stream(n, cfg, 1, compares=n, sram=ELEMENT_BYTES * n * 2)


@_register("rope")
def rope(n: int, cfg: AsicConfig) -> AsicWork:
    """Pairs rotated by the position's angle: a multiply stage, then an add stage."""
    n = count("n", n)
    return _stream(n, cfg, 2, adds=n, muls=2 * n, sram=ELEMENT_BYTES * n * 4)


def units(cfg: AsicConfig) -> dict[str, tuple[int, int, int]]:
    """The datapaths this design needs: name -> (BF16 adders, multipliers, comparators)."""
    lanes, k = cfg.vector_lanes, cfg.exp_taylor_order
    gelu_adds, gelu_muls = gelu_ops_per_element(cfg.gelu_taylor_order)
    tree_adders = lanes - 1
    r_rsqrt, r_rec = cfg.rsqrt_newton_iterations, cfg.reciprocal_newton_iterations
    return {
        "partial-sum adders": (lanes, 0, 0),
        "bias adders": (lanes, 0, 0),
        "residual / embedding adders": (lanes, 0, 0),
        "score scaling": (0, lanes, 0),
        "LayerNorm statistics": (2 * lanes + 2 * tree_adders, lanes, 0),
        "LayerNorm normalising": (2 * lanes, 2 * lanes, 0),
        "scalar unit (rsqrt)": (1 + r_rsqrt, 1 + 3 * r_rsqrt, 0),
        "softmax max": (0, 0, lanes + tree_adders),
        "softmax exp + sum": (lanes * (1 + k) + lanes + tree_adders, lanes * k, 0),
        "softmax reciprocal": (1 + r_rec, 2 * r_rec, 0),
        "softmax scaling": (0, lanes, 0),
        "GELU": (lanes * gelu_adds, lanes * gelu_muls, 0),
        "argmax": (0, 0, lanes + tree_adders),
    }
