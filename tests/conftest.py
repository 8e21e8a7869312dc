"""Shared fixtures: a synthetic DRAM whose timing parameters are all different, and a result cache
of each test's own.

Distinct values make every exact-cycle test specific to its rule: no test
can pass because two parameters happen to be equal. The cache fixture keeps
tests from reading each other's results (or the user's ~/.cache/pimsim):
every test, and every process it starts, gets an empty one.
"""

from __future__ import annotations

import pytest

from pimsim.config.hw import build_hwconfig
from pimsim.config.pim import AsicConfig
from pimsim.dram.engine import Engine
from pimsim.dram.spec import build_spec

DISTINCT_TIMING = {
    "nCL": 20, "nCWL": 7, "nRCDRD": 23, "nRCDWR": 17, "nRP": 19, "nRAS": 41, "nRC": 61, "nWR": 13,
    "nRTP": 5, "nCCDS": 3, "nCCDL": 6, "nRRDS": 9, "nRRDL": 11, "nWTRS": 4, "nWTRL": 8, "nFAW": 50,
    "nRFC": 150, "nRFCpb": 70, "nREFI": 3000, "nRTRS": 2,
}


def distinct_hw(**dram_overrides):
    dram = {
        "standard": "test", "channels": 1, "ranks": 2, "bank_groups": 4, "banks_per_group": 4,
        "rows": 1024, "columns": 1024, "device_width_bits": 16, "devices_per_rank": 1,
        "channels_per_device": 1, "device_density_mbit": None, "burst_length": 16, "beats_per_clock": 8,
        "data_rate_gbps": 16.0, "refresh_policy": "all_bank", "timing": dict(DISTINCT_TIMING),
    }
    dram.update(dram_overrides)
    return build_hwconfig({
        "name": "distinct",
        "dram": dram,
        "controller": {"queue_depth": 32, "scheduler": "frfcfs", "page_policy": "open",
                       "address_mapping": "rochrababgco"},
        "energy": {"preset": "gddr6"},
    }, "test")


@pytest.fixture(autouse=True)
def own_result_cache(tmp_path_factory, monkeypatch):
    root = tmp_path_factory.mktemp("result-cache")
    monkeypatch.setenv("PIMSIM_CACHE_DIR", str(root))
    return root


@pytest.fixture
def spec():
    return build_spec(distinct_hw().dram)


@pytest.fixture
def eng(spec):
    return Engine(spec, keep_log=True)


class Driver:
    """Issue commands by name at their earliest legal cycle (or a given one)."""

    def __init__(self, engine: Engine) -> None:
        self.e = engine
        self.ids = engine.spec.cmd_id

    def earliest(self, name: str, addr=(0, 0, 0, 0)) -> int:
        return self.e.earliest(self.ids[name], addr)

    def issue(self, name: str, addr=(0, 0, 0, 0), cycle: int | None = None, row: int = 0, col: int = 0) -> int:
        if cycle is None:
            cycle = max(self.earliest(name, addr), self.e.last_cycle + 0)
        self.e.issue(self.ids[name], addr, cycle, row=row, col=col)
        return cycle


@pytest.fixture
def drv(eng):
    return Driver(eng)


def small_asic(model: str, **overrides) -> AsicConfig:
    """An ASIC config small enough to count by hand: 4 lanes, 3 fill cycles, adder tree, exp order 4,
    GELU order 5, reciprocal Newton 2, rsqrt Newton 3."""
    fields = dict(model=model, clock_mhz=1000.0, vector_lanes=4, pipeline_fill_cycles=3, reduction_tree=True,
                  exp_taylor_order=4, gelu_taylor_order=5, reciprocal_newton_iterations=2,
                  rsqrt_newton_iterations=3, sram_kib=64)
    fields.update(overrides)
    return AsicConfig(**fields)
