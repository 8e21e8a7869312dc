"""Bad input is refused before any long work, in one line that names where it came from."""

from __future__ import annotations

import os

import pytest

from pimsim.cli.main import main

HW = "hwconfigs/pimgpt.yaml"
HW_ABS = os.path.abspath(HW)


@pytest.fixture
def no_simulation(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("simulated before checking the output paths")

    monkeypatch.setattr("pimsim.cache.runs.simulate_generation", refuse)


def error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    return err


def test_an_out_path_that_is_a_file_is_refused_before_the_run(tmp_path, capsys, no_simulation):
    f = tmp_path / "file"
    f.write_text("x")
    assert "--out" in error(capsys, ["run", "--model", "tiny", "--out", str(f)]) and f.read_text() == "x"


def test_an_out_folder_that_cannot_be_created_is_refused(capsys, no_simulation):
    err = error(capsys, ["run", "--model", "tiny", "--out", "/proc/pimsim-out"])
    assert err.startswith("pimsim: error: --out: cannot create /proc/pimsim-out")


def test_a_new_out_folder_is_only_tried_until_the_run_writes_it(tmp_path, capsys):
    out = tmp_path / "a" / "b"
    assert main(["run", "--model", "tiny", "--prompt-tokens", "1", "--output-tokens", "1", "--out", str(out),
                 "--json"]) == 0
    assert (out / "summary.json").exists()


def test_a_timeline_in_a_missing_folder_or_on_a_folder_is_refused_before_the_run(tmp_path, capsys, no_simulation):
    assert "folder" in error(capsys, ["run", "--model", "tiny", "--timeline", str(tmp_path / "no" / "t.json")])
    assert "is a folder" in error(capsys, ["run", "--model", "tiny", "--timeline", str(tmp_path)])


def test_check_refuses_an_engine_that_run_would_refuse(capsys):
    err = error(capsys, ["check", HW, "--set", "sim.engine=fastt"])
    assert "--set sim.engine=fastt: sim.engine: unknown engine 'fastt' (did you mean fast?)" in err


def test_an_error_in_an_override_names_the_override_not_the_file(capsys):
    assert "--set pim.mac_lane=3: pim.mac_lane: unknown key (did you mean mac_lanes?)" in error(
        capsys, ["check", HW, "--set", "pim.mac_lane=3"])
    assert "--set pim.mac_lanes=0: pim.mac_lanes:" in error(capsys, ["check", HW, "--set", "pim.mac_lanes=0"])


def test_a_key_written_twice_in_a_yaml_file_is_an_error_naming_both_lines(tmp_path, capsys):
    f = tmp_path / "dup.yaml"
    f.write_text("name: a\ndram:\n  channels: 8\nname: b\n")
    assert f"{f}:4: duplicate key 'name' (first on line 1)" in error(capsys, ["check", str(f)])


def test_check_validates_a_sweep_file_and_a_baseline_file_as_what_they_are(capsys):
    assert main(["check", "hwconfigs/sweeps/channels.yaml"]) == 0
    assert "sweep file OK: 11 points, 4 skipped as unfit" in capsys.readouterr().out
    assert main(["check", "hwconfigs/baselines/t4.yaml"]) == 0
    assert "baseline device OK: t4 (gpu, backend analytic)" in capsys.readouterr().out


def test_a_workload_dtype_the_hardware_does_not_compute_in_is_refused(tmp_path, capsys, no_simulation):
    f = tmp_path / "tiny32.yaml"
    f.write_text(open("workloads/tiny.yaml").read().replace("dtype: bf16", "dtype: fp32"))
    err = error(capsys, ["run", "--workload", str(f)])
    assert f"{f}: generation.dtype: fp32 is 4 bytes per element; the hardware computes in 2-byte" in err


def test_a_run_folder_records_its_overrides_and_no_wall_clock(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["run", "--model", "tiny", "--prompt-tokens", "1", "--output-tokens", "1", "--out", str(out),
                 "--set", "asic.clock_mhz=500", "--json"]) == 0
    import json

    assert json.loads((out / "config.json").read_text())["overrides"] == ["asic.clock_mhz=500"]
    assert "wall_s" not in json.loads((out / "summary.json").read_text())
    assert "wall_s" in json.loads(capsys.readouterr().out)


def test_an_interrupted_sweep_says_how_to_resume(tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("pimsim.api.sweeps.run_points", interrupted)
    out = tmp_path / "s"
    assert main(["sweep", "hwconfigs/sweeps/overlap.yaml", "--out", str(out), "--workers", "1", "--json"]) == 130
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert f"resume with: pimsim sweep hwconfigs/sweeps/overlap.yaml --out {out} --resume" in err


def test_a_misspelt_required_key_is_reported_as_the_unknown_key_it_is(tmp_path, capsys):
    f = tmp_path / "hw.yaml"
    f.write_text(open(HW).read().replace("mac_lanes: 16", "mac_lane: 16"))
    assert error(capsys, ["check", str(f)]) == f"pimsim: error: {f}: pim.mac_lane: unknown key (did you mean mac_lanes?)"


def test_check_validates_a_workload_file_as_a_workload(tmp_path, capsys):
    assert main(["check", "workloads/gpt2-small.yaml"]) == 0
    assert capsys.readouterr().out.strip() == ("workloads/gpt2-small.yaml: workload OK: gpt2-small, 124M parameters, "
                                               "64 prompt + 64 output tokens, bf16")
    f = tmp_path / "w.yaml"
    f.write_text(open("workloads/tiny.yaml").read().replace("heads:", "head:"))
    assert error(capsys, ["check", str(f)]).startswith(f"pimsim: error: {f}: model.head: unknown key")


WARNING = ("pimsim: warning: dram.data_rate_gbps is overridden, but 22 timings of preset gddr6-aim are in cycles "
           "(nCL, nCWL, nRCDRD, ...): they keep their cycle counts, so their times in ns change with tCK; "
           "set dram.preset=gddr6-aim-ns to keep them in ns")


def test_a_data_rate_override_with_timings_in_cycles_warns_once_naming_the_preset_that_keeps_ns(tmp_path, capsys):
    import subprocess
    import sys

    def stderr(*argv):
        proc = subprocess.run([sys.executable, "-m", "pimsim", *argv], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc.stderr.strip()

    assert stderr("check", HW, "--set", "dram.data_rate_gbps=8") == WARNING
    assert stderr("check", HW, "--set", "dram.data_rate_gbps=8", "--set", "dram.preset=gddr6-aim-ns") == ""
    sweep = tmp_path / "rates.yaml"  # four overridden points, one warning
    sweep.write_text(f"name: rates\nbase: {HW_ABS}\nworkloads: [tiny]\nfactors:\n  dram.data_rate_gbps: [8, 12, 16, 20]\n")
    assert stderr("check", str(sweep)) == WARNING


def test_the_ns_preset_resolves_to_the_cycle_preset_at_16_gbps_and_keeps_ns_at_8():
    import pimsim

    cycles, ns = pimsim.load_hw(), pimsim.load_hw(overrides={"dram.preset": "gddr6-aim-ns"})
    assert ns.dram.timing == cycles.dram.timing and ns.hw_hash == cycles.hw_hash
    slow = pimsim.load_hw(overrides={"dram.preset": "gddr6-aim-ns", "dram.data_rate_gbps": 8})
    assert slow.dram.tck_ns == 1.0
    for name in ("nRCDRD", "nRP", "nRAS", "nRFC", "nREFI", "nRCDMAC"):  # the same time in ns, rounded up
        assert slow.dram.timing[name] * 1.0 >= cycles.dram.timing[name] * 0.5 > (slow.dram.timing[name] - 1) * 1.0
    assert (slow.dram.timing["nCCDS"], slow.dram.timing["nCCDL"]) == (2, 2)  # a burst is 16 beats at any rate


def test_a_measured_csv_is_a_baseline_as_it_is(tmp_path, capsys):
    import json

    csv_path = tmp_path / "m.csv"
    csv_path.write_text("device,model,ms_per_token,watts,tokens,source\n"
                        "lab-gpu,tiny,2.5,50,16,pimsim baseline measure-gpu on a lab GPU\n")
    assert main(["compare", "--models", "tiny", "--baselines", f"measured:{csv_path}", "--prompt-tokens", "2",
                 "--output-tokens", "2", "--out", str(tmp_path / "c"), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    pim = row["pim_ms_per_token"]
    assert row["baseline_ms_per_token"] == 2.5 and row["speedup"] == 2.5 / pim
    assert row["baseline_j_per_token"] == 50 * 2.5e-3
    csv_path.write_text(csv_path.read_text() + "lab-gpu-2,tiny,2.0,,16,pimsim baseline measure-gpu\n")
    assert error(capsys, ["compare", "--models", "tiny", "--baselines", f"measured:{csv_path}"]) == (
        f"pimsim: error: --baselines: measured:{csv_path}: the file holds several devices (lab-gpu, lab-gpu-2); "
        f"name one: measured:{csv_path}:lab-gpu")
    assert error(capsys, ["compare", "--models", "tiny", "--baselines", f"measured:{csv_path}:lab-gpu-2"]) == (
        f"pimsim: error: --baselines: measured:{csv_path}:lab-gpu-2: device 'lab-gpu-2' has rows without watts and "
        f"no device file gives its power; fill in watts or write hwconfigs/baselines/lab-gpu-2.yaml")
    assert not (tmp_path / "c2").exists()


def test_write_ops_writes_the_trace_that_ops_reads_back_and_the_shipped_example_is_current(tmp_path, capsys):
    import json

    trace = tmp_path / "t.jsonl"
    assert main(["run", "--model", "tiny", "--prompt-tokens", "2", "--output-tokens", "2", "--out",
                 str(tmp_path / "a"), "--write-ops", str(trace), "--json"]) == 0
    direct = json.loads(capsys.readouterr().out)
    assert trace.read_bytes() == open("workloads/traces/tiny-ops.jsonl", "rb").read()
    assert main(["run", "--ops", "workloads/traces/tiny-ops.jsonl", "--out", str(tmp_path / "b"), "--json"]) == 0
    replayed = json.loads(capsys.readouterr().out)
    assert replayed["total_cycles"] == direct["total_cycles"] and replayed["run_hash"] != direct["run_hash"]
    assert "--write-ops" in error(capsys, ["run", "--model", "tiny", "--write-ops", str(tmp_path / "no" / "t.jsonl")])


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_a_refresh_that_leaves_a_command_no_room_is_a_one_line_error_not_a_hang(capsys, tmp_path, engine):
    """A per-bank refresh every 187 cycles falls due again before an all-bank MAC can follow the last
    one: refresh after refresh, the command would wait forever."""
    out = tmp_path / "run"
    err = error(capsys, ["run", "--model", "tiny", "--prompt-tokens", "1", "--output-tokens", "3", "--out", str(out),
                         "--set", f"sim.engine={engine}", "--set", "dram.refresh_policy=per_bank",
                         "--set", "dram.timing.nREFI=3000"])
    assert "dram.timing.nREFI: 64 refreshes in a row fell due before a MAC16 could issue" in err
    assert "per-bank refresh every 187 cycles" in err and not out.exists()
