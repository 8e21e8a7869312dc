"""``pimsim sweep SWEEP.yaml``: design-space sweeps (local processes or a Dask cluster).

Order of work: validate the sweep file and every point; check the output
folder; start the executor (a Dask scheduler that does not answer is an
error here, before anything is written); record the sweep; run the points,
caching each as it finishes; write the table. Exit code 0 if every point
finished, 1 if any failed (they are in ``<out>/failed/``), 2 for bad input.
"""

from __future__ import annotations

from pimsim.cli import COMMANDS

import json
import os
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from pimsim.errors import PimsimError
from pimsim.sweep.execute import EXECUTORS, RunStats, plan, run_points
from pimsim.sweep.spec import expand_all, load_spec, sweep_hash
from pimsim.sweep.table import check_folder, write_sweep_files, write_table


def register(sub) -> None:
    p = sub.add_parser("sweep", help=COMMANDS["sweep"][1])
    p.add_argument("sweep", metavar="SWEEP.yaml", help="sweep file (see hwconfigs/sweeps/)")
    p.add_argument("--workers", type=int, help="local worker processes (default: every core; not used with --scheduler)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://host:8786")
    p.add_argument("--connect-timeout", type=float, default=10.0, metavar="S",
                   help="seconds to wait for the Dask scheduler (default 10)")
    p.add_argument("--out", help="output folder (default: reports/runs/sweep-<name>)")
    p.add_argument("--resume", action="store_true", help="continue a sweep in --out; finished points are reused")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


class _Bar:
    """A rich progress bar, started on the first update (after the workers exist)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.progress = None

    def __call__(self, stats: RunStats) -> None:
        if self.progress is None:
            self.progress = Progress(TextColumn("sweep"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                                     TextColumn("{task.fields[failed]} failed"), TimeElapsedColumn(),
                                     TextColumn("left"), TimeRemainingColumn(), transient=True)
            self.progress.start()
            self.task = self.progress.add_task("sweep", total=self.total, failed=0)
        self.progress.update(self.task, completed=stats.done + len(stats.failed), failed=len(stats.failed))

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def _check_args(args) -> None:
    if args.workers is not None and args.workers < 1:
        raise PimsimError(f"expected at least 1, got {args.workers}", where="--workers")
    if not args.connect_timeout > 0:
        raise PimsimError(f"expected a positive number of seconds, got {args.connect_timeout}",
                          where="--connect-timeout")


def run(args) -> int:
    _check_args(args)
    t0 = time.perf_counter()
    spec = load_spec(args.sweep)
    points, skipped = expand_all(spec)
    digest = sweep_hash(spec, points)
    out = Path(args.out) if args.out else Path("reports/runs") / f"sweep-{spec.name}"
    check_folder(out, digest, args.resume)
    todo, cached = plan(points, out, args.resume)
    stats = RunStats(total=len(todo) + cached, cached=cached)
    executor = "dask" if args.scheduler else "local"
    workers = min(args.workers or os.cpu_count() or 1, max(len(todo), 1))
    bar = _Bar(len(todo)) if not args.json and sys.stdout.isatty() and todo else None
    with EXECUTORS[executor](workers=workers, address=args.scheduler, timeout_s=args.connect_timeout) as runner:
        write_sweep_files(spec, points, skipped, out, digest)
        try:
            run_points(runner, todo, out, stats, progress=bar)
        except KeyboardInterrupt:
            raise KeyboardInterrupt(f"{stats.done} of {len(todo)} points finished and kept in {out}; resume with: "
                                    f"pimsim sweep {args.sweep} --out {out} --resume") from None
        finally:
            if bar:
                bar.close()
    tables = write_table(spec, points, out)
    summary = {"name": spec.name, "out": str(out), "points": stats.total, "ran": stats.done, "cached": stats.cached,
               "failed": len(stats.failed), "skipped": len(skipped), "executor": executor,
               "workers": None if args.scheduler else workers, "wall_s": round(time.perf_counter() - t0, 3),
               "table": str(tables[0]),
               "failures": [{"workload": f["workload"], "factors": f["factors"], "error": f["error"]}
                            for f in stats.failed]}
    if args.json:
        print(json.dumps(summary))
    else:
        _print(summary)
    return 1 if stats.failed else 0


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
