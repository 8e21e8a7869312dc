"""``pimsim.sweep``: a design-space sweep from a sweep file, as ``pimsim sweep`` runs it.

Order of work: validate the sweep file and every point; check the output folder; take every point
the result cache holds; start the executor (a Dask scheduler that does not answer is an error here,
before anything is written); record the sweep; run the remaining points, storing each as it
finishes; write the table.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, Union

from pimsim.api.runs import CacheLike, result_cache
from pimsim.errors import PimsimError
from pimsim.sweeps.execute import EXECUTORS, RunStats, plan, run_points
from pimsim.sweeps.spec import expand_all, load_spec, sweep_hash
from pimsim.sweeps.table import check_folder, collect, write_sweep_files, write_table


@dataclass(frozen=True)
class SweepResult:
    name: str
    out: Path
    table: Any  # pandas DataFrame: one row per finished point (results.csv)
    points: int  # distinct points
    ran: int  # simulated by this call
    cached: int  # taken from the folder (resume) or the result cache
    failed: list[dict]  # {"workload", "factors", "error"} per failed point (also in <out>/failed/)
    skipped: int  # dropped as too big for their config (skip_unfit)
    executor: str
    workers: Optional[int]
    wall_s: float
    tables: list[Path]  # results.csv (and results.parquet)


def sweep(spec: Union[str, Path], out: Union[str, Path, None] = None, workers: Optional[int] = None,
          scheduler: Optional[str] = None, resume: bool = False, cache: CacheLike = True,
          connect_timeout_s: float = 10.0,
          progress: Optional[Callable[[RunStats, Any], None]] = None) -> SweepResult:
    """Run the sweep file ``spec`` into ``out`` (default reports/runs/sweep-<name>) on local worker
    processes (``workers``, default every core) or a Dask cluster (``scheduler`` address). Points the
    result cache holds are not run again. ``progress(stats, point)`` after each finished point.
    On Ctrl-C the finished points stay in ``out`` and in the cache; ``resume=True`` continues."""
    if workers is not None and workers < 1:
        raise PimsimError(f"expected at least 1, got {workers}", where="--workers")
    if not connect_timeout_s > 0:
        raise PimsimError(f"expected a positive number of seconds, got {connect_timeout_s}", where="--connect-timeout")
    t0 = time.perf_counter()
    parsed = load_spec(spec)
    points, skipped = expand_all(parsed)
    digest = sweep_hash(parsed, points)
    folder = Path(out) if out is not None else Path("reports/runs") / f"sweep-{parsed.name}"
    check_folder(folder, digest, resume)
    store = result_cache(cache)
    todo, cached = plan(points, folder, resume, store)
    stats = RunStats(total=len(todo) + cached, cached=cached)
    executor = "dask" if scheduler else "local"
    used = min(workers or os.cpu_count() or 1, max(len(todo), 1))
    with EXECUTORS[executor](workers=used, address=scheduler, timeout_s=connect_timeout_s) as runner:
        write_sweep_files(parsed, points, skipped, folder, digest)
        try:
            run_points(runner, todo, folder, stats, progress=progress, cache=store)
        except KeyboardInterrupt:
            raise KeyboardInterrupt(f"{stats.done} of {len(todo)} points finished and kept in {folder} and the "
                                    f"result cache; resume with: pimsim sweep {spec} --out {folder} --resume") from None
    tables = write_table(parsed, points, folder)
    failures = [{"workload": f["workload"], "factors": f["factors"], "error": f["error"]} for f in stats.failed]
    return SweepResult(parsed.name, folder, collect(parsed, points, folder), stats.total, stats.done, stats.cached,
                       failures, len(skipped), executor, None if scheduler else used,
                       round(time.perf_counter() - t0, 3), tables)
