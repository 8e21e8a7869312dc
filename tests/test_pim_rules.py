"""One test per PIM timing rule: the exact earliest cycle (the AiM-style rows of the rule table).

Parameters: those of tests/conftest.py (nCL 20, nCWL 7, nBL 2, nRCDRD 23, nRCDWR 17, nRP 19, nRAS 41,
nRC 61, nRTP 5, nCCDS 3, nCCDL 6, nRRDS 9, nRRDL 11, nWTRS 4, nWTRL 8, nFAW 50, nRFC 150, nRFCpb 70)
plus nRCDMAC 29 and nMACPIPE 13, all different.
"""

from __future__ import annotations

import pytest

from pimsim.config.pim import PimConfig, RegisterPathConfig
from pimsim.dram.checker import check_log
from pimsim.dram.engine import Engine, ProtocolError
from pimsim.pim.commands import build_pim_spec
from tests.conftest import DISTINCT_TIMING, Driver, distinct_hw

RANK = (0, 0, 0, 0)
B0, B1, OTHER_GROUP = (0, 0, 0, 0), (0, 0, 0, 1), (0, 0, 1, 0)


PIM_TIMING = {"nRCDMAC": 29, "nRCDAF": 43, "nRCDEWMUL": 31, "nRCDCPRD": 37, "nRCDCPWR": 27}
# register path: nCLREG 1, nCWLREG 4, nCWLGB 5, nRTW 3, nMODCH 33, nBLOCK 2 (all different from the above)
REGISTER_PATH = dict(mode_switch_cycles=0, read_latency_cycles=1, write_latency_cycles=4, gb_write_latency_cycles=5,
                     read_to_write_cycles=3, block_on_result_read=False, block_cycles=2, precharge="eager",
                     registers_during_refresh=False)


def pim_driver(act16_in_faw: bool = False, **register_path) -> Driver:
    hw = distinct_hw(ranks=1, timing={**DISTINCT_TIMING, **PIM_TIMING})
    pim = PimConfig(mac_lanes=16, element_bytes=2, mac_pipeline_cycles=13, accumulators_per_bank=4,
                    global_buffer_bytes=2048, act16_in_faw=act16_in_faw,
                    register_path=RegisterPathConfig(**{**REGISTER_PATH, **register_path}))
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
    assert d.earliest("MAC16", RANK) == 100 + 5 + 2  # nCWLGB + nBL


def test_mac_after_an_accumulator_write_waits_for_its_data(d):
    d.issue("ACT16", RANK, 0)
    d.issue("WRMAC", RANK, 100)
    assert d.earliest("MAC16", RANK) == 100 + 4 + 2  # nCWLREG + nBL


def test_accumulator_read_waits_for_the_mac_pipeline(d):
    d.issue("ACT16", RANK, 0)
    d.issue("MAC16", RANK, 100)
    assert d.earliest("RDMAC", RANK) == 100 + 13


def test_global_buffer_writes_wait_nccds_over_their_burst(d):
    d.issue("WRGB", RANK, 100)
    assert d.earliest("WRGB", RANK) == 100 + 3  # nCCDS 3 > nBL 2
    assert d.earliest("WRMAC", RANK) == 100 + 3


def test_accumulator_reads_take_the_internal_bus_for_nccdl(d):
    d.issue("RDMAC", RANK, 100)
    assert d.earliest("RDMAC", RANK) == 100 + 6  # nCCDL 6 > nBL 2
    assert d.earliest("RDAF16", RANK) == 100 + 6


def test_all_bank_mac_after_a_register_read_waits_nccdl(d):
    d.issue("ACT16", RANK, 0)
    d.issue("RDMAC", RANK, 100)
    assert d.earliest("MAC16", RANK) == 100 + 6


@pytest.mark.parametrize("first,then,gap", [
    ("RDMAC", "WRGB", 1 + 2 + 9 - 5),  # nCLREG + nBL + nRTW - nCWLGB
    ("RDMAC", "WRMAC", 1 + 2 + 9 - 4),  # nCLREG + nBL + nRTW - nCWLREG
    ("RDAF16", "WRGB", 1 + 2 + 9 - 5),
    ("RD", "WRGB", 20 + 2 + 9 - 5),  # nCL + nBL + nRTW - nCWLGB
    ("RD", "WRMAC", 20 + 2 + 9 - 4),
])
def test_register_write_after_a_read_waits_the_bus_turnaround(first, then, gap):
    d = pim_driver(read_to_write_cycles=9)
    d.issue("ACT16", RANK, 0)
    d.issue(first, B0 if first == "RD" else RANK, 100)
    assert d.earliest(then, RANK) == 100 + gap


def test_bank_write_after_a_register_read_waits_the_bus_turnaround():
    d = pim_driver(read_to_write_cycles=9)
    d.issue("ACT16", RANK, 0)
    d.issue("RDMAC", RANK, 100)
    assert d.earliest("WR", B0) == 100 + 1 + 2 + 9 - 7  # nCLREG + nBL + nRTW - nCWL


@pytest.mark.parametrize("first,gap", [("WRGB", 5 + 2 + 4), ("WRMAC", 4 + 2 + 8)])  # nCWLGB+nBL+nWTRS, nCWLREG+nBL+nWTRL
def test_register_read_after_a_register_write_waits_twtr(d, first, gap):
    d.issue(first, RANK, 100)
    assert d.earliest("RDMAC", RANK) == 100 + gap


def test_register_read_after_a_bank_write_waits_twtr_l(d):
    d.issue("ACT16", RANK, 0)
    d.issue("WR", B0, 100)
    assert d.earliest("RDMAC", RANK) == 100 + 7 + 2 + 8  # nCWL + nBL + nWTRL


@pytest.mark.parametrize("cmd,addr,gap", [("AF16", RANK, 43), ("EWMUL16", RANK, 31), ("RDCP", B0, 37),
                                          ("WRCP", B0, 27), ("WRA16", RANK, 17)])
def test_in_bank_command_after_activate_waits_its_own_rcd(d, cmd, addr, gap):
    d.issue("ACT16", RANK, 100)
    assert d.earliest(cmd, addr) == 100 + gap


@pytest.mark.parametrize("cmd,addr,gap", [("AF16", RANK, 5), ("EWMUL16", RANK, 7 + 13), ("RDCP", B0, 5),
                                          ("WRCP", B0, 7 + 2 + 13)])
def test_precharge_after_an_in_bank_command_waits_trtp_or_twr(d, cmd, addr, gap):
    d.issue("ACT16", RANK, 0)
    d.issue(cmd, addr, 100)
    assert d.earliest("PREA", RANK) == 100 + gap  # nRTP; nCWL + nWR; nCWL + nBL + nWR


def test_activate_after_an_all_bank_write_waits_its_auto_precharge(d):
    d.issue("ACT16", RANK, 0)
    d.issue("WRA16", RANK, 100)
    assert d.earliest("ACT16", RANK) == 100 + 7 + 2 + 13 + 19  # nCWL + nBL + nWR + nRP
    assert d.e.open_row[0] == -1  # closed every bank


def test_bank_copies_share_the_group_bus(d):
    d.issue("ACT16", RANK, 0)
    d.issue("RDCP", B0, 100)
    assert d.earliest("RDCP", B1) == 100 + 6  # nCCDL
    assert d.earliest("RDCP", OTHER_GROUP) == 100 + 3  # nCCDS
    assert d.earliest("EWMUL16", RANK) == 100 + 6  # an all-bank command needs every group's bus


def test_anything_after_a_mode_switch_waits_nmodch():
    d = pim_driver(mode_switch_cycles=33)
    d.issue("TMOD", RANK, 100)
    for name in ("WRGB", "RDMAC", "WRMAC", "RDAF16"):
        assert d.earliest(name, RANK) == 100 + 33
    d.issue("WRGB", RANK, 133)
    d.issue("TMOD", RANK, 136)
    assert d.earliest("ACT16", RANK) == 136 + 33
    assert d.earliest("REFab", RANK) == 136 + 33


def test_a_register_command_in_array_mode_is_refused():
    d = pim_driver(mode_switch_cycles=33)
    with pytest.raises(ProtocolError, match="WRGB in array mode"):
        d.issue("WRGB", RANK, 100)
    d.issue("TMOD", RANK, 100)
    with pytest.raises(ProtocolError, match="ACT16 in register mode"):
        d.issue("ACT16", RANK, 200)


def test_without_a_mode_switch_there_is_no_tmod_and_no_mode():
    d = pim_driver(mode_switch_cycles=0)
    assert "TMOD" not in d.ids
    d.issue("WRGB", RANK, 100)
    d.issue("ACT16", RANK, 103)


def test_a_blocking_result_read_holds_every_command_until_its_data_is_back():
    on, off = pim_driver(block_on_result_read=True), pim_driver()
    for drv in (on, off):
        drv.issue("RDMAC", RANK, 100)
    assert on.earliest("ACT16", RANK) == 100 + 1 + 2 + 2  # nCLREG + nBL + nBLOCK
    assert on.earliest("WRGB", RANK) == 100 + 1 + 2 + 2
    assert off.earliest("ACT16", RANK) == 101  # only the command bus


def test_mac_after_a_bank_write_waits_nwtrl_in_its_group(d):
    d.issue("ACT16", RANK, 0)
    d.issue("WR", B0, 100)
    assert d.earliest("MAC", B1) == 100 + 7 + 2 + 8  # nCWL + nBL + nWTRL
    assert d.earliest("MAC", OTHER_GROUP) == 100 + 7 + 2 + 4  # nCWL + nBL + nWTRS


def test_nothing_issues_during_an_all_bank_refresh_unless_registers_may(d):
    d.issue("REFab", RANK, 100)
    for name in ("ACT16", "WRGB", "RDMAC", "WRMAC", "RDAF16"):
        assert d.earliest(name, RANK) == 100 + 150
    switched = pim_driver(mode_switch_cycles=33)
    switched.issue("REFab", RANK, 100)
    assert switched.earliest("TMOD", RANK) == 100 + 150


def test_register_commands_and_the_mode_switch_may_issue_during_an_all_bank_refresh():
    d = pim_driver(mode_switch_cycles=33, registers_during_refresh=True)
    d.issue("REFab", RANK, 100)
    assert d.earliest("TMOD", RANK) == 101  # only the command bus
    assert d.earliest("ACT16", RANK) == 100 + 150  # array commands still wait nRFC
    d.issue("TMOD", RANK, 101)
    for name in ("WRGB", "RDMAC", "WRMAC", "RDAF16"):
        assert d.earliest(name, RANK) == 101 + 33  # nMODCH, not nRFC


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


def test_a_precharge_waits_trp_after_the_banks_last_precharge(d):
    d.issue("ACT16", RANK, 0)
    d.issue("PRE", B0, 100)
    assert d.earliest("PREA", RANK) == 100 + 19  # nRP: the precharge of bank 0 must end first
    assert d.earliest("PRE", B1) == 101  # another bank: only the command bus


def test_an_all_bank_activate_may_find_banks_open_at_its_row_but_not_at_another(d):
    d.issue("ACT", B0, 0, row=7)
    d.issue("ACT16", RANK, 100, row=7)  # bank 0 stays at row 7, the other 15 open it
    assert set(d.e.open_row) == {7}
    d.issue("PRE", B1, 200)
    with pytest.raises(ProtocolError, match="while a bank is open"):
        d.issue("ACT16", RANK, 300, row=8)


# -- the protocol checker names a planted violation of every PIM rule -----------------------------------
def _aim_like():
    return pim_driver(mode_switch_cycles=33, block_on_result_read=True).e.spec


R = (0, 0, 0, 0)


@pytest.mark.parametrize("log,expected", [
    ([(0, "WRGB", *R, -1, 0)], "WRGB in array mode (needs a mode switch first)"),
    ([(0, "TMOD", *R, -1, 0), (10, "ACT16", *R, 3, 0)], "ACT16 in register mode"),
    ([(0, "TMOD", *R, -1, 0), (10, "WRGB", *R, -1, 0)], "TMOD -> * same-channel: nMODCH"),
    ([(0, "TMOD", *R, -1, 0), (40, "RDMAC", *R, -1, 0), (42, "WRGB", *R, -1, 0)], "nCLREG + nBL + nBLOCK"),
    ([(0, "TMOD", *R, -1, 0), (40, "WRGB", *R, -1, 0), (44, "RDMAC", *R, -1, 0)], "nCWLGB + nBL + nWTRS"),
    ([(0, "ACT16", *R, 3, 0), (20, "AF16", *R, 3, 0)], "nRCDAF"),
    ([(0, "ACT16", *R, 3, 0), (20, "EWMUL16", *R, 3, 0)], "nRCDEWMUL"),
    ([(0, "ACT16", *R, 3, 0), (20, "RDCP", *R, 3, 0)], "nRCDCPRD"),
    ([(0, "ACT16", *R, 3, 0), (20, "WRCP", *R, 3, 0)], "nRCDCPWR"),
    ([(0, "ACT16", *R, 3, 0), (10, "WRA16", *R, 3, 0)], "nRCDWR"),
    ([(0, "ACT16", *R, 3, 0), (40, "WRA16", *R, 3, 0), (60, "ACT16", *R, 3, 0)], "nCWL + nBL + nWR + nRP"),
    ([(0, "ACT16", *R, 3, 0), (50, "PRE", *R, -1, 0), (55, "PREA", *R, -1, 0)], "PRE/PREA -> PRE/PREA same-bank: nRP"),
    ([(0, "ACT16", *R, 3, 0), (40, "EWMUL16", *R, 3, 0), (45, "PREA", *R, -1, 0)], "max(nRTP, nCWL + nWR)"),
    ([(0, "ACT", *R, 3, 0), (100, "ACT16", *R, 4, 0)], "bank (0, 0, 0, 0) is open (row 3)"),
    ([(0, "REFab", *R, -1, 0), (10, "TMOD", *R, -1, 0)], "REFab -> TMOD same-rank: nRFC"),
    ([(0, "REFab", *R, -1, 0), (5, "TMOD", *R, -1, 0), (40, "WRGB", *R, -1, 0)], "REFab -> RDMAC/RDAF16/WRGB/WRMAC"),
])
def test_the_checker_names_a_planted_violation_of_each_pim_rule(log, expected):
    found = check_log(_aim_like(), log)
    assert any(expected in f"{v.command}: {v.what}" or expected in v.what for v in found), found
