"""Where PIM stops beating the GPU: the batch study's table, crossovers and figure.

The study (``hwconfigs/sweeps/batch.yaml``) simulates each model on PIM at batch 1..64. Here
each of its points is estimated on the analytic GPU baselines with the very same workload (the
same ops at the same batch: weights read once per step, vectors, KV caches and flops B times).
Speedup = baseline ms per step / PIM ms per step (a step gives every sequence one token, so it is
also the ratio of tokens/s); energy ratio = baseline J per token / PIM J per token. The
crossover of a (model, GPU) pair is the smallest batch at which the speedup falls below 1.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pimsim.baselines.registry import baseline_estimate
from pimsim.config.workload import resolve_workload

BATCH = "generation.batch"
GPUS = ("t4", "a100", "h100")


def _workload(row: pd.Series):
    w = resolve_workload(row["workload"], int(row["prompt_tokens"]), int(row["output_tokens"]))
    gen = {k.split(".", 1)[1]: row[k] for k in row.index if k.startswith("generation.")}
    gen = {k: int(v) if k == "batch" else v for k, v in gen.items()}
    return w.model_copy(update={"generation": w.generation.model_copy(update=gen)})


def batch_table(results: pd.DataFrame, gpus=GPUS) -> pd.DataFrame:
    """One row per (model, batch, GPU): PIM and GPU ms per step, tokens/s, J per token, ratios."""
    rows = []
    for _, r in results.iterrows():
        workload = _workload(r)
        for gpu in gpus:
            base = baseline_estimate(gpu, workload)
            rows.append({
                "model": r["workload"], "batch": int(r[BATCH]), "gpu": gpu,
                "pim_ms_per_step": r["ms_per_token"], "gpu_ms_per_step": base.ms_per_token,
                "pim_tokens_per_s": r["tokens_per_s"], "gpu_tokens_per_s": base.batch * 1e3 / base.ms_per_token,
                "pim_j_per_token": r["j_per_token"], "gpu_j_per_token": base.j_per_token,
                "speedup": base.ms_per_token / r["ms_per_token"],
                "energy_ratio": base.j_per_token / r["j_per_token"],
            })
    return pd.DataFrame(rows)


def crossovers(table: pd.DataFrame) -> dict[tuple[str, str], int | None]:
    """(model, gpu) -> the smallest batch at which PIM is slower (None: faster at every batch run)."""
    out = {}
    for (model, gpu), sub in table.groupby(["model", "gpu"], sort=False):
        slower = sub[sub["speedup"] < 1].sort_values("batch")
        out[(model, gpu)] = int(slower["batch"].iloc[0]) if len(slower) else None
    return out


def batch_figure(table: pd.DataFrame, folder: Path) -> list[Path]:
    """Speedup over each GPU against batch, one panel per model, the crossovers marked."""
    from pimsim.report.figures import FIGSIZE, GREYS, MARKERS, PLAIN, log_ticks, plt, save_figure

    models = list(dict.fromkeys(table["model"]))
    fig, axes = plt.subplots(1, len(models), figsize=(FIGSIZE[0] * 1.3, FIGSIZE[1]), sharey=True, squeeze=False)
    cross = crossovers(table)
    for ax, model in zip(axes[0], models):
        sub = table[table["model"] == model]
        for j, gpu in enumerate(dict.fromkeys(sub["gpu"])):
            line = sub[sub["gpu"] == gpu].sort_values("batch")
            ax.plot(line["batch"], line["speedup"], marker=MARKERS[j], color=GREYS[j], label=gpu)
            at = cross[(model, gpu)]
            if at is not None:
                ax.axvline(at, color=GREYS[j], linestyle=":", linewidth=1)
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.set_xscale("log", base=2)
        ax.xaxis.set_major_formatter(PLAIN)
        ax.set_yscale("log")
        log_ticks(ax.yaxis)
        ax.set_xlabel("batch (sequences)")
        ax.set_title(model)
    axes[0][0].set_ylabel("PIM speedup per step (>1: PIM faster)")
    axes[0][0].legend(title="GPU (analytic)")
    folder.mkdir(parents=True, exist_ok=True)
    return save_figure(fig, folder, "speedup_vs_batch")


def batch_lines(results: pd.DataFrame, link: str) -> list[str]:
    """The report's section body: what was run, the crossovers, the table."""
    table = batch_table(results)
    cross = crossovers(table)
    lines = []
    for model in dict.fromkeys(table["model"]):
        said = []
        for gpu in GPUS:
            at = cross.get((model, gpu))
            largest = int(table[(table["model"] == model)]["batch"].max())
            said.append(f"{gpu}: PIM slower from batch {at}" if at else f"{gpu}: PIM faster up to batch {largest}")
        lines.append(f"- {model}: " + "; ".join(said))
    lines += ["", "| model | batch | PIM ms/step | " + " | ".join(f"{g} speedup" for g in GPUS)
              + " | PIM tokens/s | PIM mJ/token |", "|---|---:|---:|" + "---:|" * len(GPUS) + "---:|---:|"]
    for (model, batch), sub in table.groupby(["model", "batch"], sort=False):
        by = sub.set_index("gpu")
        first = sub.iloc[0]
        lines.append(f"| {model} | {batch} | {first['pim_ms_per_step']:.3f} | "
                     + " | ".join(f"{by.loc[g, 'speedup']:.2f}" for g in GPUS)
                     + f" | {first['pim_tokens_per_s']:.0f} | {first['pim_j_per_token'] * 1e3:.3f} |")
    return lines + ["", f"![speedup against batch]({link})", ""]
