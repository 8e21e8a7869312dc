"""YAML -> validated, frozen, unit-resolved config objects (the bottom layer)."""

from pimsim.config.dram import DramConfig
from pimsim.config.energy import EnergyConfig
from pimsim.config.hw import ControllerConfig, HwConfig, build_hwconfig, load_hwconfig

__all__ = ["ControllerConfig", "DramConfig", "EnergyConfig", "HwConfig", "build_hwconfig", "load_hwconfig"]
