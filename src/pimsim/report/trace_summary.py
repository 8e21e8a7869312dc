"""Trace-mode results as the flat metrics dictionary that ``pimsim trace`` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pimsim.config.hw import HwConfig
from pimsim.energy.table import energy_pj
from pimsim.pim.actions import action_counts

if TYPE_CHECKING:  # (the types only: a DRAM trace needs none of the AiM machinery)
    from pimsim.traces.aim_runner import AimResult
    from pimsim.traces.controller import TraceResult


def _energy(hw: HwConfig, counts: dict[str, int], cycles: int) -> dict[str, float]:
    d = hw.dram
    return energy_pj(action_counts(counts, d), hw.energy, cycles * d.tck_ns * 1e-9, d.channels, where=hw.source)


def trace_metrics(hw: HwConfig, res: TraceResult, wall_s: float) -> dict:
    d = hw.dram
    seconds = res.cycles * d.tck_ns * 1e-9
    energy = _energy(hw, res.counts, res.cycles)
    return {
        "hw": hw.name,
        "hw_hash": hw.hw_hash,
        "cycles": res.cycles,
        "time_ns": round(res.cycles * d.tck_ns, 3),
        "requests": res.requests,
        "reads": res.reads,
        "writes": res.writes,
        "act": res.counts["ACT"],
        "pre": res.counts["PRE"] + res.counts["PREA"],
        "ref": res.counts["REFab"] + res.counts["REFpb"],
        "row_hits": res.row_hits,
        "row_hit_rate": round(res.row_hits / res.requests, 6),
        "bandwidth_gbps": round(res.requests * d.request_bytes / (seconds * 1e9), 4) if seconds else 0.0,
        "avg_read_latency_cycles": round(res.read_latency_sum / res.reads, 3) if res.reads else 0.0,
        "refresh_cycles": res.refresh_cycles,
        "energy_pj": round(sum(energy.values()), 3),
        "energy_breakdown_pj": {k: round(v, 3) for k, v in energy.items()},
        "wall_s": round(wall_s, 4),
    }


def aim_metrics(hw: HwConfig, res: AimResult, wall_s: float, trace: str) -> dict:
    """An AiM trace's results: cycles as the AiM simulator counts them, commands, energy."""
    energy = _energy(hw, res.counts, res.cycles)
    return {
        "hw": hw.name,
        "hw_hash": hw.hw_hash,
        "trace": trace,
        "format": "aim",
        "cycles": res.cycles,
        "time_ns": round(res.cycles * hw.dram.tck_ns, 3),
        "instructions": res.instructions,
        "channels_used": len(res.channels_used),
        "counts": {k: v for k, v in sorted(res.counts.items()) if v},
        "refreshes": res.refreshes,
        "energy_pj": round(sum(energy.values()), 3),
        "energy_breakdown_pj": {k: round(v, 3) for k, v in energy.items()},
        "wall_s": round(wall_s, 4),
    }
