"""Trace files and address mapping: decoding, and clean errors for bad lines."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pimsim.config import load_hwconfig
from pimsim.errors import PimsimError
from pimsim.traces.mapping import parse_mapping
from pimsim.traces.reader import parse_trace

GDDR6 = "hwconfigs/dram/gddr6-x16-14gbps.yaml"


def test_rochrababgco_puts_columns_lowest_above_the_request_offset():
    m = parse_mapping("rochrababgco", load_hwconfig(GDDR6).dram)
    # 32 B requests (5 bits), 64 columns (6), 4 groups (2), 4 banks (2), 16384 rows (14)
    assert m.shifts == {"co": 5, "bg": 11, "ba": 13, "ra": 15, "ch": 15, "ro": 15}
    assert m.total_bits == 29
    f = m.decode([(5 << 15) | (2 << 13) | (3 << 11) | (7 << 5)])
    assert (f["ro"][0], f["ba"][0], f["bg"][0], f["co"][0]) == (5, 2, 3, 7)


def test_encode_and_decode_are_inverse():
    m = parse_mapping("cobabgrochra", load_hwconfig(GDDR6).dram)
    a = m.encode(bg=1, ba=2, ro=300, co=17)
    f = m.decode([a])
    assert (f["bg"][0], f["ba"][0], f["ro"][0], f["co"][0]) == (1, 2, 300, 17)


@pytest.mark.parametrize("text", ["rochrababg", "rochrababgxx", "rorochbabgco"])
def test_bad_mapping_strings_are_refused(text):
    with pytest.raises(PimsimError, match="controller.address_mapping"):
        parse_mapping(text, load_hwconfig(GDDR6).dram)


def test_trace_parses_reads_writes_and_arrivals():
    tr = parse_trace("# comment\n0x40 READ 0\n\n0x80 WRITE 5\n", "t")
    assert tr.addr == [0x40, 0x80] and tr.is_write == [False, True]
    assert tr.arrival == [0, 5] and list(tr.lines) == [2, 4]


@pytest.mark.parametrize("text,line,what", [
    ("0x40 READ 0\n0x40 READ\n", 2, "expected"),
    ("0x40 LOAD 0\n", 1, "READ or WRITE"),
    ("40 READ 0\n", 1, "hexadecimal"),
    ("0xZZ READ 0\n", 1, "not hexadecimal"),
    ("0x40 READ -3\n", 1, "non-negative"),
    ("0x40 READ 9\n0x40 READ 3\n", 2, "before the previous"),
])
def test_bad_trace_line_names_its_line_number(text, line, what):
    with pytest.raises(PimsimError) as info:
        parse_trace(text, "t.trace")
    assert f"t.trace: line {line}: " in str(info.value) and what in str(info.value)


def test_empty_trace_is_refused():
    with pytest.raises(PimsimError, match="no requests"):
        parse_trace("# nothing\n", "t")


LINE_FORMS = ["0x{a:x} {op} {t}", "0X{a:X} {op} {t}", "0x{a:x}\t{op}  {t}", " 0x{a:x} {op} {t} ", "0x{a:x} {op}",
              "0x{a:x} {op} {t} 9", "{a} {op} {t}", "0x{a:x} read {t}", "0x{a:x} {op} -{t}", "# note", "",
              "0xzz {op} {t}", "0x{a:x} {op} {t}\r", "0x{a:x} {op} 0{t}", "{t} 0x{a:x} {op} {t}"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2**64 + 5), st.booleans(), st.integers(0, 40),
                          st.sampled_from(LINE_FORMS), st.sampled_from([True] * 6 + [False])), min_size=1, max_size=12),
       st.booleans())
def test_a_plainly_written_trace_parses_column_by_column_to_what_the_line_parser_reads(rows, newline_at_end):
    """The column-by-column path (``_parse_plain``) and the line-by-line parser agree on every trace,
    the odd and the bad included: the same arrays, or the same one-line error."""
    from pimsim.traces.reader import _parse_lines

    t, lines = 0, []
    for addr, write, step, form, plain in rows:
        t += step - 5 if step < 2 else step  # arrivals that sometimes go back
        lines.append(("0x{a:x} {op} {t}" if plain else form).format(a=addr, op="WRITE" if write else "READ",
                                                                    t=abs(t)))
    text = "\n".join(lines) + ("\n" if newline_at_end else "")

    def outcome(parse):
        try:
            tr = parse(text, "t.trace")
        except PimsimError as exc:
            return str(exc)
        return [[(type(x).__name__, x) for x in a] for a in (tr.addr, tr.is_write, tr.arrival, tr.lines)]

    assert outcome(parse_trace) == outcome(_parse_lines)


def test_a_plainly_written_trace_takes_the_column_by_column_path():
    from pimsim.traces.reader import _parse_plain

    assert list(_parse_plain("0x40 READ 0\n0x80 WRITE 5\n").lines) == [1, 2]
    assert _parse_plain("0x40 READ 0\n\n0x80 WRITE 5\n") is None  # a blank line: the line parser reads it
    # a line short of its cycle and the next with one field too many: every field is there, misaligned
    with pytest.raises(PimsimError, match="line 1"):
        parse_trace("0x40 READ\n5 0x80 WRITE 7\n", "t")


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(["rochrababgco", "cobabgrochra", "chrarobabgco", "bgbacoraroch"]),
       st.lists(st.integers(0, 2**31 - 1), min_size=1, max_size=20), st.sampled_from([1, 2, 4]), st.sampled_from([1, 2]))
def test_an_address_bank_number_is_its_channel_rank_group_and_bank_in_order(text, addrs, channels, ranks):
    dram = load_hwconfig(GDDR6, sets=[f"dram.channels={channels}", f"dram.ranks={ranks}"]).dram
    m = parse_mapping(text, dram)
    f = m.decode(addrs)
    assert m.banks(addrs) == [((ch * dram.ranks + ra) * dram.bank_groups + bg) * dram.banks_per_group + ba
                              for ch, ra, bg, ba in zip(f["ch"], f["ra"], f["bg"], f["ba"])]
