"""The simd ASIC model (a generic vector unit): exact cycles and op counts derived by hand from the formulas.

Small config unless stated: L = 4 lanes, F = 3 fill cycles, adder tree,
exp order 4, GELU order 5, reciprocal Newton 2, rsqrt Newton 3.
Reduction of n: ceil(n/L) + ceil(log2(min(n, L))) + F; element-wise pass with
p ops per element: ceil(n*p/L) + F; scalar op: 1 cycle.
"""

from __future__ import annotations

import pytest

from pimsim.asic.models import asic_work
from pimsim.asic.simd import ASIC_OPS
from pimsim.asic.work import AsicWork, asic_cycles_to_seconds, gelu_ops_per_element, swiglu_ops_per_element
from pimsim.config.pim import AsicConfig
from tests.conftest import small_asic
from pimsim.errors import PimsimError


def asic(**overrides) -> AsicConfig:
    return small_asic(overrides.pop("model", "simd"), **overrides)


CFG = asic()
SHAPES = {"reduce": {"inputs": 3}, "softmax": {"groups": 2}}


def test_reduce_adds_inputs_minus_one_per_element():
    # n=8, inputs=3: p=2 -> ceil(16/4)=4 + F3 = 7; adds 8*2=16; SRAM (3 reads + 1 write)*8*2 B = 64
    assert asic_work("reduce", 8, CFG, inputs=3) == AsicWork(7, 16, 0, 0, 64)


def test_reduce_of_one_input_is_free():
    assert asic_work("reduce", 8, CFG, inputs=1) == AsicWork(0, 0, 0, 0, 0)


@pytest.mark.parametrize("kind", ["bias", "residual", "embed"])
def test_vector_add_kinds_are_one_pass_one_add_per_element(kind):
    # n=10: ceil(10/4)=3 + F3 = 6; adds 10; SRAM (2 reads + 1 write)*10*2 B = 60
    assert asic_work(kind, 10, CFG) == AsicWork(6, 10, 0, 0, 60)


def test_scale_is_one_mul_per_element():
    # n=10: ceil(10/4)=3 + 3 = 6; muls 10; SRAM (1 read + 1 write)*10*2 = 40
    assert asic_work("scale", 10, CFG) == AsicWork(6, 0, 10, 0, 40)


def test_argmax_is_one_compare_reduction():
    # n=10: ceil(10/4)=3 + ceil(log2 4)=2 + 3 = 8; compares 9; SRAM read only 10*2 = 20
    assert asic_work("argmax", 10, CFG) == AsicWork(8, 0, 0, 9, 20)


@pytest.mark.parametrize("n, cycles", [(1, 4), (2, 5), (3, 6), (4, 6)])
def test_reduction_shorter_than_lanes_combines_only_filled_lanes(n, cycles):
    # ceil(n/4)=1 + ceil(log2 n) + 3: n=1 -> 1+0+3, n=2 -> 1+1+3, n=3 -> 1+2+3, n=4 -> 1+2+3
    assert asic_work("argmax", n, CFG).cycles == cycles


def test_serial_reduction_combines_lanes_one_step_each():
    # n=10, serial: 3 + (4-1) + 3 = 9
    assert asic_work("argmax", 10, asic(reduction_tree=False)).cycles == 9


def test_layernorm_hand_count():
    # n=8, rsqrt Newton r=3.
    # sum(x): reduction 2+2+3 = 7, 7 adds, 16 B
    # mean = sum/n: scalar 1 mul, 1 cycle
    # d = x-mean, d*d: pass p=2 -> ceil(16/4)+3 = 7; 8 adds, 8 muls; 32 B
    # sum(d^2): 7 cycles, 7 adds, 16 B
    # var mul + eps add + seed add + half mul: 4 cycles (2 adds, 2 muls)
    # Newton: 3 * (3 muls + 1 add) = 12 cycles
    # normalise: pass p=4 -> ceil(32/4)+3 = 11; 16 adds, 16 muls; (3 reads + 1 write)*16 B = 64 B
    # cycles 7+1+7+7+4+12+11 = 49; adds 7+8+7+2+3+16 = 43 (= 5n + r);
    # muls 1+8+2+9+16 = 36 (= 3n + 3 + 3r); SRAM 16+32+16+64 = 128 (= 16n)
    assert asic_work("layernorm", 8, CFG) == AsicWork(49, 43, 36, 0, 128)


def test_softmax_hand_count_two_groups():
    # n=8, k=4, reciprocal Newton r=2; per row:
    # max: reduction 7 cycles, 7 compares, 16 B
    # x-max then exp Horner: p = 1 + 2k = 9 -> ceil(72/4)+3 = 21; adds 8*5=40, muls 8*4=32; 32 B
    # sum: 7 cycles, 7 adds, 16 B
    # reciprocal: seed 1 add + 2*(2 muls + 1 add) = 7 cycles; 3 adds, 4 muls
    # e * (1/sum): ceil(8/4)+3 = 5; 8 muls; 32 B
    # row: cycles 47, adds 50, muls 44, compares 7, SRAM 96; two rows double it
    assert asic_work("softmax", 8, CFG, groups=2) == AsicWork(94, 100, 88, 14, 192)
    assert asic_work("softmax", 8, CFG) == AsicWork(47, 50, 44, 7, 96)


@pytest.mark.parametrize("order, adds, muls", [(1, 2, 5), (2, 2, 5), (3, 3, 7), (5, 4, 8), (7, 5, 9)])
def test_gelu_ops_per_element_follow_odd_polynomial_terms(order, adds, muls):
    # j = (order+1)//2 odd terms; adds j+1; muls j+5 (j>1) or 5 (j=1: no z^2 needed)
    assert gelu_ops_per_element(order) == (adds, muls)


def test_gelu_hand_count():
    # order 5: 4 adds + 8 muls = 12 ops; n=8: ceil(96/4)+3 = 27; adds 32, muls 64; SRAM 2*8*2 = 32
    assert asic_work("gelu", 8, CFG) == AsicWork(27, 32, 64, 0, 32)


@pytest.mark.parametrize("kind", sorted(ASIC_OPS))
@pytest.mark.parametrize("n", [1, 2, 3, 5, 17, 64, 100, 1000, 50257])
def test_doubling_lanes_never_increases_cycles(kind, n):
    shape = SHAPES.get(kind, {})
    previous = None
    for lanes in (1, 2, 4, 8, 16, 32, 64, 128, 256):
        cycles = asic_work(kind, n, asic(vector_lanes=lanes), **shape).cycles
        assert previous is None or cycles <= previous, (kind, n, lanes)
        previous = cycles


def test_serial_combine_grows_with_lanes_when_lanes_are_full():
    # Serial mode is the exception: n=8, L=4 -> 2 + 3 + 3 = 8; L=8 -> 1 + 7 + 3 = 11.
    assert asic_work("argmax", 8, asic(reduction_tree=False)).cycles == 8
    assert asic_work("argmax", 8, asic(reduction_tree=False, vector_lanes=8)).cycles == 11


@pytest.mark.parametrize("kind, ops", [("bias", 1), ("residual", 1), ("embed", 1), ("scale", 1),
                                       ("gelu", 12), ("reduce", 2)])
def test_elementwise_cycles_are_linear_in_n(kind, ops):
    # n = m * L: cycles = m * ops + F exactly
    for m in (1, 2, 3, 10, 250):
        assert asic_work(kind, m * 4, CFG, **SHAPES.get(kind, {})).cycles == m * ops + 3


def test_unknown_kind_names_known_kinds():
    with pytest.raises(PimsimError) as err:
        asic_work("sofmax", 8, CFG)
    for kind in ASIC_OPS:
        assert kind in str(err.value)


@pytest.mark.parametrize("n", [0, -1, 2.5, True, "8"])
def test_n_must_be_a_positive_integer(n):
    for kind in ASIC_OPS:
        with pytest.raises(PimsimError):
            asic_work(kind, n, CFG, **SHAPES.get(kind, {}))


def test_shape_keys_are_checked():
    with pytest.raises(PimsimError, match="groups"):
        asic_work("bias", 8, CFG, groups=2)
    with pytest.raises(PimsimError, match="inputs"):
        asic_work("reduce", 8, CFG)
    with pytest.raises(PimsimError):
        asic_work("reduce", 8, CFG, inputs=0)
    with pytest.raises(PimsimError):
        asic_work("softmax", 8, CFG, groups=0)


def test_asic_work_addition_is_sequential_composition():
    a = AsicWork(cycles=5, adds=1, muls=2, compares=3, sram_bytes=4)
    b = AsicWork(cycles=10, adds=20, muls=30, compares=40, sram_bytes=50)
    assert a + b == AsicWork(15, 21, 32, 43, 54)
    with pytest.raises(TypeError):
        a + 1


def test_cycles_to_seconds_uses_clock():
    assert asic_cycles_to_seconds(1000, CFG) == pytest.approx(1e-6)
    assert asic_cycles_to_seconds(500, asic(clock_mhz=500.0)) == pytest.approx(1e-6)


# -- the other decoder families' ops (n=8, L=4, F=3, r=3, SiLU by GELU's order-5 polynomial) --------
def test_swiglu_ops_per_element_reuse_the_gelu_polynomial():
    # silu(x) = x (0.5 + 0.5 tanh(x/2)): x/2, the polynomial (w, 2 Horner, * z), + 0.5, * x, * up
    assert swiglu_ops_per_element(5) == (3, 7) and swiglu_ops_per_element(1) == (1, 4)
    assert swiglu_ops_per_element(7) == (4, 8)


def test_rmsnorm_hand_count():
    # x*x pass: 2 + 3 = 5 (8 muls, SRAM 32); sum: 2 + tree 2 + 3 = 7 (7 adds, SRAM 16); scalar
    # * 1/n, + eps: 2; rsqrt: seed 1 + 3 Newton steps -> 4 adds, 10 muls: 14; x * r * gamma:
    # ceil(16/4) + 3 = 7 (16 muls, SRAM 48). Total 35 cycles, 12 adds, 35 muls, SRAM 96
    assert asic_work("rmsnorm", 8, CFG) == AsicWork(35, 12, 35, 0, 96)


def test_swiglu_relu_and_rope_hand_counts():
    assert asic_work("swiglu", 8, CFG) == AsicWork(23, 24, 56, 0, 48)  # ceil(80/4) + 3; reads gate and up
    assert asic_work("relu", 8, CFG) == AsicWork(5, 0, 0, 8, 32)  # ceil(8/4) + 3, one compare each
    assert asic_work("rope", 8, CFG) == AsicWork(9, 8, 16, 0, 64)  # ceil(24/4) + 3; reads x, cos, sin
