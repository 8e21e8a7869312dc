"""Sweep figures from a sweep folder's results.csv and sweep.json (matplotlib Agg, PNG + SVG, black and grey).

For each factor that varies, each key metric against that factor, a line per
workload; in a grid of several factors the other factors are held at their
base-config values (or their first values where the grid lacks the base
value). For a two-factor grid, per workload, heat maps of speedup and energy
efficiency relative to the grid point that matches the base config (or the
first point if none does). Figures go to ``<folder>/figures/``; nothing here
simulates. Regenerate with ``pimsim plot <folder>``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from pimsim.report.figures import FIGSIZE, MARKERS, save_figure  # noqa: E402

# column -> (axis label with unit, scale applied to the column, log y axis)
METRICS: dict[str, tuple[str, float, bool]] = {
    "ms_per_token": ("latency per token (ms, log scale)", 1.0, True),
    "j_per_token": ("energy per token (mJ, log scale)", 1e3, True),
    "tokens_per_s": ("throughput (tokens/s, log scale)", 1.0, True),
    "mac_utilization": ("MAC utilization (fraction of MAC slots)", 1.0, False),
    "row_hit_rate": ("row-hit rate (fraction of column accesses)", 1.0, False),
}
UNITS = {"_mhz": "MHz", "_gbps": "Gb/s per pin", "_ns": "ns", "_bytes": "bytes", "_kib": "KiB", "_pj": "pJ",
         "_mw": "mW", "channels": "count", "banks_per_group": "count", "mac_lanes": "multipliers per bank"}
LINE_GREYS = ["black", "0.4", "0.6", "0.25", "0.5", "0.7", "0.15", "0.55"]
LINE_STYLES = ["-", "--", ":", "-."]


def _axis_label(factor: str) -> str:
    for suffix, unit in UNITS.items():
        if factor.endswith(suffix):
            return f"{factor} ({unit})"
    return factor


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _reference(table: pd.DataFrame, factors: list[str], base: dict[str, Any]) -> dict[str, Any]:
    """The grid point of the base config if the table holds it, else the first point."""
    ref = {f: base.get(f) for f in factors}
    rows = table
    for f, v in ref.items():
        rows = rows[rows[f] == v] if v is not None else rows.iloc[0:0]
    if len(rows):
        return ref
    return {f: table[f].iloc[0] for f in factors}


def _held(table: pd.DataFrame, factor: str, varied: list[str], ref: dict[str, Any], mode: str) -> pd.DataFrame:
    if mode == "zip":  # the factors move together; every row is one position of the zip
        return table
    rows = table
    for g in varied:
        if g != factor:
            rows = rows[rows[g] == ref[g]]
    return rows


def _line_figure(rows: pd.DataFrame, factor: str, metric: str, order: list, held: str, name: str,
                 folder: Path) -> list[Path]:
    label, scale, log = METRICS[metric]
    numeric = _numeric(rows[factor])
    fig, ax = plt.subplots(figsize=FIGSIZE)
    for i, (workload, sub) in enumerate(rows.groupby("workload", sort=False)):
        sub = sub.sort_values(factor) if numeric else sub.set_index(factor).reindex(order).dropna(
            subset=[metric]).reset_index()
        xs = sub[factor] if numeric else [order.index(v) for v in sub[factor]]
        ax.plot(xs, sub[metric] * scale, label=workload, color=LINE_GREYS[i % len(LINE_GREYS)],
                linestyle=LINE_STYLES[(i // 2) % len(LINE_STYLES)], marker=MARKERS[i % len(MARKERS)])
    if numeric:
        values = sorted(rows[factor].unique())
        if values[0] > 0 and values[-1] / values[0] >= 8:
            ax.set_xscale("log", base=2)
        ax.set_xticks(values)
        ax.set_xticklabels([f"{v:g}" for v in values])
    else:
        ax.set_xticks(range(len(order)))
        ax.set_xticklabels([str(v) for v in order])
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(_axis_label(factor))
    ax.set_ylabel(label)
    ax.set_title(f"sweep {name}: {metric} against {factor}{held}")
    ax.grid(which="both", alpha=0.3)
    ax.legend(title="workload", fontsize="small", ncol=2)
    return save_figure(fig, folder, f"{factor.replace('.', '_')}-{metric}")


def _heatmap(rows: pd.DataFrame, f1: str, f2: str, metric: str, ref: dict[str, Any], title: str,
             folder: Path, stem: str) -> list[Path]:
    grid = rows.pivot_table(index=f1, columns=f2, values=metric, aggfunc="first")
    at_ref = rows[(rows[f1] == ref[f1]) & (rows[f2] == ref[f2])][metric]
    if grid.empty or at_ref.empty:
        return []
    rel = at_ref.iloc[0] / grid  # lower latency or energy = higher speedup or efficiency
    fig, ax = plt.subplots(figsize=FIGSIZE)
    image = ax.imshow(rel.values, cmap="Greys", aspect="auto", origin="lower")
    mid = (rel.values[~pd.isna(rel.values)].max() + rel.values[~pd.isna(rel.values)].min()) / 2
    for (i, j), value in pd.DataFrame(rel.values).stack().items():
        ax.text(j, i, f"{value:.2f}x", ha="center", va="center", fontsize="small",
                color="white" if value > mid else "black")
    ax.set_xticks(range(len(rel.columns)))
    ax.set_xticklabels([str(v) for v in rel.columns])
    ax.set_yticks(range(len(rel.index)))
    ax.set_yticklabels([str(v) for v in rel.index])
    ax.set_xlabel(_axis_label(f2))
    ax.set_ylabel(_axis_label(f1))
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label="relative to the reference point (x)")
    return save_figure(fig, folder, stem)


def sweep_figures(folder: str | Path) -> list[Path]:
    """Draw every sweep figure of ``folder`` (which holds results.csv and sweep.json); returns the paths."""
    folder = Path(folder)
    table = pd.read_csv(folder / "results.csv")
    info = json.loads((folder / "sweep.json").read_text(encoding="utf-8"))
    name, mode, base = info["name"], info.get("mode", "grid"), info.get("base_values", {})
    varied = [f for f in info["factors"] if table[f].nunique() > 1]
    out_dir = folder / "figures"
    out_dir.mkdir(exist_ok=True)
    paths: list[Path] = []
    if table.empty:
        return paths
    ref = _reference(table, varied, base)
    for factor in varied:
        rows = _held(table, factor, varied, ref, mode)
        others = [g for g in varied if g != factor and mode != "zip"]
        held = f" ({', '.join(f'{g}={_fmt(ref[g])}' for g in others)})" if others else ""
        order = list(dict.fromkeys(table[factor]))
        for metric in METRICS:
            paths += _line_figure(rows, factor, metric, order, held, name, out_dir)
    if mode == "grid" and len(varied) == 2:
        f1, f2 = varied
        point = f"{f1}={_fmt(ref[f1])}, {f2}={_fmt(ref[f2])}"
        for workload, rows in table.groupby("workload", sort=False):
            safe = re.sub(r"[^A-Za-z0-9._-]", "_", str(workload))
            paths += _heatmap(rows, f1, f2, "ms_per_token", ref, f"sweep {name}: speedup over {point} ({workload})",
                              out_dir, f"heatmap-speedup-{safe}")
            paths += _heatmap(rows, f1, f2, "j_per_token", ref,
                              f"sweep {name}: energy efficiency over {point} ({workload})", out_dir,
                              f"heatmap-energy_efficiency-{safe}")
    return paths
