"""The pipelined ASIC model: hand-derived cycles and counts, and how its streaming meets the system.

Small config unless stated: L = 4 lanes, adder tree, exp order 4, GELU order 5, reciprocal
Newton 2, rsqrt Newton 3. A streamed first pass over n elements takes ceil(n/L) cycles plus its
depth (one stage per dependent BF16 operation); tree(m) = ceil(log2(min(m, L))).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pimsim.asic.models import asic_work
from pimsim.asic.pipelined import ASIC_OPS
from pimsim.asic.work import AsicWork
from pimsim.config import load_hwconfig
from pimsim.config.pim import AsicConfig
from tests.conftest import small_asic
from pimsim.config.workload import resolve_workload
from pimsim.errors import PimsimError
from pimsim.mapping.macro import GbWrite, MacRows, readout_profile
from pimsim.sim.generation import simulate_generation
from pimsim.sim.system import AsicStep, PimStep, System

HW = "hwconfigs/pimgpt.yaml"


def asic(**overrides) -> AsicConfig:
    return small_asic(overrides.pop("model", "pipelined"), **overrides)


CFG = asic()
SHAPES = {"reduce": {"inputs": 3}, "softmax": {"groups": 2}}


def test_partial_sums_stream_through_one_adder_stage():
    # n=8, 3 inputs: 24 partials / 4 lanes = 6 + depth 1 = 7; adds 8*2; SRAM (3 + 1)*8*2 = 64
    assert asic_work("reduce", 8, CFG, inputs=3) == AsicWork(7, 16, 0, 0, 64, 6, 1, True)
    assert asic_work("reduce", 8, CFG, inputs=1) == AsicWork(0, 0, 0, 0, 0)


@pytest.mark.parametrize("kind", ["bias", "residual", "embed"])
def test_vector_adds_stream_through_one_stage(kind):
    # n=10: ceil(10/4)=3 + 1; adds 10; SRAM (2 reads + 1 write)*10*2 = 60
    assert asic_work(kind, 10, CFG) == AsicWork(4, 10, 0, 0, 60, 3, 1, True)


def test_scale_streams_through_one_multiplier():
    assert asic_work("scale", 10, CFG) == AsicWork(4, 0, 10, 0, 40, 3, 1, True)


def test_gelu_pipeline_is_as_deep_as_its_operation_chain():
    # order 5: 4 adds + 8 muls, all dependent -> depth 12; n=8: 2 + 12 = 14; SRAM 2*8*2 = 32
    assert asic_work("gelu", 8, CFG) == AsicWork(14, 32, 64, 0, 32, 2, 12, True)


def test_argmax_streams_then_combines_the_lanes():
    # n=10: 3 + (1 compare + tree(4) = 2) = 6; compares 9; SRAM 20; its output is one index
    assert asic_work("argmax", 10, CFG) == AsicWork(6, 0, 0, 9, 20, 3, 3, False)


def test_layernorm_hand_count():
    # n=8, r=3. Stream: x*x, sum x and sum x^2: ceil(8/4)=2, depth mul 1 + add 1 + tree 2 = 4.
    # Scalar: mean, E[x^2], mean^2 (3 muls), var, + eps, seed (3 adds), 0.5*v (1 mul),
    #   3 Newton steps (3 muls + 1 add each): 6 adds + 13 muls = 19 cycles.
    # Normalise (x - mean) * r * gamma + beta: 2 + depth 4 = 6. Rest 25; total 2 + 4 + 25 = 31.
    # adds 2*7 (two sums) + 6 + 16 = 36; muls 8 + 13 + 16 = 37; SRAM 2*8*2 + 4*8*2 = 80
    assert asic_work("layernorm", 8, CFG) == AsicWork(31, 36, 37, 0, 80, 2, 4, False, out_cycles=2)


def test_softmax_hand_count_two_rows_share_the_lanes():
    # n=8, 2 rows: N = 16 elements, t = tree(16) = 2, k=4, r=2.
    # max: ceil(16/4)=4, depth 1 + 2 = 3 (streams); 14 compares
    # exp + sums: 4 + (sub 1 + Horner 2*4 + acc 1) + t 2 = 16; adds 16 + 64 + 14, muls 64
    # reciprocals keep pace (2 rows, 16 cycles): seed 1 + 2*3 = 7 after the last sum; adds 2*3, muls 2*4
    # the last row's scaling: ceil(8/4) + 1 = 3; muls 16.  Rest 16 + 7 + 3 = 26; total 4 + 3 + 26 = 33
    # adds 80 + 14 + 6 = 100; muls 64 + 8 + 16 = 88; SRAM 5 * 16 * 2 = 160
    assert asic_work("softmax", 8, CFG, groups=2) == AsicWork(33, 100, 88, 14, 160, 4, 3, False, out_cycles=4)


def test_softmax_reciprocals_fall_behind_when_there_are_more_rows_than_cycles():
    # n=1, 40 rows, L=64: N=40 in 1 cycle, t = tree(40) = 6; max + exp: 1 + 7 and 1 + 2 + 8 + 6 = 17
    # cycles to the last sum, but 40 reciprocals take 40: 1 + 7 + 40 + (1 + 6) + (1 + 1) = 57
    assert asic_work("softmax", 1, asic(vector_lanes=64), groups=40).cycles == 57


def test_pipelined_does_the_same_arithmetic_as_simd_where_the_algorithm_is_the_same():
    simd = asic(model="simd")
    for kind in ("bias", "residual", "embed", "scale", "gelu", "argmax"):
        a, b = asic_work(kind, 100, CFG), asic_work(kind, 100, simd)
        assert (a.adds, a.muls, a.compares, a.sram_bytes) == (b.adds, b.muls, b.compares, b.sram_bytes), kind


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(sorted(ASIC_OPS)), n=st.integers(1, 100_000), lanes=st.integers(1, 512),
       groups=st.integers(1, 64), inputs=st.integers(1, 8))
def test_more_lanes_never_cost_more_cycles(kind, n, lanes, groups, inputs):
    shape = {"reduce": {"inputs": inputs}, "softmax": {"groups": groups}}.get(kind, {})
    fewer = asic_work(kind, n, asic(vector_lanes=lanes), **shape)
    more = asic_work(kind, n, asic(vector_lanes=lanes + 1), **shape)
    doubled = asic_work(kind, n, asic(vector_lanes=2 * lanes), **shape)
    assert more.cycles <= fewer.cycles and doubled.cycles <= fewer.cycles
    assert more.rest >= 0 and more.stream_cycles + more.depth <= more.cycles


def test_unknown_model_is_a_one_line_error_naming_the_key():
    with pytest.raises(PimsimError, match="asic.model.*pipelind.*did you mean pipelined"):
        asic_work("bias", 8, asic(model="pipelind"))


# -- streaming in the system -----------------------------------------------------------------------
def test_readout_profile_places_each_unit_at_its_share_of_the_commands():
    # 2 units of 2 rows: each unit ACT16 + 3 MAC16 (+ PREA between rows) ... read-out 2 bursts
    prog = (GbWrite(4), MacRows(0, 4, 3, reads=1, group=2))
    unit = 1 + 3 + 1 + 1 + 3 + 1 + 2  # ACT16 MAC16x3 PREA ACT16 MAC16x3 PREA RDMAC x2
    total = 4 + 2 * unit
    assert readout_profile(prog) == (((4 + unit) / total, 0.5), (1.0, 0.5))
    assert readout_profile((GbWrite(4),)) == ((1.0, 1.0),)


@pytest.mark.parametrize("stream, expect", [
    # arrivals at the middle and the end of the PIM step (span D): ratio 2 DRAM cycles per ASIC cycle.
    # small: each half is done before the next arrives -> end = e + 0.5*S*2 + 2*(depth + rest)
    (10, lambda s, e: e + 10 + 2 * (3 + 5)),
    # large: the ASIC falls behind -> s + span/2 + S*2 + 2*(depth + rest)
    (1_000_000, lambda s, e: s + (e - s) // 2 + 2_000_000 + 2 * (3 + 5)),
])
def test_a_streamed_step_processes_each_batch_as_it_arrives(stream, expect):
    hw = load_hwconfig(HW, ["dram.refresh_policy=none"])
    prog = (GbWrite(8), MacRows(0, 32, 64, 1, group=16))
    work = AsicWork(stream + 3 + 5, 1, 0, 0, 0, stream_cycles=stream, depth=3, passes_on=False)
    system = System(hw)
    system.run([PimStep("gemv", (prog,) * 8, profile=((0.5, 0.5), (1.0, 0.5))),
                AsicStep("bias", work, deps=(0,), stream_from=0)])
    pim, act = system.records
    assert (pim.end - pim.start) % 2 == 0
    assert act.start == pim.end and act.end == expect(pim.start, pim.end)
    assert act.time == {"asic": act.end - act.start}


def test_a_streamed_step_never_ends_later_than_the_same_work_run_after_its_producer():
    hw = load_hwconfig(HW, ["dram.refresh_policy=none"])
    prog = (GbWrite(8), MacRows(0, 32, 64, 1, group=16))
    for stream in (1, 50, 500, 5000):
        work = AsicWork(stream + 7, 1, 0, 0, 0, stream_cycles=stream, depth=3, passes_on=True)
        ends = []
        for source in (0, None):
            system = System(hw)
            system.run([PimStep("gemv", (prog,) * 8, profile=readout_profile(prog)),
                        AsicStep("bias", work, deps=(0,), stream_from=source)])
            ends.append(system.now)
        assert ends[0] <= ends[1], stream


@settings(max_examples=12, deadline=None)
@given(clock=st.sampled_from([100.0, 150.0, 250.0, 400.0, 700.0]), lanes=st.sampled_from([4, 8, 16, 32, 64]))
def test_a_faster_clock_or_more_lanes_never_slow_a_whole_generation(clock, lanes):
    wl = resolve_workload("tiny", 3, 3)
    base = ["dram.refresh_policy=none", f"asic.clock_mhz={clock}", f"asic.vector_lanes={lanes}"]
    cycles = simulate_generation(load_hwconfig(HW, base), wl).cycles
    faster = simulate_generation(load_hwconfig(HW, base[:1] + [f"asic.clock_mhz={clock * 2}", base[2]]), wl).cycles
    wider = simulate_generation(load_hwconfig(HW, base[:2] + [f"asic.vector_lanes={lanes * 2}"]), wl).cycles
    assert faster <= cycles and wider <= cycles


# -- the other decoder families' ops (n=8, L=4, r=3, GELU/SiLU order 5) ------------------------------
def test_rmsnorm_hand_count():
    # Stream x*x and sum x^2: 2 + depth (mul 1 + add 1 + tree 2) = 4. Scalar: E[x^2] (1 mul), + eps,
    # seed (2 adds), 0.5*v (1 mul), 3 Newton steps (3 muls + 1 add): 5 adds + 11 muls = 16.
    # Normalise x * r * gamma: 2 + depth 2 = 4. Rest 20; total 2 + 4 + 20 = 26.
    # adds 7 + 5 = 12; muls 8 + 11 + 16 = 35; SRAM (x) + (x, gamma, y) = 4 * 8 * 2 = 64
    assert asic_work("rmsnorm", 8, CFG) == AsicWork(26, 12, 35, 0, 64, 2, 4, False, out_cycles=2)


def test_swiglu_pipeline_is_as_deep_as_the_silu_chain_and_the_gate_multiply():
    # order 5: j = 3: 3 adds + 7 muls, dependent -> depth 10; 2 + 10 = 12; SRAM (gate, up, out) 3*8*2
    assert asic_work("swiglu", 8, CFG) == AsicWork(12, 24, 56, 0, 48, 2, 10, True)


def test_relu_and_rope_stream_through_their_stages():
    assert asic_work("relu", 8, CFG) == AsicWork(3, 0, 0, 8, 32, 2, 1, True)  # one compare stage
    assert asic_work("rope", 8, CFG) == AsicWork(4, 8, 16, 0, 64, 2, 2, True)  # mul, then add; x, cos, sin, out


def test_family_ops_do_the_same_arithmetic_on_both_models():
    simd = asic(model="simd")
    for kind in ("rmsnorm", "swiglu", "relu", "rope"):
        a, b = asic_work(kind, 100, CFG), asic_work(kind, 100, simd)
        assert (a.adds, a.muls, a.compares) == (b.adds, b.muls, b.compares), kind
