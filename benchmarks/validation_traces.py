"""Write the four 100,000-read validation traces (DRAMsim3 format) used to compare with other simulators.

    python benchmarks/validation_traces.py OUTDIR [--requests N]

stream, bankrr, random (seed 1234) and rowmiss for one GDDR6 x16 channel,
mapping rochrababgco, all arriving at cycle 0. See reports/dram-validation.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from pimsim.config import load_hwconfig  # noqa: E402
from pimsim.traces.mapping import parse_mapping  # noqa: E402
from pimsim.traces.patterns import PATTERNS, pattern_addresses, trace_text  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--requests", type=int, default=100_000)
    args = ap.parse_args()
    hw = load_hwconfig(ROOT / "hwconfigs/dram/gddr6-x16-14gbps.yaml")
    m = parse_mapping(hw.controller.address_mapping, hw.dram)
    out = Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    for p in PATTERNS:
        (out / f"{p}.trace").write_text(trace_text(pattern_addresses(p, args.requests, hw.dram, m)))
        print(out / f"{p}.trace")


if __name__ == "__main__":
    main()
