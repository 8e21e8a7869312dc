"""The ops of one decoder forward pass, token by token: shapes only, no timing, no mapping.

PIM-GPT (Wu, Wang and Lu 2024) runs batch 1 and feeds even the prompt one
token at a time, so every forward pass is a chain of
matrix-vector products (``gemv``, in the PIM banks), attention against the
KV cache (``attn_score`` = q.K^T, ``attn_value`` = scores.V, also in-bank)
and vector ops (on the ASIC).

Token count (the standard autoregressive loop): a P-token prompt and N
generated tokens take ``P + N - 1`` forward passes (``P`` when N = 0). Passes
0..P-1 read the prompt tokens; the pass of the last prompt token produces the
logits of generated token 1; the pass of generated token k (k < N) produces
token k+1; generated token N is emitted but never fed back. So exactly N
passes compute logits (final LayerNorm, LM head, argmax): the last prompt
token's and those of generated tokens 1..N-1. The other prompt passes only
fill the KV cache, and a run with N = 0 computes no logits at all.

A pass at 0-based ``position`` sees ``position + 1`` cached tokens (its own
K and V are written before attention reads them); with a sliding window of W
tokens it sees the last ``min(position + 1, W)`` and writes its K and V into
slot ``position mod W`` of a W-token ring.

The layer follows the model's family (``ModelShape``): LayerNorm or RMSNorm,
rotary position embedding of q and k after the QKV GEMV, grouped K/V heads,
a GELU, ReLU or SwiGLU MLP (SwiGLU's gate and up matrices stacked into one
GEMV as Q, K and V are), biases where the family has them, and with a
parallel residual both branches read the layer input (their sum is added
once the MLP is done).

With ``generation.batch`` B > 1, B sequences decode in lockstep: every op
carries ``batch = B`` (a GEMV multiplies B input vectors by one matrix;
attention and K/V writes run once per sequence, each over its own cache;
vector ops run once per sequence). Counts below are for the whole batch.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Iterator

from pimsim.config.workload import ModelShape, Workload

GEMV = "gemv"
ATTENTION = ("attn_score", "attn_value")
NORMS = ("layernorm", "rmsnorm")
ACTIVATIONS = ("gelu", "relu", "swiglu")
EMBEDS = ("embed", "token_embed")  # token + learned position rows summed; the token row alone (rotary)
VECTOR = (*NORMS, "softmax", "scale", *ACTIVATIONS, "rope", "bias", "residual", "argmax", *EMBEDS)
KINDS = (GEMV, *ATTENTION, "kv_write", *VECTOR)


@dataclass(frozen=True)
class Op:
    """One unit of work in a forward pass; which fields matter depends on ``kind``."""

    kind: str  # one of KINDS
    name: str  # e.g. "L3.qkv", "L3.attn.score", "final.ln", "lm_head"
    layer: int  # -1 outside the layers
    rows: int = 0  # gemv: output size (matrix rows)
    cols: int = 0  # gemv: input size (matrix columns)
    elements: int = 0  # vector ops: element count (softmax/scale: per group)
    groups: int = 1  # softmax/scale: independent rows (heads)
    heads: int = 0  # attention ops and kv_write: query heads (kv_write: K/V heads)
    kv_heads: int = 0  # attention ops: K/V heads when fewer than ``heads`` (grouped-query); 0: as many
    d_head: int = 0  # attention ops and kv_write
    context: int = 0  # attention ops: cached tokens incl. the current one; kv_write: slot + 1
    batch: int = 1  # sequences decoding in lockstep: gemv input vectors; attention, kv_write: sequences,
                    # each over its own cache; vector ops: the op once per sequence
    weight: str = ""  # gemv: the matrix it reads ("L3.qkv", ..., "wte" for a tied LM head, else "lm_head")

    @property
    def signature(self) -> tuple:
        """All shape fields (not name, layer or weight): identical work has identical signatures."""
        return (self.kind, self.rows, self.cols, self.elements, self.groups, self.heads, self.kv_heads,
                self.d_head, self.context, self.batch)

    @property
    def n_kv_heads(self) -> int:
        """K/V heads an attention op reads (``heads`` unless grouped)."""
        return self.kv_heads or self.heads


OP_FIELDS = tuple(f.name for f in fields(Op))
OP_DEFAULTS = {f.name: f.default for f in fields(Op) if f.name not in ("kind", "name", "layer")}


def _gemv(m: ModelShape, layer: int, matrix: str, rows: int, cols: int) -> list[Op]:
    """A layer's GEMV and, where the family has one, its bias add."""
    name = f"L{layer}.{matrix}"
    ops = [Op("gemv", name, layer, rows=rows, cols=cols, weight=name)]
    if m.bias == "all" or (m.bias == "qkv" and matrix == "qkv"):
        ops.append(Op("bias", f"{name}.bias", layer, elements=rows))
    return ops


def _layer_ops(m: ModelShape, layer: int, position: int) -> list[Op]:
    d, h, dh, ff = m.d_model, m.heads, m.d_head, m.d_ff
    p = f"L{layer}"
    seen, slot = m.attended(position), position % m.kv_span + 1
    grouped = m.n_kv_heads if m.n_kv_heads != h else 0
    (qkv, q_rows, _), (proj, _, _), (up, up_rows, _), (down, _, down_cols) = m.layer_matrices()
    ops = [Op(m.norm, f"{p}.ln1", layer, elements=d), *_gemv(m, layer, qkv, q_rows, d)]
    if m.positions == "rotary":
        ops.append(Op("rope", f"{p}.rope", layer, elements=(h + m.n_kv_heads) * m.n_rotary_dims))
    ops += [
        Op("kv_write", f"{p}.kv_write", layer, elements=2 * m.d_kv, heads=m.n_kv_heads, d_head=dh, context=slot),
        Op("attn_score", f"{p}.attn.score", layer, heads=h, kv_heads=grouped, d_head=dh, context=seen),
        Op("scale", f"{p}.attn.scale", layer, elements=seen, groups=h),
        Op("softmax", f"{p}.attn.softmax", layer, elements=seen, groups=h),
        Op("attn_value", f"{p}.attn.value", layer, heads=h, kv_heads=grouped, d_head=dh, context=seen),
        *_gemv(m, layer, proj, d, d),
    ]
    attn_residual = Op("residual", f"{p}.attn.residual", layer, elements=d)
    if not m.parallel_residual:
        ops.append(attn_residual)
    ops += [Op(m.norm, f"{p}.ln2", layer, elements=d), *_gemv(m, layer, up, up_rows, d),
            Op(m.mlp, f"{p}.{m.mlp}", layer, elements=ff), *_gemv(m, layer, down, d, down_cols)]
    if m.parallel_residual:
        ops.append(attn_residual)
    ops.append(Op("residual", f"{p}.mlp.residual", layer, elements=d))
    return ops


def token_ops(model: ModelShape, position: int, logits: bool, batch: int = 1,
              templates: dict | None = None) -> list[Op]:
    """The ops of the forward pass for the token at 0-based ``position``.

    ``embed`` (token embedding, plus the position's for learned positions), then per layer
    (GPT-2): LayerNorm, QKV GEMV and bias, the K/V write of this token, attention (score, scale by
    1/sqrt(d_head), softmax, value), output projection and bias, residual; LayerNorm, FC1 and
    bias, GELU, FC2 and bias, residual. Other families as the module docstring says. With
    ``logits``: the final norm, the LM head GEMV (reading ``wte`` when tied) and argmax.
    ``batch``: sequences in lockstep (every op carries it; module docstring). ``templates``: a
    dict kept across the calls of one run (``_pass_ops``).
    """
    if not 0 <= position < model.context:
        raise ValueError(f"position {position} outside the context of {model.context} tokens")
    return _pass_ops(model, position, logits, templates, batch)


CONTEXT_KINDS = ("kv_write", *ATTENTION, "scale", "softmax")  # the ops whose shape follows the position


def _at(op: Op, seen: int, slot: int) -> Op:
    """``op`` of a layer's template at another position: ``slot`` for the K/V write, ``seen`` tokens
    for attention."""
    if op.kind == "kv_write":
        return Op(op.kind, op.name, op.layer, op.rows, op.cols, op.elements, op.groups, op.heads, op.kv_heads,
                  op.d_head, slot, op.batch, op.weight)
    if op.kind in ATTENTION:
        return Op(op.kind, op.name, op.layer, op.rows, op.cols, op.elements, op.groups, op.heads, op.kv_heads,
                  op.d_head, seen, op.batch, op.weight)
    return Op(op.kind, op.name, op.layer, op.rows, op.cols, seen, op.groups, op.heads, op.kv_heads,
              op.d_head, op.context, op.batch, op.weight)


def _pass_ops(model: ModelShape, position: int, logits: bool, templates: dict | None = None,
              batch: int = 1) -> list[Op]:
    """The pass's ops for ``batch`` sequences; ``templates`` (layer -> its ops at position 0, for
    this batch: one dict per run) spares rebuilding the ops that do not depend on the position, and
    copying them for the batch, pass after pass."""
    embed = "embed" if model.positions == "learned" else "token_embed"
    ops = [Op(embed, "embed", -1, elements=model.d_model, batch=batch)]
    seen, slot = model.attended(position), position % model.kv_span + 1
    for layer in range(model.layers):
        if templates is None:
            layer_ops = _layer_ops(model, layer, position)
            ops.extend(layer_ops if batch == 1 else [replace(op, batch=batch) for op in layer_ops])
            continue
        template = templates.get(layer)
        if template is None:
            template = _layer_ops(model, layer, 0)
            template = templates[layer] = template if batch == 1 else [replace(op, batch=batch) for op in template]
        ops.extend(_at(op, seen, slot) if op.kind in CONTEXT_KINDS else op for op in template)
    if logits:
        ops.append(Op(model.norm, "final.ln", -1, elements=model.d_model, batch=batch))
        ops.append(Op("gemv", "lm_head", -1, rows=model.vocab, cols=model.d_model, batch=batch,
                      weight="wte" if model.tied_embeddings else "lm_head"))
        ops.append(Op("argmax", "argmax", -1, elements=model.vocab, batch=batch))
    return ops


def forward_passes(workload: Workload) -> int:
    """``P + N - 1`` passes for a P-token prompt and N generated tokens (``P`` when N = 0)."""
    gen = workload.generation
    return gen.prompt_tokens + max(gen.output_tokens - 1, 0)


def generation_ops(workload: Workload) -> Iterator[tuple[int, bool, list[Op]]]:
    """``(position, is_prompt, ops)`` for every forward pass of the run, in order.

    Prompt tokens come one at a time; logits are computed by the last prompt token's pass and
    by every later pass (see the module docstring for the count).
    """
    gen = workload.generation
    prompt = gen.prompt_tokens
    logits_from = prompt - 1 if gen.output_tokens > 0 else prompt
    templates: dict = {}
    for position in range(forward_passes(workload)):
        yield position, position < prompt, token_ops(workload.model, position, position >= logits_from, gen.batch,
                                                     templates)


def flops(op: Op) -> int:
    """Arithmetic of one op: a multiply-add counts 2; vector ops count one per element.

    gemv ``2 rows cols``; attention ``2 heads d_head context``; kv_write 0 (data movement);
    vector ops ``elements x groups`` (a nominal count; the ASIC's cost model lives in ``asic``);
    each times ``batch``.
    """
    if op.kind == GEMV:
        return 2 * op.rows * op.cols * op.batch
    if op.kind in ATTENTION:
        return 2 * op.heads * op.d_head * op.context * op.batch
    if op.kind == "kv_write":
        return 0
    return op.elements * op.groups * op.batch


def weight_bytes(op: Op, dtype_bytes: int) -> int:
    """Bytes of weight matrix a gemv streams (``rows x cols``, once for the whole batch); 0 for every
    other op."""
    return op.rows * op.cols * dtype_bytes if op.kind == GEMV else 0


EMBEDDING_ROWS = {"embed": 2, "token_embed": 1}  # the token's wte row (and its position's wpe row)


def memory_bytes(op: Op, dtype_bytes: int) -> dict[str, int]:
    """Bytes a processor without PIM moves to or from DRAM for ``op``: the weights a gemv streams,
    the KV cache attention reads and kv_write writes, and the embedding rows an embed reads. Vectors
    between ops are assumed to stay on the processor (caches, registers)."""
    rows = EMBEDDING_ROWS.get(op.kind, 0) * op.elements * dtype_bytes * op.batch
    return {"weights": weight_bytes(op, dtype_bytes), "kv_cache": kv_bytes(op, dtype_bytes), "activations": rows}


def kv_bytes(op: Op, dtype_bytes: int) -> int:
    """KV-cache bytes an op reads (attention: K or V of every cached token) or writes (kv_write), over
    the batch's sequences."""
    if op.kind in ATTENTION:
        return op.n_kv_heads * op.d_head * op.context * dtype_bytes * op.batch
    if op.kind == "kv_write":
        return op.elements * dtype_bytes * op.batch
    return 0
