"""The event-driven system: scheduling modes, breakdowns that sum to the total, engine choice."""

from __future__ import annotations

import pytest

from pimsim.asic.models import asic_work
from pimsim.config import load_hwconfig
from pimsim.errors import PimsimError
from pimsim.pim.commands import build_pim_spec
from pimsim.mapping.macro import GbWrite, MacRead, MacRows
from pimsim.sim.system import AsicStep, PimStep, System


def steps(hw):
    prog = (GbWrite(64), MacRows(0, 12, 64, 1), MacRead(1))
    return [PimStep("gemv1", (prog,) * 8), AsicStep("softmax", asic_work("softmax", 256, hw.asic, groups=12), deps=(0,)),
            PimStep("gemv2", (prog,) * 8, deps=(1,)), AsicStep("ln", asic_work("layernorm", 768, hw.asic), deps=())]


def run(sets):
    hw = load_hwconfig("hwconfigs/pimgpt.yaml", sets)
    s = System(hw)
    s.run(steps(hw))
    s.finish()
    return s


def test_sequential_steps_follow_each_other_and_the_breakdown_sums_to_the_total():
    s = run([])
    recs = s.records
    assert all(recs[i].start == recs[i - 1].end for i in range(1, len(recs)))
    b = s.breakdown()
    assert sum(b.values()) == s.now and all(v >= 0 for v in b.values()) and b["vmm"] > 0 and b["asic"] > 0
    assert s.refreshes() > 0  # they fell due while the channels idled during ASIC work: no PIM time lost


def test_overlap_runs_independent_asic_work_during_pim_work():
    seq, ovl = run([]), run(["sim.overlap=true"])
    ln = ovl.records[3]
    assert ln.start == ovl.records[1].end  # starts with gemv2, not after it
    assert ovl.now < seq.now and sum(ovl.breakdown().values()) == ovl.now


def test_reference_and_fast_engines_agree_on_the_whole_system():
    fast, ref = run([]), run(["sim.engine=reference"])
    assert (fast.now, fast.command_counts(), fast.breakdown(), fast.refreshes()) == \
           (ref.now, ref.command_counts(), ref.breakdown(), ref.refreshes())


def test_unknown_engine_is_a_clean_error():
    with pytest.raises(PimsimError, match="sim.engine: unknown engine 'turbo'"):
        System(load_hwconfig("hwconfigs/pimgpt.yaml", ["sim.engine=turbo"]))


@pytest.mark.parametrize("name", ["nRCDMAC", "nRCDAF", "nRCDEWMUL", "nRCDCPRD", "nRCDCPWR"])
def test_a_pim_config_needs_every_in_bank_activation_delay(name):
    hw = load_hwconfig("hwconfigs/pimgpt.yaml")
    dram = hw.dram.model_copy(update={"timing": {k: v for k, v in hw.dram.timing.items() if k != name}})
    with pytest.raises(PimsimError, match=f"dram.timing.{name}"):
        build_pim_spec(dram, hw.pim, hw.source)


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_sequential_schedule_without_events_equals_the_simpy_processes(engine):
    hw = load_hwconfig("hwconfigs/pimgpt.yaml", [f"sim.engine={engine}"])
    out = []
    for use_simpy in (True, False):
        s = System(hw)
        s.run(steps(hw), use_simpy=use_simpy)
        s.run(steps(hw), use_simpy=use_simpy)
        s.finish()
        out.append(([(r.name, r.kind, r.start, r.end, r.time) for r in s.records], s.command_counts(),
                    s.breakdown(), s.refreshes()))
    assert out[0] == out[1]


@pytest.mark.parametrize("model", ["pipelined", "simd"])
def test_streamed_and_handed_off_asic_steps_schedule_alike_with_and_without_events(model):
    from pimsim.config.workload import resolve_workload
    from pimsim.mapping.pimgpt import MAPPINGS
    from pimsim.mapping.placement import geometry, place_model
    from pimsim.sim.generation import to_steps
    from pimsim.workload.ops import generation_ops

    hw = load_hwconfig("hwconfigs/pimgpt.yaml", [f"asic.model={model}"])
    wl = resolve_workload("tiny", 3, 2)
    mapper = MAPPINGS["pimgpt"](place_model(wl.model, geometry(hw.dram, hw.pim)))
    cache: dict = {}
    tokens = [to_steps(mapper.token(pos, ops), hw, cache) for pos, _, ops in generation_ops(wl)]
    streamed = sum(1 for t in tokens for s in t if isinstance(s, AsicStep) and s.stream_from is not None)
    assert (streamed > 0) == (model == "pipelined")
    out = []
    for use_simpy in (True, False):
        s = System(hw)
        for t in tokens:
            s.run(t, use_simpy=use_simpy)
        s.finish()
        out.append(([(r.name, r.kind, r.start, r.end, r.time) for r in s.records], s.command_counts(), s.breakdown(),
                    s.tally, s.asic_total))
    assert out[0] == out[1]
    lean = System(hw, keep_records=False)  # tallies only: the same totals, no records
    for t in tokens:
        lean.run(t)
    lean.finish()
    assert lean.records == [] and (lean.command_counts(), lean.breakdown(), lean.tally, lean.asic_total) == out[1][1:]


@pytest.mark.parametrize("gap", [0, 40, 5000])
def test_channels_whose_futures_are_the_same_share_one_object_and_still_equal_the_reference(gap):
    """Channels split by different programs share one object again once nothing they did can tell them
    apart (settled in the same mode, or ended in the same named state at the same cycle)."""
    a = (GbWrite(64), MacRows(0, 3, 64, 1), MacRead(1))
    b = (GbWrite(8), MacRows(40, 2, 8, 2), MacRead(2))
    plan = [("split", (a, b) * 4), ("same", (a,) * 8), ("idle", (b,) + ((),) * 7), ("again", (a,) * 8)]
    out, shared = {}, {}
    for engine in ("fast", "reference"):
        hw = load_hwconfig("hwconfigs/pimgpt.yaml", [f"sim.engine={engine}"])
        s = System(hw)
        objects = []
        for name, programs in plan:
            s.run([PimStep(name, programs)])
            objects.append(len({id(o) for o in s.channels.objs}))
            s.now += gap
        s.finish()
        out[engine] = ([(r.name, r.start, r.end, r.time, r.channels) for r in s.records], s.command_counts(),
                       s.refreshes())
        shared[engine] = objects
    assert out["fast"] == out["reference"]
    assert shared["reference"] == [8, 8, 8, 8]
    if gap == 5000:  # settled (in PIM mode, refreshes alike) before the second step: one object
        assert shared["fast"][1] == 1


@pytest.mark.parametrize("model,sets", [("tiny", ["asic.model=pipelined"]), ("tiny", ["asic.model=simd"]),
                                        ("gpt2-small", ["sim.overlap=true"])])
def test_steps_taken_from_the_last_token_equal_the_steps_made_afresh(model, sets, monkeypatch):
    import pimsim.sim.generation as generation
    from pimsim.config.workload import resolve_workload
    from pimsim.mapping.pimgpt import MAPPINGS
    from pimsim.mapping.placement import geometry, place_model
    from pimsim.sim.generation import to_steps
    from pimsim.workload.ops import generation_ops

    hw = load_hwconfig("hwconfigs/pimgpt.yaml", sets)
    wl = resolve_workload(model, 3, 5)
    mapper = MAPPINGS["pimgpt"](place_model(wl.model, geometry(hw.dram, hw.pim)))
    like_last, reused = generation._like_last, []
    monkeypatch.setattr(generation, "_like_last", lambda *a: reused.append(like_last(*a)) or reused[-1])
    kept: dict = {}
    for pos, _, ops in generation_ops(wl):
        mapped = mapper.token(pos, ops)
        taken = to_steps(mapped, hw, kept)
        assert taken == to_steps(mapped, hw, {})
    assert len(reused) >= 4 and all(r is not None for r in reused)  # (tokens laid out as the last one)
