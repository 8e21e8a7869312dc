"""Workload configs: a GPT model's shape and how much text it generates.

A workload is a YAML file with ``name``, ``source`` (where the architecture
comes from), ``model`` (:class:`ModelShape`) and ``generation``
(:class:`Generation`). Shipped workloads live in ``workloads/`` at the
repository root and are addressed by file stem (``gpt2-small``); any other
YAML file is addressed by its path. Token-count overrides from the command
line are validated here, in the one place where defaults and overrides meet.

Parameter counting (GPT-2 layout, which GPT-3 shares):

- per layer: the four attention matrices Wq, Wk, Wv, Wo (``4 d_model^2``) and
  the two MLP matrices (``2 d_model d_ff``), their biases (``3 d_model`` for
  QKV, ``d_model`` for the projection, ``d_ff + d_model`` for the MLP) and two
  LayerNorms (scale and shift, ``4 d_model``);
- embeddings: token embeddings ``vocab x d_model`` plus learned positions
  ``context x d_model``;
- the final LayerNorm (``2 d_model``) and, only if the LM head is untied,
  a separate ``vocab x d_model`` output matrix (no bias).

This reproduces the usual released-checkpoint counts (GPT-2 small
124,439,808; GPT-2 XL 1,557,611,200). Papers count differently: GPT-2's paper
quotes 117M..1542M, and PIM-GPT quotes 1.15 B for GPT-3 XL (we get 1.32 B
with embeddings, 1.21 B without), so compare by the matrices, not the totals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

import pimsim
from pimsim.config.validate import Strict, did_you_mean, validate
from pimsim.config.yamlio import load_yaml
from pimsim.errors import PimsimError

WORKLOAD_DIR = Path(pimsim.__file__).resolve().parents[2] / "workloads"

DTYPE_BYTES = {"bf16": 2, "fp16": 2, "fp32": 4}

Pos = Field(gt=0)


class ModelShape(Strict):
    """The shape of a decoder-only GPT: everything the op list depends on."""

    layers: int = Pos
    d_model: int = Pos
    heads: int = Pos
    d_head: int = Pos
    d_ff: int = Pos
    vocab: int = Pos
    context: int = Pos  # maximum sequence length (learned position embeddings)
    tied_embeddings: bool  # LM head shares the token-embedding matrix

    @field_validator("d_head")
    @classmethod
    def _heads_fill_d_model(cls, d_head: int, info: ValidationInfo) -> int:
        heads, d_model = info.data.get("heads"), info.data.get("d_model")
        if heads is not None and d_model is not None and heads * d_head != d_model:
            raise PydanticCustomError(
                "shape", "heads x d_head = {heads} x {d_head} = {product} must equal d_model ({d_model})",
                {"heads": heads, "d_head": d_head, "product": heads * d_head, "d_model": d_model})
        return d_head

    # -- parameter counts (see the module docstring) ------------------------------------------

    @property
    def layer_matrix_params(self) -> int:
        """Weights of one layer's six matrices: ``4 d_model^2 + 2 d_model d_ff``."""
        return 4 * self.d_model ** 2 + 2 * self.d_model * self.d_ff

    @property
    def layer_params(self) -> int:
        """One layer's matrices, biases and LayerNorm scales and shifts."""
        biases = 3 * self.d_model + self.d_model + self.d_ff + self.d_model
        layernorms = 2 * 2 * self.d_model
        return self.layer_matrix_params + biases + layernorms

    @property
    def embedding_params(self) -> int:
        """Token and position embeddings: ``(vocab + context) x d_model``."""
        return (self.vocab + self.context) * self.d_model

    @property
    def lm_head_params(self) -> int:
        """Extra output matrix when the LM head is untied; 0 when it reuses the token embeddings."""
        return 0 if self.tied_embeddings else self.vocab * self.d_model

    @property
    def non_embedding_params(self) -> int:
        """All layers plus the final LayerNorm (no embeddings, no LM head)."""
        return self.layers * self.layer_params + 2 * self.d_model

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


class Generation(Strict):
    """How much text one run processes: a prompt fed token by token, then generated tokens."""

    prompt_tokens: int = Pos
    output_tokens: int = Field(ge=0)
    batch: int
    dtype: Literal["bf16", "fp16", "fp32"]

    @field_validator("batch")
    @classmethod
    def _batch_one(cls, batch: int) -> int:
        if batch != 1:
            raise PydanticCustomError("batch", "only batch 1 is supported (one sequence, one token at a time)")
        return batch

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


def load_workload(path: str | Path) -> Workload:
    """Read and validate one workload YAML file (no overrides)."""
    where = str(path)
    workload = validate(Workload, load_yaml(path), where)
    gen = workload.generation
    _check_fits(workload, gen.prompt_tokens, gen.output_tokens, where=where, key="generation")
    return workload


def _locate(name_or_path: str) -> Path:
    names = workload_names()
    if name_or_path in names:
        return WORKLOAD_DIR / f"{name_or_path}.yaml"
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.is_file() or "/" in name_or_path:
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
                     output_tokens: Optional[int] = None) -> Workload:
    """A shipped workload by name, or a YAML file by path, with token-count overrides applied.

    ``prompt_tokens`` and ``output_tokens`` (``--prompt-tokens``, ``--output-tokens``) replace the
    file's defaults when given. Prompt must be >= 1, output >= 0, and prompt + output must fit the
    model's context; violations are one-line PimsimErrors naming the flag and the limits.
    """
    workload = load_workload(_locate(name_or_path))
    flags = []
    gen = workload.generation.model_dump()
    if prompt_tokens is not None:
        gen["prompt_tokens"] = _check_count(prompt_tokens, "--prompt-tokens", 1)
        flags.append("--prompt-tokens")
    if output_tokens is not None:
        gen["output_tokens"] = _check_count(output_tokens, "--output-tokens", 0)
        flags.append("--output-tokens")
    if not flags:
        return workload
    _check_fits(workload, gen["prompt_tokens"], gen["output_tokens"], where=" and ".join(flags))
    return workload.model_copy(update={"generation": validate(Generation, gen, " and ".join(flags))})
