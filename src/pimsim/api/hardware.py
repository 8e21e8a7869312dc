"""``pimsim.load_hw``: a validated hardware config, and how the API takes one (a path, a HwConfig or
None for PIM-GPT). Kept apart from ``api.runs`` so that trace mode loads no generation machinery."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence, Union

from pimsim.config.hw import HwConfig, load_hwconfig
from pimsim.config.workload import WORKLOAD_DIR

DEFAULT_HW = WORKLOAD_DIR.parent / "hwconfigs" / "pimgpt.yaml"
HwLike = Union[HwConfig, str, Path, None]


def load_hw(path: Union[str, Path, None] = None, overrides: Optional[dict[str, Any]] = None,
            sets: Sequence[str] = ()) -> HwConfig:
    """A validated hardware config (default: PIM-GPT, hwconfigs/pimgpt.yaml) with ``overrides`` (a
    dict of dotted keys, typed values) and ``sets`` (``--set`` strings, ``"key=value"``)."""
    return load_hwconfig(path or DEFAULT_HW, list(sets), overrides=overrides)


def hw_config(hw: HwLike, overrides: Optional[dict[str, Any]] = None) -> HwConfig:
    """``hw`` as a HwConfig: a path (None: PIM-GPT) or a HwConfig, with ``overrides`` laid over it."""
    if isinstance(hw, HwConfig):
        if not overrides:
            return hw
        return load_hwconfig(hw.source, list(hw.overrides), overrides=overrides)
    return load_hw(hw, overrides)
