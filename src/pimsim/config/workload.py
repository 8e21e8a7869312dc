"""Workload configs: a GPT model's shape and how much text it generates.

A workload is a YAML file with ``name``, ``source`` (where the architecture
comes from), ``model`` (:class:`ModelShape`) and ``generation``
(:class:`Generation`). Shipped workloads live in ``workloads/`` at the
repository root and are addressed by file stem (``gpt2-small``); any other
YAML file is addressed by its path. Token-count overrides from the command
line are validated here, in the one place where defaults and overrides meet.

Model families. The fields beyond the GPT-2 shape say how a newer decoder differs, and
default to GPT-2's choices: ``kv_heads`` (fewer K/V heads than query heads: grouped-query
attention, 1: multi-query), ``norm`` (``layernorm`` or ``rmsnorm``), ``mlp`` (``gelu`` or
``relu``: two matrices; ``swiglu``: gate, up and down), ``bias`` (``all`` linear layers,
``qkv`` only, or ``none``), ``positions`` (``learned`` embeddings or ``rotary`` on q and k,
``rotary_dims`` features per head, all by default), ``parallel_residual`` (attention and MLP
both read the layer input, GPT-NeoX) and ``sliding_window`` (attention sees at most that many
cached tokens, Mistral). ``config.hf_model`` fills them from a Hugging Face ``config.json``.

Parameter counting (per layer, d = d_model, d_kv = kv_heads x d_head, f = d_ff):

- attention matrices Wq, Wo (``d^2`` each) and Wk, Wv (``d_kv x d`` each); the MLP's
  matrices (``2 d f``, SwiGLU ``3 d f``);
- biases as ``bias`` says: QKV ``d + 2 d_kv``, output projection ``d``, MLP ``f + d``
  (SwiGLU ``2 f + d``);
- two norms: LayerNorm has a scale and a shift (``2 d``), RMSNorm a scale (``d``);
- embeddings: token embeddings ``vocab x d_model`` plus, for learned positions,
  ``context x d_model``;
- the final norm and, only if the LM head is untied, a separate ``vocab x d_model`` output
  matrix (no bias).

This reproduces the usual released-checkpoint counts (GPT-2 small
124,439,808; GPT-2 XL 1,557,611,200; Llama 2 7B 6,738,415,616). Papers count differently:
GPT-2's paper quotes 117M..1542M, and PIM-GPT quotes 1.15 B for GPT-3 XL (we get 1.32 B
with embeddings, 1.21 B without), so compare by the matrices, not the totals. OPT's learned
position table has two extra rows (an offset of 2) that are not counted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional

import pimsim
from pimsim.config.strict import Field, FieldError, Strict, field_validator
from pimsim.config.validate import did_you_mean, validate
from pimsim.config.yamlio import load_yaml
from pimsim.errors import PimsimError

WORKLOAD_DIR = Path(pimsim.__file__).resolve().parents[2] / "workloads"

DTYPE_BYTES = {"bf16": 2, "fp16": 2, "fp32": 4}

Pos = Field(gt=0)


NORMS = ("layernorm", "rmsnorm")
MLPS = ("gelu", "relu", "swiglu")
BIASES = ("all", "qkv", "none")
POSITIONS = ("learned", "rotary")
KV_CACHES = ("context", "run")


FAMILY_FIELDS = ("kv_heads", "norm", "mlp", "bias", "positions", "rotary_dims", "parallel_residual",
                 "sliding_window")


class ModelShape(Strict):
    """The shape of a decoder-only transformer: everything the op list depends on."""

    layers: int = Pos
    d_model: int = Pos
    heads: int = Pos
    d_head: int = Pos
    d_ff: int = Pos
    vocab: int = Pos
    context: int = Pos  # maximum sequence length: the KV cache is reserved for this many tokens
    tied_embeddings: bool  # LM head shares the token-embedding matrix
    # -- how the family differs from GPT-2 (defaults: GPT-2's choices; module docstring) -----
    kv_heads: Optional[int] = Field(default=None, gt=0)  # None: as many as heads
    norm: Literal["layernorm", "rmsnorm"] = "layernorm"
    mlp: Literal["gelu", "relu", "swiglu"] = "gelu"
    bias: Literal["all", "qkv", "none"] = "all"
    positions: Literal["learned", "rotary"] = "learned"
    rotary_dims: Optional[int] = Field(default=None, gt=0)  # rotary: features per head rotated; None: d_head
    parallel_residual: bool = False
    sliding_window: Optional[int] = Field(default=None, gt=0)  # attention span in tokens; None: the context

    @field_validator("d_head")
    @classmethod
    def _heads_fill_d_model(cls, d_head: int, data: dict) -> int:
        heads, d_model = data.get("heads"), data.get("d_model")
        if heads is not None and d_model is not None and heads * d_head != d_model:
            raise FieldError("shape", f"heads x d_head = {heads} x {d_head} = {heads * d_head} must equal d_model "
                                      f"({d_model})")
        return d_head

    @field_validator("kv_heads")
    @classmethod
    def _kv_heads_divide_heads(cls, kv_heads: Optional[int], data: dict) -> Optional[int]:
        heads = data.get("heads")
        if kv_heads is not None and heads is not None and heads % kv_heads:
            raise FieldError("shape", f"kv_heads ({kv_heads}) must divide heads ({heads})")
        return kv_heads

    @field_validator("rotary_dims")
    @classmethod
    def _rotary_within_head(cls, dims: Optional[int], data: dict) -> Optional[int]:
        d_head = data.get("d_head")
        if dims is not None and (data.get("positions") != "rotary" or dims % 2 or (d_head is not None and dims > d_head)):
            raise FieldError("shape", f"rotary_dims ({dims}) needs positions: rotary and an even count of at most "
                                      f"d_head ({d_head})")
        return dims

    # -- derived shape --------------------------------------------------------------------------

    def family_changes(self) -> dict:
        """The family fields that differ from GPT-2's choices (empty: a GPT-2-shaped model)."""
        return self.model_dump(exclude_defaults=True, exclude=set(ModelShape.model_fields) - set(FAMILY_FIELDS))

    @property
    def n_kv_heads(self) -> int:
        return self.heads if self.kv_heads is None else self.kv_heads

    @property
    def d_kv(self) -> int:
        """Width of K (and of V): ``kv_heads x d_head``."""
        return self.n_kv_heads * self.d_head

    @property
    def group(self) -> int:
        """Query heads per K/V head (1: multi-head attention)."""
        return self.heads // self.n_kv_heads

    @property
    def n_rotary_dims(self) -> int:
        if self.positions != "rotary":
            return 0
        return self.d_head if self.rotary_dims is None else self.rotary_dims

    @property
    def kv_span(self) -> int:
        """Cached tokens attention can see (and the KV cache holds): the window, else the context."""
        return self.context if self.sliding_window is None else min(self.sliding_window, self.context)

    def attended(self, position: int) -> int:
        """Cached tokens the pass at 0-based ``position`` attends to (its own included)."""
        return min(position + 1, self.kv_span)

    def layer_matrices(self) -> tuple[tuple[str, int, int], ...]:
        """(name, rows, cols) of one layer's weight matrices, named as the op list names them:
        ``qkv`` (Q, K and V stacked), ``proj``, then ``fc1``/``fc2`` or SwiGLU's ``gate_up``
        (gate and up stacked) and ``down``."""
        d, f = self.d_model, self.d_ff
        mlp = ((("gate_up", 2 * f, d), ("down", d, f)) if self.mlp == "swiglu"
               else (("fc1", f, d), ("fc2", d, f)))
        return (("qkv", d + 2 * self.d_kv, d), ("proj", d, d)) + mlp

    # -- parameter counts (see the module docstring) ------------------------------------------

    @property
    def layer_matrix_params(self) -> int:
        """Weights of one layer's matrices: ``2 d^2 + 2 d d_kv`` plus ``2 d f`` (SwiGLU ``3 d f``)."""
        return sum(rows * cols for _, rows, cols in self.layer_matrices())

    @property
    def layer_bias_params(self) -> int:
        if self.bias == "none":
            return 0
        qkv = self.d_model + 2 * self.d_kv
        if self.bias == "qkv":
            return qkv
        return qkv + self.d_model + (2 if self.mlp == "swiglu" else 1) * self.d_ff + self.d_model

    @property
    def norm_params(self) -> int:
        """One norm: scale and shift (LayerNorm) or a scale (RMSNorm)."""
        return (2 if self.norm == "layernorm" else 1) * self.d_model

    @property
    def layer_params(self) -> int:
        """One layer's matrices, biases and two norms."""
        return self.layer_matrix_params + self.layer_bias_params + 2 * self.norm_params

    @property
    def embedding_params(self) -> int:
        """Token embeddings, plus learned position embeddings: ``(vocab [+ context]) x d_model``."""
        positions = self.context if self.positions == "learned" else 0
        return (self.vocab + positions) * self.d_model

    @property
    def lm_head_params(self) -> int:
        """Extra output matrix when the LM head is untied; 0 when it reuses the token embeddings."""
        return 0 if self.tied_embeddings else self.vocab * self.d_model

    @property
    def non_embedding_params(self) -> int:
        """All layers plus the final norm (no embeddings, no LM head)."""
        return self.layers * self.layer_params + self.norm_params

    @property
    def total_params(self) -> int:
        return self.non_embedding_params + self.embedding_params + self.lm_head_params

    def param_counts(self) -> dict[str, int]:
        """The counts above by name, for reports."""
        return {
            "layer_matrix": self.layer_matrix_params,
            "layer": self.layer_params,
            "embedding": self.embedding_params,
            "lm_head": self.lm_head_params,
            "non_embedding": self.non_embedding_params,
            "total": self.total_params,
        }

    def kv_bytes_per_token(self, dtype_bytes: int) -> int:
        """KV-cache bytes one token adds over all layers: ``2 layers d_kv dtype_bytes``."""
        return 2 * self.layers * self.d_kv * dtype_bytes


class Generation(Strict):
    """How much text one run processes: a prompt fed token by token, then generated tokens.

    ``batch``: independent sequences decoding in lockstep, each with its own KV cache; every step
    reads each weight matrix for all of them. ``batch_inputs``: how a batched GEMV serves its B
    input vectors: ``hold`` as many as the global buffer holds (``pim.global_buffer_bytes``, one
    DRAM row per vector) and the accumulators allow, so one open row serves them all; ``passes``:
    one pass over the weights per vector. ``kv_cache``: reserve each sequence's KV cache for the
    model's whole ``context`` (PIM-GPT) or only for this ``run``'s prompt + output tokens (what a
    server allocating per request does; it lets larger batches fit).
    """

    prompt_tokens: int = Pos
    output_tokens: int = Field(ge=0)
    batch: int = Pos
    dtype: Literal["bf16", "fp16", "fp32"]
    batch_inputs: Literal["hold", "passes"] = "hold"
    kv_cache: Literal["context", "run"] = "context"

    @property
    def dtype_bytes(self) -> int:
        return DTYPE_BYTES[self.dtype]


class Workload(Strict):
    name: str
    source: str  # citation for the architecture
    model: ModelShape
    generation: Generation


def workload_names() -> list[str]:
    """The shipped workloads (file stems in ``workloads/``)."""
    return sorted(p.stem for p in WORKLOAD_DIR.glob("*.yaml"))


def _expand_hf_config(raw: dict, path: Path, where: str) -> dict:
    """A workload that names ``hf_config`` (a file relative to the workload's folder, or a shipped
    name) gets its ``model`` from that Hugging Face config; ``context`` (optional) reserves the KV
    cache for fewer tokens than the model's maximum."""
    from pimsim.config.hf_model import hf_config_path, model_fields

    if "model" in raw:
        raise PimsimError("give either model or hf_config, not both", where=where, key="hf_config")
    raw = dict(raw)
    name = raw.pop("hf_config")
    if not isinstance(name, str):
        raise PimsimError(f"expected a file name or a shipped config name, got {name!r}", where=where, key="hf_config")
    hf = hf_config_path(name if "/" not in name and not name.endswith(".json") else path.parent / name)
    shape = model_fields(hf)
    if "context" in raw:
        context = raw.pop("context")
        if isinstance(context, bool) or not isinstance(context, int) or not 0 < context <= shape["context"]:
            raise PimsimError(f"expected an integer from 1 to the model's {shape['context']} tokens, got {context!r}",
                              where=where, key="context")
        shape["context"] = context
    raw["model"] = shape
    return raw


def load_workload(path: str | Path) -> Workload:
    """Read and validate one workload YAML file (no overrides); see ``_expand_hf_config``."""
    where = str(path)
    raw = load_yaml(path)
    if isinstance(raw, dict) and "hf_config" in raw:
        raw = _expand_hf_config(raw, Path(path), where)
    workload = validate(Workload, raw, where)
    gen = workload.generation
    _check_fits(workload, gen.prompt_tokens, gen.output_tokens, where=where, key="generation")
    return workload


HF_GENERATION = {"prompt_tokens": 64, "output_tokens": 64, "batch": 1, "dtype": "bf16"}  # as the shipped workloads


def hf_workload(path: str | Path) -> Workload:
    """A workload for the model a Hugging Face ``config.json`` describes, with the shipped workloads'
    default generation (64 + 64 tokens, batch 1, BF16) and the KV cache reserved for the model's
    whole context. Named after the file (its folder's name for a file called ``config.json``)."""
    from pimsim.config.hf_model import model_fields

    path = Path(path)
    name = path.parent.name if path.stem == "config" and path.parent.name else path.stem
    raw = {"name": name, "source": f"Hugging Face config {path}", "model": model_fields(path),
           "generation": HF_GENERATION}
    return validate(Workload, raw, str(path))


def _locate(name_or_path: str) -> Path:
    names = workload_names()
    if name_or_path in names:
        return WORKLOAD_DIR / f"{name_or_path}.yaml"
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml", ".json") or path.is_file() or "/" in name_or_path:
        return path
    hint = did_you_mean(name_or_path, names)
    if not hint.startswith(" (did you mean"):
        hint = ""
    raise PimsimError(f"unknown workload {name_or_path!r}{hint}; known: {', '.join(names)}, or a path to a "
                      f"YAML file", where="workload")


def _check_count(value: object, flag: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PimsimError(f"expected an integer, got {value!r}", where=flag)
    if value < minimum:
        bound = "at least 1" if minimum == 1 else "0 or more"
        raise PimsimError(f"must be {bound} (got {value})", where=flag)
    return value


def _check_fits(workload: Workload, prompt: int, output: int, where: str, key: str = "") -> None:
    """The whole sequence (prompt + generated tokens) must fit the model's context."""
    context = workload.model.context
    if prompt + output <= context:
        return
    if where == "--output-tokens" and prompt < context:
        limit = f"at most {context - prompt} output tokens after a {prompt}-token prompt"
    elif where == "--prompt-tokens" and output < context:
        limit = f"at most {context - output} prompt tokens before {output} output tokens"
    else:
        limit = f"prompt + output must be at most {context}"
    raise PimsimError(f"prompt {prompt} + output {output} = {prompt + output} tokens exceeds {workload.name}'s "
                      f"context of {context} ({limit})", where=where, key=key)


def resolve_workload(name_or_path: str, prompt_tokens: Optional[int] = None,
                     output_tokens: Optional[int] = None, batch: Optional[int] = None,
                     kv_cache: Optional[str] = None) -> Workload:
    """A shipped workload by name, a YAML file by path, or a Hugging Face ``config.json`` by path
    (``hf_workload``), with token-count overrides applied.

    ``prompt_tokens`` and ``output_tokens`` (``--prompt-tokens``, ``--output-tokens``) replace the
    file's defaults when given. Prompt must be >= 1, output >= 0, and prompt + output must fit the
    model's context; violations are one-line PimsimErrors naming the flag and the limits. ``batch``
    and ``kv_cache`` (``--batch``, ``--kv-cache``) replace the generation's own likewise.
    """
    path = _locate(name_or_path)
    workload = hf_workload(path) if path.suffix == ".json" else load_workload(path)
    flags = []
    gen = workload.generation.model_dump()
    if prompt_tokens is not None:
        gen["prompt_tokens"] = _check_count(prompt_tokens, "--prompt-tokens", 1)
        flags.append("--prompt-tokens")
    if output_tokens is not None:
        gen["output_tokens"] = _check_count(output_tokens, "--output-tokens", 0)
        flags.append("--output-tokens")
    if batch is not None:
        gen["batch"] = _check_count(batch, "--batch", 1)
        flags.append("--batch")
    if kv_cache is not None:
        if kv_cache not in KV_CACHES:
            raise PimsimError(f"expected one of {', '.join(KV_CACHES)}, got {kv_cache!r}", where="--kv-cache")
        gen["kv_cache"] = kv_cache
        flags.append("--kv-cache")
    if not flags:
        return workload
    _check_fits(workload, gen["prompt_tokens"], gen["output_tokens"], where=" and ".join(flags))
    return workload.model_copy(update={"generation": validate(Generation, gen, " and ".join(flags))})
