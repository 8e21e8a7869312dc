"""The DRAM section of a hardware config: organisation, clock, timing in cycles."""

from __future__ import annotations

from typing import Any, Optional

from pimsim.config.presets import load_preset, preset_names
from pimsim.config.strict import Field, Strict
from pimsim.config.timing import PARAMS, overlay_timing, resolve_timing
from pimsim.config.validate import validate
from pimsim.config.yamlio import deep_merge
from pimsim.errors import PimsimError

Pos = Field(gt=0)


class DramInput(Strict):
    """The DRAM section as written (after its preset is laid under it)."""

    standard: str
    channels: int = Pos
    ranks: int = Pos
    bank_groups: int = Pos
    banks_per_group: int = Pos
    rows: int = Pos
    columns: int = Pos  # per row, in units of device_width_bits
    device_width_bits: int = Pos
    devices_per_rank: int = Pos
    channels_per_device: int = Pos
    device_density_mbit: Optional[int] = Field(gt=0)  # null: no density check
    burst_length: int = Pos  # beats per column access
    beats_per_clock: int = Pos  # data beats per tCK (DDR: 2; GDDR6 relative to CK: 8)
    data_rate_gbps: float = Field(gt=0)  # per pin
    refresh_policy: str
    timing: dict[str, Any]


class DramConfig(Strict):
    """Resolved DRAM: everything the engines need, time in integer cycles."""

    standard: str
    channels: int
    ranks: int
    bank_groups: int
    banks_per_group: int
    rows: int
    columns: int
    device_width_bits: int
    devices_per_rank: int
    channels_per_device: int
    device_density_mbit: Optional[int]
    burst_length: int
    beats_per_clock: int
    data_rate_gbps: float
    refresh_policy: str
    tck_ns: float
    timing: dict[str, int]

    @property
    def banks_per_rank(self) -> int:
        return self.bank_groups * self.banks_per_group

    @property
    def bus_width_bits(self) -> int:
        return self.device_width_bits * self.devices_per_rank

    @property
    def request_bytes(self) -> int:
        """Bytes moved by one column access (bus width x burst length)."""
        return self.bus_width_bits * self.burst_length // 8

    @property
    def row_bytes(self) -> int:
        """Bytes in one row across the rank (the page)."""
        return self.columns * self.bus_width_bits // 8

    @property
    def columns_per_row(self) -> int:
        """Column accesses (bursts) per row."""
        return self.columns // self.burst_length

    @property
    def n_bl(self) -> int:
        """Data-bus cycles of one burst."""
        return self.burst_length // self.beats_per_clock

    @property
    def capacity_bytes(self) -> int:
        return self.channels * self.ranks * self.banks_per_rank * self.rows * self.row_bytes


def merge_dram(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """Lay the section over its preset (timing keys replace across units)."""
    if not isinstance(raw, dict):
        raise PimsimError("expected a mapping", where=where, key="dram")
    raw = dict(raw)
    if "preset" not in raw:
        return raw
    base = load_preset("dram", raw.pop("preset"), where)
    if "preset" in base:  # a preset built on another (e.g. gddr6-aim-ns on gddr6-aim)
        base = merge_dram(base, where)
    user_timing = raw.pop("timing", None)
    merged = deep_merge(base, raw)
    if user_timing is not None:
        if not isinstance(user_timing, dict):
            raise PimsimError("expected a mapping", where=where, key="dram.timing")
        merged["timing"] = overlay_timing(base.get("timing", {}), user_timing, where, "dram.timing")
    return merged


CLOCK_PARAMS = ("nCCDS", "nCCDL", "nRTRS")  # counted in clocks at any rate: burst spacing, rank switch


def cycle_timings(raw: dict[str, Any], where: str) -> list[str]:
    """The section's timing parameters written in cycles that are physical times (not burst spacing)."""
    merged = merge_dram(raw, where)
    return [k for k in (merged.get("timing") or {}) if k in PARAMS and k not in CLOCK_PARAMS]


def data_rate_warning(raw: dict[str, Any], where: str) -> Optional[str]:
    """When an override sets ``dram.data_rate_gbps``: the warning that timings written in cycles keep
    their counts (their times in ns follow tCK), naming the preset that keeps them in ns; None if
    every such timing is in ns."""
    fixed = cycle_timings(raw, where)
    if not fixed:
        return None
    preset = raw.get("preset")
    keeps = f"{preset}-ns" if isinstance(preset, str) and f"{preset}-ns" in preset_names("dram") else None
    how = f"set dram.preset={keeps} to keep them in ns" if keeps else "give them in ns (dram.timing.t_*_ns) to keep them"
    return (f"dram.data_rate_gbps is overridden, but {len(fixed)} timings"
            f"{f' of preset {preset}' if preset else ''} are in cycles ({', '.join(fixed[:3])}, ...): they keep "
            f"their cycle counts, so their times in ns change with tCK; {how}")


def resolve_dram(raw: dict[str, Any], where: str) -> DramConfig:
    """Preset + overrides -> validated input -> cycles -> consistency checks."""
    section = validate(DramInput, merge_dram(raw, where), where, prefix="dram")
    if section.burst_length % section.beats_per_clock:
        raise PimsimError("burst_length must be a multiple of beats_per_clock", where=where, key="dram.burst_length")
    tck_ns = section.beats_per_clock / section.data_rate_gbps
    timing = resolve_timing(section.timing, tck_ns, where)
    cfg = DramConfig(**{**section.model_dump(), "timing": timing, "tck_ns": tck_ns})
    check_consistency(cfg, where)
    return cfg


def check_consistency(cfg: DramConfig, where: str) -> None:
    """Relations JEDEC guarantees between parameters; a config breaking one is refused."""
    t = cfg.timing

    def need(ok: bool, key: str, msg: str) -> None:
        if not ok:
            raise PimsimError(msg, where=where, key=key)

    need(t["nRC"] >= t["nRAS"] + t["nRP"], "dram.timing.nRC",
         f"inconsistent: nRC ({t['nRC']}) must be >= nRAS + nRP ({t['nRAS']} + {t['nRP']})")
    need(t["nRAS"] >= t["nRCDRD"], "dram.timing.nRAS",
         f"inconsistent: nRAS ({t['nRAS']}) must be >= nRCDRD ({t['nRCDRD']})")
    need(t["nCCDL"] >= t["nCCDS"], "dram.timing.nCCDL",
         f"inconsistent: nCCDL ({t['nCCDL']}) must be >= nCCDS ({t['nCCDS']})")
    need(t["nCCDS"] >= cfg.n_bl, "dram.timing.nCCDS",
         f"inconsistent: nCCDS ({t['nCCDS']}) must be >= the burst's {cfg.n_bl} cycles or data bursts collide")
    need(t["nRRDL"] >= t["nRRDS"], "dram.timing.nRRDL",
         f"inconsistent: nRRDL ({t['nRRDL']}) must be >= nRRDS ({t['nRRDS']})")
    need(t["nWTRL"] >= t["nWTRS"], "dram.timing.nWTRL",
         f"inconsistent: nWTRL ({t['nWTRL']}) must be >= nWTRS ({t['nWTRS']})")
    need(t["nREFI"] > t["nRFC"], "dram.timing.nREFI",
         f"inconsistent: nREFI ({t['nREFI']}) must exceed nRFC ({t['nRFC']})")
    need(t["nRFC"] >= t["nRFCpb"], "dram.timing.nRFC",
         f"inconsistent: nRFC ({t['nRFC']}) must be >= nRFCpb ({t['nRFCpb']})")
    need(cfg.columns % cfg.burst_length == 0, "dram.columns",
         f"columns ({cfg.columns}) must be a multiple of burst_length ({cfg.burst_length})")
    if cfg.device_density_mbit is not None:
        bits = cfg.rows * cfg.columns * cfg.device_width_bits * cfg.banks_per_rank * cfg.channels_per_device
        need(bits == cfg.device_density_mbit * 2**20, "dram.device_density_mbit",
             f"inconsistent: rows x columns x device_width_bits x banks x channels_per_device = "
             f"{bits // 2**20} Mbit, not {cfg.device_density_mbit}")
