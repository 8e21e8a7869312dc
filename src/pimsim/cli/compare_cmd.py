"""``pimsim compare``: PIM runs of several models beside GPU and CPU baselines, with figures."""

from __future__ import annotations

from pimsim.cli import COMMANDS

import json
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pimsim import __version__
from pimsim.api.comparisons import comparison_tables
from pimsim.api.runs import DEFAULT_HW, load_hw
from pimsim.config.workload import resolve_workload, workload_names
from pimsim.errors import PimsimError
from pimsim.report.compare import write_comparison
from pimsim.report.paths import check_folder

PAPER_MODELS = ["gpt2-small", "gpt2-medium", "gpt2-large", "gpt2-xl", "gpt3-small", "gpt3-medium", "gpt3-large",
                "gpt3-xl"]


def register(sub) -> None:
    p = sub.add_parser("compare", help=COMMANDS["compare"][1])
    p.add_argument("--hw", default=str(DEFAULT_HW), help="hardware config YAML (default: hwconfigs/pimgpt.yaml)")
    p.add_argument("--models", default="all",
                   help="all (the 8 GPT models), or a comma list of shipped names or workload YAMLs (default: all)")
    p.add_argument("--baselines", default="t4,xeon-gold-6154",
                   help="comma list of hwconfigs/baselines names or measured:FILE.csv (default: t4,xeon-gold-6154)")
    p.add_argument("--prompt-tokens", type=int, help="prompt tokens per model (default: each workload's own, 64)")
    p.add_argument("--output-tokens", type=int, help="generated tokens per model (default: each workload's own, 64)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="override a hardware config field (repeatable), e.g. asic.clock_mhz=100")
    p.add_argument("--out", help="comparison folder (default: reports/runs/compare-<hw>-<hw_hash>)")
    p.add_argument("--no-cache", action="store_true",
                   help="simulate every model even when the result cache holds it (default: use the cache)")
    p.add_argument("--json", action="store_true", help="print the table as a list of objects")
    p.set_defaults(func=run)


def _models(text: str) -> list[str]:
    if text == "all":
        return PAPER_MODELS
    names = [m.strip() for m in text.split(",") if m.strip()]
    if not names:
        raise PimsimError("expected 'all' or a comma list of models", where="--models")
    known = workload_names()
    for n in names:
        if n not in known and not Path(n).exists():
            resolve_workload(n)  # raises the one-line error listing the known names
    return names


def run_comparison(hw, models: list[str], baselines: list[str], prompt_tokens, output_tokens,
                   out: str | None, announce: bool = False, also: dict[str, list[str]] | None = None,
                   cache: bool = True) -> tuple[list[dict], Path, str]:
    """Simulate every model on PIM (or take it from the result cache) and estimate it on every
    baseline; write the comparison folder. ``also``: more folders (path -> baselines) from the same
    simulations, each a comparison of its own."""
    groups = {out: baselines, **(also or {})}
    every = list(dict.fromkeys(b for group in groups.values() for b in group))
    if not all(groups.values()):
        raise PimsimError("expected a comma list of baselines", where="--baselines")
    workloads = [resolve_workload(m, prompt_tokens, output_tokens) for m in models]
    done: list[str] = []

    def say(result) -> None:  # plain lines on stderr: readable in a log as on a terminal
        done.append(result.workload.name)
        if announce:
            how = "from the result cache" if result.cached else f"simulated in {result.wall_s:.1f} s"
            print(f"[{len(done)}/{len(models)}] {result.workload.name}: {how}", file=sys.stderr, flush=True)

    try:
        rows, runs, tokens = comparison_tables(hw, workloads, every, announce=say, cache=cache)
    except KeyboardInterrupt:
        raise KeyboardInterrupt(f"{len(done)} of {len(models)} models finished and kept in the result cache; "
                                f"the same command resumes from there") from None
    title = f"{hw.name} (hw_hash {hw.hw_hash})"
    first = None
    for folder_name, group in groups.items():
        config = {"hw_hash": hw.hw_hash, "pimsim": __version__, "hw": hw.resolved(), "overrides": list(hw.overrides),
                  "models": models, "baselines": group, "prompt_tokens": prompt_tokens,
                  "output_tokens": output_tokens, "run_hashes": {r["model"]: r["run_hash"] for r in runs}}
        folder = Path(folder_name) if folder_name else Path("reports/runs") / f"compare-{hw.name}-{hw.hw_hash}"
        mine = [r for r in rows if r["baseline"] in group]
        write_comparison(folder, mine, runs, tokens, config, title)
        first = first or (mine, folder, title)
    return first


def run(args) -> int:
    hw = load_hw(args.hw, sets=args.sets)
    if args.out:
        check_folder(args.out, "--out")
    t0 = time.perf_counter()
    baselines = [b.strip() for b in args.baselines.split(",") if b.strip()]
    rows, folder, title = run_comparison(hw, _models(args.models), baselines, args.prompt_tokens,
                                         args.output_tokens, args.out,
                                         announce=not args.json, cache=not args.no_cache)
    if args.json:
        print(json.dumps(rows, sort_keys=True))
        return 0
    table = Table(title=f"pimsim compare: {title}  ({time.perf_counter() - t0:.1f} s); "
                        f"{rows[0]['phase'] if rows else 'generate'} passes")
    for col in ("model", "baseline", "PIM ms/token", "baseline ms/token", "speedup", "energy efficiency"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["model"], r["baseline"], f"{r['pim_ms_per_token']:.4f}", f"{r['baseline_ms_per_token']:.3f}",
                      f"{r['speedup']:.1f}x", f"{r['energy_efficiency']:.1f}x")
    Console().print(table)
    print(f"tables and figures: {folder}")
    return 0
