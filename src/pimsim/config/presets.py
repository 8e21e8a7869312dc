"""Shipped presets: ``<section>: {preset: NAME, ...}`` starts from presets/<section>/NAME.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pimsim.config.yamlio import load_yaml
from pimsim.config.validate import did_you_mean
from pimsim.errors import PimsimError

PRESET_DIR = Path(__file__).parent / "presets"


def preset_names(section: str) -> list[str]:
    return sorted(p.stem for p in (PRESET_DIR / section).glob("*.yaml"))


def load_preset(section: str, name: Any, where: str) -> dict[str, Any]:
    """The preset's mapping, without its ``source`` notes; unknown names list the known ones."""
    names = preset_names(section)
    if not isinstance(name, str) or name not in names:
        raise PimsimError(f"unknown preset {name!r}" + did_you_mean(str(name), names), where=where,
                          key=f"{section}.preset")
    data = load_yaml(PRESET_DIR / section / f"{name}.yaml")
    data.pop("source", None)
    return data
