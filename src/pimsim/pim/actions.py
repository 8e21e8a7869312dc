"""What each PIM/DRAM command costs in energy-table actions (per bank where it acts on banks)."""

from __future__ import annotations

from pimsim.config.dram import DramConfig

# command -> (energy-table action, how many banks it acts on: "bank", "group", "rank" or "one")
COMMAND_ACTIONS: dict[str, tuple[str, str]] = {
    "ACT": ("act", "bank"), "ACT4": ("act", "group"), "ACT16": ("act", "rank"),
    "PRE": ("pre", "bank"), "PREA": ("pre", "rank"),
    "RD": ("rd", "one"), "RDA": ("rd", "one"), "WR": ("wr", "one"), "WRA": ("wr", "one"),
    "MAC": ("mac", "bank"), "MAC16": ("mac", "rank"),
    "WRGB": ("gb_write", "one"), "RDMAC": ("mac_read", "one"), "WRMAC": ("mac_write", "one"),
    "REFab": ("ref", "one"), "REFpb": ("ref_pb", "one"),
    # AiM's other in-bank commands, charged as the nearest measured action (assumptions, see
    # docs/references.md): AF16 and EWMUL16 as one MAC per bank, a bank <-> global-buffer copy as a
    # bank-local column access (a single-bank MAC's energy), WRA16 as one write burst (its data is
    # broadcast to the banks) plus the precharge its ACT16 already pays, RDAF16 as an accumulator read.
    "AF16": ("mac", "rank"), "EWMUL16": ("mac", "rank"), "RDCP": ("mac", "bank"), "WRCP": ("mac", "bank"),
    "WRA16": ("wr", "one"), "RDAF16": ("mac_read", "one"),
    "TMOD": ("", "one"),  # a mode-register write: no array or I/O data; its energy is in the background power
}


def action_counts(command_counts: dict[str, int], dram: DramConfig) -> dict[str, int]:
    """Energy-table actions from command counts: an ACT16 is banks_per_rank activates, and so on."""
    banks = {"bank": 1, "group": dram.banks_per_group, "rank": dram.banks_per_rank, "one": 1}
    out: dict[str, int] = {}
    for name, n in command_counts.items():
        action, scope = COMMAND_ACTIONS[name]
        if not action:
            continue
        out[action] = out.get(action, 0) + n * banks[scope]
    return out
