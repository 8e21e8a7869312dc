"""``pimsim run``: simulate a GPT generation on the PIM-GPT hardware and report it."""

from __future__ import annotations

from pimsim.cli import COMMANDS

import json
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from pimsim.api import DEFAULT_HW  # the CLI is a layer over the API
from pimsim.config import load_hwconfig
from pimsim.config.workload import Generation, Workload, resolve_workload
from pimsim.errors import PimsimError
from pimsim.report.run_summary import metrics, write_run
from pimsim.report.paths import check_file, check_folder
from pimsim.report.timeline import write_timeline
from pimsim.report.traffic import kib
from pimsim.sim.generation import check_dtype, simulate_generation
from pimsim.workload.optrace import read_op_trace

DEFAULT_MODEL = "gpt2-small"


def register(sub) -> None:
    p = sub.add_parser("run", help=COMMANDS["run"][1])
    p.add_argument("--hw", default=str(DEFAULT_HW), help="hardware config YAML (default: hwconfigs/pimgpt.yaml)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--model", help=f"shipped workload name (default: {DEFAULT_MODEL})")
    src.add_argument("--workload", help="workload YAML file")
    src.add_argument("--ops", help="op trace (JSONL, see src/pimsim/workload/optrace.py) to simulate as given")
    p.add_argument("--prompt-tokens", type=int)
    p.add_argument("--output-tokens", type=int)
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="override a hardware config field (repeatable), e.g. asic.clock_mhz=100")
    p.add_argument("--out", help="run folder (default: reports/runs/<model>-<hw>-<hash>)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--timeline", metavar="FILE.json",
                   help="write the op (and, with sim.engine=reference, command) timeline in Chrome trace format")
    p.set_defaults(func=run)


def _workload(args) -> tuple[Workload, list | None]:
    if args.ops:
        if args.prompt_tokens is not None or args.output_tokens is not None:
            raise PimsimError("token counts come from the op trace", where="--ops")
        model, passes = read_op_trace(args.ops)
        prompt = sum(1 for _, is_prompt, _ in passes if is_prompt)
        logits = sum(1 for _, _, ops in passes if any(op.kind == "argmax" for op in ops))
        gen = Generation(prompt_tokens=max(prompt, 1), output_tokens=logits, batch=1, dtype="bf16")
        return Workload(name=Path(args.ops).stem, source=str(args.ops), model=model, generation=gen), passes
    name = args.workload or args.model or DEFAULT_MODEL
    return resolve_workload(name, args.prompt_tokens, args.output_tokens), None


def run(args) -> int:
    hw = load_hwconfig(args.hw, args.sets)
    for section in ("pim", "asic", "sim"):
        hw.require(section)
    workload, passes = _workload(args)
    check_dtype(hw, workload, args.workload or f"workloads/{workload.name}.yaml")
    if args.out:
        check_folder(args.out, "--out")
    if args.timeline:
        check_file(args.timeline, "--timeline")
    show = not args.json and sys.stdout.isatty()
    keep = bool(args.timeline)
    t0 = time.perf_counter()
    if show:
        with Progress(TextColumn("simulating {task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeRemainingColumn(), transient=True) as bar:
            task = bar.add_task(workload.name, total=None)
            res = simulate_generation(hw, workload, passes=passes, keep_records=keep,
                                      command_log=keep, progress=lambda i, n: bar.update(task, completed=i, total=n))
    else:
        res = simulate_generation(hw, workload, passes=passes, keep_records=keep, command_log=keep)
    m = metrics(res, time.perf_counter() - t0)
    folder = Path(args.out) if args.out else Path("reports/runs") / f"{workload.name}-{hw.name}-{m['config_hash']}"
    write_run(folder, res, m, args.sets)
    if args.timeline:
        write_timeline(args.timeline, res.extra["records"], res.extra["channels"], hw.dram.tck_ns)
    if args.json:
        print(json.dumps(m, sort_keys=True))
        return 0
    _print(m, folder)
    return 0


def _print(m: dict, folder: Path) -> None:
    console = Console()
    t = Table(title=f"pimsim run: {m['model']} on {m['hw']}", show_header=False)
    rows = [
        ("tokens", f"{m['forward_passes']} forward passes ({m['prompt_tokens']} prompt, {m['output_tokens']} generated)"),
        ("latency", f"{m['ms_per_token']:.4f} ms/token  ({m['tokens_per_s']:,.0f} tokens/s, "
                    f"{m['latency_s'] * 1e3:.3f} ms in all)"),
        ("energy", f"{m['j_per_token'] * 1e3:.4f} mJ/token  ({m['energy_j'] * 1e3:.3f} mJ in all)"),
        *[(f"{name} passes", f"{p['ms_per_token']:.4f} ms/token, {p['j_per_token'] * 1e3:.4f} mJ/token "
                             f"({p['passes']} passes)") for name, p in m["phases"].items()],
        ("work split", f"VMM {m['vmm_share']:.1%}  " + "  ".join(
            f"{k.replace('_', ' ')} {v / m['latency_s']:.1%}" for k, v in m["work_s"].items() if k != "vmm")),
        ("time split", "  ".join(f"{k} {v / m['latency_s']:.1%}" for k, v in m["breakdown_s"].items())),
        ("energy split", "  ".join(f"{k.replace('dram_', '').replace('asic_', 'asic ')} {v / m['energy_j']:.1%}"
                                   for k, v in m["energy_breakdown_j"].items() if v)),
        ("row hits / MAC use", f"{m['row_hit_rate']:.3f} / {m['mac_utilization']:.3f}"),
        ("off-chip traffic", f"{kib(m['traffic']['interface_bytes_per_token'])} KiB/token over the "
                             f"ASIC-PIM interface; {kib(m['traffic']['without_pim_bytes_per_token'])} "
                             f"without PIM ({m['traffic']['reduction']:.1f}x)"),
        ("mapping", f"{m['mapping']['rows_per_bank_used']:,} of {m['mapping']['rows_per_bank']:,} rows per bank, "
                    f"weight rows {m['mapping']['weight_row_utilization']:.1%} used"),
        ("engine", f"{m['engine']}, overlap {m['overlap']}, {m['refreshes']:,} refreshes, "
                   f"{sum(m['counts'].values()):,} DRAM commands"),
        ("config hash", m["config_hash"]),
        ("run folder", str(folder)),
        ("wall time", f"{m['wall_s']:.2f} s"),
    ]
    for k, v in rows:
        t.add_row(k, v)
    console.print(t)
