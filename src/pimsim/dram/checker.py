"""Protocol checker: every violated timing rule and illegal state change in a command log.

It shares the rule *table* with the engines but none of their code: instead
of per-node "earliest" tables it remembers, per rule, the recent issue times
of preceding commands keyed by address prefix, and judges each command
against them, and tracks bank state and (where the device has a mode switch) each channel's
mode. A log entry is (cycle, command, channel, rank, bank group,
bank, row, column); fields below a command's level are ignored.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Iterable, Sequence

from pimsim.dram.commands import LEVELS
from pimsim.dram.rules import command_names, eval_latency
from pimsim.dram.spec import DramSpec

LogEntry = Sequence  # (cycle, name, ch, rank, bg, bank, row, col)


@dataclass(frozen=True)
class Violation:
    index: int  # position in the log
    cycle: int
    command: str
    what: str  # the rule (or state rule) broken

    def __str__(self) -> str:
        return f"#{self.index} cycle {self.cycle} {self.command}: {self.what}"


def check_log(spec: DramSpec, log: Iterable[LogEntry]) -> list[Violation]:
    cmds = {c.name: c for c in spec.commands}
    rules = []
    for rule in spec.rules:
        pre = set(command_names(rule.preceding, spec.commands))
        fol = set(command_names(rule.following, spec.commands))
        rules.append((rule, pre, fol, eval_latency(rule.latency, spec.params)))
    # history[rule index][address prefix] -> recent issue times of preceding commands
    history: list[dict[tuple, deque]] = [defaultdict(lambda w=r.window: deque(maxlen=w)) for r, *_ in rules]
    open_rows: dict[tuple, int] = {}
    # devices with a mode-switch command: each channel's mode (array until switched)
    has_modes = any(c.mode == "switch" for c in spec.commands)
    register_mode: dict[int, bool] = defaultdict(bool)
    fan = spec.fanout
    out: list[Violation] = []
    last = None

    def banks_under(prefix: tuple) -> list[tuple]:
        found = [prefix]
        for lvl in range(len(prefix), len(LEVELS)):
            found = [p + (i,) for p in found for i in range(fan[lvl])]
        return found

    for idx, entry in enumerate(log):
        cycle, name, *addr_row_col = entry
        addr = tuple(addr_row_col[:4])
        row = addr_row_col[4]
        if name not in cmds:
            out.append(Violation(idx, cycle, name, "unknown command"))
            continue
        cmd = cmds[name]
        if last is not None and cycle < last:
            out.append(Violation(idx, cycle, name, f"log goes back in time (previous cycle {last})"))
        last = cycle
        own = addr[: cmd.level + 1]

        # timing: every rule whose following set holds this command
        for k, (rule, pre, fol, lat) in enumerate(rules):
            if name not in fol:
                continue
            depth = rule.level + 1
            hist = history[k]
            if rule.sibling:
                if len(own) < depth:
                    continue
                times = [t for key, dq in hist.items()
                         if len(key) == depth and key[: depth - 1] == own[: depth - 1] and key != own[:depth]
                         for t in dq]
            elif len(own) >= depth:
                times = [t for n in range(1, depth + 1) for t in hist.get(own[:n], ())]
            else:
                times = [t for key, dq in hist.items() if key[: len(own)] == own[: len(key)] for t in dq]
            if len(times) < rule.window:
                continue
            times.sort()
            bound = times[-rule.window] + lat
            if cycle < bound:
                out.append(Violation(idx, cycle, name, f"{rule.describe()} (needs cycle >= {bound})"))

        # device mode
        if has_modes:
            ch = own[0]
            if cmd.mode == "switch":
                register_mode[ch] = not register_mode[ch]
            elif (cmd.mode == "register") != register_mode[ch]:
                mode = "register" if register_mode[ch] else "array"
                out.append(Violation(idx, cycle, name, f"{name} in {mode} mode (needs a mode switch first)"))

        # state
        covered = banks_under(own)
        if cmd.needs == "open":
            for b in covered:
                if b not in open_rows:
                    out.append(Violation(idx, cycle, name, f"bank {b} is closed"))
                    break
                if row is not None and row >= 0 and open_rows[b] != row:
                    out.append(Violation(idx, cycle, name, f"row {row} accessed while row {open_rows[b]} is open"))
                    break
        elif cmd.needs in ("closed", "closed_or_row"):
            for b in covered:
                if b in open_rows and (cmd.needs == "closed" or open_rows[b] != row):
                    out.append(Violation(idx, cycle, name, f"bank {b} is open (row {open_rows[b]})"))
                    break
        if cmd.effect == "open":
            for b in covered:
                open_rows[b] = row
        elif cmd.effect == "close":
            for b in covered:
                open_rows.pop(b, None)

        # remember this command as a preceding one
        for k, (rule, pre, fol, lat) in enumerate(rules):
            if name in pre:
                history[k][own[: rule.level + 1]].append(cycle)
    return out


