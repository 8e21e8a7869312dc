"""DRAMsim3-style address mapping: a string of two-letter fields, most significant first.

``rochrababgco`` = row | channel | rank | bank | bank group | column, above
the byte offset of one request (log2 of the request size). Every field is a
power of two; the column field counts bursts per row, not device columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pimsim.config.dram import DramConfig
from pimsim.errors import PimsimError

FIELDS = ("ch", "ra", "bg", "ba", "ro", "co")


def _log2(n: int, what: str, where: str) -> int:
    if n < 1 or n & (n - 1):
        raise PimsimError(f"address mapping needs a power of two for {what}, got {n}", where=where,
                          key="controller.address_mapping")
    return n.bit_length() - 1


@dataclass(frozen=True)
class AddressMapping:
    text: str
    offset_bits: int
    widths: dict[str, int]  # field -> bits
    shifts: dict[str, int]  # field -> position of its lowest bit

    @property
    def total_bits(self) -> int:
        return self.offset_bits + sum(self.widths.values())

    def decode(self, addrs: Sequence[int]) -> dict[str, list[int]]:
        """Field values of every address."""
        return {f: self.field(addrs, f) for f in FIELDS}

    def field(self, addrs: Sequence[int], name: str) -> list[int]:
        """Field ``name`` of every address."""
        shift, mask = self.shifts[name], (1 << self.widths[name]) - 1
        return [(a >> shift) & mask for a in addrs] if mask else [0] * len(addrs)

    def banks(self, addrs: Sequence[int]) -> list[int]:
        """The bank of every address, numbered channel by channel, rank by rank, bank group by bank group
        (``(((ch ranks + ra) bank_groups + bg) banks_per_group + ba``: the fields' bits side by side)."""
        out, pos = [0] * len(addrs), 0
        for f in ("ba", "bg", "ra", "ch"):
            shift, mask, at = self.shifts[f], (1 << self.widths[f]) - 1, pos
            if mask:
                out = [b | ((a >> shift) & mask) << at for b, a in zip(out, addrs)]
            pos += self.widths[f]
        return out

    def encode(self, ch: int = 0, ra: int = 0, bg: int = 0, ba: int = 0, ro: int = 0, co: int = 0) -> int:
        vals = {"ch": ch, "ra": ra, "bg": bg, "ba": ba, "ro": ro, "co": co}
        return sum(vals[f] << self.shifts[f] for f in FIELDS)


def parse_mapping(text: str, dram: DramConfig, where: str = "") -> AddressMapping:
    key = "controller.address_mapping"
    if not isinstance(text, str) or len(text) != 12:
        raise PimsimError(f"expected 6 two-letter fields (e.g. rochrababgco), got {text!r}", where=where, key=key)
    fields = [text[i:i + 2] for i in range(0, 12, 2)]
    if sorted(fields) != sorted(FIELDS):
        raise PimsimError(f"expected each of {', '.join(FIELDS)} exactly once, got {text!r}", where=where, key=key)
    widths = {
        "ch": _log2(dram.channels, "channels", where),
        "ra": _log2(dram.ranks, "ranks", where),
        "bg": _log2(dram.bank_groups, "bank_groups", where),
        "ba": _log2(dram.banks_per_group, "banks_per_group", where),
        "ro": _log2(dram.rows, "rows", where),
        "co": _log2(dram.columns_per_row, "bursts per row", where),
    }
    offset = _log2(dram.request_bytes, "request bytes", where)
    shifts, pos = {}, offset
    for f in reversed(fields):
        shifts[f] = pos
        pos += widths[f]
    return AddressMapping(text, offset, widths, shifts)
