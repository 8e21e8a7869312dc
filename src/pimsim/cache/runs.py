"""A simulated generation that is looked up in the result cache first, and stored there after.

Every command that simulates a generation goes through :func:`simulated`: ``pimsim run``,
``compare``, ``sweep`` (in its calling process: workers only simulate) and ``pimsim.simulate``.
A record read from the cache is the record a fresh simulation writes, so the files written from
it are byte-identical (tests/test_cache.py).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

from pimsim.cache.store import ResultCache
from pimsim.config.hashes import run_hash
from pimsim.report.run_summary import run_record
from pimsim.sim.generation import RunResult, simulate_generation


@dataclass(frozen=True)
class Simulated:
    record: dict[str, Any]  # metrics, ops rows, token rows (pimsim.report.run_summary.run_record)
    run: Optional[RunResult]  # None when the record came from the cache
    cached: bool
    wall_s: float  # this call's wall time (a cache hit takes milliseconds)


def simulate_record(hw, workload, passes: Optional[list] = None, ops_digest: Optional[str] = None,
                    progress: Optional[Callable[[int, int], None]] = None,
                    keep_records: bool = False) -> tuple[dict[str, Any], RunResult]:
    """Simulate and make the run's record (no cache)."""
    res = simulate_generation(hw, workload, passes=passes, progress=progress, keep_records=keep_records,
                              command_log=keep_records)
    if ops_digest is not None:
        res.extra["ops_digest"] = ops_digest
    return json.loads(json.dumps(run_record(res))), res  # the very types a cached record has


def simulated(hw, workload, cache: Optional[ResultCache], passes: Optional[list] = None,
              ops_digest: Optional[str] = None, progress: Optional[Callable[[int, int], None]] = None,
              keep_records: bool = False) -> Simulated:
    """The run of ``workload`` on ``hw``: from ``cache`` when it holds it (unless ``keep_records``,
    which needs the simulation's step records), else simulated and stored there."""
    t0 = time.perf_counter()
    key = run_hash(hw, workload, ops_digest)
    if cache is not None and not keep_records:
        record = cache.get(key)
        if record is not None:
            return Simulated(record, None, True, time.perf_counter() - t0)
    record, res = simulate_record(hw, workload, passes, ops_digest, progress, keep_records)
    if cache is not None:
        cache.put(key, record)
    return Simulated(record, res, False, time.perf_counter() - t0)
