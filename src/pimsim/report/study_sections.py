"""The report sections made from the sensitivity studies' tables: each study's section, the batch
study against the GPUs, channel scaling and the ASIC as a design."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pimsim.asic.area import asic_area_mm2, unit_counts
from pimsim.config.hw import HwConfig
from pimsim.report.scaling import channel_scaling_figure, scaling_table


def study_table(res: pd.DataFrame) -> list[str]:
    """ms/token per model (rows) and factor level (columns); factor columns precede ``workload``."""
    factors = list(res.columns[:list(res.columns).index("workload")])
    levels = res[factors].astype(str).agg(", ".join, axis=1)
    table = res.assign(level=levels).pivot(index="workload", columns="level", values="ms_per_token")
    order = list(dict.fromkeys(levels))
    head = "| model | " + " | ".join(f"{', '.join(factors)} = {v}" for v in order) + " |"
    out = ["ms/token:", "", head, "|---|" + "---:|" * len(order)]
    for model in dict.fromkeys(res["workload"]):
        out.append(f"| {model} | " + " | ".join(f"{table.loc[model, v]:.4f}" for v in order) + " |")
    return out


def study_workloads(res: pd.DataFrame) -> str:
    """Which models a study ran, and at how many tokens (from its table)."""
    tokens = sorted({(int(p), int(o)) for p, o in zip(res["prompt_tokens"], res["output_tokens"])})
    shown = ", ".join(f"{p} prompt + {o} generated" for p, o in tokens)
    return f"Models: {', '.join(dict.fromkeys(res['workload']))}; {shown} tokens each."


BATCH_STUDY = "batch"


def batch_section(out: Path, about: str) -> list[str]:
    """Batched decoding against the GPUs (pimsim.report.batch_study), its figure drawn here."""
    from pimsim.report.batch_study import batch_figure, batch_lines, batch_table

    folder = out / "studies" / BATCH_STUDY
    results = pd.read_csv(folder / "results.csv")
    batch_figure(batch_table(results), folder / "figures")
    return (["## Batched decoding: where PIM stops beating the GPU", "", about, ""]
            + batch_lines(results, f"studies/{BATCH_STUDY}/figures/speedup_vs_batch.png")
            + [f"Table: [studies/{BATCH_STUDY}/results.csv](studies/{BATCH_STUDY}/results.csv)", ""])


def read_study(out: Path, name: str) -> pd.DataFrame | None:
    path = out / "studies" / name / "results.csv"
    return pd.read_csv(path) if path.exists() else None


def channel_lines(out: Path) -> list[str]:
    """The channel scaling section (and its figure), from the channels study."""
    lines: list[str] = []
    chans = read_study(out, "channels")
    if chans is not None:
        figdir = out / "studies" / "channels" / "figures"
        figdir.mkdir(parents=True, exist_ok=True)
        tok = chans.iloc[0]
        channel_scaling_figure(chans, figdir, f"{tok['prompt_tokens']} prompt + {tok['output_tokens']} generated tokens")
        eff = scaling_table(chans)
        at8 = eff[eff["channels"] == 8]
        lines += ["## Channel scaling", "",
                  "Speedup against the ideal line, each model from the fewest channels that hold it. Efficiency at "
                  "8 channels (speedup / 8): " + ", ".join(f"{r['workload']} {r['efficiency']:.0%}"
                                                           for _, r in at8.iterrows()) + ". What keeps it under "
                  "linear: every channel receives the whole input vector (global-buffer writes do not shrink with "
                  "the channel count), and the ASIC's exposed time and the KV-cache writes stay per token.", "",
                  "![channel scaling](studies/channels/figures/channel_scaling.png)", ""]
    return lines


def sensitivity_lines(out: Path, studies: list[str], about: dict[str, str]) -> list[str]:
    """A section per study: its paragraph, the models it ran, its ms/token table and figures; the
    batch study last, beside the GPUs."""
    lines: list[str] = []
    tables = {name: pd.read_csv(out / "studies" / name / "results.csv") for name in studies if name != BATCH_STUDY}
    ran = {name: study_workloads(res) for name, res in tables.items()}
    same = len(set(ran.values())) == 1  # every study ran the same models: say it once
    if tables:
        lines += ["## Sensitivity studies", "", "Each study varies one design choice, each point a whole generation."
                  + (f" {next(iter(ran.values()))}" if same else ""), ""]
    for name, res in tables.items():
        lines += [f"### {name}", ""]
        if about.get(name):
            lines += [about[name], ""]
        lines += ([] if same else [ran[name], ""]) + study_table(res)
        lines += ["", f"Table: [studies/{name}/results.csv](studies/{name}/results.csv)", ""]
        for f in sorted((out / "studies" / name / "figures").glob("*-ms_per_token.png")):
            lines += [f"![{name}: {f.stem}](studies/{name}/figures/{f.name})", ""]

    if BATCH_STUDY in studies:
        lines += batch_section(out, about.get(BATCH_STUDY, ""))
    return lines


def asic_lines(hw: HwConfig | None, out: Path) -> list[str]:
    """The ASIC as a design: what a 10x slower clock costs each ASIC model (the asic_model study) and
    the size each implies (``hw``: the default config)."""
    lines = []
    study = read_study(out, "asic_model")
    if study is not None:
        t = study.pivot_table(index="workload", columns=["asic.model", "asic.vector_lanes", "asic.clock_mhz"],
                              values="ms_per_token")
        for model in sorted({m for m, _, _ in t.columns}):
            for lanes in sorted({n for m, n, _ in t.columns if m == model}):
                if (model, lanes, 100) in t.columns and (model, lanes, 1000) in t.columns:
                    ratio = t[(model, lanes, 100)] / t[(model, lanes, 1000)]
                    lines.append(f"- {model}, {lanes} lanes: 1 GHz -> 100 MHz costs "
                                 f"{ratio.min() - 1:.0%}-{ratio.max() - 1:.0%} of the latency")
        lines.append("")
        cols = list(t.columns)
        lines += ["ms/token by ASIC model, lanes and clock ([studies/asic_model/results.csv]"
                  "(studies/asic_model/results.csv)):", "",
                  "| model | " + " | ".join(f"{m} {lanes} lanes {clk:.0f} MHz" for m, lanes, clk in cols) + " |",
                  "|---|" + "---:|" * len(cols)]
        for model in dict.fromkeys(study["workload"]):
            lines.append(f"| {model} | " + " | ".join(f"{t.loc[model, c]:.4f}" for c in cols) + " |")
        lines.append("")
    if hw is not None and hw.asic is not None:
        simd = hw.asic.model_copy(update={"model": "simd"})
        lines += ["Implied ASIC size in 28 nm (arithmetic and SRAM only; `pimsim check` prints it for any config; "
                  "per-unit figures in src/pimsim/asic/area.py):", "",
                  "| design | lanes | adders | multipliers | comparators | arithmetic mm^2 | SRAM mm^2 | total mm^2 |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for cfg in (hw.asic, simd):
            a, (adds, muls, cmps) = asic_area_mm2(cfg), unit_counts(cfg)
            lines.append(f"| {cfg.model} | {cfg.vector_lanes} | {adds} | {muls} | {cmps} | {a['arithmetic']:.2f} | "
                         f"{a['SRAM']:.2f} | {a['total']:.2f} |")
        lines.append("")
    return lines
