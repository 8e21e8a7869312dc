"""Trace mode: cycles against hand formulas, peak bandwidth, refresh, protocol-clean logs."""

from __future__ import annotations

import random

import pytest

from pimsim.config import load_hwconfig
from pimsim.config.hw import build_hwconfig
from pimsim.dram.checker import check_log
from pimsim.dram.spec import build_spec
from pimsim.traces.controller import run_trace
from pimsim.traces.mapping import parse_mapping
from pimsim.traces.reader import parse_trace
from pimsim.traces.patterns import pattern_addresses, trace_text

GDDR6 = "hwconfigs/dram/gddr6-x16-14gbps.yaml"
NO_REFRESH = ["dram.timing.nREFI=1000000000"]


def run(hw, text, keep_log=False):
    spec = build_spec(hw.dram)
    return spec, run_trace(spec, hw.controller, parse_trace(text, "t"), keep_log=keep_log)


def pattern_run(hw, pattern, n, keep_log=False, **kw):
    m = parse_mapping(hw.controller.address_mapping, hw.dram)
    return run(hw, trace_text(pattern_addresses(pattern, n, hw.dram, m, **kw)), keep_log)


def test_single_bank_stream_matches_the_row_switch_formula():
    hw = load_hwconfig(GDDR6, NO_REFRESH)
    t, C, R = build_spec(hw.dram).params, hw.dram.columns_per_row, 40
    _, res = pattern_run(hw, "stream", C * R)
    # a row: ACT, tRCD, C reads tCCD_L apart, tRTP, PRE, tRP (tRAS and tRC do not bind here)
    period = t["nRCDRD"] + (C - 1) * t["nCCDL"] + t["nRTP"] + t["nRP"]
    assert res.cycles == (R - 1) * period + t["nRCDRD"] + (C - 1) * t["nCCDL"] + t["nCL"] + t["nBL"]
    assert res.counts["ACT"] == R and res.row_hits == C * R - R


def test_row_miss_round_robin_is_bound_by_nrrd():
    hw = load_hwconfig(GDDR6, NO_REFRESH)
    t, n = build_spec(hw.dram).params, 4000
    assert 4 * t["nRRDS"] >= t["nFAW"] and 16 * t["nRRDS"] >= t["nRC"]  # so only tRRD binds
    _, res = pattern_run(hw, "rowmiss", n)
    assert res.cycles == (n - 1) * t["nRRDS"] + t["nRCDRD"] + t["nCL"] + t["nBL"]
    assert res.counts["ACT"] == n and res.row_hits == 0


def test_random_reads_are_bound_by_activates_and_never_beat_them():
    hw = load_hwconfig(GDDR6, NO_REFRESH)
    t, n = build_spec(hw.dram).params, 4000
    _, res = pattern_run(hw, "random", n)
    floor = (res.counts["ACT"] - 1) * t["nRRDS"] + t["nRCDRD"] + t["nCL"] + t["nBL"]
    assert floor <= res.cycles <= floor * 1.01


def test_single_request_latency_is_act_rcd_cl_burst():
    hw = load_hwconfig(GDDR6)
    t = build_spec(hw.dram).params
    _, res = run(hw, "0x0 READ 100\n")
    assert res.cycles == 100 + t["nRCDRD"] + t["nCL"] + t["nBL"]


def test_write_completes_after_cwl_and_burst():
    hw = load_hwconfig(GDDR6)
    t = build_spec(hw.dram).params
    _, res = run(hw, "0x0 WRITE 0\n")
    assert res.cycles == t["nRCDWR"] + t["nCWL"] + t["nBL"]


def test_requests_enter_one_per_cycle():
    hw = load_hwconfig(GDDR6, NO_REFRESH)
    t = build_spec(hw.dram).params
    # two reads to two bank groups, both arriving at 0: the second enters at 1, ACT at max(1, 0 + nRRDS)
    _, res = run(hw, "0x0 READ 0\n0x800 READ 0\n")
    assert res.cycles == t["nRRDS"] + t["nRCDRD"] + t["nCL"] + t["nBL"]


@pytest.mark.parametrize("preset", ["gddr6-x16-14gbps", "gddr6-aim", "ddr4-3200", "hbm2"])
def test_bank_interleaved_stream_reaches_peak_less_refresh_blackout(preset):
    """Peak = request bytes per max(nCCDS, nBL) cycles. Around each all-bank refresh the data bus
    must idle for nRTP + nRP + nRFC + nRCDRD (last read, PREA, REF, ACT, first read), so that is the
    share refresh takes. The stream staggers each bank's row boundary so the queue hides row switches."""
    hw = build_hwconfig({"name": preset, "dram": {"preset": preset, "channels": 1},
                         "controller": {"queue_depth": 128, "scheduler": "frfcfs", "page_policy": "open",
                                        "address_mapping": "rochrababgco"},
                         "energy": {"preset": "gddr6"}}, "test")
    t, n = build_spec(hw.dram).params, 30000
    _, res = pattern_run(hw, "bankrr", n, stagger=True)
    peak_cycles = n * max(t["nCCDS"], t["nBL"])
    blackout = (t["nRTP"] + t["nRP"] + t["nRFC"] + t["nRCDRD"]) / t["nREFI"]
    assert peak_cycles / res.cycles == pytest.approx(1 - blackout, rel=0.01)


def test_bank_interleaved_stream_without_refresh_reaches_peak():
    hw = load_hwconfig(GDDR6, NO_REFRESH + ["controller.queue_depth=128"])
    t, n = build_spec(hw.dram).params, 20000
    _, res = pattern_run(hw, "bankrr", n, stagger=True)
    assert n * t["nCCDS"] / res.cycles == pytest.approx(1.0, rel=0.01)


def test_all_bank_refresh_falls_due_every_nrefi_and_precharges_first():
    hw = load_hwconfig(GDDR6)
    t = build_spec(hw.dram).params
    spec, res = pattern_run(hw, "stream", 20000, keep_log=True)
    refs = [e[0] for e in res.log if e[1] == "REFab"]
    assert len(refs) == res.cycles // t["nREFI"]
    for k, cyc in enumerate(refs, start=1):
        assert k * t["nREFI"] <= cyc <= k * t["nREFI"] + t["nRAS"] + t["nRP"]
    assert res.counts["PREA"] > 0  # open rows are closed first...
    assert check_log(spec, res.log) == []  # ...so no REFab finds a bank open


def test_per_bank_refresh_visits_every_bank_in_turn():
    hw = load_hwconfig(GDDR6, ["dram.refresh_policy=per_bank"])
    t = build_spec(hw.dram).params
    spec, res = pattern_run(hw, "bankrr", 6000, keep_log=True)
    banks = [(e[4], e[5]) for e in res.log if e[1] == "REFpb"]
    assert len(banks) == res.cycles // (t["nREFI"] // 16)
    assert banks[:16] == [(g, b) for g in range(4) for b in range(4)]
    assert check_log(spec, res.log) == []


@pytest.mark.parametrize("pattern", ["stream", "bankrr", "random", "rowmiss"])
def test_trace_command_logs_have_no_protocol_violation(pattern):
    hw = load_hwconfig(GDDR6)
    spec, res = pattern_run(hw, pattern, 3000, keep_log=True)
    assert res.counts["REFab"] > 0
    assert check_log(spec, res.log) == []


@pytest.mark.parametrize("policy", ["open", "closed"])
@pytest.mark.parametrize("scheduler", ["frfcfs", "fcfs"])
def test_mixed_reads_and_writes_are_protocol_clean(policy, scheduler):
    hw = load_hwconfig(GDDR6, [f"controller.page_policy={policy}", f"controller.scheduler={scheduler}"])
    m = parse_mapping("rochrababgco", hw.dram)
    rng = random.Random(3)
    addrs = [m.encode(bg=rng.randrange(4), ba=rng.randrange(4), ro=rng.randrange(8), co=rng.randrange(64))
             for _ in range(3000)]
    writes = [rng.random() < 0.3 for _ in addrs]
    arrivals = sorted(rng.randrange(20000) for _ in addrs)
    spec, res = run(hw, trace_text(addrs, writes, arrivals), keep_log=True)
    assert res.requests == 3000 and res.writes == sum(writes)
    assert check_log(spec, res.log) == []
    if policy == "closed":
        assert res.counts["RDA"] + res.counts["WRA"] > 0


def test_frfcfs_serves_a_younger_row_hit_before_an_older_miss():
    hw = load_hwconfig(GDDR6, NO_REFRESH)
    m = parse_mapping("rochrababgco", hw.dram)
    # A opens row 0; B (row 1, same bank) arrives before C (row 0): C is a hit and goes first.
    text = trace_text([m.encode(ro=0), m.encode(ro=1), m.encode(ro=0, co=1)], arrivals=[0, 1, 2])
    _, res = run(hw, text, keep_log=True)
    cols = [(e[6], e[7]) for e in res.log if e[1] == "RD"]
    assert cols == [(0, 0), (0, 1), (1, 0)]


STARVED_HW = """name: starved
dram:
  preset: gddr6-aim
  channels: 1
  refresh_policy: all_bank
  timing:
    nREFI: 300        # nRFC 210: 90 cycles between refreshes, too few for a row's ACT..PRE
controller:
  queue_depth: 8
  scheduler: frfcfs
  page_policy: open
  address_mapping: rochrababgco
energy:
  preset: gddr6
"""


def starved(tmp_path):
    """A config whose refreshes leave no room for a row's commands, and 50 reads to random rows."""
    (tmp_path / "hw.yaml").write_text(STARVED_HW)
    hw = load_hwconfig(tmp_path / "hw.yaml")
    rng = random.Random(1)
    m = parse_mapping(hw.controller.address_mapping, hw.dram)
    return hw, trace_text([m.encode(ba=rng.randrange(4), ro=rng.randrange(64)) for _ in range(50)])


@pytest.mark.parametrize("controller", ["fast", "reference"])
def test_a_refresh_schedule_that_starves_every_request_is_refused_rather_than_run_forever(tmp_path, controller):
    from pimsim.errors import PimsimError

    hw, text = starved(tmp_path)
    with pytest.raises(PimsimError, match="64 refreshes in a row fell due with requests queued and none served"):
        run_trace(build_spec(hw.dram), hw.controller, parse_trace(text, "t"), controller=controller)


def test_pimsim_trace_names_the_config_key_of_a_starving_refresh_schedule(tmp_path, capsys):
    from pimsim.cli.main import main

    _, text = starved(tmp_path)
    (tmp_path / "t.trace").write_text(text)
    assert main(["trace", "--hw", str(tmp_path / "hw.yaml"), str(tmp_path / "t.trace"), "--json"]) == 2
    captured = capsys.readouterr()
    assert f"{tmp_path / 'hw.yaml'}: dram.timing.nREFI: 64 refreshes in a row" in captured.err and not captured.out
