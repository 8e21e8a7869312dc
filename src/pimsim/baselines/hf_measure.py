"""A measured baseline on the standard stack: PyTorch + Hugging Face transformers, eager, batch 1.

Owns :func:`measure_hf`. The model is built from its shape in its family (``GPT2Config`` ->
``GPT2LMHeadModel``, ``LlamaConfig`` -> ``LlamaForCausalLM``, ...; random initialisation, seeded; no
weights are downloaded) on the device it runs on, cast to the
dtype, and decoded greedily with its KV cache, the way a researcher runs it with ``generate``:

- prompt pass: one forward over the ``prompt_tokens``-token prompt (the standard stack feeds a
  prompt at once; PIM-GPT feeds it token by token), ms for the whole pass and per prompt token;
- decode: ``model(next_token, past_key_values=cache)`` step by step, each step timed on its own
  between device synchronisations (``ms_per_token``, the median over every step of every repeat);
- ``generate``: ``model.generate(..., do_sample=False)`` for 1 and for ``tokens`` new tokens, timed
  whole; ``(t(tokens) - t(1)) / (tokens - 1)`` is its decode ms per token, logits processing and
  stopping checks included (``generate_ms_per_token``, median over repeats).

One warm-up of each before the timed repeats. PyTorch and transformers are imported inside the
function: pimsim neither needs nor loads them unless this is measured. Load average (CPU) before and
after, threads, versions and the attention implementation are returned as provenance.
"""

from __future__ import annotations

import os
import statistics
import time
import warnings

from pimsim.config.hf_model import hf_fields
from pimsim.errors import PimsimError

DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}
SEED = 0


def import_stack(where: str):
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise PimsimError(f"needs PyTorch and transformers (pip install torch transformers): {exc}",
                          where=where) from None
    return torch, transformers


def _load() -> float | None:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def decode_steps(model, out, steps: int, sync) -> list[float]:
    """Greedy decode steps after the forward pass ``out`` (its logits and KV cache), each timed on its
    own between device synchronisations (``sync``); ms per step."""
    cache, nxt, times = out.past_key_values, out.logits[:, -1:].argmax(-1), []
    for _ in range(steps):
        sync()
        t0 = time.perf_counter()
        out = model(input_ids=nxt, past_key_values=cache, use_cache=True)
        nxt = out.logits[:, -1:].argmax(-1)
        sync()
        times.append((time.perf_counter() - t0) * 1e3)
        cache = out.past_key_values
    return times


def build_model(torch, transformers, shape, device: str, dtype: str):
    """The model of the given shape in its Hugging Face family (``GPT2LMHeadModel`` for a GPT-2 shape,
    ``LlamaForCausalLM`` for a Llama one, ...; ``config.hf_model.hf_fields``), random weights (seeded),
    on ``device`` in ``dtype``."""
    fields = hf_fields(shape)
    cfg = transformers.AutoConfig.for_model(**fields, bos_token_id=0, eos_token_id=0)  # in any vocabulary
    torch.manual_seed(SEED)
    with torch.device(device):
        model = transformers.AutoModelForCausalLM.from_config(cfg)
    return model.to(getattr(torch, DTYPES[dtype])).eval()


def measure_hf(shape, device: str = "cpu", dtype: str = "fp32", prompt_tokens: int = 8, tokens: int = 16,
               repeats: int = 3, threads: int | None = None, where: str = "baseline") -> dict:
    """Prompt-pass and decode latency of ``shape`` on ``device`` (``cpu`` or ``cuda``)."""
    torch, transformers = import_stack(where)
    transformers.logging.set_verbosity_error()
    warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")  # cache argument renames
    if dtype not in DTYPES:
        raise PimsimError(f"expected one of {', '.join(DTYPES)}, got {dtype!r}", where=where, key="--dtype")
    for name, n in (("--prompt-tokens", prompt_tokens), ("--tokens", tokens), ("--repeats", repeats)):
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise PimsimError(f"expected an integer >= 1, got {n!r}", where=where, key=name)
    if prompt_tokens + tokens > shape.context:
        raise PimsimError(f"prompt + generated tokens ({prompt_tokens + tokens}) exceed the context of "
                          f"{shape.context}", where=where, key="--tokens")
    if device == "cuda" and not torch.cuda.is_available():
        raise PimsimError(f"no CUDA GPU found (torch {torch.__version__})", where=where)
    if threads is not None:
        torch.set_num_threads(threads)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    load_before = _load()
    with torch.inference_mode():
        model = build_model(torch, transformers, shape, device, dtype)
        gen = torch.Generator().manual_seed(SEED)
        prompt = torch.randint(0, shape.vocab, (1, prompt_tokens), generator=gen).to(device)

        def prefill():
            sync()
            t0 = time.perf_counter()
            out = model(input_ids=prompt, use_cache=True)
            sync()
            return (time.perf_counter() - t0) * 1e3, out

        def decode(out) -> list[float]:
            return decode_steps(model, out, tokens, sync)

        def generate(n: int) -> float:
            sync()
            t0 = time.perf_counter()
            model.generate(prompt, max_new_tokens=n, min_new_tokens=n, do_sample=False, pad_token_id=0)
            sync()
            return (time.perf_counter() - t0) * 1e3

        decode(prefill()[1])  # warm-up: kernels chosen, allocator primed
        generate(min(2, tokens))
        prefills, steps, gens = [], [], []
        for _ in range(repeats):
            ms, out = prefill()
            prefills.append(ms)
            steps += decode(out)
            if tokens > 1:
                gens.append((generate(tokens) - generate(1)) / (tokens - 1))
    name = torch.cuda.get_device_name() if device == "cuda" else _cpu_name()
    return {
        "ms_per_token": statistics.median(steps),
        "ms_per_token_mean": statistics.fmean(steps),
        "generate_ms_per_token": statistics.median(gens) if gens else None,
        "prompt_pass_ms": statistics.median(prefills),
        "prompt_ms_per_token": statistics.median(prefills) / prompt_tokens,
        "prompt_tokens": prompt_tokens,
        "tokens": tokens,
        "repeats": repeats,
        "dtype": dtype,
        "device": name,
        "threads": torch.get_num_threads(),
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "cuda": torch.version.cuda if device == "cuda" else None,
        "attention": getattr(model.config, "_attn_implementation", None),
        "architecture": type(model).__name__,
        "load_avg_before": load_before,
        "load_avg_after": _load(),
        "watts": None,
    }


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform
    return platform.processor() or "cpu"
