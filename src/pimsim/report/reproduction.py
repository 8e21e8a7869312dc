"""The PIM-GPT reproduction report: reports/pimgpt/README.md, composed from saved tables only."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pimsim.config.hw import HwConfig
from pimsim.report import statements as st
from pimsim.report.study_sections import asic_lines, channel_lines, read_study, sensitivity_lines

BASELINES = {"t4": "T4", "xeon-gold-6154": "Xeon Gold 6154"}
H200_BASELINES = {  # one GPU three ways: the question is how much of a baseline is the stack around it
    "h200": "datasheet analytic (14 us x 20/15 kernels)",
    "h200-calibrated": "analytic, host cost calibrated (13.1 us x 39/15 ops)",
    "h200-torch-bf16": "measured: Hugging Face eager, BF16",
    "h200-static-graphs": "measured: CUDA graphs, BF16",
}

ASSUMPTIONS = [
    "Baselines are analytic (datasheet bandwidth and peak, achieved-fraction assumptions, 14 us per GPU kernel and "
    "20 us per CPU op for eager PyTorch at batch 1, TDP as active power; hwconfigs/baselines/). The paper measured "
    "its T4 and Xeon; a baseline slower than datasheet + overhead predicts raises every speedup here "
    "proportionally. Measured CSVs can replace them (backend: measured).",
    "Token counts: {prompt} prompt and {output} generated tokens per model (the paper does not give its own).",
    "PIM parameters the paper does not give are assumptions in hwconfigs/pimgpt.yaml: the ASIC as pipelined "
    "function units of 128 BF16 lanes (sized to the 8-channel interface's 128 elements per ns) streaming the GEMV "
    "results, 16 accumulators per bank, an 8-cycle MAC pipeline, Taylor/Newton orders; AiM timings from the open "
    "AiM simulator's calibration (nRCDMAC 56 cycles).",
    "Register path: the device side of GDDR6-AiM (a 32-cycle mode switch between register and array commands, "
    "register latencies of 0-1 cycles), driven by an ASIC that neither waits on result reads nor leaves rows open "
    "(docs/references.md, \"Register path\"); the register_path study shows what this choice changes.",
    "Energy: a GDDR6-AiM table derived from CENT's power model (src/pimsim/config/presets/energy/pimgpt.yaml), "
    "background power included; baselines at TDP while busy.",
    "Mapping: our PIM-GPT-style layout (rows round-robin over 128 banks, chunks matched to the 2 KB global "
    "buffer, packing to the fewest row bursts, K row-major and V transposed); refresh is modelled.",
    "GPT-3 XL uses 16 heads of 128 (the published 24 x 128 does not equal d_model 2048).",
]


GITIGNORE = """# Committed: this README, the comparison tables and PNG figures, each study's results.csv and PNGs.
# Regenerated but not kept: per-point caches, failure records, SVG twins of the PNGs.
studies/*/points/
studies/*/failed/
*.svg
"""


def statement_rows(out: Path, cmp: pd.DataFrame, runs: pd.DataFrame) -> list[st.Statement]:
    """Every paper statement we can check from the saved tables (a study not run is left out)."""
    rows = []
    for (metric, base), paper in st.PAPER_RANGES.items():
        sub = cmp[cmp["baseline"] == base]
        if len(sub):
            what = "speedup" if metric == "speedup" else "energy efficiency"
            rows.append(st.range_statement(f"{what} over the {BASELINES.get(base, base)}", sub[metric], paper))
    xl = runs[runs["model"] == "gpt3-xl"]
    if len(xl):
        r = xl.iloc[0]
        total = sum(r[f"work_{k}_ms_per_token"] for k in ("vmm", "asic", "kv_write", "embedding"))
        rows.append(st.vmm_share_statement(r["vmm_share"], r["work_asic_ms_per_token"] / total,
                                           r["work_kv_write_ms_per_token"] / total))
    rows.append(st.row_hit_statement(dict(zip(runs["model"], runs["row_hit_rate"]))))
    rows.append(st.traffic_statement(dict(zip(runs["model"], runs["traffic_reduction"]))))
    clock = read_study(out, "asic_clock")
    if clock is not None:
        t = clock.pivot_table(index="workload", columns="asic.clock_mhz", values="ms_per_token")
        rows.append(st.asic_clock_statement((t[100] / t[1000]).to_dict()))
    chans = read_study(out, "channels")
    if chans is not None:
        t = chans[chans["workload"] == "gpt3-small"].set_index("dram.channels")["ms_per_token"]
        if 1 in t and 8 in t:
            rows.append(st.channel_statement(t[1] / t[8]))
    return rows


def gap_lines(cmp: pd.DataFrame) -> list[str]:
    """Per model and baseline: where the speedup stands against the paper's range, and by how much
    either side would have to move to reach the range's low end (the same factor on either side:
    PIM that much faster, or the baseline that much slower), and what that asks of the baseline's
    per-op overhead if all the change came from it."""
    out = ["| model | over | PIM ms/token | baseline ms/token | per-op overhead share | speedup | paper | "
           "factor to the paper's low end | per-op overhead that would give it |",
           "|---|---|---:|---:|---:|---:|---|---:|---:|"]
    for _, r in cmp.iterrows():
        paper = st.PAPER_RANGES.get(("speedup", r["baseline"]))
        if paper is None:
            continue
        need = paper[0] / r["speedup"]
        overhead = r.get("baseline_overhead_ms_per_token", 0.0) or 0.0
        rest = r["baseline_ms_per_token"] - overhead
        if need <= 1:
            factor = overhead_x = "inside"
        else:
            factor = f"{need:.2f}x"
            overhead_x = f"{(paper[0] * r['pim_ms_per_token'] - rest) / overhead:.1f}x today's" if overhead else "-"
        out.append(f"| {r['model']} | {BASELINES.get(r['baseline'], r['baseline'])} | {r['pim_ms_per_token']:.4f} | "
                   f"{r['baseline_ms_per_token']:.3f} | {overhead / r['baseline_ms_per_token']:.0%} | "
                   f"{r['speedup']:.0f}x | {paper[0]}-{paper[1]}x | {factor} | {overhead_x} |")
    return out


def why_lines(statements: list[st.Statement], runs: pd.DataFrame) -> list[str]:
    """A bullet per kind of statement, saying what the verdict rests on (numbers from the tables)."""
    by = {s.topic: s for s in statements}
    out = []
    vmm = next((s for s in statements if s.topic.startswith("GPT3-XL")), None)
    if vmm is not None:
        out.append(f"- **Non-VMM share ({vmm.verdict}).** The ASIC's own work (LayerNorm, softmax, GELU, bias and "
                   "residual adds, partial sums) hides behind the in-bank VMM: its first passes stream on the GEMV "
                   "results as they are read out, and LayerNorm's and softmax's closing pass feeds the next "
                   "global-buffer write as it is produced. Most of what remains is the KV-cache writes: V is "
                   "stored transposed (a DRAM row per feature, tokens along it), so each new token costs an "
                   "all-bank row cycle per 16 features in each channel (activate, a write to each bank, write "
                   "recovery, precharge: nRCDWR + 15 nCCDS + nCWL + burst + nWR + nRP = 131 DRAM cycles), 16 row "
                   "cycles per layer on GPT3-XL. Several features per row (shorter token segments) or a few "
                   "tokens' V buffered in the ASIC would cut this; neither is PIM-GPT's published layout.")
    if any(s.topic.startswith("speedup") and s.verdict != st.HOLDS for s in statements):
        out.append("- **Speedups.** The gap sits on the baseline side (next section): our PIM latency has no free "
                   "parameter the paper pins down (every DRAM and register-path timing is the AiM simulator's, "
                   "matched to the cycle in reports/aim-validation.md), while the analytic baselines' per-op "
                   "overhead is an assumption that dominates them at batch 1.")
    xeon = by.get("energy efficiency over the Xeon Gold 6154")
    if xeon is not None and xeon.verdict != st.HOLDS:
        out.append(f"- **Energy efficiency over the Xeon ({xeon.ours} against {xeon.paper})** while the speedup "
                   "falls short: the paper's two ratios imply a CPU drawing tens of watts; ours counts the "
                   "Xeon's TDP while busy (docs/references.md, \"Baseline hardware\").")
    traffic = next((s for s in statements if s.topic.startswith("off-chip")), None)
    if traffic is not None:
        causes = [c for c in runs.columns if c.startswith("interface_") and c.endswith("_bytes_per_token")]
        share = runs["interface_input_vectors_bytes_per_token"] / runs[causes].sum(axis=1)
        out.append(f"- **Traffic cut ({traffic.verdict}).** The input vectors, written into every channel's global "
                   f"buffer once per packed row, are {share.min():.0%}-{share.max():.0%} of the interface bytes; "
                   "the smaller models pack fewer rows per input vector, so their cut is smallest.")
    clock = next((s for s in statements if s.topic.startswith("ASIC")), None)
    if clock is not None:
        out.append(f"- **ASIC clock ({clock.verdict}).** At 100 MHz the streaming units take results at a tenth "
                   "of the rate the interface delivers them, so each GEMV's read-out tail and the LayerNorm and "
                   "softmax passes grow tenfold; they are a small part of a token, the VMM is untouched.")
    return out


VARIANTS = {  # the paper's baselines three ways, and this machine measured
    "t4": ("T4", "datasheet, 20/15 kernels x 14 us (assumed)"),
    "t4-calibrated": ("T4", "datasheet, 39/15 profiled ops x 13.1 us (H200 host, measured)"),
    "xeon-gold-6154": ("Xeon Gold 6154", "datasheet, 20/15 ops x 20 us (assumed)"),
    "xeon-gold-6154-calibrated": ("Xeon Gold 6154", "datasheet, 39/15 profiled ops x 4.96 us (measured)"),
    "host-torch": ("this machine", "measured: Hugging Face eager, FP32, 2 threads"),
}
PAPER_DEVICE = {"T4": "t4", "Xeon Gold 6154": "xeon-gold-6154"}


def variant_lines(out: Path) -> list[str]:
    """Each paper baseline modelled with assumed and with measured host costs, and this machine
    measured: which of them the paper's ranges are consistent with."""
    path = out / "compare-calibrated" / "compare.csv"
    if not path.exists():
        return []
    cmp = pd.read_csv(path)
    lines = ["## Which baseline the paper's ranges fit", "",
             "The paper's T4 and Xeon as datasheet rooflines with the host cost assumed, the same with the "
             "host cost and op counts measured on the standard stack ([reports/baselines]"
             "(../baselines/README.md)), and this machine measured on that stack "
             "([compare-calibrated/compare.csv](compare-calibrated/compare.csv)):", "",
             "| baseline | device | host cost | speedup (ours) | paper | verdict |", "|---|---|---|---|---|---|"]
    fits: list[str] = []
    for name, (device, how) in VARIANTS.items():
        sub = cmp[cmp["baseline"] == name]
        if not len(sub):
            continue
        paper = st.PAPER_RANGES.get(("speedup", PAPER_DEVICE.get(device, "")))
        if paper is None:
            lines.append(f"| {name} | {device} | {how} | {sub['speedup'].min():.0f}-{sub['speedup'].max():.0f}x | - | - |")
            continue
        s = st.range_statement(name, sub["speedup"], paper)
        if s.verdict != st.NO:
            fits.append(name)
        lines.append(f"| {name} | {device} | {how} | {s.ours} | {s.paper} | {s.verdict} |")
    lines += ["", "Consistent with the paper's range (ours inside or overlapping it): "
              + (", ".join(fits) if fits else "none") + ". Where ours falls short of the paper's range, the paper's "
              "measured baseline ran slower than its datasheet with a measured per-op host cost predicts.", ""]
    return lines


def h200_lines(out: Path) -> list[str]:
    """PIM against one GPU modelled and measured (reports/baselines): how much the stack decides."""
    path = out / "compare-h200" / "compare.csv"
    if not path.exists():
        return []
    cmp = pd.read_csv(path)
    names = [b for b in H200_BASELINES if b in set(cmp["baseline"])]
    lines = ["## Against a measured GPU", "",
             "The T4 and Xeon of the paper could not be measured here; an NVIDIA H200 was "
             "([reports/baselines/README.md](../baselines/README.md)). Generation-pass ms/token of each H200 "
             "baseline, and PIM-GPT's speedup over it ([compare-h200/compare.csv](compare-h200/compare.csv)):", "",
             "| model | PIM ms/token | " + " | ".join(f"{b}: {H200_BASELINES[b]}" for b in names) + " |",
             "|---|---:|" + "---:|" * len(names)]
    for model in dict.fromkeys(cmp["model"]):
        sub = cmp[cmp["model"] == model].set_index("baseline")
        cells = [f"{sub.loc[b, 'baseline_ms_per_token']:.2f} ({sub.loc[b, 'speedup']:.0f}x)" for b in names]
        lines.append(f"| {model} | {sub['pim_ms_per_token'].iloc[0]:.4f} | " + " | ".join(cells) + " |")
    eager, graphs = cmp[cmp["baseline"] == "h200-torch-bf16"], cmp[cmp["baseline"] == "h200-static-graphs"]
    if len(eager) and len(graphs):
        lines += ["", f"The same GPU gives PIM-GPT {eager['speedup'].min():.0f}-{eager['speedup'].max():.0f}x under "
                  f"the eager framework stack and {graphs['speedup'].min():.1f}-{graphs['speedup'].max():.1f}x "
                  "when the arithmetic is replayed as CUDA graphs: at batch 1 the host's per-op cost, not the "
                  "GPU's bandwidth, sets most of a GPU baseline; the paper's baselines were measured, their "
                  "framework included.", ""]
    return lines


def write_report(out: Path, command: str, prompt: int, output: int, studies: list[str],
                 about: dict[str, str] | None = None, hw: HwConfig | None = None) -> Path:
    """``about``: a paragraph per study (its sweep file's leading comment); ``hw``: the default config
    (for the ASIC's size)."""
    about = about or {}
    cmp = pd.read_csv(out / "compare" / "compare.csv")
    runs = pd.read_csv(out / "compare" / "pim_runs.csv")
    phase = cmp["phase"].iloc[0] if len(cmp) else "generate"
    lines = ["# PIM-GPT reproduction", "",
             "Regenerate everything in this folder (tables, figures, this file) with:", "",
             f"    {command}", "",
             f"{prompt} prompt and {output} generated tokens per model; speedups and energy ratios compare the "
             f"{phase} passes (decode: each runs the LM head), the prompt passes are in "
             "[compare/compare.csv](compare/compare.csv).", "",
             "## The paper's statements, ours beside them", "",
             "The paper (Wu, Wang, Lu 2024; abstract and summaries of its body, docs/references.md) states these "
             "about its own system. \"holds\": ours meets the statement (within the threshold where the paper "
             "says \"about\" or \"near-linear\"); \"partly\": our range overlaps the paper's, or only part of "
             "the claim is met.", ""]
    statements = statement_rows(out, cmp, runs)
    lines += st.markdown(statements)
    lines += ["", "What stands behind each verdict:", ""] + why_lines(statements, runs) + [""]
    lines += ["## The speedup gap, located", "",
              "Per model, the generation-pass latency on each side, the share of the baseline that is per-op host "
              "overhead (kernel launches, framework dispatch: the analytic baselines' assumption), and how far "
              "each side would have to move for the speedup to reach the low end of the paper's range. The "
              "PIM side cannot move that far within its published hardware (the VMM runs at the banks' MAC rate "
              "already; what remains is DRAM timing); the baselines can, through the overhead that dominates "
              "them at batch 1 on small models.", ""]
    lines += gap_lines(cmp)
    lines += ["", "![speedup](compare/speedup.png)", "", "![energy efficiency](compare/energy_efficiency.png)", ""]
    lines += h200_lines(out)
    lines += variant_lines(out)
    lines += ["## The ASIC as a design", "",
              "The default ASIC (`asic.model: pipelined`, src/pimsim/asic/pipelined.py) gives each op a pipelined "
              "datapath that takes 128 BF16 elements a cycle (the rate the 8 channels' interface delivers "
              "results at 1 GHz) and streams its first pass on the results as they arrive; `asic.model: simd` is "
              "a generic vector unit doing one BF16 operation per lane per cycle, every Taylor, Newton and "
              "reduction step a pass of its own. The difference is the result below: the SIMD unit leaves the "
              "ASIC's work exposed to a slower clock, the pipelined design hides it (ratios below); its "
              "datapaths cost a few mm^2 in 28 nm (table after), compact beside a DRAM die.", ""]
    lines += asic_lines(hw, out)
    lines += channel_lines(out)
    lines += ["## Per model", "",
              "| model | PIM ms/token (generate) | (prompt) | T4 ms/token | speedup | Xeon ms/token | speedup | "
              "energy eff. T4 | energy eff. Xeon | VMM share | row-hit rate | MAC utilization | traffic cut |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for _, r in runs.iterrows():
        t4 = cmp[(cmp["model"] == r["model"]) & (cmp["baseline"] == "t4")]
        xe = cmp[(cmp["model"] == r["model"]) & (cmp["baseline"] == "xeon-gold-6154")]
        if len(t4) and len(xe):
            t4, xe = t4.iloc[0], xe.iloc[0]
            lines.append(f"| {r['model']} | {t4['pim_ms_per_token']:.4f} | {r.get('prompt_ms_per_token', float('nan')):.4f} | "
                         f"{t4['baseline_ms_per_token']:.2f} | {t4['speedup']:.0f}x | {xe['baseline_ms_per_token']:.2f} | "
                         f"{xe['speedup']:.0f}x | {t4['energy_efficiency']:.0f}x | {xe['energy_efficiency']:.0f}x | "
                         f"{r['vmm_share']:.2%} | {r['row_hit_rate']:.4f} | {r['mac_utilization']:.3f} | "
                         f"{r['traffic_reduction']:.0f}x |")
    lines += ["", "## Where the time and energy go", "", "![latency breakdown](compare/latency_breakdown.png)", "",
              "![energy breakdown](compare/energy_breakdown.png)", "",
              "![per-token latency](compare/token_latency.png)", ""]
    lines += sensitivity_lines(out, studies, about)
    lines += ["## Assumptions that drive the differences", ""]
    lines += [f"- {a.format(prompt=prompt, output=output)}" for a in ASSUMPTIONS]
    lines.append("")
    (out / ".gitignore").write_text(GITIGNORE)
    path = out / "README.md"
    path.write_text("\n".join(lines))
    return path
