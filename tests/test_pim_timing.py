"""PIM timing against hand formulas: a GEMV row stream, peak MAC throughput, clock rescaling."""

from __future__ import annotations

import pytest

from pimsim.config import load_hwconfig
from pimsim.pim.channel import ENGINES
from pimsim.pim.commands import build_pim_spec
from pimsim.mapping.macro import GbWrite, MacRows
from pimsim.sim.system import PimStep, System

NO_REFRESH = ["dram.timing.nREFI=1000000000"]


def channel(engine, sets=()):
    hw = load_hwconfig("hwconfigs/pimgpt.yaml", list(sets))
    spec = build_pim_spec(hw.dram.model_copy(update={"channels": 1}), hw.pim)
    return hw, spec, ENGINES[engine](spec)


@pytest.mark.parametrize("engine", ["reference", "fast"])
def test_gemv_filling_whole_rows_takes_the_hand_formula_cycles(engine):
    hw, spec, ch = channel(engine, NO_REFRESH)
    t = spec.params
    C, R, G = spec.cfg.columns_per_row, 20, 64  # 64 MAC columns per 2 KB row, 20 rows, a 2 KB input
    end = ch.run((GbWrite(G), MacRows(0, R, C, reads=1)), 0)
    # TMOD, then the input bursts nBL apart; TMOD on the next command slot, ACT16 nMODCH later
    a0 = t["nMODCH"] + (G - 1) * t["nBL"] + 1 + t["nMODCH"]
    assert t["nCWLGB"] + t["nBL"] <= t["nMODCH"] + 1  # the buffer write is done long before the MACs
    # a row: ACT16, tRCD(MAC), C MACs tCCD_L apart, PREA after tRTP (eager: before the read-out),
    # TMOD on the next slot, RDMAC nMODCH later, TMOD on the next slot, the next ACT16 nMODCH later
    assert t["nRTP"] + 1 >= t["nMACPIPE"] and t["nRP"] <= 1 + t["nMODCH"] + 1 + t["nMODCH"]
    to_read = t["nRCDMAC"] + (C - 1) * t["nCCDL"] + t["nRTP"] + 1 + t["nMODCH"]
    period = to_read + 1 + t["nMODCH"]
    assert period >= t["nRC"]
    last_read = a0 + (R - 1) * period + to_read
    assert end == last_read + t["nCLREG"] + t["nBL"]  # the last results are back at the ASIC
    counts = ch.command_counts()
    assert (counts["ACT16"], counts["MAC16"], counts["RDMAC"], counts["PREA"], counts["WRGB"]) == (R, R * C, R, R, G)


@pytest.mark.parametrize("engine", ["reference", "fast"])
def test_refresh_adds_between_trfc_and_a_full_blackout_per_refresh(engine):
    _, _, ch_nr = channel(engine, NO_REFRESH)
    _, spec, ch = channel(engine)
    t = spec.params
    program = (GbWrite(64), MacRows(0, 60, 64, reads=1))
    base, end = ch_nr.run(program, 0), ch.run(program, 0)
    n = ch.refresh.issued
    assert n == end // t["nREFI"]
    period = t["nRCDMAC"] + 63 * t["nCCDL"] + t["nRTP"] + 2 * (1 + t["nMODCH"])
    # a refresh costs at least tRFC, at most a whole period plus re-activation and two mode switches
    assert n * t["nRFC"] <= end - base <= n * (t["nRFC"] + t["nRP"] + t["nRCDMAC"] + period + 2 * t["nMODCH"])


def test_all_bank_mac_stream_on_one_aim_chip_reaches_1_tflops_less_overheads():
    hw = load_hwconfig("hwconfigs/pimgpt.yaml", ["dram.channels=2", "sim.engine=fast"])
    sysm = System(hw)
    t, C, R = sysm.spec.params, 64, 3000
    end = sysm.run([PimStep("mac", ((MacRows(0, R, C),),) * 2)])
    banks, lanes = hw.dram.banks_per_rank, hw.pim.mac_lanes
    flops = 2 * lanes * banks * sysm.command_counts()["MAC16"]
    achieved = flops / (end * hw.dram.tck_ns * 1e-9)
    peak = 2 * lanes * 2 * banks / (t["nCCDL"] * hw.dram.tck_ns * 1e-9)  # 2 channels
    assert peak == pytest.approx(1.024e12)
    # activate/precharge: a row gives C MAC intervals out of nRCDMAC + (C-1) nCCDL + nRTP + nRP
    period = t["nRCDMAC"] + (C - 1) * t["nCCDL"] + t["nRTP"] + t["nRP"]
    row_eff = C * t["nCCDL"] / period
    lo = 1 - (t["nRFC"] + t["nRP"] + t["nRCDMAC"] + period) / t["nREFI"]
    hi = 1 - t["nRFC"] / t["nREFI"]
    assert peak * row_eff * lo <= achieved <= peak * row_eff * hi


def test_asic_clock_rescales_asic_time_and_data_rate_rescales_dram_times():
    slow = load_hwconfig("hwconfigs/pimgpt.yaml", ["asic.clock_mhz=100"])
    fast = load_hwconfig("hwconfigs/pimgpt.yaml")
    from pimsim.asic.models import asic_work

    w = asic_work("layernorm", 1600, fast.asic)
    assert System(slow).asic_cycles(w) == pytest.approx(10 * System(fast).asic_cycles(w), abs=10)
    in_ns = ["dram.timing.t_cwl_ns=3.0"]
    from pimsim.errors import PimsimWarning

    with pytest.warns(PimsimWarning, match="21 timings of preset gddr6-aim are in cycles"):  # nCWL is in ns
        half = load_hwconfig("hwconfigs/pimgpt.yaml", ["dram.data_rate_gbps=8", *in_ns])
    full = load_hwconfig("hwconfigs/pimgpt.yaml", in_ns)
    assert half.dram.tck_ns == 2 * fast.dram.tck_ns
    assert half.dram.timing["nCWL"] < full.dram.timing["nCWL"]  # given in ns: fewer, longer cycles
    assert half.dram.timing["nCL"] == fast.dram.timing["nCL"]  # given in cycles: kept
