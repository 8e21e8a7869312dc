"""Energy of a run: action counts x the energy table + static power x time.

Categories (picojoules): dram_activate, dram_mac, dram_io (column reads and
writes, global-buffer writes, accumulator reads and writes: everything that
crosses the I/O), dram_refresh, dram_background (per channel, for the whole
run), and with ASIC work: asic_compute, asic_sram, asic_static.
"""

from __future__ import annotations

from pimsim.asic.work import AsicWork
from pimsim.config.energy import EnergyConfig
from pimsim.errors import PimsimError

CATEGORY_OF_ACTION = {
    "act": "dram_activate", "pre": "dram_activate", "mac": "dram_mac",
    "rd": "dram_io", "wr": "dram_io", "gb_write": "dram_io", "mac_read": "dram_io", "mac_write": "dram_io",
    "ref": "dram_refresh", "ref_pb": "dram_refresh",
}


def _value(table: EnergyConfig, key: str, where: str) -> float:
    v = getattr(table, key)
    if v is None:
        raise PimsimError("this run needs a value here (the energy table leaves it null)", where=where,
                          key=f"energy.{key}")
    return v


def energy_pj(actions: dict[str, int], table: EnergyConfig, seconds: float, channels: int,
              asic: AsicWork | None = None, where: str = "") -> dict[str, float]:
    out = {c: 0.0 for c in ("dram_activate", "dram_mac", "dram_io", "dram_refresh")}
    for action, n in actions.items():
        if n:
            out[CATEGORY_OF_ACTION[action]] += n * _value(table, f"{action}_pj", where)
    out["dram_background"] = table.background_mw * 1e-3 * seconds * channels * 1e12
    if asic is not None:
        out["asic_compute"] = (asic.adds * _value(table, "asic_add_pj", where)
                               + asic.muls * _value(table, "asic_mul_pj", where)
                               + asic.compares * _value(table, "asic_cmp_pj", where))
        out["asic_sram"] = asic.sram_bytes * _value(table, "asic_sram_pj_per_byte", where)
        out["asic_static"] = _value(table, "asic_static_mw", where) * 1e-3 * seconds * 1e12
    return out
