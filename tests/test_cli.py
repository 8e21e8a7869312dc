"""The command line: readable output, JSON, and bad input as one line with exit code 2."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pimsim.cli.main import main
from pimsim.config.hw import build_hwconfig
from pimsim.errors import PimsimError
from pimsim.traces.reader import parse_trace

GDDR6 = "hwconfigs/dram/gddr6-x16-14gbps.yaml"
EXAMPLE = "workloads/traces/example.trace"


def test_trace_json_has_the_documented_keys(capsys):
    assert main(["trace", "--hw", GDDR6, EXAMPLE, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("cycles", "requests", "reads", "writes", "act", "pre", "ref", "row_hits", "row_hit_rate",
                "bandwidth_gbps", "energy_pj", "wall_s"):
        assert key in out
    assert out["requests"] == out["reads"] + out["writes"] == 4000
    assert out["energy_pj"] == pytest.approx(sum(out["energy_breakdown_pj"].values()))


def test_trace_summary_is_identical_across_runs_except_wall_time(capsys):
    outs = []
    for _ in range(2):
        main(["trace", "--hw", GDDR6, EXAMPLE, "--json"])
        d = json.loads(capsys.readouterr().out)
        d.pop("wall_s")
        outs.append(json.dumps(d, sort_keys=True))
    assert outs[0] == outs[1]


def test_trace_prints_a_readable_table(capsys):
    assert main(["trace", "--hw", GDDR6, EXAMPLE]) == 0
    out = capsys.readouterr().out
    assert "row hits" in out and "bandwidth" in out and "GB/s" in out


def test_check_prints_resolved_timing(capsys):
    assert main(["check", GDDR6]) == 0
    out = capsys.readouterr().out
    assert "nRCDRD" in out and "27" in out and "OK" in out


def bad(tmp_path, capsys, argv):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("pimsim: error: ") and "Traceback" not in err
    return err


def test_missing_config_file_is_one_line(tmp_path, capsys):
    assert "nope.yaml: file not found" in bad(tmp_path, capsys, ["check", str(tmp_path / "nope.yaml")])


def test_trace_line_error_names_the_line(tmp_path, capsys):
    t = tmp_path / "bad.trace"
    t.write_text("0x0 READ 0\n0x20 REED 1\n")
    assert "bad.trace: line 2: " in bad(tmp_path, capsys, ["trace", "--hw", GDDR6, str(t)])


def test_address_beyond_capacity_names_the_line(tmp_path, capsys):
    t = tmp_path / "big.trace"
    t.write_text("0x0 READ 0\n0x40000000 READ 1\n")
    err = bad(tmp_path, capsys, ["trace", "--hw", GDDR6, str(t)])
    assert "line 2: address 0x40000000 is beyond the capacity" in err


def test_unknown_scheduler_lists_the_known(tmp_path, capsys):
    err = bad(tmp_path, capsys, ["trace", "--hw", GDDR6, EXAMPLE, "--set", "controller.scheduler=fifo"])
    assert "controller.scheduler: unknown scheduler 'fifo'" in err


def test_unknown_refresh_policy_is_refused(tmp_path, capsys):
    err = bad(tmp_path, capsys, ["check", GDDR6, "--set", "dram.refresh_policy=never"])
    assert "dram.refresh_policy: unknown refresh policy" in err


def test_bad_argument_is_one_line(tmp_path, capsys):
    bad(tmp_path, capsys, ["trace", EXAMPLE])  # --hw missing


def test_config_without_controller_refuses_trace_mode(tmp_path, capsys):
    p = tmp_path / "hw.yaml"
    p.write_text("name: x\ndram: {preset: gddr6-x16-14gbps, channels: 1}\nenergy: {preset: gddr6}\n")
    assert "controller: trace mode needs a controller section" in bad(tmp_path, capsys,
                                                                      ["trace", "--hw", str(p), EXAMPLE])


def test_dram_core_never_imports_simpy_pandas_or_matplotlib():
    import ast
    import pathlib

    for path in pathlib.Path("src/pimsim/dram").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for n in names:
                assert n.split(".")[0] not in ("simpy", "pandas", "matplotlib"), f"{path} imports {n}"


# -- fuzzing: random configs and trace lines produce clean errors or results, nothing else --

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.floats(allow_nan=True),
                    st.text(max_size=8), st.lists(st.integers(), max_size=2))
dram_keys = st.sampled_from(["preset", "channels", "ranks", "rows", "columns", "burst_length", "data_rate_gbps",
                             "beats_per_clock", "refresh_policy", "device_density_mbit", "timing", "bogus"])
timing_keys = st.sampled_from(["nCL", "nRP", "nRC", "nRAS", "t_rp_ns", "nRCD", "nREFI", "nRFC", "nFAW", "t_x"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dram=st.dictionaries(dram_keys, scalars, max_size=4), timing=st.dictionaries(timing_keys, scalars, max_size=3),
       top=st.dictionaries(st.sampled_from(["name", "energy", "controller", "extra"]), scalars, max_size=2))
def test_random_configs_give_a_config_or_a_clean_error(dram, timing, top):
    data = {"name": "fuzz", "dram": {"preset": "gddr6-x16-14gbps", **dram}, "energy": {"preset": "gddr6"}}
    if timing:
        data["dram"]["timing"] = timing
    data.update(top)
    try:
        build_hwconfig(data, "fuzz.yaml")
    except PimsimError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("fuzz.yaml")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=string.printable, max_size=30), min_size=1, max_size=5))
def test_random_trace_lines_give_a_trace_or_a_clean_error(lines):
    try:
        parse_trace("\n".join(lines), "fuzz.trace")
    except PimsimError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("fuzz.trace")
import argparse


def _parsers(parser, path=("pimsim",)):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, (*path, name))


def test_every_flag_has_help_text_that_states_its_default():
    from pimsim.cli.main import build_parser

    problems = []
    for path, parser in _parsers(build_parser()):
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
                continue
            name = " ".join(path) + " " + (action.option_strings[0] if action.option_strings else action.dest)
            if not action.help:
                problems.append(f"{name}: no help")
            elif action.default not in (None, False, True, [], argparse.SUPPRESS) and "default" not in action.help:
                problems.append(f"{name}: default {action.default!r} not stated")
    assert problems == []
