"""Trace-mode throughput: simulated requests per wall second on four access patterns.

    python benchmarks/trace_throughput.py [--requests N] [--repeats K] [--json]

Each pattern (100,000 reads by default, one GDDR6 x16 channel configured as
hwconfigs/dram/gddr6-x16-14gbps.yaml) is simulated K times; the median wall
time is reported. --json prints one object keyed by pattern.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from pimsim.config import load_hwconfig  # noqa: E402
from pimsim.dram.spec import build_spec  # noqa: E402
from pimsim.traces.controller import run_trace  # noqa: E402
from pimsim.traces.mapping import parse_mapping  # noqa: E402
from pimsim.traces.patterns import PATTERNS, pattern_addresses, trace_text  # noqa: E402
from pimsim.traces.reader import parse_trace  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    hw = load_hwconfig(ROOT / "hwconfigs/dram/gddr6-x16-14gbps.yaml")
    spec = build_spec(hw.dram)
    mapping = parse_mapping(hw.controller.address_mapping, hw.dram)
    out = {}
    for pattern in PATTERNS:
        trace = parse_trace(trace_text(pattern_addresses(pattern, args.requests, hw.dram, mapping)), pattern)
        times, cycles = [], 0
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            cycles = run_trace(spec, hw.controller, trace).cycles
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        out[pattern] = {"requests": args.requests, "cycles": cycles, "median_wall_s": round(med, 4),
                        "requests_per_s": round(args.requests / med)}
    if args.json:
        print(json.dumps(out, sort_keys=True))
        return
    print(f"trace-mode throughput, {args.requests:,} reads per pattern, median of {args.repeats}")
    for pattern, r in out.items():
        print(f"  {pattern:8s} {r['requests_per_s']:>10,} requests/s   ({r['cycles']:,} cycles, {r['median_wall_s']:.2f} s)")


if __name__ == "__main__":
    main()
