"""The Python API: what ``pimsim run`` and ``pimsim compare`` do, as functions with typed arguments
and results (docs/api.md). The CLI's commands and these functions share every step below them.

    import pimsim
    res = pimsim.simulate(model="gpt2-small", prompt_tokens=8, output_tokens=8,
                          overrides={"asic.clock_mhz": 100})
    res.metrics.ms_per_token, res.to_dict(), res.ops(), res.tokens()
    pimsim.compare(models=["gpt2-small"], baselines=["t4"])   # a pandas DataFrame

Overrides are a dict of dotted config keys with typed values; errors are :class:`pimsim.PimsimError`
with the same one-line messages as the CLI (``overrides: pim.mac_lane: unknown key ...``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Optional, Sequence, Union

from pimsim.config.hw import HwConfig, load_hwconfig
from pimsim.config.workload import WORKLOAD_DIR, Workload, resolve_workload

DEFAULT_HW = WORKLOAD_DIR.parent / "hwconfigs" / "pimgpt.yaml"
HwLike = Union[HwConfig, str, Path, None]


def load_hw(path: Union[str, Path, None] = None, overrides: Optional[dict[str, Any]] = None) -> HwConfig:
    """A validated hardware config (default: PIM-GPT, hwconfigs/pimgpt.yaml) with ``overrides``."""
    return load_hwconfig(path or DEFAULT_HW, overrides=overrides)


def _hw(hw: HwLike, overrides: Optional[dict[str, Any]]) -> HwConfig:
    if isinstance(hw, HwConfig):
        return load_hwconfig(hw.source, overrides=overrides) if overrides else hw
    return load_hw(hw, overrides)


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

    run: Any  # pimsim.sim.generation.RunResult
    summary: dict  # every metric, as summary.json holds them (plus the run's wall time)

    @property
    def metrics(self) -> Metrics:
        return Metrics(**{f.name: self.summary[f.name] for f in fields(Metrics)})

    @property
    def phases(self) -> dict:
        """Prompt and generation passes apart: passes, latency_s, ms_per_token, energy_j, j_per_token."""
        return self.summary["phases"]

    def to_dict(self) -> dict:
        return dict(self.summary)

    def ops(self):
        """A pandas DataFrame: one row per op (cycles by category, in DRAM cycles)."""
        import pandas as pd

        from pimsim.report.run_summary import op_rows

        return pd.DataFrame(op_rows(self.run)).astype({"seconds": float, "share": float})

    def tokens(self):
        """A pandas DataFrame: one row per forward pass (phase, context, cycles, ms, mJ)."""
        import pandas as pd

        from pimsim.report.run_summary import token_rows

        return pd.DataFrame(token_rows(self.run)).astype({"ms": float, "mj": float})


def _workload(model: Union[str, Path, Workload], prompt_tokens, output_tokens) -> Workload:
    if isinstance(model, Workload):
        return model
    return resolve_workload(str(model), prompt_tokens, output_tokens)


def simulate(hw: HwLike = None, model: Union[str, Path, Workload] = "gpt2-small",
             prompt_tokens: Optional[int] = None, output_tokens: Optional[int] = None,
             overrides: Optional[dict[str, Any]] = None) -> Result:
    """Simulate a whole generation of ``model`` (a shipped name, a workload YAML or a Workload) on
    ``hw`` (a config path, a HwConfig, or None for PIM-GPT), as ``pimsim run`` does."""
    import time

    from pimsim.report.run_summary import metrics
    from pimsim.sim.generation import check_dtype, simulate_generation

    config = _hw(hw, overrides)
    workload = _workload(model, prompt_tokens, output_tokens)
    check_dtype(config, workload, workload.name)
    t0 = time.perf_counter()
    res = simulate_generation(config, workload)
    return Result(res, metrics(res, time.perf_counter() - t0))


def comparison_tables(config: HwConfig, workloads: Sequence[Workload], baselines: Sequence[str],
                      announce=None) -> tuple[list[dict], list[dict], list[dict]]:
    """The three tables of a comparison: rows (model x baseline), one run row per model, one token row
    per forward pass. A bad baseline is refused before anything is simulated."""
    from pimsim.baselines.registry import baseline_estimate
    from pimsim.report.compare import comparison_rows, run_row
    from pimsim.workload.ops import generation_ops

    for b in baselines:
        baseline_estimate(b, workloads[0], passes=[])
    rows, runs, tokens = [], [], []
    tck_ms = config.dram.tck_ns * 1e-6
    for w in workloads:
        if announce:
            announce(w.name)
        result = simulate(config, w)
        passes = list(generation_ops(w))
        by_phase = {"prompt": [p for p in passes if p[1]], "generate": [p for p in passes if not p[1]]}
        rows += comparison_rows(result.summary, {b: {ph: baseline_estimate(b, w, passes=ps)
                                                     for ph, ps in by_phase.items() if ps} for b in baselines})
        runs.append(run_row(result.summary))
        tokens += [{"model": w.name, "position": t.position, "phase": "prompt" if t.prompt else "generate",
                    "ms": t.cycles * tck_ms} for t in result.run.tokens]
    return rows, runs, tokens


def compare(models: Sequence[str] = ("gpt2-small",), baselines: Sequence[str] = ("t4", "xeon-gold-6154"),
            hw: HwLike = None, prompt_tokens: Optional[int] = None, output_tokens: Optional[int] = None,
            overrides: Optional[dict[str, Any]] = None):
    """PIM against baseline devices, as ``pimsim compare`` tables it: a pandas DataFrame with one row
    per model and baseline (speedup and energy efficiency over the generation passes, the prompt
    passes beside). Nothing is written to disk."""
    import pandas as pd

    from pimsim.report.compare import COLUMNS

    config = _hw(hw, overrides)
    rows, _, _ = comparison_tables(config, [_workload(m, prompt_tokens, output_tokens) for m in models],
                                   list(baselines))
    return pd.DataFrame(rows, columns=COLUMNS)
