"""All-bank row bursts in closed form, for the fast channel (``FastChannel``).

A ``MacRows`` macro is a stream of identical units (ACT16, MAC16 x cols,
PREA, read-out). Once a unit leaves the channel in the state it found it
(the steady state), every unit that ends before the next refresh falls due is
that unit shifted by its period. The units a refresh interrupts are
simulated until the state is steady again, and the outcome is kept with the
refresh phases (cycles until due) that would have gone the same way
(``pimsim.pim.due``); so are units that each take longer than the refresh
interval (every one has a refresh inside: no refresh-free period exists), each
reused at the phases its outcome holds for. The stream then meets each refresh in the steady state
at some phase; when a phase recurs, the stretch since is a cycle, and whole
cycles are jumped.
"""

from __future__ import annotations

from pimsim.mapping.macro import MacRows
from pimsim.pim.due import DueWindow

MIN_BURST_UNITS = 8  # below this, detecting a row burst's period (canonical snapshots) costs more than it saves
INTERRUPTED_UNITS = 4  # units simulated after a refresh interrupts a steady stream, at most


class RowBursts:
    """The ``MacRows`` stepping of ``FastChannel`` (which provides the state, the jumps and the caches)."""

    def _mac_rows(self, m: MacRows) -> None:
        """Row units in closed form. Simulate until a unit leaves the state it started from (the
        steady state), then jump over every unit that ends before the refresh falls due. The units
        a refresh interrupts are simulated until the state is steady again, and their outcome is
        kept for every refresh phase that would have gone the same way (``DueWindow``). When the
        stream meets a refresh again in the same state at the same phase, what lies between is a
        cycle: whole cycles are jumped. A shorter or open-ended last unit runs as is."""
        if not self.reuse:
            for cache in (self._ids, self._periodic, self._memo, self._refreshing):
                cache.clear()
        shape = m.unit_shape(0)
        u, units = 0, m.units()
        end = units if m.unit_shape(units - 1) == shape else units - 1
        # with a lazy precharge each unit leaves its last row open: states are named by their rows
        # relative to the next unit's first (the same state then recurs unit after unit), and a jump
        # over k units moves the open rows k units on
        step = m.group if m.precharge == "lazy" else None
        base = (lambda u: m.row + u * step) if step else (lambda u: None)
        state = self._state(base(0))
        pol = self.refresh
        while u < end:
            known = self._periodic.get((state, shape))
            if known is None:  # not steady (yet)
                if (state, shape) in self._refreshing:  # units each with a refresh inside
                    k = self._recall(state, shape, u, end)
                    if k:
                        u += k
                        if step:
                            self.engine.shift_rows(k * step)
                    else:
                        u, state = self._interrupted(m, u, end, state, (state, shape, pol.position()), base)
                    continue
                # one unit, watching for a period
                mark0, refs0, counts0, time0 = self.mark, pol.issued, list(self.engine.counts), dict(self.time)
                self._unit(m, u)
                u += 1
                after = self._state(base(u))
                if after == state and pol.issued == refs0:
                    self._periodic[(state, shape)] = self._measure(mark0, counts0, time0)
                elif after == state and pol.issued == refs0 + 1:  # a unit longer than the refresh interval
                    self._refreshing.add((state, shape))
                state = after
                continue
            u0 = u
            u = self._steady(u, end, state, shape, known)
            if step:
                self.engine.shift_rows((u - u0) * step)
            if u < end:  # a refresh whose outcome is not known yet
                u, state = self._interrupted(m, u, end, state, (state, shape, pol.position()), base)
        for u in range(end, units):
            self._unit(m, u)

    def _steady(self, u: int, end: int, state: int, shape: tuple, unit: tuple) -> int:
        """From the steady ``state`` at unit ``u``: jump units (``unit``: period, counts, times) and the
        refreshes whose outcome is known, until one is not (or ``end``); return the unit reached.
        The jumps are summed first and applied at the end. When the stream meets a refresh in the
        same phase as before, the stretch since is a cycle: whole cycles are jumped, then as far
        into one more as fits."""
        pol = self.refresh
        period = unit[0]
        mark = self.mark
        units = 0  # units jumped
        used: dict[int, list] = {}  # id(kept outcome) -> [outcome, times jumped]
        seen: dict[tuple, tuple] = {}  # (phase, rotation) at a refresh -> (u, mark, refreshes, units, used)
        while u < end:
            skip = min(end - u, (pol.next_due - mark - 1) // period)
            if skip > 0:  # units that end before the refresh falls due: the same unit, shifted
                units += skip
                mark += skip * period
                u += skip
                continue
            phase, pos = pol.next_due - mark, pol.position()
            at = (u, mark, pol.issued, units, {i: n for i, (_, n) in used.items()})
            was = seen.get((phase, pos))
            if was is not None:  # a cycle
                u, mark, units = self._cycles(list(seen.values()), was, at, end, used)
                seen.clear()
                continue
            seen[(phase, pos)] = at
            kept = self._kept(state, shape, pos, phase, end - u)
            if kept is None:
                break
            used.setdefault(id(kept), [kept, 0])[1] += 1
            mark += kept[4]
            pol.skip_one()
            u += kept[3]
        self._jump(unit[0], unit[1], unit[2], units)
        for kept, n in used.values():
            self._jump(kept[4], kept[5], kept[6], n)
        assert self.mark == mark, "the jumps applied differ from those summed"
        return u

    def _recall(self, state: int, shape: tuple, u: int, end: int) -> int:
        """From ``state`` at unit ``u``: jump a stretch of units through one refresh whose outcome is
        known at this refresh phase (``_interrupted``); return the units jumped (0 if none is)."""
        pol = self.refresh
        phase = pol.next_due - self.mark
        if phase <= 0:  # overdue: the state is named relative to the due time (``FastChannel._body``)
            return 0
        kept = self._kept(state, shape, pol.position(), phase, end - u)
        if kept is None:
            return 0
        self._jump(kept[4], kept[5], kept[6], 1)
        pol.skip_one()
        return kept[3]

    def _kept(self, state: int, shape: tuple, pos: int, phase: int, room: int):
        """A kept stretch through a refresh (``_interrupted``) from ``state`` that holds at refresh
        ``phase`` and is at most ``room`` units long, or None."""
        for kept in self._memo.get((state, shape, pos), ()):
            lo, hi, slide, k = kept[:4]
            if lo <= phase <= hi and k <= room and (slide is None or slide.covers(phase)):
                return kept
        return None

    def _unit(self, m: MacRows, u: int) -> None:
        for run in m.unit(u):
            self.run_run(run)

    def _interrupted(self, m: MacRows, u: int, end: int, state: int, key: tuple, base) -> tuple[int, int]:
        """From the steady ``state``, the units through the refresh that falls due in the next one,
        simulated until the state is steady again (at most ``INTERRUPTED_UNITS``). Remembered with
        the refresh phases for which every look at the due time would have had the same answer.
        ``base(u)``: the row unit ``u``'s state is named from (None: absolute rows). Returns the next
        unit and the state there."""
        pol = self.refresh
        mark0, refs0, counts0, time0 = self.mark, pol.issued, list(self.engine.counts), dict(self.time)
        window = self._watch = DueWindow(pol.next_due)
        k, after = 0, state
        try:
            while k < INTERRUPTED_UNITS and u + k < end:
                self._unit(m, u + k)
                k += 1
                after = self._state(base(u + k))
                if after == state or pol.issued > refs0 + 1:
                    break
        finally:
            self._watch = None
            moves = self.engine.end_cut()
        if after == state and pol.issued == refs0 + 1:
            self._memo.setdefault(key, []).append((*window.result(mark0, moves), k,
                                                   *self._measure(mark0, counts0, time0)))
        return u + k, after

    def _cycles(self, points: list[tuple], was: tuple, now: tuple, end: int, used: dict) -> tuple[int, int, int]:
        """The stretch from point ``was`` to ``now`` (unit, mark, refreshes, units jumped, outcomes
        jumped) ends in the phase it began in: a cycle. Add the whole cycles that fit before ``end``
        to ``used``, then as far into one more as the cycle's later ``points`` fit; return the
        unit, mark and units jumped reached."""
        pol = self.refresh
        u0, mark0, refs0, units0, used0 = was
        u, mark, refs, units, used_now = now
        n = (end - u) // (u - u0)
        for i, times in used_now.items():
            used[i][1] += n * (times - used0.get(i, 0))
        pol.skip(n * (refs - refs0))
        u, mark, units = u + n * (u - u0), mark + n * (mark - mark0), units + n * (units - units0)
        last = None
        for point in points[points.index(was) + 1:]:
            if point[0] - u0 <= end - u:
                last = point
        if last is not None:
            u1, mark1, refs1, units1, used1 = last
            for i, times in used1.items():
                used[i][1] += times - used0.get(i, 0)
            pol.skip(refs1 - refs0)
            u, mark, units = u + u1 - u0, mark + mark1 - mark0, units + units1 - units0
        return u, mark, units
