"""DRAM timing parameters: their names, units and resolution to integer cycles.

Every parameter may be written in cycles of tCK (``nRCDRD: 27``) or in
nanoseconds (``t_rcd_rd_ns: 15.4``), never both. Nanoseconds are rounded up to
cycles the JEDEC way (JESD21-C Annex L, DDR4 SPD rounding algorithm: apply a
2.5 % guard band, ``nCK = floor(t / tCK + 0.974)``, done in integer
picoseconds). Cycle values are kept as written at any clock; nanosecond values
follow the clock, so changing ``dram.data_rate_gbps`` rescales exactly the
parameters that are physical times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pimsim.errors import PimsimError


@dataclass(frozen=True)
class Param:
    name: str  # cycle key, e.g. "nRCDRD"
    minimum: int  # smallest legal cycle count
    meaning: str

    @property
    def ns_key(self) -> str:
        """``nRCDRD`` -> ``t_rcd_rd_ns`` (letters split where JEDEC splits them)."""
        return NS_KEYS[self.name]


# The base JEDEC parameter set. The PIM command set adds its own parameters
# through ``extend_params`` (timing rules are data, and so are their inputs).
PARAMS: dict[str, Param] = {}
NS_KEYS: dict[str, str] = {}


def extend_params(rows: list[tuple[str, str, int, str]]) -> None:
    """Register parameters as (cycle key, ns key, minimum, meaning); idempotent."""
    for name, ns_key, minimum, meaning in rows:
        PARAMS[name] = Param(name, minimum, meaning)
        NS_KEYS[name] = ns_key


extend_params([
    ("nCL", "t_cl_ns", 1, "read latency: RD to first data"),
    ("nCWL", "t_cwl_ns", 0, "write latency: WR to first data"),
    ("nRCDRD", "t_rcd_rd_ns", 1, "ACT to RD"),
    ("nRCDWR", "t_rcd_wr_ns", 1, "ACT to WR"),
    ("nRP", "t_rp_ns", 1, "PRE to ACT"),
    ("nRAS", "t_ras_ns", 1, "ACT to PRE"),
    ("nRC", "t_rc_ns", 1, "ACT to ACT, same bank"),
    ("nWR", "t_wr_ns", 1, "write recovery: end of write data to PRE"),
    ("nRTP", "t_rtp_ns", 1, "RD to PRE"),
    ("nCCDS", "t_ccd_s_ns", 1, "column to column, different bank group"),
    ("nCCDL", "t_ccd_l_ns", 1, "column to column, same bank group"),
    ("nRRDS", "t_rrd_s_ns", 1, "ACT to ACT, different bank group"),
    ("nRRDL", "t_rrd_l_ns", 1, "ACT to ACT, same bank group"),
    ("nWTRS", "t_wtr_s_ns", 1, "end of write data to RD, different bank group"),
    ("nWTRL", "t_wtr_l_ns", 1, "end of write data to RD, same bank group"),
    ("nFAW", "t_faw_ns", 1, "four-activate window"),
    ("nRFC", "t_rfc_ns", 1, "all-bank refresh cycle time"),
    ("nRFCpb", "t_rfc_pb_ns", 1, "per-bank refresh cycle time"),
    ("nREFI", "t_refi_ns", 1, "average refresh interval"),
    ("nRTRS", "t_rtrs_ns", 0, "rank-to-rank data-bus switch"),
])

# PIM timing (GDDR6-AiM): only configs that simulate PIM commands need it.
extend_params([
    ("nRCDMAC", "t_rcd_mac_ns", 1, "ACT to MAC (all-bank MAC activation delay)"),
    ("nRCDAF", "t_rcd_af_ns", 1, "ACT to AF16 (activation function in every bank)"),
    ("nRCDEWMUL", "t_rcd_ewmul_ns", 1, "ACT to EWMUL16 (element-wise multiply)"),
    ("nRCDCPRD", "t_rcd_cp_rd_ns", 1, "ACT to RDCP (bank to global buffer copy)"),
    ("nRCDCPWR", "t_rcd_cp_wr_ns", 1, "ACT to WRCP (global buffer to bank copy)"),
])

# Shorthands that set two parameters at once (standards with a single tRCD).
ALIASES: dict[str, tuple[str, ...]] = {"nRCD": ("nRCDRD", "nRCDWR"), "t_rcd_ns": ("nRCDRD", "nRCDWR")}

MAX_NS = 1e9  # a timing above one second is a typo, not a DRAM
_GUARD_PS = 974  # JESD21-C rounding guard band, in thousandths of a cycle


def ns_to_cycles(t_ns: float, tck_ns: float) -> int:
    """JEDEC rounding of a time to clock cycles (see module docstring)."""
    t_ps = round(t_ns * 1000)
    tck_ps = tck_ns * 1000
    return int((t_ps * 1000 / tck_ps + _GUARD_PS) // 1000)


def _expand(raw: dict[str, Any], where: str, key: str) -> dict[str, tuple[str, Any]]:
    """Map each parameter name to (the key it was written under, its value)."""
    by_param: dict[str, tuple[str, Any]] = {}
    ns_to_param = {ns: name for name, ns in NS_KEYS.items()}
    for k, v in raw.items():
        if k in PARAMS:
            targets: tuple[str, ...] = (k,)
        elif k in ns_to_param:
            targets = (ns_to_param[k],)
        elif k in ALIASES:
            targets = ALIASES[k]
        else:
            from pimsim.config.validate import did_you_mean

            known = list(PARAMS) + list(ns_to_param) + list(ALIASES)
            raise PimsimError("unknown timing parameter" + did_you_mean(k, known), where=where, key=f"{key}.{k}")
        for t in targets:
            if t in by_param:
                raise PimsimError(f"{t} is given twice (as {by_param[t][0]} and {k}); give one",
                                  where=where, key=f"{key}.{k}")
            by_param[t] = (k, v)
    return by_param


def overlay_timing(base: dict[str, Any], override: dict[str, Any], where: str, key: str) -> dict[str, Any]:
    """Lay user timing keys over preset ones: a parameter given in either unit replaces both."""
    base_p = _expand(base, "preset", key)
    over_p = _expand(override, where, key)
    merged = {orig: val for p, (orig, val) in base_p.items() if p not in over_p}
    for orig, val in {orig: val for orig, val in over_p.values()}.items():
        merged[orig] = val
    return merged


def resolve_timing(raw: dict[str, Any], tck_ns: float, where: str, key: str = "dram.timing") -> dict[str, int]:
    """All parameters as integer cycles; missing, non-numeric or too small values are errors."""
    by_param = _expand(raw, where, key)
    out: dict[str, int] = {}
    for name, param in PARAMS.items():
        if name not in by_param:
            if param.name in _OPTIONAL:
                continue
            raise PimsimError(f"missing timing parameter (give {name} in cycles or {param.ns_key})",
                              where=where, key=f"{key}.{name}")
        orig, value = by_param[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise PimsimError(f"expected a number, got {value!r}", where=where, key=f"{key}.{orig}")
        if orig.endswith("_ns"):
            if not 0 <= value <= MAX_NS:  # also refuses nan and inf
                raise PimsimError(f"expected a time from 0 to {MAX_NS:g} ns, got {value}", where=where,
                                  key=f"{key}.{orig}")
            cycles = ns_to_cycles(float(value), tck_ns)
        else:
            if not isinstance(value, int):
                raise PimsimError(f"expected a whole number of cycles, got {value}", where=where, key=f"{key}.{orig}")
            cycles = value
        if cycles < param.minimum:
            raise PimsimError(f"must be at least {param.minimum} cycle(s), got {cycles}", where=where,
                              key=f"{key}.{orig}")
        out[name] = cycles
    return out


# Parameters a config may leave out: only the PIM command set needs them (it checks for them).
_OPTIONAL: set[str] = {"nRCDMAC", "nRCDAF", "nRCDEWMUL", "nRCDCPRD", "nRCDCPWR"}



