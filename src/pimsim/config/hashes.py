"""The two hashes every output carries, and how overrides are written down.

``hw_hash``: the resolved hardware config (``HwConfig.hw_hash``): two configs with the same hash
simulate the same machine, however they were written (file, preset, ``--set``, API overrides).
``run_hash``: everything that determines a run's result: the resolved hardware config, the
resolved workload (model shape and token counts), the op trace when one is given, and the pimsim
version. It names the result cache's entries (pimsim.cache), the default run folder, the sweep's
point files, and it is a column of every comparison and sweep table, so any output leads to the
others. Both are the first 16 hex digits of a sha256 over canonical JSON.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Optional

from pimsim import __version__
from pimsim.config.workload import Workload

HASH_DIGITS = 16


def digest(data: Any) -> str:
    """The first 16 hex digits of the sha256 of ``data`` as canonical JSON."""
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:HASH_DIGITS]


def run_hash(hw, workload: Workload, ops_digest: Optional[str] = None) -> str:
    """What determines a run: resolved hardware, resolved workload, op trace (if any), version."""
    # family fields left at their (GPT-2) defaults are omitted: adding a field keeps old hashes
    data = {"hw": hw.resolved(), "workload": workload.model_dump(mode="json", exclude_defaults=True),
            "pimsim": __version__}
    if ops_digest is not None:
        data["ops"] = ops_digest
    return digest(data)


def show_value(value: Any) -> str:
    """A typed override value as it would be written after ``--set key=`` (floats keep their repr)."""
    return repr(value) if isinstance(value, float) else json.dumps(value)


def override_list(sets=(), overrides: Optional[dict[str, Any]] = None) -> tuple[str, ...]:
    """``--set`` strings and API overrides as one list of ``key=value`` strings, in the order applied."""
    return tuple(sets) + tuple(f"{k}={show_value(v)}" for k, v in (overrides or {}).items())
