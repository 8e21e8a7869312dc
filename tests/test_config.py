"""Hardware configs: presets, overrides, unit resolution, strictness, consistency."""

from __future__ import annotations

import pytest

from pimsim.config import load_hwconfig
from pimsim.config.dram import resolve_dram
from pimsim.config.hw import build_hwconfig
from pimsim.config.presets import preset_names
from pimsim.config.timing import ns_to_cycles
from pimsim.config.yamlio import load_yaml
from pimsim.errors import PimsimError

GDDR6 = "hwconfigs/dram/gddr6-x16-14gbps.yaml"


def test_shipped_gddr6_trace_config_resolves_to_the_ramulator_preset():
    hw = load_hwconfig(GDDR6)
    t = hw.dram.timing
    assert (t["nCL"], t["nRCDRD"], t["nRP"], t["nRAS"], t["nCCDL"], t["nFAW"], t["nREFI"]) == (24, 27, 27, 53, 4, 29,
                                                                                                3333)
    assert hw.dram.channels == 1 and hw.dram.request_bytes == 32 and hw.dram.row_bytes == 2048
    assert hw.controller.queue_depth == 32 and hw.controller.address_mapping == "rochrababgco"


@pytest.mark.parametrize("name", ["gddr6-x16-14gbps", "gddr6-aim", "ddr4-3200", "hbm2"])
def test_every_dram_preset_resolves_and_passes_consistency(name):
    assert name in preset_names("dram")
    cfg = resolve_dram({"preset": name}, "test")
    assert cfg.timing["nRC"] >= cfg.timing["nRAS"] + cfg.timing["nRP"]
    assert cfg.request_bytes > 0 and cfg.capacity_bytes > 0


def test_jedec_rounding_takes_a_guard_band_before_rounding_up():
    assert ns_to_cycles(13.75, 0.625) == 22  # exactly 22
    assert ns_to_cycles(32.0, 0.625) == 52  # 51.2 -> 52
    assert ns_to_cycles(0.625 * 20.02, 0.625) == 20  # within the 2.5 % guard band
    assert ns_to_cycles(0.625 * 20.05, 0.625) == 21


def test_timing_in_ns_overrides_the_presets_cycles():
    cfg = resolve_dram({"preset": "gddr6-x16-14gbps", "timing": {"t_rcd_rd_ns": 20.0}}, "test")
    assert cfg.timing["nRCDRD"] == 35  # 20 / 0.5714 = 35.0


def test_alias_nrcd_sets_both_read_and_write():
    cfg = resolve_dram({"preset": "gddr6-x16-14gbps", "timing": {"nRCD": 30}}, "test")
    assert cfg.timing["nRCDRD"] == cfg.timing["nRCDWR"] == 30


def test_data_rate_rescales_ns_values_and_keeps_cycle_values():
    slow = resolve_dram({"preset": "ddr4-3200", "data_rate_gbps": 1.6}, "test")
    fast = resolve_dram({"preset": "ddr4-3200"}, "test")
    assert slow.tck_ns == pytest.approx(2 * fast.tck_ns)
    assert slow.timing["nRAS"] == 26 and fast.timing["nRAS"] == 52  # t_ras_ns: 32
    assert slow.timing["nCCDS"] == fast.timing["nCCDS"]  # given in clocks


def test_set_override_is_validated_like_the_file():
    hw = load_hwconfig(GDDR6, ["dram.timing.nCL=30", "controller.queue_depth=8"])
    assert hw.dram.timing["nCL"] == 30 and hw.controller.queue_depth == 8
    with pytest.raises(PimsimError, match="controller.queue_depth"):
        load_hwconfig(GDDR6, ["controller.queue_depth=zero"])


def test_hw_hash_changes_with_any_value_and_is_stable():
    a, b = load_hwconfig(GDDR6), load_hwconfig(GDDR6)
    c = load_hwconfig(GDDR6, ["dram.timing.nCL=25"])
    assert a.hw_hash == b.hw_hash != c.hw_hash


def err(tmp_path, text):
    p = tmp_path / "hw.yaml"
    p.write_text(text)
    with pytest.raises(PimsimError) as info:
        load_hwconfig(p)
    return str(info.value)


BASE = "name: x\ndram: {preset: gddr6-x16-14gbps, channels: 1}\nenergy: {preset: gddr6}\n"


def test_unknown_key_suggests_the_closest(tmp_path):
    msg = err(tmp_path, BASE.replace("channels: 1", "chanels: 1"))
    assert msg.endswith("dram.chanels: unknown key (did you mean channels?)")


def test_unknown_timing_key_suggests_the_closest(tmp_path):
    msg = err(tmp_path, BASE.replace("channels: 1", "timing: {trcd_ns: 15}"))
    assert "dram.timing.trcd_ns: unknown timing parameter (did you mean t_rcd_ns?)" in msg


def test_both_units_for_one_parameter_is_an_error(tmp_path):
    msg = err(tmp_path, BASE.replace("channels: 1", "timing: {nRP: 20, t_rp_ns: 11}"))
    assert "given twice" in msg


@pytest.mark.parametrize("text,where", [
    ("name: x\ndram: [1, 2\n", "malformed YAML"),
    ("- 1\n- 2\n", "expected a mapping"),
    (BASE.replace("channels: 1", "channels: two"), "dram.channels"),
    (BASE.replace("channels: 1", "channels: 0"), "dram.channels"),
    (BASE.replace("channels: 1", "timing: {nRP: -3}"), "dram.timing.nRP"),
    (BASE.replace("channels: 1", "timing: {nRP: 0}"), "dram.timing.nRP"),
    (BASE.replace("channels: 1", "timing: {nRC: 10}"), "inconsistent: nRC"),
    (BASE.replace("channels: 1", "rows: 1000"), "dram.device_density_mbit"),
    (BASE.replace("gddr6-x16-14gbps", "gddr7"), "unknown preset"),
    (BASE + "simulation: {}\n", "simulation: unknown key"),
    ("name: x\nenergy: {preset: gddr6}\n", "dram: missing required key"),
])
def test_bad_config_gives_one_line_naming_file_and_key(tmp_path, text, where):
    msg = err(tmp_path, text)
    assert where in msg and str(tmp_path / "hw.yaml") in msg and "\n" not in msg


def test_config_without_density_check_uses_null():
    hw = build_hwconfig({"name": "n", "dram": {"preset": "gddr6-x16-14gbps", "device_density_mbit": None,
                                               "rows": 1000}, "energy": {"preset": "gddr6"}}, "t")
    assert hw.dram.rows == 1000


@pytest.mark.parametrize("value", [1.797693134862316e+305, float("inf"), float("nan"), -1.0])
def test_an_absurd_timing_in_ns_is_a_one_line_error(value):
    data = load_yaml("hwconfigs/pimgpt.yaml")
    data["dram"]["timing"] = {"t_rp_ns": value}
    with pytest.raises(PimsimError, match=r"dram.timing.t_rp_ns: expected a time from 0 to 1e\+09 ns"):
        build_hwconfig(data, "fuzz.yaml")
