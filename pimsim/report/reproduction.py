"""The PIM-GPT reproduction report: reports/pimgpt/README.md, composed from saved tables only."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

# Wu, Wang, Lu, npj Unconventional Computing 1, 4 (2024), abstract (v2 figures; v1 printed other CPU/GPU ranges)
PAPER = {"t4": {"speedup": (41, 137), "energy_efficiency": (123, 383)},
         "xeon-gold-6154": {"speedup": (631, 1074), "energy_efficiency": (320, 602)}}

# second-hand summary of the paper body (docs/references.md, "PIM-GPT")
PAPER_TRAFFIC_REDUCTION = (110, 259)

ASSUMPTIONS = [
    "Baselines are analytic (datasheet bandwidth and peak, achieved-fraction assumptions, 14 us per GPU kernel and "
    "20 us per CPU op for eager PyTorch at batch 1, TDP as active power; hwconfigs/baselines/). The paper measured "
    "its T4 and Xeon; a baseline slower than datasheet + overhead predicts raises every speedup here "
    "proportionally. Measured CSVs can replace them (backend: measured).",
    "Token counts: {prompt} prompt and {output} generated tokens per model (the paper does not give its own).",
    "PIM parameters the paper does not give are assumptions in hwconfigs/pimgpt.yaml: 32 ASIC vector lanes, "
    "16 accumulators per bank, an 8-cycle MAC pipeline, Taylor/Newton orders; AiM timings from the open AiM "
    "simulator's calibration (nRCDMAC 56 cycles).",
    "Register path: the device side of GDDR6-AiM (a 32-cycle mode switch between register and array commands, "
    "register latencies of 0-1 cycles), driven by an ASIC that neither waits on result reads nor leaves rows open "
    "(docs/references.md, \"Register path\"); the register_path study shows what this choice changes.",
    "Energy: a GDDR6-AiM table derived from CENT's power model (pimsim/config/presets/energy/pimgpt.yaml), "
    "background power included; baselines at TDP while busy.",
    "Mapping: our PIM-GPT-style layout (rows round-robin over 128 banks, chunks matched to the 2 KB global "
    "buffer, packing to the fewest row bursts, K row-major and V transposed); refresh is modelled.",
    "GPT-3 XL uses 16 heads of 128 (the published 24 x 128 does not equal d_model 2048).",
]


def _range(values) -> str:
    return f"{min(values):.0f}-{max(values):.0f}x"


GITIGNORE = """# Committed: this README, the comparison tables and PNG figures, each study's results.csv and PNGs.
# Regenerated but not kept: per-point caches, failure records, SVG twins of the PNGs.
studies/*/points/
studies/*/failed/
*.svg
"""


def _study_table(res: pd.DataFrame) -> list[str]:
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


def write_report(out: Path, command: str, prompt: int, output: int, studies: list[str],
                 about: dict[str, str] | None = None) -> Path:
    """``about``: a paragraph per study (its sweep file's leading comment)."""
    about = about or {}
    cmp = pd.read_csv(out / "compare" / "compare.csv")
    runs = pd.read_csv(out / "compare" / "pim_runs.csv")
    lines = ["# PIM-GPT reproduction", "",
             "Regenerate everything in this folder (tables, figures, this file) with:", "",
             f"    {command}", "",
             "## Headline: ours beside the paper's", "",
             "| over | speedup (ours) | speedup (paper) | energy efficiency (ours) | energy efficiency (paper) |",
             "|---|---|---|---|---|"]
    for base, paper in PAPER.items():
        sub = cmp[cmp["baseline"] == base]
        if len(sub):
            lines.append(f"| {base} | {_range(sub['speedup'])} | {paper['speedup'][0]}-{paper['speedup'][1]}x | "
                         f"{_range(sub['energy_efficiency'])} | {paper['energy_efficiency'][0]}-"
                         f"{paper['energy_efficiency'][1]}x |")
    lo, hi = PAPER_TRAFFIC_REDUCTION
    lines += ["", f"Off-chip data traffic against a GDDR6 system without PIM (bytes over the ASIC-PIM interface "
              f"vs. weights, KV cache and embedding rows moved to a processor): ours "
              f"{_range(runs['traffic_reduction'])} less, paper {lo}-{hi}x less."]
    lines += ["", "![speedup](compare/speedup.png)", "", "![energy efficiency](compare/energy_efficiency.png)", "",
              "## Per model", "",
              "| model | PIM ms/token | T4 ms/token | speedup | Xeon ms/token | speedup | energy eff. T4 | "
              "energy eff. Xeon | row-hit rate | MAC utilization | traffic cut |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for _, r in runs.iterrows():
        t4 = cmp[(cmp["model"] == r["model"]) & (cmp["baseline"] == "t4")]
        xe = cmp[(cmp["model"] == r["model"]) & (cmp["baseline"] == "xeon-gold-6154")]
        if len(t4) and len(xe):
            t4, xe = t4.iloc[0], xe.iloc[0]
            lines.append(f"| {r['model']} | {r['ms_per_token']:.4f} | {t4['baseline_ms_per_token']:.2f} | "
                         f"{t4['speedup']:.0f}x | {xe['baseline_ms_per_token']:.2f} | {xe['speedup']:.0f}x | "
                         f"{t4['energy_efficiency']:.0f}x | {xe['energy_efficiency']:.0f}x | "
                         f"{r['row_hit_rate']:.4f} | {r['mac_utilization']:.3f} | {r['traffic_reduction']:.0f}x |")
    lines += ["", "## Where the time and energy go", "", "![latency breakdown](compare/latency_breakdown.png)", "",
              "![energy breakdown](compare/energy_breakdown.png)", "",
              "![per-token latency](compare/token_latency.png)", "", "## Sensitivity studies", ""]
    for name in studies:
        lines += [f"### {name}", ""]
        if about.get(name):
            lines += [about[name], ""]
        lines += _study_table(pd.read_csv(out / "studies" / name / "results.csv"))
        lines += ["", f"Table: [studies/{name}/results.csv](studies/{name}/results.csv)", ""]
        for f in sorted((out / "studies" / name / "figures").glob("*-ms_per_token.png")):
            lines += [f"![{name}: {f.stem}](studies/{name}/figures/{f.name})", ""]

    lines += ["## Assumptions that drive the differences", ""]
    lines += [f"- {a.format(prompt=prompt, output=output)}" for a in ASSUMPTIONS]
    lines.append("")
    (out / ".gitignore").write_text(GITIGNORE)
    path = out / "README.md"
    path.write_text("\n".join(lines))
    return path
