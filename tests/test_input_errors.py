"""Bad input is refused before any long work, in one line that names where it came from."""

from __future__ import annotations

import pytest

from pimsim.cli.main import main

HW = "hwconfigs/pimgpt.yaml"


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
    assert "sweep file OK: 28 points, 12 skipped as unfit" in capsys.readouterr().out
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
