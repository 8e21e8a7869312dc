"""A command imports only what it uses: the import graph, asserted (never a wall-clock time)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("pandas", "matplotlib", "simpy", "pydantic", "numpy", "rich", "dask", "torch")


def loaded_after(argv: list[str]) -> set[str]:
    code = ("import sys, io, contextlib\nfrom pimsim.cli.main import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    try:\n        main({argv!r})\n    except SystemExit:\n        pass\n"
            f"print(__import__('json').dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


@pytest.mark.parametrize("argv", [["--version"], ["--help"]])
def test_help_and_version_import_no_library(argv):
    assert loaded_after(argv) == set()


def test_check_imports_no_tables_plots_or_event_engine():
    assert not loaded_after(["check", "hwconfigs/pimgpt.yaml", "--json"]) & {"pandas", "matplotlib", "simpy", "dask"}


def test_a_trace_imports_no_library_beyond_yaml(tmp_path):
    trace = tmp_path / "t.trace"
    trace.write_text("0x0 READ 0\n0x40 READ 1\n")
    loaded = loaded_after(["trace", "--hw", "hwconfigs/dram/gddr6-x16-14gbps.yaml", str(trace), "--json"])
    assert not loaded & {"pandas", "matplotlib", "simpy", "dask", "pydantic", "numpy", "rich", "torch"}


def test_a_run_imports_no_tables_or_plots(tmp_path):
    loaded = loaded_after(["run", "--model", "tiny", "--prompt-tokens", "1", "--output-tokens", "1",
                           "--out", str(tmp_path / "r"), "--json"])
    assert not loaded & {"pandas", "matplotlib", "dask", "torch"}


def test_every_command_still_parses_its_own_arguments(capsys):
    from pimsim.cli import COMMANDS
    from pimsim.cli.main import main

    for name in COMMANDS:
        assert main([name, "--help"]) == 0
        assert f"usage: pimsim {name}" in capsys.readouterr().out
