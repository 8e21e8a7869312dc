"""The fast engine equals the reference engine on random PIM programs, and both obey the protocol."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pimsim.config import load_hwconfig
from pimsim.dram.checker import check_log
from pimsim.pim.channel import ENGINES
from pimsim.pim.commands import build_pim_spec
from pimsim.mapping.macro import BankMac, GbWrite, MacInit, MacRead, MacRows, RowRead, RowWrite, command_count

VARIANTS = {
    "default": [],
    "per_bank_refresh": ["dram.refresh_policy=per_bank"],
    "act16_in_faw": ["pim.act16_in_faw=true"],
    "short_refresh": ["dram.timing.nREFI=700"],
    "blocking_result_reads": ["pim.register_path.block_on_result_read=true", "pim.register_path.block_cycles=1"],
}


def channel_spec(variant: str):
    hw = load_hwconfig("hwconfigs/pimgpt.yaml", VARIANTS[variant])
    return build_pim_spec(hw.dram.model_copy(update={"channels": 1}), hw.pim)


SPECS = {name: channel_spec(name) for name in VARIANTS}

banks = st.tuples(st.integers(0, 3), st.integers(0, 3))
macros = st.one_of(
    st.builds(GbWrite, st.integers(1, 70)),
    st.builds(MacInit, st.integers(1, 4)),
    st.builds(MacRead, st.integers(1, 8)),
    st.builds(MacRows, st.integers(0, 16000), st.integers(1, 40), st.integers(1, 64), st.integers(0, 3),
              st.integers(1, 4), st.sampled_from(["eager", "lazy"])),
    st.builds(MacRows, st.integers(0, 2), st.integers(1, 3), st.integers(1, 8), st.integers(0, 2),  # rows that meet
              st.just(1), st.just("lazy")),
    st.builds(BankMac, banks, st.integers(0, 100), st.integers(1, 24), st.integers(0, 2)),
    st.builds(RowWrite, banks, st.integers(0, 100), st.integers(0, 40), st.integers(1, 16)),
    st.builds(RowRead, banks, st.integers(0, 100), st.integers(0, 40), st.integers(1, 16)),
)
steps = st.lists(st.tuples(st.integers(0, 3000), st.lists(macros, min_size=1, max_size=6)), min_size=1, max_size=4)


def simulate(engine: str, spec, program_steps, keep_log=False):
    ch = ENGINES["fast"](spec, reuse=False) if engine == "fast-no-reuse" else ENGINES[engine](spec, keep_log=keep_log)
    ends, t = [], 0
    for gap, program in program_steps:
        t = ch.run(tuple(program), t + gap)
        ends.append(t)
    ch.finish(t)
    return ch, (ends, ch.command_counts(), dict(ch.time), ch.refresh.issued)


@pytest.mark.parametrize("variant", list(VARIANTS))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(program_steps=steps)
def test_fast_engine_equals_reference_on_random_programs(variant, program_steps):
    spec = SPECS[variant]
    ref_ch, ref = simulate("reference", spec, program_steps, keep_log=True)
    _, fast = simulate("fast", spec, program_steps)
    _, fast_no_reuse = simulate("fast-no-reuse", spec, program_steps)
    assert fast == ref and fast_no_reuse == ref
    assert check_log(spec, ref_ch.engine.log) == []


def test_random_programs_cross_several_refresh_intervals():
    program = (GbWrite(64), MacRows(0, 40, 64, 1), MacRead(2), MacRows(100, 30, 17, 2))
    _, ref = simulate("reference", SPECS["default"], [(0, program)])
    assert ref[3] >= 3


def test_long_gemv_reuses_periodic_bursts_and_refreshes_exactly():
    spec = SPECS["default"]
    program = tuple(x for _ in range(3) for x in (GbWrite(64), MacRows(0, 400, 64, 1), MacRead(2)))
    ref_ch, ref = simulate("reference", spec, [(0, program), (500, program)])
    fast_ch, fast = simulate("fast", spec, [(0, program), (500, program)])
    assert fast == ref
    assert len(fast_ch._memo) > 0 and len(fast_ch._periodic) > 0  # the reuse paths ran
    assert command_count(program) * 2 <= sum(ref[1].values())


def test_per_command_engine_log_is_protocol_clean_for_every_macro_kind():
    spec = SPECS["default"]
    program = (MacInit(2), GbWrite(64), MacRows(5, 3, 64, 2), BankMac((1, 2), 9, 10, 1), RowWrite((3, 3), 4, 0, 8),
               RowRead((0, 1), 7, 2, 5), MacRead(3))
    ch, _ = simulate("reference", spec, [(0, program)], keep_log=True)
    assert check_log(spec, ch.engine.log) == []
    names = {e[1] for e in ch.engine.log}
    assert {"ACT16", "MAC16", "RDMAC", "PREA", "WRGB", "WRMAC", "ACT", "MAC", "WR", "RD", "PRE"} <= names


repeats = st.tuples(st.lists(st.lists(macros, min_size=1, max_size=4), min_size=1, max_size=3),
                    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 4000)), min_size=4, max_size=24))


@pytest.mark.parametrize("variant", ["default", "per_bank_refresh", "short_refresh"])
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=repeats)
def test_reused_programs_equal_the_reference_at_any_refresh_phase_and_entry_state(variant, case):
    """Programs that recur (as every GEMV does each layer and token) from assorted states and
    refresh phases: the fast engine's reuse must give exactly the reference's results."""
    programs, order = case
    run_steps = [(gap, programs[i % len(programs)]) for i, gap in order]
    spec = SPECS[variant]
    _, ref = simulate("reference", spec, run_steps)
    _, fast = simulate("fast", spec, run_steps)
    assert fast == ref


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=repeats)
def test_channels_sharing_what_they_learn_still_equal_the_reference(case):
    """Eight channels share one cache while running different programs, as attention makes them."""
    from pimsim.sim.system import PimStep, System

    programs, order = case
    results = {}
    for engine in ("fast", "reference"):
        hw = load_hwconfig("hwconfigs/pimgpt.yaml", [f"sim.engine={engine}"])
        system = System(hw)
        for i, gap in order:
            per_channel = tuple(tuple(programs[(i + c) % len(programs)]) if (i + c) % 3 else () for c in range(8))
            system.now += gap
            system.run([PimStep(f"s{i}", per_channel)])
        system.finish()
        results[engine] = (system.now, system.command_counts(), system.breakdown(), system.refreshes())
    assert results["fast"] == results["reference"]


def test_channels_that_waited_out_an_overdue_refresh_differently_are_not_merged():
    """A refresh that fell due while channels idled is issued in the past: a channel busy until just
    after its due time refreshes later than one idle for long, though both are quiescent by now.
    (Found by the property test above; the fast engine once merged such channels.)"""
    from pimsim.sim.system import PimStep, System

    program = (GbWrite(6), RowWrite((0, 0), 0, 0, 7), BankMac((0, 1), 0, 1, 1), RowRead((0, 0), 0, 0, 11))
    out = {}
    for engine in ("fast", "reference"):
        system = System(load_hwconfig("hwconfigs/pimgpt.yaml", [f"sim.engine={engine}"]))
        for i, gap in enumerate((0, 124, 557, 1640, 0)):
            system.now += gap
            system.run([PimStep(f"s{i}", tuple(program if (i + c) % 3 else () for c in range(8)))])
        out[engine] = (system.now, system.command_counts(), system.breakdown())
    assert out["fast"] == out["reference"]


def test_a_program_left_open_is_reused_only_for_the_same_rows():
    """Lazy precharge leaves a program's last row open, so what the next program costs depends on
    its row numbers (its activate may find the row open): two programs alike but for their rows
    must not share a remembered outcome."""
    spec = SPECS["default"]
    opener = (GbWrite(4), MacRows(5, 1, 8, 1, precharge="lazy"))
    other_row, same_row = (MacRows(9, 1, 8, 1, precharge="lazy"),), (MacRows(5, 1, 8, 1, precharge="lazy"),)
    steps = [(0, opener), (0, other_row), (2000, opener), (0, same_row)]
    _, ref = simulate("reference", spec, steps)
    _, fast = simulate("fast", spec, steps)
    assert fast == ref


def test_a_program_that_finds_a_row_open_is_reused_only_for_the_same_rows():
    spec = SPECS["default"]
    opener = (GbWrite(4), MacRows(5, 1, 8, 1, precharge="lazy"))
    other_row, same_row = (GbWrite(2), MacRows(9, 1, 8, 1)), (GbWrite(2), MacRows(5, 1, 8, 1))  # eager
    steps = [(0, opener), (0, other_row), (2000, opener), (0, same_row)]
    _, ref = simulate("reference", spec, steps)
    _, fast = simulate("fast", spec, steps)
    assert fast == ref


@pytest.mark.parametrize("variant", ["default", "per_bank_refresh", "short_refresh"])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(macro=macros, gaps=st.lists(st.integers(0, 4000), min_size=40, max_size=100))
def test_a_macro_replayed_anywhere_in_its_window_of_refresh_phases_equals_the_reference(variant, macro, gaps):
    """One macro again and again at assorted refresh phases: an outcome with a refresh inside is
    kept for every phase that would go the same way and replayed there."""
    run_steps = [(gap, (macro,)) for gap in gaps]
    _, ref = simulate("reference", SPECS[variant], run_steps)
    _, fast = simulate("fast", SPECS[variant], run_steps)
    assert fast == ref


def test_a_macro_with_a_refresh_inside_is_simulated_once_per_window_not_once_per_phase():
    spec = SPECS["default"]
    macro = MacRows(0, 6, 60, 3, 2)  # three units: below the periodic row-burst stepping
    run_steps = [(gap, (macro,)) for gap in range(0, 3000, 7)]  # every refresh phase, 7 cycles apart
    _, ref = simulate("reference", spec, run_steps)
    fast_ch, fast = simulate("fast", spec, run_steps)
    assert fast == ref
    windows = [w for kept in fast_ch._windows.values() for w in kept]
    refreshed = ref[3]
    assert windows and len(windows) < refreshed  # some refreshes fell in a window already kept


@pytest.mark.parametrize("variant", ["default", "per_bank_refresh"])
def test_row_burst_units_longer_than_the_refresh_interval_are_reused_at_every_phase_exactly(variant):
    """Each unit outlasts the refresh interval (a refresh in every one, so no refresh-free period):
    the units are reused through the phases their outcome holds for, and equal the reference."""
    spec = SPECS[variant]
    long_units = MacRows(0, 128, 64, 1, 16)  # eight units of 16 rows x 64 MAC16 each (an LM head's)
    run_steps = [(gap, (GbWrite(64), long_units)) for gap in range(0, 3333, 139)]
    _, ref = simulate("reference", spec, run_steps)
    fast_ch, fast = simulate("fast", spec, run_steps)
    assert fast == ref
    if variant == "default":  # about one refresh per unit: most units are jumped, few simulated
        kept = sum(len(stretches) for stretches in fast_ch._memo.values())
        assert fast_ch._refreshing and 0 < kept < ref[3] // 4


def test_a_window_of_refresh_phases_is_not_used_while_the_refresh_is_overdue():
    """Overdue at entry, a state is named relative to the refresh's due time, so the same name stands
    for states a cycle apart at neighbouring phases: no window may carry an outcome across them (a
    four-bank channel's single-bank MACs found it: one run a cycle late)."""
    hw = load_hwconfig("hwconfigs/pimgpt.yaml", ["dram.banks_per_group=1", "dram.rows=65536"])
    spec = build_pim_spec(hw.dram.model_copy(update={"channels": 1}), hw.pim)
    gaps = [0, 324, 333, 334, 442, 1116, 1780, 2067, 2425, 0, 118, 218, 238, 245, 289, 298, 411, 515, 855, 1000,
            1299, 1423, 1523, 1955, 3848, 664, 2081, 2197, 4000, 0, 119, 245, 464, 497, 686, 704, 672, 0, 3999,
            4000, 0, 166, 1, 44, 257, 257, 1393, 0, 238, 35, 72, 1333, 4000, 31, 2539, 361, 31, 2659, 62, 0, 2856]
    run_steps = [(gap, (BankMac((0, 0), 0, 2, 2),)) for gap in gaps]
    _, ref = simulate("reference", spec, run_steps)
    _, fast = simulate("fast", spec, run_steps)
    assert fast == ref
