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
from pimsim.baselines.device import DeviceConfig, device_names, load_device, locate_device
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
    """Time and energy of ``workload`` on a baseline device (a name, a YAML path, a config, or
    ``measured:FILE.csv`` for a CSV of measurements, see :func:`measured_device`).

    ``passes`` defaults to every forward pass of the run, ``list(generation_ops(workload))``.
    """
    if isinstance(device_name_or_cfg, DeviceConfig):
        device, where = device_name_or_cfg, ""
    elif str(device_name_or_cfg).startswith(MEASURED):
        device, where = measured_device(str(device_name_or_cfg))
    else:
        path = locate_device(device_name_or_cfg)
        device, where = load_device(path), str(path)
    backend = backend_for(device, where)
    if passes is None:
        passes = list(generation_ops(workload))
    return backend(device, workload.name, workload.model, passes)


MEASURED = "measured:"


def measured_device(spec: str) -> tuple[DeviceConfig, str]:
    """``measured:FILE.csv`` (or ``measured:FILE.csv:DEVICE`` when the file holds several devices): the
    CSV ``pimsim baseline measure-cpu|measure-gpu`` writes, used as it is. The device is the shipped
    device file of the CSV's device name with its latency taken from the CSV, or, when none has that
    name, a device made from the CSV alone (every row must then give ``watts``; the kind is taken from
    the command named in ``source``)."""
    where = "--baselines"
    text = spec[len(MEASURED):]
    path_text, _, wanted = text.partition(".csv:")
    path = Path(path_text + ".csv" if wanted or text.endswith(".csv:") else text)
    if not path.is_file():
        raise PimsimError(f"{spec}: no such file {path}", where=where)
    rows = measured.read_measured(path)
    devices = sorted({r["device"] for r in rows})
    if not devices:
        raise PimsimError(f"{spec}: the file has no measurements", where=where)
    if wanted and wanted not in devices:
        raise PimsimError(f"{spec}: no rows for device {wanted!r} (the file has: {', '.join(devices)})", where=where)
    if not wanted and len(devices) > 1:
        raise PimsimError(f"{spec}: the file holds several devices ({', '.join(devices)}); name one: "
                          f"{MEASURED}{path}:{devices[0]}", where=where)
    name = wanted or devices[0]
    csv_path = str(path.resolve())
    if name in device_names():
        base = load_device(name)
        return base.model_copy(update={"backend": "measured", "measured_csv": csv_path}), str(path)
    mine = [r for r in rows if r["device"] == name]
    if any(r["watts"] is None for r in mine):
        raise PimsimError(f"{spec}: device {name!r} has rows without watts and no device file gives its power; "
                          f"fill in watts or write hwconfigs/baselines/{name}.yaml", where=where)
    kinds = {"gpu" if "measure-gpu" in r["source"] else "cpu" if "measure-cpu" in r["source"] else "" for r in mine}
    if len(kinds) != 1 or "" in kinds:
        raise PimsimError(f"{spec}: cannot tell whether {name!r} is a CPU or a GPU from its source column; "
                          f"write hwconfigs/baselines/{name}.yaml", where=where)
    watts = max(r["watts"] for r in mine)
    device = DeviceConfig(name=name, kind=kinds.pop(), backend="measured", source=f"measurements in {path}",
                          memory_bandwidth_gbps=1.0, peak_tflops=1.0, bandwidth_efficiency=1.0, compute_efficiency=1.0,
                          kernel_overhead_us=0.0, kernels_per_layer=0, kernels_per_token=0, idle_power_w=watts,
                          active_power_w=watts, dtype_bytes=2, measured_csv=csv_path)
    return device, str(path)
