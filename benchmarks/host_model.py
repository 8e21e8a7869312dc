"""The analytic CPU model against a real numpy forward pass on this host (the evidence behind the
CPU baselines). A wall-clock comparison, so it is a benchmark, not a test: a busy machine moves
the measured side, not the model.

    python benchmarks/host_model.py [--tokens N] [--repeats K]

Calibrates the host's achieved GEMV bandwidth and per-call overhead, predicts GPT-2 small's
ms/token with the analytic model, measures the numpy forward pass, and prints both and the
error. Medians of K repeats, each calibrating and measuring back to back.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from pimsim.baselines.analytic import estimate  # noqa: E402
from pimsim.baselines.cpu_forward import measure_cpu, measure_host  # noqa: E402
from pimsim.baselines.device import load_device  # noqa: E402
from pimsim.config.workload import resolve_workload  # noqa: E402
from pimsim.workload.ops import generation_ops  # noqa: E402


def one(tokens: int) -> tuple[float, float]:
    host = measure_host()
    device = load_device("host").model_copy(update={"memory_bandwidth_gbps": host["gemv_gbps"],
                                                    "kernel_overhead_us": host["small_gemv_us"]})
    w = resolve_workload("gpt2-small", 1, tokens)
    measured = measure_cpu(w.model, tokens=tokens, warmup=1)["ms_per_token"]
    passes = list(generation_ops(w))[:tokens]
    return estimate(device, w.name, w.model, passes).ms_per_token, measured


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    runs = [one(args.tokens) for _ in range(args.repeats)]
    predicted = statistics.median(p for p, _ in runs)
    measured = statistics.median(m for _, m in runs)
    print(f"gpt2-small: analytic {predicted:.2f} ms/token, measured {measured:.2f} ms/token, "
          f"error {predicted / measured - 1:+.1%} (medians of {args.repeats})")


if __name__ == "__main__":
    main()
