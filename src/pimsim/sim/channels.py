"""The system's PIM channels, with channels in lockstep sharing one engine.

Channels that receive the same program from the same state produce the same
result, so with the fast engine such channels share one channel object and
the work is done once. A step that gives the members of a group different
programs (or leaves some idle) splits the group, each part continuing from a
clone of the shared state; groups that receive the same program merge when
their futures are the same (``_same_future``: settled in the same mode, or
ended in the same named state at the same cycle, with the same refresh
schedule). The
channels' command and refresh counts are their objects' (one per channel)
plus an offset: a split leaves the offset as it is (the clone starts with
the same counts), a merge adds the difference between the counts of the
object a channel leaves and those of the one it joins. The reference
engine (which logs every command) and SimPy's concurrent processes keep one
object per channel.
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
        # the channels' counts: their objects' engine and refresh counts plus these (module docstring)
        self.offset = [0] * len(self.names)
        self.ref_offset = 0

    def __len__(self) -> int:
        return len(self.objs)

    # -- running -----------------------------------------------------------------
    def run_member(self, c: int, program: Program, start: int) -> tuple[int, dict[str, int]]:
        """Run one channel's program on an object of its own (the SimPy path, channel by channel)."""
        obj = self.objs[c]
        if any(o is obj for m, o in enumerate(self.objs) if m != c):
            obj = self.objs[c] = obj.clone()
        return self._run(obj, program, start)

    def run_step(self, programs: tuple, now: int, parts: tuple | None = None) -> list[tuple[list[int], tuple]]:
        """Run every channel's program from ``now``; returns the runs: (channels, (end, cycles by
        category)) for each object that ran, its channels in order (idle channels are in none).

        Channels are split by the program they receive. In lockstep, the objects of one part whose
        futures are the same (``_same_future``) merge first, so the part runs once per distinct
        future; an object whose channels fall into several parts continues in each from a clone
        (made before anything runs). Objects that receive different programs are never merged (to
        be split again at once). ``parts``: ``channel_parts(programs)``, when the caller keeps it."""
        objs = self.objs
        if parts is None or len(programs) != len(objs):
            parts = channel_parts(programs, len(objs))
        if self.lockstep:
            for _, mem in parts:
                first = objs[mem[0]]
                for c in mem:
                    if objs[c] is not first:
                        self._merge(mem, now)
                        break
        if len(parts) > 1:
            owner: dict[int, int] = {}  # id(object) -> the part that keeps it; the others take clones
            for i, (_, mem) in enumerate(parts):
                clones: dict[int, Channel] = {}
                for c in mem:
                    obj = objs[c]
                    kept = owner.setdefault(id(obj), i)
                    if kept != i:
                        clone = clones.get(id(obj))
                        if clone is None:
                            clone = clones[id(obj)] = obj.clone()
                        objs[c] = clone
        runs = []
        for program, mem in parts:
            if program:
                by_obj: dict[int, tuple[Channel, list[int]]] = {}
                for c in mem:
                    obj = objs[c]
                    group = by_obj.get(id(obj))
                    if group is None:
                        by_obj[id(obj)] = (obj, [c])
                    else:
                        group[1].append(c)
                for obj, chans in by_obj.values():
                    runs.append((chans, self._run(obj, program, now)))
        return runs

    @staticmethod
    def _run(obj: Channel, program: Program, start: int) -> tuple[int, dict[str, int]]:
        time = obj.time
        vmm, transfer, refresh = time["vmm"], time["transfer"], time["refresh"]
        end = obj.run(program, start)
        return end, {"vmm": time["vmm"] - vmm, "transfer": time["transfer"] - transfer,
                     "refresh": time["refresh"] - refresh}

    def _merge(self, members: list[int], now: int) -> None:
        """The channels ``members`` whose objects' futures are the same (``_same_future``) share one
        object."""
        objs = self.objs
        by_key: dict[tuple, Channel] = {}
        seen: dict[int, Channel] = {}
        moved: dict[int, list] = {}  # id(object left) -> [it, the object joined, channels moved]
        for c in members:
            obj = objs[c]
            into = seen.get(id(obj))
            if into is None:
                key = _same_future(obj, now)
                into = seen[id(obj)] = obj if key is None else by_key.setdefault(key, obj)
            if into is not obj:
                objs[c] = into
                move = moved.get(id(obj))
                if move is None:
                    moved[id(obj)] = [obj, into, 1]
                else:
                    move[2] += 1
        offset = self.offset
        for obj, into, k in moved.values():
            for i, (left, kept) in enumerate(zip(obj.engine.counts, into.engine.counts)):
                if left != kept:
                    offset[i] += k * (left - kept)
            self.ref_offset += k * (obj.refresh.issued - into.refresh.issued)

    def finish(self, end: int) -> None:
        """Refreshes that fall due while the channels idle until ``end``."""
        done: set[int] = set()
        for obj in self.objs:
            if id(obj) not in done:
                done.add(id(obj))
                obj.finish(end)

    # -- results ---------------------------------------------------------------
    def command_counts(self) -> dict[str, int]:
        total = list(self.offset)
        for obj in self.objs:
            for i, v in enumerate(obj.engine.counts):
                total[i] += v
        return dict(zip(self.names, total))

    def refreshes(self) -> int:
        return self.ref_offset + sum(obj.refresh.issued for obj in self.objs)


def channel_parts(programs: tuple, channels: int) -> tuple[tuple[Program, tuple[int, ...]], ...]:
    """The channels by the program object they receive (an empty one for a channel left idle), in
    channel order: ((program, channels), ...). The mapper hands channels that do the same work the
    very same object; equal programs in two objects would only run once each (the same outcome), so
    identity is all that is compared."""
    n = len(programs)
    parts: dict[int, tuple[Program, list[int]]] = {}
    for c in range(channels):
        p = programs[c] if c < n and programs[c] else ()
        part = parts.get(id(p))
        if part is None:
            parts[id(p)] = (p, [c])
        else:
            part[1].append(c)
    return tuple((p, tuple(mem)) for p, mem in parts.values())


def _same_future(obj: Channel, now: int):
    """A key that channels with the same future share, or None. Settled channels (every constraint
    expired, every bank closed) in the same mode with the same refresh schedule (settled at the
    earlier of ``now`` and the refresh's due time: an overdue refresh is issued in the past, where
    what a channel did just before ``now`` still decides when); and fast channels that have issued
    nothing since their last program ended in the same named state (the canonical state, pending
    completion included) at the same cycle, with the same refresh schedule: from there every
    command goes at the same cycle."""
    pol = obj.refresh
    if obj.done <= now:
        mode = obj.engine.settled(min(now, pol.next_due))
        if mode is not None:
            return mode, pol.next_due, pol.position()
    after = getattr(obj, "_after", None)
    if after is not None and obj.engine.last_cycle <= after[1] and obj.done <= now:
        return "named", after, obj.mark, obj.done, obj.done_cat, pol.next_due, pol.position()
    return None
