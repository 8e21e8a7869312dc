"""One test per timing rule: the exact earliest cycle of the following command.

Parameters (tests/conftest.py): nCL 20, nCWL 7, nBL 2, nRCDRD 23, nRCDWR 17,
nRP 19, nRAS 41, nRC 61, nWR 13, nRTP 5, nCCDS 3, nCCDL 6, nRRDS 9, nRRDL 11,
nWTRS 4, nWTRL 8, nFAW 50, nRFC 150, nRFCpb 70, nRTRS 2.
"""

from __future__ import annotations

import pytest

from pimsim.dram.engine import ProtocolError

B0 = (0, 0, 0, 0)  # rank 0, group 0, bank 0
B1_SAME_GROUP = (0, 0, 0, 1)
B_OTHER_GROUP = (0, 0, 1, 0)
OTHER_RANK = (0, 1, 0, 0)
RANK0 = (0, 0, 0, 0)


def test_rd_after_act_waits_nrcdrd(drv):
    drv.issue("ACT", B0, 100)
    assert drv.earliest("RD", B0) == 100 + 23


def test_wr_after_act_waits_nrcdwr(drv):
    drv.issue("ACT", B0, 100)
    assert drv.earliest("WR", B0) == 100 + 17


def test_pre_after_act_waits_nras(drv):
    drv.issue("ACT", B0, 100)
    assert drv.earliest("PRE", B0) == 100 + 41


def test_act_after_pre_waits_nrp(drv):
    drv.issue("ACT", B0, 0)
    drv.issue("PRE", B0, 200)
    assert drv.earliest("ACT", B0) == 200 + 19


def test_act_after_act_same_bank_waits_nrc(drv):
    drv.issue("ACT", B0, 0)
    drv.issue("PRE", B0, 41)  # nRAS + nRP = 60 < nRC = 61
    assert drv.earliest("ACT", B0) == 61


def test_act_after_act_same_bank_group_waits_nrrdl(drv):
    drv.issue("ACT", B0, 100)
    assert drv.earliest("ACT", B1_SAME_GROUP) == 100 + 11


def test_act_after_act_other_bank_group_waits_nrrds(drv):
    drv.issue("ACT", B0, 100)
    assert drv.earliest("ACT", B_OTHER_GROUP) == 100 + 9


def test_fifth_act_waits_nfaw_after_the_first(drv):
    first = drv.issue("ACT", (0, 0, 0, 0), 100)
    for bg in (1, 2, 3):
        drv.issue("ACT", (0, 0, bg, 0))  # 109, 118, 127 (nRRDS apart)
    assert drv.earliest("ACT", (0, 0, 0, 1)) == first + 50


def test_act_on_other_rank_ignores_nrrd_and_nfaw(drv):
    drv.issue("ACT", B0, 100)
    assert drv.earliest("ACT", OTHER_RANK) == 101  # only the command bus


def test_rd_after_rd_same_bank_group_waits_nccdl(drv):
    drv.issue("ACT", B0, 0)
    drv.issue("ACT", B1_SAME_GROUP, 11)
    drv.issue("RD", B0, 100)
    assert drv.earliest("RD", B1_SAME_GROUP) == 100 + 6


def test_rd_after_rd_other_bank_group_waits_nccds(drv):
    drv.issue("ACT", B0, 0)
    drv.issue("RD", B0, 100)
    assert drv.earliest("RD", B_OTHER_GROUP) == 100 + 3


def test_wr_after_wr_same_bank_group_waits_nccdl(drv):
    drv.issue("ACT", B0, 0)
    drv.issue("WR", B0, 100)
    assert drv.earliest("WR", B1_SAME_GROUP) == 100 + 6


def test_wr_after_wr_other_bank_group_waits_nccds(drv):
    drv.issue("ACT", B0, 0)
    drv.issue("WR", B0, 100)
    assert drv.earliest("WR", B_OTHER_GROUP) == 100 + 3


def test_wr_after_rd_waits_read_to_write_turnaround(drv):
    drv.issue("ACT", B0, 0)
    drv.issue("RD", B0, 100)
    assert drv.earliest("WR", B_OTHER_GROUP) == 100 + 20 + 2 + 2 - 7  # nCL + nBL + 2 - nCWL


def test_rd_after_wr_same_bank_group_waits_nwtrl(drv):
    drv.issue("ACT", B0, 0)
    drv.issue("WR", B0, 100)
    assert drv.earliest("RD", B1_SAME_GROUP) == 100 + 7 + 2 + 8  # nCWL + nBL + nWTRL


def test_rd_after_wr_other_bank_group_waits_nwtrs(drv):
    drv.issue("ACT", B0, 0)
    drv.issue("WR", B0, 100)
    assert drv.earliest("RD", B_OTHER_GROUP) == 100 + 7 + 2 + 4  # nCWL + nBL + nWTRS


def test_pre_after_rd_waits_nrtp(drv):
    drv.issue("ACT", B0, 0)
    drv.issue("RD", B0, 100)
    assert drv.earliest("PRE", B0) == 100 + 5


def test_pre_after_wr_waits_write_recovery(drv):
    drv.issue("ACT", B0, 0)
    drv.issue("WR", B0, 100)
    assert drv.earliest("PRE", B0) == 100 + 7 + 2 + 13  # nCWL + nBL + nWR


def test_act_after_rda_waits_nrtp_plus_nrp(drv):
    drv.issue("ACT", B0, 0)
    drv.issue("RDA", B0, 100)
    assert drv.earliest("ACT", B0) == 100 + 5 + 19


def test_act_after_wra_waits_write_recovery_plus_nrp(drv):
    drv.issue("ACT", B0, 0)
    drv.issue("WRA", B0, 100)
    assert drv.earliest("ACT", B0) == 100 + 7 + 2 + 13 + 19


def test_prea_waits_nras_of_the_latest_act_in_the_rank(drv):
    drv.issue("ACT", B0, 0)
    drv.issue("ACT", (0, 0, 3, 3), 100)
    assert drv.earliest("PREA", RANK0) == 100 + 41


def test_act_after_prea_waits_nrp_on_every_bank(drv):
    drv.issue("ACT", B0, 0)
    drv.issue("PREA", RANK0, 100)
    assert drv.earliest("ACT", (0, 0, 2, 3)) == 100 + 19


def test_refab_after_prea_waits_nrp(drv):
    drv.issue("ACT", B0, 0)
    drv.issue("PREA", RANK0, 100)
    assert drv.earliest("REFab", RANK0) == 100 + 19


def test_act_after_refab_waits_nrfc(drv):
    drv.issue("REFab", RANK0, 100)
    assert drv.earliest("ACT", (0, 0, 1, 2)) == 100 + 150


def test_refab_after_refab_waits_nrfc(drv):
    drv.issue("REFab", RANK0, 100)
    assert drv.earliest("REFab", RANK0) == 100 + 150


def test_act_same_bank_after_refpb_waits_nrfcpb(drv):
    drv.issue("REFpb", B0, 100)
    assert drv.earliest("ACT", B0) == 100 + 70


def test_act_other_bank_after_refpb_waits_nrrds(drv):
    drv.issue("REFpb", B0, 100)
    assert drv.earliest("ACT", B_OTHER_GROUP) == 100 + 9


def test_refpb_after_act_same_bank_waits_nrc_after_its_precharge(drv):
    drv.issue("ACT", B0, 0)
    drv.issue("PRE", B0, 41)
    assert drv.earliest("REFpb", B0) == 61  # max(nRC, PRE + nRP = 60)


def test_rd_on_other_rank_waits_burst_plus_nrtrs(drv):
    drv.issue("ACT", B0, 0)
    drv.issue("ACT", OTHER_RANK, 1)
    drv.issue("RD", B0, 100)
    assert drv.earliest("RD", OTHER_RANK) == 100 + 2 + 2  # nBL + nRTRS


def test_wr_on_other_rank_after_rd_waits_rank_switch(drv):
    drv.issue("ACT", B0, 0)
    drv.issue("ACT", OTHER_RANK, 1)
    drv.issue("RD", B0, 100)
    # max(channel turnaround nCL + nBL + 2 - nCWL = 17, rank switch nCL + nBL + nRTRS - nCWL = 17)
    assert drv.earliest("WR", OTHER_RANK) == 100 + 17


def test_rd_on_other_rank_after_wr_waits_rank_switch(drv):
    drv.issue("ACT", B0, 0)
    drv.issue("ACT", OTHER_RANK, 1)
    drv.issue("WR", B0, 100)
    # WR -> RD other rank: nCWL + nBL + nRTRS - nCL = -9, so only the data bus rule is left... none:
    # the command bus allows 101.
    assert drv.earliest("RD", OTHER_RANK) == 101


def test_one_command_per_cycle_on_the_command_bus(drv):
    drv.issue("ACT", B0, 100)
    assert drv.earliest("ACT", OTHER_RANK) == 101
    assert drv.earliest("PRE", OTHER_RANK) == 101


def test_issuing_before_the_earliest_cycle_is_refused(drv):
    drv.issue("ACT", B0, 100)
    with pytest.raises(ProtocolError, match="violates timing"):
        drv.issue("RD", B0, 122)


@pytest.mark.parametrize("first,then,why", [
    ([], "RD", "closed bank"),
    ([("ACT", 0)], "ACT", "while a bank is open"),
    ([("ACT", 0)], "REFab", "while a bank is open"),
])
def test_illegal_bank_state_is_refused(drv, first, then, why):
    for name, cyc in first:
        drv.issue(name, B0, cyc, row=3)
    with pytest.raises(ProtocolError, match=why):
        drv.issue(then, B0 if then != "REFab" else RANK0, 500, row=3)


def test_rd_to_another_row_than_the_open_one_is_refused(drv):
    drv.issue("ACT", B0, 0, row=3)
    with pytest.raises(ProtocolError, match="row 4 while row 3 is open"):
        drv.issue("RD", B0, 100, row=4)
