"""How far a refresh's cut may move along a run without changing anything after the run.

A refresh that falls due inside a run of identical commands (copies ``step``
apart) cuts it: n copies go before the refresh, the rest after it. With the
refresh due j steps later, n + j copies go first, and every cycle from the
cut until the run resumes is j steps later too, *if* each such cycle was set
by an entry written since the cut began (the last copy's, the refresh's) and
not by one the run found when it began: those stay where they are. The
resumed run then ends at the same cycle whatever j (j copies fewer, starting
j steps later), and from there every cycle is the same *if* no entry written
between the cut and the resumption (which moves with j) sets it or stays
visible in the state.

``CutTracker`` keeps the entries as the run began (``fixed``) and those
written from the cut to the resumption (``moved``), and narrows the range of
j for which every earliest cycle asked and every state seen satisfies these
conditions: an earliest cycle before the resumption must exceed every fixed
entry it covers by the slack a smaller j takes away, one after it must exceed
every moved entry by the slack a larger j adds, and a moved entry must stay
hidden (expired, or below a larger fixed one) in every state compared.
Every cycle is then a maximum of fixed terms and terms moving with j, so
these checks make the answers, and so the outcome, the same over the range.
"""

from __future__ import annotations

UNBOUNDED = 1 << 62


class CutTracker:
    def __init__(self, table: list, step: int) -> None:
        self.fixed = [[list(row) for row in level] for level in table]  # raw entries as the run began
        # (level, node, following) -> raw cycle: written from the cut to the resumption (by the engine)
        self.moved: dict[tuple[int, int, int], int] = {}
        self.step = step
        self.resumed = False
        self.lo, self.hi = -UNBOUNDED, UNBOUNDED  # copies the cut may move by (earlier, later)

    def _stuck(self) -> None:
        self.lo = self.hi = 0

    def asked(self, cmd: int, slots, t: int) -> None:
        """An earliest cycle was asked: ``t`` (raw) over the table entries ``slots`` for ``cmd``."""
        if not self.resumed:
            fixed = self.fixed
            top = max(0, max(fixed[level][node][cmd] for level, node in slots))  # (0: the engine's floor)
            if t <= top:
                self._stuck()
            else:
                self.lo = max(self.lo, -((t - top) // self.step))
            return
        moved = self.moved
        top = max((moved.get((level, node, cmd), -UNBOUNDED) for level, node in slots), default=-UNBOUNDED)
        if top == -UNBOUNDED:
            return
        if t <= top:
            self._stuck()
        else:
            self.hi = min(self.hi, (t - top) // self.step)

    def counted(self) -> None:
        """A rolling window recorded an issue: its history would move with the cut."""
        if not self.resumed:
            self._stuck()

    def seen(self, table: list, base: int) -> None:
        """The state was taken relative to raw cycle ``base``: moved entries must stay hidden."""
        if not self.resumed:
            self._stuck()
            return
        for (level, node, f), v in self.moved.items():
            full = table[level][node][f]
            if full > v:  # a fixed entry is larger
                bound = max(full, base)
            elif v > base:
                self._stuck()
                return
            else:
                bound = base
            self.hi = min(self.hi, (bound - v) // self.step)

    def bounds(self) -> tuple[int, int]:
        return self.lo, self.hi
