"""AiM trace mode: the AiM ISR format parsed, run with the AiM simulator's issue semantics, bad traces
refused, and the fast engine equal to the reference on random AiM programs.

Expected cycles marked "AiM simulator" were measured on the open AiM simulator (test/example.yaml)
on the same trace; the hand-derived ones say how they come about.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pimsim.cli.main import main
from pimsim.config import load_hwconfig
from pimsim.dram.checker import check_log
from pimsim.mapping.layout import plan_matrix
from pimsim.mapping.pimgpt import PimGptMapper
from pimsim.mapping.placement import ModelPlacement, geometry
from pimsim.pim.channel import ENGINES
from pimsim.traces.aim_reader import parse_aim_trace
from pimsim.traces.aim_runner import aim_spec, run_aim_trace
from pimsim.traces.aim_writer import aim_trace_text
from pimsim.workload.ops import Op

AIM = Path(__file__).resolve().parent.parent / "hwconfigs" / "aim.yaml"
NO_REFRESH = ["dram.refresh_policy=none"]

EVERY_KIND = """# every instruction kind
AiM WR_SBK 0 0x1 0 0
AiM RD_SBK 1 0x1 0 0
AiM WR_ABK 2 0x80000000 5
AiM ISR_WR_GB 4 0 0xffffffff
AiM WR_BIAS 3 0x3
AiM RD_MAC 4 0x3
AiM RD_AF 5 0x3
AiM COPY_BKGB 2 0x3 15 9
AiM COPY_GBBK 2 0x3 14 9
AiM MAC_SBK 8 0x3 13 16383
AiM MAC_ABK 64 0x3 10
AiM AF 0x3
AiM EWMUL 2 0x3 11
AiM EWADD 4 8 12
AiM SYNC
W MEM 0 2 8
R MEM 31 2 8
W GPR 7
R GPR 7
W CFR 2 1
AiM EOC
"""


def hw(sets=()):
    return load_hwconfig(AIM, list(sets))


def parse(text: str, channels: int = 32):
    return parse_aim_trace(text, "t.trace", channels, 16, 16384)


def test_every_instruction_kind_parses_with_its_fields_and_the_aim_mask_bit_order():
    ins = parse(EVERY_KIND)
    assert [i.op for i in ins] == ["WR_SBK", "RD_SBK", "WR_ABK", "WR_GB", "WR_BIAS", "RD_MAC", "RD_AF", "COPY_BKGB",
                                   "COPY_GBBK", "MAC_SBK", "MAC_ABK", "AF", "EWMUL", "EWADD", "SYNC", "W_MEM", "R_MEM",
                                   "W_GPR", "R_GPR", "W_CFR", "EOC"]
    by = {i.op: i for i in ins}
    assert by["WR_SBK"].channels == (31,)  # bit 0 is the last channel
    assert by["WR_ABK"].channels == (0,) and by["WR_ABK"].row == 5
    assert by["WR_GB"].opsize == 4 and by["WR_GB"].channels == tuple(range(31, -1, -1))
    assert by["WR_BIAS"].channels == (31, 30)
    assert (by["MAC_SBK"].opsize, by["MAC_SBK"].bank, by["MAC_SBK"].row) == (8, 13, 16383)
    assert (by["COPY_BKGB"].bank, by["COPY_GBBK"].bank) == (15, 14)
    assert by["MAC_ABK"].opsize == 64 and by["EWMUL"].row == 11
    assert by["R_MEM"].channels == (31,) and by["W_MEM"].bank == 2  # MEM names a channel, not a mask
    assert (by["W_CFR"].address, by["W_CFR"].value) == (2, 1)
    assert by["SYNC"].channels == by["EOC"].channels == tuple(range(32))
    assert [i.op for i in ins if i.blocking] == ["RD_MAC", "RD_AF", "SYNC", "EOC"]
    assert [i.line for i in ins][:2] == [2, 3]


def test_every_instruction_kind_runs_on_both_engines_with_a_clean_protocol_log():
    h = hw(NO_REFRESH)
    ins = parse(EVERY_KIND)
    ref = run_aim_trace(h, ins, "reference", keep_log=True)
    fast = run_aim_trace(h, ins, "fast")
    assert (ref.cycles, ref.counts) == (fast.cycles, fast.counts)
    spec = aim_spec(h)
    for log in ref.logs:
        assert check_log(spec, log) == []


def test_register_path_trace_runs_to_the_hand_derived_cycle():
    """WR_GB: TMOD @1 (the buffer write could go at once), WRGB @33 (+nMODCH), @35 (+nBL).
    MAC_ABK: back to array mode when ACT16 could go (@36, one command per cycle): TMOD @36,
    ACT16 @68, MAC16 @124 (+nRCDRDMAC 56), @126. RD_MAC: its read could go @128 (nCCDL after the
    MAC): TMOD @128, RDMAC @160, data @162; the blocking read holds EOC until @163, which completes
    @164 (the AiM simulator: 164, the same commands at the same cycles)."""
    res = run_aim_trace(hw(NO_REFRESH), parse("AiM WR_GB 2 0 0x1\nAiM MAC_ABK 2 0x1 0\nAiM RD_MAC 0 0x1\nAiM EOC\n"),
                        "reference", keep_log=True)
    assert [(e[0], e[1]) for e in res.logs[31]] == [(1, "TMOD"), (33, "WRGB"), (35, "WRGB"), (36, "TMOD"),
                                                     (68, "ACT16"), (124, "MAC16"), (126, "MAC16"), (128, "TMOD"),
                                                     (160, "RDMAC")]
    assert res.cycles == 164


MIXED = """W MEM 0 1 3
AiM MAC_ABK 4 0x80000000 7
AiM WR_BIAS 0 0x80000000
AiM AF 0x80000000
W CFR 2 1
AiM RD_AF 0 0x80000000
AiM SYNC
AiM EWMUL 2 0x80000000 9
AiM COPY_BKGB 2 0x80000000 5 9
AiM COPY_GBBK 1 0x80000000 6 2
AiM MAC_SBK 2 0x80000000 6 2
AiM EWADD 4 1 2
W GPR 3
R GPR 3
AiM WR_SBK 0 0x80000000 1 3
AiM RD_SBK 0 0x40000000 2 4
AiM WR_ABK 0 0x80000000 11
AiM RD_MAC 0 0x80000000
AiM AF 0x80000000
AiM EOC
"""


def test_a_mixed_trace_takes_the_aim_simulators_cycles_and_commands():
    res = run_aim_trace(hw(NO_REFRESH), parse(MIXED), "reference", keep_log=True)
    # AiM simulator: 964 cycles and these counts (its RDMAC16/WRMAC16 are pimsim's RDMAC/WRMAC)
    assert res.cycles == 964
    assert {k: v for k, v in res.counts.items() if v} == {
        "ACT": 4, "ACT16": 5, "AF16": 2, "EWMUL16": 2, "MAC": 2, "MAC16": 4, "PRE": 2, "PREA": 4, "RD": 1,
        "RDAF16": 1, "RDCP": 2, "RDMAC": 1, "TMOD": 6, "WR": 2, "WRA16": 1, "WRCP": 1, "WRMAC": 1}
    # AiM simulator, channel 0: the AF after CFR 2 = 1 opens its own row; WR_ABK closes every bank
    assert [(t, c) for t, c, *_ in res.logs[0]][-6:] == [(771, "WRA16"), (790, "TMOD"), (822, "RDMAC"),
                                                         (844, "TMOD"), (876, "ACT16"), (962, "AF16")]


def test_all_bank_refresh_of_the_aim_config_falls_due_every_nrefi_on_every_channel():
    text = "".join(f"AiM MAC_ABK 64 0x1 {r}\n" for r in range(40)) + "AiM EOC\n"
    res = run_aim_trace(hw(), parse(text), "fast")
    assert res.refreshes == 32 * (res.cycles // 3333)
    assert res.cycles > run_aim_trace(hw(NO_REFRESH), parse(text), "fast").cycles


def test_mapper_gemv_written_as_a_trace_runs_like_the_mapper_program():
    """The trace adds exactly the AiM front end's end: the last RD_MAC blocks EOC for a cycle after
    its data, and EOC completes the cycle after that."""
    h = hw(NO_REFRESH)
    geo = geometry(h.dram.model_copy(update={"channels": 2}), h.require("pim"))
    m = plan_matrix("W", 96, 160, geo, 0)
    programs = PimGptMapper(ModelPlacement(geo, None, {"W": m}, {}, m.dram_rows)).gemv(
        Op("gemv", "W", 0, rows=96, cols=160, weight="W")).programs
    direct = max(ENGINES["reference"](aim_spec(h)).run(p, 1) for p in programs)
    text = aim_trace_text(programs + ((),) * 30, 32)
    assert run_aim_trace(h, parse(text), "reference").cycles == direct + 2


# -- random AiM programs: the fast engine is the reference --------------------------------------------
OPS = st.sampled_from(["WR_GB", "WR_BIAS", "RD_MAC", "RD_AF", "MAC_ABK", "MAC_SBK", "AF", "EWMUL", "COPY_BKGB",
                       "COPY_GBBK", "WR_SBK", "RD_SBK", "WR_ABK", "SYNC", "EWADD", "CFR"])


@st.composite
def aim_program(draw):
    lines = []
    for _ in range(draw(st.integers(1, 14))):
        op = draw(OPS)
        mask = draw(st.integers(1, 15))
        n = draw(st.sampled_from([1, 2, 7, 64, 300]))
        row = draw(st.integers(0, 3))
        bank = draw(st.integers(0, 15))
        lines.append({
            "WR_GB": f"AiM WR_GB {n} 0 {mask}", "WR_BIAS": f"AiM WR_BIAS 0 {mask}", "RD_MAC": f"AiM RD_MAC 0 {mask}",
            "RD_AF": f"AiM RD_AF 0 {mask}", "MAC_ABK": f"AiM MAC_ABK {n} {mask} {row}",
            "MAC_SBK": f"AiM MAC_SBK {n} {mask} {bank} {row}", "AF": f"AiM AF {mask}",
            "EWMUL": f"AiM EWMUL {n} {mask} {row}", "COPY_BKGB": f"AiM COPY_BKGB {n} {mask} {bank} {row}",
            "COPY_GBBK": f"AiM COPY_GBBK {n} {mask} {bank} {row}", "WR_SBK": f"AiM WR_SBK 0 {mask} {bank} {row}",
            "RD_SBK": f"AiM RD_SBK 0 {mask} {bank} {row}", "WR_ABK": f"AiM WR_ABK 0 {1 << (mask % 4)} {row}",
            "SYNC": "AiM SYNC", "EWADD": "AiM EWADD 2 0 1", "CFR": f"W CFR 2 {row}",
        }[op])
    return "\n".join(lines + ["AiM EOC"]) + "\n"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(aim_program(), st.sampled_from([NO_REFRESH, ["dram.timing.nREFI=700"]]))
def test_fast_engine_equals_reference_on_random_aim_programs(text, sets):
    h = load_hwconfig(AIM, ["dram.channels=4", *sets])
    ins = parse_aim_trace(text, "t", 4, 16, 16384)
    ref = run_aim_trace(h, ins, "reference", keep_log=True)
    fast = run_aim_trace(h, ins, "fast")
    assert (fast.cycles, fast.counts, fast.refreshes) == (ref.cycles, ref.counts, ref.refreshes)
    spec = aim_spec(h)
    for log in ref.logs:
        assert check_log(spec, log) == []


# -- the command line -------------------------------------------------------------------------------
def test_trace_json_reports_cycles_counts_energy_and_the_run_identity(tmp_path, capsys):
    path = tmp_path / "t.trace"
    path.write_text("AiM WR_GB 2 0 0x1\nAiM MAC_ABK 2 0x1 0\nAiM RD_MAC 0 0x1\nAiM EOC\n")
    assert main(["trace", "--format", "aim", "--hw", str(AIM), str(path), "--set", "dram.refresh_policy=none",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["cycles"] == 164
    assert out["counts"] == {"ACT16": 1, "MAC16": 2, "RDMAC": 1, "TMOD": 3, "WRGB": 2}
    assert out["energy_pj"] > 0 and out["wall_s"] >= 0
    assert out["overrides"] == ["dram.refresh_policy=none"] and out["format"] == "aim"
    assert len(out["hw_hash"]) == 16 and out["pimsim"]


@pytest.mark.parametrize("text,line,what", [
    ("AiM MAC_ABK 4 0x1 0\nAiM FOO 1\nAiM EOC\n", 2, "unknown AiM opcode 'FOO'"),
    ("AiM MAC_ABK 4 0x0 0\nAiM EOC\n", 1, "names no channel"),
    ("AiM MAC_ABK 4 0x1 16384\nAiM EOC\n", 1, "row 16384 is beyond the bank's 16384 rows"),
    ("# two channels\nAiM WR_ABK 0 0x3 1\nAiM EOC\n", 2, "WR_ABK writes one channel"),
    ("AiM MAC_SBK 4 0x1 16 0\nAiM EOC\n", 1, "bank 16 is beyond"),
    ("AiM MAC_ABK 4 0x1\nAiM EOC\n", 1, "MAC_ABK takes 3 field(s)"),
    ("AiM MAC_ABK 4 0x100000000 1\nAiM EOC\n", 1, "names channels beyond the 32 this device has"),
    ("AiM EOC\nAiM SYNC\n", 2, "instruction after EOC"),
    ("W CFR 9 1\nAiM EOC\n", 1, "unknown CFR address 9"),
])
def test_bad_traces_get_one_line_with_the_line_number_and_exit_2(tmp_path, capsys, text, line, what):
    path = tmp_path / "bad.trace"
    path.write_text(text)
    assert main(["trace", "--format", "aim", "--hw", str(AIM), str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"bad.trace: line {line}: " in err and what in err, err


def test_a_trace_without_eoc_is_refused(tmp_path, capsys):
    path = tmp_path / "open.trace"
    path.write_text("AiM MAC_ABK 4 0x1 0\n")
    assert main(["trace", "--format", "aim", "--hw", str(AIM), str(path)]) == 2
    assert "no EOC" in capsys.readouterr().err
