"""Baseline backends registered by name; a device file's ``backend`` key picks one.

Every backend has the signature ``estimate(device, model_name, model, passes) ->
BaselineResult``: the analytic one models the passes op by op, the measured one looks up
(``device.name``, ``model_name``) in the device's CSV of measurements.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Optional

from pimsim.baselines import analytic, measured
from pimsim.baselines.analytic import BaselineResult, Pass
from pimsim.baselines.device import DeviceConfig, load_device, locate_device
from pimsim.config.validate import did_you_mean
from pimsim.config.workload import ModelShape, Workload
from pimsim.errors import PimsimError
from pimsim.workload.ops import generation_ops

Backend = Callable[[DeviceConfig, str, ModelShape, Iterable[Pass]], BaselineResult]

BACKENDS: dict[str, Backend] = {
    "analytic": analytic.estimate,
    "measured": measured.estimate,
}


def backend_for(device: DeviceConfig, where: str = "") -> Backend:
    """The registered backend the device names; an unknown name lists the known ones."""
    try:
        return BACKENDS[device.backend]
    except KeyError:
        hint = did_you_mean(device.backend, list(BACKENDS))
        hint = hint if hint.startswith(" (did you mean") else ""
        raise PimsimError(f"unknown backend {device.backend!r}{hint}; known: {', '.join(sorted(BACKENDS))}",
                          where=where or f"device {device.name}", key="backend") from None


def baseline_estimate(device_name_or_cfg: str | Path | DeviceConfig, workload: Workload,
                      passes: Optional[list[Pass]] = None) -> BaselineResult:
    """Time and energy of ``workload`` on a baseline device (a name, a YAML path or a config).

    ``passes`` defaults to every forward pass of the run, ``list(generation_ops(workload))``.
    """
    if isinstance(device_name_or_cfg, DeviceConfig):
        device, where = device_name_or_cfg, ""
    else:
        path = locate_device(device_name_or_cfg)
        device, where = load_device(path), str(path)
    backend = backend_for(device, where)
    if passes is None:
        passes = list(generation_ops(workload))
    return backend(device, workload.name, workload.model, passes)
