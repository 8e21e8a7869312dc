"""Running sweeps: local and Dask executors, caching, failures, kill and resume, refused folders."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

import pimsim.sweeps.execute as execute
from pimsim.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "hwconfigs" / "pimgpt.yaml"
FACTORS = {"asic.clock_mhz": [100, 200, 400], "pim.mac_lanes": [8, 16]}


def sweep_file(tmp_path: Path, name: str = "t", workloads=("tiny",), tokens=(2, 2), factors=None) -> Path:
    data = {"name": name, "base": str(BASE), "workloads": list(workloads),
            "tokens": {"prompt": tokens[0], "output": tokens[1]}, "factors": factors or FACTORS}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def sweep(path: Path, out: Path, *extra: str) -> int:
    return main(["sweep", str(path), "--out", str(out), "--json", *extra])


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pimsim", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT)


def point_files(out: Path) -> dict[str, dict]:
    """Every point file, without its wall time."""
    files = {}
    for path in sorted((out / "points").glob("*.json")):
        record = json.loads(path.read_text())
        assert isinstance(record.pop("wall_s"), float)
        files[path.name] = record
    return files


def test_local_sweep_writes_a_file_per_point_and_one_tidy_table(tmp_path, capsys):
    out = tmp_path / "out"
    assert sweep(sweep_file(tmp_path), out, "--workers", "2") == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["points"], summary["ran"], summary["cached"], summary["failed"]) == (6, 6, 0, 0)
    assert len(point_files(out)) == 6 and not list((out / "failed").iterdir())
    table = pd.read_csv(out / "results.csv")
    assert list(table.columns[:3]) == ["asic.clock_mhz", "pim.mac_lanes", "workload"]
    for column in ("ms_per_token", "j_per_token", "breakdown_s.vmm", "energy_breakdown_j.dram_mac", "counts.MAC16",
                   "mapping.capacity_used", "row_hit_rate", "mac_utilization"):
        assert column in table.columns
    assert "wall_s" not in table.columns
    assert list(zip(table["asic.clock_mhz"], table["pim.mac_lanes"])) == [(100, 8), (100, 16), (200, 8), (200, 16),
                                                                         (400, 8), (400, 16)]
    assert table["ms_per_token"].iloc[0] > table["ms_per_token"].iloc[4]  # a faster ASIC is faster
    info = json.loads((out / "sweep.json").read_text())
    assert info["points"] == 6 and info["base_values"] == {"asic.clock_mhz": 1000.0, "pim.mac_lanes": 16}
    resolved = yaml.safe_load((out / "sweep.yaml").read_text())
    assert (out / resolved["base"]).resolve() == BASE.resolve() and resolved["points"] == 6
    assert resolved["factors"] == FACTORS
    assert not any(str(v).startswith("/") for v in (resolved["base"], resolved["sweep_file"]))  # no absolute path


def test_a_failing_point_is_recorded_the_rest_finish_and_resume_completes_it(tmp_path, capsys, monkeypatch):
    path, out, ref = sweep_file(tmp_path), tmp_path / "out", tmp_path / "ref"
    assert sweep(path, ref, "--workers", "2", "--no-cache") == 0  # leaves the result cache empty
    real = execute.simulate_record

    def flaky(hw, workload):  # inherited by the forked workers
        if hw.asic.clock_mhz == 200:
            raise RuntimeError("injected failure")
        return real(hw, workload)

    monkeypatch.setattr(execute, "simulate_record", flaky)
    capsys.readouterr()
    assert sweep(path, out, "--workers", "2") == 1
    summary = json.loads(capsys.readouterr().out)
    assert (summary["ran"], summary["failed"]) == (4, 2)
    assert {f["error"] for f in summary["failures"]} == {"RuntimeError: injected failure"}
    failed = [json.loads(p.read_text()) for p in (out / "failed").glob("*.json")]
    assert sorted(f["factors"]["pim.mac_lanes"] for f in failed) == [8, 16]
    assert all("injected failure" in f["traceback"] for f in failed)
    assert len(pd.read_csv(out / "results.csv")) == 4
    monkeypatch.setattr(execute, "simulate_record", real)
    assert sweep(path, out, "--workers", "2", "--resume") == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["ran"], summary["cached"], summary["failed"]) == (2, 4, 0)
    assert not list((out / "failed").iterdir())
    assert point_files(out) == point_files(ref)
    assert (out / "results.csv").read_bytes() == (ref / "results.csv").read_bytes()


def test_fill_cache_runs_each_missing_point_once_and_a_sweep_then_runs_nothing(tmp_path, capsys):
    from pimsim.cache.store import ResultCache
    from pimsim.sweeps.spec import expand_all, load_spec

    path, ref = sweep_file(tmp_path), tmp_path / "ref"
    assert sweep(path, ref, "--workers", "2", "--no-cache") == 0  # leaves the result cache empty
    capsys.readouterr()
    points = expand_all(load_spec(path))[0]
    cache, seen = ResultCache(), []
    with execute.local_executor(2) as runner:
        ran = execute.fill_cache(runner, points + points[:2], cache,
                                 lambda done, total, p, outcome: seen.append((done, total, outcome["ok"])))
    assert ran == 6 and seen == [(n, 6, True) for n in range(1, 7)]  # each distinct point once
    assert all(cache.get(p.key) is not None for p in points)
    with execute.local_executor(2) as runner:  # all held: nothing runs
        assert execute.fill_cache(runner, points, cache) == 0
    out = tmp_path / "out"
    assert sweep(path, out, "--workers", "2") == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["ran"], summary["cached"]) == (0, 6)
    assert (out / "results.csv").read_bytes() == (ref / "results.csv").read_bytes()


def test_a_sweep_killed_with_a_signal_resumes_to_exactly_the_uninterrupted_result(tmp_path):
    factors = {"asic.clock_mhz": [100, 200, 300, 400, 500, 600, 700, 800]}
    path = sweep_file(tmp_path, workloads=("gpt2-small",), tokens=(1, 1), factors=factors)
    out, ref = tmp_path / "out", tmp_path / "ref"
    proc = subprocess.Popen([sys.executable, "-m", "pimsim", "sweep", str(path), "--out", str(out), "--workers", "1",
                             "--json"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while len(list((out / "points").glob("*.json"))) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its workers, with no chance to clean up
    proc.wait(timeout=10)
    finished = len(list((out / "points").glob("*.json")))
    assert 2 <= finished < 8, "the kill should land part-way through the sweep"
    assert not (out / "results.csv").exists()
    assert sweep(path, ref, "--workers", "2") == 0
    assert sweep(path, out, "--workers", "2", "--resume") == 0
    assert point_files(out) == point_files(ref)
    assert sorted(p.name for p in (out / "points").iterdir()) == sorted(point_files(ref))  # no leftovers
    table = pd.read_csv(out / "results.csv")
    assert len(table) == 8 and table["asic.clock_mhz"].is_unique
    assert (out / "results.csv").read_bytes() == (ref / "results.csv").read_bytes()


DASK_RUN = textwrap.dedent("""
    import sys
    from dask.distributed import LocalCluster
    from pimsim.cli.main import main
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        sys.exit(main(["sweep", sys.argv[1], "--out", sys.argv[2], "--scheduler", cluster.scheduler_address,
                       "--json"]))
""")


def test_a_dask_local_cluster_gives_the_same_table_as_local_processes(tmp_path):
    pytest.importorskip("dask.distributed")
    path = sweep_file(tmp_path)
    local, dask = tmp_path / "local", tmp_path / "dask"
    assert sweep(path, local, "--workers", "2") == 0
    proc = subprocess.run([sys.executable, "-c", DASK_RUN, str(path), str(dask)], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1])["executor"] == "dask"
    assert (dask / "results.csv").read_bytes() == (local / "results.csv").read_bytes()
    assert point_files(dask) == point_files(local)


def test_a_scheduler_that_does_not_answer_fails_in_one_line_with_exit_2(tmp_path):
    pytest.importorskip("dask.distributed")
    out = tmp_path / "out"
    t0 = time.monotonic()
    proc = cli("sweep", str(sweep_file(tmp_path)), "--out", str(out), "--scheduler", "tcp://127.0.0.1:1")
    assert time.monotonic() - t0 < 15  # refused at once; the bound is --connect-timeout (10 s)
    assert proc.returncode == 2
    assert proc.stderr.startswith("pimsim: error: --scheduler: no Dask scheduler answered at tcp://127.0.0.1:1")
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert not out.exists()  # nothing is written before the executor is up


def test_a_scheduler_that_accepts_but_never_answers_fails_within_the_connect_timeout(tmp_path):
    pytest.importorskip("dask.distributed")
    with socket.socket() as silent:  # listens, never accepts, never speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        t0 = time.monotonic()
        proc = cli("sweep", str(sweep_file(tmp_path)), "--out", str(tmp_path / "out"), "--scheduler", address,
                   "--connect-timeout", "2")
        elapsed = time.monotonic() - t0
    assert proc.returncode == 2 and elapsed < 15
    assert proc.stderr.startswith(f"pimsim: error: --scheduler: no Dask scheduler answered at {address} within 2 s")
    assert proc.stderr.count("\n") == 1


def test_an_out_folder_holding_another_sweep_is_refused_and_the_same_sweep_needs_resume(tmp_path, capsys):
    out = tmp_path / "out"
    first = sweep_file(tmp_path, name="a", factors={"asic.clock_mhz": [100, 200]})
    assert sweep(first, out, "--workers", "1") == 0
    capsys.readouterr()
    other = sweep_file(tmp_path, name="b", factors={"asic.clock_mhz": [100, 300]})
    assert sweep(other, out, "--resume") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "holds a different sweep" in err
    assert sweep(first, out) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already holds this sweep; pass --resume" in err
    assert sweep(first, out, "--resume") == 0
    assert json.loads(capsys.readouterr().out)["cached"] == 2


def test_bad_arguments_and_bad_sweep_files_exit_2_in_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"name": "x", "base": str(BASE), "workloads": ["tiny"],
                                   "factors": {"dram.chanels": [1]}}))
    assert sweep(bad, tmp_path / "o") == 2
    assert capsys.readouterr().err == ("pimsim: error: " + str(bad) +
                                       ": factors.dram.chanels: unknown key (did you mean dram.channels?)\n")
    assert sweep(sweep_file(tmp_path), tmp_path / "o", "--workers", "0") == 2
    assert "--workers: expected at least 1" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_plot_draws_lines_per_factor_and_heat_maps_for_a_two_factor_grid(tmp_path, capsys):
    out = tmp_path / "out"
    path = sweep_file(tmp_path, factors={"asic.clock_mhz": [100, 1000], "pim.mac_lanes": [8, 16]})
    assert sweep(path, out, "--workers", "2") == 0
    capsys.readouterr()
    assert main(["plot", str(out)]) == 0
    printed = capsys.readouterr().out.split()
    names = {Path(p).name for p in printed}
    assert {"asic_clock_mhz-ms_per_token.png", "pim_mac_lanes-row_hit_rate.svg", "heatmap-speedup-tiny.png",
            "heatmap-energy_efficiency-tiny.svg"} <= names
    assert all(Path(p).stat().st_size > 0 for p in printed)
