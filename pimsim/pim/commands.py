"""The PIM command set (GDDR6-AiM style) as rows of the DRAM rule table.

Commands (all move 32 B per bank or per burst):
  ACT4   activate one row in the 4 banks of a bank group
  ACT16  activate one row in every bank of the channel
  MAC    one bank multiplies a column of its open row by the global buffer, accumulating
  MAC16  the same in every bank at once (one column each)
  WRGB   write one burst of the input vector into the channel's global buffer (over the I/O)
  RDMAC  read one burst of accumulator results back to the ASIC (over the I/O)
  WRMAC  write one burst into the accumulators (initial value / bias)
Plain ACT/PRE/PREA/RD/WR serve KV-cache updates.

Timing relations follow the AiM model in shared/reference/pim-gpt.md s2:
tRCD (nRCDMAC) before a MAC, tRTP before a precharge, one data-bus burst
per WRGB/RDMAC/WRMAC with the usual turnarounds, tRRD_L to and from an
ACT4/ACT16, and tFAW for all-bank activates only if ``pim.act16_in_faw``.
"""

from __future__ import annotations

from pimsim.config.dram import DramConfig
from pimsim.config.pim import PimConfig
from pimsim.dram.commands import BANK, BANK_GROUP, CHANNEL, RANK, Command
from pimsim.dram.rules import Rule
from pimsim.dram.spec import DramSpec, build_spec
from pimsim.errors import PimsimError

PIM_COMMANDS: tuple[Command, ...] = (
    Command("ACT4", BANK_GROUP, needs="closed", effect="open"),
    Command("ACT16", RANK, needs="closed", effect="open"),
    Command("MAC", BANK, needs="open", effect="none", data="mac"),
    Command("MAC16", RANK, needs="open", effect="none", data="mac"),
    Command("WRGB", CHANNEL, needs="any", effect="none", data="write"),
    Command("RDMAC", CHANNEL, needs="any", effect="none", data="read"),
    Command("WRMAC", CHANNEL, needs="any", effect="none", data="write"),
)

ACTS = ("ACT", "ACT4", "ACT16")
GROUP_ACTS = ("ACT4", "ACT16")
MACS = ("MAC", "MAC16")
RD_ = ("RD", "RDA")
WR_ = ("WR", "WRA")
PRE_ = ("PRE", "PREA")
REF_ = ("REFab", "REFpb")
BUS_IN = ("WRGB", "WRMAC")  # ASIC -> PIM bursts
BUS_OUT = ("RDMAC",)  # PIM -> ASIC bursts

PIM_RULES: tuple[Rule, ...] = (
    # multi-bank activates obey every per-bank activate rule
    Rule(BANK, GROUP_ACTS, ACTS, "nRC", source="tRC"),
    Rule(BANK, ("ACT",), GROUP_ACTS, "nRC", source="tRC"),
    Rule(BANK, GROUP_ACTS, PRE_, "nRAS", source="tRAS"),
    Rule(BANK, PRE_, GROUP_ACTS, "nRP", source="tRP"),
    Rule(BANK, ("RDA",), GROUP_ACTS, "nRTP + nRP", source="auto-precharge"),
    Rule(BANK, ("WRA",), GROUP_ACTS, "nCWL + nBL + nWR + nRP", source="auto-precharge"),
    Rule(BANK, GROUP_ACTS, RD_, "nRCDRD", source="tRCD (read)"),
    Rule(BANK, GROUP_ACTS, WR_, "nRCDWR", source="tRCD (write)"),
    Rule(BANK, GROUP_ACTS, REF_, "nRC", source="REF needs the bank idle"),
    Rule(BANK, ("REFpb",), GROUP_ACTS, "nRFCpb", source="tRFCpb"),
    Rule(RANK, GROUP_ACTS, ACTS, "nRRDL", source="AiM: ACT4/ACT16 keep tRRD_L to other activates"),
    Rule(RANK, ("ACT",), GROUP_ACTS, "nRRDL", source="AiM: ACT4/ACT16 keep tRRD_L to other activates"),
    # MAC: a column access into the MAC unit instead of the I/O
    Rule(BANK, ACTS, MACS, "nRCDMAC", source="AiM: MAC after activate (calibrated tRCD for MAC)"),
    Rule(BANK_GROUP, MACS + RD_, MACS + RD_, "nCCDL", source="tCCD_L: one column per MAC interval"),
    Rule(RANK, MACS + RD_, MACS + RD_, "nCCDS", source="tCCD_S"),
    Rule(BANK_GROUP, WR_, MACS, "nCWL + nBL + nWTRL", source="tWTR_L"),
    Rule(RANK, WR_, MACS, "nCWL + nBL + nWTRS", source="tWTR_S"),
    Rule(BANK, MACS, PRE_, "nRTP", source="AiM: tRTP before precharge"),
    # global buffer and accumulators over the channel's data bus
    Rule(CHANNEL, BUS_OUT + RD_, BUS_OUT + RD_, "nBL", source="data bus occupancy"),
    Rule(CHANNEL, BUS_IN + WR_, BUS_IN + WR_, "nBL", source="data bus occupancy"),
    Rule(CHANNEL, BUS_OUT + RD_, BUS_IN + WR_, "nCL + nBL + 2 - nCWL", source="read-to-write turnaround"),
    Rule(CHANNEL, BUS_IN + WR_, BUS_OUT, "nCWL + nBL + 2 - nCL", source="write-to-read bus turnaround"),
    Rule(CHANNEL, BUS_IN, RD_, "nCWL + nBL + 2 - nCL", source="write-to-read bus turnaround"),
    Rule(CHANNEL, ("WRGB",), MACS, "nCWL + nBL", source="the broadcast input must be in the buffer"),
    Rule(CHANNEL, ("WRMAC",), MACS, "nCWL + nBL", source="accumulators initialised before accumulating"),
    Rule(CHANNEL, MACS, BUS_OUT, "nMACPIPE", source="pim.mac_pipeline_cycles: the last MAC leaves the pipeline"),
)

# pim.act16_in_faw: an all-bank (or 4-bank) activate fills a whole four-activate window.
FAW_RULES: tuple[Rule, ...] = (
    Rule(RANK, GROUP_ACTS, ACTS, "nFAW", source="tFAW applied to ACT4/ACT16 (pim.act16_in_faw)"),
    Rule(RANK, ("ACT",), GROUP_ACTS, "nFAW", window=4, source="tFAW applied to ACT4/ACT16 (pim.act16_in_faw)"),
)


def build_pim_spec(dram: DramConfig, pim: PimConfig, where: str = "") -> DramSpec:
    """The DRAM spec extended with the PIM command set and its rules."""
    if "nRCDMAC" not in dram.timing:
        raise PimsimError("the PIM command set needs nRCDMAC (or t_rcd_mac_ns)", where=where,
                          key="dram.timing.nRCDMAC")
    rules = PIM_RULES + (FAW_RULES if pim.act16_in_faw else ())
    return build_spec(dram, PIM_COMMANDS, rules, {"nMACPIPE": pim.mac_pipeline_cycles})
