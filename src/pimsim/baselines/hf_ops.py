"""What one decode step of the standard stack costs the host: ops counted, and the fixed cost per op.

Owns :func:`torch_host_params`. On the model's Hugging Face family (``GPT2LMHeadModel``,
``LlamaForCausalLM``, ...; eager PyTorch, KV cache, batch 1):

- **ops per layer and per token**, counted with the PyTorch profiler over one decode step of the
  model built with 1 and with 2 layers (same widths): per layer = count(2) - count(1), per token =
  count(1) - per layer. On the CPU the count is the top-level ATen operators (what the dispatcher
  runs; operators nested in another are part of it); on a CUDA GPU it is the kernels launched.
- **seconds per op**: a hollow model of the same depth (every width 8, vocabulary 8), so that its
  arithmetic and memory traffic vanish and a decode step is the host's fixed cost alone; the
  median step over ``tokens`` steps, divided by the step's op count.

These are the three numbers the analytic backend takes (``kernels_per_layer``,
``kernels_per_token``, ``kernel_overhead_us``): :func:`yaml_fragment` writes them with their
derivation. PyTorch and transformers are imported inside the functions.
"""

from __future__ import annotations

import statistics
import warnings

from pimsim.baselines.hf_measure import build_model, decode_steps, import_stack
from pimsim.config.workload import ModelShape

HOLLOW = 8  # every width of the hollow model


def _shape(shape: ModelShape, layers: int, hollow: bool = False) -> ModelShape:
    if hollow:  # the same family, every width 8 (one head; partial rotary on 2 of its 8 features)
        family = shape.family_changes()
        family.update({k: 1 for k in ("kv_heads",) if k in family})
        family.update({k: 2 for k in ("rotary_dims",) if k in family})
        return ModelShape(layers=layers, d_model=HOLLOW, heads=1, d_head=HOLLOW, d_ff=HOLLOW, vocab=HOLLOW,
                          context=shape.context, tied_embeddings=shape.tied_embeddings, **family)
    return shape.model_copy(update={"layers": layers})


def _first_pass(torch, model, device):
    """A 4-token prompt's forward pass: the logits and KV cache a decode step starts from."""
    return model(input_ids=torch.zeros(1, 4, dtype=torch.long, device=device), use_cache=True)


def _count(torch, transformers, shape, device, dtype) -> int:
    from torch.profiler import ProfilerActivity, profile

    model = build_model(torch, transformers, shape, device, dtype)
    cuda = device == "cuda"
    with torch.inference_mode():
        out = _first_pass(torch, model, device)
        cache, nxt = out.past_key_values, out.logits[:, -1:].argmax(-1)
        if cuda:
            torch.cuda.synchronize()
        acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
        with profile(activities=acts) as prof:
            out = model(input_ids=nxt, past_key_values=cache, use_cache=True)
            out.logits[:, -1:].argmax(-1)
            if cuda:
                torch.cuda.synchronize()
    events = prof.events()
    if cuda:
        return sum(1 for e in events if str(e.device_type).endswith("CUDA"))
    return sum(1 for e in events if e.name.startswith("aten::")
               and (e.cpu_parent is None or not e.cpu_parent.name.startswith("aten::")))


def _step_ms(torch, transformers, shape, device, dtype, tokens: int) -> float:
    model = build_model(torch, transformers, shape, device, dtype)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    with torch.inference_mode():
        times = decode_steps(model, _first_pass(torch, model, device), tokens + 3, sync)
    return statistics.median(times[3:])  # the first 3 steps warm up


def torch_host_params(shape: ModelShape, device: str = "cpu", dtype: str = "fp32", tokens: int = 32,
                      threads: int | None = None, where: str = "baseline host-params") -> dict:
    torch, transformers = import_stack(where)
    transformers.logging.set_verbosity_error()
    warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")
    if threads is not None:
        torch.set_num_threads(threads)
    one, two = (_count(torch, transformers, _shape(shape, n), device, dtype) for n in (1, 2))
    per_layer, per_token = two - one, 2 * one - two
    step_ms = _step_ms(torch, transformers, _shape(shape, shape.layers, hollow=True), device, dtype, tokens)
    ops = per_layer * shape.layers + per_token
    return {
        "what": "CUDA kernels" if device == "cuda" else "top-level ATen operators",
        "ops_per_layer": per_layer, "ops_per_token": per_token, "ops_per_step": ops,
        "hollow_step_ms": step_ms, "us_per_op": step_ms * 1e3 / ops, "layers": shape.layers,
        "device": torch.cuda.get_device_name() if device == "cuda" else "cpu", "dtype": dtype,
        "architecture": type(build_model(torch, transformers, _shape(shape, 1, hollow=True), "cpu", "fp32")).__name__,
        "threads": torch.get_num_threads(), "torch": torch.__version__, "transformers": transformers.__version__,
    }


def yaml_fragment(res: dict, model: str) -> str:
    """The analytic backend's three overhead fields, each with how it was measured."""
    how = (f"{res['what']} of one decode step, torch profiler, Hugging Face {res['architecture']} eager "
           f"({res['dtype']}, torch {res['torch']}, transformers {res['transformers']}, {res['threads']} threads)")
    return (f"kernels_per_layer: {res['ops_per_layer']}    # measured: {how}, 2-layer minus 1-layer model\n"
            f"kernels_per_token: {res['ops_per_token']}    # measured: the same, outside the layers\n"
            f"kernel_overhead_us: {res['us_per_op']:.2f}  # measured: hollow {model} ({res['layers']} layers, widths "
            f"{HOLLOW}) decode step {res['hollow_step_ms']:.3f} ms / {res['ops_per_step']} ops\n")
