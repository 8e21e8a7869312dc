"""``pimsim trace --hw HW.yaml TRACEFILE [--format dramsim3|aim] [--set K=V] [--json]``: trace mode.

``dramsim3``: plain memory requests through the DRAM controller. ``aim``: an AiM ISR trace (the
open AiM simulator's input format) on the PIM channel engines."""

from __future__ import annotations

from pimsim.cli import COMMANDS

import json
import time

from rich.console import Console
from rich.table import Table

from pimsim.config import load_hwconfig
from pimsim.dram.spec import build_spec
from pimsim.errors import PimsimError
from pimsim import __version__
from pimsim.report.trace_summary import aim_metrics, trace_metrics
from pimsim.trace.aim_reader import read_aim_trace
from pimsim.trace.aim_runner import aim_spec, run_aim_trace
from pimsim.trace.controller import run_trace
from pimsim.trace.reader import read_trace


def register(sub) -> None:
    p = sub.add_parser("trace", help=COMMANDS["trace"][1])
    p.add_argument("tracefile", help="dramsim3: lines of '0x<hex address> READ|WRITE <arrival cycle>'; "
                                     "aim: 'AiM <opcode> <fields>', 'R|W MEM|GPR|CFR ...'")
    p.add_argument("--hw", required=True,
                   help="hardware config YAML (dramsim3: needs a controller section; aim: a pim section, "
                        "e.g. hwconfigs/aim.yaml)")
    p.add_argument("--format", choices=("dramsim3", "aim"), default="dramsim3", help="trace format (default dramsim3)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config field (repeatable)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args) -> int:
    hw = load_hwconfig(args.hw, args.sets)
    if args.format == "aim":
        return run_aim(args, hw)
    if hw.controller is None:
        raise PimsimError("trace mode needs a controller section", where=args.hw, key="controller")
    spec = build_spec(hw.dram)
    trace = read_trace(args.tracefile)
    t0 = time.perf_counter()
    res = run_trace(spec, hw.controller, trace, where=args.tracefile)
    metrics = trace_metrics(hw, res, time.perf_counter() - t0)
    metrics["trace"] = str(args.tracefile)
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
    return _emit(args, metrics, f"pimsim trace: {args.tracefile} on {hw.name}", rows)


def run_aim(args, hw) -> int:
    hw.require("pim")
    aim_spec(hw)  # the device must have AiM's bank organisation: checked before reading the trace
    trace = read_aim_trace(args.tracefile, hw.dram.channels, hw.dram.banks_per_rank, hw.dram.rows)
    t0 = time.perf_counter()
    res = run_aim_trace(hw, trace)
    metrics = aim_metrics(hw, res, time.perf_counter() - t0, str(args.tracefile))
    counts = "  ".join(f"{k} {v:,}" for k, v in metrics["counts"].items())
    rows = [
        ("simulated time", f"{metrics['cycles']:,} cycles = {metrics['time_ns'] / 1000:,.3f} us"),
        ("instructions", f"{metrics['instructions']:,} on {metrics['channels_used']} channel(s)"),
        ("commands", counts or "none"),
        ("refreshes", f"{metrics['refreshes']:,} ({hw.dram.refresh_policy})"),
        ("energy", f"{metrics['energy_pj'] / 1e6:,.3f} uJ"),
        ("config hash", metrics["config_hash"]),
        ("wall time", f"{metrics['wall_s']:.2f} s"),
    ]
    return _emit(args, metrics, f"pimsim trace (AiM): {args.tracefile} on {hw.name}", rows)


def _emit(args, metrics: dict, title: str, rows: list[tuple[str, str]]) -> int:
    """Print the run's metrics, with its overrides and version, as JSON or as a table."""
    metrics["overrides"] = list(args.sets)
    metrics["version"] = __version__
    if args.json:
        print(json.dumps(metrics, sort_keys=True))
        return 0
    table = Table(title=title, show_header=False)
    for k, v in rows:
        table.add_row(k, v)
    Console().print(table)
    return 0
