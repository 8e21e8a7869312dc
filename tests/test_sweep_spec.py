"""Sweep files: grid and zip expansion, presets, validation errors, cache keys."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pimsim.config.hw import build_hwconfig
from pimsim.config.workload import resolve_workload
from pimsim.config.yamlio import load_yaml
from pimsim.errors import PimsimError
from pimsim.config.hashes import run_hash as config_key
from pimsim.sweeps.spec import apply_settings, expand, expand_all, load_spec

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "hwconfigs" / "pimgpt.yaml"
BASE_DATA = load_yaml(BASE)


def write(tmp_path: Path, **fields) -> Path:
    data = {"name": "t", "base": str(BASE), "workloads": ["tiny"], "tokens": {"prompt": 1, "output": 1}, **fields}
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def error_of(tmp_path: Path, **fields) -> str:
    with pytest.raises(PimsimError) as info:
        expand(load_spec(write(tmp_path, **fields)))
    text = str(info.value)
    assert "\n" not in text
    return text


def test_grid_expands_every_combination_workloads_outer_last_factor_fastest(tmp_path):
    points = expand(load_spec(write(tmp_path, workloads=["tiny", "gpt2-small"],
                                    factors={"dram.channels": [4, 8], "pim.mac_lanes": [8, 16, 32]})))
    assert len(points) == 12
    assert [p.index for p in points] == list(range(12))
    assert [p.workload for p in points] == ["tiny"] * 6 + ["gpt2-small"] * 6
    assert [tuple(p.factors.values()) for p in points[:6]] == [(4, 8), (4, 16), (4, 32), (8, 8), (8, 16), (8, 32)]
    assert list(points[0].factors) == ["dram.channels", "pim.mac_lanes"]
    assert points[5].hw.dram.channels == 8 and points[5].hw.pim.mac_lanes == 32
    assert points[5].sets == ("dram.channels=8", "pim.mac_lanes=32")


def test_zip_pairs_the_ith_values_of_every_factor(tmp_path):
    points = expand(load_spec(write(tmp_path, mode="zip",
                                    factors={"dram.channels": [2, 4, 8], "asic.clock_mhz": [100, 200.5, 400]})))
    assert [tuple(p.factors.values()) for p in points] == [(2, 100), (4, 200.5), (8, 400)]
    assert points[1].hw.asic.clock_mhz == 200.5


def test_zip_with_unequal_lengths_is_one_line_naming_the_lengths(tmp_path):
    err = error_of(tmp_path, mode="zip", factors={"dram.channels": [2, 4, 8], "pim.mac_lanes": [8, 16]})
    assert err.endswith("sweep.yaml: factors: zip needs value lists of equal length "
                        "(dram.channels has 3, pim.mac_lanes has 2)")


def test_presets_set_their_bundle_of_settings(tmp_path):
    points = expand(load_spec(write(tmp_path, factors={"preset": ["slow_asic", "fast_asic"]}, presets={
        "slow_asic": {"asic.clock_mhz": 100, "asic.vector_lanes": 8},
        "fast_asic": {"asic.clock_mhz": 1000, "asic.vector_lanes": 64}})))
    assert [p.factors for p in points] == [{"preset": "slow_asic"}, {"preset": "fast_asic"}]
    assert (points[0].hw.asic.clock_mhz, points[0].hw.asic.vector_lanes) == (100, 8)
    assert (points[1].hw.asic.clock_mhz, points[1].hw.asic.vector_lanes) == (1000, 64)
    assert points[0].sets == ("asic.clock_mhz=100", "asic.vector_lanes=8")


def test_a_timing_set_in_ns_replaces_the_same_parameter_given_in_cycles():
    data = apply_settings(BASE_DATA, {"dram.timing.t_rcd_mac_ns": 14.0})
    assert "nRCDMAC" not in data["dram"]["timing"]
    assert build_hwconfig(data, "x").dram.timing["nRCDMAC"] == 28  # 14 ns at tCK 0.5 ns
    assert "timing" not in BASE_DATA["dram"]  # the base is not modified


def test_unknown_factor_key_names_the_closest_known_key(tmp_path):
    err = error_of(tmp_path, factors={"dram.chanels": [1, 2]})
    assert err.endswith("sweep.yaml: factors.dram.chanels: unknown key (did you mean dram.channels?)")


def test_unknown_preset_key_names_the_closest_known_key(tmp_path):
    err = error_of(tmp_path, factors={"preset": ["a"]}, presets={"a": {"asic.clock_mz": 100}})
    assert err.endswith("presets.a.asic.clock_mz: unknown key (did you mean asic.clock_mhz?)")


def test_empty_value_list_is_an_error(tmp_path):
    err = error_of(tmp_path, factors={"dram.channels": []})
    assert err.endswith("factors.dram.channels: expected at least one value, got an empty list")


@pytest.mark.parametrize("fields, expected", [
    ({"mode": "grdi"}, "mode: unknown mode 'grdi' (did you mean grid?)"),
    ({"workloads": ["gpt2-smal"]}, "workloads[0]: unknown workload 'gpt2-smal' (did you mean gpt2-small?)"),
    ({"factors": {"preset": ["fast"]}, "presets": {"slow": {"asic.clock_mhz": 1}}},
     "factors.preset[0]: unknown preset 'fast'"),
    ({"factors": {"dram.channels": [1, {"a": 1}]}}, "factors.dram.channels[1]: expected a plain value"),
    ({"factors": {"dram.channels": [2, 2]}}, "factors.dram.channels[1]: value 2 is listed twice"),
    ({"tokens": {"prompt": 0}}, "tokens.prompt: expected an integer >= 1, got 0"),
    ({"factor": {}}, "factor: unknown key (did you mean factors?)"),
    ({"name": "a b"}, "name: expected a name of letters"),
])
def test_bad_sweep_files_are_one_line_naming_the_key(tmp_path, fields, expected):
    assert expected in error_of(tmp_path, **fields)


def test_an_invalid_point_is_reported_with_its_values_and_key_path(tmp_path):
    err = error_of(tmp_path, factors={"dram.channels": [8, 0]})
    assert "sweep.yaml: point dram.channels=0: dram.channels: " in err and "greater than 0" in err


def test_a_model_too_big_for_a_point_stops_the_sweep_unless_skip_unfit(tmp_path):
    err = error_of(tmp_path, workloads=["tiny", "gpt2-xl"], factors={"dram.channels": [2, 8]})
    assert "point dram.channels=2, workload=gpt2-xl: dram.rows: gpt2-xl does not fit" in err
    assert "skip_unfit: true" in err
    points, skipped = expand_all(load_spec(write(tmp_path, workloads=["tiny", "gpt2-xl"], skip_unfit=True,
                                                 factors={"dram.channels": [2, 8]})))
    assert [(p.workload, p.factors["dram.channels"]) for p in points] == [("tiny", 2), ("tiny", 8), ("gpt2-xl", 8)]
    assert [(s.workload, s.factors) for s in skipped] == [("gpt2-xl", {"dram.channels": 2})]


def test_the_same_config_always_has_the_same_key(tmp_path):
    a = expand(load_spec(write(tmp_path, factors={"asic.clock_mhz": [100, 200]})))
    b = expand(load_spec(write(tmp_path, factors={"asic.clock_mhz": [200.0]})))
    assert a[1].key == b[0].key == config_key(b[0].hw, b[0].resolved_workload) == config_key(a[1].hw, a[1].resolved_workload)
    assert len(a[0].key) == 16 and a[0].key != a[1].key


def test_the_key_covers_token_counts_and_the_pimsim_version(tmp_path, monkeypatch):
    hw = build_hwconfig(BASE_DATA, "x")
    key = config_key(hw, resolve_workload("tiny", 1, 1))
    assert config_key(hw, resolve_workload("tiny", 1, 2)) != key
    monkeypatch.setattr("pimsim.config.hashes.__version__", "99.0")
    assert config_key(hw, resolve_workload("tiny", 1, 1)) != key


VALUES = st.fixed_dictionaries({
    "dram.channels": st.sampled_from([1, 2, 4, 8, 16]),
    "pim.mac_lanes": st.sampled_from([4, 8, 16, 32]),
    "asic.clock_mhz": st.sampled_from([100.0, 250.0, 1000.0]),
    "sim.overlap": st.booleans(),
})
TINY = resolve_workload("tiny", 1, 1)


@settings(max_examples=60, deadline=None)
@given(VALUES, VALUES)
def test_two_configs_share_a_key_exactly_when_they_are_the_same(a, b):
    hw_a = build_hwconfig(apply_settings(BASE_DATA, a), "x")
    hw_b = build_hwconfig(apply_settings(BASE_DATA, b), "x")
    same = hw_a.resolved() == hw_b.resolved()
    assert same == (a == b)
    assert (config_key(hw_a, TINY) == config_key(hw_b, TINY)) == same


def test_generation_factors_set_each_points_workload_not_its_hardware(tmp_path):
    points = expand(load_spec(write(tmp_path, factors={"generation.batch": [1, 3],
                                                       "generation.batch_inputs": ["hold", "passes"]})))
    assert [(p.resolved_workload.generation.batch, p.resolved_workload.generation.batch_inputs) for p in points] \
        == [(1, "hold"), (1, "passes"), (3, "hold"), (3, "passes")]
    assert all(p.sets == () and p.hw.hw_hash == points[0].hw.hw_hash for p in points)
    assert len({p.key for p in points}) == 4  # the run_hash covers the generation
    err = error_of(tmp_path, factors={"generation.batch": [1, 0]})
    assert "point generation.batch=0, workload=tiny: generation.batch: input should be greater than 0" in err
    assert "generation.kv_cache" in error_of(tmp_path, factors={"generation.kv_cache": ["all"]})


def test_the_shipped_batch_study_keeps_the_points_that_fit_32_channels():
    points, skipped = expand_all(load_spec(ROOT / "hwconfigs" / "sweeps" / "batch.yaml"))
    batches = {w: sorted(p.resolved_workload.generation.batch for p in points if p.workload == w)
               for w in ("gpt2-xl", "llama-3.2-1b", "llama-2-7b")}
    assert batches["gpt2-xl"] == batches["llama-3.2-1b"] == [1, 2, 4, 8, 16, 32, 64]
    assert batches["llama-2-7b"][:5] == [1, 2, 4, 8, 16]
    assert all(s.workload == "llama-2-7b" for s in skipped)
    assert all(p.hw.dram.channels == 32 and p.resolved_workload.generation.kv_cache == "run" for p in points)
