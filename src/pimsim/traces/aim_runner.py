"""AiM trace mode: an AiM ISR trace run in order on the PIM channel engines.

Each instruction becomes, on every channel it names, a run of DRAM commands
(``AIM_COMMANDS``: opsize copies of one command; the row it needs is opened
by the channel, precharging another row first, as the AiM controller's
prerequisites do; rows stay open afterwards). Issue follows the AiM
simulator's front end (docs/references.md, "AiM traces"):

* one instruction enters the issuer per cycle, so instruction k's commands
  issue no earlier than cycle k + 1 (cycles counted from 1, as it counts);
* each channel issues its commands strictly in order;
* a blocking instruction (RD_MAC, RD_AF) holds back every later instruction
  until the results of every channel it names have arrived, plus one cycle;
  SYNC holds them until every channel has issued and finished everything;
* EOC ends the trace when every channel has: ``cycles`` is the cycle of the
  last channel's EOC, max(its last command + 2, its last completion + 1).

The register mode switch, register latencies and refresh are the channel's
(``pim.register_path``, ``dram.refresh_policy``), so the same rules serve
traces and the mapper's programs. Not modelled: the issuer stalling on a full
33-entry request buffer (the channel it waits for is busy anyway), and plain
MEM reads completing from a buffered write without reaching the DRAM.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pimsim.config.hw import HwConfig
from pimsim.dram.spec import DramSpec
from pimsim.errors import PimsimError
from pimsim.mapping.macro import Commands, Run, TRANSFER, VMM
from pimsim.pim.channel import ENGINES, Channel
from pimsim.pim.commands import build_pim_spec
from pimsim.traces.aim_reader import AimInstruction

# instruction -> (DRAM command, activate that opens its row or "", time category)
AIM_COMMANDS: dict[str, tuple[str, str, str]] = {
    "WR_SBK": ("WR", "ACT", TRANSFER), "RD_SBK": ("RD", "ACT", TRANSFER), "W_MEM": ("WR", "ACT", TRANSFER),
    "R_MEM": ("RD", "ACT", TRANSFER), "WR_ABK": ("WRA16", "ACT16", TRANSFER), "WR_GB": ("WRGB", "", TRANSFER),
    "WR_BIAS": ("WRMAC", "", TRANSFER), "RD_MAC": ("RDMAC", "", TRANSFER), "RD_AF": ("RDAF16", "", TRANSFER),
    "COPY_BKGB": ("RDCP", "ACT", VMM), "COPY_GBBK": ("WRCP", "ACT", VMM), "MAC_SBK": ("MAC", "ACT", VMM),
    "MAC_ABK": ("MAC16", "ACT16", VMM), "AF": ("AF16", "ACT16", VMM), "EWMUL": ("EWMUL16", "ACT16", VMM),
}
# instructions that go to a channel's read/write buffers rather than its AiM buffer
PLAIN_MEMORY = ("WR_SBK", "RD_SBK", "W_MEM", "R_MEM")
# instructions that act on the issuer's registers only: no DRAM command
HOST_ONLY = ("EWADD", "R_GPR", "W_GPR", "W_CFR", "SYNC", "EOC")


def aim_runs(ins: AimInstruction, rows: int, afm: int) -> tuple[Run, ...]:
    """The DRAM commands one instruction stands for on each channel it names (pure data).
    AF opens a row of its own (the function's lookup row, beyond the array; ``afm`` selects it)."""
    if ins.op in HOST_ONLY:
        return ()
    cmd, opens, category = AIM_COMMANDS[ins.op]
    row = rows + afm if ins.op == "AF" else ins.row
    return (Run(cmd, ins.opsize, bank=_bank_addr(ins.bank), row=row, col=0, reopen=opens, category=category),)


def _bank_addr(bank: int) -> tuple[int, int]:
    """(bank group, bank in group) of an AiM bank number: groups of four consecutive banks."""
    return (bank // 4, bank % 4) if bank >= 0 else (0, 0)


@dataclass
class AimResult:
    cycles: int
    instructions: int
    counts: dict[str, int]
    refreshes: int
    channels_used: list[int] = field(default_factory=list)
    logs: list[list] = field(default_factory=list)  # per channel: (cycle, command, ch, rank, bg, bank, row, col)


def aim_spec(hw: HwConfig) -> DramSpec:
    pim = hw.require("pim")
    if hw.dram.bank_groups * hw.dram.banks_per_group != 16 or hw.dram.banks_per_group != 4:
        raise PimsimError("AiM traces address 16 banks in 4 groups of 4 per channel", where=hw.source,
                          key="dram.bank_groups")
    return build_pim_spec(hw.dram.model_copy(update={"channels": 1}), pim, hw.source)


def run_aim_trace(hw: HwConfig, trace: list[AimInstruction], engine: str | None = None,
                  keep_log: bool = False) -> AimResult:
    """Run a parsed trace on ``hw`` (``engine``: a registered channel engine, default sim.engine;
    ``keep_log``: keep every channel's command log, as ``AimResult.logs``)."""
    spec = aim_spec(hw)
    name = engine or hw.require("sim").engine
    if name not in ENGINES:
        raise PimsimError(f"unknown engine {name!r}", where=hw.source, key="sim.engine")
    extra = {} if name == "reference" else {"shared": {}}  # fast channels share what they learn
    chans: list[Channel] = [ENGINES[name](spec, keep_log=keep_log, **extra) for _ in range(hw.dram.channels)]
    read_done = spec.params["nCLREG"] + spec.params["nBL"]
    rows = hw.dram.rows
    afm = 0  # CFR 2: which activation function AF computes
    decode = 0  # the cycle the previous instruction was decoded
    floor = 1  # the earliest cycle the next instruction may be decoded (after a blocking one)
    kind = [""] * len(chans)  # per channel: "aim" or "mem", the buffer its last requests went to
    used: set[int] = set()
    end = 0
    for ins in trace:
        decode = start = max(floor, decode + 1)
        if ins.op == "W_CFR" and ins.address == 2:
            afm = ins.value
        runs = aim_runs(ins, rows, afm)
        if runs:
            # a channel takes plain reads and writes only once its AiM requests have all issued, and
            # AiM requests only once its reads and writes have: the instruction waits at the head
            this = "mem" if ins.op in PLAIN_MEMORY else "aim"
            program = (Commands(runs),)
            for c in ins.channels:
                accept = start
                if kind[c] not in ("", this):
                    accept = max(start, chans[c].engine.last_cycle + 1)
                    decode = max(decode, accept)  # the next instruction is decoded after this one is accepted
                kind[c] = this
                chans[c].run(program, accept)
                used.add(c)
        if ins.op in ("RD_MAC", "RD_AF"):
            floor = max(chans[c].engine.last_cycle + read_done for c in ins.channels) + 1
        elif ins.op in ("SYNC", "EOC"):
            end = max(max(ch.engine.last_cycle + 2, ch.done + 1, start + 1) for ch in chans)
            floor = end + 1
    for ch in chans:
        ch.finish(end)
    counts: dict[str, int] = {}
    for ch in chans:
        for cmd, n in ch.command_counts().items():
            counts[cmd] = counts.get(cmd, 0) + n
    logs = [ch.engine.log for ch in chans] if keep_log else []
    return AimResult(end, len(trace), counts, sum(ch.refresh.issued for ch in chans), sorted(used), logs)
