"""Measure the 8 PIM-GPT models on this machine's CUDA GPU, every way ``pimsim baseline measure-gpu`` can,
into one measured-baseline CSV (one device name per way) and a log of the JSON results.

    python benchmarks/gpu_baselines.py --out DIR [--prefix h200] [--models all] [--prompt-tokens 64] [--tokens 64]

Ways (device column ``PREFIX-WAY``): ``torch-bf16`` and ``torch-fp16`` (Hugging Face GPT2LMHeadModel,
eager, KV cache: the stack the PIM-GPT paper compared against), ``static-eager`` and ``static-graphs``
(pimsim's BF16 step with a static KV cache, launched eagerly or replayed as one CUDA graph per token:
how far the same arithmetic goes without framework overhead). Every result is written as soon as it
is measured, so a run cut short keeps what it finished.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pimsim.cli.compare_cmd import PAPER_MODELS  # noqa: E402
from pimsim.cli.main import main  # noqa: E402

WAYS = {
    "torch-bf16": ["--stack", "torch", "--dtype", "bf16"],
    "torch-fp16": ["--stack", "torch", "--dtype", "fp16"],
    "static-eager": ["--stack", "static", "--no-cuda-graphs"],
    "static-graphs": ["--stack", "static"],
}


def run() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--prefix", default="h200")
    ap.add_argument("--models", default="all")
    ap.add_argument("--ways", default=",".join(WAYS))
    ap.add_argument("--prompt-tokens", type=int, default=64)
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    csv_path, log = out / "measured.csv", (out / "results.jsonl").open("a")
    models = PAPER_MODELS if args.models == "all" else args.models.split(",")
    for model in models:
        for way in args.ways.split(","):
            argv = ["baseline", "measure-gpu", "--model", model, "--tokens", str(args.tokens), "--csv", str(csv_path),
                    "--device-name", f"{args.prefix}-{way}", "--json", *WAYS[way]]
            if way.startswith("torch"):
                argv += ["--prompt-tokens", str(args.prompt_tokens), "--repeats", str(args.repeats)]
            t0, buf = time.perf_counter(), io.StringIO()
            with contextlib.redirect_stdout(buf):
                rc = main(argv)
            line = buf.getvalue().strip()
            log.write(line + "\n")
            log.flush()
            print(f"{model} {way}: rc {rc}, {time.perf_counter() - t0:.1f} s, {line[:200]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(run())
