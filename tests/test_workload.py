"""Workloads: shipped model files, overrides, per-token op lists, generation loop, op traces."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from pimsim.config.workload import ModelShape, load_workload, resolve_workload, workload_names
from pimsim.errors import PimsimError
from pimsim.workload.ops import Op, flops, forward_passes, generation_ops, kv_bytes, token_ops, \
    weight_bytes
from pimsim.workload.optrace import read_op_trace, write_op_trace

# the published configurations (docs/references.md, "Models"): layers, d_model, heads, d_head, d_ff, vocab, context
TABLE = {
    "gpt2-small": (12, 768, 12, 64, 3072, 50257, 1024),
    "gpt2-medium": (24, 1024, 16, 64, 4096, 50257, 1024),
    "gpt2-large": (36, 1280, 20, 64, 5120, 50257, 1024),
    "gpt2-xl": (48, 1600, 25, 64, 6400, 50257, 1024),
    "gpt3-small": (12, 768, 12, 64, 3072, 50257, 2048),
    "gpt3-medium": (24, 1024, 16, 64, 4096, 50257, 2048),
    "gpt3-large": (24, 1536, 16, 96, 6144, 50257, 2048),
    # Table 2.1 of Brown et al. prints 24 heads, but 24 x 128 != 2048: we use 16 heads of 128
    "gpt3-xl": (24, 2048, 16, 128, 8192, 50257, 2048),
}

TINY = "tiny"


def _m(w) -> tuple:
    m = w.model
    return (m.layers, m.d_model, m.heads, m.d_head, m.d_ff, m.vocab, m.context)


def _write(tmp_path, text: str, name: str = "w.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


TINY_YAML = (
    "name: t\nsource: test\n"
    "model: {layers: 2, d_model: 64, heads: 2, d_head: 32, d_ff: 256, vocab: 512, context: 64, "
    "tied_embeddings: true}\n"
    "generation: {prompt_tokens: 2, output_tokens: 3, batch: 1, dtype: bf16}\n"
)


# -- shipped workloads ------------------------------------------------------------------------

HF_FAMILIES = {"llama-3.2-1b", "llama-2-7b", "mistral-7b", "opt-1.3b", "pythia-1.4b", "qwen2.5-0.5b"}


def test_every_shipped_workload_loads_with_batch_one_and_its_name():
    assert set(workload_names()) == set(TABLE) | {TINY} | HF_FAMILIES
    for name in workload_names():
        w = resolve_workload(name)
        assert w.name == name and w.source
        assert w.generation.batch == 1
        assert w.model.tied_embeddings or name in HF_FAMILIES


@pytest.mark.parametrize("name", sorted(TABLE))
def test_shipped_shapes_match_the_reference_table(name):
    w = resolve_workload(name)
    assert _m(w) == TABLE[name]
    assert w.model.heads * w.model.d_head == w.model.d_model
    assert (w.generation.prompt_tokens, w.generation.output_tokens, w.generation.dtype) == (64, 64, "bf16")


def test_tiny_is_the_small_test_model():
    w = resolve_workload(TINY)
    assert _m(w) == (2, 64, 2, 32, 256, 512, 64)
    assert (w.generation.prompt_tokens, w.generation.output_tokens) == (2, 3)


def test_workload_can_be_given_by_path(tmp_path):
    w = resolve_workload(str(_write(tmp_path, TINY_YAML)))
    assert w.name == "t" and w.model.d_ff == 256


# -- parameter counts ---------------------------------------------------------------------------

def test_gpt2_small_has_124m_parameters_including_embeddings():
    m = resolve_workload("gpt2-small").model
    assert m.total_params == 124_439_808  # the released checkpoint's count
    assert m.embedding_params == (50257 + 1024) * 768
    assert m.layer_matrix_params == 4 * 768 ** 2 + 2 * 768 * 3072


def test_gpt2_xl_has_1_5b_parameters():
    m = resolve_workload("gpt2-xl").model
    assert m.total_params == 1_557_611_200
    assert m.non_embedding_params == pytest.approx(12 * 48 * 1600 ** 2, rel=0.001)  # 1.47 B, as the reference says


def test_an_untied_lm_head_adds_a_vocab_by_d_model_matrix():
    tied = resolve_workload(TINY).model
    untied = ModelShape(**{**tied.model_dump(), "tied_embeddings": False})
    assert untied.total_params - tied.total_params == 512 * 64
    assert untied.param_counts()["lm_head"] == 512 * 64 and tied.lm_head_params == 0


# -- per-token ops --------------------------------------------------------------------------------

def test_token_ops_follow_the_gpt_layer_order():
    m = resolve_workload(TINY).model
    ops = token_ops(m, position=0, logits=True)
    layer0 = [o.kind for o in ops if o.layer == 0]
    assert layer0 == ["layernorm", "gemv", "bias", "kv_write", "attn_score", "scale", "softmax", "attn_value",
                      "gemv", "bias", "residual", "layernorm", "gemv", "bias", "gelu", "gemv", "bias", "residual"]
    assert ops[0] == Op("embed", "embed", -1, elements=64)
    assert [o.name for o in ops[-3:]] == ["final.ln", "lm_head", "argmax"]
    assert len(ops) == 1 + 2 * len(layer0) + 3


def test_each_layer_has_four_gemvs_plus_the_lm_head_when_logits():
    m = resolve_workload("gpt2-small").model
    with_logits = Counter(o.kind for o in token_ops(m, 5, logits=True))
    without = Counter(o.kind for o in token_ops(m, 5, logits=False))
    assert with_logits["gemv"] == 4 * 12 + 1 and without["gemv"] == 4 * 12
    assert without["argmax"] == 0 and with_logits["argmax"] == 1
    assert with_logits["layernorm"] == 2 * 12 + 1 and with_logits["attn_score"] == 12


def test_gemv_shapes_and_weights():
    m = resolve_workload("gpt2-small").model
    gemvs = {o.name: o for o in token_ops(m, 0, logits=True) if o.kind == "gemv"}
    assert (gemvs["L3.qkv"].rows, gemvs["L3.qkv"].cols, gemvs["L3.qkv"].weight) == (2304, 768, "L3.qkv")
    assert (gemvs["L3.proj"].rows, gemvs["L3.proj"].cols) == (768, 768)
    assert (gemvs["L3.fc1"].rows, gemvs["L3.fc1"].cols) == (3072, 768)
    assert (gemvs["L3.fc2"].rows, gemvs["L3.fc2"].cols) == (768, 3072)
    assert (gemvs["lm_head"].rows, gemvs["lm_head"].cols, gemvs["lm_head"].weight) == (50257, 768, "wte")
    per_token = sum(weight_bytes(o, 2) for o in gemvs.values() if o.layer >= 0)
    assert per_token == 2 * 12 * m.layer_matrix_params


def test_untied_lm_head_reads_its_own_matrix():
    m = ModelShape(**{**resolve_workload(TINY).model.model_dump(), "tied_embeddings": False})
    assert [o.weight for o in token_ops(m, 0, logits=True) if o.name == "lm_head"] == ["lm_head"]


def test_attention_context_grows_by_one_per_token():
    m = resolve_workload(TINY).model
    for position in range(4):
        ops = {o.name: o for o in token_ops(m, position, logits=False)}
        score = ops["L1.attn.score"]
        assert (score.heads, score.d_head, score.context) == (2, 32, position + 1)
        assert ops["L1.attn.value"].context == position + 1
        assert (ops["L1.attn.softmax"].elements, ops["L1.attn.softmax"].groups) == (position + 1, 2)
        assert (ops["L1.attn.scale"].elements, ops["L1.attn.scale"].groups) == (position + 1, 2)
        assert ops["L1.kv_write"].elements == 2 * 64
        assert flops(score) == 2 * 64 * (position + 1) and kv_bytes(score, 2) == 2 * 64 * (position + 1)


def test_same_op_at_same_position_has_the_same_signature_in_every_layer():
    m = resolve_workload("gpt2-medium").model
    ops = token_ops(m, 7, logits=False)
    by_layer = [[o for o in ops if o.layer == layer] for layer in range(m.layers)]
    for layer_ops in by_layer[1:]:
        assert [o.signature for o in layer_ops] == [o.signature for o in by_layer[0]]
        assert [o.name for o in layer_ops] != [o.name for o in by_layer[0]]
    later = [o for o in token_ops(m, 8, logits=False) if o.layer == 0]
    assert [o.signature for o in later] != [o.signature for o in by_layer[0]]  # attention grew


def test_gemv_flops_are_two_per_weight():
    op = Op("gemv", "x", 0, rows=3, cols=5, weight="x")
    assert flops(op) == 30 and weight_bytes(op, 4) == 60
    assert weight_bytes(Op("gelu", "g", 0, elements=9), 2) == 0 and flops(Op("gelu", "g", 0, elements=9)) == 9


def test_position_outside_the_context_is_rejected():
    m = resolve_workload(TINY).model
    with pytest.raises(ValueError):
        token_ops(m, 64, logits=False)


# -- the generation loop ----------------------------------------------------------------------------

def test_generation_takes_prompt_plus_output_minus_one_passes():
    w = resolve_workload(TINY, prompt_tokens=4, output_tokens=5)
    passes = list(generation_ops(w))
    assert forward_passes(w) == len(passes) == 4 + 5 - 1
    assert [p for p, _, _ in passes] == list(range(8))
    assert [is_prompt for _, is_prompt, _ in passes] == [True] * 4 + [False] * 4


def test_logits_come_from_the_last_prompt_token_and_every_generated_token():
    w = resolve_workload(TINY, prompt_tokens=4, output_tokens=5)
    with_logits = [p for p, _, ops in generation_ops(w) if ops[-1].kind == "argmax"]
    assert with_logits == [3, 4, 5, 6, 7]  # one per output token
    assert len(with_logits) == w.generation.output_tokens


def test_zero_output_tokens_only_fill_the_kv_cache():
    w = resolve_workload(TINY, prompt_tokens=3, output_tokens=0)
    passes = list(generation_ops(w))
    assert len(passes) == 3 and all(is_prompt for _, is_prompt, _ in passes)
    assert not any(o.kind == "argmax" for _, _, ops in passes for o in ops)


def test_one_output_token_needs_no_generated_pass():
    passes = list(generation_ops(resolve_workload(TINY, prompt_tokens=1, output_tokens=1)))
    assert [(p, is_prompt, ops[-1].kind) for p, is_prompt, ops in passes] == [(0, True, "argmax")]


def test_the_longest_run_fits_the_context():
    w = resolve_workload(TINY, prompt_tokens=60, output_tokens=4)
    last = list(generation_ops(w))[-1][2]
    assert max(o.context for o in last) == 63


# -- overrides and errors -------------------------------------------------------------------------------

def test_overrides_replace_the_files_token_counts():
    w = resolve_workload("gpt2-small", prompt_tokens=128, output_tokens=0)
    assert (w.generation.prompt_tokens, w.generation.output_tokens) == (128, 0)
    assert resolve_workload("gpt2-small").generation.prompt_tokens == 64


@pytest.mark.parametrize("prompt, output, flag, expected", [
    (0, None, "--prompt-tokens", "at least 1"),
    (-3, None, "--prompt-tokens", "at least 1"),
    (None, -1, "--output-tokens", "0 or more"),
    (None, 100, "--output-tokens", "at most 62 output tokens after a 2-token prompt"),
])
def test_bad_token_overrides_are_one_line_errors_naming_the_flag(prompt, output, flag, expected):
    with pytest.raises(PimsimError) as exc:
        resolve_workload(TINY, prompt_tokens=prompt, output_tokens=output)
    msg = str(exc.value)
    assert "\n" not in msg and flag in msg and expected in msg


def test_exceeding_the_context_names_both_flags_and_the_limit():
    with pytest.raises(PimsimError, match=r"--prompt-tokens and --output-tokens: .*1025 tokens exceeds "
                                          r"gpt2-small's context of 1024"):
        resolve_workload("gpt2-small", prompt_tokens=1000, output_tokens=25)


def test_prompt_alone_exceeding_the_context_gives_the_prompt_limit():
    with pytest.raises(PimsimError, match=r"^--prompt-tokens: .*at most 960 prompt tokens before 64 output"):
        resolve_workload("gpt2-small", prompt_tokens=1000)


def test_non_integer_override_is_rejected():
    with pytest.raises(PimsimError, match="--output-tokens: expected an integer"):
        resolve_workload(TINY, output_tokens="3")


def test_unknown_name_lists_the_known_workloads():
    with pytest.raises(PimsimError) as exc:
        resolve_workload("gpt2-smal")
    msg = str(exc.value)
    assert "did you mean gpt2-small?" in msg and all(name in msg for name in workload_names())
    assert "\n" not in msg


def test_missing_workload_file_is_a_clean_error(tmp_path):
    with pytest.raises(PimsimError, match="file not found"):
        resolve_workload(str(tmp_path / "nope.yaml"))


@pytest.mark.parametrize("edit, key, expected", [
    (lambda t: t.replace("d_ff: 256, ", ""), "model.d_ff", "missing required key"),
    (lambda t: t.replace("vocab: 512", "vocab: 512, vocab_size: 5"), "model.vocab_size", "unknown key"),
    (lambda t: t + "extra: 1\n", "extra", "unknown key"),
    (lambda t: t.replace("d_head: 32", "d_head: 30"), "model.d_head", "must equal d_model (64)"),
    (lambda t: t.replace("batch: 1", "batch: 0"), "generation.batch", "greater than 0"),
    (lambda t: t.replace("dtype: bf16", "dtype: int8"), "generation.dtype", "'bf16', 'fp16' or 'fp32'"),
    (lambda t: t.replace("layers: 2", "layers: 0"), "model.layers", "greater than 0"),
    (lambda t: t.replace("output_tokens: 3", "output_tokens: 63"), "generation", "exceeds t's context of 64"),
    (lambda t: t.replace("prompt_tokens: 2", "prompt_tokens: '2'"), "generation.prompt_tokens", "valid integer"),
])
def test_bad_workload_yaml_is_a_one_line_error_with_the_key_path(tmp_path, edit, key, expected):
    path = _write(tmp_path, edit(TINY_YAML))
    with pytest.raises(PimsimError) as exc:
        load_workload(path)
    assert exc.value.where == str(path) and exc.value.key == key
    assert expected in exc.value.message and "\n" not in str(exc.value)


# -- op traces ----------------------------------------------------------------------------------------

def test_op_trace_round_trip_equals_generation_ops(tmp_path):
    w = resolve_workload(TINY)
    path = tmp_path / "ops.jsonl"
    count = write_op_trace(path, w)
    model, passes = read_op_trace(path)
    assert model == w.model
    assert passes == list(generation_ops(w))
    assert count == sum(len(ops) for _, _, ops in passes)
    assert len(path.read_text().splitlines()) == count + 1


def test_op_trace_lines_leave_out_default_fields(tmp_path):
    path = tmp_path / "ops.jsonl"
    write_op_trace(path, resolve_workload(TINY))
    header, first = (json.loads(line) for line in path.read_text().splitlines()[:2])
    model = resolve_workload(TINY).model.model_dump(exclude_defaults=True)  # GPT-2's family fields left out
    assert header == {"format": "pimsim-ops", "version": 1, "model": model} and "norm" not in model
    assert first == {"token": 0, "prompt": True, "kind": "embed", "name": "embed", "layer": -1, "elements": 64}


HEADER = json.dumps({"format": "pimsim-ops", "version": 1,
                     "model": {"layers": 1, "d_model": 4, "heads": 1, "d_head": 4, "d_ff": 8, "vocab": 8,
                               "context": 4, "tied_embeddings": True}})
GOOD = '{"token": 0, "prompt": true, "kind": "embed", "name": "embed", "layer": -1, "elements": 4}'


@pytest.mark.parametrize("lines, line_no, expected", [
    ([HEADER, "{not json"], 2, "malformed JSON"),
    ([HEADER, "[1, 2]"], 2, "expected a JSON object"),
    ([HEADER, GOOD, GOOD.replace('"embed", "name"', '"conv", "name"')], 3, "unknown kind 'conv'"),
    ([HEADER, GOOD.replace('"layer": -1, ', "")], 2, "missing field 'layer'"),
    ([HEADER, GOOD.replace('"elements": 4', '"elements": "4"')], 2, "field 'elements' must be an integer"),
    ([HEADER, GOOD.replace('"prompt": true', '"prompt": 1')], 2, "field 'prompt' must be a boolean"),
    ([HEADER, GOOD.replace('"elements"', '"element"')], 2, "unknown field 'element' (did you mean elements?)"),
    ([HEADER, GOOD.replace('"token": 0', '"token": 1'), GOOD], 3, "tokens must increase"),
    ([HEADER, GOOD, GOOD.replace('"prompt": true', '"prompt": false')], 3, "prompt=False here"),
    ([HEADER.replace("pimsim-ops", "other")], 1, "expected the header"),
    ([HEADER.replace('"version": 1', '"version": 2')], 1, "unsupported version 2"),
    ([HEADER.replace('"d_head": 4', '"d_head": 2')], 1, "model.d_head: heads x d_head"),
])
def test_malformed_op_trace_lines_give_line_numbered_errors(tmp_path, lines, line_no, expected):
    path = _write(tmp_path, "\n".join(lines) + "\n", "bad.jsonl")
    with pytest.raises(PimsimError) as exc:
        read_op_trace(path)
    msg = str(exc.value)
    assert msg.startswith(f"{path}: line {line_no}: ") and expected in msg and "\n" not in msg


def test_empty_op_trace_asks_for_a_header(tmp_path):
    with pytest.raises(PimsimError, match="expected a header line"):
        read_op_trace(_write(tmp_path, "\n", "empty.jsonl"))
