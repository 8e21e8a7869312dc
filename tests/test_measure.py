"""Measured baselines: the numpy GPT forward pass, its timer, the GPU guard and the CLI."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from pimsim.baselines.cpu_forward import CpuGpt, measure_cpu
from pimsim.baselines.gpu_measure import measure_gpu
from pimsim.baselines.measured import COLUMNS, read_measured
from pimsim.cli.main import main
from pimsim.config.workload import resolve_workload
from pimsim.errors import PimsimError

TINY = resolve_workload("tiny").model


def _torch_cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def _reference_logits(gpt: CpuGpt, tokens: list[int]) -> np.ndarray:
    """The last token's logits recomputed over the whole sequence at once (no cache), in float64."""
    m, n = gpt.model, len(tokens)

    def ln(x, g, b):
        mu = x.mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + 1e-5) * g + b

    x = gpt.wte[tokens].astype(np.float64) + gpt.wpe[:n]
    causal = np.triu(np.full((n, n), -np.inf), 1)
    for L in gpt.layers:
        qkv = ln(x, L.ln1_g, L.ln1_b) @ L.w_qkv.T + L.b_qkv
        q, k, v = (qkv[:, i * m.d_model:(i + 1) * m.d_model].reshape(n, m.heads, m.d_head).transpose(1, 0, 2)
                   for i in range(3))
        s = q @ k.transpose(0, 2, 1) / np.sqrt(m.d_head) + causal
        p = np.exp(s - s.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        x = x + (p @ v).transpose(1, 0, 2).reshape(n, m.d_model) @ L.w_proj.T + L.b_proj
        u = ln(x, L.ln2_g, L.ln2_b) @ L.w_fc1.T + L.b_fc1
        u = 0.5 * u * (1 + np.tanh(np.sqrt(2 / np.pi) * (u + 0.044715 * u ** 3)))
        x = x + u @ L.w_fc2.T + L.b_fc2
    return ln(x, gpt.lnf_g, gpt.lnf_b)[-1] @ gpt.wte.T


def test_step_returns_finite_logits_over_the_vocabulary():
    logits = CpuGpt(TINY).step(0, 0)
    assert logits.shape == (TINY.vocab,)
    assert logits.dtype == np.float32
    assert np.isfinite(logits).all()


def test_same_seed_gives_identical_logits_and_another_seed_does_not():
    a, b, c = CpuGpt(TINY, seed=0), CpuGpt(TINY, seed=0), CpuGpt(TINY, seed=1)
    for pos, tok in enumerate([3, 1, 4]):
        la, lb, lc = a.step(tok, pos), b.step(tok, pos), c.step(tok, pos)
        assert np.array_equal(la, lb)
    assert not np.allclose(la, lc)


def test_kv_cache_grows_by_one_per_token():
    gpt = CpuGpt(TINY)
    assert gpt.cache_len == 0
    for pos in range(5):
        gpt.step(pos, pos)
        assert gpt.cache_len == pos + 1


def test_weights_are_contiguous_float32_laid_out_out_by_in():
    layer = CpuGpt(TINY).layers[0]
    assert layer.w_qkv.shape == (3 * TINY.d_model, TINY.d_model)
    assert layer.w_fc1.shape == (TINY.d_ff, TINY.d_model) and layer.w_fc2.shape == (TINY.d_model, TINY.d_ff)
    for w in (layer.w_qkv, layer.w_proj, layer.w_fc1, layer.w_fc2):
        assert w.dtype == np.float32 and w.flags.c_contiguous


def test_cached_steps_match_recomputing_the_whole_sequence():
    gpt, tokens = CpuGpt(TINY), [7, 300, 2, 511, 42]
    for pos, tok in enumerate(tokens):
        logits = gpt.step(tok, pos)
    np.testing.assert_allclose(logits, _reference_logits(gpt, tokens), rtol=1e-4, atol=1e-4)


def test_rewinding_to_position_zero_replays_the_same_logits():
    gpt = CpuGpt(TINY)
    first = [gpt.step(t, p).copy() for p, t in enumerate([5, 6])]
    gpt.reset()
    again = [gpt.step(t, p) for p, t in enumerate([5, 6])]
    assert all(np.array_equal(x, y) for x, y in zip(first, again))


def test_skipping_a_position_is_a_one_line_error():
    with pytest.raises(PimsimError, match="in order"):
        CpuGpt(TINY).step(0, 1)


def test_measure_cpu_reports_a_positive_median_and_the_host():
    res = measure_cpu(TINY, tokens=4)
    assert res["ms_per_token"] > 0 and res["ms_per_token_mean"] > 0
    assert res["tokens"] == 4 and res["threads"] >= 1
    assert res["numpy"] == np.__version__ and isinstance(res["blas"], str) and res["blas"]


def test_measure_cpu_rejects_more_tokens_than_the_context():
    with pytest.raises(PimsimError, match="context"):
        measure_cpu(TINY, tokens=TINY.context + 1)


def test_cli_measure_cpu_writes_a_csv_row(tmp_path, capsys):
    out = tmp_path / "baselines.csv"
    assert main(["baseline", "measure-cpu", "--model", "tiny", "--tokens", "3", "--csv", str(out)]) == 0
    assert "ms/token" in capsys.readouterr().out
    with out.open(newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == list(COLUMNS)
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1]))
    assert float(row["ms_per_token"]) > 0
    assert row["device"] == "host" and row["model"] == "tiny" and row["tokens"] == "3" and row["watts"] == ""
    assert row["source"].startswith("pimsim baseline measure-cpu")


def test_cli_measure_cpu_replaces_its_own_row_and_keeps_the_others(tmp_path):
    out = tmp_path / "baselines.csv"
    out.write_text("device,model,ms_per_token,watts,tokens,source\nt4,gpt2-small,10.5,70,32,paper\n")
    for _ in range(2):
        assert main(["baseline", "measure-cpu", "--model", "tiny", "--tokens", "2", "--csv", str(out)]) == 0
    rows = read_measured(out)  # the reader of the measured backend accepts the file
    assert [(r["device"], r["model"]) for r in rows] == [("t4", "gpt2-small"), ("host", "tiny")]
    assert rows[0]["ms_per_token"] == 10.5 and rows[0]["watts"] == 70 and rows[1]["watts"] is None


def test_cli_measure_cpu_refuses_a_csv_with_another_header(tmp_path, capsys):
    out = tmp_path / "other.csv"
    out.write_text("a,b\n1,2\n")
    assert main(["baseline", "measure-cpu", "--model", "tiny", "--tokens", "2", "--csv", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown column" in err
    assert out.read_text() == "a,b\n1,2\n"


def test_cli_measure_cpu_json_is_one_object_without_a_date(capsys):
    assert main(["baseline", "measure-cpu", "--model", "tiny", "--tokens", "2", "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    res = json.loads(out)
    assert res["ms_per_token"] > 0 and res["model"] == "tiny" and res["device"] == "host"
    assert "date" not in out and "source" not in res


def test_cli_measure_cpu_unknown_model_is_a_one_line_error(capsys):
    assert main(["baseline", "measure-cpu", "--model", "gpt9", "--tokens", "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown workload" in err


def test_cli_measure_cpu_zero_tokens_is_a_one_line_error(capsys):
    assert main(["baseline", "measure-cpu", "--model", "tiny", "--tokens", "0"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.skipif(_torch_cuda(), reason="PyTorch with a CUDA GPU is available here")
def test_measure_gpu_without_a_gpu_is_a_one_line_error_with_exit_code_2(capsys):
    assert main(["baseline", "measure-gpu", "--model", "tiny", "--tokens", "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "measure-gpu needs PyTorch with a CUDA GPU; none found on this machine (torch: " in err
    with pytest.raises(PimsimError, match="CUDA GPU"):
        measure_gpu(TINY, tokens=2, cuda_graphs=True)


def test_cli_host_params_json_reports_positive_figures(capsys):
    assert main(["baseline", "host-params", "--quick", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    for key in ("mem_read_gbps", "mem_copy_gbps", "gemv_gflops", "gemv_gbps", "gemm_gflops", "op_overhead_us",
                "small_gemv_us"):
        assert res[key] > 0, key


def test_cli_host_params_prints_readable_lines(capsys):
    assert main(["baseline", "host-params", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "GB/s" in out and "GFLOP/s" in out and "us per call" in out


def test_baseline_without_a_subcommand_is_a_usage_error(capsys):
    assert main(["baseline"]) == 2
    assert capsys.readouterr().err.count("\n") == 1

