"""Baselines: the analytic model by hand, device files, the measured CSV backend and its errors."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
import yaml

from pimsim.baselines.analytic import VECTOR_COSTS, BaselineResult, estimate, op_seconds, op_traffic
from pimsim.baselines.device import DEVICE_DIR, REPO_ROOT, DeviceConfig, device_names, load_device
from pimsim.baselines.measured import COLUMNS, read_measured, write_measured
from pimsim.baselines.registry import BACKENDS, baseline_estimate
from pimsim.config.workload import ModelShape, resolve_workload
from pimsim.errors import PimsimError
from pimsim.workload.ops import ATTENTION, GEMV, KINDS, Op, forward_passes

# A device with round numbers: 50e9 B/s and 0.5e12 flop/s achieved, 10 us per kernel,
# 3 kernels per layer + 2 per token.
ROUND = dict(
    name="round", kind="gpu", backend="analytic", source="test", memory_bandwidth_gbps=100.0,
    peak_tflops=1.0, bandwidth_efficiency=0.5, compute_efficiency=0.5, kernel_overhead_us=10.0,
    kernels_per_layer=3, kernels_per_token=2, idle_power_w=10.0, active_power_w=100.0, dtype_bytes=2,
    measured_csv=None,
)
MODEL = ModelShape(layers=2, d_model=64, heads=2, d_head=32, d_ff=256, vocab=512, context=64, tied_embeddings=True)
OVERHEAD_S = 10e-6 * (3 * 2 + 2)  # 8 kernels per pass


def device(**changes) -> DeviceConfig:
    return DeviceConfig(**{**ROUND, **changes})


def gemv(rows: int, cols: int) -> Op:
    return Op("gemv", "g", 0, rows=rows, cols=cols, weight="g")


def one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


# -- the analytic model, by hand ------------------------------------------------------------------

def test_one_gemv_pass_is_weight_streaming_plus_kernel_overhead():
    result = estimate(device(), "m", MODEL, [(0, False, [gemv(1000, 500)])])
    t_mem = (1000 * 500 * 2 + (1000 + 500) * 2) / 50e9  # 1,003,000 B: weights + input + output
    assert t_mem > 1e6 / 0.5e12  # memory-bound: the compute roofline is 2 us
    assert result.per_pass_seconds == pytest.approx([t_mem + OVERHEAD_S], rel=1e-12)
    assert result.seconds == pytest.approx(100.06e-6, rel=1e-12)
    assert result.ms_per_token == pytest.approx(0.10006, rel=1e-12)
    assert result.breakdown == pytest.approx({"memory": 20.06e-6, "compute": 0.0, "overhead": 80e-6}, rel=1e-12)


def test_multi_op_passes_sum_each_ops_roofline_and_the_overhead():
    ops = [
        gemv(1000, 500),  # 1,003,000 B -> 20.06 us
        Op("attn_score", "s", 0, heads=2, d_head=32, context=10),  # K 1280 B + q, scores 168 B -> 28.96 ns
        Op("softmax", "sm", 0, elements=10, groups=2),  # 20 x 2 B x 2 accesses = 80 B -> 1.6 ns
        Op("layernorm", "ln", 0, elements=64),  # 64 x 2 B x 4 accesses = 512 B -> 10.24 ns
    ]
    op_time = 20.06e-6 + 28.96e-9 + 1.6e-9 + 10.24e-9
    result = estimate(device(), "m", MODEL, [(0, True, ops), (1, False, ops[:1])])
    assert result.passes == 2
    assert result.per_pass_seconds == pytest.approx([op_time + OVERHEAD_S, 20.06e-6 + OVERHEAD_S], rel=1e-12)
    assert result.seconds == pytest.approx(op_time + 20.06e-6 + 2 * OVERHEAD_S, rel=1e-12)
    assert result.ms_per_token == pytest.approx(result.seconds / 2 * 1e3, rel=1e-12)
    assert result.breakdown["overhead"] == pytest.approx(2 * OVERHEAD_S, rel=1e-12)


def test_energy_is_active_power_over_op_time_plus_idle_power_over_overhead():
    result = estimate(device(), "m", MODEL, [(0, False, [gemv(1000, 500)])] * 3)
    per_pass_j = 100.0 * 20.06e-6 + 10.0 * 80e-6  # 2.006 mJ + 0.8 mJ
    assert result.joules == pytest.approx(3 * per_pass_j, rel=1e-12)
    assert result.j_per_token == pytest.approx(per_pass_j, rel=1e-12)
    assert result.energy_source == "model"


def test_memory_bound_op_time_scales_linearly_with_bytes():
    dev = device(peak_tflops=1e6)  # compute is never the bound
    small, large = (Op("residual", "r", 0, elements=n) for n in (1000, 3000))
    assert op_traffic(large, 2)[0] == 3 * op_traffic(small, 2)[0]
    (t_small, mem_small), (t_large, mem_large) = op_seconds(small, dev), op_seconds(large, dev)
    assert mem_small and mem_large
    assert t_small == pytest.approx(1000 * 3 * 2 / 50e9, rel=1e-12)
    assert t_large == pytest.approx(3 * t_small, rel=1e-12)


def test_compute_bound_op_time_scales_linearly_with_flops():
    dev = device(memory_bandwidth_gbps=1e9, peak_tflops=1e-3)  # 0.5 Gflop/s: compute always binds
    small, large = gemv(64, 100), gemv(64, 400)
    (t_small, mem_small), (t_large, mem_large) = op_seconds(small, dev), op_seconds(large, dev)
    assert not mem_small and not mem_large
    assert t_small == pytest.approx(2 * 64 * 100 / 0.5e9, rel=1e-12)
    assert t_large == pytest.approx(4 * t_small, rel=1e-12)
    result = estimate(dev, "m", MODEL, [(0, False, [small])])
    assert result.breakdown["compute"] == pytest.approx(t_small, rel=1e-12)
    assert result.breakdown["memory"] == 0.0


@pytest.mark.parametrize("per_layer,per_token,layers", [(3, 2, 2), (20, 15, 12), (0, 1, 48), (7, 0, 5)])
def test_overhead_is_charged_per_kernel(per_layer, per_token, layers):
    model = MODEL.model_copy(update={"layers": layers})
    dev = device(kernels_per_layer=per_layer, kernels_per_token=per_token, kernel_overhead_us=3.5)
    result = estimate(dev, "m", model, [(p, False, []) for p in range(4)])
    per_pass = 3.5e-6 * (per_layer * layers + per_token)
    assert result.per_pass_seconds == pytest.approx([per_pass] * 4, rel=1e-12)
    assert result.breakdown["overhead"] == pytest.approx(4 * per_pass, rel=1e-12)
    assert result.joules == pytest.approx(10.0 * 4 * per_pass, rel=1e-12)  # idle power only


def test_every_op_kind_has_an_analytic_cost():
    covered = {GEMV, *ATTENTION, *VECTOR_COSTS}
    assert set(KINDS) <= covered


def test_no_passes_estimate_nothing_but_still_check_the_device(tmp_path):
    result = baseline_estimate(device(), resolve_workload("tiny"), passes=[])
    assert (result.passes, result.seconds, result.joules) == (0, 0.0, 0.0)
    assert math.isnan(result.ms_per_token) and math.isnan(result.j_per_token)
    path = tmp_path / "measured.csv"
    write_measured(path, ROWS[1:])
    with pytest.raises(PimsimError, match="no measurement of model 'tiny'"):
        baseline_estimate(measured_t4(path), resolve_workload("tiny"), passes=[])


# -- device files -----------------------------------------------------------------------------

def test_every_shipped_device_file_loads_with_a_registered_backend():
    assert device_names() == ["a100", "a100-calibrated", "h100", "h100-calibrated", "h200", "h200-calibrated",
                              "h200-static-graphs", "h200-torch-bf16", "host", "host-torch", "t4", "t4-calibrated",
                              "xeon-gold-6154", "xeon-gold-6154-calibrated"]
    for name in device_names():
        dev = load_device(name)
        assert dev.name == name
        assert dev.backend in BACKENDS
        assert dev.active_power_w >= dev.idle_power_w


def test_every_device_value_carries_a_source_comment():
    for path in sorted(DEVICE_DIR.glob("*.yaml")):
        keys = yaml.safe_load(path.read_text())
        for line in path.read_text().splitlines():
            if line and not line.startswith("#"):
                assert "#" in line.split('"')[-1], f"{path.name}: {line!r} has no comment"
        assert set(keys) == set(DeviceConfig.model_fields)


def test_unknown_device_lists_known_ones():
    with pytest.raises(PimsimError) as exc:
        load_device("t5")
    text = one_line(exc)
    assert "unknown device 't5'" in text and "did you mean t4?" in text
    assert ("a100, a100-calibrated, h100, h100-calibrated, h200, h200-calibrated, h200-static-graphs, "
            "h200-torch-bf16, host, host-torch, t4, t4-calibrated, xeon-gold-6154, xeon-gold-6154-calibrated") in text


def test_misspelt_device_key_names_file_and_key(tmp_path):
    raw = yaml.safe_load((DEVICE_DIR / "t4.yaml").read_text())
    raw["kernel_overhead_ns"] = raw.pop("kernel_overhead_us")
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(PimsimError) as exc:
        load_device(path)
    assert one_line(exc).startswith(f"{path}: kernel_overhead_ns: unknown key (did you mean kernel_overhead_us?)")


def test_unknown_backend_names_backend_and_known_ones():
    with pytest.raises(PimsimError) as exc:
        baseline_estimate(device(backend="analitic"), resolve_workload("tiny"))
    text = one_line(exc)
    assert "backend" in text and "'analitic'" in text and "known: analytic, measured" in text


def test_shipped_device_estimates_every_forward_pass_of_a_workload():
    workload = resolve_workload("tiny")
    result = baseline_estimate("t4", workload)
    assert isinstance(result, BaselineResult)
    assert result.passes == len(result.per_pass_seconds) == forward_passes(workload)
    assert sum(result.breakdown.values()) == pytest.approx(result.seconds, rel=1e-12)


# -- the measured backend ---------------------------------------------------------------------

ROWS = [
    {"device": "t4", "model": "tiny", "ms_per_token": 5.5, "watts": 60.0, "tokens": 128, "source": "bench a"},
    {"device": "t4", "model": "gpt2-small", "ms_per_token": 7.25, "watts": None, "tokens": 64, "source": "bench b"},
]


def measured_t4(path) -> DeviceConfig:
    return load_device("t4").model_copy(update={"backend": "measured", "measured_csv": str(path)})


def test_measured_csv_round_trip_gives_the_csv_latency(tmp_path):
    path = tmp_path / "measured.csv"
    write_measured(path, ROWS)
    assert read_measured(path) == ROWS
    workload = resolve_workload("tiny")
    result = baseline_estimate(measured_t4(path), workload)
    assert result.backend == "measured" and result.source == "bench a"
    assert result.passes == forward_passes(workload)
    assert result.ms_per_token == pytest.approx(5.5, rel=1e-12)
    assert result.j_per_token == pytest.approx(60.0 * 5.5e-3, rel=1e-12)
    assert result.energy_source == "measured power"


def test_measured_row_without_watts_uses_the_device_power(tmp_path):
    path = tmp_path / "measured.csv"
    write_measured(path, ROWS)
    result = baseline_estimate(measured_t4(path), resolve_workload("gpt2-small", 4, 2))
    assert result.ms_per_token == pytest.approx(7.25, rel=1e-12)
    assert result.j_per_token == pytest.approx(70.0 * 7.25e-3, rel=1e-12)
    assert result.energy_source == "assumed power"


def test_measured_csv_path_is_relative_to_the_repository_root():
    assert measured_t4("baselines/m.csv").measured_path() == REPO_ROOT / "baselines" / "m.csv"


def write_text(tmp_path, text: str):
    path = tmp_path / "m.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text,where,words", [
    ("device,model,ms_per_token,tokens,source\nt4,tiny,5,8,x\n", "line 1", ["missing column 'watts'"]),
    ("device,model,ms_per_token,watts,tokens,source\nt4,tiny,5,,8,x\nt4,gpt2,fast,,8,x\n", "line 3",
     ["ms_per_token", "expected a number", "'fast'"]),
    ("device,model,ms_per_token,watts,tokens,source\nt4,tiny,5,-3,8,x\n", "line 2", ["watts", "must be 0 or more"]),
    ("device,model,ms_per_token,watts,tokens,source\nt4,tiny,-5,,8,x\n", "line 2", ["ms_per_token", "positive"]),
    ("device,model,ms_per_token,watts,tokens,source\nt4,tiny,5,,8\n", "line 2", ["expected 6 fields, got 5"]),
    ("device,model,ms_per_token,watts,tokens,source\nt4,tiny,5,,8,x\nt4,tiny,6,,8,y\n", "line 3",
     ["duplicate", "first at line 2"]),
    ("device,model,ms_per_tokn,watts,tokens,source\n", "line 1", ["unknown column", "did you mean ms_per_token?"]),
])
def test_bad_measured_csv_is_a_one_line_error_naming_file_and_line(tmp_path, text, where, words):
    path = write_text(tmp_path, text)
    with pytest.raises(PimsimError) as exc:
        read_measured(path)
    message = one_line(exc)
    assert message.startswith(f"{path}: {where}: ")
    for word in words:
        assert word in message


def test_measured_backend_without_a_row_for_the_model_is_a_clean_error(tmp_path):
    path = tmp_path / "measured.csv"
    write_measured(path, ROWS[1:])
    with pytest.raises(PimsimError) as exc:
        baseline_estimate(measured_t4(path), resolve_workload("tiny"))
    text = one_line(exc)
    assert text.startswith(str(path)) and "'tiny'" in text and "gpt2-small" in text


def test_measured_backend_without_a_csv_names_measured_csv():
    with pytest.raises(PimsimError) as exc:
        baseline_estimate(device(backend="measured"), resolve_workload("tiny"))
    assert "measured_csv" in one_line(exc)


def test_missing_measured_csv_file_is_a_clean_error(tmp_path):
    with pytest.raises(PimsimError) as exc:
        read_measured(tmp_path / "absent.csv")
    assert one_line(exc) == f"{tmp_path / 'absent.csv'}: file not found"


def test_write_measured_rejects_rows_with_wrong_columns(tmp_path):
    with pytest.raises(PimsimError, match="expected keys"):
        write_measured(tmp_path / "m.csv", [{"device": "t4"}])
    assert COLUMNS == ("device", "model", "ms_per_token", "watts", "tokens", "source")


# -- layering ---------------------------------------------------------------------------------

def test_baselines_read_workloads_only():
    code = ("import sys, pimsim.baselines.registry\n"
            "bad = [m for m in sys.modules if m.split('.')[:2][-1] in "
            "('sim', 'pim', 'asic', 'dram', 'mapping', 'energy', 'trace', 'report', 'cli', 'sweep')"
            " and m.startswith('pimsim.')]\n"
            "print(','.join(sorted(bad)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    assert out.stdout.strip() == ""
