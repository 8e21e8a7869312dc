"""The registered ASIC models (``asic.model``) and the one entry point that runs an op on one.

A model is a module with ``ASIC_OPS`` (op kind -> work function) and ``units(cfg)`` (its datapaths,
for the area estimate). ``simd``: a generic vector unit, one operation per lane per cycle.
``pipelined``: a function unit per op, pipelined, streaming its input (the default).
"""

from __future__ import annotations

import inspect
from types import ModuleType

from pimsim.asic import pipelined, simd
from pimsim.asic.work import AsicWork
from pimsim.config.pim import AsicConfig
from pimsim.config.validate import did_you_mean
from pimsim.errors import PimsimError

ASIC_MODELS: dict[str, ModuleType] = {"simd": simd, "pipelined": pipelined}


def asic_model(cfg: AsicConfig, where: str = "") -> ModuleType:
    """The model ``cfg.model`` names; an unknown name is a one-line error on ``asic.model``."""
    model = ASIC_MODELS.get(cfg.model)
    if model is None:
        raise PimsimError(f"unknown ASIC model {cfg.model!r}" + did_you_mean(cfg.model, list(ASIC_MODELS)),
                          where=where, key="asic.model")
    return model


def asic_work(kind: str, n: int, cfg: AsicConfig, **shape: int) -> AsicWork:
    """Work of op ``kind`` on n elements on the configured model; unknown kinds or shape keys are
    PimsimErrors."""
    ops = asic_model(cfg).ASIC_OPS
    fn = ops.get(kind)
    if fn is None:
        raise PimsimError(f"unknown ASIC op kind {kind!r} (known: {', '.join(sorted(ops))})")
    params = list(inspect.signature(fn).parameters.values())[2:]  # after n, cfg
    accepted = [p.name for p in params]
    for key in shape:
        if key not in accepted:
            raise PimsimError(f"unknown shape key for {kind!r} (accepted: {', '.join(accepted) or 'none'})",
                              key=key)
    for p in params:
        if p.default is inspect.Parameter.empty and p.name not in shape:
            raise PimsimError(f"op {kind!r} needs shape key {p.name!r}", key=p.name)
    return fn(n, cfg, **shape)
