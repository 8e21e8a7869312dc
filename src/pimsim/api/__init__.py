"""The public Python API (docs/api.md): what every command does, as functions with typed arguments
and results. The CLI is a layer over these; they share every step below them.

    import pimsim
    res = pimsim.simulate(model="gpt2-small", prompt_tokens=8, output_tokens=8,
                          overrides={"asic.clock_mhz": 100})
    res.metrics.ms_per_token, res.to_dict(), res.ops(), res.tokens()
    pimsim.compare(models=["gpt2-small"], baselines=["t4"])        # a pandas DataFrame
    pimsim.sweep("hwconfigs/sweeps/channels.yaml", out="runs/ch")   # the results table and counts
    pimsim.trace("t.trace", hw="hwconfigs/ddr4.yaml")               # trace-mode metrics

Overrides are a dict of dotted config keys with typed values; errors are :class:`pimsim.PimsimError`
with the same one-line messages as the CLI (``overrides: pim.mac_lane: unknown key ...``). Results
come from the result cache (pimsim.cache) when it holds them; ``cache=False`` simulates anyway.

Modules: hardware.py (load_hw), runs.py (simulate), comparisons.py (compare), sweeps.py (sweep), traces.py
(trace). Each is imported on first use.
"""

_WHERE = {"load_hw": "hardware", "simulate": "runs", "Result": "runs", "Metrics": "runs", "DEFAULT_HW": "hardware",
          "result_cache": "runs", "compare": "comparisons", "comparison_tables": "comparisons",
          "sweep": "sweeps", "SweepResult": "sweeps", "trace": "traces"}
__all__ = list(_WHERE)


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'pimsim.api' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"pimsim.api.{module}"), name)
