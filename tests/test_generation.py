"""Whole generations: engines agree, every model runs, physics holds, the run folder is complete."""

from __future__ import annotations

import csv
import json

import pytest

from pimsim.cli.main import main
from pimsim.config import load_hwconfig
from pimsim.config.workload import resolve_workload, workload_names
from pimsim.dram.checker import check_log
from pimsim.report.run_summary import metrics
from pimsim.sim import generation
from pimsim.sim.generation import simulate_generation
from pimsim.sim.system import System
from pimsim.workload.ops import weight_bytes

HW = "hwconfigs/pimgpt.yaml"
KEYS = ("model", "hw", "prompt_tokens", "output_tokens", "total_cycles", "latency_s", "ms_per_token", "tokens_per_s",
        "energy_j", "j_per_token", "row_hit_rate", "mac_utilization", "breakdown_s", "energy_breakdown_j", "counts",
        "wall_s")


def test_tiny_model_over_its_whole_context_gives_identical_results_on_both_engines_and_a_clean_log(monkeypatch):
    logs = []

    class LoggingSystem(System):
        def __init__(self, hw, keep_log=False, keep_records=True):
            super().__init__(hw, keep_log=True, keep_records=keep_records)
            logs.append(self)

    monkeypatch.setattr(generation, "System", LoggingSystem)
    out = {}
    for engine in ("reference", "fast"):
        hw = load_hwconfig(HW, [f"sim.engine={engine}"])
        res = simulate_generation(hw, resolve_workload("tiny", 1, 63))  # the whole 64-token context
        m = metrics(res)
        m.pop("engine"), m.pop("run_hash"), m.pop("hw_hash")
        out[engine] = (m, [t.cycles for t in res.tokens], res.op_cycles)
    assert out["reference"] == out["fast"]
    ref_system = logs[0]
    for ch in ref_system.channels.objs:
        assert ch.engine.log and check_log(ref_system.spec, ch.engine.log) == []


AIM_CONTROLLER = ["pim.register_path.block_on_result_read=true", "pim.register_path.block_cycles=1",
                  "pim.register_path.precharge=lazy"]


@pytest.mark.parametrize("sets", [["dram.banks_per_group=1", "dram.rows=65536"], ["dram.timing.nREFI=1400"],
                                  AIM_CONTROLLER],
                         ids=["four_banks", "short_refresh", "aim_controller"])
def test_whole_generations_on_other_devices_count_every_command_as_the_reference_does(sets):
    """Beyond the shipped device: fewer banks per channel and a shorter refresh interval put refreshes
    at other phases of every program; the AiM controller leaves rows open, so outcomes are reused
    across rows (``FastChannel._state``); the fast engine must still count and time exactly."""
    out = {}
    for engine in ("reference", "fast"):
        hw = load_hwconfig(HW, [f"sim.engine={engine}", *sets])
        res = simulate_generation(hw, resolve_workload("tiny", 1, 40))
        out[engine] = (res.cycles, res.command_counts, res.refreshes, [t.cycles for t in res.tokens], res.op_cycles)
    assert out["reference"] == out["fast"]


# the Hugging Face families run at 4 + 4 tokens (the 7B models on 32 channels); the GPT shapes as shipped
FAMILY_RUNS = {"llama-3.2-1b": 8, "llama-2-7b": 32, "mistral-7b": 32, "opt-1.3b": 8, "pythia-1.4b": 8,
               "qwen2.5-0.5b": 8}


@pytest.mark.parametrize("model", [n for n in workload_names() if n != "tiny"])
def test_every_model_runs_at_its_default_settings_within_physical_bounds(model):
    channels = FAMILY_RUNS.get(model)
    hw = load_hwconfig(HW, [f"dram.channels={channels}"] if channels else [])
    w = resolve_workload(model, *((4, 4) if channels else ()))
    res = simulate_generation(hw, w)
    m = metrics(res)
    assert m["forward_passes"] == w.generation.prompt_tokens + w.generation.output_tokens - 1
    assert sum(m["breakdown_s"].values()) == pytest.approx(m["latency_s"])
    # no pass streams its weights faster than every MAC unit can read them
    d, pim = hw.dram, hw.pim
    bytes_per_s = d.channels * d.banks_per_rank * pim.mac_lanes * pim.element_bytes / (d.timing["nCCDL"] * d.tck_ns * 1e-9)
    for position, _, ops in generation.generation_ops(w):
        if position == w.generation.prompt_tokens:  # a generated token's pass, with the LM head
            wbytes = sum(weight_bytes(op, 2) for op in ops)
            break
    passes = res.tokens
    gen_pass = next(t for t in passes if t.position == w.generation.prompt_tokens)
    assert gen_pass.cycles * d.tck_ns * 1e-9 >= wbytes / bytes_per_s
    # energy per token at least the weight bytes times the MAC energy per byte
    mac_pj_per_byte = hw.energy.mac_pj / (pim.mac_lanes * pim.element_bytes)
    assert m["j_per_token"] >= wbytes * mac_pj_per_byte * 1e-12
    assert 0 < m["row_hit_rate"] < 1 and 0 < m["mac_utilization"] < 1


def test_per_token_latency_grows_with_the_kv_cache():
    hw = load_hwconfig(HW, ["dram.refresh_policy=none"])  # refresh phases (and mode switches they cost) jitter
    res = simulate_generation(hw, resolve_workload("gpt2-small", 1, 96))
    gen = [t.cycles for t in res.tokens if not t.prompt]
    assert gen[-1] > gen[1] + 1_000  # later tokens attend over more cached K and V (q.K^T, scores.V, softmax)
    # rising, up to where the token's own K, V and embedding rows fall (bank conflicts move by a burst or two)
    assert all(b >= a - 150 for a, b in zip(gen, gen[1:]))
    attn = res.op_cycles["L0.attn.score"]
    assert attn["calls"] == len(res.tokens)


def test_run_writes_the_folder_and_prints_the_documented_json(tmp_path, capsys):
    assert main(["run", "--model", "tiny", "--out", str(tmp_path / "r"), "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    for key in KEYS:
        assert key in m
    assert set(m["breakdown_s"]) >= {"vmm", "asic", "transfer", "refresh"}
    names = {p.name for p in (tmp_path / "r").iterdir()}
    assert names == {"config.json", "ops.csv", "tokens.csv", "summary.json", "summary.md"}
    tokens = list(csv.DictReader(open(tmp_path / "r" / "tokens.csv")))
    assert len(tokens) == m["forward_passes"]
    assert json.load(open(tmp_path / "r" / "config.json"))["run_hash"] == m["run_hash"]


def test_same_inputs_give_byte_identical_summaries(tmp_path, capsys):
    texts = []
    for i in range(2):
        main(["run", "--model", "tiny", "--out", str(tmp_path / str(i))])
        capsys.readouterr()
        texts.append(tuple((tmp_path / str(i) / name).read_bytes()
                           for name in ("summary.json", "summary.md", "ops.csv", "tokens.csv", "config.json")))
    assert texts[0] == texts[1]


def test_set_overrides_the_hardware(tmp_path, capsys):
    main(["run", "--model", "tiny", "--json", "--out", str(tmp_path / "a")])
    fast_asic = json.loads(capsys.readouterr().out)
    main(["run", "--model", "tiny", "--json", "--set", "asic.clock_mhz=100", "--out", str(tmp_path / "b")])
    slow_asic = json.loads(capsys.readouterr().out)
    assert slow_asic["breakdown_s"]["asic"] > 5 * fast_asic["breakdown_s"]["asic"]


def test_an_op_trace_simulates_like_the_model_it_came_from(tmp_path, capsys):
    from pimsim.workload.optrace import write_op_trace

    write_op_trace(tmp_path / "tiny.jsonl", resolve_workload("tiny"))
    main(["run", "--model", "tiny", "--json", "--out", str(tmp_path / "a")])
    a = json.loads(capsys.readouterr().out)
    main(["run", "--ops", str(tmp_path / "tiny.jsonl"), "--json", "--out", str(tmp_path / "b")])
    b = json.loads(capsys.readouterr().out)
    assert a["total_cycles"] == b["total_cycles"] and a["counts"] == b["counts"]


def bad(capsys, argv):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("pimsim: error: ")
    return err


def test_unknown_model_lists_the_known_ones(capsys):
    err = bad(capsys, ["run", "--model", "gpt2-smal"])
    assert "did you mean gpt2-small" in err and "gpt3-xl" in err


@pytest.mark.parametrize("flag,value,what", [("--prompt-tokens", "0", "--prompt-tokens"),
                                             ("--output-tokens", "-1", "--output-tokens"),
                                             ("--output-tokens", "100", "context")])
def test_bad_token_counts_are_refused(capsys, flag, value, what):
    assert what in bad(capsys, ["run", "--model", "tiny", flag, value])


@pytest.mark.parametrize("edit,key", [(lambda t: t.replace("  layers: 2\n", ""), "model.layers"),
                                      (lambda t: t.replace("  layers: 2\n", "  layers: 2\n  extra: 1\n"),
                                       "model.extra")])
def test_workload_yaml_with_missing_or_extra_keys_is_refused(tmp_path, capsys, edit, key):
    text = open("workloads/tiny.yaml").read()
    (tmp_path / "w.yaml").write_text(edit(text))
    assert key in bad(capsys, ["run", "--workload", str(tmp_path / "w.yaml")])


def test_a_model_that_does_not_fit_is_refused(capsys):
    err = bad(capsys, ["run", "--model", "gpt2-xl", "--set", "dram.channels=2", "--prompt-tokens", "1",
                       "--output-tokens", "1"])
    assert "does not fit" in err and "dram.rows" in err


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_timeline_is_trace_event_json_and_a_channel_never_runs_two_things_at_once(tmp_path, capsys, engine):
    path = tmp_path / "t.json"
    assert main(["run", "--model", "tiny", "--timeline", str(path), "--out", str(tmp_path / "r"),
                 "--set", f"sim.engine={engine}"]) == 0
    events = json.load(open(path))["traceEvents"]
    spans = [e for e in events if e["ph"] == "X"]
    assert spans and all({"name", "ph", "ts", "dur", "pid", "tid"} <= set(e) for e in spans)
    tracks = {e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    assert {"ASIC", "channel 0", "channel 7"} <= tracks
    for tid in {e["tid"] for e in spans}:
        mine = sorted((e["ts"], e["ts"] + e["dur"]) for e in spans if e["tid"] == tid)
        assert all(a[1] <= b[0] + 1e-9 for a, b in zip(mine, mine[1:])), f"overlap on track {tid}"
    if engine == "reference":
        assert any(e["ph"] == "i" and e["name"] == "MAC16" for e in events)
