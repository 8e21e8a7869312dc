"""Mapping invariants on random small models and hardware: every element once, nothing overlaps,
capacity respected, MAC column commands equal the hand count."""

from __future__ import annotations

from math import ceil

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pimsim.config.workload import ModelShape
from pimsim.errors import PimsimError
from pimsim.mapping.layout import Geometry
from pimsim.mapping.macro import MacRows
from pimsim.mapping.pimgpt import PimGptMapper
from pimsim.mapping.placement import heads_per_segment, place_model, weight_matrices
from pimsim.workload.ops import Op

geometries = st.builds(
    Geometry, channels=st.sampled_from([1, 2, 4]), banks=st.sampled_from([4, 8, 16]), bank_groups=st.just(4),
    rows=st.just(100_000), row_elems=st.sampled_from([64, 128, 256]), col_elems=st.sampled_from([4, 8, 16]),
    elem_bytes=st.just(2), burst_bytes=st.just(32), accumulators=st.sampled_from([8, 16, 32]))


@st.composite
def models(draw):
    """GPT-2 shapes and the other families: grouped K/V heads, SwiGLU, rotary, a sliding window."""
    heads = draw(st.sampled_from([1, 2, 3, 4, 6]))
    d_head = draw(st.sampled_from([8, 12, 16, 40]))
    kv_heads = draw(st.sampled_from([k for k in range(1, heads + 1) if heads % k == 0]))
    return ModelShape(layers=draw(st.integers(1, 2)), d_model=heads * d_head, heads=heads, d_head=d_head,
                      d_ff=draw(st.sampled_from([32, 48, 100])), vocab=draw(st.integers(5, 70)),
                      context=draw(st.integers(2, 40)), tied_embeddings=draw(st.booleans()), kv_heads=kv_heads,
                      mlp=draw(st.sampled_from(["gelu", "relu", "swiglu"])),
                      positions=draw(st.sampled_from(["learned", "rotary"])),
                      sliding_window=draw(st.sampled_from([None, 3, 17])))


def fits(model, geo):
    return heads_per_segment(model, geo.row_elems) <= geo.accumulators


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=models(), geo=geometries, batch=st.sampled_from([1, 1, 2, 3]))
def test_every_element_is_stored_exactly_once_within_its_region(model, geo, batch):
    try:
        placement = place_model(model, geo, batch=batch)
    except PimsimError:
        assume(False)
    used: dict[tuple, str] = {}

    def put(c, b, row, elem, what, lo, hi):
        assert lo <= row < hi and 0 <= elem < geo.row_elems and 0 <= c < geo.channels and 0 <= b < geo.banks
        key = (c, b, row, elem)
        assert key not in used, f"{what} overlaps {used[key]}"
        used[key] = what

    for m in placement.matrices.values():
        lo, hi = m.row0, m.row0 + m.dram_rows
        for i in range(m.rows):
            for k in range(m.chunks):
                c, b, row, slot = m.location(i, k)
                for e in range(m.chunk_len(k)):
                    put(c, b, row, slot * m.seg + e, f"{m.name}[{i},{k * m.seg + e}]", lo, hi)
    for v in placement.values.values():
        lo, hi = v.row0, v.row0 + v.dram_rows
        for h in range(v.heads):
            for f in range(v.d_head):
                for t in range(v.context):
                    c, b, row, slot, e = v.location(h, f, t)
                    put(c, b, row, slot * v.seg + e, f"{v.name}[{h},{f},{t}]", lo, hi)
    assert placement.rows_used <= geo.rows
    assert max(key[2] for key in used) < placement.rows_used
    weights = sum(r * c for _, r, c in weight_matrices(model))
    kv = 2 * model.layers * model.kv_span * model.d_kv * batch  # K and V of kv_heads heads, per sequence
    assert len(used) == weights + kv  # every element once, none lost


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=models(), geo=geometries, rows=st.integers(1, 300), cols=st.integers(1, 600))
def test_mac_columns_equal_the_hand_count(model, geo, rows, cols):
    try:
        placement = place_model(model, geo)
    except PimsimError:
        assume(False)
    from pimsim.mapping.layout import plan_matrix

    m = plan_matrix("w", rows, cols, geo, 0)
    placement.matrices["w"] = m
    mapped = PimGptMapper(placement).gemv(Op("gemv", "w", 0, rows=rows, cols=cols, weight="w"))
    macs = sum(mr.rows * mr.cols for prog in mapped.programs for mr in prog if isinstance(mr, MacRows))
    # hand count: each channel streams the rows its fullest bank holds, chunk by chunk
    expected = sum(m.channel_rows(c) * sum(ceil(m.chunk_len(k) / geo.col_elems) for k in range(m.chunks))
                   for c in range(geo.channels))
    assert macs == expected
    assert sum(m.rows_in_bank(g) for g in range(geo.total_banks)) == rows
    assert m.seg * m.chunks >= cols and m.pack * m.seg <= geo.row_elems


def test_a_model_that_does_not_fit_says_how_much_it_needs():
    geo = Geometry(channels=1, banks=4, bank_groups=4, rows=10, row_elems=64, col_elems=16, elem_bytes=2,
                   burst_bytes=32, accumulators=8)
    model = ModelShape(layers=2, d_model=64, heads=2, d_head=32, d_ff=256, vocab=512, context=64,
                       tied_embeddings=True)
    with pytest.raises(PimsimError, match=r"need \d+ rows per bank \(.* KiB over 1 channel\), the config has 10 "
                                          r"\(5.0 KiB\); not even 1024 channels hold it"):
        place_model(model, geo, "tiny")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=models(), geo=geometries, position=st.integers(0, 39))
def test_grouped_attention_streams_the_shared_k_and_v_once_per_query_head(model, geo, position):
    """q.K^T and scores.V make ``group`` passes over the K/V rows (the global buffer holds one query
    or score vector): the MAC columns are group x those of one pass, and every MAC lane covers at
    least one element of the heads x d_head x attended products."""
    assume(position < model.context)
    try:
        placement = place_model(model, geo)
    except PimsimError:
        assume(False)
    mapper = PimGptMapper(placement)
    seen = model.attended(position)
    macs = {}
    for kind in ("attn_score", "attn_value"):
        op = Op(kind, kind, 0, heads=model.heads, kv_heads=model.n_kv_heads, d_head=model.d_head, context=seen)
        mapped = getattr(mapper, kind)(op)
        macs[kind] = sum(mr.rows * mr.cols for prog in mapped.programs for mr in prog if isinstance(mr, MacRows))
    k = placement.matrices["L0.k"]
    one_pass = sum(k.channel_rows(c, seen) * sum(ceil(k.chunk_len(j) / geo.col_elems) for j in range(k.chunks))
                   for c in range(geo.channels))
    assert macs["attn_score"] == model.group * one_pass
    v = placement.values["L0.v"]
    per_head = sum(ceil(min(v.seg, seen - m * v.seg) / geo.col_elems) for m in range(ceil(seen / v.seg)))
    busiest = max(v.heads_in_channel(c) for c in range(geo.channels))
    assert macs["attn_value"] == model.group * sum(v.heads_in_channel(c) for c in range(geo.channels)) \
        * v.features_per_bank * per_head
    lanes = geo.col_elems * geo.banks
    assert macs["attn_score"] * lanes >= model.heads * model.d_head * seen
    assert busiest >= 1


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=models(), batch=st.sampled_from([1, 2]))
def test_a_runs_passes_built_from_layer_templates_equal_each_pass_built_alone(model, batch):
    from pimsim.workload.ops import token_ops

    templates: dict = {}
    for position in range(model.context):
        logits = position % 2 == 0
        assert token_ops(model, position, logits, batch, templates) == token_ops(model, position, logits, batch)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=models(), geo=geometries, batch=st.sampled_from([1, 2]),
       positions=st.lists(st.integers(0, 39), max_size=4))
def test_programs_of_one_shape_have_one_signature_in_every_layer_and_token(model, geo, batch, positions):
    """``MappedOp.shapes`` may stand for a program's signature: programs the mapper gives the same
    shape (whatever their layer, token or channel) have the same ``program_signature``."""
    from pimsim.mapping.macro import program_signature
    from pimsim.workload.ops import token_ops

    try:
        mapper = PimGptMapper(place_model(model, geo, batch=batch))
    except PimsimError:
        assume(False)
    by_shape: dict = {}
    shaped = 0
    for position in positions:
        if position >= model.context:
            continue
        for m in mapper.token(position, token_ops(model, position, True, batch)):
            for program, shape in zip(m.programs or (), m.shapes or ()):
                if program:
                    shaped += 1
                    assert by_shape.setdefault(shape, program_signature(program)) == program_signature(program)
    assume(shaped > 0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=models(), geo=geometries, batch=st.sampled_from([1, 2]))
def test_ops_kept_from_the_tokens_before_equal_the_ops_built_afresh(model, geo, batch):
    """A layer's V write and attention value op are kept while what they are built from stays the same
    (``PimGptMapper._latest_op``), and a channel's attention score program while its K rows do: pass
    after pass, every op equals the one a fresh mapper builds for that pass alone (all but ``shapes``,
    which only names signatures)."""
    from pimsim.workload.ops import token_ops

    try:
        placement = place_model(model, geo, batch=batch)
    except PimsimError:
        assume(False)
    kept = PimGptMapper(placement)
    reused = 0
    seen: set[int] = set()
    for position in range(model.context):
        ops = token_ops(model, position, True, batch)
        ours, fresh = kept.token(position, ops), PimGptMapper(placement).token(position, ops)
        assert [(m.name, m.kind, m.programs, m.asic, m.after) for m in ours] == \
               [(m.name, m.kind, m.programs, m.asic, m.after) for m in fresh]
        reused += sum(id(m) in seen for m in ours if m.kind in ("kv_write", "attn_value"))
        seen.update(id(m) for m in ours)
    assert reused or model.context < 3 or geo.col_elems == 1  # (the test can tell reuse from none)
