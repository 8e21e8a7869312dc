"""Where matrix elements live: the PIM-GPT layout of a matrix over channels, banks and rows.

A matrix of ``rows`` x ``cols`` elements is stored row-major along DRAM
rows. Each matrix row is cut into ``chunks`` segments of at most one DRAM
row (the global buffer holds one DRAM row of input, so a segment and its
input chunk line up), rounded up to whole MAC columns. When segments are
short, ``pack`` of them share one DRAM row, and the global buffer holds as
many copies of the input chunk, so every activated row is used as fully as
the segment length allows.

Matrix rows are dealt round-robin over every bank of every channel (global
bank g = channel x banks + bank), so all MAC units work at once. All banks of
a channel activate the same row index together (ACT16), so a matrix occupies
the same DRAM rows in every bank: its region is [row0, row0 + dram_rows).
Within the region, chunk k of the j-th matrix row a bank holds sits in DRAM
row row0 + k x rows_per_chunk + j // pack, slot j % pack.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil


@dataclass(frozen=True)
class Geometry:
    """The PIM hardware as the mapper sees it."""

    channels: int
    banks: int  # per channel
    bank_groups: int
    rows: int  # per bank
    row_elems: int  # elements per DRAM row (= global buffer elements)
    col_elems: int  # elements per MAC column (mac_lanes)
    elem_bytes: int
    burst_bytes: int  # bytes per WRGB / RDMAC / WR burst
    accumulators: int  # per bank
    precharge: str = "eager"  # the issuer's precharge policy (pim.register_path.precharge)
    gb_vectors: int = 1  # input vectors the global buffer holds at once (one DRAM row each)

    @property
    def total_banks(self) -> int:
        return self.channels * self.banks

    def bank_addr(self, bank: int) -> tuple[int, int]:
        """(bank group, bank in group) of a bank index in a channel (groups interleave: b % groups)."""
        return bank % self.bank_groups, bank // self.bank_groups

    def cols(self, elems: int) -> int:
        return ceil(elems / self.col_elems)

    def bursts(self, elems: int) -> int:
        return ceil(elems * self.elem_bytes / self.burst_bytes)


@dataclass(frozen=True)
class MatrixLayout:
    name: str
    rows: int
    cols: int
    chunks: int
    seg: int  # elements per segment (a multiple of the MAC column)
    pack: int  # segments per DRAM row
    row0: int
    rows_per_chunk: int  # DRAM rows per chunk, per bank
    geo: Geometry

    @property
    def dram_rows(self) -> int:
        return self.chunks * self.rows_per_chunk

    def chunk_len(self, k: int) -> int:
        """Elements of chunk k actually used (the last chunk may be shorter)."""
        return min(self.seg, self.cols - k * self.seg)

    def rows_in_bank(self, g: int, upto: int | None = None) -> int:
        """Matrix rows (of the first ``upto``) held by global bank g."""
        n = self.rows if upto is None else upto
        return max(0, ceil((n - g) / self.geo.total_banks))

    def channel_rows(self, c: int, upto: int | None = None) -> int:
        """Matrix rows held by the fullest bank of channel c (its first bank)."""
        return self.rows_in_bank(c * self.geo.banks, upto)

    def location(self, i: int, k: int) -> tuple[int, int, int, int]:
        """(channel, bank, DRAM row, slot) of chunk k of matrix row i."""
        g, j = i % self.geo.total_banks, i // self.geo.total_banks
        c, b = divmod(g, self.geo.banks)
        return c, b, self.row0 + k * self.rows_per_chunk + j // self.pack, j % self.pack


def plan_matrix(name: str, rows: int, cols: int, geo: Geometry, row0: int, results_per_segment: int = 1,
                max_rows: int | None = None) -> MatrixLayout:
    """Lay out a matrix for the fewest row bursts per GEMV.

    The chunk count is chosen among the first few that fit a DRAM row: more,
    shorter chunks can pack rows more fully (1600 columns: 5 x 320, three to a
    row, use 94 % of each row; 2 x 800 only 78 %), but each extra chunk costs
    about one row burst more (its global-buffer write and the partial sums the
    ASIC adds), so the cost is DRAM rows per bank + chunks; ties go to fewer
    chunks. ``results_per_segment``
    accumulators per segment cap the packing; ``max_rows`` reserves space for a
    matrix that grows (the K cache: one row per token).
    """
    per_bank = ceil((max_rows or rows) / geo.total_banks)
    least = ceil(cols / geo.row_elems)
    best = None
    for chunks in range(least, least + 8):
        seg = geo.cols(ceil(cols / chunks)) * geo.col_elems
        pack = max(1, min(geo.row_elems // seg, geo.accumulators // results_per_segment))
        cost = chunks * ceil(per_bank / pack) + chunks
        if best is None or cost < best[0]:
            best = (cost, chunks, seg, pack)
    _, chunks, seg, pack = best
    return MatrixLayout(name, rows, cols, chunks, seg, pack, row0, ceil(per_bank / pack), geo)


@dataclass(frozen=True)
class VLayout:
    """V transposed: one DRAM-row segment per feature holds that feature for a range of tokens.

    Heads are dealt round-robin over channels (head h in channel h % channels,
    slot h // channels); a head's d_head features are dealt over the banks of
    its channel (feature f in bank f % banks, index f // banks). Feature rows
    are ``context`` tokens long, cut into ``chunks`` of ``seg`` tokens.
    """

    name: str
    heads: int
    d_head: int
    context: int
    chunks: int
    seg: int
    pack: int
    row0: int
    rows_per_chunk: int
    geo: Geometry

    @property
    def dram_rows(self) -> int:
        return self.chunks * self.rows_per_chunk

    @property
    def features_per_bank(self) -> int:
        return ceil(self.d_head / self.geo.banks)

    def heads_in_channel(self, c: int) -> int:
        return max(0, ceil((self.heads - c) / self.geo.channels))

    def location(self, h: int, f: int, t: int) -> tuple[int, int, int, int, int]:
        """(channel, bank, DRAM row, slot, element in segment) of feature f of head h for token t."""
        c, s = h % self.geo.channels, h // self.geo.channels
        b, i = f % self.geo.banks, f // self.geo.banks
        m, e = divmod(t, self.seg)
        q = s * self.features_per_bank + i
        return c, b, self.row0 + m * self.rows_per_chunk + q // self.pack, q % self.pack, e


def plan_v(name: str, heads: int, d_head: int, context: int, geo: Geometry, row0: int) -> VLayout:
    chunks = ceil(context / geo.row_elems)
    seg = geo.cols(ceil(context / chunks)) * geo.col_elems
    pack = max(1, min(geo.row_elems // seg, geo.accumulators))
    per_bank = ceil(heads / geo.channels) * ceil(d_head / geo.banks)
    return VLayout(name, heads, d_head, context, chunks, seg, pack, row0, ceil(per_bank / pack), geo)
