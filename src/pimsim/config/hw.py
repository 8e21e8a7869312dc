"""A whole hardware config: load, override, validate, resolve, hash (pimsim.config.hashes).

This is the one place where presets, ``--set`` overrides and derived values
meet; everything downstream receives frozen, resolved objects.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Optional

from pimsim.config.dram import DramConfig, data_rate_warning, resolve_dram
from pimsim.config.energy import EnergyConfig, resolve_energy
from pimsim.config.hashes import digest, override_list
from pimsim.config.pim import AsicConfig, PimConfig, SimConfig
from pimsim.config.strict import Field, Strict
from pimsim.config.validate import did_you_mean, validate
from pimsim.config.yamlio import apply_overrides, apply_sets, load_yaml
from pimsim.errors import PimsimError, PimsimWarning


class ControllerConfig(Strict):
    """The memory controller of trace mode (the DRAM-simulator front end)."""

    queue_depth: int = Field(gt=0)
    scheduler: str  # registered: frfcfs, fcfs
    page_policy: str  # registered: open, closed
    address_mapping: str  # DRAMsim3-style, e.g. rochrababgco


class HwConfig(Strict):
    name: str
    dram: DramConfig
    controller: Optional[ControllerConfig]
    energy: EnergyConfig
    pim: Optional[PimConfig] = None  # absent in DRAM-only (trace mode) configs
    asic: Optional[AsicConfig] = None
    sim: Optional[SimConfig] = None
    source: str  # the file it came from
    overrides: tuple[str, ...] = ()  # the overrides applied to it, as ``key=value`` (provenance only)

    def require(self, section: str):
        """A section a command needs; its absence is a one-line error naming it."""
        value = getattr(self, section)
        if value is None:
            raise PimsimError(f"this command needs a {section} section", where=self.source, key=section)
        return value

    def resolved(self) -> dict[str, Any]:
        """The fully resolved config as plain data (what a run records)."""
        return self.model_dump(mode="json", exclude={"source", "overrides"})

    @property
    def hw_hash(self) -> str:
        """Identifies the resolved config (pimsim.config.hashes)."""
        return digest(self.resolved())


SECTIONS = ("name", "dram", "controller", "energy", "pim", "asic", "sim")
OPTIONAL_SECTIONS = {"pim": PimConfig, "asic": AsicConfig, "sim": SimConfig}


def build_hwconfig(data: dict[str, Any], where: str, overrides: tuple[str, ...] = ()) -> HwConfig:
    """Validate a raw mapping (already merged with overrides) into a HwConfig."""
    for key in data:
        if key not in SECTIONS:
            raise PimsimError("unknown key" + did_you_mean(key, SECTIONS), where=where, key=key)
    for key in ("name", "dram", "energy"):
        if key not in data:
            raise PimsimError("missing required key", where=where, key=key)
    if not isinstance(data["name"], str):
        raise PimsimError(f"expected a string, got {data['name']!r}", where=where, key="name")
    dram = resolve_dram(data["dram"], where)
    if any(o.partition("=")[0].strip() == "dram.data_rate_gbps" for o in overrides):
        text = data_rate_warning(data["dram"], where)
        if text:
            warnings.warn(text, PimsimWarning, stacklevel=2)  # shown once per process (same text)
    controller = None
    if data.get("controller") is not None:
        if not isinstance(data["controller"], dict):
            raise PimsimError("expected a mapping", where=where, key="controller")
        controller = validate(ControllerConfig, data["controller"], where, prefix="controller")
    energy = resolve_energy(data["energy"], where)
    optional = {}
    for key, model in OPTIONAL_SECTIONS.items():
        if data.get(key) is not None:
            if not isinstance(data[key], dict):
                raise PimsimError("expected a mapping", where=where, key=key)
            optional[key] = validate(model, data[key], where, prefix=key)
    return HwConfig(name=data["name"], dram=dram, controller=controller, energy=energy, source=where,
                    overrides=tuple(overrides), **optional)


def load_hwconfig(path: str | Path, sets: list[str] | tuple[str, ...] = (),
                  overrides: Optional[dict[str, Any]] = None) -> HwConfig:
    """Read ``path``, apply ``--set`` overrides (``"key=value"`` strings) and ``overrides`` (a dict of
    dotted keys with typed values, the Python API's form), validate and resolve."""
    data = load_yaml(path)
    if sets:
        data = apply_sets(data, sets)
    if overrides:
        data = apply_overrides(data, overrides)
    try:
        return build_hwconfig(data, str(path), override_list(sets, overrides))
    except PimsimError as err:
        if overrides and source_of(err.key, list(overrides), "") != "":
            raise PimsimError(err.message, where="overrides", key=err.key) from None
        where = source_of(err.key, sets, err.where)
        if where == err.where:
            raise
        raise PimsimError(err.message, where=where, key=err.key) from None


def source_of(key: str, sets, default: str) -> str:
    """Where ``key``'s value came from: ``--set EXPR`` when an override wrote it (or a key under it),
    else ``default`` (the file)."""
    for expr in reversed(list(sets)):
        name = expr.partition("=")[0].strip()
        if key and (name == key or name.startswith(key + ".") or key.startswith(name + ".")):
            return f"--set {expr}"
    return default
