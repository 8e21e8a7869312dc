"""``pimsim.load_hw`` and ``pimsim.simulate``: a hardware config, and a simulated generation."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Callable, Optional, Sequence, Union

from pimsim.api.hardware import DEFAULT_HW, HwLike, hw_config, load_hw  # noqa: F401 (re-exported)
from pimsim.cache.runs import Simulated, simulated
from pimsim.cache.store import ResultCache
from pimsim.config.hashes import digest
from pimsim.config.hw import HwConfig
from pimsim.config.workload import Generation, Workload, resolve_workload
from pimsim.errors import PimsimError

CacheLike = Union[bool, str, Path, ResultCache, None]


def result_cache(cache: CacheLike) -> Optional[ResultCache]:
    """True: the default cache ($PIMSIM_CACHE_DIR, else ~/.cache/pimsim); a path: a cache there;
    False or None: none."""
    if isinstance(cache, ResultCache):
        return cache
    if cache is True:
        return ResultCache()
    if not cache:
        return None
    return ResultCache(cache)


@dataclass(frozen=True)
class Metrics:
    """The headline numbers of a run (``Result.to_dict()`` has every metric)."""

    ms_per_token: float  # simulated time per forward pass
    tokens_per_s: float
    latency_s: float
    j_per_token: float
    energy_j: float
    row_hit_rate: float
    mac_utilization: float
    vmm_share: float  # the GEMV and attention instructions' share of the latency
    total_cycles: int
    forward_passes: int


@dataclass(frozen=True)
class Result:
    """A simulated generation: its metrics, and its per-op and per-pass tables."""

    hw: HwConfig
    workload: Workload
    outcome: Simulated

    @property
    def summary(self) -> dict:
        """Every metric, as summary.json holds them (without the overrides: see ``to_dict``)."""
        return self.outcome.record["metrics"]

    @property
    def metrics(self) -> Metrics:
        return Metrics(**{f.name: self.summary[f.name] for f in fields(Metrics)})

    @property
    def phases(self) -> dict:
        """Prompt and generation passes apart: passes, latency_s, ms_per_token, energy_j, j_per_token."""
        return self.summary["phases"]

    @property
    def run_hash(self) -> str:
        return self.summary["run_hash"]

    @property
    def hw_hash(self) -> str:
        return self.summary["hw_hash"]

    @property
    def cached(self) -> bool:
        """Whether the result was read from the result cache rather than simulated."""
        return self.outcome.cached

    @property
    def wall_s(self) -> float:
        return self.outcome.wall_s

    @property
    def run(self):
        """The simulation's RunResult (None when the result came from the cache)."""
        return self.outcome.run

    def to_dict(self) -> dict:
        """summary.json's content: every metric, and the overrides."""
        return {**self.summary, "overrides": list(self.hw.overrides)}

    def ops(self):
        """A pandas DataFrame: one row per op (cycles by category, in DRAM cycles)."""
        import pandas as pd

        return pd.DataFrame(self.outcome.record["ops"]).astype({"seconds": float, "share": float})

    def tokens(self):
        """A pandas DataFrame: one row per forward pass (phase, context, cycles, ms, mJ)."""
        import pandas as pd

        return pd.DataFrame(self.outcome.record["tokens"]).astype({"ms": float, "mj": float})

    def write(self, folder: Union[str, Path]) -> Path:
        """Write the run folder (config.json, ops.csv, tokens.csv, summary.json, summary.md)."""
        from pimsim.report.run_summary import write_run

        write_run(Path(folder), self.outcome.record, self.hw, self.workload)
        return Path(folder)


def workload_of(model: Union[str, Path, Workload], prompt_tokens=None, output_tokens=None, batch=None,
                kv_cache=None) -> Workload:
    if isinstance(model, Workload):
        return model
    return resolve_workload(str(model), prompt_tokens, output_tokens, batch, kv_cache)


def trace_workload(path: Union[str, Path]) -> tuple[Workload, list, str]:
    """An op trace as a workload (token counts taken from it), its passes, and its digest."""
    from pimsim.workload.optrace import op_record, read_op_trace

    model, passes = read_op_trace(path)
    prompt = sum(1 for _, is_prompt, _ in passes if is_prompt)
    logits = sum(1 for _, _, ops in passes if any(op.kind == "argmax" for op in ops))
    batch = max((op.batch for _, _, ops in passes for op in ops), default=1)
    gen = Generation(prompt_tokens=max(prompt, 1), output_tokens=logits, batch=batch, dtype="bf16")
    ops_digest = digest([op_record(p, is_prompt, op) for p, is_prompt, ops in passes for op in ops])
    return Workload(name=Path(path).stem, source=str(path), model=model, generation=gen), passes, ops_digest


def simulate(hw: HwLike = None, model: Union[str, Path, Workload] = "gpt2-small",
             prompt_tokens: Optional[int] = None, output_tokens: Optional[int] = None,
             overrides: Optional[dict[str, Any]] = None, *, ops: Union[str, Path, None] = None,
             cache: CacheLike = True, timeline: bool = False,
             progress: Optional[Callable[[int, int], None]] = None, batch: Optional[int] = None,
             kv_cache: Optional[str] = None) -> Result:
    """Simulate a whole generation of ``model`` (a shipped name, a workload YAML or a Workload) on
    ``hw`` (a config path, a HwConfig, or None for PIM-GPT), as ``pimsim run`` does.

    ``ops``: an op trace (JSON Lines, pimsim.workload.optrace) to simulate instead of ``model``.
    ``cache``: where results are looked up and stored (see :func:`result_cache`). ``timeline``:
    keep every step record (``res.run.extra["records"]``, for a timeline); it always simulates.
    ``progress(i, n)`` is called after each forward pass that is simulated. ``batch`` and ``kv_cache``
    replace the workload's generation settings (sequences in lockstep; KV cache for the whole
    ``context`` or the ``run``'s tokens)."""
    from pimsim.sim.generation import check_dtype

    config = hw_config(hw, overrides)
    passes = digest_of = None
    if ops is not None:
        if any(v is not None for v in (prompt_tokens, output_tokens, batch, kv_cache)):
            raise PimsimError("token counts and the batch come from the op trace", where="--ops")
        workload, passes, digest_of = trace_workload(ops)
    else:
        workload = workload_of(model, prompt_tokens, output_tokens, batch, kv_cache)
        written = str(model) if isinstance(model, (str, Path)) else ""
        check_dtype(config, workload, written if written.endswith((".yaml", ".yml", ".json")) else f"workloads/{workload.name}.yaml")
    for section in ("pim", "asic", "sim"):
        config.require(section)
    outcome = simulated(config, workload, result_cache(cache), passes=passes, ops_digest=digest_of,
                        progress=progress, keep_records=timeline)
    return Result(config, workload, outcome)
