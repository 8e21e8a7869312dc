"""The event-driven PIM-GPT system: one SimPy process per PIM channel, one for the ASIC.

Work arrives as a stream of steps. A ``PimStep`` gives each channel a
program of macro-commands; an ``AsicStep`` is vector work on the ASIC. The
ASIC process is the controller: it issues steps in order. By default (the
paper's scheduling) it issues the next step only when both it and the PIM
side are idle; with ``sim.overlap`` it issues a step as soon as the steps it
depends on are done, so independent ASIC and PIM work run at once. Channel
processes run their programs in order on their engine (``sim.engine``).

SimPy schedules only at step granularity; inside a step the channel engines
compute every DRAM command's cycle. Time is in DRAM cycles; ASIC cycles
convert with a ceiling (asic_ns / tCK).

Streaming (ASIC models whose work says how it streams, ``AsicWork.stream_cycles``): an
``AsicStep`` with ``stream_from`` consumes the output of that earlier step as it arrives
rather than after it. A PIM step's results arrive unit by unit as its programs read them out
(``PimStep.profile``, the critical channel's read-out positions); an element-wise ASIC step
passes its output on batch by batch. The consumer processes each batch in arrival order at
its lane rate (a tandem pipeline: batch i leaves at max(its arrival, batch i-1 leaving) + its
share of the stream cycles), then the pipeline depth and the work after the stream. The
step itself is recorded from when it is issued, so its record holds only the time it adds.

Hand-off: an ASIC step whose closing element-wise pass (``AsicWork.out_cycles``) produces the
input vector of the PIM step right after it lets that step start early, by as much as both the
pass and the PIM step's opening global-buffer write (``PimStep.lead_in``) last: the write then
takes each element as it is produced and cannot overtake the pass. The ASIC itself stays busy
until the pass ends (``asic_free``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional, Union

import simpy

from pimsim.asic.models import asic_model
from pimsim.asic.work import AsicWork
from pimsim.config.hw import HwConfig
from pimsim.config.validate import did_you_mean
from pimsim.errors import PimsimError
from pimsim.pim.channel import ENGINES
from pimsim.sim.channels import ChannelSet
from pimsim.pim.commands import build_pim_spec
from pimsim.mapping.macro import Program

CATEGORIES = ("vmm", "asic", "transfer", "refresh")


NO_PROFILE = ((1.0, 1.0),)  # results (if any) available when the step ends


@dataclass(frozen=True)
class PimStep:
    name: str
    programs: tuple[Program, ...]  # one per channel; an empty program leaves the channel idle
    deps: Optional[tuple[int, ...]] = None  # indices of earlier steps it needs; None: every earlier step
    profile: tuple[tuple[float, float], ...] = NO_PROFILE  # (fraction of the step, share of its results)
    lead_in: int = 0  # DRAM cycles of the global-buffer write every busy channel opens with
    parts: Optional[tuple] = None  # the channels by program (``channel_parts``), when known ahead


@dataclass(frozen=True)
class AsicStep:
    name: str
    work: AsicWork
    deps: Optional[tuple[int, ...]] = None
    stream_from: Optional[int] = None  # index of the step whose output it consumes as it arrives


Step = Union[PimStep, AsicStep]


@dataclass
class StepRecord:
    name: str
    kind: str  # "pim" or "asic"
    start: int
    end: int
    time: dict[str, int] = field(default_factory=dict)  # cycles by category (the critical channel's, for PIM)
    channels: dict[int, tuple[int, int]] = field(default_factory=dict)  # PIM: each busy channel's (start, end)


class System:
    def __init__(self, hw: HwConfig, keep_log: bool = False, keep_records: bool = True) -> None:
        self.hw = hw
        pim, sim = hw.require("pim"), hw.require("sim")
        self.asic = hw.require("asic")
        if sim.engine not in ENGINES:
            raise PimsimError(f"unknown engine {sim.engine!r}" + did_you_mean(sim.engine, list(ENGINES)),
                              where=hw.source, key="sim.engine")
        asic_model(self.asic, hw.source)  # the ASIC model must be registered
        one = hw.dram.model_copy(update={"channels": 1})
        self.spec = build_pim_spec(one, pim, hw.source)
        shared: dict = {}  # identical channels share what the fast engine learns
        self.learned = shared  # (the generation loop shares its program signatures)
        cls = ENGINES[sim.engine]
        fast = cls is not ENGINES["reference"]
        # only the reference engine logs every command (the fast one skips commands by design)
        make = (lambda: cls(self.spec, shared=shared)) if fast else (lambda: cls(self.spec, keep_log))
        self.channels = ChannelSet(make, hw.dram.channels, lockstep=fast and not sim.overlap)
        self.overlap = sim.overlap
        self.asic_ns = 1000.0 / self.asic.clock_mhz
        self._ratio = self.asic_ns / hw.dram.tck_ns  # DRAM cycles per ASIC cycle
        self._asic_cycles: dict[int, tuple[AsicWork, int]] = {}  # id(work) -> (work, DRAM cycles)
        self._stream_costs: dict[tuple, tuple] = {}  # (id(shares), cycles) -> (shares, costs): _costs
        self._marks: dict[int, tuple] = {}  # id(profile) -> (profile, marks, shares): _pim_stream
        self.records: list[StepRecord] = []
        # without records, sequential runs only tally (a long generation makes millions of steps)
        self.keep_records = keep_records
        self.tally: dict[str, dict[str, int]] = {}  # step name -> calls, cycles, cycles by category
        self.asic_free = 0  # when the ASIC's last step ended
        self._asic_sums = [0, 0, 0, 0, 0]  # AsicWork's cycles and counts, summed over every step run
        self.now = 0
        self.totals = {k: 0 for k in CATEGORIES}  # breakdown of every run so far

    @property
    def asic_total(self) -> AsicWork:
        """The ASIC work of every step run so far."""
        return AsicWork(*self._asic_sums)

    def _add_asic(self, work: AsicWork) -> None:
        sums = self._asic_sums
        sums[0] += work.cycles
        sums[1] += work.adds
        sums[2] += work.muls
        sums[3] += work.compares
        sums[4] += work.sram_bytes

    def _tally(self, name: str, start: int, end: int, time: dict[str, int]) -> None:
        row = self.tally.get(name)
        if row is None:
            row = self.tally[name] = {"calls": 0, "cycles": 0}
        row["calls"] += 1
        row["cycles"] += end - start
        for k, v in time.items():
            row[k] = row.get(k, 0) + v

    def asic_cycles(self, work: AsicWork) -> int:
        """ASIC cycles in DRAM cycles (rounded up); kept per work object (steps share them)."""
        known = self._asic_cycles.get(id(work))
        if known is None or known[0] is not work:
            known = self._asic_cycles[id(work)] = (
                work, math.ceil(work.cycles * self.asic_ns / self.hw.dram.tck_ns - 1e-9))
        return known[1]

    def _asic_end(self, step: AsicStep, now: int, streams: dict) -> tuple[int, Optional[tuple]]:
        """When an ASIC step issued at ``now`` ends, and the stream it passes on (None if none).

        ``streams`` maps a step index to (t0, marks, shares, span): the earliest time its consumer
        may start and when each batch of its output is available, with its share of the output. A
        PIM step's batches arrive at ``t0 + mark * span`` (its read-out profile, ``_marks``), an ASIC
        step's at ``mark`` (DRAM cycles, span None)."""
        work = step.work
        source = streams.get(step.stream_from) if step.stream_from is not None else None
        if source is None or not work.stream_cycles:
            end = max(now, self.asic_free) + self.asic_cycles(work)
            return end, ((now, [float(end)], (1.0,), None) if work.passes_on else None)
        ratio = self._ratio
        t0, arrivals, shares, span = source
        if span is None:
            free = float(t0)
        else:  # a PIM producer's stream waits for the ASIC to be free; a chain of ASIC ops streams in tandem
            arrivals = [t0 + at * span for at in arrivals]
            free = float(max(t0, self.asic_free))
        costs = self._costs(shares, work.stream_cycles)
        last = arrivals[-1]
        if work.passes_on:
            depth, out = work.depth * ratio, []
            for at, cost in zip(arrivals, costs):
                free = (free if free > at else at) + cost
                out.append(free + depth)
        else:  # (only when the stream ends matters)
            out = None
            for at, cost in zip(arrivals, costs):
                free = (free if free > at else at) + cost
        if not self.overlap and now > last:
            # one step at a time: what is left once the producer is done waits for the steps
            # issued in between (the ASIC takes no new work while another step runs)
            free += now - last
            if out is not None:
                out = [t + now - last if t > last else t for t in out]
        end = max(now, math.ceil(free + (work.depth + work.rest) * ratio - 1e-9))
        return end, (None if out is None else (t0, out, shares, None))

    def _costs(self, shares: tuple, cycles: int) -> list[float]:
        """DRAM cycles each batch of a stream (``shares``) takes through ``cycles`` of stream work,
        kept per shares object and cycles."""
        known = self._stream_costs.get((id(shares), cycles))
        if known is None or known[0] is not shares:
            ratio = self._ratio
            known = self._stream_costs[(id(shares), cycles)] = (shares, [share * cycles * ratio for share in shares])
        return known[1]

    def _pim_stream(self, step: PimStep, start: int, end: int) -> tuple:
        """The stream a PIM step run from ``start`` to ``end`` passes on (``_asic_end``)."""
        marks = self._marks.get(id(step.profile))
        if marks is None or marks[0] is not step.profile:
            marks = self._marks[id(step.profile)] = (step.profile, tuple(at for at, _ in step.profile),
                                                      tuple(share for _, share in step.profile))
        return start, marks[1], marks[2], end - start

    def _hand_off(self, step: AsicStep, i: int, steps: list, now: int, end: int) -> int:
        """When the PIM step after ``step`` may start: ``end``, or earlier by the overlap of the
        closing pass with that step's opening global-buffer write (module docstring)."""
        nxt = steps[i + 1] if i + 1 < len(steps) else None
        if not (step.work.out_cycles and isinstance(nxt, PimStep) and nxt.lead_in and i in (nxt.deps or ())):
            return end
        ratio = self._ratio
        return max(now, end - min(math.floor(step.work.out_cycles * ratio), nxt.lead_in))

    def run(self, steps: list[Step], use_simpy: bool | None = None) -> int:
        """Run ``steps`` after whatever ran before; return the cycle the last one finishes.

        With overlap the SimPy processes interleave ASIC and PIM work. Without it
        nothing interleaves (each step starts when the previous one ends), so the
        same schedule is computed directly, without events; ``use_simpy=True``
        forces the SimPy path (the tests prove both give the same records).
        """
        try:
            if not (self.overlap if use_simpy is None else use_simpy):
                split = self._run_sequential(steps)
            else:
                first = len(self.records)
                self._run_simpy(steps)
                for rec in self.records[first:]:
                    self._tally(rec.name, rec.start, rec.end, rec.time)
                split = self.breakdown(self.records[first:])
                if not self.keep_records:
                    del self.records[first:]
        except PimsimError as exc:  # (a channel names the key; the config it came from is known here)
            if exc.where:
                raise
            raise PimsimError(exc.message, where=self.hw.source, key=exc.key) from None
        for k, v in split.items():
            self.totals[k] += v
        return self.now

    def _run_simpy(self, steps: list[Step]) -> None:
        env = simpy.Environment(initial_time=self.now)
        first = len(self.records)
        done = [env.event() for _ in steps]
        stores = [simpy.Store(env) for _ in range(len(self.channels))]
        for c, store in enumerate(stores):
            env.process(self._channel_proc(env, c, store))
        env.process(self._asic_proc(env, steps, done, stores, first))
        env.run()
        self.now = max([self.now] + [r.end for r in self.records[first:]])

    def _run_sequential(self, steps: list[Step]) -> dict[str, int]:
        """Run the steps one after another; return their breakdown. Each step starts when the one
        before ends, so the PIM steps' union is the sum of their spans."""
        start = now = self.now
        streams: dict = {}
        keep, channels = self.keep_records, self.channels
        pim_union, pim_time = 0, {k: 0 for k in CATEGORIES}
        for i, step in enumerate(steps):
            if isinstance(step, AsicStep):
                self._add_asic(step.work)
                end, stream = self._asic_end(step, now, streams)
                stop = self._hand_off(step, i, steps, now, end)
                time = {"asic": stop - now}
                self.asic_free = end
                if stream is not None:
                    streams[i] = stream
                if keep:
                    self.records.append(StepRecord(step.name, "asic", now, stop, time))
            else:
                runs = channels.run_step(step.programs, now, step.parts)
                stop, time = now, {}
                best = best_c = -1
                for chans, (end, cycles) in runs:  # the critical channel: the latest, then the lowest
                    if end > best or (end == best and chans[0] < best_c):
                        best, best_c, time = end, chans[0], cycles
                if best >= 0:
                    stop = best
                if stop > now:
                    pim_union += stop - now
                    for k, v in time.items():
                        pim_time[k] += v
                streams[i] = self._pim_stream(step, now, stop)
                if keep:
                    self.records.append(StepRecord(step.name, "pim", now, stop, time, dict(sorted(
                        (c, (now, end)) for chans, (end, _) in runs for c in chans))))
            self._tally(step.name, now, stop, time)
            now = stop
        self.now = max(self.now, now)
        return _split(now - start if steps else 0, pim_union, pim_time)

    def finish(self) -> None:
        """Refreshes that fall due while channels idle until the end of the run."""
        self.channels.finish(self.now)

    # -- processes -------------------------------------------------------------
    def _asic_proc(self, env, steps, done, stores, first):
        streams: dict = {}
        for i, step in enumerate(steps):
            deps = range(i) if (step.deps is None or not self.overlap) else step.deps
            waits = [done[d] for d in deps if not done[d].triggered]
            if waits:
                yield simpy.AllOf(env, waits)
            if isinstance(step, AsicStep):
                rec = StepRecord(step.name, "asic", env.now, env.now)
                self.records.append(rec)
                self._add_asic(step.work)
                end, stream = self._asic_end(step, env.now, streams)
                hand = self._hand_off(step, i, steps, env.now, end)
                yield env.timeout(hand - env.now)
                rec.end, rec.time = env.now, {"asic": hand - rec.start}
                self.asic_free = end
                if stream is not None:
                    streams[i] = stream
                done[i].succeed()
            else:
                rec = StepRecord(step.name, "pim", env.now, env.now)
                self.records.append(rec)
                busy = [c for c, prog in enumerate(step.programs) if prog]
                parts = [env.event() for _ in busy]
                for ev, c in zip(parts, busy):
                    stores[c].put((step.programs[c], ev))
                env.process(self._join(env, rec, parts, done[i], step, streams, i))
                if not self.overlap:
                    yield done[i]
        for store in stores:
            store.put(None)

    def _join(self, env, rec, parts, done_event, step, streams, i):
        if parts:
            results = yield simpy.AllOf(env, parts)
            ends = [results[p] for p in parts]
            end, time, _, _ = max(ends, key=lambda e: e[0])
            rec.end, rec.time = end, time
            rec.channels = {c: (s, e) for e, _, c, s in ends}
        else:
            rec.end = rec.start
        streams[i] = self._pim_stream(step, rec.start, rec.end)
        done_event.succeed()

    def _channel_proc(self, env, c, store):
        while True:
            item = yield store.get()
            if item is None:
                return
            program, ev = item
            start = env.now
            end, time = self.channels.run_member(c, program, start)
            yield env.timeout(end - start)
            ev.succeed((end, time, c, start))

    # -- results ---------------------------------------------------------------
    def command_counts(self) -> dict[str, int]:
        return self.channels.command_counts()

    def refreshes(self) -> int:
        return self.channels.refreshes()

    def breakdown(self, records: list[StepRecord] | None = None) -> dict[str, int]:
        """Cycles by category, summing to the makespan (of ``records``; default: all runs so far).

        Sequential: each step's duration by the slowest channel's categories
        (or "asic"). Overlap: time when some PIM step runs is split by the PIM
        categories in proportion; time when only the ASIC runs is "asic".
        """
        if records is None:
            return dict(self.totals)
        if not records:
            return {k: 0 for k in CATEGORIES}
        start = min(r.start for r in records)
        makespan = max(r.end for r in records) - start
        pim = [r for r in records if r.kind == "pim" and r.end > r.start]
        pim_time = {k: sum(r.time.get(k, 0) for r in pim) for k in CATEGORIES}
        return _split(makespan, _union([(r.start, r.end) for r in pim]), pim_time)


def _split(makespan: int, pim_union: int, pim_time: dict[str, int]) -> dict[str, int]:
    """The makespan by category: time when some PIM step runs split by the PIM categories in
    proportion (the rounding remainder to the largest), the rest "asic"."""
    total = {k: 0 for k in CATEGORIES}
    spent = sum(pim_time.values())
    assigned = 0
    for k in ("vmm", "transfer", "refresh"):
        share = pim_union * pim_time[k] // spent if spent else 0
        total[k] = share
        assigned += share
    if spent:  # rounding remainder to the largest PIM category
        total[max(("vmm", "transfer", "refresh"), key=lambda k: pim_time[k])] += pim_union - assigned
    total["asic"] = makespan - pim_union
    return total


def _union(intervals: list[tuple[int, int]]) -> int:
    length, cur_s, cur_e = 0, None, None
    for s, e in sorted(intervals):
        if cur_e is None or s > cur_e:
            if cur_e is not None:
                length += cur_e - cur_s
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    if cur_e is not None:
        length += cur_e - cur_s
    return length
