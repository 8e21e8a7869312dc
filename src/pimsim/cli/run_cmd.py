"""``pimsim run``: simulate a GPT generation on the PIM-GPT hardware and report it."""

from __future__ import annotations

from pimsim.cli import COMMANDS

import json
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from pimsim.config.hf_model import hf_config_path
from pimsim.api.runs import DEFAULT_HW, load_hw, simulate, workload_of  # the CLI is a layer over the API
from pimsim.errors import PimsimError
from pimsim.report.paths import check_file, check_folder
from pimsim.report.timeline import write_timeline
from pimsim.report.traffic import kib
from pimsim.workload.optrace import write_op_trace

DEFAULT_MODEL = "gpt2-small"


def register(sub) -> None:
    p = sub.add_parser("run", help=COMMANDS["run"][1])
    p.add_argument("--hw", default=str(DEFAULT_HW), help="hardware config YAML (default: hwconfigs/pimgpt.yaml)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--model", help=f"shipped workload name (default: {DEFAULT_MODEL})")
    src.add_argument("--workload", help="workload YAML file")
    src.add_argument("--hf-config", metavar="FILE|NAME",
                     help="a model's Hugging Face config.json (a path, or a shipped name from workloads/hf: "
                          "llama-3.2-1b, llama-2-7b, mistral-7b, opt-1.3b, pythia-1.4b, qwen2.5-0.5b); "
                          "64 + 64 tokens unless overridden")
    src.add_argument("--ops", metavar="FILE.jsonl",
                     help="op trace to simulate as given (format: src/pimsim/workload/optrace.py; "
                          "example: workloads/traces/tiny-ops.jsonl; --write-ops makes one)")
    p.add_argument("--prompt-tokens", type=int, help="prompt tokens (default: the workload's own, 64)")
    p.add_argument("--output-tokens", type=int, help="generated tokens (default: the workload's own, 64)")
    p.add_argument("--batch", type=int, help="sequences decoding in lockstep (default: the workload's own, 1)")
    p.add_argument("--kv-cache", choices=("context", "run"),
                   help="reserve each sequence's KV cache for the model's whole context or only this run's tokens "
                        "(default: the workload's own, context)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="override a hardware config field (repeatable), e.g. asic.clock_mhz=100")
    p.add_argument("--out", help="run folder (default: reports/runs/<model>-<hw>-<run_hash>)")
    p.add_argument("--json", action="store_true", help="print one JSON object (every metric, wall time, cached)")
    p.add_argument("--timeline", metavar="FILE.json",
                   help="write the op (and, with sim.engine=reference, command) timeline in Chrome trace format "
                        "(always simulates)")
    p.add_argument("--write-ops", metavar="FILE.jsonl",
                   help="also write the run's op trace (every forward pass's ops), which --ops reads back")
    p.add_argument("--no-cache", action="store_true",
                   help="simulate even when the result cache holds this run (default: use the cache)")
    p.set_defaults(func=run)


def _model(args) -> str:
    if args.hf_config:
        return str(hf_config_path(args.hf_config))
    return args.workload or args.model or DEFAULT_MODEL


def run(args) -> int:
    hw = load_hw(args.hw, sets=args.sets)
    for section in ("pim", "asic", "sim"):
        hw.require(section)
    if args.out:
        check_folder(args.out, "--out")
    for path, flag in ((args.timeline, "--timeline"), (args.write_ops, "--write-ops")):
        if path:
            check_file(path, flag)
    if args.write_ops and args.ops:
        raise PimsimError("the run already comes from an op trace", where="--write-ops")
    workload = None if args.ops else workload_of(_model(args), args.prompt_tokens, args.output_tokens, args.batch,
                                                 args.kv_cache)
    show = not args.json and sys.stdout.isatty()
    kwargs = dict(ops=args.ops, cache=not args.no_cache, timeline=bool(args.timeline),
                  prompt_tokens=args.prompt_tokens, output_tokens=args.output_tokens, batch=args.batch,
                  kv_cache=args.kv_cache)
    model = _model(args)
    if show:
        with Progress(TextColumn("simulating {task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeRemainingColumn(), transient=True) as bar:
            task = bar.add_task(workload.name if workload else str(args.ops), total=None)
            res = simulate(hw, model, progress=lambda i, n: bar.update(task, completed=i, total=n), **kwargs)
    else:
        res = simulate(hw, model, **kwargs)
    if workload is None:
        workload = res.workload
    folder = Path(args.out) if args.out else Path("reports/runs") / f"{workload.name}-{hw.name}-{res.run_hash}"
    res.write(folder)
    if args.timeline:
        write_timeline(args.timeline, res.run.extra["records"], res.run.extra["channels"], hw.dram.tck_ns)
    if args.write_ops:
        write_op_trace(args.write_ops, workload)
    if args.json:
        print(json.dumps({**res.to_dict(), "wall_s": round(res.wall_s, 3), "cached": res.cached}, sort_keys=True))
        return 0
    _print(res, folder)
    return 0


def _print(res, folder: Path) -> None:
    m = res.summary
    console = Console()
    t = Table(title=f"pimsim run: {m['model']} on {m['hw']}", show_header=False)
    rows = [
        ("tokens", f"{m['forward_passes']} forward passes ({m['prompt_tokens']} prompt, {m['output_tokens']} generated)"
                   + (f", batch {m['batch']}: ms/token per step, tokens/s and mJ/token over the batch"
                      if m["batch"] > 1 else "")),
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
        ("hashes", f"run_hash {m['run_hash']}, hw_hash {m['hw_hash']} (pimsim {m['pimsim']})"),
        ("run folder", str(folder)),
        ("wall time", f"{res.wall_s:.2f} s" + (" (from the result cache)" if res.cached else "")),
    ]
    for k, v in rows:
        t.add_row(k, v)
    console.print(t)
