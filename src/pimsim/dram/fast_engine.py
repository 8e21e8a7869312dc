"""The reference engine with its per-command look-ups resolved once per address.

``Engine`` walks its rule plan and the node tree on every call; this engine
keeps, per address, the flat node path, the nodes a command above the bank
level covers, the banks a node spans and the table writes a command makes,
answers the usual bank-state questions with list slices, and checks an
issue's timing against the earliest cycle just asked for the same command
and address when nothing was issued since. The state it keeps and every
answer it gives are the reference engine's (the fast PIM channel runs on it
and is tested against the reference channel, which runs on ``Engine``
itself). It can also follow a refresh's cut of a run (``pimsim.dram.cut``).
"""

from __future__ import annotations

from itertools import chain

from pimsim.dram.commands import BANK
from pimsim.dram.cut import CutTracker
from pimsim.dram.engine import Engine
from pimsim.dram.spec import Addr, DramSpec

Path = tuple[int, int, int, int]


class FastEngine(Engine):
    def __init__(self, spec: DramSpec, keep_log: bool = False) -> None:
        super().__init__(spec, keep_log)
        # derived from the spec alone (clones share them)
        self._paths: dict[Addr, Path] = {}
        self._banks = [[(node * self._per[lv][BANK], (node + 1) * self._per[lv][BANK]) for node in range(size)]
                       for lv, size in enumerate(self.sizes)]
        self._cover = [[tuple(Engine._covered(self, lv, node)) for node in range(size)]
                       for lv, size in enumerate(self.sizes)]
        self._compiled: dict[tuple[int, Path], list[tuple]] = {}
        self._slots: dict[tuple[int, Path], tuple] = {}  # the entries an earliest cycle looks at
        self.cut: CutTracker | None = None  # while a refresh's cut of a run is followed
        self._asked: tuple | None = None  # (cmd, path, raw earliest) last asked, while the table is unchanged

    # -- following a cut (pimsim.dram.cut) --------------------------------------
    def begin_cut(self, step: int) -> None:
        """A run of copies ``step`` apart is about to be cut by a refresh: its first copies go next."""
        self.cut = CutTracker(self.next_ok, step)

    def resume_cut(self) -> None:
        """The cut run's remaining copies go next."""
        if self.cut is not None:
            self.cut.resumed = True

    def end_cut(self) -> tuple[int, int] | None:
        """Stop following the cut: how many copies it may move by (earlier, later), if one was followed."""
        cut, self.cut = self.cut, None
        return None if cut is None else cut.bounds()

    def earliest(self, cmd: int, addr: Addr) -> int:
        lvl = self.commands[cmd].level
        p = self.path(addr)
        t = self._earliest(cmd, lvl, p)
        if self.cut is not None:
            slots = self._slots.get((lvl, p))
            if slots is None:
                slots = self._slots[(lvl, p)] = tuple((lv, p[lv]) for lv in range(lvl + 1)) + self._cover[lvl][p[lvl]]
            self.cut.asked(cmd, slots, t)
        self._asked = (cmd, p, t)
        return t + self.offset

    def load(self, snap: tuple, delta: int) -> None:
        super().load(snap, delta)
        self._asked = None

    def path(self, addr: Addr) -> Path:
        try:
            return self._paths[addr]
        except KeyError:
            p = self._paths[addr] = super().path(addr)
            return p
        except TypeError:  # an unhashable address (a list)
            return super().path(addr)

    def _covered(self, lvl: int, node: int) -> tuple:
        return self._cover[lvl][node]

    def _state_error(self, c, p: Path, row: int) -> str | None:
        needs = c.needs
        if needs == "any":
            return None
        lo, hi = self._banks[c.level][p[c.level]]
        seg = self.open_row[lo:hi]
        if needs == "open":
            if (seg.count(row) == hi - lo) if row >= 0 else min(seg) >= 0:
                return None
        elif max(seg) < 0 or (needs != "closed" and row >= 0 and seg.count(row) + seg.count(-1) == hi - lo):
            return None
        return super()._state_error(c, p, row)  # (it says why)

    def _ready(self, cmd: int, lvl: int, p: Path) -> int:
        """The earliest cycle just asked for the same command and address, when nothing was issued since."""
        asked, self._asked = self._asked, None
        return asked[2] if asked is not None and asked[0] == cmd and asked[1] is p else self._earliest(cmd, lvl, p)

    def _plan_of(self, cmd: int, p: Path) -> list:
        targets = self._compiled.get((cmd, p))
        if targets is None:
            targets = self._compiled[(cmd, p)] = self._targets(cmd, p)
        return targets

    def _writing(self, targets: list, cycle: int) -> None:
        """While a cut run is followed, note what moves with it (``pimsim.dram.cut``)."""
        if self.cut is None or self.cut.resumed:
            return
        moved = self.cut.moved
        for rl, node, window, _, updates in targets:
            if window > 1:
                self.cut.counted()
            else:
                for f, lat in updates:
                    key, t = (rl, node, f), cycle + lat
                    if moved.get(key, t - 1) < t:
                        moved[key] = t

    def _set_rows(self, lvl: int, p: Path, new: int) -> None:
        lo, hi = self._banks[lvl][p[lvl]]
        self.open_row[lo:hi] = [new] * (hi - lo)

    def canonical(self, now: int) -> tuple:
        base = now - self.offset
        if self.cut is not None:
            self.cut.seen(self.next_ok, base)
        rel = tuple([v - base if v > base else 0 for v in chain.from_iterable(chain.from_iterable(self.next_ok))])
        win = tuple((key, len(h), tuple(t + lat - base if t + lat > base else 0 for t in h))
                    for key, (h, lat) in sorted(self._window.items()))
        return rel, win, tuple(self.open_row), self.mode

    def covered_banks(self, cmd: int, addr: Addr) -> range:
        level = self.commands[cmd].level
        return range(*self._banks[level][self.path(addr)[level]])

    def open_banks(self, level: int, addr: Addr) -> list[int]:
        lo, hi = self._banks[level][self.path(addr)[level]]
        open_row = self.open_row
        return [b for b in range(lo, hi) if open_row[b] >= 0]
