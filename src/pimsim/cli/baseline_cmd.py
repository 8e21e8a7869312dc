"""``pimsim baseline measure-cpu | measure-gpu | host-params``: measured GPU/CPU baselines.

Wiring only: the forward passes and timers live in :mod:`pimsim.baselines.cpu_forward` and
:mod:`pimsim.baselines.gpu_measure`. ``--csv`` adds one row to a measured-baseline CSV
(:mod:`pimsim.baselines.measured`: columns ``device,model,ms_per_token,watts,tokens,source``, one
row per device and model), creating the file, or replacing that device and model's earlier row.
The date appears only in that row's ``source`` column, never on stdout, so ``--json`` output
carries no wall-clock date.
"""

from __future__ import annotations

from pimsim.cli import COMMANDS

import datetime
import json
from pathlib import Path

from pimsim.baselines.measured import read_measured, write_measured
from pimsim.config.workload import resolve_workload
from pimsim.errors import PimsimError


def _gpt2_shaped(workload):
    """The measured baselines build GPT-2-shaped models; other families are refused by name."""
    changes = workload.model.family_changes()
    if changes:
        shown = ", ".join(f"{k}={v}" for k, v in changes.items())
        raise PimsimError(f"{workload.name} is not GPT-2-shaped ({shown}); the measured baselines build GPT-2 "
                          f"models only (--stack torch and pimsim compare's analytic baselines take any family)", where="--model")
    return workload


def register(sub) -> None:
    p = sub.add_parser("baseline", help=COMMANDS["baseline"][1])
    bsub = p.add_subparsers(dest="baseline_command", required=True, parser_class=type(p), help="what to do",
                            metavar="{measure-cpu,measure-gpu,host-params}")

    c = bsub.add_parser("measure-cpu", help="time a GPT forward pass per token on this host: a numpy FP32 pass, "
                                           "or Hugging Face transformers on PyTorch (--stack torch)")
    _common(c, default_tokens=16)
    c.add_argument("--stack", choices=("numpy", "torch"), default="numpy",
                   help="numpy: pimsim's own FP32 pass (default); torch: GPT2LMHeadModel, eager, KV cache")
    c.add_argument("--dtype", choices=("fp32", "bf16"), default="fp32", help="--stack torch: weights' dtype (default: fp32)")
    c.add_argument("--threads", type=int, help="--stack torch: PyTorch threads (default: all cores)")
    _torch_stack(c)
    c.add_argument("--device-name", default="host", help="the device column of the CSV row (default: host)")
    c.set_defaults(func=measure_cpu_cmd)

    g = bsub.add_parser("measure-gpu", help="time a GPT forward pass per token on the CUDA GPU")
    _common(g, default_tokens=16)
    g.add_argument("--stack", choices=("static", "torch"), default="static",
                   help="static: pimsim's BF16 step with a static KV cache, replayed as a CUDA graph (default); "
                        "torch: Hugging Face GPT2LMHeadModel, eager, KV cache")
    g.add_argument("--no-cuda-graphs", dest="cuda_graphs", action="store_false",
                   help="--stack static: run the step eagerly instead of replaying a captured CUDA graph")
    g.add_argument("--dtype", choices=("bf16", "fp16"), default="bf16", help="--stack torch: weights' dtype (default: bf16)")
    _torch_stack(g)
    g.add_argument("--device-name", help="the device column of the CSV row, e.g. h200 to match "
                                         "hwconfigs/baselines/h200.yaml (default: the GPU's name as CUDA reports it)")
    g.set_defaults(func=measure_gpu_cmd)

    h = bsub.add_parser("host-params", help="measure this host's memory bandwidth, GEMV/GEMM throughput and "
                                            "per-call overhead (numpy)")
    h.add_argument("--quick", action="store_true", help="tiny sizes (for tests: figures come from cache)")
    h.add_argument("--json", action="store_true", help="print one JSON object")
    h.add_argument("--stack", choices=("numpy", "torch"), default="numpy",
                   help="numpy: bandwidth, throughput and per-call overhead (default); torch: ops per layer and "
                        "per token of a Hugging Face decode step (profiler) and the host's time per op (a hollow "
                        "model of the same depth)")
    h.add_argument("--model", default="gpt2-small", help="--stack torch: the model whose depth and ops to measure (default: gpt2-small)")
    h.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="--stack torch: where the model runs (default: cpu)")
    h.add_argument("--dtype", choices=("fp32", "bf16", "fp16"), default="fp32", help="--stack torch: weights' dtype (default: fp32)")
    h.add_argument("--tokens", type=int, default=32,
                   help="--stack torch: timed decode steps of the hollow model (default: 32)")
    h.add_argument("--threads", type=int, help="--stack torch: PyTorch threads (default: all cores)")
    h.add_argument("--yaml", help="--stack torch: write the analytic device fields (kernels_per_layer, "
                                  "kernels_per_token, kernel_overhead_us) with their derivation to this file")
    h.set_defaults(func=host_params_cmd)


def _common(p, default_tokens: int) -> None:
    p.add_argument("--model", required=True, help="shipped workload name (e.g. gpt2-small) or workload YAML")
    p.add_argument("--tokens", type=int, default=default_tokens,
                   help=f"generated tokens to time (default: {default_tokens})")
    p.add_argument("--csv", help="add the result to this measured-baseline CSV (created if absent; an earlier row of "
                                 "the same device and model is replaced)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _torch_stack(p) -> None:
    p.add_argument("--prompt-tokens", type=int, default=8, help="--stack torch: prompt length (default: 8)")
    p.add_argument("--repeats", type=int, default=3, help="--stack torch: timed repeats after a warm-up (default: 3)")


def _hf(args, device: str, what: str) -> int:
    from pimsim.baselines.hf_measure import measure_hf

    workload = resolve_workload(args.model)
    res = measure_hf(workload.model, device, args.dtype, args.prompt_tokens, args.tokens, args.repeats,
                     getattr(args, "threads", None), where=f"baseline {what}")
    machine = res["device"]
    res.update(model=workload.name, device=args.device_name or machine)
    load = "".join(f", load {res[k]:.2f} {k[9:]}" for k in ("load_avg_before", "load_avg_after")
                   if res[k] is not None)
    desc = (f"{args.dtype}, transformers {res['transformers']} {res['architecture']} eager ({res['attention']}), "
            f"torch {res['torch']}, {res['cores']} cores, {res['threads']} threads{load}, prompt pass "
            f"{res['prompt_pass_ms']:.3f} ms for {res['prompt_tokens']} tokens"
            + (f", generate() {res['generate_ms_per_token']:.3f} ms/token" if res["generate_ms_per_token"] else ""))
    return _finish(args, res, f"pimsim baseline {what} --stack torch on {machine}, {desc}", desc)


def measure_cpu_cmd(args) -> int:
    from pimsim.baselines.cpu_forward import measure_cpu

    if args.stack == "torch":
        return _hf(args, "cpu", "measure-cpu")
    workload = _gpt2_shaped(resolve_workload(args.model))
    res = measure_cpu(workload.model, args.tokens)
    res.update(model=workload.name, device=args.device_name)
    what = f"fp32, numpy {res['numpy']}, {res['blas']}, {res['threads']} threads"
    if res["load_avg_1m"] is not None:
        what += f", load {res['load_avg_1m']:.2f}"
    return _finish(args, res, f"pimsim baseline measure-cpu, {what}", f"CPU {what}")


def measure_gpu_cmd(args) -> int:
    from pimsim.baselines.gpu_measure import measure_gpu

    if args.stack == "torch":
        return _hf(args, "cuda", "measure-gpu")
    workload = _gpt2_shaped(resolve_workload(args.model))
    res = measure_gpu(workload.model, args.tokens, cuda_graphs=args.cuda_graphs)
    res.update(model=workload.name, device=args.device_name or res["device"])
    mode = "CUDA graphs" if res["cuda_graphs"] else "eager"
    source = f"pimsim baseline measure-gpu, bf16, torch {res['torch']}, CUDA {res['cuda']}, {mode}"
    return _finish(args, res, source, f"GPU bf16, torch {res['torch']}, {mode}")


def _finish(args, res: dict, source: str, what: str) -> int:
    if args.csv:
        _update_csv(Path(args.csv), res, f"{source}, {datetime.date.today().isoformat()}")
    if args.json:
        print(json.dumps(res, sort_keys=True))
        return 0
    watts = f", {res['watts']:.0f} W" if res.get("watts") is not None else ""
    print(f"{res['model']} on {res['device']} ({what}): {res['ms_per_token']:.3f} ms/token median "
          f"(mean {res['ms_per_token_mean']:.3f}) over {res['tokens']} tokens{watts}")
    if args.csv:
        print(f"written to {args.csv}")
    return 0


def _update_csv(path: Path, res: dict, source: str) -> None:
    """Add the row to a measured-baseline CSV, replacing an earlier row of the same (device, model)."""
    row = {"device": res["device"], "model": res["model"], "ms_per_token": f"{res['ms_per_token']:.6g}",
           "watts": None if res.get("watts") is None else f"{res['watts']:.4g}", "tokens": res["tokens"],
           "source": source}
    rows = read_measured(path) if path.is_file() and path.stat().st_size > 0 else []
    rows = [r for r in rows if (r["device"], r["model"]) != (row["device"], row["model"])] + [row]
    try:
        write_measured(path, rows)
    except OSError as exc:
        raise PimsimError(f"cannot write: {exc.strerror or exc}", where=str(path)) from None


def torch_host_params_cmd(args) -> int:
    from pimsim.baselines.hf_ops import torch_host_params, yaml_fragment

    workload = resolve_workload(args.model)
    res = torch_host_params(workload.model, args.device, args.dtype, args.tokens, args.threads)
    text = yaml_fragment(res, workload.name)
    if args.yaml:
        try:
            Path(args.yaml).write_text(text)
        except OSError as exc:
            raise PimsimError(f"cannot write: {exc.strerror or exc}", where=args.yaml) from None
    if args.json:
        print(json.dumps(res, sort_keys=True))
        return 0
    print(f"{workload.name} on {res['device']} ({res['dtype']}, torch {res['torch']}, transformers "
          f"{res['transformers']}, {res['threads']} threads): {res['ops_per_layer']} {res['what']} per layer, "
          f"{res['ops_per_token']} per token; hollow step {res['hollow_step_ms']:.3f} ms = {res['us_per_op']:.2f} us "
          f"per op")
    print(text, end="")
    return 0


def host_params_cmd(args) -> int:
    from pimsim.baselines.cpu_forward import measure_host

    if args.stack == "torch":
        return torch_host_params_cmd(args)
    res = measure_host(quick=args.quick)
    if args.json:
        print(json.dumps(res, sort_keys=True))
        return 0
    sizes = res["sizes"]
    load = f", load {res['load_avg_1m']:.2f}" if res["load_avg_1m"] is not None else ""
    print(f"host: {res['threads']} threads{load}, numpy {res['numpy']}, {res['blas']}"
          f"{' (quick sizes: cache, not DRAM)' if res['quick'] else ''}")
    print(f"  memory read   {res['mem_read_gbps']:8.2f} GB/s   (sum of a {sizes['mem_mb']} MB float32 array)")
    print(f"  memory copy   {res['mem_copy_gbps']:8.2f} GB/s   (read + write, {sizes['mem_mb']} MB)")
    print(f"  FP32 GEMV     {res['gemv_gflops']:8.2f} GFLOP/s ({res['gemv_gbps']:.2f} GB/s of weights, "
          f"{sizes['gemv_n']}x{sizes['gemv_n']})")
    print(f"  FP32 GEMM     {res['gemm_gflops']:8.2f} GFLOP/s ({sizes['gemm_n']}^3)")
    print(f"  numpy op      {res['op_overhead_us']:8.3f} us per call (4-element add)")
    print(f"  8x8 GEMV      {res['small_gemv_us']:8.3f} us per call")
    return 0
