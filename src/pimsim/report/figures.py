"""Comparison and run figures from saved tables (matplotlib, PNG + SVG, readable in black and white).

Every function takes tidy pandas tables (the CSVs a run or comparison
folder holds) and writes ``<stem>.png`` and ``<stem>.svg``; nothing here
simulates. Bars carry hatches and lines markers so that no figure depends
on colour; where colour helps (stacked categories) it is the Okabe-Ito
palette, which colour-blind readers tell apart. Log axes tick every decade
and its 2x and 5x points. Where the PIM-GPT paper gives a range for a
comparison, the figure draws it.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

from pimsim.report.statements import PAPER_RANGES  # noqa: E402

PLAIN = FuncFormatter(lambda v, _: f"{v:g}")  # 40, not 4 x 10^1, on log axes
OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]

HATCHES = ["//", "..", "xx", "\\\\", "--", "++", "oo", "**"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "<"]
GREYS = ["0.15", "0.45", "0.7", "0.9", "0.3", "0.6", "0.8", "1.0"]
CATEGORIES = ("vmm", "asic", "transfer", "refresh")
FIGSIZE = (8.0, 4.5)
DPI = 100


def save_figure(fig, folder: Path, stem: str) -> list[Path]:
    """Write ``stem``.png and ``stem``.svg and close the figure."""
    paths = [folder / f"{stem}.png", folder / f"{stem}.svg"]
    fig.tight_layout()
    fig.savefig(paths[0], dpi=DPI)
    fig.savefig(paths[1])
    plt.close(fig)
    return paths


def log_ticks(axis) -> None:
    """A labelled tick at every decade and at its 2x and 5x points: 1, 2, 5, 10, 20, 50, ..."""
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(PLAIN)
    axis.set_minor_locator(LogLocator(base=10, subs=(3.0, 4.0, 6.0, 7.0, 8.0, 9.0)))
    axis.set_minor_formatter(NullFormatter())


def _grouped(ax, table: pd.DataFrame, value: str, log: bool) -> None:
    models = list(dict.fromkeys(table["model"]))
    baselines = list(dict.fromkeys(table["baseline"]))
    width = 0.8 / max(len(baselines), 1)
    for j, base in enumerate(baselines):
        sub = table[table["baseline"] == base].set_index("model").reindex(models)
        xs = [i + (j - (len(baselines) - 1) / 2) * width for i in range(len(models))]
        bars = ax.bar(xs, sub[value], width, label=base, color=GREYS[j % len(GREYS)], edgecolor="black",
                      hatch=HATCHES[j % len(HATCHES)])
        ax.bar_label(bars, fmt="%.0f", fontsize=7, padding=1)
        paper = PAPER_RANGES.get((value, base))
        if paper is not None:  # the paper's range over its models, as a band
            ax.axhspan(*paper, facecolor=GREYS[j % len(GREYS)], alpha=0.25, hatch=HATCHES[j % len(HATCHES)],
                       edgecolor="0.4", linewidth=0, label=f"paper, {base}: {paper[0]}-{paper[1]}x", zorder=0)
    ax.set_xticks(range(len(models)))
    ax.set_xticklabels(models, rotation=30, ha="right")
    if log:
        ax.set_yscale("log")
        log_ticks(ax.yaxis)
        low = table[value][table[value] > 0].min()
        bottom = 10 ** math.floor(math.log10(low)) if low == low else 1  # bars rise from a decade
        ax.set_ylim(bottom=bottom, top=ax.get_ylim()[1] * 3)  # headroom for the legend
    ax.legend(title="baseline", loc="upper left", ncol=2, fontsize=8, framealpha=0.9)
    ax.grid(axis="y", which="major", alpha=0.3)


def comparison_figures(table: pd.DataFrame, runs: pd.DataFrame, tokens: pd.DataFrame, folder: Path,
                       title: str, note: str = "") -> list[Path]:
    """The five figures of a comparison folder; ``note`` (token counts) goes under every title."""
    out: list[Path] = []
    phase = table["phase"].iloc[0] if "phase" in table and len(table) else "all"
    head, title = title, f"{title}\n{note}, {phase} passes" if note else title
    per_pass = f"{head}\n{note}, all forward passes" if note else head
    fig, ax = plt.subplots(figsize=FIGSIZE)
    _grouped(ax, table, "speedup", log=True)
    ax.set_ylabel("speedup over baseline (x, log scale)")
    ax.set_title(f"PIM speedup per token: {title}", fontsize=10)
    out += save_figure(fig, folder, "speedup")

    fig, ax = plt.subplots(figsize=FIGSIZE)
    _grouped(ax, table, "energy_efficiency", log=True)
    ax.set_ylabel("energy efficiency over baseline (x, log scale)")
    ax.set_title(f"PIM energy efficiency per token: {title}", fontsize=10)
    out += save_figure(fig, folder, "energy_efficiency")

    out += _stacked(runs, [f"{c}_ms_per_token" for c in CATEGORIES], list(CATEGORIES), "latency per token (ms)",
                    f"PIM latency breakdown: {per_pass}", folder, "latency_breakdown")
    energy_cols = [c for c in runs.columns if c.startswith("energy_") and c.endswith("_mj_per_token")]
    out += _stacked(runs, energy_cols, [c[len("energy_"):-len("_mj_per_token")] for c in energy_cols],
                    "energy per token (mJ)", f"PIM energy breakdown: {per_pass}", folder, "energy_breakdown")
    out += token_latency_figure(tokens, folder, f"PIM per-token latency over the generation: {per_pass}")
    return out


def _stacked(runs: pd.DataFrame, cols: list[str], labels: list[str], ylabel: str, title: str, folder: Path,
             stem: str) -> list[Path]:
    fig, ax = plt.subplots(figsize=FIGSIZE)
    bottom = [0.0] * len(runs)
    for k, (col, label) in enumerate(zip(cols, labels)):
        ax.bar(runs["model"], runs[col], bottom=bottom, label=label, color=OKABE_ITO[k % len(OKABE_ITO)],
               edgecolor="black", hatch=HATCHES[k % len(HATCHES)])
        bottom = [b + v for b, v in zip(bottom, runs[col])]
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.tick_params(axis="x", rotation=30)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return save_figure(fig, folder, stem)


def token_latency_figure(tokens: pd.DataFrame, folder: Path, title: str, log: bool = True) -> list[Path]:
    """Per-token latency against the token's position (the KV cache grows along x); log scale
    when several models of very different sizes share the axes."""
    fig, ax = plt.subplots(figsize=FIGSIZE)
    for k, (model, sub) in enumerate(tokens.groupby("model", sort=False)):
        ax.plot(sub["position"], sub["ms"], label=model, color="black", marker=MARKERS[k % len(MARKERS)],
                markevery=max(1, len(sub) // 8), linewidth=1)
    ax.set_xlabel("token position (cached tokens - 1)")
    ax.set_ylabel("latency of the forward pass (ms)")
    if log:
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(PLAIN)
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(which="both", alpha=0.3)
    return save_figure(fig, folder, "token_latency")


def run_figures(summary: dict, tokens: pd.DataFrame, folder: Path) -> list[Path]:
    """Figures of a single run folder: per-token latency and the time and energy split."""
    tokens = tokens.assign(model=summary["model"], ms=tokens["ms"].astype(float))
    title = f"{summary['model']} on {summary['hw']} ({summary['run_hash']})"
    out = token_latency_figure(tokens, folder, f"Per-token latency: {title}", log=False)
    fig, axes = plt.subplots(1, 2, figsize=FIGSIZE)
    for ax, (key, unit, scale) in zip(axes, (("breakdown_s", "ms", 1e3), ("energy_breakdown_j", "mJ", 1e3))):
        items = [(k, v * scale) for k, v in summary[key].items() if v > 0]
        ax.barh([k for k, _ in items], [v for _, v in items], color="0.6", edgecolor="black", hatch="//")
        ax.set_xlabel(f"{'time' if key == 'breakdown_s' else 'energy'} ({unit})")
    fig.suptitle(f"Breakdown: {title}")
    out += save_figure(fig, folder, "breakdown")
    return out
