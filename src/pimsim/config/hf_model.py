"""A model's shape from a Hugging Face ``config.json`` (a local file; nothing is downloaded).

Families (``model_type``) and what each contributes beyond the GPT-2 shape (``ModelShape``):

==========  =========  ========  ======  =========  ====================  ================
model_type  norm       MLP       biases  positions  K/V heads             residual
==========  =========  ========  ======  =========  ====================  ================
gpt2        LayerNorm  GELU      all     learned    = heads               sequential
opt         LayerNorm  ReLU      all     learned    = heads               sequential
gpt_neox    LayerNorm  GELU      all     rotary     = heads               parallel (default)
llama       RMSNorm    SwiGLU    none    rotary     num_key_value_heads   sequential
mistral     RMSNorm    SwiGLU    none    rotary     num_key_value_heads   sequential
qwen2       RMSNorm    SwiGLU    Q/K/V   rotary     num_key_value_heads   sequential
==========  =========  ========  ======  =========  ====================  ================

Each family reads the fields it needs; a missing one is a one-line error naming it. Fields
that change nothing pimsim models (token ids, dropout, norm epsilons, initialisation, the
rotary base and scaling, dtype, bookkeeping) are ignored; any other field is refused by name,
since pimsim cannot tell whether it changes the architecture. A field whose value pimsim does
not model (e.g. OPT's ``word_embed_proj_dim`` differing from ``hidden_size``) is refused with
the value it would need.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pimsim
from pimsim.config.validate import did_you_mean
from pimsim.errors import PimsimError

HF_DIR = Path(pimsim.__file__).resolve().parents[2] / "workloads" / "hf"

# fields that do not change the shape or the work of a decoding step
IGNORED = frozenset({
    "architectures", "transformers_version", "torch_dtype", "model_type", "use_cache", "initializer_range",
    "init_std", "layerdrop", "dropout", "rope_theta", "rope_scaling", "rotary_emb_base", "pretraining_tp",
    "prefix", "tokenizer_class", "task_specific_params", "scale_attn_weights", "reorder_and_upcast_attn",
    "scale_attn_by_inverse_layer_idx", "n_ctx", "max_window_layers", "use_mrope", "output_attentions",
    "output_hidden_states", "return_dict", "is_decoder", "_remove_final_layer_norm", "layer_norm_elementwise_affine",
    "do_layer_norm_before", "gradient_checkpointing", "classifier_dropout", "hidden_dropout", "use_return_dict",
})
IGNORED_SUFFIXES = ("_token_id", "_dropout", "_pdrop", "_eps", "_epsilon", "_ids")
IGNORED_PREFIXES = ("_", "summary_")
GELUS = ("gelu", "gelu_new", "gelu_fast", "gelu_pytorch_tanh")


class _Fields:
    """One config's fields, read by name; remembers which were read."""

    def __init__(self, data: dict[str, Any], where: str) -> None:
        self.data, self.where, self.used = data, where, {"model_type"}

    def fail(self, key: str, message: str) -> PimsimError:
        return PimsimError(message, where=self.where, key=key)

    def need(self, key: str) -> Any:
        if key not in self.data:
            raise self.fail(key, f"missing field (model_type {self.data['model_type']!r} needs it)")
        return self.get(key, None)

    def get(self, key: str, default: Any) -> Any:
        self.used.add(key)
        value = self.data.get(key, default)
        return default if value is None else value

    def count(self, key: str, default: Any = ...) -> int:
        value = self.need(key) if default is ... else self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.fail(key, f"expected a positive integer, got {value!r}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {value!r}")
        return value

    def choice(self, key: str, allowed: tuple[str, ...], default: str) -> str:
        value = self.get(key, default)
        if value not in allowed:
            raise self.fail(key, f"{value!r} is not modelled; expected one of {', '.join(allowed)}")
        return value

    def unused(self) -> list[str]:
        return [k for k in self.data if k not in self.used and k not in IGNORED
                and not k.endswith(IGNORED_SUFFIXES) and not k.startswith(IGNORED_PREFIXES)]


def _attention(f: _Fields, width_key: str, heads_key: str) -> dict[str, int]:
    d, heads = f.count(width_key), f.count(heads_key)
    if d % heads:
        raise f.fail(heads_key, f"{heads} heads do not divide {width_key} {d}")
    d_head = d // heads
    if f.get("head_dim", d_head) != d_head:
        raise f.fail("head_dim", f"{f.data['head_dim']} is not modelled: pimsim needs head_dim = "
                                 f"{width_key} / {heads_key} = {d_head}")
    return {"d_model": d, "heads": heads, "d_head": d_head}


def _gpt2(f: _Fields) -> dict[str, Any]:
    shape = _attention(f, "n_embd", "n_head")
    f.choice("activation_function", GELUS, "gelu_new")
    return {"layers": f.count("n_layer"), **shape, "d_ff": f.count("n_inner", 4 * shape["d_model"]),
            "vocab": f.count("vocab_size"), "context": f.count("n_positions"),
            "tied_embeddings": f.flag("tie_word_embeddings", True)}


def _opt(f: _Fields) -> dict[str, Any]:
    shape = _attention(f, "hidden_size", "num_attention_heads")
    if f.get("word_embed_proj_dim", shape["d_model"]) != shape["d_model"]:
        raise f.fail("word_embed_proj_dim", f"{f.data['word_embed_proj_dim']} is not modelled: pimsim needs it "
                                            f"equal to hidden_size ({shape['d_model']}), no projection")
    act = f.choice("activation_function", ("relu", *GELUS), "relu")
    return {"layers": f.count("num_hidden_layers"), **shape, "d_ff": f.count("ffn_dim"),
            "vocab": f.count("vocab_size"), "context": f.count("max_position_embeddings"),
            "tied_embeddings": f.flag("tie_word_embeddings", True), "mlp": "relu" if act == "relu" else "gelu",
            "bias": "all" if f.flag("enable_bias", True) else "none"}


def _gpt_neox(f: _Fields) -> dict[str, Any]:
    shape = _attention(f, "hidden_size", "num_attention_heads")
    f.choice("hidden_act", GELUS, "gelu")
    pct = f.get("rotary_pct", 0.25)
    ok = not isinstance(pct, bool) and isinstance(pct, (int, float)) and 0 < pct <= 1
    dims = int(shape["d_head"] * pct) if ok else 0
    if not ok or dims % 2 or dims == 0:
        raise f.fail("rotary_pct", f"expected a fraction in (0, 1] giving an even number of rotated features per "
                                   f"head, got {pct!r}")
    return {"layers": f.count("num_hidden_layers"), **shape, "d_ff": f.count("intermediate_size"),
            "vocab": f.count("vocab_size"), "context": f.count("max_position_embeddings"),
            "tied_embeddings": f.flag("tie_word_embeddings", False), "positions": "rotary", "rotary_dims": dims,
            "parallel_residual": f.flag("use_parallel_residual", True),
            "bias": "all" if f.flag("attention_bias", True) else "none"}


def _llama_like(f: _Fields, bias: str) -> dict[str, Any]:
    shape = _attention(f, "hidden_size", "num_attention_heads")
    f.choice("hidden_act", ("silu",), "silu")
    kv = f.count("num_key_value_heads", shape["heads"])
    if shape["heads"] % kv:
        raise f.fail("num_key_value_heads", f"{kv} K/V heads do not divide num_attention_heads {shape['heads']}")
    factor = f.get("partial_rotary_factor", 1.0)
    if factor != 1.0:
        raise f.fail("partial_rotary_factor", f"{factor!r} is not modelled for this family (expected 1.0)")
    return {"layers": f.count("num_hidden_layers"), **shape, "d_ff": f.count("intermediate_size"),
            "vocab": f.count("vocab_size"), "context": f.count("max_position_embeddings"),
            "tied_embeddings": f.flag("tie_word_embeddings", False), "kv_heads": kv, "norm": "rmsnorm",
            "mlp": "swiglu", "bias": bias, "positions": "rotary"}


def _llama(f: _Fields) -> dict[str, Any]:
    for key in ("attention_bias", "mlp_bias"):
        if f.flag(key, False):
            raise f.fail(key, "biases in Llama's attention or MLP are not modelled (expected false)")
    return _llama_like(f, "none")


def _mistral(f: _Fields) -> dict[str, Any]:
    shape = _llama_like(f, "none")
    window = f.get("sliding_window", None)
    if window is not None:
        shape["sliding_window"] = f.count("sliding_window")
    return shape


def _qwen2(f: _Fields) -> dict[str, Any]:
    shape = _llama_like(f, "qkv")
    f.get("sliding_window", None)  # applies only with use_sliding_window
    if f.flag("use_sliding_window", False):
        raise f.fail("use_sliding_window", "per-layer sliding windows (Qwen2) are not modelled (expected false)")
    return shape


FAMILIES: dict[str, Callable[[_Fields], dict[str, Any]]] = {
    "gpt2": _gpt2, "opt": _opt, "gpt_neox": _gpt_neox, "llama": _llama, "mistral": _mistral, "qwen2": _qwen2,
}


def hf_config_path(name_or_path: str | Path) -> Path:
    """A shipped config by name (``workloads/hf/NAME.json``) or a path to a ``config.json``."""
    path = Path(name_or_path)
    if path.suffix != ".json" and "/" not in str(name_or_path):
        shipped = HF_DIR / f"{name_or_path}.json"
        if shipped.is_file():
            return shipped
        names = sorted(p.stem for p in HF_DIR.glob("*.json"))
        raise PimsimError(f"unknown Hugging Face config {str(name_or_path)!r}" + did_you_mean(str(name_or_path), names)
                          + "; give a shipped name or a path to a config.json", where="--hf-config")
    return path


def model_fields(path: str | Path) -> dict[str, Any]:
    """``ModelShape`` fields (not yet validated) of the model a ``config.json`` describes."""
    where = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise PimsimError(f"cannot read the file ({exc.strerror})", where=where) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PimsimError(f"not a JSON file ({exc})", where=where) from None
    if not isinstance(data, dict):
        raise PimsimError("expected a JSON object (a Hugging Face config.json)", where=where)
    kind = data.get("model_type")
    if kind not in FAMILIES:
        raise PimsimError(f"unknown model_type {kind!r}" + did_you_mean(str(kind), list(FAMILIES)), where=where,
                          key="model_type")
    fields = _Fields(data, where)
    shape = FAMILIES[kind](fields)
    unknown = fields.unused()
    if unknown:
        raise fields.fail(unknown[0], f"unknown field for model_type {kind!r}: pimsim cannot tell whether it "
                                      f"changes the architecture")
    return shape


def hf_fields(shape) -> dict[str, Any]:
    """The Hugging Face config fields (``model_type`` included) of a model of ``shape``: the inverse of
    ``model_fields``, for building the model in transformers. A shape no family has is an error."""
    c = shape.family_changes()
    common = {"vocab_size": shape.vocab, "max_position_embeddings": shape.context,
              "tie_word_embeddings": shape.tied_embeddings}
    llama = {"hidden_size": shape.d_model, "num_attention_heads": shape.heads, "num_hidden_layers": shape.layers,
             "intermediate_size": shape.d_ff, "num_key_value_heads": shape.n_kv_heads, **common}
    rotary = shape.positions == "rotary"
    if not c:
        return {"model_type": "gpt2", "vocab_size": shape.vocab, "n_positions": shape.context, "n_embd": shape.d_model,
                "n_layer": shape.layers, "n_head": shape.heads, "n_inner": shape.d_ff,
                "activation_function": "gelu_new", "tie_word_embeddings": shape.tied_embeddings}
    if set(c) == {"mlp"} and shape.mlp == "relu":
        return {"model_type": "opt", "hidden_size": shape.d_model, "num_attention_heads": shape.heads,
                "num_hidden_layers": shape.layers, "ffn_dim": shape.d_ff, "activation_function": "relu",
                "word_embed_proj_dim": shape.d_model, **common}
    if rotary and shape.norm == "layernorm" and shape.mlp == "gelu" and shape.n_kv_heads == shape.heads \
            and shape.bias in ("all", "none") and shape.sliding_window is None:
        return {"model_type": "gpt_neox", "hidden_size": shape.d_model, "num_attention_heads": shape.heads,
                "num_hidden_layers": shape.layers, "intermediate_size": shape.d_ff, "hidden_act": "gelu",
                "rotary_pct": shape.n_rotary_dims / shape.d_head, "use_parallel_residual": shape.parallel_residual,
                "attention_bias": shape.bias == "all", **common}
    if rotary and shape.norm == "rmsnorm" and shape.mlp == "swiglu" and not shape.parallel_residual \
            and shape.n_rotary_dims == shape.d_head:
        if shape.bias == "qkv" and shape.sliding_window is None:
            return {"model_type": "qwen2", **llama}
        if shape.bias == "none" and shape.sliding_window is not None:
            return {"model_type": "mistral", "sliding_window": shape.sliding_window, **llama}
        if shape.bias == "none":
            return {"model_type": "llama", **llama}
    shown = ", ".join(f"{k}={v}" for k, v in c.items())
    raise PimsimError(f"no Hugging Face family ({', '.join(FAMILIES)}) has this shape ({shown})")
