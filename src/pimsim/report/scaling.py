"""Channel scaling against the ideal line, from the channels study's table (no simulation here).

Each model's curve starts at the fewest channels that hold it, placed on the ideal line there
(a model that needs 2 channels is taken to run 2x as fast as one would, had it fitted): its
points are ``smallest * latency(smallest) / latency(c)``, so a model that scales perfectly
follows ``y = c``.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from pimsim.report.figures import FIGSIZE, MARKERS, PLAIN, save_figure  # noqa: E402

FACTOR = "dram.channels"


def scaling_table(results: pd.DataFrame) -> pd.DataFrame:
    """workload, channels, speedup (the module docstring's normalisation), efficiency = speedup / channels."""
    rows = []
    for model, sub in results.groupby("workload", sort=False):
        sub = sub.sort_values(FACTOR)
        first = sub.iloc[0]
        for _, r in sub.iterrows():
            speedup = first[FACTOR] * first["ms_per_token"] / r["ms_per_token"]
            rows.append({"workload": model, "channels": int(r[FACTOR]), "speedup": speedup,
                         "efficiency": speedup / r[FACTOR]})
    return pd.DataFrame(rows)


def channel_scaling_figure(results: pd.DataFrame, folder: Path, note: str = "") -> list[Path]:
    table = scaling_table(results)
    fig, ax = plt.subplots(figsize=FIGSIZE)
    channels = sorted(table["channels"].unique())
    ax.plot(channels, channels, color="0.5", linestyle="--", linewidth=1.5, label="ideal (linear)")
    for k, (model, sub) in enumerate(table.groupby("workload", sort=False)):
        ax.plot(sub["channels"], sub["speedup"], color="black", marker=MARKERS[k % len(MARKERS)], linewidth=1,
                label=model)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log", base=2)
    ax.set_xticks(channels)
    ax.set_yticks(channels)
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(PLAIN)
    ax.set_xlabel("PIM channels")
    ax.set_ylabel("speedup (x, from the fewest channels that hold the model)")
    ax.set_title("Channel scaling against the ideal line" + (f"\n{note}" if note else ""), fontsize=10)
    ax.legend(fontsize=8, ncol=2)
    ax.grid(which="major", alpha=0.3)
    return save_figure(fig, folder, "channel_scaling")
