"""Wall time of a 16-point `pimsim sweep` on 1 and then 2 local workers, and their ratio.

    python benchmarks/sweep_scaling.py [--model gpt2-xl] [--tokens 4] [--json]

Sixteen ASIC clocks (250..1000 MHz) for one model with ``--tokens`` prompt and
output tokens each (about 1 s a point for GPT-2 XL); every run writes a fresh
output folder in a temporary directory. The issue asks for
``ratio_2_vs_1_workers`` <= 0.6; --json prints one object with it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import yaml  # noqa: E402

from pimsim.cli.main import main as pimsim_main  # noqa: E402

CLOCKS_MHZ = [250 + 50 * i for i in range(16)]


def timed_sweep(sweep: Path, out: Path, workers: int) -> float:
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = pimsim_main(["sweep", str(sweep), "--out", str(out), "--workers", str(workers), "--json"])
    if code != 0:
        raise SystemExit(f"sweep on {workers} worker(s) failed with exit code {code}")
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="gpt2-xl")
    ap.add_argument("--tokens", type=int, default=4, help="prompt and output tokens per point")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="pimsim-sweep-scaling-") as tmp:
        sweep = Path(tmp) / "scaling.yaml"
        sweep.write_text(yaml.safe_dump({
            "name": "scaling", "base": str(ROOT / "hwconfigs" / "pimgpt.yaml"), "workloads": [args.model],
            "tokens": {"prompt": args.tokens, "output": args.tokens}, "factors": {"asic.clock_mhz": CLOCKS_MHZ}}))
        one = timed_sweep(sweep, Path(tmp) / "workers-1", 1)
        two = timed_sweep(sweep, Path(tmp) / "workers-2", 2)
        same = (Path(tmp) / "workers-1" / "results.csv").read_bytes() == (Path(tmp) / "workers-2" / "results.csv"
                                                                             ).read_bytes()
    result = {"points": len(CLOCKS_MHZ), "model": args.model, "tokens": args.tokens, "wall_s_1_worker": round(one, 2),
              "wall_s_2_workers": round(two, 2), "ratio_2_vs_1_workers": round(two / one, 3),
              "same_table": same}
    if args.json:
        print(json.dumps(result, sort_keys=True))
        return
    print(f"{result['points']} points ({args.model}, {args.tokens}+{args.tokens} tokens each): "
          f"1 worker {one:.2f} s, 2 workers {two:.2f} s")
    print(f"ratio_2_vs_1_workers {two / one:.3f}  (target <= 0.6); identical tables: {same}")


if __name__ == "__main__":
    main()
