"""A PIM channel running macro-command programs: the reference and the fast engine.

Both engines share this one path for what makes them agree: program order,
refresh insertion and re-activation. A command is issued at
max(step start, earliest legal cycle); if a refresh is due by then, the
refresh goes first (precharge what is open, then REF, each at its earliest
cycle at or after the due time) and a row burst it interrupted re-opens its
row. The engines differ only in how many identical commands they issue at
once:

* ``reference``: one DRAM command at a time, every one through the engine;
* ``fast``: a whole run in closed form (copies ``self_interval`` apart, cut
  where a refresh falls due), and periodic all-bank row bursts skipped in
  bulk: once the engine's canonical state repeats from one burst to the next,
  every further burst before the next refresh is the same burst shifted by
  its period, so the state, counts and times are advanced exactly. The
  bursts a refresh interrupts are simulated until the state is steady again,
  and the outcome holds for every refresh phase (cycles until due) for which
  each look at the due time would have had the same answer, the cut of a run
  moving along it where nothing after the run can tell (``pimsim.pim.due``,
  ``pimsim.dram.cut``). When the stream meets a refresh again in the same
  state at the same phase, the stretch between is a cycle, jumped whole.
  With ``reuse`` these results carry across macro-commands (the same GEMV in
  every layer and token), and whole programs that recur are replayed
  (``pimsim.pim.programs``); without it they are forgotten at each macro.

Time is attributed to categories (vmm, transfer, refresh) by the gap each
command closes since the previous one, so the categories of a step sum to
its duration.
"""

from __future__ import annotations

from pimsim.dram.commands import RANK
from pimsim.dram.engine import Engine
from pimsim.dram.fast_engine import FastEngine
from pimsim.dram.refresh import REFRESH_STALL, make_refresh
from pimsim.dram.spec import DramSpec
from pimsim.errors import PimsimError
from pimsim.mapping.macro import REFRESH, MacRows, Program, Run
from pimsim.pim.bursts import MIN_BURST_UNITS, RowBursts
from pimsim.pim.due import DueWindow
from pimsim.pim.programs import ProgramReuse

ENGINES: dict[str, type["Channel"]] = {}


def register(name: str):
    def deco(cls):
        ENGINES[name] = cls
        return cls

    return deco


class Channel:
    """One channel (rank 0). ``spec`` describes a single channel."""

    engine_class: type[Engine] = Engine

    def __init__(self, spec: DramSpec, keep_log: bool = False) -> None:
        self.spec = spec
        self.engine = self.engine_class(spec, keep_log=keep_log)
        self.refresh = make_refresh(spec)[0]
        self.ids = spec.cmd_id
        p = spec.params
        bl = p["nBL"]
        # cycles from a command's issue until it is complete (its data moved, its result readable)
        self.completion = {"read": p["nCL"] + bl, "write": p["nCWL"] + bl, "mac": p.get("nMACPIPE", 0),
                           "reg_read": p.get("nCLREG", p["nCL"]) + bl, "reg_write": p.get("nCWLREG", p["nCWL"]) + bl,
                           "gb_write": p.get("nCWLGB", p["nCWL"]) + bl,
                           "write_precharge": p["nCWL"] + bl + p["nRP"]}
        self.switch = self.ids.get("TMOD", -1)  # the mode-switch command, where the device has modes
        self.mark = 0  # time attributed so far
        self.floor = 0  # the running step's start
        self.done = 0  # latest completion of any issued command
        self.done_cat = ""
        self.time = {"vmm": 0, "transfer": 0, "refresh": 0}

    # -- the program -----------------------------------------------------------
    def run(self, program: Program, start: int) -> int:
        """Run ``program`` from cycle ``start``; return the cycle its last command completes."""
        self._begin(start)
        self.run_body(program)
        return self._end()

    def _begin(self, start: int) -> None:
        self.floor = start
        self.mark = max(self.mark, start)

    def run_body(self, program: Program) -> None:
        for macro in program:
            self.run_macro(macro)

    def _end(self) -> int:
        """The program's tail: time until its last command completes goes to that command's category."""
        end = max(self.done, self.mark)
        if end > self.mark:
            self.time[self.done_cat or "vmm"] += end - self.mark
            self.mark = end
        return end

    def finish(self, end: int) -> None:
        """Issue the refreshes that fall due while the channel idles until ``end``."""
        while self.refresh.next_due <= end:
            self._refresh()

    def run_macro(self, macro) -> None:
        for run in macro.runs():
            self.run_run(run)

    def run_run(self, run: Run) -> None:
        ids = self.ids
        self._issue(ids[run.cmd], (0, 0, *run.bank), run.row, run.col, run.count,
                    ids[run.reopen] if run.reopen else -1, run.category)

    # -- issuing -------------------------------------------------------------
    def batch(self, cmd: int, addr, t: int, count: int) -> tuple[int, int]:
        """How many copies of ``cmd`` to issue at once from ``t``, and their spacing."""
        raise NotImplementedError

    def _issue(self, cmd: int, addr, row: int, col: int, count: int, reopen: int, category: str) -> None:
        eng = self.engine
        info = self.spec.commands[cmd]
        refs = self.refresh.issued  # (at the last copy issued: refreshes must leave the command room)
        while count > 0:
            if self.refresh.issued - refs > REFRESH_STALL:
                self._stalled(info.name)
            if info.needs.startswith("closed") and eng.state_error(cmd, addr, row):  # left open (lazy precharge)
                self._close(cmd, addr, category)
            if reopen >= 0 and eng.state_error(cmd, addr, row):  # a refresh (or another row) closed it
                self._reopen(cmd, addr, row, reopen, category)
            if eng.needs_switch(cmd):
                self._switch(cmd, addr, category)
                continue
            t = max(self.floor, eng.earliest(cmd, addr))
            if self._due_by(t):
                self._refresh()
                if info.effect == "close" and not info.data and not eng.open_banks(info.level, addr):
                    return  # a precharge the refresh has done already
                continue
            n, step = self.batch(cmd, addr, t, count)
            eng.issue(cmd, addr, t, row=row, col=col, count=n, interval=step)
            self._account(t + (n - 1) * step, info.data, category)
            count -= n
            refs = self.refresh.issued

    def _stalled(self, name: str) -> None:
        """Refreshes keep falling due before the command can issue (it never would: a livelock)."""
        pol = self.refresh
        raise PimsimError(f"{REFRESH_STALL} refreshes in a row fell due before a {name} could issue: a "
                          f"{self.spec.cfg.refresh_policy.replace('_', '-')} refresh every {pol.interval} cycles "
                          "leaves it no room; expected a longer refresh interval (or all-bank refresh)",
                          key="dram.timing.nREFI")

    def _switch(self, cmd: int, addr, category: str) -> None:
        """The mode switch a command needs, issued once that command is ready by its own rules
        (as the AiM controller does), unless a refresh falls due first."""
        eng = self.engine
        t = max(self.floor, eng.earliest(self.switch, addr), eng.earliest(cmd, addr))
        if self._due_by(t):
            self._refresh()
            return
        eng.issue(self.switch, addr, t)
        self._account(t, "", category)

    def _close(self, cmd: int, addr, category: str) -> None:
        """Precharge the banks ``cmd`` covers that are open: PREA for a rank-wide command, else PRE."""
        eng = self.engine
        if self.spec.commands[cmd].level <= RANK:
            self._issue(self.ids["PREA"], addr, -1, -1, 1, -1, category)
        else:
            for b in eng.open_banks(self.spec.commands[cmd].level, addr):
                self._issue(self.ids["PRE"], self.spec.addr_of_bank(b), -1, -1, 1, -1, category)

    def _reopen(self, cmd: int, addr, row: int, reopen: int, category: str) -> None:
        """Open the row a run needs. Banks open at another row are precharged first. Then the run's
        own activate if every covered bank is closed (after an all-bank refresh, or on first use) or
        that activate may leave banks open at the row (ACT16), else a single-bank ACT to each closed
        one (after a per-bank refresh). In the mapper's programs only a refresh makes this happen,
        so its time counts as refresh."""
        eng = self.engine
        cat = REFRESH
        if any(eng.open_row[b] != row for b in eng.covered_banks(cmd, addr) if eng.open_row[b] >= 0):
            self._close(cmd, addr, cat)
        closed = eng.closed_banks(cmd, addr)
        if self.spec.commands[reopen].needs == "closed_or_row" or len(closed) == len(eng.covered_banks(cmd, addr)):
            self._issue(reopen, addr, row, -1, 1, -1, cat)
        else:
            for b in closed:
                self._issue(self.ids["ACT"], self.spec.addr_of_bank(b), row, -1, 1, -1, cat)

    def _refresh(self) -> None:
        eng, pol = self.engine, self.refresh
        while True:
            cmd, addr = pol.next_command(eng)
            t = eng.earliest(cmd, addr)
            if eng.needs_switch(cmd):  # refresh is an array command: switch once it could go
                cmd, t = self.switch, max(t, eng.earliest(self.switch, addr))
            t = self._from_due(t)
            eng.issue(cmd, addr, t)
            pol.on_issue(cmd)
            self._account(t, "", REFRESH)
            if self.spec.commands[cmd].refresh:
                return

    # -- the refresh's due time: every look at it goes through these two (and ``batch``) ------------
    def _due_by(self, t: int) -> bool:
        """Whether the next refresh falls due by cycle ``t``."""
        return self.refresh.next_due <= t

    def _from_due(self, t: int) -> int:
        """The later of ``t`` and the next refresh's due time (when a refresh command may go)."""
        due = self.refresh.next_due
        return t if t >= due else due

    def _account(self, t_last: int, data: str, category: str) -> None:
        if t_last > self.mark:
            self.time[category] += t_last - self.mark
            self.mark = t_last
        end = t_last + self.completion.get(data, 1)
        if end > self.done:
            self.done, self.done_cat = end, category

    def clone(self) -> "Channel":
        """The same channel, to diverge from here (its caches stay shared)."""
        other = _shallow(self)
        other.engine = self.engine.clone()
        other.refresh = _shallow(self.refresh)
        other.time = dict(self.time)
        return other

    # -- results ---------------------------------------------------------------
    def command_counts(self) -> dict[str, int]:
        return {c.name: self.engine.counts[i] for i, c in enumerate(self.spec.commands)}


def _shallow(obj):
    """A shallow copy of a plain object (what ``copy.copy`` makes, without its generic dispatch)."""
    other = object.__new__(type(obj))
    other.__dict__.update(obj.__dict__)
    return other


@register("reference")
class ReferenceChannel(Channel):
    """Every DRAM command issued on its own (the ground truth)."""

    def batch(self, cmd: int, addr, t: int, count: int) -> tuple[int, int]:
        return 1, 0


@register("fast")
class FastChannel(ProgramReuse, RowBursts, Channel):
    """Runs in closed form; periodic row bursts and the refreshes that interrupt them reused exactly."""

    engine_class = FastEngine

    def __init__(self, spec: DramSpec, keep_log: bool = False, reuse: bool = True,
                 shared: dict | None = None) -> None:
        super().__init__(spec, keep_log)
        self.reuse = reuse  # False: forget every result at each new macro (measures what reuse buys)
        # What the engine learns; channels of one system share it (their specs are identical), so the
        # state ids interned here mean the same state in every channel.
        cache = {} if shared is None else shared
        self._ids: dict[tuple, int] = cache.setdefault("ids", {})  # canonical states, interned
        # (state, burst shape) -> (period, commands per burst, time per burst) once seen to repeat
        self._periodic: dict[tuple, tuple] = cache.setdefault("periodic", {})
        # (state, shape, refresh rotation) -> [(phases lo..hi, slide, units, their outcome)]: the units
        # a refresh interrupts, for every refresh phase (cycles until due) that goes the same way
        self._memo: dict[tuple, list] = cache.setdefault("memo", {})
        # (state, burst shape) whose units return to the state with one refresh inside each
        self._refreshing: set[tuple] = cache.setdefault("refreshing", set())
        # (program signature, entry state[, refresh phase, rotation]) -> the program's outcome
        self._programs: dict[tuple, tuple] = cache.setdefault("programs", {})
        # (program signature, entry state, refresh rotation) -> [(phases lo..hi, slide, outcome)]: a
        # macro's outcome with refreshes inside, for every phase that goes the same way (``DueWindow``)
        self._windows: dict[tuple, list] = cache.setdefault("windows", {})
        self._sigs: dict[int, tuple] = cache.setdefault("signatures", {})  # id(program) -> (program, signature)
        # (interned end-state id, mark, the row it names open rows from or None) of the program that
        # produced the current state
        self._after = None
        self._watch: DueWindow | None = None  # while recording which due times go the same way

    def batch(self, cmd: int, addr, t: int, count: int) -> tuple[int, int]:
        step = self.engine.self_interval(cmd)
        closed = step is not None and count > 1  # a run in closed form
        due = self.refresh.next_due
        n = max(1, min(count, (due - t - 1) // step + 1)) if closed else 1  # copies before the refresh
        watch = self._watch
        if watch is not None:
            completes = self.completion.get(self.spec.commands[cmd].data, 1)
            if watch.resumes(cmd, count):  # the run a refresh cut resumes
                # (the completion pending must become the run's own, wherever the cut lies)
                later = (t + (count - 1) * step + completes - self.done - 1) // step if step else 0
                watch.resume(n == count, later)
                self.engine.resume_cut()
            elif closed and n < count and due == watch.first and watch.cut is None:  # the refresh cuts it
                # (the completion pending before the run must be below its copies' before the cut)
                watch.cut_run(cmd, t, step, n, count, (self.done - completes - t) // step + 2)
                self.engine.begin_cut(step)
            if closed:
                watch.fit(due, t, count, step)
        return (n, step) if closed else (1, 0)

    def _due_by(self, t: int) -> bool:
        due = self.refresh.next_due
        if self._watch is not None:
            self._watch.due_by(due, t)
        return due <= t

    def _from_due(self, t: int) -> int:
        due = self.refresh.next_due
        if self._watch is not None:
            self._watch.from_due(due, t)
        return t if t >= due else due

    def run(self, program: Program, start: int) -> int:
        """Reuse a program's outcome when it has run before from the same state at the same
        refresh phase (or with no refresh falling due before its last command); else simulate it
        (macro by macro, each reused the same way) and remember the outcome. See ``_entry_state``
        for how states are named cheaply."""
        if not self.reuse or not program or start < self.mark:
            # (a program may issue before the previous one's tail has completed, as a trace's next
            # instruction does: outcomes are remembered relative to the mark, so run it as is)
            self._after = None
            return super().run(program, start)
        self._begin(start)
        self._body(program, split=True)
        return self._end()

    def run_macro(self, macro) -> None:
        if isinstance(macro, MacRows) and macro.units() >= MIN_BURST_UNITS:
            self._mac_rows(macro)
        else:
            super().run_macro(macro)

    def _state(self, row_base: int | None = None) -> int:
        """The canonical state (engine + pending completion) as a small interned id.

        Taken at the earlier of now and the next refresh's due time: an overdue refresh is issued
        in the past (at or after its due time), so what is pending after that time matters too.
        (Taken within a recorded stretch, the base pins the refresh phase: see ``DueWindow.pin``.)
        With ``row_base``, open rows are named relative to it: timing depends on row numbers only
        through their equality, so two states that differ by the same shift of every open row, met
        with work shifted by as many rows, go the same way (the row bursts of a lazy precharge)."""
        done_rel = self.done - self.mark if self.done > self.mark else 0
        if self._watch is not None and self._watch.frame is not None:
            self._watch.abandon()
        now = self.mark
        if self._due_by(now):
            if self._watch is not None:
                self._watch.pin()
            now = self.refresh.next_due
        canon = self.engine.canonical(now)
        if row_base is not None:
            rel, win, rows, mode = canon
            canon = (rel, win, ("from", *(r - row_base if r >= 0 else None for r in rows)), mode)
        key = (canon, done_rel, self.done_cat)
        return self._ids.setdefault(key, len(self._ids))

    def _jump(self, delta: int, counts: tuple, times: tuple, times_n: int) -> None:
        """Advance by ``times_n`` copies of a known stretch of work lasting ``delta`` cycles each."""
        self.engine.shift(delta * times_n)
        eng_counts = self.engine.counts
        for i, d in counts:
            eng_counts[i] += times_n * d
        for k, v in times:
            self.time[k] += times_n * v
        if self.done > self.mark:
            self.done += delta * times_n
        self.mark += delta * times_n

    def _measure(self, mark0: int, counts0: list[int], time0: dict[str, int]) -> tuple[int, tuple, tuple]:
        """What a stretch of work did: its duration and its nonzero count and time increments."""
        counts = tuple((i, c - c0) for i, (c, c0) in enumerate(zip(self.engine.counts, counts0)) if c != c0)
        times = tuple((k, self.time[k] - time0[k]) for k in self.time if self.time[k] != time0[k])
        return self.mark - mark0, counts, times
