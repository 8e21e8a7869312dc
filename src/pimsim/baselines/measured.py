"""Measured baseline: per-token latency (and power, where known) read from a CSV of measurements.

The CSV has the columns :data:`COLUMNS`, one row per (device, model):

- ``device``, ``model``: the device file's ``name`` and the workload's ``name``;
- ``ms_per_token``: measured latency of one batch-1 forward pass with a KV cache, > 0;
- ``watts``: average board/package power during the measurement, >= 0, or empty when unknown
  (energy then uses the device file's ``active_power_w`` and says ``assumed power``);
- ``tokens``: how many tokens the measurement averaged over, a positive integer;
- ``source``: where the row comes from (script and machine, or a publication).

The measured latency stands for every forward pass of a run, prompt passes included: PIM-GPT,
and so the analytic baseline, also feeds the prompt one token at a time.
Errors name the file, ``line N`` and the column.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any, Iterable

from pimsim.baselines.analytic import BaselineResult, Pass
from pimsim.baselines.device import DeviceConfig
from pimsim.config.validate import did_you_mean
from pimsim.config.workload import ModelShape
from pimsim.errors import PimsimError

COLUMNS = ("device", "model", "ms_per_token", "watts", "tokens", "source")


def _number(raw: str, column: str, where: str, line: int, positive: bool) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise PimsimError(f"{column}: expected a number, got {raw!r}", where=where, key=f"line {line}") from None
    if not math.isfinite(value):
        raise PimsimError(f"{column}: expected a finite number, got {raw!r}", where=where, key=f"line {line}")
    if value < 0 or (positive and value == 0):
        bound = "positive" if positive else "0 or more"
        raise PimsimError(f"{column}: must be {bound} (got {raw})", where=where, key=f"line {line}")
    return value


def _row(cells: dict[str, str], where: str, line: int) -> dict[str, Any]:
    for column in ("device", "model", "ms_per_token", "tokens", "source"):
        if not cells[column]:
            raise PimsimError(f"{column}: missing value", where=where, key=f"line {line}")
    tokens = _number(cells["tokens"], "tokens", where, line, positive=True)
    if tokens != int(tokens):
        raise PimsimError(f"tokens: expected an integer, got {cells['tokens']!r}", where=where, key=f"line {line}")
    watts = cells["watts"]
    return {
        "device": cells["device"],
        "model": cells["model"],
        "ms_per_token": _number(cells["ms_per_token"], "ms_per_token", where, line, positive=True),
        "watts": _number(watts, "watts", where, line, positive=False) if watts else None,
        "tokens": int(tokens),
        "source": cells["source"],
    }


def read_measured(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a measurements CSV as dicts keyed by :data:`COLUMNS`, validated.

    ``watts`` is ``None`` where the cell is empty. A (device, model) pair may appear once.
    """
    where = str(path)
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = [name.strip() for name in next(reader, [])]
            if not any(header):
                raise PimsimError(f"empty file (expected a header: {','.join(COLUMNS)})", where=where)
            for name in header:
                if name not in COLUMNS:
                    raise PimsimError(f"unknown column {name!r}{did_you_mean(name, COLUMNS)}", where=where,
                                      key="line 1")
            for name in COLUMNS:
                if name not in header:
                    raise PimsimError(f"missing column {name!r} (expected columns: {','.join(COLUMNS)})",
                                      where=where, key="line 1")
            rows: list[dict[str, Any]] = []
            seen: dict[tuple[str, str], int] = {}
            for cells in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) != len(header):
                    raise PimsimError(f"expected {len(header)} fields, got {len(cells)}", where=where,
                                      key=f"line {line}")
                row = _row({k: v.strip() for k, v in zip(header, cells)}, where, line)
                pair = (row["device"], row["model"])
                if pair in seen:
                    raise PimsimError(f"duplicate row for device {pair[0]!r} and model {pair[1]!r} (first at "
                                      f"line {seen[pair]})", where=where, key=f"line {line}")
                seen[pair] = line
                rows.append(row)
    except FileNotFoundError:
        raise PimsimError("file not found", where=where) from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise PimsimError(f"cannot read CSV ({exc.__class__.__name__}: {exc})", where=where) from None
    return rows


def write_measured(path: str | Path, rows: Iterable[dict[str, Any]]) -> None:
    """Write rows (dicts keyed by :data:`COLUMNS`; ``watts`` may be ``None``) as a measurements CSV."""
    where = str(path)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for index, row in enumerate(rows):
            keys = set(row)
            if keys != set(COLUMNS):
                extra, missing = sorted(keys - set(COLUMNS)), sorted(set(COLUMNS) - keys)
                raise PimsimError(f"row {index}: expected keys {','.join(COLUMNS)} (missing {missing}, extra {extra})",
                                  where=where)
            writer.writerow(["" if row[c] is None else row[c] for c in COLUMNS])


def estimate(device: DeviceConfig, model_name: str, model: ModelShape, passes: Iterable[Pass]) -> BaselineResult:
    """The measured latency of (``device.name``, ``model_name``) for each of ``passes``."""
    del model
    path = device.measured_path()
    if path is None:
        raise PimsimError("backend 'measured' needs a CSV of measurements (a path relative to the repository root)",
                          where=f"device {device.name}", key="measured_csv")
    rows = read_measured(path)
    match = [r for r in rows if r["device"] == device.name and r["model"] == model_name]
    if not match:
        models = sorted(r["model"] for r in rows if r["device"] == device.name)
        known = f"measured on it: {', '.join(models)}" if models else "the file has no rows for this device"
        raise PimsimError(f"no measurement of model {model_name!r} on device {device.name!r} ({known})",
                          where=str(path))
    row = match[0]
    passes = list(passes)
    if any(op.batch > 1 for _, _, ops in passes[:1] for op in ops):
        raise PimsimError("measurements are of batch 1; a batched run compares with the analytic baselines only",
                          where=str(path), key=model_name)
    n = len(passes)
    seconds_per_pass = row["ms_per_token"] / 1e3
    watts = row["watts"] if row["watts"] is not None else device.active_power_w
    energy_source = "measured power" if row["watts"] is not None else "assumed power"
    seconds = seconds_per_pass * n
    return BaselineResult(
        device=device.name, backend="measured", passes=n, seconds=seconds, joules=watts * seconds,
        per_pass_seconds=[seconds_per_pass] * n, breakdown={"measured": seconds},
        energy_source=energy_source, source=row["source"])
