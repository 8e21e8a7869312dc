"""``pimsim.compare``: PIM runs of several models beside GPU and CPU baselines."""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

from pimsim.api.runs import CacheLike, HwLike, hw_config, result_cache, simulate, workload_of
from pimsim.config.hw import HwConfig
from pimsim.config.workload import Workload


def comparison_tables(config: HwConfig, workloads: Sequence[Workload], baselines: Sequence[str],
                      announce: Optional[Callable[[Any], None]] = None,
                      cache: CacheLike = True) -> tuple[list[dict], list[dict], list[dict]]:
    """The three tables of a comparison: rows (model x baseline), one run row per model, one token row
    per forward pass; ``announce(result)`` after each model. A bad baseline is refused before anything
    is simulated. Each model's run is
    stored in the result cache as it finishes, so an interrupted comparison resumes where it was."""
    from pimsim.baselines.registry import baseline_estimate
    from pimsim.report.compare import comparison_rows, run_row
    from pimsim.workload.ops import generation_ops

    for b in baselines:
        baseline_estimate(b, workloads[0], passes=[])
    store = result_cache(cache)
    tck_ms = config.dram.tck_ns * 1e-6
    rows, runs, tokens = [], [], []
    for w in workloads:
        result = simulate(config, w, cache=store if store is not None else False)
        if announce:
            announce(result)
        summary = {**result.summary, "overrides": list(config.overrides)}
        passes = list(generation_ops(w))
        by_phase = {"prompt": [p for p in passes if p[1]], "generate": [p for p in passes if not p[1]]}
        rows += comparison_rows(summary, {b: {ph: baseline_estimate(b, w, passes=ps)
                                              for ph, ps in by_phase.items() if ps} for b in baselines})
        runs.append(run_row(summary))
        tokens += [{"model": w.name, "position": t["position"], "phase": t["phase"], "ms": t["dram_cycles"] * tck_ms}
                   for t in result.outcome.record["tokens"]]
    return rows, runs, tokens


def compare(models: Sequence[Any] = ("gpt2-small",), baselines: Sequence[str] = ("t4", "xeon-gold-6154"),
            hw: HwLike = None, prompt_tokens: Optional[int] = None, output_tokens: Optional[int] = None,
            overrides: Optional[dict[str, Any]] = None, cache: CacheLike = True):
    """PIM against baseline devices, as ``pimsim compare`` tables it: a pandas DataFrame with one row
    per model and baseline (speedup and energy efficiency over the generation passes, the prompt
    passes beside; run_hash, hw_hash, overrides and pimsim version on every row). ``baselines`` are
    names in hwconfigs/baselines/ or ``measured:FILE.csv``. Nothing is written to disk but the cache."""
    import pandas as pd

    from pimsim.report.compare import COLUMNS

    config = hw_config(hw, overrides)
    rows, _, _ = comparison_tables(config, [workload_of(m, prompt_tokens, output_tokens) for m in models],
                                   list(baselines), cache=cache)
    return pd.DataFrame(rows, columns=COLUMNS)
