"""Row bursts in closed form: what a refresh does to a steady stream of units, kept for every
refresh phase that goes the same way (pimsim.pim.due, pimsim.dram.cut), must be exactly what the
per-command reference engine does at each phase."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pimsim.config import load_hwconfig
from pimsim.mapping.macro import GbWrite, MacRead, MacRows
from pimsim.pim.channel import ENGINES
from pimsim.pim.commands import build_pim_spec
from pimsim.pim.due import DueWindow, Slide

VARIANTS = {
    "default": [],
    "refresh_every_500": ["dram.timing.nREFI=500"],
    "refresh_every_1100": ["dram.timing.nREFI=1100"],
    "column_step_3": ["dram.timing.nCCDL=3", "dram.timing.nREFI=900", "dram.timing.nRTP=7"],
    "per_bank_refresh": ["dram.refresh_policy=per_bank"],  # (a bank every 208 cycles: below ~170 no MAC gets through)
    "act16_in_faw": ["pim.act16_in_faw=true", "dram.timing.nREFI=800"],
    "no_mode_switch": ["pim.register_path.mode_switch_cycles=0", "dram.timing.nREFI=700"],
    "refresh_holds_registers": ["pim.register_path.registers_during_refresh=false", "dram.timing.nREFI=700"],
    "slow_rows": ["dram.timing.nRAS=150", "dram.timing.nRC=230", "dram.timing.nRFC=400", "dram.timing.nREFI=1500"],
    "late_result_reads": ["pim.register_path.read_latency_cycles=150", "pim.mac_pipeline_cycles=40",
                          "dram.timing.nREFI=1300"],
    "blocking_result_reads": ["pim.register_path.block_on_result_read=true", "pim.register_path.block_cycles=3",
                              "dram.timing.nREFI=900"],
}


def channel_spec(variant: str):
    hw = load_hwconfig("hwconfigs/pimgpt.yaml", VARIANTS[variant])
    return build_pim_spec(hw.dram.model_copy(update={"channels": 1}), hw.pim)


SPECS = {name: channel_spec(name) for name in VARIANTS}


def make(engine: str, spec):
    if engine == "reference":
        return ENGINES["reference"](spec)
    return ENGINES["fast"](spec, reuse=engine == "fast")


def outcome(engine: str, spec, steps):
    """End cycles, counts, time, refreshes, and the state each channel is left in (per bank)."""
    ch = make(engine, spec)
    ends, t = [], 0
    for gap, program in steps:
        t = ch.run(program, t + gap)
        ends.append(t)
    state = (ch.engine.canonical(ch.mark), tuple(ch.engine.open_row), ch.engine.mode, ch.done, ch.done_cat)
    return ch, (ends, ch.command_counts(), dict(ch.time), ch.refresh.issued, ch.refresh.next_due, state)


bursts = st.builds(MacRows, st.integers(0, 1000), st.integers(8, 150), st.integers(1, 64), st.integers(0, 3),
                   st.integers(1, 3), st.sampled_from(["eager", "lazy"]))
blocks = st.tuples(st.integers(1, 64), bursts, st.integers(0, 4))
programs = st.lists(blocks, min_size=1, max_size=2).map(
    lambda bs: tuple(m for g, rows, r in bs for m in (GbWrite(g), rows) + ((MacRead(r),) if r else ())))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(variant=st.sampled_from(list(VARIANTS)),
       steps=st.lists(st.tuples(st.integers(0, 4000), programs), min_size=1, max_size=2))
def test_row_bursts_through_refreshes_equal_the_reference_at_any_phase(variant, steps):
    """Row counts, column counts, read-outs, units, precharge, start times and refresh phases
    drawn at random; with and without reuse across macros and programs."""
    spec = SPECS[variant]
    _, ref = outcome("reference", spec, steps)
    for engine in ("fast", "fast-no-reuse"):
        _, fast = outcome(engine, spec, steps)
        assert fast == ref, engine


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(variant=st.sampled_from(list(VARIANTS)), rows=st.integers(1, 40), cols=st.integers(1, 64),
       reads=st.integers(0, 3), group=st.integers(1, 3), gb=st.integers(1, 64),
       starts=st.lists(st.tuples(st.integers(0, 3000), st.integers(0, 90), st.integers(0, 3)), min_size=2, max_size=5))
def test_lazy_row_bursts_met_again_at_other_rows_replay_exactly(variant, rows, cols, reads, group, gb, starts):
    """With a lazy precharge rows stay open, and the fast channel names states by their rows relative
    to the work's first and replays an outcome at other rows, moved by as many rows: the same GEMV at
    rows drawn near each other (they may meet the rows left open), twice or once per program."""
    spec = SPECS[variant]
    steps = [(gap, tuple(m for _ in range(times or 1) for m in
                         (GbWrite(gb), MacRows(row, rows, cols, reads, group, "lazy"), MacRead(1))))
             for gap, row, times in starts]
    _, ref = outcome("reference", spec, steps)
    for engine in ("fast", "fast-no-reuse"):
        _, fast = outcome(engine, spec, steps)
        assert fast == ref, engine


def kept_slides(ch) -> list[Slide]:
    return [entry[2] for entries in ch._memo.values() for entry in entries if entry[2] is not None]


def test_one_simulated_refresh_stands_for_cuts_all_along_the_column_run():
    """A long GEMV with reuse off: a refresh that cuts the MAC run is simulated once and its outcome
    kept for cuts anywhere along the run, and every refresh of the stream still lands exactly where
    the reference puts it."""
    for variant in ("default", "column_step_3"):
        spec = SPECS[variant]
        steps = [(0, (GbWrite(64), MacRows(0, 500, 64, 1), MacRead(2))), (300, (GbWrite(8), MacRows(7, 300, 40, 2)))]
        _, ref = outcome("reference", spec, steps)
        ch, fast = outcome("fast-no-reuse", spec, steps)
        assert fast == ref
        assert ref[3] >= 40  # refreshes
        _, fast_reuse = outcome("fast", spec, steps)
        assert fast_reuse == ref
    slides = kept_slides(ch)
    assert slides and max(s.j_hi - s.j_lo for s in slides) >= 20  # (of the last macro: reuse off forgets)


@settings(max_examples=300, deadline=None)
@given(t=st.integers(-50, 50), step=st.integers(1, 5), count=st.integers(2, 20), due=st.integers(-60, 200),
       first_shift=st.sampled_from([0, 0, 700]))
def test_the_due_times_a_run_cut_keeps_give_the_same_cut(t, step, count, due, first_shift):
    """Every due time inside the bounds a cut records cuts the run after the same number of
    copies; the bounds are as wide as the band that does."""
    w = DueWindow(due - first_shift)  # (bounds are on the first refresh's due time)

    def copies(d):
        return max(1, min(count, (d - t - 1) // step + 1))

    w.fit(due, t, count, step)
    lo, hi = w.lo + first_shift, w.hi + first_shift
    assert lo <= due <= hi
    for d in range(max(lo, due - 3 * step - 2), min(hi, due + 3 * step + 2) + 1):
        assert copies(d) == copies(due)
    if lo > -(1 << 61):
        assert copies(lo - 1) != copies(due)
    if hi < (1 << 61):
        assert copies(hi + 1) != copies(due)


@settings(max_examples=300, deadline=None)
@given(first=st.integers(0, 100), step=st.integers(1, 5), cut=st.integers(1, 30), j=st.integers(-30, 30),
       offset=st.integers(1, 5), lo=st.integers(0, 4), width=st.integers(0, 4))
def test_a_slide_covers_the_due_times_that_cut_the_run_j_copies_away_at_the_same_offset(
        first, step, cut, j, offset, lo, width):
    band = first + (cut - 1) * step  # the recorded cut: due times in (band, band + step]
    lo_due, hi_due = band + 1 + min(lo, step - 1), band + 1 + min(lo + width, step - 1)
    slide = Slide(first, step, cut, -10, 10, lo_due, hi_due)
    due = band + min(offset, step) + j * step
    inside = lo_due <= due - j * step <= hi_due
    assert slide.covers(due) == (-10 <= j <= 10 and inside)
