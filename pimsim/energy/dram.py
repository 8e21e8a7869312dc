"""DRAM energy of a run from its command counts (Accelergy-style: counts x table)."""

from __future__ import annotations

from pimsim.config.energy import EnergyConfig


def dram_energy_pj(counts: dict[str, int], table: EnergyConfig, cycles: int, tck_ns: float,
                   channels: int) -> dict[str, float]:
    """Energy by category in picojoules; background is per channel for the whole run."""
    seconds = cycles * tck_ns * 1e-9
    return {
        "activate": counts.get("ACT", 0) * table.act_pj,
        "precharge": (counts.get("PRE", 0) + counts.get("PREA", 0)) * table.pre_pj,
        "read": (counts.get("RD", 0) + counts.get("RDA", 0)) * table.rd_pj,
        "write": (counts.get("WR", 0) + counts.get("WRA", 0)) * table.wr_pj,
        "refresh": counts.get("REFab", 0) * table.ref_pj + counts.get("REFpb", 0) * table.ref_pb_pj,
        "background": table.background_mw * 1e-3 * seconds * channels * 1e12,
    }
