"""Wall time of whole generations (fast engine, cycle-exact), optionally beside another version.

    python benchmarks/generation_time.py [--models gpt2-small,gpt2-xl] [--output-tokens 1023]
                                         [--against GIT_REF] [--repeats 1] [--json]

One prompt token and ``--output-tokens`` generated tokens per model (default 1023: the 1024-token
context of GPT-2; ``--output-tokens full`` takes each model's whole context). ``--against GIT_REF``
checks that version out into a temporary worktree and times it the same way in the same run,
interleaved case by case (the machines are shared and noisy: compare only within one run), then
prints the ratio and checks that both simulated the same cycles and counted the same DRAM commands
and refreshes. Each case runs in a fresh process.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CASE = """
import json, sys, time
from pimsim.config import load_hwconfig
from pimsim.config.workload import resolve_workload
from pimsim.sim.generation import simulate_generation
hw = load_hwconfig(sys.argv[1], ["sim.engine=fast"])
model, out = sys.argv[2], sys.argv[3]
w = resolve_workload(model)
out = w.model.context - 1 if out == "full" else int(out)
w = resolve_workload(model, 1, out)
t0 = time.perf_counter()
res = simulate_generation(hw, w)
print(json.dumps({"s": time.perf_counter() - t0, "passes": len(res.tokens), "cycles": res.cycles,
                  "counts": res.command_counts, "refreshes": res.refreshes}))
"""


def source_dir(tree: Path) -> Path:
    """Where a checkout keeps the package (src/ layout, or the root before it)."""
    return tree / "src" if (tree / "src" / "pimsim").is_dir() else tree


def time_case(tree: Path, model: str, out: str) -> dict:
    env_path = str(source_dir(tree))
    proc = subprocess.run([sys.executable, "-c", CASE, str(tree / "hwconfigs" / "pimgpt.yaml"), model, out],
                          capture_output=True, text=True, cwd=tree, env={"PYTHONPATH": env_path, "PATH": ""},
                          check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="gpt2-small,gpt2-xl")
    ap.add_argument("--output-tokens", default="1023", help="generated tokens per model, or full (default: 1023)")
    ap.add_argument("--against", metavar="GIT_REF", help="also time this version, in the same run")
    ap.add_argument("--repeats", type=int, default=1, help="runs per case; medians are reported (default: 1)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    trees = {"this": ROOT}
    with tempfile.TemporaryDirectory() as tmp:
        if args.against:
            other = Path(tmp) / "other"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(other), args.against],
                           check=True, capture_output=True)
            trees[args.against] = other
        try:
            results = {name: {m: [] for m in args.models.split(",")} for name in trees}
            for _ in range(args.repeats):
                for model in args.models.split(","):
                    for name, tree in trees.items():  # interleaved: both see the same machine load
                        results[name][model].append(time_case(tree, model, args.output_tokens))
        finally:
            if args.against:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(trees[args.against])],
                               capture_output=True)
    summary = {name: {m: {"s": round(statistics.median(r["s"] for r in runs), 2), "passes": runs[0]["passes"],
                          "cycles": runs[0]["cycles"]} for m, runs in by_model.items()}
               for name, by_model in results.items()}
    if args.against:
        for model in summary["this"]:
            mine, theirs = summary["this"][model], summary[args.against][model]
            mine["speedup_vs_against"] = round(theirs["s"] / mine["s"], 2)
            # the same simulation: cycles, and every DRAM command and refresh counted alike
            ours, other = results["this"][model][0], results[args.against][model][0]
            mine["same_cycles"] = mine["cycles"] == theirs["cycles"]
            mine["same_counts"] = (ours["counts"], ours["refreshes"]) == (other["counts"], other["refreshes"])
    if args.json:
        print(json.dumps(summary, sort_keys=True))
        return
    for name, by_model in summary.items():
        for model, r in by_model.items():
            extra = (f"  {r['speedup_vs_against']:.2f}x faster than {args.against}"
                     f"{'' if r['same_cycles'] else '  CYCLES DIFFER'}"
                     f"{'' if r['same_counts'] else '  COMMAND COUNTS DIFFER'}") if "speedup_vs_against" in r else ""
            print(f"{name:10s} {model:12s} {r['s']:8.2f} s wall (median of {args.repeats}) for {r['passes']} passes, "
                  f"{r['cycles']:,} cycles{extra}")


if __name__ == "__main__":
    main()
