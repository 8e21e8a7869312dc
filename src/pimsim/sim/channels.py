"""The system's PIM channels, with channels in lockstep sharing one engine.

Channels that receive the same program from the same state produce the same
result, so with the fast engine such channels share one channel object and
the work is done once. A step that gives the members of a group different
programs (or leaves some idle) splits the group, each part continuing from a
clone of the shared state; groups merge again when their members are
quiescent (nothing pending, every bank closed) with the same refresh
schedule, because from there their futures are identical. Each channel keeps
its own command and refresh counts, from the deltas of every run it took
part in. The reference engine (which logs every command) and SimPy's
concurrent processes keep one object per channel.
"""

from __future__ import annotations

from typing import Callable

from pimsim.pim.channel import Channel
from pimsim.mapping.macro import Program


class ChannelSet:
    def __init__(self, make: Callable[[], Channel], n: int, lockstep: bool) -> None:
        self.lockstep = lockstep
        first = make()
        self.objs: list[Channel] = [first] * n if lockstep else [first] + [make() for _ in range(n - 1)]
        self.names = [c.name for c in first.spec.commands]
        self.counts = [[0] * len(self.names) for _ in range(n)]
        self.refs = [0] * n

    def __len__(self) -> int:
        return len(self.objs)

    # -- running -----------------------------------------------------------------
    def run_member(self, c: int, program: Program, start: int) -> tuple[int, dict[str, int]]:
        """Run one channel's program on an object of its own (the SimPy path, channel by channel)."""
        obj = self.objs[c]
        if any(o is obj for m, o in enumerate(self.objs) if m != c):
            obj = self.objs[c] = obj.clone()
        return self._run(obj, [c], program, start)

    def run_step(self, programs: tuple, now: int) -> dict[int, tuple[int, dict[str, int]]]:
        """Run every channel's program from ``now``; returns channel -> (end, cycles by category)."""
        if self.lockstep:
            self._merge(now)
        groups: dict[int, list[int]] = {}
        for c, obj in enumerate(self.objs):
            groups.setdefault(id(obj), []).append(c)
        out: dict[int, tuple[int, dict[str, int]]] = {}
        for members in groups.values():
            parts: list[tuple[Program, list[int]]] = []
            for c in members:
                p = programs[c] if c < len(programs) and programs[c] else ()
                for q, mem in parts:
                    if q is p or q == p:
                        mem.append(c)
                        break
                else:
                    parts.append((p, [c]))
            obj = self.objs[members[0]]
            objs = [obj] + [obj.clone() for _ in parts[1:]]  # cloned before anything runs
            for (program, mem), o in zip(parts, objs):
                for c in mem:
                    self.objs[c] = o
                if program:
                    result = self._run(o, mem, program, now)
                    for c in mem:
                        out[c] = result
        return out

    def _run(self, obj: Channel, members: list[int], program: Program, start: int) -> tuple[int, dict[str, int]]:
        counts0, refs0, time0 = list(obj.engine.counts), obj.refresh.issued, dict(obj.time)
        end = obj.run(program, start)
        self._credit(obj, members, counts0, refs0)
        return end, {k: obj.time[k] - time0[k] for k in obj.time}

    def _credit(self, obj: Channel, members: list[int], counts0: list[int], refs0: int) -> None:
        delta = [(i, a - b) for i, (a, b) in enumerate(zip(obj.engine.counts, counts0)) if a != b]
        refs = obj.refresh.issued - refs0
        for c in members:
            acc = self.counts[c]
            for i, d in delta:
                acc[i] += d
            self.refs[c] += refs

    def _merge(self, now: int) -> None:
        """Channels that are quiescent with the same refresh schedule share one object. Quiescent at
        the earlier of ``now`` and the refresh's due time: an overdue refresh is issued in the past,
        where what a channel did just before ``now`` still decides when."""
        by_key: dict[tuple, Channel] = {}
        seen: dict[int, Channel] = {}
        for c, obj in enumerate(self.objs):
            if id(obj) not in seen:
                key = None
                if obj.engine.quiescent(min(now, obj.refresh.next_due)) and obj.done <= now:
                    key = (obj.refresh.next_due, obj.refresh.position())
                seen[id(obj)] = by_key.setdefault(key, obj) if key is not None else obj
            self.objs[c] = seen[id(obj)]

    def finish(self, end: int) -> None:
        """Refreshes that fall due while the channels idle until ``end``."""
        done: set[int] = set()
        for c, obj in enumerate(self.objs):
            if id(obj) in done:
                continue
            done.add(id(obj))
            members = [m for m, o in enumerate(self.objs) if o is obj]
            counts0, refs0 = list(obj.engine.counts), obj.refresh.issued
            obj.finish(end)
            self._credit(obj, members, counts0, refs0)

    # -- results ---------------------------------------------------------------
    def command_counts(self) -> dict[str, int]:
        return {name: sum(acc[i] for acc in self.counts) for i, name in enumerate(self.names)}

    def refreshes(self) -> int:
        return sum(self.refs)
