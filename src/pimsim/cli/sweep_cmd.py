"""``pimsim sweep SWEEP.yaml``: design-space sweeps (local processes or a Dask cluster), over
``pimsim.sweep`` (src/pimsim/api/sweeps.py says the order of work). Exit code 0 if every point
finished, 1 if any failed (they are in ``<out>/failed/``), 2 for bad input. Progress: a bar on a
terminal, a plain line per finished point on stderr otherwise (logs, CI, nohup)."""

from __future__ import annotations

from pimsim.cli import COMMANDS

import json
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from pimsim.api.sweeps import sweep


def register(sub) -> None:
    p = sub.add_parser("sweep", help=COMMANDS["sweep"][1])
    p.add_argument("sweep", metavar="SWEEP.yaml", help="sweep file (see hwconfigs/sweeps/)")
    p.add_argument("--workers", type=int, help="local worker processes (default: every core; not used with --scheduler)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://host:8786")
    p.add_argument("--connect-timeout", type=float, default=10.0, metavar="S",
                   help="seconds to wait for the Dask scheduler (default 10)")
    p.add_argument("--out", help="output folder (default: reports/runs/sweep-<name>)")
    p.add_argument("--resume", action="store_true", help="continue a sweep in --out; finished points are reused")
    p.add_argument("--no-cache", action="store_true",
                   help="run every point even when the result cache holds it (default: use the cache)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


class _Bar:
    """A rich progress bar, started on the first update (after the workers exist)."""

    def __init__(self) -> None:
        self.progress = None

    def __call__(self, stats, point) -> None:
        if self.progress is None:
            self.total = stats.total - stats.cached
            self.progress = Progress(TextColumn("sweep"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                                     TextColumn("{task.fields[failed]} failed"), TimeElapsedColumn(),
                                     TextColumn("left"), TimeRemainingColumn(), transient=True)
            self.progress.start()
            self.task = self.progress.add_task("sweep", total=self.total, failed=0)
        self.progress.update(self.task, completed=stats.done + len(stats.failed), failed=len(stats.failed))

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def _lines(stats, point) -> None:
    """Progress as plain lines on stderr, when stdout is not a terminal."""
    if point is None:
        print(f"sweep: {stats.total} points, {stats.cached} cached; running the rest", file=sys.stderr, flush=True)
        return
    shown = ", ".join(f"{k}={v}" for k, v in point.factors.items())
    state = "failed" if stats.failed and stats.failed[-1]["key"] == point.key else "done"
    print(f"[{stats.done + len(stats.failed) + stats.cached}/{stats.total}] {point.workload} {shown}: {state} "
          f"({stats.wall_s:.1f} s)", file=sys.stderr, flush=True)


def run(args) -> int:
    if sys.stdout.isatty() and not args.json:
        bar = _Bar()
        progress = bar
    else:
        bar, progress = None, (None if args.json else _lines)
    try:
        res = sweep(args.sweep, out=args.out, workers=args.workers, scheduler=args.scheduler, resume=args.resume,
                    cache=not args.no_cache, connect_timeout_s=args.connect_timeout, progress=progress)
    finally:
        if bar:
            bar.close()
    summary = {"name": res.name, "out": str(res.out), "points": res.points, "ran": res.ran, "cached": res.cached,
               "failed": len(res.failed), "skipped": res.skipped, "executor": res.executor, "workers": res.workers,
               "wall_s": res.wall_s, "table": str(res.tables[0]), "failures": res.failed}
    if args.json:
        print(json.dumps(summary))
    else:
        _print(summary)
    return 1 if res.failed else 0


def _print(s: dict) -> None:
    console = Console(highlight=False, soft_wrap=True)
    n = s["workers"]
    where = f"{n} local worker{'s' if n != 1 else ''}" if n else "a Dask cluster"
    console.print(f"sweep {s['name']}: {s['points']} points on {where}: {s['ran']} done, {s['cached']} cached, "
                  f"{s['failed']} failed, {s['skipped']} skipped as too big, in {s['wall_s']:.1f} s")
    if s["skipped"]:
        console.print(f"  the skipped points are listed in {Path(s['out']) / 'sweep.yaml'}")
    for f in s["failures"]:
        shown = ", ".join(f"{k}={v}" for k, v in f["factors"].items())
        console.print(f"  failed: {f['workload']} {shown}: {f['error']}")
    console.print(f"table: {s['table']}")
