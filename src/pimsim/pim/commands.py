"""The PIM command set (GDDR6-AiM style) as rows of the DRAM rule table.

Array commands (all move 32 B per bank or per burst):
  ACT4    activate one row in the 4 banks of a bank group
  ACT16   activate one row in every bank of the channel
  MAC     one bank multiplies a column of its open row by the global buffer, accumulating
  MAC16   the same in every bank at once (one column each)
  AF16    every bank applies the activation function to its accumulators
  EWMUL16 element-wise multiply of columns of neighbouring banks' open rows, written back
  RDCP    copy one column of a bank's open row into the global buffer
  WRCP    copy the global buffer into one column of a bank's open row
  WRA16   write one burst into the same column of every bank, then precharge them all
Register commands (over the channel's I/O, to registers beside it):
  WRGB    write one burst of the input vector into the channel's global buffer
  RDMAC   read one burst of accumulator results (one per bank) back to the host
  RDAF16  read one burst of activation-function results back to the host
  WRMAC   write one burst into the accumulators (initial value / bias)
  TMOD    switch the device between array and register mode (only with a mode switch)
Plain ACT/PRE/PREA/RD/WR serve KV-cache updates.

Timing relations follow the AiM model (docs/references.md, "GDDR6-AiM"):
tRCD-like delays from an activate to each in-bank command (nRCDMAC, nRCDAF,
nRCDEWMUL, nRCDCPRD, nRCDCPWR), tRTP (tWR for in-bank writes) before a
precharge, tCCD between column commands, tRRD_L to and from an ACT4/ACT16,
tFAW for all-bank activates only if ``pim.act16_in_faw``, and the register
path of ``pim.register_path``: register latencies nCLREG / nCWLREG / nCWLGB in
place of CL / CWL, the mode switch (TMOD -> anything: nMODCH) and, when the
issuer blocks on result reads, result read -> anything: its latency plus
nBLOCK. An all-bank refresh holds every array command for tRFC; register
commands and the mode switch only if ``registers_during_refresh`` is false
(they touch registers at the I/O, not the refreshing arrays).
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
    Command("ACT16", RANK, needs="closed_or_row", effect="open"),
    Command("MAC", BANK, needs="open", effect="none", data="mac"),
    Command("MAC16", RANK, needs="open", effect="none", data="mac"),
    Command("AF16", RANK, needs="open", effect="none", data="mac"),
    Command("EWMUL16", RANK, needs="open", effect="none", data="mac"),
    Command("RDCP", BANK, needs="open", effect="none", data="mac"),
    Command("WRCP", BANK, needs="open", effect="none", data="mac"),
    Command("WRA16", RANK, needs="open", effect="close", data="write_precharge"),
    Command("WRGB", CHANNEL, needs="any", effect="none", data="gb_write", mode="register"),
    Command("RDMAC", CHANNEL, needs="any", effect="none", data="reg_read", mode="register"),
    Command("RDAF16", CHANNEL, needs="any", effect="none", data="reg_read", mode="register"),
    Command("WRMAC", CHANNEL, needs="any", effect="none", data="reg_write", mode="register"),
)
MODE_SWITCH = Command("TMOD", CHANNEL, needs="any", effect="none", mode="switch")

ACTS = ("ACT", "ACT4", "ACT16")
GROUP_ACTS = ("ACT4", "ACT16")
MACS = ("MAC", "MAC16")
RD_ = ("RD", "RDA")
WR_ = ("WR", "WRA")
PRE_ = ("PRE", "PREA")
REF_ = ("REFab", "REFpb")
REG_READS = ("RDMAC", "RDAF16")  # PIM -> host bursts
BUS_IN = ("WRGB", "WRMAC")  # host -> PIM register bursts
BANK_READS = MACS + ("RDCP",)  # column reads that stay inside the die
ALL_BANK_COLS = ("MAC16", "EWMUL16")  # all-bank column commands on the shared internal bus

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
    # in-bank column commands: tRCD-like delays of their own after an activate
    Rule(BANK, ACTS, MACS, "nRCDMAC", source="AiM: MAC after activate (calibrated tRCD for MAC)"),
    Rule(BANK, ACTS, ("AF16",), "nRCDAF", source="AiM: activation function after activate"),
    Rule(BANK, ACTS, ("EWMUL16",), "nRCDEWMUL", source="AiM: element-wise multiply after activate"),
    Rule(BANK, ACTS, ("RDCP",), "nRCDCPRD", source="AiM: bank -> global buffer copy after activate"),
    Rule(BANK, ACTS, ("WRCP",), "nRCDCPWR", source="AiM: global buffer -> bank copy after activate"),
    Rule(BANK, ACTS, ("WRA16",), "nRCDWR", source="tRCD (write)"),
    # the die's internal column bus: one column per tCCD
    Rule(BANK_GROUP, BANK_READS + RD_, BANK_READS + RD_, "nCCDL", source="tCCD_L: one column per interval"),
    Rule(RANK, BANK_READS + RD_, BANK_READS + RD_, "nCCDS", source="tCCD_S"),
    Rule(RANK, ALL_BANK_COLS + REG_READS, BANK_READS + RD_ + ALL_BANK_COLS + REG_READS, "nCCDL",
         source="AiM: an all-bank column command takes every group's bus for tCCD_L"),
    Rule(RANK, BANK_READS + RD_ + REG_READS, ALL_BANK_COLS + REG_READS, "nCCDL",
         source="AiM: an all-bank column command takes every group's bus for tCCD_L"),
    Rule(BANK_GROUP, ("WRCP",) + WR_, ("WRCP",) + WR_, "nCCDL", source="tCCD_L (writes)"),
    Rule(RANK, ("WRCP", "WRA16", "EWMUL16") + WR_ + BUS_IN, ("WRCP", "WRA16", "EWMUL16") + WR_ + BUS_IN,
         "nCCDS", source="tCCD_S (writes)"),
    Rule(RANK, ("WRA16", "EWMUL16", "WRMAC"), ("WRCP", "WRA16", "EWMUL16", "WRMAC") + WR_, "nCCDL",
         source="AiM: all-bank writes take every group's bus for tCCD_L"),
    Rule(RANK, ("WRCP", "WRA16", "EWMUL16", "WRMAC") + WR_, ("WRA16", "EWMUL16", "WRMAC"), "nCCDL",
         source="AiM: all-bank writes take every group's bus for tCCD_L"),
    Rule(BANK_GROUP, WR_, MACS, "nCWL + nBL + nWTRL", source="tWTR_L"),
    Rule(RANK, WR_, MACS, "nCWL + nBL + nWTRS", source="tWTR_S"),
    # precharge after an in-bank command
    Rule(BANK, BANK_READS + ("AF16",), PRE_, "nRTP", source="AiM: tRTP before precharge"),
    Rule(BANK, ("EWMUL16",), PRE_, "max(nRTP, nCWL + nWR)", source="AiM: EWMUL writes its result back"),
    Rule(BANK, ("WRCP",), PRE_, "nCWL + nBL + nWR", source="tWR after the copy's write"),
    Rule(BANK, ("WRA16",), ACTS + REF_, "nCWL + nBL + nWR + nRP", source="auto-precharge after tWR, then tRP"),
    Rule(BANK, PRE_, PRE_, "nRP", source="AiM: a precharge waits tRP after the bank's last precharge"),
    # the register path: bursts over the channel's data bus, to and from registers beside the I/O
    Rule(CHANNEL, REG_READS + RD_, REG_READS + RD_, "nBL", source="data bus occupancy"),
    Rule(CHANNEL, BUS_IN + WR_ + ("WRA16",), BUS_IN + WR_ + ("WRA16",), "nBL", source="data bus occupancy"),
    Rule(CHANNEL, RD_, ("WRGB",), "nCL + nBL + nRTW - nCWLGB", source="read-to-write turnaround"),
    Rule(CHANNEL, RD_, ("WRMAC",), "nCL + nBL + nRTW - nCWLREG", source="read-to-write turnaround"),
    Rule(CHANNEL, REG_READS, WR_ + ("WRA16",), "nCLREG + nBL + nRTW - nCWL", source="read-to-write turnaround"),
    Rule(CHANNEL, REG_READS, ("WRGB",), "nCLREG + nBL + nRTW - nCWLGB", source="read-to-write turnaround"),
    Rule(CHANNEL, REG_READS, ("WRMAC",), "nCLREG + nBL + nRTW - nCWLREG", source="read-to-write turnaround"),
    Rule(CHANNEL, ("WRGB",), RD_ + REG_READS, "nCWLGB + nBL + nWTRS", source="tWTR_S after the buffer write"),
    Rule(CHANNEL, ("WRMAC",), RD_ + REG_READS, "nCWLREG + nBL + nWTRL", source="tWTR_L after the register write"),
    Rule(CHANNEL, WR_ + ("WRA16",), REG_READS, "nCWL + nBL + nWTRL", source="tWTR_L"),
    Rule(CHANNEL, ("WRGB",), MACS + ("RDCP", "WRCP"), "nCWLGB + nBL",
         source="the broadcast input must be in the buffer"),
    Rule(CHANNEL, ("WRMAC",), MACS, "nCWLREG + nBL", source="accumulators initialised before accumulating"),
    Rule(CHANNEL, MACS, REG_READS, "nMACPIPE", source="pim.mac_pipeline_cycles: the last MAC leaves the pipeline"),
)

# pim.act16_in_faw: an all-bank (or 4-bank) activate fills a whole four-activate window.
FAW_RULES: tuple[Rule, ...] = (
    Rule(RANK, GROUP_ACTS, ACTS, "nFAW", source="tFAW applied to ACT4/ACT16 (pim.act16_in_faw)"),
    Rule(RANK, ("ACT",), GROUP_ACTS, "nFAW", window=4, source="tFAW applied to ACT4/ACT16 (pim.act16_in_faw)"),
)

# pim.register_path.mode_switch_cycles > 0: TMOD separates register and array commands.
MODE_SWITCH_RULES: tuple[Rule, ...] = (
    Rule(CHANNEL, ("TMOD",), ("*",), "nMODCH", source="AiM: mode switch to the next command (nMODCH)"),
)

# pim.register_path.block_on_result_read: nothing issues until a result read's data has arrived.
BLOCKING_RULES: tuple[Rule, ...] = (
    Rule(CHANNEL, REG_READS, ("*",), "nCLREG + nBL + nBLOCK",
         source="the issuer waits for each result read (pim.register_path.block_on_result_read)"),
)

# not pim.register_path.registers_during_refresh: an all-bank refresh holds register commands too.
REFRESH_HOLDS_REGISTERS: tuple[Rule, ...] = (
    Rule(RANK, ("REFab",), REG_READS + BUS_IN, "nRFC",
         source="tRFC(ab) applied to register commands (pim.register_path.registers_during_refresh false)"),
)
REFRESH_HOLDS_SWITCH: tuple[Rule, ...] = (
    Rule(RANK, ("REFab",), ("TMOD",), "nRFC",
         source="tRFC(ab) applied to the mode switch (pim.register_path.registers_during_refresh false)"),
)

# timing parameters every PIM command set needs beyond the DRAM's
PIM_TIMING = ("nRCDMAC", "nRCDAF", "nRCDEWMUL", "nRCDCPRD", "nRCDCPWR")


def register_path_params(pim: PimConfig) -> dict[str, int]:
    r = pim.register_path
    return {"nMACPIPE": pim.mac_pipeline_cycles, "nMODCH": r.mode_switch_cycles, "nCLREG": r.read_latency_cycles,
            "nCWLREG": r.write_latency_cycles, "nCWLGB": r.gb_write_latency_cycles, "nRTW": r.read_to_write_cycles,
            "nBLOCK": r.block_cycles}


def build_pim_spec(dram: DramConfig, pim: PimConfig, where: str = "") -> DramSpec:
    """The DRAM spec extended with the PIM command set and its rules."""
    for name in PIM_TIMING:
        if name not in dram.timing:
            raise PimsimError(f"the PIM command set needs {name}", where=where, key=f"dram.timing.{name}")
    reg = pim.register_path
    commands = PIM_COMMANDS + ((MODE_SWITCH,) if reg.mode_switch_cycles else ())
    rules = (PIM_RULES + (FAW_RULES if pim.act16_in_faw else ())
             + (MODE_SWITCH_RULES if reg.mode_switch_cycles else ())
             + (BLOCKING_RULES if reg.block_on_result_read else ())
             + (() if reg.registers_during_refresh else
                REFRESH_HOLDS_REGISTERS + (REFRESH_HOLDS_SWITCH if reg.mode_switch_cycles else ())))
    return build_spec(dram, commands, rules, register_path_params(pim))
