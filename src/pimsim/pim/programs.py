"""Whole programs reused, for the fast channel (``FastChannel``).

A program (or, where a refresh likely falls inside, each of its macros) that
runs again from the same state is not simulated again: its outcome (the
engine state it leaves, its commands, time and refreshes) is remembered by
the program's signature and the entry state, and replayed shifted in time.
An outcome with no refresh inside holds at any refresh phase that leaves it
untouched; one with a refresh inside holds at the phase it was recorded at,
or (a single macro) at every phase that would have gone the same way
(``pimsim.pim.due``). States are named cheaply where they can be: "quiet"
when nothing is pending, the name recorded with the program that just ended
when nothing has been issued since. Where rows are left open (a lazy
precharge), the program and the open rows are named from the program's first
row, and an outcome recorded at other rows is replayed moved by as many rows.
"""

from __future__ import annotations

from pimsim.mapping.macro import MacRows, Program, first_row, known_signature, program_signature
from pimsim.pim.bursts import MIN_BURST_UNITS
from pimsim.pim.due import DueWindow


class ProgramReuse:
    """The program-level reuse of ``FastChannel`` (which provides the state, the caches and the
    simulation it falls back on)."""

    def _body(self, program: Program, split: bool, sig: tuple | None = None) -> None:
        """Run (or replay) ``program``; ``split``: a whole program, reused macro by macro where it
        must be simulated; else ``sig`` is its signature when no row is open."""
        base = None
        if max(self.engine.open_row) >= 0:  # a row left open: the outcome depends on row numbers,
            base = first_row(program)  # named (the program's and the open ones) from its first row
            sig = program_signature(program, rows=True, base=base)
            state = self._entry_state(base)
        else:
            state = self._entry_state()
        if base is None and split:
            sig = known_signature(program, self._sigs)
        pol = self.refresh
        phase = pol.next_due - self.mark
        calm = self._programs.get((sig, state))  # (the common case first, inline)
        if calm is not None and phase > calm[1]:
            return self._replay(calm, base)
        pos = pol.position()
        names = (state,)
        known = self._known(sig, state, phase, pos, calm_too=False)
        if known is None and base is not None and not isinstance(state, int):
            # a name made from the last program's: the state may be known by its own name
            names = (state, self._state(base))
            known = self._known(sig, names[1], phase, pos)
        if known is not None:
            return self._replay(known, base)
        mark0, refs0, counts0, time0 = self.mark, pol.issued, list(self.engine.counts), dict(self.time)
        whole = split and len(program) > 1  # a refresh likely falls somewhere inside: reuse piece by piece
        # a single macro records which refresh phases go the same way (unless row bursts reuse their own)
        watch = (None if whole or phase <= 0 or self._watch is not None or _bursts(program)
                 else DueWindow(pol.next_due))
        self._watch = watch
        try:
            if whole:
                plain = known_signature(program, self._sigs)  # (each macro's part of it, rows aside)
                for macro, part in zip(program, plain):
                    self._body((macro,), False, (part,))
            else:
                self.run_body(program)
            _, counts, times = self._measure(mark0, counts0, time0)
            refs = pol.issued - refs0
            span = self.engine.last_cycle - mark0  # a refresh due by then would have changed the outcome
            end_state = self._state(base)  # named by content: different paths to one state share its name
        finally:
            if watch is not None:
                self._watch = None
                moves = self.engine.end_cut()
        entry = (self.engine.snapshot(), span, self.mark - mark0, counts, times, self.done - self.mark,
                 self.done_cat, mark0, refs, end_state, base)
        window = watch.result(mark0, moves) if refs and watch is not None else None
        for state in names:
            if refs == 0:
                self._programs[(sig, state)] = entry
            elif window is not None:
                self._windows.setdefault((sig, state, pos), []).append((*window, entry))
            else:
                self._programs[(sig, state, phase, pos)] = entry
        self._after = (end_state, self.mark, base)

    def _known(self, sig: tuple, state, phase: int, pos, calm_too: bool = True) -> tuple | None:
        """The remembered outcome of a program (signature ``sig``) from ``state`` at refresh ``phase``
        and rotation ``pos``, or None (``calm_too``: also one with no refresh inside)."""
        if calm_too:
            calm = self._programs.get((sig, state))
            if calm is not None and phase > calm[1]:
                return calm
        hit = self._programs.get((sig, state, phase, pos))
        if hit is not None:
            return hit
        # (windows only while the refresh is not yet due: an overdue refresh names the entry state
        # relative to its due time, so one name stands for different states at different phases)
        for lo, hi, slide, entry in self._windows.get((sig, state, pos), ()) if phase > 0 else ():
            if lo <= phase <= hi and (slide is None or slide.covers(phase)):
                return entry
        return None

    def _entry_state(self, base: int | None = None):
        """A cheap name for the state the next program starts from (open rows named from ``base``):
        "quiet" when nothing is pending; the interned canonical id recorded with the program that
        just ended (plus how long the channel then waited, and how far ``base`` lies from the row
        that name was given from), when nothing has been issued since; else the canonical state,
        computed."""
        if base is None and self.engine.quiescent(min(self.mark, self.refresh.next_due)) and self.done <= self.mark:
            return "quiet"
        after = self._after
        if after is not None and self.engine.last_cycle <= after[1] and (base is None or after[2] is not None):
            name, gap = after[0], self.mark - after[1]
            if base is not None:
                name = (name, base - after[2])
            return name if gap == 0 else ("gap", name, gap)
        return self._state(base)

    def _replay(self, entry: tuple, base: int | None = None) -> None:
        """Take a remembered outcome; ``base``: the row the entry state was named from (the outcome
        then moves by as many rows as ``base`` lies from the row it was recorded from)."""
        snap, span, dur, counts, times, done_rel, done_cat, mark0, refs, end_state, was = entry
        self.engine.load(snap, self.mark - mark0)
        if base != was:  # (the end state's name is from the row recorded from: it holds from base)
            self.engine.shift_rows(base - was)
        eng_counts = self.engine.counts
        for i, d in counts:
            eng_counts[i] += d
        for k, v in times:
            self.time[k] += v
        if refs:
            self.refresh.skip(refs)
        self.mark += dur
        self.done, self.done_cat = self.mark + done_rel, done_cat
        self._after = (end_state, self.mark, base)


def _bursts(program: Program) -> bool:
    """Whether the fast channel steps a macro of ``program`` as periodic row bursts (which keep
    their own record of the refresh phases that go the same way)."""
    return any(isinstance(m, MacRows) and m.units() >= MIN_BURST_UNITS for m in program)
