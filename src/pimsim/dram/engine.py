"""The per-command reference engine: the ground truth every faster path is proven against.

State is Ramulator-style: every node of the channel / rank / bank-group / bank
tree holds, per command, the earliest cycle that command may issue there.
``earliest`` is a max over the command's path (and, for a command addressed
above the bank level, over every node it covers); ``issue`` checks legality
and raises the entries the rule table names. Time never ticks: callers jump
straight to the cycle ``earliest`` returns.
"""

from __future__ import annotations

from collections import deque

from pimsim.dram.commands import BANK, LEVELS
from pimsim.dram.spec import Addr, DramSpec


MODE_OF = {"array": 0, "register": 1}


class ProtocolError(RuntimeError):
    """An illegal command was issued (a bug in whoever drives the engine)."""


class Engine:
    def __init__(self, spec: DramSpec, keep_log: bool = False) -> None:
        self.spec = spec
        self.commands = spec.commands
        self.fanout = spec.fanout
        self.n_cmds = len(spec.commands)
        self.sizes = spec.level_sizes()
        # next_ok[level][node][cmd]: earliest cycle cmd may issue at that node, minus ``offset``
        self.next_ok = [[[0] * self.n_cmds for _ in range(n)] for n in self.sizes]
        self.offset = 0  # added to every stored cycle (see shift)
        self.open_row = [-1] * self.sizes[BANK]
        # device mode (0 array, 1 register), tracked only where the command set has a mode switch
        self.has_modes = any(c.mode == "switch" for c in spec.commands)
        self._mode_of = [MODE_OF.get(c.mode, -1) for c in spec.commands]
        self.mode = 0
        self.counts = [0] * self.n_cmds
        self.log: list[tuple[int, str, int, int, int, int, int, int]] | None = [] if keep_log else None
        self.last_cycle = -1
        self._window: dict[tuple[int, int, int], tuple[deque[int], int]] = {}  # -> (recent issues, latency)
        self._interval: dict[int, int | None] = {}
        self._plan = [self._compile_plan(cmd) for cmd in range(self.n_cmds)]
        # the latest cycle any issued command still constrains (raw): beyond it the state is quiescent
        self.horizon = 0
        self._borrowed = False  # next_ok/_window/open_row are shared with a snapshot: copy before writing
        self._reach = [max([lat for *_, ups in plan for _, lat in ups], default=0) for plan in self._plan]
        n = len(LEVELS)
        self._per = [[self.sizes[t] // self.sizes[lv] if t >= lv else 0 for t in range(n)] for lv in range(n)]

    def _compile_plan(self, cmd: int) -> list[tuple[int, bool, int, int, list[tuple[int, int]]]]:
        """The updates issuing ``cmd`` makes: (level, sibling, window, rule index, [(following, latency)]).

        A rule below the command's own level (a bank rule for an all-bank
        command) is written on the command's own node: every command it binds
        looks at that node on its path, so one write stands for all the banks
        below. Plain rules (no window, not sibling) writing the same node merge
        into one entry, keeping the largest latency per following command.
        """
        own = self.spec.commands[cmd].level
        plain: dict[int, dict[int, int]] = {}
        plan = []
        for rule in self.spec.compiled:
            if cmd not in rule.preceding:
                continue
            level = rule.level if rule.sibling else min(rule.level, own)
            if rule.window == 1 and not rule.sibling:
                merged = plain.setdefault(level, {})
                for f in rule.following:
                    merged[f] = max(merged.get(f, rule.latency), rule.latency)
            else:
                plan.append((level, rule.sibling, rule.window, rule.index,
                             [(f, rule.latency) for f in rule.following]))
        for level, merged in sorted(plain.items()):
            plan.append((level, False, 1, -1, sorted(merged.items())))
        return plan

    # -- addressing ---------------------------------------------------------
    def path(self, addr: Addr) -> tuple[int, int, int, int]:
        """Flat node index at every level for a full (bank-level) address."""
        ch, ra, bg, ba = addr
        _, f1, f2, f3 = self.fanout
        r = ch * f1 + ra
        g = r * f2 + bg
        return (ch, r, g, g * f3 + ba)

    def _span(self, level: int, node: int, target: int) -> range:
        """Nodes at ``target`` level below ``node`` of ``level`` (target >= level)."""
        per = self._per[level][target]
        return range(node * per, (node + 1) * per)

    # -- timing -------------------------------------------------------------
    def earliest(self, cmd: int, addr: Addr) -> int:
        """Earliest cycle ``cmd`` may issue at ``addr`` by the timing rules alone."""
        return self._earliest(cmd, self.commands[cmd].level, self.path(addr)) + self.offset

    def _earliest(self, cmd: int, lvl: int, p: tuple[int, int, int, int]) -> int:
        nx = self.next_ok
        if lvl == BANK:
            return max(nx[0][p[0]][cmd], nx[1][p[1]][cmd], nx[2][p[2]][cmd], nx[3][p[3]][cmd])
        t = 0
        for level in range(lvl + 1):
            v = nx[level][p[level]][cmd]
            if v > t:
                t = v
        for level, node in self._covered(lvl, p[lvl]):  # nodes the command covers
            v = nx[level][node][cmd]
            if v > t:
                t = v
        return t

    def _covered(self, lvl: int, node: int):
        """(level, node) of every node below a level-``lvl`` node."""
        return ((level, n) for level in range(lvl + 1, len(LEVELS)) for n in self._span(lvl, node, level))

    def state_error(self, cmd: int, addr: Addr, row: int) -> str | None:
        """Why the bank state forbids ``cmd`` now, or None."""
        return self._state_error(self.commands[cmd], self.path(addr), row)

    def needs_switch(self, cmd: int) -> bool:
        """Whether ``cmd`` needs the other device mode (a mode switch must go first)."""
        return self.has_modes and self._mode_of[cmd] not in (-1, self.mode)

    def _mode_error(self, c) -> str | None:
        if self.has_modes and MODE_OF.get(c.mode, self.mode) != self.mode:
            return f"{c.name} in {'register' if self.mode else 'array'} mode (needs a mode switch first)"
        return None

    def _state_error(self, c, p: tuple[int, int, int, int], row: int) -> str | None:
        """Why the banks' state forbids ``c`` (the device mode aside), or None."""
        if c.needs == "any":
            return None
        open_row = self.open_row
        for b in self._span(c.level, p[c.level], BANK):
            r = open_row[b]
            if c.needs == "open":
                if r < 0:
                    return f"{c.name} to a closed bank"
                if row >= 0 and r != row:
                    return f"{c.name} to row {row} while row {r} is open"
            elif r >= 0 and (c.needs == "closed" or r != row):
                return f"{c.name} while a bank is open (row {r})"
        return None

    def issue(self, cmd: int, addr: Addr, cycle: int, row: int = -1, col: int = -1, count: int = 1,
              interval: int = 0) -> None:
        """Issue ``cmd`` at ``cycle``; raises ProtocolError if that is illegal.

        With ``count`` > 1, issue a run: ``count`` copies ``interval`` cycles apart
        (``interval`` must be at least ``self_interval(cmd)``). The state after a
        run equals the state after issuing each copy, because every rule raises
        an entry to (issue cycle + latency) and the last copy dominates; window
        rules remember the last copies' cycles.
        """
        c = self.commands[cmd]
        lvl = c.level
        p = self.path(addr)
        if self._borrowed:
            self._own()
        if cycle < self.last_cycle:
            raise ProtocolError(f"{c.name} at cycle {cycle} issued before cycle {self.last_cycle}")
        ready = self._ready(cmd, lvl, p) + self.offset
        if cycle < ready:
            raise ProtocolError(f"{c.name} at cycle {cycle} violates timing (earliest {ready}) at {addr}")
        why = self._mode_error(c) or self._state_error(c, p, row)
        if why:
            raise ProtocolError(f"{why} at cycle {cycle}, {addr}")
        first = cycle
        if count > 1:
            step = self.self_interval(cmd)
            if step is None or interval < step:
                raise ProtocolError(f"{c.name} run of {count} at interval {interval} (needs {step})")
            cycle = first + (count - 1) * interval
        self.last_cycle = cycle
        raw_first, cycle = first - self.offset, cycle - self.offset  # stored cycles are raw
        if cycle + self._reach[cmd] > self.horizon:
            self.horizon = cycle + self._reach[cmd]
        nx = self.next_ok
        targets = self._plan_of(cmd, p)
        self._writing(targets, cycle)
        for rl, node, window, rule_index, updates in targets:
            if window > 1:
                hist = self._history(rule_index, rl, node, window, updates)
                for j in range(max(0, count - window), count):
                    hist.append(raw_first + j * interval)
                if len(hist) < window:
                    continue
                t0 = hist[0]
            else:
                t0 = cycle
            row_ok = nx[rl][node]
            for f, lat in updates:
                t = t0 + lat
                if row_ok[f] < t:
                    row_ok[f] = t
        if c.mode == "switch":
            self.mode ^= count & 1
        if c.effect != "none":
            self._set_rows(lvl, p, row if c.effect == "open" else -1)
        self.counts[cmd] += count
        if self.log is not None:
            for j in range(count):
                self.log.append((first + j * interval, c.name, *addr, row, col))

    # -- the parts of ``issue`` the fast engine answers from what it has resolved -------------------
    def _ready(self, cmd: int, lvl: int, p: tuple) -> int:
        """The earliest raw cycle for ``cmd`` at path ``p``."""
        return self._earliest(cmd, lvl, p)

    def _plan_of(self, cmd: int, p: tuple) -> list:
        """The table writes ``cmd`` at path ``p`` makes (``_targets``)."""
        return self._targets(cmd, p)

    def _writing(self, targets: list, cycle: int) -> None:
        """Called with an issue's writes before they are made (raw ``cycle``)."""

    def _set_rows(self, lvl: int, p: tuple, new: int) -> None:
        """The banks the command at level ``lvl``, path ``p`` covers now hold row ``new`` (-1: closed)."""
        if lvl == BANK:
            self.open_row[p[BANK]] = new
        else:
            for b in self._span(lvl, p[lvl], BANK):
                self.open_row[b] = new

    def resolved_writes(self, cmd: int, addr: Addr, min_latency: int | None = None) -> tuple[tuple, tuple]:
        """The table writes ``issue`` makes for one ``cmd`` at ``addr``, resolved to the rows they touch.

        ``plain``: ``(row, following, latency)``: row[following] rises to the issue cycle + latency.
        ``windowed``: ``(history, window, ((row, following, latency), ...))``: the issue cycle joins
        ``history`` (the engine's own record of the rule's recent issues); once it holds ``window``
        cycles, each row[following] rises to its oldest + latency. Plain writes with a latency
        below ``min_latency`` are left out (for callers that know they cannot bind). The rows are
        the engine's own lists: valid until ``snapshot``, ``load`` or ``clone`` replace them.
        """
        self._own()
        plain, windowed = [], []
        for rl, node, window, rule_index, updates in self._targets(cmd, self.path(addr)):
            row = self.next_ok[rl][node]
            if window > 1:
                hist = self._history(rule_index, rl, node, window, updates)
                windowed.append((hist, window, tuple((row, f, lat) for f, lat in updates)))
            else:
                plain.extend((row, f, lat) for f, lat in updates if min_latency is None or lat >= min_latency)
        return tuple(plain), tuple(windowed)

    def _targets(self, cmd: int, p: tuple[int, int, int, int]) -> list[tuple]:
        """The plan of ``cmd`` at path ``p``, one entry per node it writes, in plan order:
        (level, node, window, rule index, updates). Sibling rules write every other node under the
        same parent, and only for commands at or below the rule's level."""
        out = []
        for rl, sibling, window, rule_index, updates in self._plan[cmd]:
            if sibling:
                if self.commands[cmd].level < rl:
                    continue
                nodes = [n for n in self._span(rl - 1, p[rl - 1], rl) if n != p[rl]]
            else:
                nodes = [p[rl]]
            out += [(rl, node, window, rule_index, updates) for node in nodes]
        return out

    def _history(self, rule_index: int, rl: int, node: int, window: int, updates) -> deque:
        """A rolling-window rule's record of its recent issue cycles at one node (made on first use)."""
        key = (rule_index, rl, node)
        entry = self._window.get(key)
        if entry is None:
            entry = self._window[key] = (deque(maxlen=window), updates[0][1])
        return entry[0]

    def self_interval(self, cmd: int) -> int | None:
        """Cycles the rules force between back-to-back copies of ``cmd`` at one address
        (None when a rolling-window rule binds ``cmd`` to itself, so runs cannot be closed-form)."""
        if cmd not in self._interval:
            step: int | None = 0
            for rl, sibling, window, rule_index, updates in self._plan[cmd]:
                if sibling:
                    continue
                for f, lat in updates:
                    if f == cmd:
                        if window > 1:
                            step = None
                            break
                        step = max(step, lat)
                if step is None:
                    break
            self._interval[cmd] = step
        return self._interval[cmd]

    # -- exact reuse ----------------------------------------------------------
    def canonical(self, now: int) -> tuple:
        """The state as it bears on commands after ``now``: entries relative to ``now``, clipped at 0.

        Two engines with equal canonical states at their own ``now`` behave
        identically, shifted in time, for every future command sequence.
        """
        base = now - self.offset
        rel = tuple(v - base if v > base else 0 for level in self.next_ok for node in level for v in node)
        win = tuple((key, len(h), tuple(t + lat - base if t + lat > base else 0 for t in h))
                    for key, (h, lat) in sorted(self._window.items()))
        return rel, win, tuple(self.open_row), self.mode

    def settled(self, now: int) -> int | None:
        """The mode, when no issued command constrains anything after ``now`` and every bank is
        closed (the state is then a fresh engine's in that mode, shifted to ``now``); else None."""
        if self.horizon + self.offset <= now and max(self.open_row) < 0:
            return self.mode
        return None

    def quiescent(self, now: int) -> bool:
        """True when no issued command constrains anything after ``now`` and every bank is closed:
        then the state is the same as a fresh engine's, shifted to ``now``."""
        return self.horizon + self.offset <= now and max(self.open_row) < 0 and self.mode == 0

    def snapshot(self) -> tuple:
        """The whole state, to load later (shifted) with ``load``. Copy-on-write: the snapshot
        shares the tables, which neither side changes (the engine copies them before its next write;
        tables it borrowed are already shared with another snapshot and stay unchanged)."""
        snap = (self.next_ok, self._window, self.open_row, self.offset, self.last_cycle, self.horizon, self.mode)
        self._borrowed = True  # the snapshot keeps these objects; the engine copies before its next write
        return snap

    def load(self, snap: tuple, delta: int) -> None:
        """Take ``snap``'s state, moved ``delta`` cycles later (counts are the caller's business).
        Copy-on-write: the snapshot's tables are shared until the next issue."""
        self.next_ok, self._window, self.open_row, offset, last, self.horizon, self.mode = snap
        self.offset, self.last_cycle = offset + delta, last + delta
        self._borrowed = True

    def clone(self) -> "Engine":
        """An independent engine in the same state (copy-on-write: cheap until either issues)."""
        other = object.__new__(type(self))  # a shallow copy: shares the immutable spec, plans and caches
        other.__dict__.update(self.__dict__)
        other.load(self.snapshot(), 0)
        other.counts = list(self.counts)
        other.log = None if self.log is None else list(self.log)
        return other

    def _own(self) -> None:
        if self._borrowed:
            self.next_ok = [[list(node) for node in level] for level in self.next_ok]
            self._window = {k: (deque(h, maxlen=h.maxlen), lat) for k, (h, lat) in self._window.items()}
            self.open_row = list(self.open_row)
            self._borrowed = False

    def shift(self, delta: int) -> None:
        """Move the whole state ``delta`` cycles later, in O(1).

        Exact for skipping periodic work: constraints still pending move with
        the work; those already expired stay expired (they were at most the
        old "now", so they stay at most the new one).
        """
        self.offset += delta
        self.last_cycle += delta

    def shift_rows(self, rows: int) -> None:
        """Move every open row ``rows`` rows on (the state a run of work shifted by as many rows
        leaves: ``FastChannel._state``)."""
        if rows:  # (a new list: a snapshot may share the old one)
            self.open_row = [r + rows if r >= 0 else r for r in self.open_row]

    # -- views --------------------------------------------------------------
    def count(self, name: str) -> int:
        return self.counts[self.spec.cmd_id[name]]

    def covered_banks(self, cmd: int, addr: Addr) -> range:
        level = self.commands[cmd].level
        return self._span(level, self.path(addr)[level], BANK)

    def closed_banks(self, cmd: int, addr: Addr) -> list[int]:
        return [b for b in self.covered_banks(cmd, addr) if self.open_row[b] < 0]

    def open_banks(self, level: int, addr: Addr) -> list[int]:
        p = self.path(addr)
        return [b for b in self._span(level, p[level], BANK) if self.open_row[b] >= 0]
