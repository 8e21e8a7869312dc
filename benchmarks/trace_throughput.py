"""Trace-mode throughput: simulated requests per wall second, in process and as a whole process.

    python benchmarks/trace_throughput.py [--requests N] [--repeats K] [--controller fast|reference] [--json]

In process: each pattern (100,000 reads by default, one GDDR6 x16 channel
configured as hwconfigs/dram/gddr6-x16-14gbps.yaml) is simulated K times by
``run_trace`` with the given controller; the median wall time is reported.

Whole process: the stream and random traces are written to files and
``pimsim trace --hw ... FILE --json`` runs K times on each in a fresh process
(Python start-up, imports, reading the file and the report included: what a
user waits for), median wall time, beside DRAMsim3's figures for the same
100,000-read traces on the same machine. --json prints one object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from pimsim.config import load_hwconfig  # noqa: E402
from pimsim.dram.spec import build_spec  # noqa: E402
from pimsim.traces.controller import CONTROLLERS, run_trace  # noqa: E402
from pimsim.traces.mapping import parse_mapping  # noqa: E402
from pimsim.traces.patterns import PATTERNS, pattern_addresses, trace_text  # noqa: E402
from pimsim.traces.reader import parse_trace  # noqa: E402

HW = ROOT / "hwconfigs/dram/gddr6-x16-14gbps.yaml"
# DRAMsim3 on the same 100,000-read traces, whole process, on this machine (issue 13, item 4)
DRAMSIM3 = {"stream": 370_000, "random": 131_000}


def pimsim_command() -> list[str]:
    """``pimsim`` as installed beside this interpreter, else ``python -m pimsim``."""
    script = Path(sys.executable).with_name("pimsim")
    if script.exists():
        return [str(script)]
    found = shutil.which("pimsim")
    return [found] if found else [sys.executable, "-m", "pimsim"]


def in_process(hw, requests: int, repeats: int, controller: str) -> dict:
    spec = build_spec(hw.dram)
    mapping = parse_mapping(hw.controller.address_mapping, hw.dram)
    out = {}
    for pattern in PATTERNS:
        trace = parse_trace(trace_text(pattern_addresses(pattern, requests, hw.dram, mapping)), pattern)
        times, cycles = [], 0
        for _ in range(repeats):
            t0 = time.perf_counter()
            cycles = run_trace(spec, hw.controller, trace, controller=controller).cycles
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        out[pattern] = {"requests": requests, "cycles": cycles, "median_wall_s": round(med, 4),
                        "requests_per_s": round(requests / med)}
    return out


def whole_process(hw, requests: int, repeats: int) -> dict:
    mapping = parse_mapping(hw.controller.address_mapping, hw.dram)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for pattern in DRAMSIM3:
            path = Path(tmp) / f"{pattern}.trace"
            path.write_text(trace_text(pattern_addresses(pattern, requests, hw.dram, mapping)))
            times, cycles = [], 0
            for _ in range(repeats):
                t0 = time.perf_counter()
                proc = subprocess.run([*pimsim_command(), "trace", "--hw", str(HW), str(path), "--json"],
                                      capture_output=True, text=True, check=True, env=env)
                times.append(time.perf_counter() - t0)
                cycles = json.loads(proc.stdout)["cycles"]
            med = statistics.median(times)
            out[pattern] = {"requests": requests, "cycles": cycles, "median_wall_s": round(med, 4),
                            "requests_per_s": round(requests / med), "dramsim3_requests_per_s": DRAMSIM3[pattern]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--controller", choices=CONTROLLERS, default="fast", help="in process (default fast)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    hw = load_hwconfig(HW)
    inside = in_process(hw, args.requests, args.repeats, args.controller)
    whole = whole_process(hw, args.requests, args.repeats)
    if args.json:
        print(json.dumps({"in_process": inside, "whole_process": whole}, sort_keys=True))
        return
    print(f"trace-mode throughput, {args.requests:,} reads per pattern, median of {args.repeats}")
    print(f"in process (run_trace, {args.controller} controller):")
    for pattern, r in inside.items():
        print(f"  {pattern:8s} {r['requests_per_s']:>10,} requests/s"
              f"   ({r['cycles']:,} cycles, {r['median_wall_s']:.2f} s)")
    print("whole process (pimsim trace FILE --json: start-up, imports, reading and report included):")
    for pattern, r in whole.items():
        print(f"  {pattern:8s} {r['requests_per_s']:>10,} requests/s   (DRAMsim3 {r['dramsim3_requests_per_s']:,})"
              f"   ({r['cycles']:,} cycles, {r['median_wall_s']:.2f} s)")


if __name__ == "__main__":
    main()
