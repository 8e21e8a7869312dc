"""Placement of a whole model: every weight matrix and the KV cache of every layer, in DRAM rows.

Regions are allocated one after another from row 0, at the same rows in
every bank (all-bank activates). Space for the K and V of the whole
context (or of the sliding window) is reserved up front; K and V are
``kv_heads x d_head`` wide, so grouped-query models keep a smaller cache. A model that does not fit is refused with
how much it needs and how much there is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pimsim.config.workload import ModelShape
from pimsim.errors import PimsimError
from pimsim.mapping.layout import Geometry, MatrixLayout, VLayout, plan_matrix, plan_v


@dataclass(frozen=True)
class ModelPlacement:
    geo: Geometry
    model: ModelShape
    matrices: dict[str, MatrixLayout]  # weights and K caches, by name (kv_name)
    values: dict[str, VLayout]  # V caches, by name (kv_name)
    rows_used: int
    batch: int = 1  # sequences, each with its own K and V regions

    def summary(self) -> dict:
        """Rows per bank and how fully the activated rows are used."""
        names = {name for name, _, _ in weight_matrices(self.model)}
        weights = [m for n, m in self.matrices.items() if n in names]
        used = sum(m.rows * m.cols for m in weights)
        reserved = sum(m.dram_rows for m in weights) * self.geo.total_banks * self.geo.row_elems
        return {
            "rows_per_bank_used": self.rows_used,
            "rows_per_bank": self.geo.rows,
            "capacity_used": round(self.rows_used / self.geo.rows, 6),
            "weight_rows_per_bank": sum(m.dram_rows for m in weights),
            "kv_rows_per_bank": self.rows_used - sum(m.dram_rows for m in weights),
            "weight_row_utilization": round(used / reserved, 6) if reserved else 0.0,
        }


def kv_name(layer: int, kind: str, seq: int = 0) -> str:
    """Name of a K ("k") or V ("v") cache region: ``L3.k`` for the first sequence, ``L3.k.s2`` for the third."""
    return f"L{layer}.{kind}" if seq == 0 else f"L{layer}.{kind}.s{seq}"


def heads_per_segment(model: ModelShape, seg: int) -> int:
    """Most K/V heads any segment of a K row (``d_kv`` wide) touches (each needs its own accumulator)."""
    most = 0
    for start in range(0, model.d_kv, seg):
        end = min(start + seg, model.d_kv)
        most = max(most, (end - 1) // model.d_head - start // model.d_head + 1)
    return most


def weight_matrices(model: ModelShape) -> list[tuple[str, int, int]]:
    """(name, rows, cols) of every weight matrix the PIM side stores."""
    d = model.d_model
    out = [(f"L{layer}.{name}", rows, cols) for layer in range(model.layers)
           for name, rows, cols in model.layer_matrices()]
    out.append(("wte", model.vocab, d))
    if model.positions == "learned":
        out.append(("wpe", model.context, d))
    if not model.tied_embeddings:
        out.append(("lm_head", model.vocab, d))
    return out


def _lay_out(model: ModelShape, geo: Geometry, need: int, batch: int, span: int) -> tuple[dict, dict, int]:
    """Weights, then each layer's K and V regions (one pair per sequence, ``span`` tokens each), from
    row 0: (matrices, values, rows used)."""
    matrices: dict[str, MatrixLayout] = {}
    values: dict[str, VLayout] = {}
    row = 0
    for mname, rows, cols in weight_matrices(model):
        m = plan_matrix(mname, rows, cols, geo, row)
        matrices[mname] = m
        row += m.dram_rows
    for layer in range(model.layers):
        for seq in range(batch):
            k = plan_matrix(kv_name(layer, "k", seq), span, model.d_kv, geo, row, results_per_segment=need)
            matrices[k.name] = k
            row += k.dram_rows
            v = plan_v(kv_name(layer, "v", seq), model.n_kv_heads, model.d_head, span, geo, row)
            values[v.name] = v
            row += v.dram_rows
    return matrices, values, row


MAX_CHANNELS_SUGGESTED = 1024


def place_model(model: ModelShape, geo: Geometry, name: str = "model", where: str = "", batch: int = 1,
                kv_tokens: int | None = None) -> ModelPlacement:
    """Every weight matrix, then ``batch`` KV caches of ``kv_tokens`` tokens per layer (default: the
    model's context or sliding window)."""
    span = model.kv_span if kv_tokens is None else min(kv_tokens, model.kv_span)
    seg = plan_matrix("k", span, model.d_kv, geo, 0).seg
    need = heads_per_segment(model, seg)
    if need > geo.accumulators:
        raise PimsimError(f"attention over {name} needs {need} accumulators per bank (heads per K segment), "
                          f"the config has {geo.accumulators}", where=where, key="pim.accumulators_per_bank")
    matrices, values, row = _lay_out(model, geo, need, batch, span)
    if row > geo.rows:
        per_row = geo.banks * geo.row_elems * geo.elem_bytes
        fits = next((c for c in range(geo.channels + 1, MAX_CHANNELS_SUGGESTED + 1)
                     if _lay_out(model, replace(geo, channels=c), need, batch, span)[2] <= geo.rows), None)
        hint = (f"; {fits} channels hold it (--set dram.channels={fits})" if fits is not None
                else f"; not even {MAX_CHANNELS_SUGGESTED} channels hold it")
        if kv_tokens is None:
            hint += " (or reserve the KV cache for the run's tokens only: --kv-cache run)"
        caches = f"a {span}-token KV cache" if batch == 1 else f"{batch} KV caches of {span} tokens"
        raise PimsimError(
            f"{name} does not fit: weights and {caches} need {row} rows per bank "
            f"({_size(row * per_row * geo.channels)} over {geo.channels} channel{'s' * (geo.channels > 1)}), the config has {geo.rows} "
            f"({_size(geo.rows * per_row * geo.channels)}){hint}", where=where, key="dram.rows")
    return ModelPlacement(geo, model, matrices, values, row, batch)


def _size(n: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def geometry(dram, pim) -> Geometry:
    """The mapper's view of a resolved DRAM + PIM config."""
    row_elems = dram.row_bytes // pim.element_bytes
    return Geometry(channels=dram.channels, banks=dram.banks_per_rank, bank_groups=dram.bank_groups,
                    rows=dram.rows, row_elems=row_elems, col_elems=pim.mac_lanes, elem_bytes=pim.element_bytes,
                    burst_bytes=dram.request_bytes, accumulators=pim.accumulators_per_bank,
                    precharge=pim.register_path.precharge,
                    gb_vectors=max(1, pim.global_buffer_bytes // dram.row_bytes))


