"""DRAM commands as data: the node each addresses and what it needs and does to bank state.

Levels of the node tree, outermost first: channel, rank, bank group, bank.
A command addressed at a level covers every bank below that node (PREA and
REFab address a rank; an all-bank PIM command would too). A device whose
command set holds a mode-switch command also has a mode (array or register)
that each command needs, like the open row a column command needs.
"""

from __future__ import annotations

from dataclasses import dataclass

LEVELS = ("channel", "rank", "bank_group", "bank")
CHANNEL, RANK, BANK_GROUP, BANK = range(4)


@dataclass(frozen=True)
class Command:
    name: str
    level: int  # index into LEVELS: the node it addresses
    # bank state required of every covered bank: "open" (and the row), "closed", "any", or
    # "closed_or_row" (closed, or already open at the row it names: an all-bank activate that
    # opens the banks still closed, as GDDR6-AiM's ACT16 does after a single-bank precharge)
    needs: str
    effect: str  # what it does to covered banks: "open", "close", "none"
    data: str = ""  # what its completion waits for: "read", "write" (a data burst), "mac", or register kinds
    refresh: bool = False
    # Which device mode it needs where register and array commands share encodings (GDDR6-AiM):
    # "array", "register", or "switch" (the mode-switch command itself, which flips the mode).
    mode: str = "array"


BASE_COMMANDS: tuple[Command, ...] = (
    Command("ACT", BANK, needs="closed", effect="open"),
    Command("PRE", BANK, needs="any", effect="close"),  # PRE to an idle bank is a legal no-op (JEDEC)
    Command("PREA", RANK, needs="any", effect="close"),
    Command("RD", BANK, needs="open", effect="none", data="read"),
    Command("WR", BANK, needs="open", effect="none", data="write"),
    Command("RDA", BANK, needs="open", effect="close", data="read"),
    Command("WRA", BANK, needs="open", effect="close", data="write"),
    Command("REFab", RANK, needs="closed", effect="none", refresh=True),
    Command("REFpb", BANK, needs="closed", effect="none", refresh=True),
)
