"""Prompt passes and generation passes reported apart: they add up to the run, pass by pass."""

from __future__ import annotations

import pytest

from pimsim.config import load_hwconfig
from pimsim.config.workload import resolve_workload
from pimsim.report.run_summary import metrics, token_rows
from pimsim.sim.generation import simulate_generation

HW = "hwconfigs/pimgpt.yaml"


@pytest.fixture(scope="module")
def run():
    res = simulate_generation(load_hwconfig(HW), resolve_workload("tiny", 5, 4))
    return res, metrics(res)


def test_phases_add_up_to_the_run(run):
    res, m = run
    p, g = m["phases"]["prompt"], m["phases"]["generate"]
    assert (p["passes"], g["passes"]) == (5, 3)
    assert p["latency_s"] + g["latency_s"] == pytest.approx(m["latency_s"], rel=1e-12)
    assert p["energy_j"] + g["energy_j"] == pytest.approx(m["energy_j"], rel=1e-9)
    counts = {}
    for ph in res.phases.values():
        for k, v in ph.command_counts.items():
            counts[k] = counts.get(k, 0) + v
    assert counts == {k: v for k, v in res.command_counts.items() if v}


def test_every_pass_carries_its_own_energy_and_they_sum_to_the_total(run):
    res, m = run
    rows = token_rows(res)
    assert sum(float(r["mj"]) for r in rows) / 1e3 == pytest.approx(m["energy_j"], rel=1e-6)
    gen = [float(r["mj"]) for r in rows if r["phase"] == "generate"]
    first_prompts = [float(r["mj"]) for r in rows if r["phase"] == "prompt"][:4]
    assert min(gen) > max(first_prompts)  # generation passes run the LM head; early prompt passes do not


def test_a_run_without_generation_passes_has_only_the_prompt_phase():
    m = metrics(simulate_generation(load_hwconfig(HW), resolve_workload("tiny", 3, 1)))
    assert list(m["phases"]) == ["prompt"] and m["phases"]["prompt"]["passes"] == 3


def test_the_work_split_sums_to_the_latency_and_names_the_vmm_share(run):
    _, m = run
    assert sum(m["work_s"].values()) == pytest.approx(m["latency_s"], rel=1e-12)
    assert m["vmm_share"] == pytest.approx(m["work_s"]["vmm"] / m["latency_s"])
