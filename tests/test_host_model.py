"""The shipped host file's analytic prediction. The comparison with a live measurement is wall-clock
bound, so it is a benchmark (benchmarks/host_model.py), not a test."""

from __future__ import annotations

from pimsim.baselines.analytic import estimate
from pimsim.baselines.device import load_device
from pimsim.config.workload import resolve_workload
from pimsim.workload.ops import generation_ops


def test_the_shipped_host_file_predicts_the_quiet_host_measurement():
    w = resolve_workload("gpt2-small", 1, 16)
    passes = list(generation_ops(w))[:16]
    predicted = estimate(load_device("host"), w.name, w.model, passes).ms_per_token
    assert 17.0 < predicted < 21.0  # quiet-host measurement: 18.3-19.2 ms/token (pimsim baseline measure-cpu)
