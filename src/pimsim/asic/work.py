"""What every ASIC model returns: cycles and operation counts of a piece of work, and the helpers
the models share (argument checks, the GELU and SiLU polynomials' operation counts, cycles to seconds).

A model that can consume its input as it arrives (the ``pipelined`` model) also says how: the
throughput cycles of its first pass (``stream_cycles``, the cycles it spends on the whole input at
its lane rate), that pass's pipeline depth (``depth``) and whether its output streams on to the next
op (``passes_on``, element-wise work), and how long its closing element-wise pass runs (``out_cycles``:
the global-buffer write of the next GEMV can start while it runs). The remaining ``cycles - stream_cycles - depth`` run after the
last input element has gone through (scalar steps, later passes). ``stream_cycles == 0``: the work
cannot stream and runs as one block of ``cycles``.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Callable

from pimsim.config.pim import AsicConfig
from pimsim.errors import PimsimError

ELEMENT_BYTES = 2  # BF16 (PIM-GPT's data type, docs/references.md)


@dataclass(frozen=True)
class AsicWork:
    """Cycles and operation counts of a piece of ASIC work."""

    cycles: int  # ASIC clock cycles when run on its own, including pipeline fill
    adds: int  # BF16 additions/subtractions (integer seed tricks count as adds)
    muls: int  # BF16 multiplications
    compares: int  # comparisons (max, argmax)
    sram_bytes: int  # bytes read + written in the ASIC's on-chip buffer
    stream_cycles: int = 0  # streaming models: cycles of the first pass over the whole input; 0: no streaming
    depth: int = 0  # pipeline depth of that first pass (input element in -> its output out)
    passes_on: bool = False  # the output leaves element by element (another op can stream on it)
    out_cycles: int = 0  # cycles of a closing element-wise pass whose output a following global-buffer
                         # write can take as it is produced (LayerNorm's and softmax's last pass)

    @property
    def rest(self) -> int:
        """Cycles after the last input element has left the first pass."""
        return self.cycles - self.stream_cycles - self.depth

    def __add__(self, other: object) -> AsicWork:
        """Sequential composition: cycles add, counts add (the sum no longer streams)."""
        if not isinstance(other, AsicWork):
            return NotImplemented
        return AsicWork(self.cycles + other.cycles, self.adds + other.adds, self.muls + other.muls,
                        self.compares + other.compares, self.sram_bytes + other.sram_bytes)


NO_WORK = AsicWork(0, 0, 0, 0, 0)


def count(name: str, value: object) -> int:
    """An integer >= 1 (element count or shape), else PimsimError."""
    try:
        number = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        number = None
    if number is None or isinstance(value, bool) or number < 1:
        raise PimsimError(f"must be an integer >= 1, got {value!r}", key=name)
    return number


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


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
    Every operation depends on the one before, so the chain is adds + muls long.
    """
    j = (order + 1) // 2
    adds = 1 + (j - 1) + 1
    muls = 3 + (1 if j > 1 else 0) + (j - 1) + 1 + 1
    return adds, muls


def swiglu_ops_per_element(order: int) -> tuple[int, int]:
    """(adds, muls) per element of SwiGLU's ``silu(gate) * up``, SiLU by GELU's tanh polynomial.

    silu(x) = x * sigmoid(x) = x * (0.5 + 0.5 * tanh(z)), z = x / 2:
      z: 0.5 * x                                        -> 1 mul
      0.5 * tanh(z) by the polynomial of gelu_ops_per_element -> (j > 1) + j muls, j - 1 adds
      0.5 + ..., * x, * up                              -> 1 add, 2 muls
    Total: adds = j; muls = j + 4 if j > 1 else 4 (order 5: 3 adds, 7 muls), one dependent chain.
    """
    j = (order + 1) // 2
    adds = (j - 1) + 1
    muls = 1 + (1 if j > 1 else 0) + (j - 1) + 1 + 2
    return adds, muls


def asic_cycles_to_seconds(cycles: int, cfg: AsicConfig) -> float:
    """ASIC cycles at clock_mhz to seconds."""
    if cycles < 0:
        raise PimsimError(f"cycles must be >= 0, got {cycles}")
    return cycles / (cfg.clock_mhz * 1e6)


OpWork = Callable[..., AsicWork]  # (n, cfg, **shape) -> AsicWork


def registrar(table: dict[str, OpWork]) -> Callable[[str], Callable[[OpWork], OpWork]]:
    """A decorator factory that files an op's work function under its kind in ``table``."""
    def register(kind: str) -> Callable[[OpWork], OpWork]:
        def add(fn: OpWork) -> OpWork:
            table[kind] = fn
            return fn
        return add
    return register
