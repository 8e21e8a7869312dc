"""The result cache: one store for run, compare, sweep and the API; byte-identical outputs from it;
nothing that it holds is simulated again; safe under concurrent writers."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import yaml

import pimsim
from pimsim.cache.store import ResultCache
from pimsim.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "hwconfigs" / "pimgpt.yaml"


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_run_read_from_the_cache_writes_byte_identical_files(tmp_path, capsys):
    argv = ["run", "--model", "tiny", "--prompt-tokens", "2", "--output-tokens", "3", "--json"]
    assert main([*argv, "--out", str(tmp_path / "a")]) == 0
    first = json.loads(capsys.readouterr().out)
    assert main([*argv, "--out", str(tmp_path / "b")]) == 0
    second = json.loads(capsys.readouterr().out)
    assert (first["cached"], second["cached"]) == (False, True)
    assert main([*argv, "--out", str(tmp_path / "c"), "--no-cache"]) == 0
    assert json.loads(capsys.readouterr().out)["cached"] is False
    assert files(tmp_path / "a") == files(tmp_path / "b") == files(tmp_path / "c")
    assert ResultCache().info()["entries"] == 1


def test_the_api_and_the_cli_share_the_cache_and_the_hashes(tmp_path, capsys):
    res = pimsim.simulate(model="tiny", prompt_tokens=2, output_tokens=2, overrides={"asic.clock_mhz": 500})
    assert not res.cached and res.run is not None
    assert main(["run", "--model", "tiny", "--prompt-tokens", "2", "--output-tokens", "2", "--set",
                 "asic.clock_mhz=500.0", "--out", str(tmp_path / "r"), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["cached"] and printed["run_hash"] == res.run_hash and printed["hw_hash"] == res.hw_hash
    config = json.loads((tmp_path / "r" / "config.json").read_text())
    assert (config["run_hash"], config["hw_hash"], config["overrides"]) == (res.run_hash, res.hw_hash,
                                                                           ["asic.clock_mhz=500.0"])
    assert ResultCache().path(res.run_hash).is_file()
    again = pimsim.simulate(model="tiny", prompt_tokens=2, output_tokens=2, overrides={"asic.clock_mhz": 500})
    assert again.cached and again.run is None and again.to_dict()["overrides"] == ["asic.clock_mhz=500"]
    assert again.summary == res.summary and again.tokens().equals(res.tokens()) and again.ops().equals(res.ops())


def _write_many(root: str, record: dict, n: int) -> None:
    cache = ResultCache(root)
    for _ in range(n):
        cache.put("00ff00ff00ff00ff", record)


def test_two_workers_writing_the_same_point_leave_one_whole_entry(tmp_path):
    record = {"metrics": {"x": list(range(2000))}, "ops": [], "tokens": []}
    ctx = multiprocessing.get_context("spawn")
    writers = [ctx.Process(target=_write_many, args=(str(tmp_path), record, 60)) for _ in range(2)]
    for w in writers:
        w.start()
    cache = ResultCache(tmp_path)
    path, whole = cache.path("00ff00ff00ff00ff"), {**record, "run_hash": "00ff00ff00ff00ff"}
    while any(w.is_alive() for w in writers):
        try:
            text = path.read_text()  # the file itself: get() would turn a torn file into a miss
        except FileNotFoundError:
            continue
        assert json.loads(text) == whole  # a reader never sees a partial file
    for w in writers:
        w.join()
        assert w.exitcode == 0
    assert cache.get("00ff00ff00ff00ff") == {**record, "run_hash": "00ff00ff00ff00ff"}
    assert [p.name for p in (tmp_path / "runs" / "00").iterdir()] == ["00ff00ff00ff00ff.json"]  # no temporary left


def _sweep_file(tmp_path: Path, clocks: list[int]) -> Path:
    other = tmp_path / "tiny-b.yaml"
    other.write_text((ROOT / "workloads" / "tiny.yaml").read_text().replace("name: tiny", "name: tiny-b"))
    data = {"name": "grow", "base": str(BASE), "workloads": ["tiny", str(other)], "tokens": {"prompt": 2, "output": 2},
            "factors": {"asic.clock_mhz": clocks}}
    path = tmp_path / f"grow-{len(clocks)}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_a_sweep_grown_by_one_value_into_another_folder_simulates_one_new_point_per_workload(tmp_path, capsys):
    assert main(["sweep", str(_sweep_file(tmp_path, [100, 200])), "--out", str(tmp_path / "a"), "--workers", "1",
                 "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert (first["points"], first["ran"], first["cached"]) == (4, 4, 0)
    assert main(["sweep", str(_sweep_file(tmp_path, [100, 200, 400])), "--out", str(tmp_path / "b"), "--workers", "1",
                 "--json"]) == 0
    grown = json.loads(capsys.readouterr().out)
    assert (grown["points"], grown["ran"], grown["cached"]) == (6, 2, 4)
    a = (tmp_path / "a" / "results.csv").read_text().splitlines()
    b = (tmp_path / "b" / "results.csv").read_text().splitlines()
    assert a[0] == b[0] and set(a[1:]) < set(b[1:])  # the cached points' rows are the same rows


def test_a_comparison_of_models_already_run_simulates_nothing(tmp_path, capsys):
    assert main(["run", "--model", "tiny", "--prompt-tokens", "2", "--output-tokens", "2",
                 "--out", str(tmp_path / "r")]) == 0
    capsys.readouterr()
    assert main(["compare", "--models", "tiny", "--baselines", "t4", "--prompt-tokens", "2", "--output-tokens", "2",
                 "--out", str(tmp_path / "c")]) == 0
    assert "[1/1] tiny: from the result cache" in capsys.readouterr().err


def test_an_interrupted_comparison_resumes_from_the_models_it_finished(tmp_path, capsys, monkeypatch):
    import pimsim.cache.runs as runs

    real, calls = runs.simulate_record, []

    def interrupted_on_the_second(hw, workload, *args, **kwargs):
        calls.append(workload.name)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(hw, workload, *args, **kwargs)

    monkeypatch.setattr(runs, "simulate_record", interrupted_on_the_second)
    argv = ["compare", "--models", "tiny,gpt2-small", "--baselines", "t4", "--prompt-tokens", "1",
            "--output-tokens", "1", "--out", str(tmp_path / "c")]
    assert main(argv) == 130
    err = capsys.readouterr().err
    assert "1 of 2 models finished and kept in the result cache; the same command resumes from there" in err
    assert not (tmp_path / "c").exists()
    monkeypatch.setattr(runs, "simulate_record", real)
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "[1/2] tiny: from the result cache" in err and "[2/2] gpt2-small: simulated" in err


def test_cache_info_and_clear(capsys, own_result_cache):
    pimsim.simulate(model="tiny", prompt_tokens=1, output_tokens=1)
    assert main(["cache", "info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["path"], info["entries"], info["versions"]) == (str(own_result_cache), 1, {pimsim.__version__: 1})
    assert main(["cache", "clear"]) == 0
    assert capsys.readouterr().out.strip() == f"removed 1 entries from {own_result_cache}"
    assert ResultCache().info()["entries"] == 0
