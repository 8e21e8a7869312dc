"""Wall time of `pimsim run` (fast engine) for GPT-2 small and GPT-2 XL over a full 1024-token context.

    python benchmarks/generation_time.py [--models gpt2-small,gpt2-xl] [--output-tokens 1023] [--json]

One prompt token and 1023 generated tokens (1023 forward passes) per model,
cycle-exact; --json prints one object of seconds per case.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pimsim.config import load_hwconfig  # noqa: E402
from pimsim.config.workload import resolve_workload  # noqa: E402
from pimsim.sim.generation import simulate_generation  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="gpt2-small,gpt2-xl")
    ap.add_argument("--output-tokens", type=int, default=1023)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    hw = load_hwconfig(ROOT / "hwconfigs/pimgpt.yaml", ["sim.engine=fast"])
    out, detail = {}, {}
    for name in args.models.split(","):
        w = resolve_workload(name, 1, args.output_tokens)
        t0 = time.perf_counter()
        res = simulate_generation(hw, w)
        out[name] = round(time.perf_counter() - t0, 2)
        detail[name] = (len(res.tokens), res.cycles, res.cycles * hw.dram.tck_ns * 1e-6 / len(res.tokens))
    if args.json:
        print(json.dumps(out, sort_keys=True))
        return
    for name, s in out.items():
        n, cycles, ms = detail[name]
        print(f"{name:12s} {s:8.1f} s wall for {n} forward passes ({cycles:,} cycles simulated, {ms:.4f} ms/token)")


if __name__ == "__main__":
    main()
