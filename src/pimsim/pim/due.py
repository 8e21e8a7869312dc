"""Which refresh due times leave a stretch of channel simulation unchanged.

A channel looks at the next refresh's due time in only three ways: whether
it has fallen due by some cycle, how many copies of a run fit before it, and
the later of it and a refresh command's earliest cycle. While the answers
stay the same, every command issues at the same cycle whatever the due time,
so the stretch's outcome is the same. ``DueWindow`` records each answer as a
bound on the due time and keeps their intersection: the interval of due
times for which the stretch goes exactly as it did (a single point when a
command was issued at the due time itself).

Bounds are kept on the due time of the refresh that was next when the
recording began; a later refresh falls due a fixed number of cycles after
it (the schedule's grid), which a bound on a later due time is shifted by.

A refresh that falls due inside a run of identical commands cuts it: n
copies go before the refresh, the rest after it (the run *resumes*). A due
time j steps later cuts it j copies later, and that need not change the
outcome: when every cycle from the cut to the resumption moves with the cut
and nothing after the resumed run can tell where the cut was, the run ends
at the same cycle in the same state (``pimsim.dram.cut`` finds the j for
which this holds). So the answers given between the cut and the resumption
(the *frame*) bound the due time less j steps, and the recorded outcome
holds for every due time that is j steps later than one inside those
bounds, for j in that range (``Slide``). The completion pending when the
run starts must lie below its copies' before the cut, and the resumed run's
own completion above what the frame leaves pending, for every such j.
"""

from __future__ import annotations

from dataclasses import dataclass

UNBOUNDED = 1 << 62


@dataclass(frozen=True)
class Slide:
    """Due times (cycles after an origin) that cut the run j copies later than the recorded one."""

    first: int  # the run's first copy
    step: int
    cut: int  # copies issued before the refresh in the recorded stretch
    j_lo: int
    j_hi: int
    lo: int  # bounds on the due time less j steps (the frame's answers)
    hi: int

    def covers(self, due: int) -> bool:
        j = -(-(due - self.first) // self.step) - self.cut  # the cut's band, relative to the recorded one
        return self.j_lo <= j <= self.j_hi and self.lo <= due - j * self.step <= self.hi


class DueWindow:
    def __init__(self, first: int) -> None:
        self.first = first  # the due time when the recording began
        self.lo, self.hi = -UNBOUNDED, UNBOUNDED
        self.frame: tuple | None = None  # (cmd, copies left) of the run cut, until it resumes
        self.flo, self.fhi = -UNBOUNDED, UNBOUNDED  # the frame's bounds
        self.cut: tuple | None = None  # (first copy, step, copies before the cut, copies, fewest before)
        self.resumed = False  # the cut run resumed whole
        self.later = 0

    # -- the answers --------------------------------------------------------
    def _at_most(self, bound: int) -> None:
        if self.frame is not None:
            self.fhi = min(self.fhi, bound)
        elif bound < self.hi:
            self.hi = bound

    def _at_least(self, bound: int) -> None:
        if self.frame is not None:
            self.flo = max(self.flo, bound)
        elif bound > self.lo:
            self.lo = bound

    def due_by(self, due: int, t: int) -> None:
        """``due <= t`` was asked."""
        shift = due - self.first
        if due <= t:
            self._at_most(t - shift)
        else:
            self._at_least(t + 1 - shift)

    def from_due(self, due: int, t: int) -> None:
        """``max(due, t)`` was taken."""
        if due <= t:
            self._at_most(t - (due - self.first))
        else:  # issued at the due time itself: only this due time gives the same cycles
            self.pin()

    def fit(self, due: int, t: int, count: int, step: int) -> None:
        """``min(count, max(1, (due - t - 1) // step + 1))`` copies from ``t``, ``step`` apart, were
        issued before the refresh: the same number for due times in a band ``step`` wide (or, when
        the whole run fit, for every due time after its last copy)."""
        shift = due - self.first
        fit = (due - t - 1) // step + 1
        if fit >= count:
            self._at_least(t + 1 + (count - 1) * step - shift)
            return
        if fit > 1:
            self._at_least(t + 1 + (fit - 1) * step - shift)
        self._at_most(t + max(fit, 1) * step - shift)

    def pin(self) -> None:
        self._at_least(self.first)
        self._at_most(self.first)

    # -- the run the refresh cuts ----------------------------------------------
    def cut_run(self, cmd: int, t: int, step: int, n: int, count: int, fewest: int) -> None:
        """The first refresh cuts a run of ``count`` copies from ``t`` after ``n``; the cut may not move
        below ``fewest`` copies. Call before ``fit`` records the cut."""
        self.frame = (cmd, count - n)
        self.cut = (t, step, n, count, fewest)

    def resumes(self, cmd: int, count: int) -> bool:
        return self.frame == (cmd, count)

    def resume(self, whole: bool, later: int) -> None:
        """The cut run resumes (call before ``fit`` records it): ``whole``: with no further cut;
        the cut may move at most ``later`` copies later."""
        self.frame = None
        self.resumed = whole
        self.later = later

    def abandon(self) -> None:
        """The cut run has not resumed by the end of its unit: no slide (the frame's bounds stand)."""
        self.frame = None
        self.resumed = False

    def result(self, origin: int, moves: tuple[int, int] | None) -> tuple[int, int, Slide | None]:
        """The due times found (cycles after ``origin``): (lo, hi, slide); with a slide, a due time is
        covered if it lies in [lo, hi] and the slide covers it. ``moves``: how many copies the cut
        may move by, earlier and later, by what the engine saw (``FastEngine.end_cut``)."""
        lo, hi, slide = self.lo, self.hi, None
        if self.cut is not None:
            t, step, n, count, fewest = self.cut
            if self.resumed and self.frame is None and moves is not None:
                j_lo = max(moves[0], 1 - n, fewest - n)
                j_hi = min(moves[1], count - 1 - n, self.later)
                if j_lo <= 0 <= j_hi and j_lo < j_hi:
                    slide = Slide(t - origin, step, n, j_lo, j_hi, self.flo - origin, self.fhi - origin)
            if slide is None:  # the frame's bounds hold as they are
                lo, hi = max(lo, self.flo), min(hi, self.fhi)
        return lo - origin, hi - origin, slide
