"""Channel programs written out as an AiM ISR trace, so the open AiM simulator can run the very
work pimsim's mapper lays out (reports/aim-validation.md).

Each macro becomes the AiM instructions that issue its commands:

  GbWrite(n)            AiM WR_GB n 0 MASK
  MacInit(n)            n x AiM WR_BIAS 0 MASK
  MacRead(n)            n x AiM RD_MAC 0 MASK
  MacRows               per row AiM MAC_ABK cols MASK row; after each unit, its reads x AiM RD_MAC
  BankMac               AiM MAC_SBK cols MASK bank row, then its reads x AiM RD_MAC
  RowWrite / RowRead    cols x AiM WR_SBK / RD_SBK 0 MASK bank row (one burst each)

AiM instructions carry no precharge: its controller opens and closes rows as commands need them,
which is pimsim's ``precharge: lazy``. Macros with no AiM counterpart (an all-bank write, explicit
commands) are refused. Channels whose programs are equal share one instruction stream and one
mask; distinct programs follow one another.
"""

from __future__ import annotations

from pimsim.errors import PimsimError
from pimsim.mapping.macro import BankMac, GbWrite, MacInit, MacRead, MacRows, Precharge, RowRead, RowWrite


def channel_mask(channels: list[int], total: int) -> int:
    """The AiM mask naming ``channels``: channel c is bit (total - 1 - c)."""
    return sum(1 << (total - 1 - c) for c in channels)


def _aim_bank(bank: tuple[int, int]) -> int:
    """AiM bank number of (bank group, bank in group): groups of four consecutive banks."""
    return bank[0] * 4 + bank[1]


def macro_lines(macro, mask: str) -> list[str]:
    """The AiM instructions of one macro on the channels ``mask`` names."""
    if isinstance(macro, GbWrite):
        return [f"AiM WR_GB {macro.bursts} 0 {mask}"]
    if isinstance(macro, MacInit):
        return [f"AiM WR_BIAS 0 {mask}"] * macro.bursts
    if isinstance(macro, MacRead):
        return [f"AiM RD_MAC 0 {mask}"] * macro.bursts
    if isinstance(macro, MacRows):
        out: list[str] = []
        for u in range(macro.units()):
            rows = macro.unit_rows(u)
            out += [f"AiM MAC_ABK {macro.cols} {mask} {r}" for r in rows]
            out += [f"AiM RD_MAC 0 {mask}"] * (macro.reads * len(rows))
        return out
    if isinstance(macro, BankMac):
        return ([f"AiM MAC_SBK {macro.cols} {mask} {_aim_bank(macro.bank)} {macro.row}"]
                + [f"AiM RD_MAC 0 {mask}"] * macro.reads)
    if isinstance(macro, (RowWrite, RowRead)):
        op = "WR_SBK" if isinstance(macro, RowWrite) else "RD_SBK"
        return [f"AiM {op} 0 {mask} {_aim_bank(macro.bank)} {macro.row}"] * macro.cols
    if isinstance(macro, Precharge):
        return []  # AiM closes rows itself when the next command needs it
    raise PimsimError(f"{type(macro).__name__} has no AiM instruction counterpart")


def aim_trace_text(programs: tuple[tuple, ...], total_channels: int, title: str = "") -> str:
    """The AiM trace of per-channel ``programs`` (program c runs on channel c of a
    ``total_channels``-channel device), ending with EOC."""
    groups: dict[tuple, list[int]] = {}
    for c, prog in enumerate(programs):
        if prog:
            groups.setdefault(prog, []).append(c)
    lines = [f"# {title}"] if title else []
    for prog, chans in groups.items():
        mask = f"{channel_mask(chans, total_channels):#x}"
        for macro in prog:
            lines += macro_lines(macro, mask)
    lines.append("AiM EOC")
    return "\n".join(lines) + "\n"
