"""``pimsim trace --hw HW.yaml TRACEFILE [--format dramsim3|aim] [--set K=V] [--json]``: trace mode.

``dramsim3``: plain memory requests through the DRAM controller. ``aim``: an AiM ISR trace (the
open AiM simulator's input format) on the PIM channel engines."""

from __future__ import annotations

from pimsim.cli import COMMANDS

import json

from pimsim.api.traces import FORMATS, trace


def register(sub) -> None:
    p = sub.add_parser("trace", help=COMMANDS["trace"][1])
    p.add_argument("tracefile", help="dramsim3: lines of '0x<hex address> READ|WRITE <arrival cycle>'; "
                                     "aim: 'AiM <opcode> <fields>', 'R|W MEM|GPR|CFR ...'")
    p.add_argument("--hw", required=True,
                   help="hardware config YAML (dramsim3: needs a controller section; aim: a pim section, "
                        "e.g. hwconfigs/aim.yaml)")
    p.add_argument("--format", choices=FORMATS, default="dramsim3", help="trace format (default dramsim3)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config field (repeatable)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args) -> int:
    metrics = trace(args.tracefile, args.hw, format=args.format, sets=args.sets)
    if args.json:
        print(json.dumps(metrics, sort_keys=True))
        return 0
    if args.format == "aim":
        counts = "  ".join(f"{k} {v:,}" for k, v in metrics["counts"].items())
        title = f"pimsim trace (AiM): {args.tracefile} on {metrics['hw']}"
        rows = [
            ("simulated time", f"{metrics['cycles']:,} cycles = {metrics['time_ns'] / 1000:,.3f} us"),
            ("instructions", f"{metrics['instructions']:,} on {metrics['channels_used']} channel(s)"),
            ("commands", counts or "none"),
            ("refreshes", f"{metrics['refreshes']:,}"),
            ("energy", f"{metrics['energy_pj'] / 1e6:,.3f} uJ"),
        ]
    else:
        title = f"pimsim trace: {args.tracefile} on {metrics['hw']}"
        rate = metrics["requests"] / max(metrics["wall_s"], 1e-9)
        rows = [
            ("simulated time", f"{metrics['cycles']:,} cycles = {metrics['time_ns'] / 1000:,.3f} us"),
            ("requests", f"{metrics['requests']:,} ({metrics['reads']:,} reads, {metrics['writes']:,} writes)"),
            ("commands", f"ACT {metrics['act']:,}  PRE {metrics['pre']:,}  REF {metrics['ref']:,}"),
            ("row hits", f"{metrics['row_hits']:,} ({metrics['row_hit_rate']:.1%})"),
            ("bandwidth", f"{metrics['bandwidth_gbps']:.2f} GB/s"),
            ("avg read latency", f"{metrics['avg_read_latency_cycles']:.1f} cycles"),
            ("refresh busy", f"{metrics['refresh_cycles']:,} cycles"),
            ("DRAM energy", f"{metrics['energy_pj'] / 1e6:,.3f} uJ"),
        ]
        rows.append(("wall time", f"{metrics['wall_s']:.2f} s ({rate:,.0f} req/s)"))
    from rich.console import Console  # only the table needs it
    from rich.table import Table

    rows.append(("hashes", f"run_hash {metrics['run_hash']}, hw_hash {metrics['hw_hash']} (pimsim {metrics['pimsim']})"))
    table = Table(title=title, show_header=False)
    for k, v in rows:
        table.add_row(k, v)
    Console().print(table)
    return 0
