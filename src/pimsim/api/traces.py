"""``pimsim.trace``: trace mode, as ``pimsim trace`` runs it: a DRAMsim3-format memory trace through
the DRAM controller, or an AiM ISR trace on the PIM channel engines."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any, Optional, Sequence, Union

from pimsim import __version__
from pimsim.api.hardware import HwLike, hw_config, load_hw
from pimsim.config.hashes import digest
from pimsim.config.hw import HwConfig
from pimsim.errors import PimsimError

FORMATS = ("dramsim3", "aim")


def trace(tracefile: Union[str, Path], hw: HwLike, format: str = "dramsim3",
          overrides: Optional[dict[str, Any]] = None, sets: Sequence[str] = ()) -> dict[str, Any]:
    """Simulate ``tracefile`` on ``hw`` (dramsim3: a config with a controller section; aim: one with a
    pim section, e.g. hwconfigs/aim.yaml). Returns the metrics ``pimsim trace --json`` prints: cycles,
    commands, energy, ..., the hw_hash, the run_hash (hardware, trace content, format, version), the
    overrides, the pimsim version and the wall time."""
    if format not in FORMATS:
        raise PimsimError(f"unknown format {format!r} (known: {', '.join(FORMATS)})", where="--format")
    config = hw_config(hw, overrides) if isinstance(hw, HwConfig) else load_hw(hw, overrides, sets)
    if format == "aim":
        metrics = _aim(config, tracefile)
    else:
        metrics = _dramsim3(config, tracefile)
    try:
        content = hashlib.sha256(Path(tracefile).read_bytes()).hexdigest()
    except OSError as exc:
        raise PimsimError(f"cannot read file ({exc.__class__.__name__})", where=str(tracefile)) from None
    metrics.update({"trace": str(tracefile), "run_hash": digest({"hw": config.resolved(), "trace": content,
                                                               "format": format, "pimsim": __version__}),
                    "overrides": list(config.overrides), "pimsim": __version__})
    return metrics


def _dramsim3(hw, tracefile) -> dict[str, Any]:
    from pimsim.dram.spec import build_spec
    from pimsim.report.trace_summary import trace_metrics
    from pimsim.traces.controller import run_trace
    from pimsim.traces.reader import read_trace

    if hw.controller is None:
        raise PimsimError("trace mode needs a controller section", where=hw.source, key="controller")
    spec = build_spec(hw.dram)
    requests = read_trace(tracefile)
    t0 = time.perf_counter()
    try:
        res = run_trace(spec, hw.controller, requests, where=str(tracefile))
    except PimsimError as exc:  # (a refresh schedule that starves the requests names a config key)
        if exc.where:
            raise
        raise PimsimError(exc.message, where=hw.source, key=exc.key) from None
    return trace_metrics(hw, res, time.perf_counter() - t0)


def _aim(hw, tracefile) -> dict[str, Any]:
    from pimsim.report.trace_summary import aim_metrics
    from pimsim.traces.aim_reader import read_aim_trace
    from pimsim.traces.aim_runner import aim_spec, run_aim_trace

    hw.require("pim")
    aim_spec(hw)  # the device must have AiM's bank organisation: checked before reading the trace
    instructions = read_aim_trace(tracefile, hw.dram.channels, hw.dram.banks_per_rank, hw.dram.rows)
    t0 = time.perf_counter()
    res = run_aim_trace(hw, instructions)
    return aim_metrics(hw, res, time.perf_counter() - t0, str(tracefile))
