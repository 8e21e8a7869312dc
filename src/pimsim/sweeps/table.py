"""A sweep's output folder: who owns it, the resolved sweep files, and the one tidy results table.

Folder layout (``--out``, default reports/runs/sweep-<name>):
  sweep.json       name, sweep hash, factors, their base-config values, points count
  sweep.yaml       the resolved sweep: sweep file and base config paths (relative to the folder), the
                   resolved base config, workloads, factors, skipped points
  points/<run_hash>.json, failed/<run_hash>.json   one file per finished or failed point (sweep.execute)
  results.csv      one row per finished point: factor columns, ``workload``, then every metric of
                   ``pimsim run --json`` flattened (``breakdown_s.vmm``, ``counts.MAC16`` ..., run_hash,
                   hw_hash), the point's overrides and the pimsim version;
                   rows in expansion order; no wall time, so the same sweep gives the same bytes
  results.parquet  the same table, if pyarrow is importable
A folder that holds another sweep is refused; the same sweep is refused unless ``--resume``.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from pimsim import __version__
from pimsim.config.hw import build_hwconfig
from pimsim.errors import PimsimError
from pimsim.cache.store import write_atomic
from pimsim.sweeps.execute import read_point
from pimsim.sweeps.spec import PRESET, Point, Skipped, SweepSpec, leaves

SWEEP_JSON = "sweep.json"
SWEEP_YAML = "sweep.yaml"
RESULTS_CSV = "results.csv"
RESULTS_PARQUET = "results.parquet"


def check_folder(out: Path, digest: str, resume: bool) -> None:
    """Refuse an output folder that holds something else, or this very sweep without ``--resume``."""
    if not out.exists():
        return
    if not out.is_dir():
        raise PimsimError("is not a folder", where=str(out))
    marker = out / SWEEP_JSON
    if not marker.exists():
        if any(out.iterdir()):
            raise PimsimError("holds files but no sweep.json: not a sweep folder; choose another --out",
                              where=str(out))
        return
    try:
        held = json.loads(marker.read_text(encoding="utf-8"))["sweep_hash"]
    except (OSError, ValueError, KeyError, TypeError):
        raise PimsimError("its sweep.json cannot be read; choose another --out", where=str(out)) from None
    if held != digest:
        raise PimsimError(f"holds a different sweep (hash {str(held)[:12]}, this one {digest[:12]}); "
                          f"choose another --out", where=str(out))
    if not resume:
        raise PimsimError("already holds this sweep; pass --resume to continue it (finished points are reused)",
                          where=str(out))


def base_values(spec: SweepSpec) -> dict[str, Any]:
    """Each factor's value in the base config (None for presets and keys the base does not hold)."""
    flat = {**leaves(spec.base_data), **leaves(build_hwconfig(spec.base_data, str(spec.base)).resolved())}
    return {k: (None if k == PRESET else flat.get(k)) for k in spec.factors}


def _relative(path: Path, out: Path) -> str:
    """``path`` relative to the folder ``out`` (a folder moved with its sources keeps pointing at them,
    and no absolute path of this machine is written)."""
    return Path(os.path.relpath(path.resolve(), out.resolve())).as_posix()


def write_sweep_files(spec: SweepSpec, points: list[Point], skipped: list[Skipped], out: Path,
                      digest: str) -> None:
    """sweep.json (what identifies the sweep) and sweep.yaml (the sweep, resolved)."""
    out.mkdir(parents=True, exist_ok=True)
    workloads = list(dict.fromkeys(p.workload for p in points))
    summary = {"name": spec.name, "sweep_hash": digest, "pimsim": __version__, "mode": spec.mode,
               "factors": list(spec.factors), "base_values": base_values(spec), "workloads": workloads,
               "points": len(points), "skipped": len(skipped)}
    write_atomic(out / SWEEP_JSON, json.dumps(summary, indent=2) + "\n")
    resolved = {
        "name": spec.name,
        "sweep_file": _relative(spec.path, out),
        "base": _relative(spec.base, out),
        **{k: v for k, v in spec.definition().items() if k != "name"},
        "points": len(points),
        "skipped": [{"workload": s.workload, "factors": s.factors, "reason": s.reason} for s in skipped],
        "sweep_hash": digest,
        "pimsim": __version__,
        "base_config": build_hwconfig(spec.base_data, str(spec.base)).resolved(),
    }
    write_atomic(out / SWEEP_YAML, yaml.safe_dump(resolved, sort_keys=False, default_flow_style=None, width=120))


def flatten(metrics: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"counts": {"MAC16": 3}}`` -> ``{"counts.MAC16": 3}``."""
    out: dict[str, Any] = {}
    for k, v in metrics.items():
        if isinstance(v, dict):
            out.update(flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def collect(spec: SweepSpec, points: list[Point], out: Path) -> pd.DataFrame:
    """One row per finished point in expansion order (points without a file are left out); among the
    columns the point's run_hash and hw_hash, and last its overrides and the pimsim version (a folder
    holds one version: the sweep hash includes it)."""
    rows = []
    for p in points:
        record = read_point(out, p.key)
        if record is not None:
            metrics = {k: v for k, v in flatten(record["metrics"]).items() if k != "pimsim"}
            rows.append({**p.factors, "workload": p.workload, **metrics, "overrides": "; ".join(p.sets),
                         "pimsim": __version__})
    columns: dict[str, None] = dict.fromkeys([*spec.factors, "workload"])
    for row in rows:
        columns.update(dict.fromkeys(row))
    table = pd.DataFrame(rows, columns=list(columns))
    counts = [c for c in table.columns if c.startswith("counts.")]
    table[counts] = table[counts].fillna(0).astype("int64")  # a command never issued was issued 0 times
    return table


def write_table(spec: SweepSpec, points: list[Point], out: Path) -> list[Path]:
    """results.csv (and results.parquet when pyarrow is importable); returns the paths written."""
    table = collect(spec, points, out)
    buf = io.StringIO()
    table.to_csv(buf, index=False, lineterminator="\n")
    write_atomic(out / RESULTS_CSV, buf.getvalue())
    paths = [out / RESULTS_CSV]
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return paths
    tmp = out / f".{RESULTS_PARQUET}.tmp"
    table.to_parquet(tmp, index=False)
    tmp.replace(out / RESULTS_PARQUET)
    return paths + [out / RESULTS_PARQUET]
