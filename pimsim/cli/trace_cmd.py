"""``pimsim trace --hw HW.yaml TRACEFILE [--json]``: DRAM trace mode."""

from __future__ import annotations

import json
import time

from rich.console import Console
from rich.table import Table

from pimsim.config import load_hwconfig
from pimsim.dram.spec import build_spec
from pimsim.errors import PimsimError
from pimsim.trace.controller import run_trace
from pimsim.trace.reader import read_trace
from pimsim.report.trace_summary import trace_metrics


def register(sub) -> None:
    p = sub.add_parser("trace", help="simulate a DRAMsim3-format memory trace")
    p.add_argument("tracefile", help="lines of '0x<hex address> READ|WRITE <arrival cycle>'")
    p.add_argument("--hw", required=True, help="hardware config YAML (needs a controller section)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config field (repeatable)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args) -> int:
    hw = load_hwconfig(args.hw, args.sets)
    if hw.controller is None:
        raise PimsimError("trace mode needs a controller section", where=args.hw, key="controller")
    spec = build_spec(hw.dram)
    trace = read_trace(args.tracefile)
    t0 = time.perf_counter()
    res = run_trace(spec, hw.controller, trace, where=args.tracefile)
    metrics = trace_metrics(hw, res, time.perf_counter() - t0)
    metrics["trace"] = str(args.tracefile)
    if args.json:
        print(json.dumps(metrics, sort_keys=True))
        return 0
    table = Table(title=f"pimsim trace: {args.tracefile} on {hw.name}", show_header=False)
    rows = [
        ("simulated time", f"{metrics['cycles']:,} cycles = {metrics['time_ns'] / 1000:,.3f} us"),
        ("requests", f"{metrics['requests']:,} ({metrics['reads']:,} reads, {metrics['writes']:,} writes)"),
        ("commands", f"ACT {metrics['act']:,}  PRE {metrics['pre']:,}  REF {metrics['ref']:,}"),
        ("row hits", f"{metrics['row_hits']:,} ({metrics['row_hit_rate']:.1%})"),
        ("bandwidth", f"{metrics['bandwidth_gbps']:.2f} GB/s"),
        ("avg read latency", f"{metrics['avg_read_latency_cycles']:.1f} cycles"),
        ("refresh busy", f"{metrics['refresh_cycles']:,} cycles"),
        ("DRAM energy", f"{metrics['energy_pj'] / 1e6:,.3f} uJ"),
        ("config hash", metrics["config_hash"]),
        ("wall time", f"{metrics['wall_s']:.2f} s ({metrics['requests'] / max(metrics['wall_s'], 1e-9):,.0f} req/s)"),
    ]
    for k, v in rows:
        table.add_row(k, v)
    Console().print(table)
    return 0
