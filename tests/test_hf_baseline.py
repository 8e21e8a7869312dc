"""The standard-stack baseline (Hugging Face transformers on PyTorch) and the measured H200 files."""

from __future__ import annotations

import builtins

import pytest

from pimsim.baselines.measured import read_measured
from pimsim.baselines.registry import baseline_estimate
from pimsim.cli.main import main
from pimsim.config.workload import resolve_workload


def test_without_torch_the_torch_stack_is_a_one_line_error(monkeypatch, capsys):
    real = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name in ("torch", "transformers"):
            raise ImportError(f"No module named '{name}'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    assert main(["baseline", "measure-cpu", "--model", "tiny", "--stack", "torch"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "needs PyTorch and transformers" in err


def test_the_torch_stack_times_prompt_and_decode_apart():
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from pimsim.baselines.hf_measure import measure_hf

    res = measure_hf(resolve_workload("tiny").model, "cpu", "fp32", prompt_tokens=3, tokens=4, repeats=1, threads=1)
    assert res["ms_per_token"] > 0 and res["prompt_pass_ms"] > 0 and res["generate_ms_per_token"] > 0
    assert res["threads"] == 1 and res["dtype"] == "fp32" and res["transformers"]


def test_the_measured_h200_csv_holds_every_model_every_way_with_provenance():
    rows = read_measured("reports/baselines/h200-measured.csv")
    ways = {"h200-torch-bf16", "h200-torch-fp16", "h200-static-eager", "h200-static-graphs"}
    assert {(r["device"], r["model"]) for r in rows} == {(w, m) for w in ways for m in
                                                         ("gpt2-small", "gpt2-medium", "gpt2-large", "gpt2-xl",
                                                          "gpt3-small", "gpt3-medium", "gpt3-large", "gpt3-xl")}
    assert all("2026-12-04" in r["source"] and "torch 2.11.0" in r["source"] for r in rows)


@pytest.mark.parametrize("device", ["h200-torch-bf16", "h200-static-graphs"])
def test_the_measured_h200_devices_compare_like_any_baseline(device):
    res = baseline_estimate(device, resolve_workload("gpt2-small", 2, 3))
    assert res.backend == "measured" and res.passes == 4 and res.ms_per_token > 0.5


def test_host_params_counts_ops_per_layer_and_per_token_and_times_a_hollow_step(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    out = tmp_path / "host.yaml"
    assert main(["baseline", "host-params", "--stack", "torch", "--model", "tiny", "--tokens", "3", "--threads", "1",
                 "--yaml", str(out), "--json"]) == 0
    text = out.read_text()
    fields = dict(line.split("#")[0].strip().split(": ") for line in text.splitlines())
    assert int(fields["kernels_per_layer"]) > 10 and int(fields["kernels_per_token"]) > 0
    assert float(fields["kernel_overhead_us"]) > 0 and "hollow tiny (2 layers" in text
