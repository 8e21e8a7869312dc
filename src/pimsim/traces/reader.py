"""Trace files in DRAMsim3's format: ``0x<hex address> READ|WRITE <arrival cycle>`` per line.

Blank lines and lines starting with ``#`` are skipped. Requests keep file
order (it is the order they enter the controller); arrival cycles must not
decrease.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pimsim.config.yamlio import read_text
from pimsim.errors import PimsimError

OPS = {"READ": False, "WRITE": True}


@dataclass(frozen=True)
class Trace:
    addr: list[int]  # byte addresses (below 2**64)
    is_write: list[bool]
    arrival: list[int]  # cycles, never decreasing
    lines: Sequence[int]  # source line numbers, for messages

    def __len__(self) -> int:
        return len(self.addr)


def parse_trace(text: str, where: str) -> Trace:
    """The requests of ``text`` (a trace file's content; ``where`` names it in messages)."""
    fast = _parse_plain(text)
    return fast if fast is not None else _parse_lines(text, where)


def _parse_plain(text: str) -> Trace | None:
    """A trace written the plain way (no comments, no blank lines, one space between the three fields,
    every line valid) parsed column by column; None for anything else, which the line-by-line parser
    then reads (and names the first bad line of)."""
    body = text[:-1] if text.endswith("\n") else text
    if not body or not body.isascii() or "#" in body:
        return None
    fields = body.split()
    if len(fields) % 3:
        return None
    a, ops, cyc = fields[0::3], fields[1::3], fields[2::3]
    if "\n".join(map(" ".join, zip(a, ops, cyc))) != body:  # exactly "address op cycle" on every line
        return None
    n = len(a)
    if not set(ops) <= OPS.keys() or not "".join(cyc).isdigit():
        return None
    if ("\n" + "\n".join(a)).count("\n0x") != n:  # every address written 0x...
        return None
    try:
        addrs = [int(x, 16) for x in a]
    except ValueError:
        return None
    arrivals = list(map(int, cyc))
    if arrivals != sorted(arrivals) or max(addrs) >= 1 << 64:  # (sorting sorted values is one pass)
        return None
    return Trace(addrs, list(map("WRITE".__eq__, ops)), arrivals, range(1, n + 1))


def _parse_lines(text: str, where: str) -> Trace:
    addrs, writes, arrivals, lines = [], [], [], []
    last = 0
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 3:
            raise PimsimError("expected '0x<hex address> READ|WRITE <cycle>'", where=where, key=f"line {n}")
        a, op, cyc = parts
        if not a.lower().startswith("0x"):
            raise PimsimError(f"address {a!r} must be hexadecimal with 0x", where=where, key=f"line {n}")
        try:
            addr = int(a, 16)
        except ValueError:
            raise PimsimError(f"address {a!r} is not hexadecimal", where=where, key=f"line {n}") from None
        if op not in OPS:
            raise PimsimError(f"operation {op!r} must be READ or WRITE", where=where, key=f"line {n}")
        if not cyc.isdigit():
            raise PimsimError(f"arrival cycle {cyc!r} must be a non-negative integer", where=where, key=f"line {n}")
        cycle = int(cyc)
        if cycle < last:
            raise PimsimError(f"arrival cycle {cycle} is before the previous line's {last}", where=where,
                              key=f"line {n}")
        if addr >= 1 << 64:
            raise PimsimError(f"address {a} exceeds 64 bits", where=where, key=f"line {n}")
        last = cycle
        addrs.append(addr)
        writes.append(OPS[op])
        arrivals.append(cycle)
        lines.append(n)
    if not addrs:
        raise PimsimError("trace holds no requests", where=where)
    return Trace(addrs, writes, arrivals, lines)


def read_trace(path: str | Path) -> Trace:
    return parse_trace(read_text(path, "trace"), str(path))
