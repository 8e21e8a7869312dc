"""The batch study's comparison: each point set beside the analytic GPUs at the same batch."""

from __future__ import annotations

import pandas as pd
import pytest

from pimsim.baselines.registry import baseline_estimate
from pimsim.config.workload import resolve_workload
from pimsim.report.batch_study import batch_figure, batch_lines, batch_table, crossovers


def results(rows):
    return pd.DataFrame([{"dram.channels": 32, "generation.kv_cache": "run", "generation.batch": b, "workload": w,
                          "prompt_tokens": 2, "output_tokens": 2, "ms_per_token": ms, "tokens_per_s": b * 1e3 / ms,
                          "j_per_token": 0.01} for w, b, ms in rows])


def test_each_point_is_compared_with_the_gpu_running_the_same_batch():
    table = batch_table(results([("gpt2-small", 1, 0.2), ("gpt2-small", 8, 1.6)]), gpus=("t4",))
    w = resolve_workload("gpt2-small", 2, 2)
    eight = w.model_copy(update={"generation": w.generation.model_copy(update={"batch": 8, "kv_cache": "run"})})
    base = baseline_estimate("t4", eight)
    row = table[table["batch"] == 8].iloc[0]
    assert row["gpu_ms_per_step"] == pytest.approx(base.ms_per_token)
    assert row["speedup"] == pytest.approx(base.ms_per_token / 1.6)
    assert row["gpu_j_per_token"] == pytest.approx(base.j_per_token)
    assert base.j_per_token == pytest.approx(base.joules / (base.passes * 8))
    # the GPU's step costs barely more at batch 8 (weights read once), PIM's eight times more
    one = table[table["batch"] == 1].iloc[0]
    assert row["gpu_ms_per_step"] < 1.5 * one["gpu_ms_per_step"]


def test_the_crossover_is_the_first_batch_where_pim_is_slower():
    table = pd.DataFrame({"model": ["m"] * 4 + ["n"] * 2, "gpu": ["t4"] * 6, "batch": [1, 2, 4, 8, 1, 2],
                          "speedup": [5.0, 2.0, 0.9, 0.5, 3.0, 2.0]})
    assert crossovers(table) == {("m", "t4"): 4, ("n", "t4"): None}


def test_the_section_lists_crossovers_and_draws_the_figure(tmp_path):
    res = results([("gpt2-small", 1, 0.2), ("gpt2-small", 64, 500.0)])
    text = "\n".join(batch_lines(res, "f.png"))
    assert "- gpt2-small: t4: PIM slower from batch 64" in text and "| gpt2-small | 64 | 500.000 |" in text
    paths = batch_figure(batch_table(res), tmp_path)
    assert all(p.exists() for p in paths)
