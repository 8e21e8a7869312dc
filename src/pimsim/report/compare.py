"""A comparison folder: PIM runs of several models beside GPU/CPU baselines.

Files: compare.csv / compare.md (one row per model and baseline: model,
baseline, phase, pim_ms_per_token, baseline_ms_per_token, speedup,
pim_j_per_token, baseline_j_per_token, energy_efficiency, and the same for
the prompt passes; the baseline's per-op host overhead per token; the run's run_hash and hw_hash,
the overrides and the pimsim version), pim_runs.csv (per model: latency and energy per token,
split by category and by phase), tokens.csv (per model and forward pass),
config.json, and the figures. ``pimsim plot`` redraws the figures from these
tables alone.

The headline columns compare the generation passes (``phase`` "generate"):
decode latency is what LLM-Viewer and LLMCompass report, and each such pass
runs the LM head. A run without generation passes (fewer than 2 output
tokens) compares its prompt passes (``phase`` "prompt").
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from pimsim import __version__
from pimsim.report.figures import CATEGORIES, comparison_figures

COLUMNS = ["model", "baseline", "phase", "pim_ms_per_token", "baseline_ms_per_token", "speedup", "pim_j_per_token",
           "baseline_j_per_token", "energy_efficiency", "pim_prompt_ms_per_token", "baseline_prompt_ms_per_token",
           "prompt_speedup", "pim_prompt_j_per_token", "baseline_prompt_j_per_token", "prompt_energy_efficiency",
           "baseline_overhead_ms_per_token", "run_hash", "hw_hash", "overrides", "pimsim"]
SHOWN = COLUMNS[:9]  # compare.md: the headline


def headline_phase(pim: dict) -> str:
    """The phase the headline compares: generation passes when the run has any."""
    return "generate" if "generate" in pim["phases"] else "prompt"


def comparison_rows(pim: dict, baselines: dict[str, dict[str, object]]) -> list[dict]:
    """Rows for one model: ``pim`` is its run metrics, ``baselines`` name -> phase -> BaselineResult
    over that phase's passes."""
    rows = []
    head = headline_phase(pim)
    for name, by_phase in baselines.items():
        row = {"model": pim["model"], "baseline": name, "phase": head, "run_hash": pim["run_hash"],
               "hw_hash": pim["hw_hash"], "overrides": "; ".join(pim.get("overrides", [])), "pimsim": __version__}
        for phase, prefix in ((head, ""), ("prompt", "prompt_")):
            p, b = pim["phases"].get(phase), by_phase.get(phase)
            if p is None or b is None:
                continue
            row.update({f"pim_{prefix}ms_per_token": p["ms_per_token"], f"baseline_{prefix}ms_per_token": b.ms_per_token,
                        f"{prefix}speedup": b.ms_per_token / p["ms_per_token"],
                        f"pim_{prefix}j_per_token": p["j_per_token"], f"baseline_{prefix}j_per_token": b.j_per_token,
                        f"{prefix}energy_efficiency": b.j_per_token / p["j_per_token"]})
        b = by_phase.get(head)
        if b is not None and b.passes:  # per-op host overhead (analytic baselines), in the headline phase
            row["baseline_overhead_ms_per_token"] = b.breakdown.get("overhead", 0.0) * 1e3 / b.passes
        rows.append(row)
    return rows


def run_row(m: dict) -> dict:
    n = m["forward_passes"]
    row = {"model": m["model"], "run_hash": m["run_hash"], "ms_per_token": m["ms_per_token"], "j_per_token": m["j_per_token"],
           "row_hit_rate": m["row_hit_rate"], "mac_utilization": m["mac_utilization"], "vmm_share": m["vmm_share"]}
    for phase, p in m["phases"].items():
        row.update({f"{phase}_ms_per_token": p["ms_per_token"], f"{phase}_j_per_token": p["j_per_token"]})
    row.update({f"work_{k}_ms_per_token": v * 1e3 / n for k, v in m["work_s"].items()})
    row.update({f"{c}_ms_per_token": m["breakdown_s"][c] * 1e3 / n for c in CATEGORIES})
    row.update({f"energy_{k}_mj_per_token": v * 1e3 / n for k, v in m["energy_breakdown_j"].items()})
    t = m["traffic"]
    row.update({f"interface_{k}_bytes_per_token": v for k, v in t["interface_bytes_per_token"].items()})
    row.update({f"without_pim_{k}_bytes_per_token": v for k, v in t["without_pim_bytes_per_token"].items()})
    row["traffic_reduction"] = t["reduction"]
    return row


def markdown_table(table: pd.DataFrame) -> str:
    head = "| " + " | ".join(SHOWN) + " |\n|" + "---|" * len(SHOWN) + "\n"
    body = "".join("| " + " | ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in row) + " |\n"
                   for row in table[SHOWN].itertuples(index=False))
    return head + body


def write_comparison(folder: Path, rows: list[dict], runs: list[dict], tokens: list[dict], config: dict,
                     title: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    table, run_table, token_table = pd.DataFrame(rows, columns=COLUMNS), pd.DataFrame(runs), pd.DataFrame(tokens)
    files = {"compare.csv": table.to_csv(index=False, float_format="%.9g"),
             "compare.md": f"# {title}\n\n" + markdown_table(table),
             "pim_runs.csv": run_table.to_csv(index=False, float_format="%.9g"),
             "tokens.csv": token_table.to_csv(index=False, float_format="%.9g"),
             "config.json": json.dumps({**config, "title": title}, indent=2, sort_keys=True) + "\n"}
    for name, text in files.items():
        tmp = folder / f".{name}.tmp"
        tmp.write_text(text)
        tmp.replace(folder / name)
    return comparison_figures(table, run_table, token_table, folder, title, token_note(config))


def token_note(config: dict) -> str:
    """The token counts a comparison ran, for its figures."""
    return f"{config.get('prompt_tokens', '?')} prompt + {config.get('output_tokens', '?')} generated tokens"


def redraw(folder: Path) -> list[Path]:
    """The figures of a comparison folder, from its saved tables."""
    config = json.loads((folder / "config.json").read_text())
    return comparison_figures(pd.read_csv(folder / "compare.csv"), pd.read_csv(folder / "pim_runs.csv"),
                              pd.read_csv(folder / "tokens.csv"), folder, config.get("title", folder.name),
                              token_note(config))
