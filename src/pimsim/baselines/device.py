"""Baseline device files: a GPU's or CPU's datasheet figures and the assumptions we add to them.

A device file is a YAML mapping validated by :class:`DeviceConfig` (strict: unknown keys,
missing keys and wrong types are one-line errors naming the file and the key). Shipped files
live in ``hwconfigs/baselines/`` at the repository root and are addressed by file stem
(``t4``); any other YAML file is addressed by its path. Every value in a shipped file carries a
comment: a datasheet figure with its source, or ``assumption: ...`` with the reasoning.

Units are in the key names: ``_gbps`` is gigabytes (1e9 bytes) per second, ``_tflops`` 1e12
floating-point operations per second, ``_us`` microseconds, ``_w`` watts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional

import pimsim
from pimsim.config.strict import Field, Strict
from pimsim.config.validate import did_you_mean, validate
from pimsim.config.yamlio import load_yaml
from pimsim.errors import PimsimError

REPO_ROOT = Path(pimsim.__file__).resolve().parents[2]
DEVICE_DIR = REPO_ROOT / "hwconfigs" / "baselines"

Fraction = Field(gt=0, le=1)
NonNeg = Field(ge=0)


class DeviceConfig(Strict):
    """One baseline device; the ``backend`` name picks its model in ``baselines.registry``."""

    name: str = Field(min_length=1)  # how results and measured CSV rows name the device
    kind: Literal["gpu", "cpu"]
    backend: str  # registered: analytic, measured (checked by baselines.registry)
    source: str = Field(min_length=1)  # citation of the datasheet figures
    memory_bandwidth_gbps: float = Field(gt=0)  # peak DRAM bandwidth, GB/s (datasheet)
    peak_tflops: float = Field(gt=0)  # peak dense math in the baseline's precision (datasheet)
    bandwidth_efficiency: float = Fraction  # achieved fraction of the bandwidth on streaming GEMV
    compute_efficiency: float = Fraction  # achieved fraction of the peak on compute-bound kernels
    kernel_overhead_us: float = NonNeg  # launch + framework time per kernel at batch 1
    kernels_per_layer: int = NonNeg  # kernels one transformer layer launches per forward pass
    kernels_per_token: int = NonNeg  # kernels outside the layers per forward pass
    idle_power_w: float = NonNeg  # power while the device waits on launch/framework overhead
    active_power_w: float = NonNeg  # power while kernels execute
    dtype_bytes: int = Field(gt=0)  # bytes per weight/activation element in the baseline's precision
    measured_csv: Optional[str] = None  # backend measured: CSV path, relative to the repository root

    def measured_path(self) -> Optional[Path]:
        """``measured_csv`` resolved against the repository root (absolute paths stay as they are)."""
        if self.measured_csv is None:
            return None
        path = Path(self.measured_csv)
        return path if path.is_absolute() else REPO_ROOT / path


def device_names() -> list[str]:
    """The shipped device files (stems in ``hwconfigs/baselines/``)."""
    return sorted(p.stem for p in DEVICE_DIR.glob("*.yaml"))


def locate_device(name_or_path: str | Path) -> Path:
    """The file of a shipped device name, or ``name_or_path`` itself when it looks like a path."""
    text = str(name_or_path)
    names = device_names()
    if text in names:
        return DEVICE_DIR / f"{text}.yaml"
    path = Path(text)
    if isinstance(name_or_path, Path) or path.suffix in (".yaml", ".yml") or "/" in text or path.is_file():
        return path
    hint = did_you_mean(text, names)
    if not hint.startswith(" (did you mean"):
        hint = ""
    raise PimsimError(f"unknown device {text!r}{hint}; known: {', '.join(names)}, or a path to a YAML file",
                      where="device")


def load_device(name_or_path: str | Path) -> DeviceConfig:
    """A shipped device by name (``t4``) or a device YAML file by path, validated and frozen."""
    path = locate_device(name_or_path)
    raw = load_yaml(path)
    fields = list(DeviceConfig.model_fields)
    for key in raw:  # a misspelt key is reported as such, not as the key it stands for being missing
        if key not in fields:
            raise PimsimError("unknown key" + did_you_mean(str(key), fields), where=str(path), key=str(key))
    return validate(DeviceConfig, raw, str(path))
