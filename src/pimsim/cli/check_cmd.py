"""``pimsim check FILE.yaml``: validate a hardware config and print its resolved values."""

from __future__ import annotations

from pimsim.cli import COMMANDS

import json

from rich.console import Console
from rich.table import Table

from pimsim.asic.area import asic_area_mm2, unit_counts
from pimsim.asic.models import asic_model
from pimsim.config import load_hwconfig
from pimsim.config.hw import source_of
from pimsim.config.yamlio import load_yaml
from pimsim.config.validate import did_you_mean
from pimsim.errors import PimsimError
from pimsim.pim.channel import ENGINES
from pimsim.config.timing import PARAMS
from pimsim.dram.refresh import make_refresh
from pimsim.dram.spec import build_spec


def register(sub) -> None:
    p = sub.add_parser("check", help=COMMANDS["check"][1])
    p.add_argument("config", help="a hardware config, sweep, workload or baseline device YAML (recognised by its keys)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config field (repeatable)")
    p.add_argument("--json", action="store_true", help="print the resolved config as JSON")
    p.set_defaults(func=run)


def _other_kind(args) -> int | None:
    """A sweep, workload or baseline device file is validated as what it is; None for a hardware config."""
    data = load_yaml(args.config)
    if ("model" in data or "hf_config" in data) and "generation" in data:
        from pimsim.config.workload import load_workload

        if args.sets:
            raise PimsimError("--set applies to hardware configs; run takes --prompt-tokens and --output-tokens",
                              where=args.config)
        w = load_workload(args.config)
        g = w.generation
        print(f"{args.config}: workload OK: {w.name}, {w.model.total_params / 1e6:,.0f}M parameters, "
              f"{g.prompt_tokens} prompt + {g.output_tokens} output tokens, {g.dtype}")
        return 0
    if "factors" in data or "workloads" in data:
        from pimsim.sweeps.spec import expand_all, load_spec

        if args.sets:
            raise PimsimError("--set applies to hardware configs; a sweep file names its factors itself",
                              where=args.config)
        points, skipped = expand_all(load_spec(args.config))
        print(f"{args.config}: sweep file OK: {len(points)} points"
              + (f", {len(skipped)} skipped as unfit" if skipped else ""))
        return 0
    if "backend" in data and "kind" in data:
        from pimsim.baselines.device import load_device

        if args.sets:
            raise PimsimError("--set applies to hardware configs, not to baseline device files", where=args.config)
        dev = load_device(args.config)
        print(f"{args.config}: baseline device OK: {dev.name} ({dev.kind}, backend {dev.backend})")
        return 0
    return None


def run(args) -> int:
    other = _other_kind(args)
    if other is not None:
        return other
    hw = load_hwconfig(args.config, args.sets)
    spec = build_spec(hw.dram)
    make_refresh(spec, args.config)  # the refresh policy name must be registered
    if hw.asic is not None:  # so must the ASIC model
        asic_model(hw.asic, source_of("asic.model", args.sets, args.config))
    if hw.sim is not None and hw.sim.engine not in ENGINES:  # and the engine (what run would refuse)
        raise PimsimError(f"unknown engine {hw.sim.engine!r}" + did_you_mean(hw.sim.engine, list(ENGINES)),
                          where=source_of("sim.engine", args.sets, args.config), key="sim.engine")
    if args.json:
        print(json.dumps({"hw_hash": hw.hw_hash, "overrides": list(hw.overrides), **hw.resolved()}, indent=2, sort_keys=True))
        return 0
    d = hw.dram
    console = Console()
    console.print(f"[bold]{hw.name}[/bold]  ({args.config}, hw_hash {hw.hw_hash})  OK")
    org = Table(title="DRAM organisation", show_header=False)
    for k in ("standard", "channels", "ranks", "bank_groups", "banks_per_group", "rows", "columns",
              "device_width_bits", "devices_per_rank", "burst_length", "data_rate_gbps", "refresh_policy"):
        org.add_row(k, str(getattr(d, k)))
    org.add_row("tck_ns", f"{d.tck_ns:.4f}")
    org.add_row("request_bytes", str(d.request_bytes))
    org.add_row("row_bytes", str(d.row_bytes))
    org.add_row("capacity_bytes", f"{d.capacity_bytes:,}")
    peak = d.request_bytes / (spec.params["nCCDS"] * d.tck_ns)
    org.add_row("peak_bandwidth_gbps", f"{peak:.3f} GB/s per channel")
    console.print(org)
    tim = Table(title="Timing")
    for col in ("parameter", "cycles", "ns", "meaning"):
        tim.add_column(col)
    for name, cycles in d.timing.items():
        tim.add_row(name, str(cycles), f"{cycles * d.tck_ns:.3f}", PARAMS[name].meaning)
    console.print(tim)
    if hw.controller is not None:
        ctl = Table(title="Controller (trace mode)", show_header=False)
        for k, v in hw.controller.model_dump().items():
            ctl.add_row(k, str(v))
        console.print(ctl)
    en = Table(title="Energy table", show_header=False)
    for k, v in hw.energy.model_dump().items():
        en.add_row(k, str(v))
    console.print(en)
    if hw.asic is not None:
        area = asic_area_mm2(hw.asic)
        adds, muls, cmps = unit_counts(hw.asic)
        size = Table(title=f"ASIC ({hw.asic.model}) area in 28 nm, mm^2 (src/pimsim/asic/area.py)", show_header=False)
        for k, v in area.items():
            size.add_row(k, f"{v:.3f}")
        size.add_row("datapath units", f"{adds} adders, {muls} multipliers, {cmps} comparators")
        console.print(size)
    return 0
