"""A whole generation on the PIM-GPT system: place the model, map each token, run it.

Every forward pass (prompt tokens one at a time, then generated ones) is
mapped to steps and run on one System, so DRAM state and refresh carry over
from token to token. Results keep per-step records (for the per-op table),
per-token cycles and the totals the report needs.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Optional

from pimsim.asic.models import asic_work
from pimsim.asic.work import AsicWork
from pimsim.config.hw import HwConfig
from pimsim.config.workload import Workload
from pimsim.errors import PimsimError
from pimsim.mapping.macro import (SIGNATURE_MEMO_SIZE, command_count, known_signature, leading_gb_bursts,
                                  readout_profile)
from pimsim.mapping.pimgpt import MAPPINGS, MappedOp
from pimsim.mapping.placement import ModelPlacement, geometry, place_model
from pimsim.sim.channels import channel_parts
from pimsim.sim.system import AsicStep, PimStep, Step, System
from pimsim.workload.ops import ATTENTION, Op, flops, forward_passes, generation_ops, memory_bytes


@dataclass
class TokenRecord:
    position: int
    prompt: bool
    context: int
    cycles: int
    command_counts: dict[str, int] = field(default_factory=dict)  # DRAM commands of this pass
    asic: AsicWork = AsicWork(0, 0, 0, 0, 0)  # ASIC work of this pass


@dataclass
class Phase:
    """The forward passes of one phase (prompt or generation) and what they did."""

    passes: int = 0
    cycles: int = 0
    command_counts: dict[str, int] = field(default_factory=dict)
    asic: AsicWork = AsicWork(0, 0, 0, 0, 0)


PHASES = ("prompt", "generate")


@dataclass
class RunResult:
    hw: HwConfig
    workload: Workload
    placement: ModelPlacement
    cycles: int
    tokens: list[TokenRecord]
    op_cycles: dict[str, dict[str, int]]  # op name -> {"kind", "calls", "cycles", category cycles...}
    breakdown_cycles: dict[str, int]
    command_counts: dict[str, int]
    refreshes: int
    asic: AsicWork
    useful_macs: int  # multiply-adds the model needs (GEMV + attention)
    without_pim_bytes: dict[str, int]  # what a processor without PIM moves to/from DRAM for the same ops
    phases: dict[str, Phase] = field(default_factory=dict)  # prompt passes and generation passes apart
    extra: dict = field(default_factory=dict)


def to_steps(mapped: list[MappedOp], hw: HwConfig, work_cache: dict) -> list[Step]:
    """Steps of one token; ``after`` names become step indices. ASIC work is computed once per shape.

    An ASIC step whose model can stream (``AsicWork.stream_cycles``) consumes the output of the one
    step it depends on when that step passes its output on: a PIM step (results read out unit by
    unit, ``PimStep.profile``) or element-wise ASIC work.

    A token whose ops are the last token's but for some new op objects in the same places (the
    attention, whose length grows) takes the last token's steps with those ops' steps made afresh,
    when they make as many steps, of the same names and streaming alike (``_like_last``)."""
    last = work_cache.get("last token")
    if last is not None and len(last[0]) == len(mapped):
        steps = _like_last(mapped, last, hw, work_cache)
        if steps is not None:
            work_cache["last token"] = (mapped, steps, last[2])
            return steps
    steps: list[Step] = []
    spans: list[tuple] = []  # per op: (its first step, how many, its deps)
    last_of: dict[str, int] = {}
    for m in mapped:
        if m.after is None:
            deps = (len(steps) - 1,) if steps else ()
        else:
            deps = tuple(last_of[n] for n in m.after if n in last_of)
        made = _steps_of(m, deps, len(steps), steps, hw, work_cache)
        spans.append((len(steps), len(made), deps))
        steps.extend(made)
        if steps and steps[-1].name == m.name:  # the op's last step, for ops named in `after`
            last_of[m.name] = len(steps) - 1
    work_cache["last token"] = (mapped, steps, spans)
    return steps


def _like_last(mapped: list[MappedOp], last: tuple, hw: HwConfig, work_cache: dict) -> Optional[list[Step]]:
    """The steps of a token laid out as the last one (same op names and ``after`` in the same places,
    each changed op making as many steps that stream alike), or None."""
    before, steps, spans = last
    changed = [i for i, (m, was) in enumerate(zip(mapped, before)) if m is not was]
    if not changed:
        return steps
    steps = list(steps)
    for i in changed:
        m, was = mapped[i], before[i]
        if m.name != was.name or m.after != was.after:
            return None
        first, count, deps = spans[i]
        made = _steps_of(m, deps, first, steps, hw, work_cache)
        if len(made) != count or any(_streams(a) != _streams(b) or a.name != b.name
                                     for a, b in zip(made, steps[first:first + count])):
            return None
        steps[first:first + count] = made
    return steps


def _steps_of(m: MappedOp, deps: tuple, first: int, steps: list, hw: HwConfig, work_cache: dict) -> list[Step]:
    """The steps of op ``m`` placed from index ``first`` on, after ``steps[:first]``; the same op at the
    same place in a token of the same layout makes the same steps (kept per op object)."""
    made = work_cache.setdefault("steps", {})  # (id(op), where its steps start, deps, streams) -> steps
    key = (id(m), first, deps, _streams(steps[deps[0]]) if len(deps) == 1 else None)
    known = made.get(key)
    if known is not None and known[0] is m:
        return known[1]
    out = _op_steps(m, deps, first, steps, hw, work_cache)
    if len(made) >= SIGNATURE_MEMO_SIZE:
        made.clear()
    made[key] = (m, out)
    return out


def _op_steps(m: MappedOp, deps: tuple, first: int, steps: list, hw: HwConfig, work_cache: dict) -> list[Step]:
    """The steps of op ``m`` (depending on ``deps``), placed from index ``first`` on after ``steps[:first]``."""
    out: list[Step] = []
    if m.programs is not None:
        if m.shapes is not None:
            _name_by_shape(m.programs, m.shapes, work_cache)
        pim = _pim_part(m.programs, hw, work_cache)
        if pim is not None:
            out.append(PimStep(m.name, m.programs, deps, *pim))
            deps = (first,)
    for a in m.asic:
        work = work_cache.get(a)
        if work is None:
            work = work_cache[a] = asic_work(a.kind, a.n, hw.asic, **dict(a.shape))
        source = None
        if len(deps) == 1 and work.stream_cycles:
            dep = out[deps[0] - first] if deps[0] >= first else steps[deps[0]]
            source = deps[0] if _streams(dep) else None
        out.append(AsicStep(m.name, work, deps, source))
        deps = (first + len(out) - 1,)
    return out


def _streams(step: Step) -> bool:
    """Whether a step passes its output on as it goes (a consumer may stream on it)."""
    return isinstance(step, PimStep) or step.work.passes_on


def _name_by_shape(programs: tuple, shapes: tuple, cache: dict) -> None:
    """Give each program the signature of the first program of its shape (``MappedOp.shapes``), in the
    signature memo the channels share, instead of working it out macro by macro again."""
    memo = cache.setdefault("signatures", {})
    by_shape = cache.setdefault("shape signatures", {})
    for p, shape in zip(programs, shapes):
        if p:
            known = memo.get(id(p))
            if known is None or known[0] is not p:
                sig = by_shape.get(shape)
                if sig is None:
                    sig = by_shape[shape] = known_signature(p, memo)
                else:
                    if len(memo) >= SIGNATURE_MEMO_SIZE:
                        memo.clear()
                    memo[id(p)] = (p, sig)


def _pim_part(programs: tuple, hw: HwConfig, cache: dict) -> Optional[tuple]:
    """(read-out profile, lead-in, the channels by program) of a PIM step over ``programs``, or None
    when no channel is busy; kept per programs object (the mapper hands out the same one for the same
    GEMV every token)."""
    memo = cache.setdefault("pim_parts", {})
    known = memo.get(id(programs))
    if known is not None and known[0] is programs:
        return known[1]
    busy = [p for p in programs if p]
    part = None
    if busy:
        lead = min(leading_gb_bursts(p) for p in busy) * hw.dram.timing["nCCDS"]
        part = (_profile(programs, cache), lead, channel_parts(programs, hw.dram.channels))
    if len(memo) >= SIGNATURE_MEMO_SIZE:
        memo.clear()
    memo[id(programs)] = (programs, part)
    return part


def _profile(programs: tuple, cache: dict) -> tuple:
    """The read-out profile of the critical (longest) channel program, computed once per set of
    program signatures (the mapper makes new programs every token; row and column numbers do not
    change the profile). Signatures are memoised per program in ``cache["signatures"]``, which the
    channels share."""
    memo = cache.setdefault("signatures", {})
    sigs = {known_signature(p, memo): p for p in {id(p): p for p in programs if p}.values()}
    by_sig = cache.setdefault("profiles", {})
    key = frozenset(sigs)
    profile = by_sig.get(key)
    if profile is None:
        profile = by_sig[key] = readout_profile(max(sigs.values(), key=command_count))
    return profile


def _charge(phase: Phase, token: TokenRecord, system: System, seen: tuple) -> tuple:
    """Add the commands and ASIC work done since ``seen`` to ``token`` and its ``phase``; return the
    new ``seen``."""
    counts, asic = system.command_counts(), system.asic_total
    before, asic_before = seen
    for name, n in counts.items():
        if n != before.get(name, 0):
            delta = n - before.get(name, 0)
            phase.command_counts[name] = phase.command_counts.get(name, 0) + delta
            token.command_counts[name] = token.command_counts.get(name, 0) + delta
    work = AsicWork(asic.cycles - asic_before.cycles, asic.adds - asic_before.adds, asic.muls - asic_before.muls,
                    asic.compares - asic_before.compares, asic.sram_bytes - asic_before.sram_bytes)
    phase.asic, token.asic = phase.asic + work, token.asic + work
    return counts, asic


def _op_work(op: Op, elem_bytes: int) -> tuple:
    """The multiply-adds an op needs (GEMV and attention) and what it moves without PIM."""
    macs = flops(op) // 2 if op.kind == "gemv" or op.kind in ATTENTION else 0
    return macs, tuple(memory_bytes(op, elem_bytes).items())


@contextmanager
def no_cyclic_gc():
    """Suspend the cyclic garbage collector: its passes would walk every engine snapshot the fast
    engine keeps (millions of lists) again and again. Reference counting still frees memory; the
    simulation makes no cycles that need collecting. On the way out, what was allocated meanwhile
    joins the oldest generation at once (``gc.freeze`` then ``gc.unfreeze``) instead of being
    walked by the first young collection after the collector is back on."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def check_dtype(hw: HwConfig, workload: Workload, where: str) -> None:
    """The workload's dtype must be the width the PIM hardware computes in."""
    gen, pim = workload.generation, hw.require("pim")
    if gen.dtype_bytes != pim.element_bytes:
        raise PimsimError(f"{gen.dtype} is {gen.dtype_bytes} bytes per element; the hardware computes in "
                          f"{pim.element_bytes}-byte elements (pim.element_bytes in {hw.source})",
                          where=where, key="generation.dtype")


def place_workload(hw: HwConfig, workload: Workload) -> ModelPlacement:
    """The model's weights and a KV cache per sequence: for the whole context, or (``kv_cache: run``)
    for the run's tokens only."""
    gen = workload.generation
    kv_tokens = forward_passes(workload) if gen.kv_cache == "run" else None
    return place_model(workload.model, geometry(hw.dram, hw.require("pim")), workload.name, hw.source,
                       batch=gen.batch, kv_tokens=kv_tokens)


def simulate_generation(hw: HwConfig, workload: Workload, mapping: str = "pimgpt",
                        progress: Optional[Callable[[int, int], None]] = None,
                        passes: Optional[list] = None, keep_records: bool = False,
                        command_log: bool = False) -> RunResult:
    """Simulate every forward pass of ``workload`` (or the given ``passes``: (position, is_prompt,
    ops) from an op trace). ``keep_records`` keeps every step record (for a timeline);
    ``command_log`` makes engines that can log every DRAM command do so."""
    hw.require("pim")
    check_dtype(hw, workload, workload.name)
    placement = place_workload(hw, workload)
    mapper = MAPPINGS[mapping](placement, batch_inputs=workload.generation.batch_inputs)
    system = System(hw, keep_log=command_log, keep_records=keep_records)
    tokens: list[TokenRecord] = []
    kinds: dict[str, str] = {}  # step name -> its op's kind
    useful = 0
    plain: dict[str, int] = {}
    elem_bytes = hw.require("pim").element_bytes
    work_cache: dict = {"signatures": system.learned.setdefault("signatures", {})}
    op_work: dict[Op, tuple] = {}  # op -> (useful multiply-adds, bytes moved without PIM by cause)
    passes = list(generation_ops(workload)) if passes is None else passes
    phases = {name: Phase() for name in PHASES}
    seen = ({}, system.asic_total)  # counts and ASIC work so far, for each pass's share
    with no_cyclic_gc():
        for i, (position, prompt, ops) in enumerate(passes):
            mapped = mapper.token(position, ops)
            steps = to_steps(mapped, hw, work_cache)
            start, names = system.now, len(system.tally)
            system.run(steps)
            tokens.append(TokenRecord(position, prompt, position + 1, system.now - start))
            phase = phases[PHASES[0] if prompt else PHASES[1]]
            phase.passes, phase.cycles = phase.passes + 1, phase.cycles + tokens[-1].cycles
            seen = _charge(phase, tokens[-1], system, seen)
            if len(system.tally) != names:  # steps of ops not seen before
                kinds.update((m.name, m.kind) for m in mapped)
            for op in ops:
                work = op_work.get(op)
                if work is None:
                    if len(op_work) >= SIGNATURE_MEMO_SIZE:  # (attention ops are new every pass)
                        op_work.clear()
                    work = op_work[op] = _op_work(op, elem_bytes)
                useful += work[0]
                for cause, n in work[1]:
                    plain[cause] = plain.get(cause, 0) + n
            if progress:
                progress(i + 1, len(passes))
    system.finish()
    if tokens:  # refreshes while the channels idle to the end belong to the last pass
        _charge(phases[PHASES[0] if tokens[-1].prompt else PHASES[1]], tokens[-1], system, seen)
    op_cycles = {name: {"kind": kinds.get(name, ""), **row} for name, row in system.tally.items()}
    return RunResult(hw, workload, placement, system.now, tokens, op_cycles, system.breakdown(),
                     system.command_counts(), system.refreshes(), system.asic_total, useful, plain, phases,
                     extra={"records": system.records, "channels": system.channels.objs} if keep_records else {})
