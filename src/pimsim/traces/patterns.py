"""Synthetic access patterns (stream, bank round-robin, random, row-miss) as DRAMsim3-format traces."""

from __future__ import annotations

import random

from pimsim.config.dram import DramConfig
from pimsim.traces.mapping import AddressMapping

PATTERNS = ("stream", "bankrr", "random", "rowmiss")


def pattern_addresses(pattern: str, n: int, dram: DramConfig, mapping: AddressMapping, seed: int = 1234,
                      stagger: bool = False) -> list[int]:
    """Addresses of ``n`` requests for one channel.

    stream: one bank, column after column, row after row. bankrr: banks in
    turn, interleaved over bank groups, each bank streaming its own rows
    (``stagger`` offsets each bank's row boundary so switches spread out).
    random: uniform. rowmiss: banks in turn, every access a new row.
    """
    nb, ng, cpr = dram.banks_per_rank, dram.bank_groups, dram.columns_per_row
    rng = random.Random(seed)
    out = []
    for i in range(n):
        if pattern == "stream":
            a = mapping.encode(ro=(i // cpr) % dram.rows, co=i % cpr)
        elif pattern == "bankrr":
            b = i % nb
            k = i // nb + (b * (cpr // nb) if stagger else 0)
            a = mapping.encode(bg=b % ng, ba=b // ng, ro=(k // cpr) % dram.rows, co=k % cpr)
        elif pattern == "random":  # draws row, bank group, bank, column in that order
            ro = rng.randrange(dram.rows)
            bg = rng.randrange(ng)
            ba = rng.randrange(dram.banks_per_group)
            a = mapping.encode(bg=bg, ba=ba, ro=ro, co=rng.randrange(cpr))
        elif pattern == "rowmiss":
            b = i % nb
            a = mapping.encode(bg=b % ng, ba=b // ng, ro=(i // nb) % dram.rows)
        else:
            raise ValueError(pattern)
        out.append(a)
    return out


def trace_text(addrs: list[int], writes: list[bool] | None = None, arrivals: list[int] | None = None) -> str:
    lines = []
    for i, a in enumerate(addrs):
        op = "WRITE" if writes and writes[i] else "READ"
        lines.append(f"{a:#x} {op} {arrivals[i] if arrivals else 0}")
    return "\n".join(lines) + "\n"
