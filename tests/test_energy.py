"""Energy is counts x table (+ static power x time): hand computation, sign, separation."""

from __future__ import annotations

import pytest

from pimsim.asic.work import AsicWork
from pimsim.config import load_hwconfig
from pimsim.config.energy import resolve_energy
from pimsim.energy.table import energy_pj
from pimsim.errors import PimsimError
from pimsim.pim.actions import action_counts

HW = load_hwconfig("hwconfigs/pimgpt.yaml")


def test_an_all_bank_activate_and_mac_count_once_per_bank():
    acts = action_counts({"ACT16": 2, "MAC16": 10, "RDMAC": 3, "ACT": 1, "REFab": 1}, HW.dram)
    assert acts == {"act": 2 * 16 + 1, "mac": 160, "mac_read": 3, "ref": 1}


def test_energy_of_a_small_program_matches_a_hand_computation():
    e = HW.energy
    actions = {"act": 16, "pre": 16, "mac": 64 * 16, "gb_write": 64, "mac_read": 1, "ref": 1}
    asic = AsicWork(cycles=100, adds=50, muls=20, compares=5, sram_bytes=400)
    seconds = 1e-6
    got = energy_pj(actions, e, seconds, channels=1, asic=asic)
    assert got["dram_activate"] == pytest.approx(16 * e.act_pj + 16 * e.pre_pj)
    assert got["dram_mac"] == pytest.approx(1024 * e.mac_pj)
    assert got["dram_io"] == pytest.approx(64 * e.gb_write_pj + e.mac_read_pj)
    assert got["dram_refresh"] == pytest.approx(e.ref_pj)
    assert got["dram_background"] == pytest.approx(e.background_mw * 1e-3 * 1e-6 * 1e12)
    assert got["asic_compute"] == pytest.approx(50 * e.asic_add_pj + 20 * e.asic_mul_pj + 5 * e.asic_cmp_pj)
    assert got["asic_sram"] == pytest.approx(400 * e.asic_sram_pj_per_byte)
    assert got["asic_static"] == pytest.approx(e.asic_static_mw * 1e-3 * 1e-6 * 1e12)


@pytest.mark.parametrize("key,category", [("mac_pj", "dram_mac"), ("act_pj", "dram_activate"),
                                          ("gb_write_pj", "dram_io"), ("ref_pj", "dram_refresh"),
                                          ("asic_mul_pj", "asic_compute"), ("background_mw", "dram_background")])
def test_doubling_one_energy_changes_only_its_own_category(key, category):
    actions = {"act": 32, "pre": 32, "mac": 2048, "gb_write": 64, "mac_read": 2, "ref": 1, "wr": 4}
    asic = AsicWork(cycles=10, adds=7, muls=9, compares=1, sram_bytes=64)
    base = energy_pj(actions, HW.energy, 2e-6, 8, asic)
    doubled_table = resolve_energy({"preset": "pimgpt", key: 2 * getattr(HW.energy, key)}, "t")
    doubled = energy_pj(actions, doubled_table, 2e-6, 8, asic)
    value = getattr(HW.energy, key)
    own = {"mac_pj": 2048 * value, "act_pj": 32 * value, "gb_write_pj": 64 * value, "ref_pj": value,
           "asic_mul_pj": 9 * value, "background_mw": base["dram_background"]}[key]
    for cat in base:
        if cat == category:
            assert doubled[cat] == pytest.approx(base[cat] + own)  # its own share doubles
        else:
            assert doubled[cat] == base[cat]
    assert all(v >= 0 for v in base.values())


def test_a_pim_run_with_a_null_energy_value_names_the_key():
    table = resolve_energy({"preset": "gddr6"}, "hw.yaml")
    with pytest.raises(PimsimError, match="energy.mac_pj"):
        energy_pj({"mac": 1}, table, 1e-6, 1)
