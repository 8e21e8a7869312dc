"""Decoder families from Hugging Face configs: shapes, op lists against hand counts, parameter
counts against the published sizes, engines equal on a Llama-shaped model, clean errors."""

from __future__ import annotations

import json

import pytest

from pimsim.cli.main import main
from pimsim.config import load_hwconfig
from pimsim.config.hf_model import HF_DIR, model_fields
from pimsim.config.workload import Generation, ModelShape, Workload, resolve_workload
from pimsim.errors import PimsimError
from pimsim.report.run_summary import metrics
from pimsim.sim.generation import simulate_generation
from pimsim.workload.ops import kv_bytes, token_ops

# published parameter counts (the released checkpoints' tensors; OPT's count includes the two
# offset rows of its position table, which pimsim leaves out)
PUBLISHED = {"llama-3.2-1b": 1_235_814_400, "llama-2-7b": 6_738_415_616, "mistral-7b": 7_241_732_096,
             "opt-1.3b": 1_315_758_080, "pythia-1.4b": 1_414_647_808, "qwen2.5-0.5b": 494_032_768}


def shape(name: str) -> ModelShape:
    return ModelShape(**model_fields(HF_DIR / f"{name}.json"))


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_parameter_count_is_within_one_percent_of_the_published_size(name):
    assert shape(name).total_params == pytest.approx(PUBLISHED[name], rel=0.01)
    assert resolve_workload(name).model.total_params == shape(name).total_params


def layer(name: str, position: int = 9) -> list:
    return [op for op in token_ops(shape(name), position, logits=False) if op.layer == 0]


def gemvs(ops) -> list[tuple[str, int, int]]:
    return [(op.name.split(".", 1)[1], op.rows, op.cols) for op in ops if op.kind == "gemv"]


def test_llama_layer_has_grouped_kv_swiglu_rmsnorm_rope_and_no_biases():
    ops = layer("llama-3.2-1b")
    assert [op.kind for op in ops] == ["rmsnorm", "gemv", "rope", "kv_write", "attn_score", "scale", "softmax",
                                       "attn_value", "gemv", "residual", "rmsnorm", "gemv", "swiglu", "gemv",
                                       "residual"]
    # Q (2048) + K and V (8 heads x 64 each); gate and up stacked; down
    assert gemvs(ops) == [("qkv", 2048 + 2 * 512, 2048), ("proj", 2048, 2048), ("gate_up", 2 * 8192, 2048),
                          ("down", 2048, 8192)]
    by = {op.kind: op for op in ops}
    assert by["rope"].elements == (32 + 8) * 64  # q and k, every feature rotated
    assert by["swiglu"].elements == 8192
    assert (by["attn_score"].heads, by["attn_score"].n_kv_heads, by["attn_score"].context) == (32, 8, 10)
    # the KV cache grows by 8 heads x 64 x (K and V) x 2 bytes per layer and token: a quarter of MHA's
    assert kv_bytes(by["kv_write"], 2) == 2048 and shape("llama-3.2-1b").kv_bytes_per_token(2) == 16 * 2048
    assert kv_bytes(by["attn_score"], 2) == 8 * 64 * 10 * 2


def test_pythia_layer_has_partial_rotary_biases_and_a_parallel_residual():
    ops = layer("pythia-1.4b")
    kinds = [op.kind for op in ops]
    assert kinds == ["layernorm", "gemv", "bias", "rope", "kv_write", "attn_score", "scale", "softmax", "attn_value",
                     "gemv", "bias", "layernorm", "gemv", "bias", "gelu", "gemv", "bias", "residual", "residual"]
    assert next(op for op in ops if op.kind == "rope").elements == (16 + 16) * 32  # 25 % of 128 features
    assert gemvs(ops) == [("qkv", 3 * 2048, 2048), ("proj", 2048, 2048), ("fc1", 8192, 2048), ("fc2", 2048, 8192)]
    assert token_ops(shape("pythia-1.4b"), 0, False)[0].kind == "token_embed"  # no position table


def test_opt_layer_is_gpt2_with_relu_and_qwen_has_only_qkv_biases():
    assert [op.kind for op in layer("opt-1.3b")].count("relu") == 1
    assert token_ops(shape("opt-1.3b"), 0, False)[0].kind == "embed"
    qwen = layer("qwen2.5-0.5b")
    assert [op.name for op in qwen if op.kind == "bias"] == ["L0.qkv.bias"]
    assert gemvs(qwen)[0] == ("qkv", 896 + 2 * 128, 896)


def test_mistral_attends_within_its_sliding_window_and_writes_a_ring():
    m = shape("mistral-7b")
    assert m.sliding_window == 4096 and m.kv_span == 4096
    ops = {op.kind: op for op in token_ops(m, 5000, logits=False) if op.layer == 0}
    assert ops["attn_score"].context == 4096 and ops["softmax"].elements == 4096
    assert ops["kv_write"].context == 5000 % 4096 + 1  # slot + 1


def test_gpt2_config_gives_the_shipped_gpt2_shape(tmp_path):
    cfg = {"model_type": "gpt2", "n_layer": 12, "n_embd": 768, "n_head": 12, "n_positions": 1024, "n_ctx": 1024,
           "vocab_size": 50257, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "n_inner": None}
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    assert ModelShape(**model_fields(tmp_path / "config.json")) == resolve_workload("gpt2-small").model


def llama_tiny(context: int = 24) -> Workload:
    model = ModelShape(layers=2, d_model=64, heads=4, d_head=16, d_ff=96, vocab=128, context=context,
                       tied_embeddings=False, kv_heads=2, norm="rmsnorm", mlp="swiglu", bias="none",
                       positions="rotary")
    gen = Generation(prompt_tokens=1, output_tokens=context - 1, batch=1, dtype="bf16")
    return Workload(name="llama-tiny", source="test", model=model, generation=gen)


def test_a_llama_shaped_model_over_its_whole_context_is_identical_on_both_engines():
    out = {}
    for engine in ("reference", "fast"):
        res = simulate_generation(load_hwconfig("hwconfigs/pimgpt.yaml", [f"sim.engine={engine}"]), llama_tiny())
        m = metrics(res)
        m.pop("engine"), m.pop("run_hash"), m.pop("hw_hash")
        out[engine] = (m, [t.cycles for t in res.tokens], res.op_cycles)
    assert out["reference"] == out["fast"]
    assert "L0.rope" in out["fast"][2] and "L1.swiglu" in out["fast"][2]


def test_a_model_too_big_for_the_channels_says_which_channel_count_holds_it(capsys):
    assert main(["run", "--model", "llama-2-7b", "--prompt-tokens", "1", "--output-tokens", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "llama-2-7b does not fit" in err and "GiB over 8 channels" in err and "--set dram.channels=32" in err


def edited(tmp_path, **changes) -> str:
    cfg = json.loads((HF_DIR / "llama-2-7b.json").read_text())
    for key, value in changes.items():
        if value is None:
            cfg.pop(key)
        else:
            cfg[key] = value
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    return str(path)


@pytest.mark.parametrize("changes, message", [
    ({"model_type": "bloom"}, "model_type: unknown model_type 'bloom'"),
    ({"intermediate_size": None}, "intermediate_size: missing field (model_type 'llama' needs it)"),
    ({"num_attention_heads": 30}, "num_attention_heads: 30 heads do not divide hidden_size 4096"),
    ({"num_key_value_heads": 5}, "num_key_value_heads: 5 K/V heads do not divide num_attention_heads 32"),
    ({"hidden_act": "gelu"}, "hidden_act: 'gelu' is not modelled; expected one of silu"),
    ({"attention_bias": True}, "attention_bias: biases in Llama's attention or MLP are not modelled"),
    ({"moe_experts": 8}, "moe_experts: unknown field for model_type 'llama'"),
])
def test_bad_hf_configs_are_one_line_errors_naming_the_field(tmp_path, capsys, changes, message):
    path = edited(tmp_path, **changes)
    assert main(["run", "--hf-config", path, "--prompt-tokens", "1", "--output-tokens", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"pimsim: error: {path}: {message}" or (err.startswith(f"pimsim: error: {path}: {message}")
                                                           and len(err.splitlines()) == 1)


def test_a_workload_naming_an_hf_config_may_reserve_a_shorter_context(tmp_path):
    (tmp_path / "w.yaml").write_text(f"name: w\nsource: test\nhf_config: {HF_DIR / 'qwen2.5-0.5b.json'}\n"
                                     "context: 512\ngeneration: {prompt_tokens: 4, output_tokens: 4, batch: 1, "
                                     "dtype: bf16}\n")
    assert resolve_workload(str(tmp_path / "w.yaml")).model == shape("qwen2.5-0.5b").model_copy(
        update={"context": 512})
    (tmp_path / "x.yaml").write_text((tmp_path / "w.yaml").read_text().replace("512", "40000"))
    with pytest.raises(PimsimError, match=r"x.yaml: context: expected an integer from 1 to the model's 32768"):
        resolve_workload(str(tmp_path / "x.yaml"))


def test_run_with_a_shipped_hf_config_name(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = main(["run", "--hf-config", "qwen2.5-0.5b", "--prompt-tokens", "1", "--output-tokens", "1", "--json"])
    line = json.loads(capsys.readouterr().out)
    assert res == 0 and line["model"] == "qwen2.5-0.5b" and line["forward_passes"] == 1


@pytest.mark.parametrize("name", sorted(PUBLISHED) + ["gpt2-xl"])
def test_hf_fields_give_back_the_same_shape(tmp_path, name):
    from pimsim.config.hf_model import hf_fields

    model = resolve_workload(name).model.model_copy(update={"context": resolve_workload(name).model.context})
    if name == "llama-3.2-1b":
        model = shape(name)  # the shipped workload reserves a shorter context than the config
    (tmp_path / "config.json").write_text(json.dumps(hf_fields(model)))
    assert ModelShape(**model_fields(tmp_path / "config.json")) == model


def test_a_shape_no_family_has_is_refused():
    from pimsim.config.hf_model import hf_fields

    odd = shape("llama-2-7b").model_copy(update={"norm": "layernorm"})
    with pytest.raises(PimsimError, match="no Hugging Face family .* has this shape"):
        hf_fields(odd)


@pytest.mark.parametrize("family", ["llama", "qwen2", "gpt_neox", "opt"])
def test_transformers_builds_each_family_with_exactly_our_parameter_count(family):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from pimsim.baselines.hf_measure import build_model

    small = {"llama": dict(kv_heads=2, norm="rmsnorm", mlp="swiglu", bias="none", positions="rotary"),
             "qwen2": dict(kv_heads=2, norm="rmsnorm", mlp="swiglu", bias="qkv", positions="rotary",
                           tied_embeddings=True),
             "gpt_neox": dict(positions="rotary", rotary_dims=4, parallel_residual=True),
             "opt": dict(mlp="relu", tied_embeddings=True)}[family]
    model = ModelShape(**{"layers": 2, "d_model": 64, "heads": 4, "d_head": 16, "d_ff": 96, "vocab": 128,
                          "context": 32, "tied_embeddings": False, **small})
    built = build_model(torch, transformers, model, "cpu", "fp32")
    offset = 2 * 64 if family == "opt" else 0  # OPT's two offset position rows
    assert sum(p.numel() for p in built.parameters()) == model.total_params + offset
    assert built.config.model_type == family


def test_the_gpu_overhead_counts_the_kernels_of_the_models_own_family():
    from pimsim.baselines.analytic import LAYER_OPS, layer_kernels
    from pimsim.baselines.device import load_device, locate_device

    t4 = load_device(locate_device("t4"))
    assert layer_kernels(t4, resolve_workload("gpt2-xl").model) == t4.kernels_per_layer  # GPT-2: as calibrated
    assert layer_kernels(t4, shape("llama-2-7b")) == pytest.approx(t4.kernels_per_layer * 55 / 39)
    assert layer_kernels(t4, shape("opt-1.3b")) == pytest.approx(t4.kernels_per_layer * LAYER_OPS["opt"] / 39)
