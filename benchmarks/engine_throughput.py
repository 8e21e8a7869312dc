"""Channel-engine throughput: simulated DRAM commands per wall second on a GEMV-heavy program.

    python benchmarks/engine_throughput.py [--columns N] [--reference-columns M] [--repeats K] [--json]

The program is what a large GEMV becomes on one PIM-GPT channel: input
chunks into the global buffer, then all-bank row bursts (ACT16, 64 MAC16,
RDMAC, PREA), with all-bank refresh. A macro-command counts as the single
commands it stands for. The fast engine runs the whole program (>= 10 M
column commands) with reuse of identical work off and on; the per-command
reference engine runs a shorter prefix of the same stream. Medians of K
repeats.

Reuse off: nothing learnt carries from one macro-command to the next, so
every chunk's row bursts are worked out from scratch. Within one macro the
closed forms still apply: runs of identical commands, units jumped by their
period up to the next refresh, the units a refresh interrupts simulated once
for all the refresh phases (and cut positions along a run) that go the same
way, and cycles of refresh intervals jumped whole (pimsim.pim.bursts). Reuse
on: outcomes also carry across macros and programs (the same chunk, again).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from pimsim.config import load_hwconfig  # noqa: E402
from pimsim.pim.channel import FastChannel, ReferenceChannel  # noqa: E402
from pimsim.pim.commands import build_pim_spec  # noqa: E402
from pimsim.mapping.macro import GbWrite, MacRead, MacRows, command_count  # noqa: E402


def gemv_program(columns: int) -> tuple:
    """Chunks of 1500 rows x 64 MAC columns until ``columns`` MAC columns are reached."""
    per_chunk = 1500 * 64
    chunks = max(1, -(-columns // per_chunk))
    return tuple(m for _ in range(chunks) for m in (GbWrite(64), MacRows(0, 1500, 64, 1), MacRead(2)))


def timed(make, program, repeats):
    times, end, counts = [], 0, None
    for _ in range(repeats):
        ch = make()
        t0 = time.perf_counter()
        end = ch.run(program, 0)
        times.append(time.perf_counter() - t0)
        counts = ch.command_counts()
    return statistics.median(times), end, counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--columns", type=int, default=10_000_000, help="MAC column commands in the fast runs")
    ap.add_argument("--reference-columns", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    hw = load_hwconfig(ROOT / "hwconfigs/pimgpt.yaml")
    spec = build_pim_spec(hw.dram.model_copy(update={"channels": 1}), hw.pim)
    big, small = gemv_program(args.columns), gemv_program(args.reference_columns)
    small = (small[0], MacRows(0, max(1, args.reference_columns // 64), 64, 1), small[2])
    n_big, n_small = command_count(big), command_count(small)

    off_s, end_off, counts_off = timed(lambda: FastChannel(spec, reuse=False), big, args.repeats)
    on_s, end_on, counts_on = timed(lambda: FastChannel(spec, reuse=True), big, args.repeats)
    assert (end_on, counts_on) == (end_off, counts_off), "reuse changed the result"
    ref_s, end_ref, _ = timed(lambda: ReferenceChannel(spec), small, 1)
    fast_small_s, end_fs, _ = timed(lambda: FastChannel(spec), small, 1)
    assert end_ref == end_fs, "fast and reference engines disagree"
    out = {
        "commands": n_big,
        "mac_columns": counts_on["MAC16"],
        "simulated_cycles": end_on,
        "fast_cmds_per_s": round(n_big / off_s),
        "fast_reuse_cmds_per_s": round(n_big / on_s),
        "reference_cmds_per_s": round(n_small / ref_s),
        "reference_commands": n_small,
        "fast_wall_s": round(off_s, 3),
        "fast_reuse_wall_s": round(on_s, 3),
        "reference_wall_s": round(ref_s, 3),
    }
    if args.json:
        print(json.dumps(out, sort_keys=True))
        return
    print(f"GEMV-heavy program: {n_big:,} commands ({out['mac_columns']:,} MAC16), {end_on:,} cycles")
    print(f"  fast, reuse off   {out['fast_cmds_per_s']:>14,} commands/s  ({off_s:.2f} s, median of {args.repeats})")
    print(f"  fast, reuse on    {out['fast_reuse_cmds_per_s']:>14,} commands/s  ({on_s:.2f} s, median of {args.repeats})")
    print(f"  reference         {out['reference_cmds_per_s']:>14,} commands/s  ({n_small:,} commands, {ref_s:.2f} s)")


if __name__ == "__main__":
    main()
