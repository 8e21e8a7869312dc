"""What the simulator costs as the work grows: wall time and peak memory against context length,
model size, channel count and trace length, with the fitted power-law exponent of each.

    python benchmarks/scaling.py [--quick] [--out DIR] [--json]

Each case runs in a fresh process (its peak resident memory is its own): a whole generation of one
prompt token and N-1 generated tokens on the fast engine, or a trace of N streaming reads through
the DRAM controller. Axes (--quick: the smaller half of each):
  context   gpt3-small, 128 ... 2048 tokens (its whole context)
  model     the 8 GPT models, 64 tokens each (size: parameters)
  channels  gpt2-small, 64 tokens, dram.channels 1 ... 32
  trace     streaming reads, 10 k ... 1 M requests
The exponent b of wall = a * x^b (and of memory) is the least-squares slope in log-log space.
Prints a table; writes scaling.csv and scaling.png (log-log, one panel per axis) to --out.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ("gpt2-small", "gpt2-medium", "gpt2-large", "gpt2-xl", "gpt3-small", "gpt3-medium", "gpt3-large", "gpt3-xl")

GENERATION = """
import json, resource, sys, time
from pimsim.config import load_hwconfig
from pimsim.config.workload import resolve_workload
from pimsim.sim.generation import simulate_generation
model, tokens, channels = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
hw = load_hwconfig(sys.argv[4], [f"dram.channels={channels}"])
w = resolve_workload(model, 1, tokens - 1)
t0 = time.perf_counter()
res = simulate_generation(hw, w)
wall = time.perf_counter() - t0
print(json.dumps({"wall_s": wall, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "params": w.model.total_params, "cycles": res.cycles}))
"""

TRACE = """
import json, resource, sys, time
from pimsim.config import load_hwconfig
from pimsim.dram.spec import build_spec
from pimsim.traces.controller import run_trace
from pimsim.traces.mapping import parse_mapping
from pimsim.traces.patterns import pattern_addresses, trace_text
from pimsim.traces.reader import parse_trace
n = int(sys.argv[1])
hw = load_hwconfig(sys.argv[2])
trace = parse_trace(trace_text(pattern_addresses("stream", n, hw.dram, parse_mapping(hw.controller.address_mapping,
                                                                                      hw.dram))), "stream")
t0 = time.perf_counter()
res = run_trace(build_spec(hw.dram), hw.controller, trace)
wall = time.perf_counter() - t0
print(json.dumps({"wall_s": wall, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "cycles": res.cycles}))
"""


def run(code: str, *args) -> dict:
    proc = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, check=True,
                          cwd=ROOT, env={"PYTHONPATH": str(ROOT / "src"), "PATH": ""})
    return json.loads(proc.stdout.strip().splitlines()[-1])


def cases(quick: bool) -> list[tuple[str, float, tuple]]:
    hw, trace_hw = ROOT / "hwconfigs" / "pimgpt.yaml", ROOT / "hwconfigs" / "dram" / "gddr6-x16-14gbps.yaml"
    contexts = (128, 256, 512) if quick else (128, 256, 512, 1024, 2048)
    models = MODELS[:4] if quick else MODELS
    channels = (1, 2, 4, 8) if quick else (1, 2, 4, 8, 16, 32)
    lengths = (10_000, 30_000, 100_000) if quick else (10_000, 30_000, 100_000, 300_000, 1_000_000)
    out = [("context", c, (GENERATION, "gpt3-small", c, 8, hw)) for c in contexts]
    out += [("model", m, (GENERATION, m, 64, 8, hw)) for m in models]
    out += [("channels", c, (GENERATION, "gpt2-small", 64, c, hw)) for c in channels]
    out += [("trace", n, (TRACE, n, trace_hw)) for n in lengths]
    return out


def slope(xs: list[float], ys: list[float]) -> float:
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the smaller half of each axis")
    ap.add_argument("--out", default="reports/runs/scaling", help="folder for scaling.csv and scaling.png")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = []
    for axis, x, (code, *argv) in cases(args.quick):
        r = run(code, *argv)
        size = r["params"] if axis == "model" else x
        rows.append({"axis": axis, "case": x, "x": size, "wall_s": round(r["wall_s"], 3),
                     "peak_mib": round(r["peak_mib"], 1), "cycles": r["cycles"]})
        print(f"{axis:9s} {str(x):12s} {r['wall_s']:9.2f} s  {r['peak_mib']:8.1f} MiB", file=sys.stderr, flush=True)
    axes = list(dict.fromkeys(r["axis"] for r in rows))
    fits = {a: {"wall_exponent": round(slope([r["x"] for r in rows if r["axis"] == a],
                                             [r["wall_s"] for r in rows if r["axis"] == a]), 2),
                "memory_exponent": round(slope([r["x"] for r in rows if r["axis"] == a],
                                               [r["peak_mib"] for r in rows if r["axis"] == a]), 2)} for a in axes}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "scaling.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    _plot(rows, axes, fits, out / "scaling.png")
    if args.json:
        print(json.dumps({"rows": rows, "fits": fits}, sort_keys=True))
        return
    labels = {"context": "context (tokens)", "model": "model (parameters)", "channels": "channels",
              "trace": "trace (requests)"}
    print(f"{'axis':9s} {'case':>12s} {'wall s':>9s} {'peak MiB':>9s}")
    for r in rows:
        print(f"{r['axis']:9s} {str(r['case']):>12s} {r['wall_s']:9.2f} {r['peak_mib']:9.1f}")
    for a, f in fits.items():
        print(f"{labels[a]:20s} wall ~ x^{f['wall_exponent']:.2f}   memory ~ x^{f['memory_exponent']:.2f}")
    print(f"table and plot: {out}")


def _plot(rows, axes, fits, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, panels = plt.subplots(1, len(axes), figsize=(4 * len(axes), 3.6))
    for ax, a in zip(panels, axes):
        mine = sorted((r for r in rows if r["axis"] == a), key=lambda r: r["x"])
        ax.loglog([r["x"] for r in mine], [r["wall_s"] for r in mine], "o-", label=f"wall s (^{fits[a]['wall_exponent']})")
        ax.loglog([r["x"] for r in mine], [r["peak_mib"] for r in mine], "s--",
                  label=f"peak MiB (^{fits[a]['memory_exponent']})")
        ax.set_title(a)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
