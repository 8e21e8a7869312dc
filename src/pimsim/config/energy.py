"""The energy table of a hardware config: picojoules per action, milliwatts of static power."""

from __future__ import annotations

from typing import Any, Optional

from pimsim.config.presets import load_preset
from pimsim.config.strict import Field, Strict
from pimsim.config.validate import validate
from pimsim.config.yamlio import deep_merge
from pimsim.errors import PimsimError

NonNeg = Field(ge=0)


class EnergyConfig(Strict):
    """Per-action energies. Each value's source is documented beside it in the YAML."""

    act_pj: float = NonNeg  # one ACT and its later PRE (one row of one bank)
    pre_pj: float = NonNeg  # a PRE beyond what act_pj includes
    rd_pj: float = NonNeg  # one column read burst, array + I/O
    wr_pj: float = NonNeg  # one column write burst, array + I/O
    ref_pj: float = NonNeg  # one all-bank refresh of one rank
    ref_pb_pj: float = NonNeg  # one per-bank refresh
    background_mw: float = NonNeg  # static/background power of one channel
    # PIM actions (null where a config has no PIM: a run that needs one names the missing key)
    mac_pj: Optional[float] = Field(default=None, ge=0)  # one bank's MAC command: mac_lanes MACs + array column read
    gb_write_pj: Optional[float] = Field(default=None, ge=0)  # one global-buffer write burst: I/O + SRAM write
    mac_read_pj: Optional[float] = Field(default=None, ge=0)  # one accumulator read-out burst over the I/O
    mac_write_pj: Optional[float] = Field(default=None, ge=0)  # one accumulator write (bias/init) burst
    # ASIC (28 nm) actions
    asic_add_pj: Optional[float] = Field(default=None, ge=0)  # one BF16 add
    asic_mul_pj: Optional[float] = Field(default=None, ge=0)  # one BF16 multiply
    asic_cmp_pj: Optional[float] = Field(default=None, ge=0)  # one compare (max, argmax)
    asic_sram_pj_per_byte: Optional[float] = Field(default=None, ge=0)  # on-chip buffer access
    asic_static_mw: Optional[float] = Field(default=None, ge=0)  # ASIC leakage and clock tree


def resolve_energy(raw: Any, where: str) -> EnergyConfig:
    if not isinstance(raw, dict):
        raise PimsimError("expected a mapping", where=where, key="energy")
    raw = dict(raw)
    if "preset" in raw:
        raw = deep_merge(load_preset("energy", raw.pop("preset"), where), raw)
    return validate(EnergyConfig, raw, where, prefix="energy")
