"""Batched decoding: B sequences in lockstep, each with its own KV cache, sharing every weight read.

Batch 1 is exactly the unbatched system; a batched GEMV multiplies every open row by the vectors
the global buffer holds; both engines agree on a batched run; the baselines read weights once."""

from __future__ import annotations

from math import ceil

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pimsim.baselines.analytic import op_traffic
from pimsim.cli.main import main
from pimsim.config import load_hwconfig
from pimsim.config.workload import Generation, Workload, resolve_workload
from pimsim.errors import PimsimError
from pimsim.mapping.layout import Geometry
from pimsim.mapping.macro import MacRows, command_count
from pimsim.mapping.pimgpt import PimGptMapper
from pimsim.mapping.placement import kv_name, place_model
from pimsim.report.run_summary import metrics
from pimsim.sim.generation import simulate_generation
from pimsim.workload.ops import Op, flops, kv_bytes, token_ops
from tests.test_mapping import models

HW = "hwconfigs/pimgpt.yaml"


def batched(name: str, batch: int, prompt: int, output: int, **gen) -> Workload:
    w = resolve_workload(name, prompt, output)
    return w.model_copy(update={"generation": w.generation.model_copy(update={"batch": batch, **gen})})


def test_batch_one_is_exactly_the_unbatched_system():
    # cycles and command totals of these runs before batching existed (same hardware config)
    for name, prompt, output, cycles, commands in (("tiny", 1, 63, 244_686, 106_086),
                                                   ("gpt2-small", 4, 4, 1_901_590, 3_730_478),
                                                   ("qwen2.5-0.5b", 3, 2, 4_138_769, 7_600_512)):
        res = simulate_generation(load_hwconfig(HW), resolve_workload(name, prompt, output))
        assert (res.cycles, sum(res.command_counts.values())) == (cycles, commands), name


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=models(), batch=st.integers(1, 5), gb_vectors=st.sampled_from([1, 2, 3, 8]),
       strategy=st.sampled_from(["hold", "passes"]))
def test_a_batched_gemv_multiplies_every_row_by_every_vector_and_activates_once_per_pass(
        model, batch, gb_vectors, strategy):
    geo = Geometry(channels=2, banks=4, bank_groups=4, rows=100_000, row_elems=128, col_elems=8, elem_bytes=2,
                   burst_bytes=32, accumulators=16, gb_vectors=gb_vectors)
    try:
        placement = place_model(model, geo, batch=batch)
    except PimsimError:
        assume(False)
    one = PimGptMapper(place_model(model, geo))
    mapper = PimGptMapper(placement, batch_inputs=strategy)
    op = Op("gemv", "L0.qkv", 0, rows=model.d_model + 2 * model.d_kv, cols=model.d_model, weight="L0.qkv")
    single, many = one.gemv(op), mapper.gemv(op)
    macs = [sum(mr.rows * mr.cols for mr in prog if isinstance(mr, MacRows)) for prog in many.programs]
    assert macs == [batch * sum(mr.rows * mr.cols for mr in prog if isinstance(mr, MacRows))
                    for prog in single.programs]
    m = placement.matrices["L0.qkv"]
    held = 1 if strategy == "passes" else max(1, min(batch, gb_vectors, geo.accumulators // m.pack))
    assert mapper.held_vectors(m) == held
    rows = [sum(mr.rows for mr in prog if isinstance(mr, MacRows)) for prog in many.programs]
    assert rows == [ceil(batch / held) * sum(mr.rows for mr in prog if isinstance(mr, MacRows))
                    for prog in single.programs]
    for prog in many.programs:  # a unit's results never exceed the accumulators
        assert all(mr.reads * mr.group <= geo.accumulators or mr.group == 1 for mr in prog if isinstance(mr, MacRows))
        assert all(mr.reads <= geo.accumulators for mr in prog if isinstance(mr, MacRows))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=models(), batch=st.integers(2, 4))
def test_each_sequence_attends_over_its_own_cache(model, batch):
    geo = Geometry(channels=2, banks=4, bank_groups=4, rows=100_000, row_elems=128, col_elems=8, elem_bytes=2,
                   burst_bytes=32, accumulators=16)
    try:
        placement = place_model(model, geo, batch=batch)
    except PimsimError:
        assume(False)
    regions = [(kv_name(0, k, b), placement.matrices.get(kv_name(0, k, b)) or placement.values[kv_name(0, k, b)])
               for b in range(batch) for k in ("k", "v")]
    spans = sorted((r.row0, r.row0 + r.dram_rows) for _, r in regions)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))  # disjoint
    seen = model.attended(min(5, model.context - 1))
    op = Op("attn_score", "s", 0, heads=model.heads, d_head=model.d_head, context=seen, batch=batch)
    mapped, single = PimGptMapper(placement).attn_score(op), PimGptMapper(place_model(model, geo)).attn_score(op)
    for prog, one in zip(mapped.programs, single.programs):
        assert command_count(prog) == batch * command_count(one)
        touched = {mr.row for mr in prog if isinstance(mr, MacRows)}
        assert len(touched) == batch * len({mr.row for mr in one if isinstance(mr, MacRows)})


def test_both_engines_agree_on_a_batched_run():
    out = {}
    for engine in ("reference", "fast"):
        hw = load_hwconfig(HW, [f"sim.engine={engine}", "pim.global_buffer_bytes=6144"])
        res = simulate_generation(hw, batched("tiny", 3, 2, 6))
        m = metrics(res)
        m.pop("engine"), m.pop("run_hash"), m.pop("hw_hash")
        out[engine] = (m, [t.cycles for t in res.tokens], res.op_cycles)
    assert out["reference"] == out["fast"]
    assert out["fast"][0]["batch"] == 3


def test_holding_vectors_saves_activations_and_the_metrics_count_every_sequence():
    passes = simulate_generation(load_hwconfig(HW), batched("gpt2-small", 4, 2, 2, batch_inputs="passes"))
    held = simulate_generation(load_hwconfig(HW, ["pim.global_buffer_bytes=8192"]), batched("gpt2-small", 4, 2, 2))
    one = simulate_generation(load_hwconfig(HW), resolve_workload("gpt2-small", 2, 2))
    assert held.command_counts["ACT16"] < passes.command_counts["ACT16"]
    assert held.command_counts["MAC16"] == passes.command_counts["MAC16"]
    assert held.cycles < passes.cycles
    m1, m4 = metrics(one), metrics(held)
    assert m4["tokens_per_s"] == pytest.approx(4 * m4["forward_passes"] / m4["latency_s"])
    assert m4["j_per_token"] == pytest.approx(m4["energy_j"] / (4 * m4["forward_passes"]))
    assert m4["ms_per_token"] > m1["ms_per_token"]  # each sequence waits for the others' MACs


def test_a_run_sized_kv_cache_lets_a_bigger_batch_fit():
    w = batched("gpt2-xl", 16, 4, 4)
    hw = load_hwconfig(HW)
    with pytest.raises(PimsimError, match=r"16 KV caches of 1024 tokens need \d+ rows per bank"):
        place_model(w.model, _geo(hw), w.name, batch=16)
    place_model(w.model, _geo(hw), w.name, batch=16, kv_tokens=7)  # the run's 4 + 4 - 1 passes


def _geo(hw):
    from pimsim.mapping.placement import geometry
    return geometry(hw.dram, hw.pim)


def test_batched_ops_read_weights_once_and_everything_else_per_sequence():
    m = resolve_workload("gpt2-small").model
    one, four = token_ops(m, 9, True), token_ops(m, 9, True, batch=4)
    assert [o.kind for o in one] == [o.kind for o in four] and all(o.batch == 4 for o in four)
    for a, b in zip(one, four):
        assert flops(b) == 4 * flops(a) and kv_bytes(b, 2) == 4 * kv_bytes(a, 2)
        if a.kind == "gemv":
            wbytes = a.rows * a.cols * 2
            assert op_traffic(b, 2)[0] - wbytes == 4 * (op_traffic(a, 2)[0] - wbytes)


@pytest.mark.parametrize("value, message", [
    ("0", "generation.batch: input should be greater than 0 (got 0)"),
    ("two", "generation.batch: input should be a valid integer (got 'two')"),
])
def test_a_bad_batch_is_a_one_line_error(tmp_path, capsys, value, message):
    path = tmp_path / "w.yaml"
    path.write_text((resolve_workload.__globals__["WORKLOAD_DIR"] / "tiny.yaml").read_text()
                    .replace("batch: 1", f"batch: {value}"))
    assert main(["run", "--workload", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"pimsim: error: {path}: {message}"


def test_generation_defaults_keep_old_hashes():
    gen = Generation(prompt_tokens=1, output_tokens=1, batch=1, dtype="bf16")
    assert gen.model_dump(exclude_defaults=True) == {"prompt_tokens": 1, "output_tokens": 1, "batch": 1,
                                                     "dtype": "bf16"}


def test_run_takes_the_batch_and_the_kv_cache_from_the_command_line(tmp_path, capsys, monkeypatch):
    import json

    monkeypatch.chdir(tmp_path)
    assert main(["run", "--model", "tiny", "--batch", "3", "--kv-cache", "run", "--prompt-tokens", "2",
                 "--output-tokens", "2", "--json"]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["batch"] == 3 and line["forward_passes"] == 3
    assert main(["run", "--model", "gpt2-xl", "--batch", "64", "--prompt-tokens", "1", "--output-tokens", "1"]) == 2
    assert "(or reserve the KV cache for the run's tokens only: --kv-cache run)" in capsys.readouterr().err
