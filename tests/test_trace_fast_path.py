"""Trace mode's fast path equals the per-command reference controller in every result field."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DISTINCT_TIMING
from pimsim.config import load_hwconfig
from pimsim.config.hw import build_hwconfig
from pimsim.dram.spec import build_spec
from pimsim.traces import streak as streak_module
from pimsim.traces.controller import run_trace
from pimsim.traces.mapping import parse_mapping
from pimsim.traces.patterns import PATTERNS, pattern_addresses, trace_text
from pimsim.traces.reader import parse_trace

GDDR6 = "hwconfigs/dram/gddr6-x16-14gbps.yaml"


def hw_of(base: str, channels: int, ranks: int, scheduler: str, policy: str, depth: int, refresh: str,
          nrefi: int):
    """A trace-mode config: a preset device, or (base "distinct") one whose timings all differ."""
    dram = {"channels": channels, "ranks": ranks, "refresh_policy": refresh}
    if base == "distinct":
        dram.update({"standard": "test", "bank_groups": 4, "banks_per_group": 4, "rows": 1024, "columns": 1024,
                     "device_width_bits": 16, "devices_per_rank": 1, "channels_per_device": 1,
                     "device_density_mbit": None, "burst_length": 16, "beats_per_clock": 8,
                     "data_rate_gbps": 16.0, "timing": dict(DISTINCT_TIMING, nREFI=nrefi)})
    else:
        dram.update({"preset": base, "timing": {"nREFI": nrefi}})
    return build_hwconfig({"name": "t", "dram": dram,
                           "controller": {"queue_depth": depth, "scheduler": scheduler, "page_policy": policy,
                                          "address_mapping": "rochrababgco"},
                           "energy": {"preset": "gddr6"}}, "test")


def both(hw, text: str):
    spec = build_spec(hw.dram)
    trace = parse_trace(text, "t")
    return (run_trace(spec, hw.controller, trace, controller="reference"),
            run_trace(spec, hw.controller, trace, controller="fast"))


def addresses(rng: random.Random, hw, kind: str, n: int) -> list[int]:
    d = hw.dram
    m = parse_mapping(hw.controller.address_mapping, d)
    cols = d.columns_per_row
    if kind == "stream":  # runs along rows, now and then jumping to another bank, row or channel
        out, ch, bg, ba, ro, co = [], 0, 0, 0, 0, 0
        for _ in range(n):
            if rng.random() < 0.03:
                ch, bg, ba = rng.randrange(d.channels), rng.randrange(d.bank_groups), rng.randrange(d.banks_per_group)
                ro, co = rng.randrange(4), rng.randrange(cols)
            out.append(m.encode(ch=ch, ra=min(ro % 2, d.ranks - 1), bg=bg, ba=ba, ro=ro, co=co))
            co += 1
            if co == cols:
                co, ro = 0, ro + 1
        return out
    rows = {"few_rows": 3, "random": d.rows}[kind]
    return [m.encode(ch=rng.randrange(d.channels), ra=rng.randrange(d.ranks), bg=rng.randrange(d.bank_groups),
                     ba=rng.randrange(d.banks_per_group), ro=rng.randrange(rows), co=rng.randrange(cols))
            for _ in range(n)]


def arrivals(rng: random.Random, kind: str, n: int) -> list[int]:
    if kind == "at_once":
        return [0] * n
    if kind == "sparse":
        return sorted(rng.randrange(n * 60) for _ in range(n))
    out, t = [], 0  # bursty: groups arriving together, gaps between them
    for _ in range(n):
        if rng.random() < 0.1:
            t += rng.choice([1, 5, 40, 400])
        out.append(t)
    return out


CONFIG = st.tuples(st.sampled_from(["gddr6-x16-14gbps", "distinct"]), st.sampled_from([1, 2]),
                   st.sampled_from([1, 2]), st.sampled_from(["frfcfs", "fcfs"]), st.sampled_from(["open", "closed"]),
                   st.sampled_from([1, 2, 3, 8, 32]), st.sampled_from(["all_bank", "per_bank", "none"]),
                   st.sampled_from([700, 3333]))
TRACE = st.tuples(st.sampled_from(["stream", "few_rows", "random"]), st.sampled_from([0.0, 0.3, 1.0]),
                  st.sampled_from(["at_once", "bursty", "sparse"]), st.integers(1, 400), st.integers(0, 2**31))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CONFIG, TRACE)
def test_fast_path_equals_reference_on_random_traces(config, trace):
    hw = hw_of(*config)
    kind, write_share, timing, n, seed = trace
    rng = random.Random(seed)
    addrs = addresses(rng, hw, kind, n)
    writes = [rng.random() < write_share for _ in addrs]
    ref, fast = both(hw, trace_text(addrs, writes, arrivals(rng, timing, n)))
    assert fast == ref  # every field: cycles, requests, counts, row hits, latency sum, refresh cycles


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("policy,scheduler", [("open", "frfcfs"), ("closed", "fcfs")])
def test_fast_path_equals_reference_on_the_benchmark_patterns(pattern, policy, scheduler):
    hw = load_hwconfig(GDDR6, [f"controller.page_policy={policy}", f"controller.scheduler={scheduler}"])
    m = parse_mapping(hw.controller.address_mapping, hw.dram)
    ref, fast = both(hw, trace_text(pattern_addresses(pattern, 6000, hw.dram, m)))
    assert ref.counts["REFab"] > 0
    assert fast == ref


@pytest.mark.parametrize("preset", ["ddr4-3200", "hbm2", "gddr6-aim"])
def test_fast_path_equals_reference_on_other_devices(preset):
    hw = hw_of(preset, 2, 1, "frfcfs", "open", 16, "all_bank", 2000)
    rng = random.Random(7)
    addrs = addresses(rng, hw, "stream", 1500) + addresses(rng, hw, "few_rows", 1500)
    writes = [rng.random() < 0.3 for _ in addrs]
    ref, fast = both(hw, trace_text(addrs, writes, arrivals(rng, "bursty", len(addrs))))
    assert fast == ref


def test_streaks_and_their_steady_periods_carry_a_stream_and_agree_with_the_reference(monkeypatch):
    """The closed forms are what the fast path uses on a backlogged stream (so the equalities above
    cover them): streaks issue most of it, most of that in steady periods taken at once."""
    issued, periods = [], []
    run, steady = streak_module.Streak.run, streak_module.Streak._steady

    def counted_run(self, *args):
        out = run(self, *args)
        issued.extend(out[3])
        return out

    def counted_steady(self, *args):
        out = steady(self, *args)
        periods.append(out[0])
        return out

    monkeypatch.setattr(streak_module.Streak, "run", counted_run)
    monkeypatch.setattr(streak_module.Streak, "_steady", counted_steady)
    hw = load_hwconfig(GDDR6)
    m = parse_mapping(hw.controller.address_mapping, hw.dram)
    ref, fast = both(hw, trace_text(pattern_addresses("stream", 8000, hw.dram, m)))
    assert fast == ref
    assert len(issued) > 0.9 * 8000 and sum(periods) > 0.5 * 8000


def test_the_log_comes_from_the_reference():
    hw = load_hwconfig(GDDR6)
    spec = build_spec(hw.dram)
    trace = parse_trace("0x0 READ 0\n0x40 WRITE 3\n", "t")
    res = run_trace(spec, hw.controller, trace, keep_log=True)
    assert [e[1] for e in res.log] == ["ACT", "RD", "WR"]
    assert res == run_trace(spec, hw.controller, trace, controller="reference", keep_log=True)
    assert run_trace(spec, hw.controller, trace).log is None
    with pytest.raises(ValueError):
        run_trace(spec, hw.controller, trace, controller="fast", keep_log=True)


def test_trace_json_loads_no_table_or_plot_library(tmp_path):
    """What ``pimsim trace --json`` waits for at start-up: no rich (only the table needs it), no plots."""
    path = tmp_path / "t.trace"
    path.write_text("0x0 READ 0\n")
    code = ("import io, contextlib, json, sys\nfrom pimsim.cli.main import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    main(['trace', '--hw', {GDDR6!r}, {str(path)!r}, '--json'])\n"
            "print(json.dumps([m for m in ('rich', 'pandas', 'matplotlib') if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []
