"""Macro-commands: the pure-data unit of work a channel program is made of.

A macro expands into *runs*: ``count`` identical DRAM commands issued back
to back, in order. The reference engine issues every command of every run;
the fast engine issues a run in closed form. Runs that need an open row name
the activate that (re)opens it, so that a refresh in the middle of a row
burst is followed by re-activation in both engines alike.

Addresses are (bank group, bank) within the channel (rank 0); all-bank
commands ignore them.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from operator import attrgetter
from typing import Union

VMM, TRANSFER, REFRESH = "vmm", "transfer", "refresh"


@dataclass(frozen=True)
class Run:
    cmd: str
    count: int
    bank: tuple[int, int] = (0, 0)
    row: int = -1
    col: int = 0
    reopen: str = ""  # activate command that opens ``row`` if a refresh closed it
    category: str = VMM


@dataclass(frozen=True)
class GbWrite:
    """Write ``bursts`` bursts of the input vector into the global buffer."""

    bursts: int

    def runs(self) -> list[Run]:
        return [Run("WRGB", self.bursts, category=TRANSFER)]


@dataclass(frozen=True)
class MacInit:
    """Write ``bursts`` bursts into the accumulators (initial partial sums or bias)."""

    bursts: int

    def runs(self) -> list[Run]:
        return [Run("WRMAC", self.bursts, category=TRANSFER)]


@dataclass(frozen=True)
class MacRead:
    """Read ``bursts`` bursts of accumulator results back to the ASIC."""

    bursts: int

    def runs(self) -> list[Run]:
        return [Run("RDMAC", self.bursts, category=TRANSFER)]


@dataclass(frozen=True)
class MacRows:
    """All-bank row bursts over ``rows`` rows from ``row``: each row ACT16 and ``cols`` MAC16, every
    bank multiplying ``cols`` columns of its row by the global buffer. Rows come in *units* of
    ``group`` rows whose results stay in the accumulators until the unit's last row, after which
    ``reads`` RDMAC per row of the unit read them all out (so a register-mode switch pair is paid
    once per unit, not once per row).

    ``precharge``: "eager" closes each row (PREA) as soon as its MACs allow, before the unit's
    read-out; "lazy" closes it only when the next activate finds the banks open (the channel
    issues that PREA), so the read-out goes first and the last row stays open.
    """

    row: int
    rows: int
    cols: int
    reads: int = 0  # result bursts per row
    group: int = 1  # rows per read-out unit
    precharge: str = "eager"

    def units(self) -> int:
        return ceil(self.rows / self.group)

    def unit_rows(self, u: int) -> range:
        start = self.row + u * self.group
        return range(start, min(self.row + self.rows, start + self.group))

    def unit_shape(self, u: int) -> tuple:
        """What a unit's timing depends on (its rows aside)."""
        return (self.cols, self.reads, len(self.unit_rows(u)), self.precharge)

    def unit(self, u: int) -> list[Run]:
        rows = self.unit_rows(u)
        eager = self.precharge == "eager"
        out: list[Run] = []
        for r in rows:
            out += [Run("ACT16", 1, row=r), Run("MAC16", self.cols, row=r, reopen="ACT16")]
            if eager and r != rows[-1]:
                out.append(Run("PREA", 1))
        read = [Run("RDMAC", self.reads * len(rows), category=TRANSFER)] if self.reads else []
        # lazy: no precharge of its own; the next activate closes the banks it finds open
        return out + [Run("PREA", 1)] + read if eager else out + read

    def runs(self) -> list[Run]:
        return [run for u in range(self.units()) for run in self.unit(u)]


@dataclass(frozen=True)
class Precharge:
    """Close every bank of the channel (what a lazily precharged program leaves open)."""

    def runs(self) -> list[Run]:
        return [Run("PREA", 1)]


@dataclass(frozen=True)
class Commands:
    """Runs given as they are (a front end's own translation, e.g. an AiM instruction).
    Runs that need an open row name the activate that opens it: the channel then activates (first
    precharging banks open at another row) only when the banks are not already open there."""

    runs_: tuple[Run, ...]

    def runs(self) -> list[Run]:
        return list(self.runs_)


@dataclass(frozen=True)
class BankMac:
    """One bank's row burst: ACT, ``cols`` single-bank MACs, ``reads`` RDMAC, PRE."""

    bank: tuple[int, int]
    row: int
    cols: int
    reads: int = 0

    def runs(self) -> list[Run]:
        out = [Run("ACT", 1, self.bank, self.row), Run("MAC", self.cols, self.bank, self.row, reopen="ACT")]
        if self.reads:
            out.append(Run("RDMAC", self.reads, category=TRANSFER))
        return out + [Run("PRE", 1, self.bank)]


def _row_access(cmd: str, bank: tuple[int, int], row: int, col: int, cols: int) -> list[Run]:
    """One bank's row opened, ``cols`` bursts of ``cmd`` (RD or WR) to the ASIC or from it, closed."""
    return [Run("ACT", 1, bank, row, category=TRANSFER),
            Run(cmd, cols, bank, row, col, reopen="ACT", category=TRANSFER),
            Run("PRE", 1, bank, category=TRANSFER)]


@dataclass(frozen=True)
class RowWrite:
    """Write ``cols`` bursts into one bank's row (a KV-cache update): ACT, WR x cols, PRE."""

    bank: tuple[int, int]
    row: int
    col: int
    cols: int

    def runs(self) -> list[Run]:
        return _row_access("WR", self.bank, self.row, self.col, self.cols)


@dataclass(frozen=True)
class AllBankWrite:
    """Write ``cols`` bursts into the same row of every bank (a transposed-V update): ACT16,
    WR x cols to each bank in turn, PREA."""

    row: int
    col: int
    cols: int
    banks: tuple[tuple[int, int], ...]

    def runs(self) -> list[Run]:
        out = [Run("ACT16", 1, row=self.row, category=TRANSFER)]
        for bank in self.banks:
            out.append(Run("WR", self.cols, bank, self.row, self.col, reopen="ACT16", category=TRANSFER))
        return out + [Run("PREA", 1, category=TRANSFER)]


@dataclass(frozen=True)
class RowRead:
    """Read ``cols`` bursts of one bank's row to the ASIC: ACT, RD x cols, PRE."""

    bank: tuple[int, int]
    row: int
    col: int
    cols: int

    def runs(self) -> list[Run]:
        return _row_access("RD", self.bank, self.row, self.col, self.cols)


Macro = Union[GbWrite, MacInit, MacRead, MacRows, Precharge, Commands, BankMac, RowWrite, AllBankWrite, RowRead]
Program = tuple  # a channel program: a tuple of macros, run in order


def command_count(program: Program) -> int:
    """DRAM commands the program stands for (without refresh or re-activation)."""
    return sum(run.count for macro in program for run in macro.runs())


_SIG_PARTS: dict[type, tuple] = {}  # macro type -> (its name, getter of its fields but row and col, lazy?)


def _sig_parts(kind: type) -> tuple:
    fields = tuple(f for f in kind.__dataclass_fields__ if f not in ("row", "col"))
    if len(fields) > 1:
        get = attrgetter(*fields)
    else:  # (attrgetter of one field gives the value itself, of none fails)
        get = (lambda m, f=fields[0]: (getattr(m, f),)) if fields else (lambda m: ())
    parts = _SIG_PARTS[kind] = ((kind.__name__,), get, "precharge" in kind.__dataclass_fields__)
    return parts


def program_signature(program: Program, rows: bool = False, base: int = 0) -> tuple:
    """What a program's timing depends on: its macros without row and column numbers, where the
    macro closes the rows it opens (so no row number carries from one to the next). A macro that
    leaves its last row open (``precharge="lazy"``) keeps its row, and with ``rows`` (a program
    that starts with a row open) every macro does: an activate may find its row open. Rows are
    given from ``base``: timing depends on them only through their equality."""
    out = []
    for m in program:
        parts = _SIG_PARTS.get(type(m)) or _sig_parts(type(m))
        sig = parts[0] + parts[1](m)
        if rows or (parts[2] and m.precharge == "lazy"):
            row = getattr(m, "row", None)
            sig += (row - base if row is not None else None,)
        out.append(sig)
    return tuple(out)


def first_row(program: Program) -> int:
    """The row of the program's first macro that names one (0 if none does)."""
    for m in program:
        row = getattr(m, "row", None)
        if row is not None:
            return row
    return 0


SIGNATURE_MEMO_SIZE = 100_000  # programs whose signatures are kept (those of past tokens are let go)


def known_signature(program: Program, memo: dict) -> tuple:
    """``program_signature(program)``, computed once per program object: ``memo`` maps its id to
    (program, signature), the program kept so that its id cannot be reused while remembered."""
    known = memo.get(id(program))
    if known is None or known[0] is not program:
        if len(memo) >= SIGNATURE_MEMO_SIZE:
            memo.clear()
        known = memo[id(program)] = (program, program_signature(program))
    return known[1]


def readout_profile(program: Program) -> tuple[tuple[float, float], ...]:
    """When a program's results leave the banks, as pure data: ``(position, share)`` per read-out
    unit of its MAC row bursts, ``position`` the fraction of the program's commands issued by the end
    of that unit's read-out, ``share`` the unit's fraction of the program's result bursts. A program
    that reads out no MAC results (row reads, writes) delivers everything at its end: ``((1.0, 1.0),)``.
    Commands stand in for time (column commands dominate every program the mapping emits)."""
    done, marks = 0, []
    for macro in program:
        if isinstance(macro, MacRows):
            for u in range(macro.units()):
                done += sum(run.count for run in macro.unit(u))
                if macro.reads:
                    marks.append((done, macro.reads * len(macro.unit_rows(u))))
        else:
            done += sum(run.count for run in macro.runs())
    results = sum(r for _, r in marks)
    if not results or not done:
        return ((1.0, 1.0),)
    return tuple((at / done, r / results) for at, r in marks)


def leading_gb_bursts(program: Program) -> int:
    """Bursts of the global-buffer write a program opens with (0 if it opens with anything else)."""
    return program[0].bursts if program and isinstance(program[0], GbWrite) else 0
