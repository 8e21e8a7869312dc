"""Run sweep points on a registered executor; cache every finished point on disk at once.

Executors are registered by name (``EXECUTORS``): ``local`` runs points on a
``concurrent.futures.ProcessPoolExecutor``, ``dask`` on a dask.distributed
cluster (the optional ``pimsim[distributed]`` extra, imported only when used).
Each is a context manager yielding a runner whose ``run(fn, points)`` yields
``(point, outcome)`` as points finish, in any order.

Workers only simulate. The calling process looks every point up in the result
cache first (pimsim.cache: a point run before, by any sweep, ``run`` or
``compare``, is not run again) and writes each outcome the moment it arrives,
atomically (a temporary file in the same folder, then ``os.replace``): into
the result cache, and ``<out>/points/<run_hash>.json`` for a result,
``<out>/failed/<run_hash>.json`` for an error. A killed sweep loses only the
points that were still running. A point file holds no wall time except in its
separate ``wall_s`` field: everything else is a function of the point, so the
same point always gives the same file.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional
from urllib.parse import urlsplit

from pimsim.cache.runs import simulate_record
from pimsim.cache.store import ResultCache, write_atomic
from pimsim.errors import PimsimError
from pimsim.sweeps.spec import Point
from pimsim.workload.ops import forward_passes

POINTS_DIR = "points"
FAILED_DIR = "failed"
EXECUTORS: dict[str, Callable[..., Any]] = {}


def register(name: str):
    def add(factory):
        EXECUTORS[name] = factory
        return factory
    return add


def _one_line(exc: BaseException) -> str:
    text = str(exc) if isinstance(exc, PimsimError) else f"{type(exc).__name__}: {exc}"
    return " ".join(text.split()) or type(exc).__name__


def run_point(point: Point) -> dict[str, Any]:
    """Simulate one point (in a worker). Never raises: an error becomes ``{"ok": False, "error": ...}``."""
    t0 = time.perf_counter()
    try:
        record, _ = simulate_record(point.hw, point.resolved_workload)
        return {"ok": True, "record": record, "wall_s": round(time.perf_counter() - t0, 3)}
    except Exception as exc:  # recorded in failed/, the sweep carries on
        return {"ok": False, "error": _one_line(exc), "traceback": traceback.format_exc()}


def _worker_failure(exc: BaseException) -> dict[str, Any]:
    return {"ok": False, "error": f"the worker running it failed: {_one_line(exc)}", "traceback": ""}


class _LocalRunner:
    def __init__(self, pool: ProcessPoolExecutor) -> None:
        self.pool = pool

    def run(self, fn, points: list[Point]) -> Iterator[tuple[Point, dict[str, Any]]]:
        """Submit every point now (under fork, before any progress thread starts), then yield as they finish."""
        futures = {self.pool.submit(fn, p): p for p in points}
        return self._finished(futures)

    @staticmethod
    def _finished(futures):
        for fut in as_completed(futures):
            try:
                outcome = fut.result()
            except Exception as exc:  # e.g. BrokenProcessPool: a worker process died
                outcome = _worker_failure(exc)
            yield futures[fut], outcome


@register("local")
@contextmanager
def local_executor(workers: Optional[int] = None, address: Optional[str] = None, timeout_s: float = 10.0):
    """Worker processes on this machine (``--workers N``, default: every core)."""
    pool = ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1)
    try:
        yield _LocalRunner(pool)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class _DaskRunner:
    def __init__(self, client, as_completed_fn) -> None:
        self.client = client
        self.as_completed = as_completed_fn

    def run(self, fn, points: list[Point]) -> Iterator[tuple[Point, dict[str, Any]]]:
        futures = [self.client.submit(fn, p, key=f"pimsim-point-{p.key}", pure=False) for p in points]
        return self._finished(futures, {f.key: p for f, p in zip(futures, points)})

    def _finished(self, futures, by_key):
        try:
            for fut in self.as_completed(futures, loop=self.client.loop):
                try:
                    outcome = fut.result()
                except Exception as exc:  # e.g. KilledWorker
                    outcome = _worker_failure(exc)
                yield by_key[fut.key], outcome
        finally:
            self.client.cancel([f for f in futures if not f.done()])


def _no_scheduler(address: Optional[str], timeout_s: float, exc: BaseException) -> PimsimError:
    return PimsimError(f"no Dask scheduler answered at {address} within {timeout_s:g} s ({_one_line(exc)[:200]})",
                       where="--scheduler")


def _probe(address: str, timeout_s: float) -> None:
    """Connect and shake hands with the scheduler once, within ``timeout_s``: a dead or wrong address is a
    clean error at once (a Client would retry until its timeout, then leave a half-built object behind)."""
    import asyncio

    from distributed.comm import connect

    deadline = time.monotonic() + timeout_s
    url = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        if url.scheme == "tcp" and url.hostname and url.port:  # nothing listening: fail now, not after retries
            socket.create_connection((url.hostname, url.port), timeout=timeout_s).close()

        async def shake() -> None:
            comm = await connect(address, timeout=max(deadline - time.monotonic(), 0.1))
            await comm.close()

        asyncio.run(asyncio.wait_for(shake(), max(deadline - time.monotonic(), 0.1)))
    except Exception as exc:  # OSError, TimeoutError, ValueError (bad address), garbage from a non-Dask server
        raise _no_scheduler(address, timeout_s, exc) from None


@register("dask")
@contextmanager
def dask_executor(workers: Optional[int] = None, address: Optional[str] = None, timeout_s: float = 10.0):
    """A dask.distributed scheduler at ``address``; one that does not answer in ``timeout_s`` is an error."""
    if importlib.util.find_spec("distributed") is None:
        raise PimsimError("needs dask.distributed, the optional extra: pip install 'pimsim[distributed]'",
                          where="--scheduler")
    _probe(address or "", timeout_s)
    from dask.distributed import Client, as_completed as dask_as_completed

    try:
        client = Client(address, timeout=timeout_s, set_as_default=False)
    except Exception as exc:  # OSError, TimeoutError, ValueError for a malformed address ...
        raise _no_scheduler(address, timeout_s, exc) from None
    try:
        yield _DaskRunner(client, dask_as_completed)
    finally:
        client.close()


def point_path(out: Path, key: str) -> Path:
    return out / POINTS_DIR / f"{key}.json"


def read_point(out: Path, key: str) -> Optional[dict[str, Any]]:
    """The cached record of a finished point, or None if there is none (or it cannot be read)."""
    try:
        return json.loads(point_path(out, key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _record(point: Point) -> dict[str, Any]:
    return {"key": point.key, "workload": point.workload, "factors": point.factors, "sets": list(point.sets)}


@dataclass
class RunStats:
    total: int = 0  # distinct points (same run_hash = same point)
    cached: int = 0  # taken from this folder (--resume) or from the result cache
    done: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)  # the failure records
    wall_s: float = 0.0


def plan(points: list[Point], out: Path, resume: bool, cache: Optional[ResultCache] = None) -> tuple[list[Point], int]:
    """The distinct points still to run (biggest models first), and how many need no run: finished in
    ``out`` (with ``resume``) or held by the result ``cache`` (their point files are written now)."""
    distinct = list({p.key: p for p in reversed(points)}.values())[::-1]
    todo = []
    for p in distinct:
        if resume and read_point(out, p.key) is not None:
            continue
        record = cache.get(p.key) if cache is not None else None
        if record is None:
            todo.append(p)
            continue
        write_point(out, p, record["metrics"], wall_s=0.0)
    todo.sort(key=lambda p: -p.resolved_workload.model.total_params)  # long jobs first balance the workers
    return todo, len(distinct) - len(todo)


def write_point(out: Path, point: Point, metrics: dict[str, Any], wall_s: float) -> None:
    (out / POINTS_DIR).mkdir(parents=True, exist_ok=True)
    record = {**_record(point), "metrics": metrics, "wall_s": wall_s}
    write_atomic(point_path(out, point.key), json.dumps(record, indent=2) + "\n")


def run_points(runner, todo: list[Point], out: Path, stats: RunStats,
               progress: Optional[Callable[[RunStats, Optional[Point]], None]] = None,
               cache: Optional[ResultCache] = None) -> RunStats:
    """Run ``todo`` on ``runner``, writing each outcome as it arrives (into ``cache`` too); updates and
    returns ``stats``. ``progress(stats, point)`` once before the first point finishes (point None),
    then after each."""
    for sub in (POINTS_DIR, FAILED_DIR):
        (out / sub).mkdir(parents=True, exist_ok=True)
        for stale in (out / sub).glob(".*.tmp"):  # left by a sweep killed while writing
            stale.unlink(missing_ok=True)
    t0 = time.perf_counter()
    finished = runner.run(run_point, todo)
    if progress:
        progress(stats, None)
    for point, outcome in finished:
        failed_file = out / FAILED_DIR / f"{point.key}.json"
        if outcome["ok"]:
            if cache is not None:
                cache.put(point.key, outcome["record"])
            write_point(out, point, outcome["record"]["metrics"], outcome["wall_s"])
            failed_file.unlink(missing_ok=True)
            stats.done += 1
        else:
            record = {**_record(point), "error": outcome["error"], "traceback": outcome["traceback"]}
            write_atomic(failed_file, json.dumps(record, indent=2, sort_keys=True) + "\n")
            stats.failed.append(record)
        stats.wall_s = time.perf_counter() - t0
        if progress:
            progress(stats, point)
    return stats


def fill_cache(runner, points: list[Point], cache: ResultCache,
               progress: Optional[Callable[[int, int, Point, dict], None]] = None) -> int:
    """Run the ``points`` the result ``cache`` does not hold yet on ``runner``, all in one pool (the
    longest first, so no worker idles at the end while another finishes a big model), and store each
    outcome there as it arrives; ``progress(done, total, point, outcome)`` after each. A point that fails is
    left out: whatever runs it next reports the failure. Returns how many points ran."""
    todo = [p for p in {p.key: p for p in points}.values() if cache.get(p.key) is None]
    todo.sort(key=lambda p: -p.resolved_workload.model.total_params * forward_passes(p.resolved_workload))
    for n, (point, outcome) in enumerate(runner.run(run_point, todo), start=1):
        if outcome["ok"]:
            cache.put(point.key, outcome["record"])
        if progress:
            progress(n, len(todo), point, outcome)
    return len(todo)
