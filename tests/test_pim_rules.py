"""One test per PIM timing rule: the exact earliest cycle (the AiM-style rows of the rule table).

Parameters: those of tests/conftest.py (nCL 20, nCWL 7, nBL 2, nRCDRD 23, nRCDWR 17, nRP 19, nRAS 41,
nRC 61, nRTP 5, nCCDS 3, nCCDL 6, nRRDS 9, nRRDL 11, nWTRS 4, nWTRL 8, nFAW 50, nRFC 150, nRFCpb 70)
plus nRCDMAC 29 and nMACPIPE 13, all different.
"""

from __future__ import annotations

import pytest

from pimsim.config.pim import PimConfig
from pimsim.dram.engine import Engine
from pimsim.pim.commands import build_pim_spec
from tests.conftest import DISTINCT_TIMING, Driver, distinct_hw

RANK = (0, 0, 0, 0)
B0, B1, OTHER_GROUP = (0, 0, 0, 0), (0, 0, 0, 1), (0, 0, 1, 0)


def pim_driver(act16_in_faw: bool = False) -> Driver:
    hw = distinct_hw(ranks=1, timing={**DISTINCT_TIMING, "nRCDMAC": 29})
    pim = PimConfig(mac_lanes=16, element_bytes=2, mac_pipeline_cycles=13, accumulators_per_bank=4,
                    global_buffer_bytes=2048, act16_in_faw=act16_in_faw)
    return Driver(Engine(build_pim_spec(hw.dram, pim), keep_log=True))


@pytest.fixture
def d():
    return pim_driver()


def test_mac16_after_act16_waits_nrcdmac(d):
    d.issue("ACT16", RANK, 100)
    assert d.earliest("MAC16", RANK) == 100 + 29


def test_single_bank_mac_after_act_waits_nrcdmac(d):
    d.issue("ACT", B0, 100)
    assert d.earliest("MAC", B0) == 100 + 29


def test_mac16_after_mac16_waits_nccdl(d):
    d.issue("ACT16", RANK, 0)
    d.issue("MAC16", RANK, 100)
    assert d.earliest("MAC16", RANK) == 100 + 6


def test_mac_in_another_bank_group_waits_nccds(d):
    d.issue("ACT16", RANK, 0)
    d.issue("MAC", B0, 100)
    assert d.earliest("MAC", OTHER_GROUP) == 100 + 3
    assert d.earliest("MAC", B1) == 100 + 6


def test_precharge_after_mac_waits_nrtp(d):
    d.issue("ACT16", RANK, 0)
    d.issue("MAC16", RANK, 100)
    assert d.earliest("PREA", RANK) == 100 + 5
    assert d.earliest("PRE", B1) == 100 + 5


def test_act16_keeps_nras_nrp_and_nrc_on_every_bank(d):
    d.issue("ACT16", RANK, 100)
    assert d.earliest("PREA", RANK) == 100 + 41
    d.issue("PREA", RANK, 141)
    assert d.earliest("ACT", (0, 0, 3, 3)) == 141 + 19 + 1  # nRC (161) binds over PREA + nRP (160)
    assert d.earliest("ACT16", RANK) == 161


def test_act_after_act16_on_any_bank_waits_nrc(d):
    d.issue("ACT", (0, 0, 3, 3), 100)
    assert d.earliest("ACT16", RANK) == 100 + 61  # ACT16 covers that bank


def test_act_in_another_group_after_act4_waits_nrrdl_not_nrrds(d):
    d.issue("ACT4", (0, 0, 0, 0), 100)
    assert d.earliest("ACT", OTHER_GROUP) == 100 + 11


def test_act4_after_an_act_in_another_group_waits_nrrdl(d):
    d.issue("ACT", OTHER_GROUP, 100)
    assert d.earliest("ACT4", (0, 0, 2, 0)) == 100 + 11


def test_act4_after_act4_in_another_group_waits_nrrdl(d):
    d.issue("ACT4", (0, 0, 0, 0), 100)
    assert d.earliest("ACT4", (0, 0, 1, 0)) == 100 + 11


def test_mac_after_act4_waits_nrcdmac_in_that_group_only(d):
    d.issue("ACT4", (0, 0, 2, 0), 100)
    assert d.earliest("MAC", (0, 0, 2, 3)) == 100 + 29


def test_mac_after_a_global_buffer_write_waits_for_its_data(d):
    d.issue("ACT16", RANK, 0)
    d.issue("WRGB", RANK, 100)
    assert d.earliest("MAC16", RANK) == 100 + 7 + 2  # nCWL + nBL


def test_mac_after_an_accumulator_write_waits_for_its_data(d):
    d.issue("ACT16", RANK, 0)
    d.issue("WRMAC", RANK, 100)
    assert d.earliest("MAC16", RANK) == 100 + 7 + 2


def test_accumulator_read_waits_for_the_mac_pipeline(d):
    d.issue("ACT16", RANK, 0)
    d.issue("MAC16", RANK, 100)
    assert d.earliest("RDMAC", RANK) == 100 + 13


def test_global_buffer_writes_are_one_burst_apart(d):
    d.issue("WRGB", RANK, 100)
    assert d.earliest("WRGB", RANK) == 100 + 2
    assert d.earliest("WRMAC", RANK) == 100 + 2


def test_accumulator_reads_are_one_burst_apart(d):
    d.issue("RDMAC", RANK, 100)
    assert d.earliest("RDMAC", RANK) == 100 + 2


def test_global_buffer_write_after_a_read_waits_the_bus_turnaround(d):
    d.issue("RDMAC", RANK, 100)
    assert d.earliest("WRGB", RANK) == 100 + 20 + 2 + 2 - 7  # nCL + nBL + 2 - nCWL


def test_accumulator_read_after_a_write_burst_waits_only_the_command_bus(d):
    d.issue("WRGB", RANK, 100)
    # nCWL + nBL + 2 - nCL < 0: the write's data is long gone before a read's data returns
    assert d.earliest("RDMAC", RANK) == 101


def test_mac_after_a_bank_write_waits_nwtrl_in_its_group(d):
    d.issue("ACT16", RANK, 0)
    d.issue("WR", B0, 100)
    assert d.earliest("MAC", B1) == 100 + 7 + 2 + 8  # nCWL + nBL + nWTRL
    assert d.earliest("MAC", OTHER_GROUP) == 100 + 7 + 2 + 4  # nCWL + nBL + nWTRS


def test_nothing_issues_during_an_all_bank_refresh(d):
    d.issue("REFab", RANK, 100)
    for name in ("ACT16", "WRGB", "RDMAC", "WRMAC"):
        assert d.earliest(name, RANK) == 100 + 150


def test_activates_wait_nfaw_after_act4_only_when_configured():
    """An ACT4 counts as a full four-activate window with pim.act16_in_faw (nFAW 50 > nRRDL 11)."""
    on, off = pim_driver(act16_in_faw=True), pim_driver(act16_in_faw=False)
    for drv in (on, off):
        drv.issue("ACT4", (0, 0, 0, 0), 100)
    assert on.earliest("ACT", OTHER_GROUP) == 100 + 50
    assert off.earliest("ACT", OTHER_GROUP) == 100 + 11


def test_act4_after_four_activates_waits_nfaw_only_when_configured():
    on, off = pim_driver(act16_in_faw=True), pim_driver(act16_in_faw=False)
    for drv in (on, off):
        for k, addr in enumerate([(0, 0, 0, 0), (0, 0, 1, 0), (0, 0, 2, 0), (0, 0, 0, 1)]):
            drv.issue("ACT", addr, 100 + 11 * k)  # 100, 111, 122, 133
    assert on.earliest("ACT4", (0, 0, 3, 0)) == 100 + 50  # the fifth activate in the window
    assert off.earliest("ACT4", (0, 0, 3, 0)) == 133 + 11  # only tRRD_L
