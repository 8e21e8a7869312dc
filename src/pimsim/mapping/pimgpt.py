"""The PIM-GPT mapping: each op of a token becomes per-channel macro programs plus ASIC work.

GEMV (weights, LM head) and attention run in the banks; everything else on
the ASIC. For a matrix laid out by ``layout.plan_matrix``, each chunk k of
the input goes to every channel's global buffer (``pack`` copies), then the
channel runs all-bank row bursts over the rows its fullest bank holds, and
reads each row's results back (one RDMAC per result per bank). Chunks give
partial sums that the ASIC adds. Q.K^T is such a GEMV over the cached K
rows (one result per head a segment touches); scores.V runs per head on the
channel holding that head's V^T, with that head's scores as the input; new
K and V are written into the space reserved for them. With grouped-query
attention (``group`` query heads per K/V head) both run once per query head
of a group: the global buffer holds one input vector, so each pass re-reads
the shared K or V rows with the next query (or score) vector.

A batch of B sequences (``ModelPlacement.batch``) shares the weights and
keeps a KV cache per sequence. A GEMV serves its B input vectors in passes
over the weight rows: with ``batch_inputs: hold`` each pass holds as many
vectors as the global buffer has rows for (``Geometry.gb_vectors``) and the
accumulators have room for (each held vector needs its own results per
row), so one activation serves them all (B x the MAC commands per open
row, B x the results read out); with ``passes`` (or a one-row buffer) every
vector takes its own pass. Attention, K/V writes and embedding reads run
once per sequence, each on its own cache; ASIC work runs once per sequence.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from math import ceil
from typing import Optional

from pimsim.config.workload import ModelShape
from pimsim.mapping.layout import MatrixLayout
from pimsim.mapping.macro import AllBankWrite, GbWrite, MacRows, RowRead, RowWrite
from pimsim.mapping.placement import ModelPlacement, heads_per_segment, kv_name
from pimsim.workload.ops import EMBEDS, NORMS, Op

SEQUENTIAL = (*NORMS, "argmax")  # reductions over one sequence's vector: once per sequence
ATTENTION_VECTOR = ("scale", "softmax")  # vector ops over the attended tokens: new every token


@dataclass(frozen=True)
class AsicOp:
    kind: str
    n: int
    shape: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class MappedOp:
    name: str
    kind: str
    programs: Optional[tuple[tuple, ...]]  # per channel; None: no PIM work
    asic: tuple[AsicOp, ...] = ()
    after: Optional[tuple[str, ...]] = None  # ops it needs (for overlap); None: the previous op
    # per channel, a key that programs of equal signature (``program_signature``) share: what the
    # program is built from but the layer's rows (every layer's attention is laid out alike); None:
    # not given
    shapes: Optional[tuple] = None


class PimGptMapper:
    """Registered as ``pimgpt``: the default mapping strategy."""

    def __init__(self, placement: ModelPlacement, batch_inputs: str = "hold") -> None:
        self.p = placement
        self.geo = placement.geo
        self.model: ModelShape = placement.model
        self.batch = placement.batch
        self.batch_inputs = batch_inputs  # "hold" | "passes" (generation.batch_inputs)
        self._cache: dict[tuple, MappedOp] = {}
        self._layout_shapes: dict[int, tuple] = {}  # id(layout) -> (layout, its shape: ``_shapes``)
        # (kind, layer) -> (what its programs are built from, the op): a layer's V write and attention
        # value op stay the same for the tokens that fill one MAC column (``_latest_op``)
        self._latest: dict[tuple, tuple] = {}
        self._score_programs: dict[int, dict[int, tuple]] = {}  # layer -> K rows held -> program
        self._all_banks = tuple(self.geo.bank_addr(b) for b in range(self.geo.banks))

    # -- GEMV over a laid-out matrix --------------------------------------------
    def _mac_program(self, m: MatrixLayout, c: int, upto: Optional[int], reads_per_seg: int,
                     vectors: int = 1) -> tuple:
        """Channel c's program for a GEMV over the first ``upto`` rows of ``m``, ``vectors`` input
        vectors held in the global buffer at once (each open row multiplied by every one)."""
        geo, prog = self.geo, []
        held = m.channel_rows(c, upto)
        if held == 0:
            return ()
        for k in range(m.chunks):
            length = m.chunk_len(k)
            prog.append(GbWrite(geo.bursts(min(m.pack, held) * length) * vectors))
            full, last = divmod(held, m.pack)
            row = m.row0 + k * m.rows_per_chunk
            if full:
                prog.append(self._rows(row, full, m.pack * geo.cols(length) * vectors,
                                       m.pack * reads_per_seg * vectors))
            if last:
                prog.append(self._rows(row + full, 1, last * geo.cols(length) * vectors,
                                       last * reads_per_seg * vectors))
        return tuple(prog)

    def held_vectors(self, m: MatrixLayout, reads_per_seg: int = 1) -> int:
        """Input vectors one pass over ``m`` serves: the batch, capped by the global buffer's rows and
        by the accumulators (a row's ``pack x reads_per_seg`` results for each vector); 1 for
        ``batch_inputs: passes``."""
        if self.batch_inputs == "passes":
            return 1
        room = self.geo.accumulators // (m.pack * reads_per_seg)
        return max(1, min(self.batch, self.geo.gb_vectors, room))

    def _batched_program(self, m: MatrixLayout, c: int, reads_per_seg: int = 1) -> tuple:
        """Channel c's passes over all of ``m`` for the batch's input vectors."""
        if self.batch == 1:
            return self._mac_program(m, c, None, reads_per_seg)
        held = self.held_vectors(m, reads_per_seg)
        full, rest = divmod(self.batch, held)
        prog = self._mac_program(m, c, None, reads_per_seg, held) * full
        return prog + self._mac_program(m, c, None, reads_per_seg, rest) if rest else prog

    def _rows(self, row: int, rows: int, cols: int, reads: int) -> MacRows:
        """Row bursts whose results are read out once per group of rows the accumulators can hold."""
        group = max(1, self.geo.accumulators // reads) if reads else 1
        return MacRows(row, rows, cols, reads, group=group, precharge=self.geo.precharge)

    def _per_channel(self, build, key, tag: tuple | None = None, layouts: list = ()) -> tuple:
        """Each channel's program, built once per distinct ``key(c)``: channels doing the same work get
        the very same program object (the system runs channels in lockstep when programs match).
        With ``tag``: (programs, their ``MappedOp.shapes``), see ``_shapes``."""
        made: dict = {}
        keys = [key(c) for c in range(self.geo.channels)]
        programs = tuple(made[k] if k in made else made.setdefault(k, build(c)) for c, k in enumerate(keys))
        if tag is None:
            return programs
        return programs, self._shapes(tag, layouts, keys)

    def _shapes(self, tag: tuple, layouts: list, keys: list) -> tuple | None:
        """``MappedOp.shapes``: per channel, the op's ``tag`` (what its programs are built from besides
        the layouts and the channel), the shape of each layout it reads (all but its name and first
        row) and the channel's key. None with lazy precharge, where a signature keeps row numbers."""
        if self.geo.precharge == "lazy":
            return None
        cached = self._layout_shapes
        forms = []
        for lay in layouts:
            form = cached.get(id(lay))
            if form is None or form[0] is not lay:
                form = cached[id(lay)] = (lay, replace(lay, name="", row0=0))
            forms.append(form[1])
        head = (*tag, tuple(forms))
        return tuple((head, k) for k in keys)

    def gemv(self, op: Op) -> MappedOp:
        m = self.p.matrices[op.weight]
        programs = self._per_channel(lambda c: self._batched_program(m, c), m.channel_rows)
        asic = (AsicOp("reduce", op.rows * self.batch, (("inputs", m.chunks),)),) if m.chunks > 1 else ()
        return MappedOp(op.name, op.kind, programs, asic)

    # -- attention -------------------------------------------------------------
    def attn_score(self, op: Op) -> MappedOp:
        ks = [self.p.matrices[kv_name(op.layer, "k", b)] for b in range(self.batch)]
        group, k = self.model.group, ks[0]
        per_seg = heads_per_segment(self.model, k.seg)
        # a channel's program depends on the layer and the K rows it holds, which grow one channel at
        # a time: the others keep theirs (the very same objects) from the token before
        kept = self._score_programs.setdefault(op.layer, {})
        if len(kept) > 4 * self.geo.channels:
            kept.clear()

        def build(c: int) -> tuple:
            held = k.channel_rows(c, op.context)
            prog = kept.get(held)
            if prog is None:
                prog = kept[held] = sum((self._mac_program(kb, c, op.context, per_seg) * group for kb in ks), ())
            return prog

        programs, shapes = self._per_channel(build, lambda c: k.channel_rows(c, op.context),
                                             ("attn_score", op.context, per_seg, group), ks)
        results = op.heads * op.context * self.batch
        asic = (AsicOp("reduce", results, (("inputs", k.chunks),)),) if k.chunks > 1 else ()
        return MappedOp(op.name, op.kind, programs, asic, shapes=shapes)

    def attn_value(self, op: Op) -> MappedOp:
        vs = [self.p.values[kv_name(op.layer, "v", b)] for b in range(self.batch)]
        v, geo, group = vs[0], self.geo, self.model.group
        fpb = v.features_per_bank

        def build(c: int) -> tuple:
            prog = []
            for vb in vs:  # each sequence's cache
                for q in range(vb.heads_in_channel(c) * group):
                    s = q // group  # the K/V head slot, once per query head of its group
                    for mchunk in range(ceil(op.context / vb.seg)):
                        tokens = min(vb.seg, op.context - mchunk * vb.seg)
                        row = vb.row0 + mchunk * vb.rows_per_chunk + (s * fpb) // vb.pack
                        full, last = divmod(fpb, vb.pack)
                        prog.append(GbWrite(geo.bursts(min(vb.pack, fpb) * tokens)))
                        if full:
                            prog.append(self._rows(row, full, vb.pack * geo.cols(tokens), vb.pack))
                        if last:
                            prog.append(self._rows(row + full, 1, last * geo.cols(tokens), last))
            return tuple(prog)

        programs, shapes = self._per_channel(build, v.heads_in_channel, ("attn_value", op.context, group), vs)
        chunks = ceil(op.context / v.seg)
        asic = (AsicOp("reduce", self.model.d_model * self.batch, (("inputs", chunks),)),) if chunks > 1 else ()
        return MappedOp(op.name, op.kind, programs, asic, shapes=shapes)

    def _value_form(self, op: Op) -> tuple:
        """What ``attn_value``'s programs take from the context: per sequence's V cache, its chunks and
        the last chunk's burst and column counts (the programs are the same while these are)."""
        form = []
        for b in range(self.batch):
            vb = self.p.values[kv_name(op.layer, "v", b)]
            chunks = ceil(op.context / vb.seg)
            last = op.context - (chunks - 1) * vb.seg
            form.append((chunks, self.geo.bursts(min(vb.pack, vb.features_per_bank) * last), self.geo.cols(last)))
        return tuple(form)

    @staticmethod
    def _with_after(m: MappedOp, after: tuple[str, ...]) -> MappedOp:
        return MappedOp(m.name, m.kind, m.programs, m.asic, after=after, shapes=m.shapes)

    def k_write(self, op: Op) -> MappedOp:
        """This token's K into its reserved slot (one bank, one write per chunk), for every sequence."""
        geo, t = self.geo, op.context - 1
        programs = [[] for _ in range(geo.channels)]
        for seq in range(self.batch):
            k = self.p.matrices[kv_name(op.layer, "k", seq)]
            for chunk in range(k.chunks):
                c, b, row, slot = k.location(t, chunk)
                col = slot * geo.cols(k.seg)
                programs[c].append(RowWrite(geo.bank_addr(b), row, col, geo.bursts(k.chunk_len(chunk))))
        ks = [self.p.matrices[kv_name(op.layer, "k", seq)] for seq in range(self.batch)]
        shapes = self._shapes(("k_write", t), ks, list(range(geo.channels)))
        return MappedOp(f"{op.name}.k", op.kind, tuple(tuple(p) for p in programs), shapes=shapes)

    def _latest_op(self, kind: str, layer: int, key: tuple, make) -> MappedOp:
        """The layer's ``kind`` op built from ``key`` (``make()`` when the latest one of that layer was
        built from another): an op whose programs do not change from one token to the next is the
        very same object, so its steps and signatures are worked out once."""
        known = self._latest.get((kind, layer))
        if known is not None and known[0] == key:
            return known[1]
        mapped = make()
        self._latest[(kind, layer)] = (key, mapped)
        return mapped

    def v_write(self, op: Op, after: Optional[tuple[str, ...]]) -> MappedOp:
        """This token's V: one element per feature row, one all-bank write per row of feature segments,
        for every sequence (the same programs for the tokens that share a MAC column)."""
        vs = [self.p.values[kv_name(op.layer, "v", b)] for b in range(self.batch)]
        mchunk, elem = divmod(op.context - 1, vs[0].seg)
        return self._latest_op("v_write", op.layer, (mchunk, elem // self.geo.col_elems, after),
                               lambda: self._v_write(op, after, vs, mchunk, elem))

    def _v_write(self, op: Op, after: Optional[tuple[str, ...]], vs: list, mchunk: int, elem: int) -> MappedOp:
        geo, t = self.geo, op.context - 1
        banks = self._all_banks

        def build(c: int) -> tuple:
            prog = []
            for v in vs:
                segs = v.heads_in_channel(c) * v.features_per_bank
                for q0 in range(0, segs, v.pack):
                    row = v.row0 + mchunk * v.rows_per_chunk + q0 // v.pack
                    prog.append(AllBankWrite(row, elem // geo.col_elems, min(v.pack, segs - q0), banks))
            return tuple(prog)

        programs, shapes = self._per_channel(build, vs[0].heads_in_channel, ("v_write", t), vs)
        return MappedOp(f"{op.name}.v", op.kind, programs, after=after, shapes=shapes)

    def embed(self, op: Op, position: int) -> MappedOp:
        """Read each sequence's token row of wte and (learned positions) the position's row of wpe,
        shared by the batch; the ASIC adds them. The token ids are not simulated (no real text):
        (position x 7919 + sequence x 104729) mod vocab stands in for them."""
        geo = self.geo
        programs = [[] for _ in range(geo.channels)]
        rows = [("wte", (position * 7919 + seq * 104729) % self.model.vocab) for seq in range(self.batch)]
        for name, i in rows + [("wpe", position)] if op.kind == "embed" else rows:
            m = self.p.matrices[name]
            for chunk in range(m.chunks):
                c, b, row, slot = m.location(i, chunk)
                programs[c].append(RowRead(geo.bank_addr(b), row, slot * geo.cols(m.seg),
                                           geo.bursts(m.chunk_len(chunk))))
        asic = (AsicOp("embed", op.elements * self.batch),) if op.kind == "embed" else ()
        return MappedOp(op.name, op.kind, tuple(tuple(p) for p in programs), asic)

    def _vector_work(self, op: Op) -> tuple[AsicOp, ...]:
        """ASIC work of a vector op for the batch: element-wise work streams the B sequences' vectors
        as one; softmax takes their rows as more groups; norms and argmax run once per sequence."""
        b = self.batch
        if op.kind == "softmax":
            return (AsicOp(op.kind, op.elements, (("groups", op.groups * b),)),)
        if op.kind in SEQUENTIAL:
            return (AsicOp(op.kind, op.elements),) * b
        return (AsicOp(op.kind, op.elements * (op.groups if op.kind == "scale" else 1) * b),)

    # -- a token ---------------------------------------------------------------
    def token(self, position: int, ops: list[Op]) -> list[MappedOp]:
        """A token's ops in issue order. The new V is written after Q.K^T, needing only the QKV
        output, so with ``sim.overlap`` it runs while the ASIC scales and softmaxes the scores."""
        out: list[MappedOp] = []
        pending_v: Optional[MappedOp] = None
        for op in ops:
            prev = out[-1].name if out else None
            if op.kind == "gemv":
                key = ("gemv", op.name)
                if key not in self._cache:
                    self._cache[key] = self.gemv(op)
                out.append(self._cache[key])
            elif op.kind == "kv_write":
                out.append(self.k_write(op))
                pending_v = self.v_write(op, after=(prev,) if prev else ())
            elif op.kind == "attn_score":
                out.append(self.attn_score(op))
                if pending_v is not None:
                    out.append(pending_v)
            elif op.kind == "attn_value":
                after = (prev, *((pending_v.name,) if pending_v is not None else ()))
                out.append(self._latest_op("attn_value", op.layer, (self._value_form(op), after),
                                           lambda: self._with_after(self.attn_value(op), after)))
                pending_v = None
            elif op.kind in EMBEDS:
                out.append(self.embed(op, position))
            else:
                after = None
                if op.kind == "scale" and pending_v is not None:
                    after = (out[-2].name,)  # the scores, not the V write
                key = ("vector", op, after)  # (the same every token, but for the attention's length)
                mapped = self._cache.get(key)
                if mapped is None:
                    mapped = MappedOp(op.name, op.kind, None, self._vector_work(op), after)
                    if op.kind not in ATTENTION_VECTOR:
                        self._cache[key] = mapped
                out.append(mapped)
        return out


MAPPINGS = {"pimgpt": PimGptMapper}
