"""Sweep files: the schema, its validation, and expansion into points (nothing runs here).

A sweep file (YAML)::

    name: channels                    # names the default output folder, reports/runs/sweep-<name>
    base: ../pimgpt.yaml              # hardware config, relative to the sweep file
    workloads: [gpt2-small, gpt2-xl]  # shipped names or YAML paths (relative to the sweep file)
    tokens: {prompt: 4, output: 4}    # optional; default: each workload's own counts
    mode: grid                        # grid (default): every combination; zip: the i-th values together
    factors:                          # dotted hardware-config keys -> lists of plain values
      dram.channels: [1, 2, 4, 8, 16]
      generation.batch: [1, 8]        # generation.* keys set the workloads' generation (GENERATION_KEYS)
      preset: [slow_asic]             # the special factor: names of entries of presets
    presets:                          # optional named bundles of settings (derived keys live here)
      slow_asic: {asic.clock_mhz: 100, asic.vector_lanes: 8}
    skip_unfit: false                 # true: drop the points whose model does not fit the DRAM

Values are scalars taken as written; nothing in a sweep file is ever evaluated.
Every point is validated before anything runs, by building its HwConfig and
placing its model; the first invalid point is a one-line error naming its
factor values and the failing key. A point's key is its run_hash (its resolved
hardware config, its resolved workload and the pimsim version).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from pimsim.config.hashes import run_hash, show_value as _show
from pimsim.config.hw import HwConfig, build_hwconfig
from pimsim.config.timing import ALIASES, NS_KEYS, PARAMS
from pimsim.config.validate import did_you_mean, validate
from pimsim.config.workload import Generation, Workload, resolve_workload, workload_names
from pimsim.config.yamlio import load_yaml
from pimsim.errors import PimsimError
from pimsim.sim.generation import place_workload

PRESET = "preset"  # the factor whose values name entries of ``presets``
TOP_KEYS = ("name", "base", "workloads", "tokens", "mode", "factors", "presets", "skip_unfit")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
UNFIT_KEY = "dram.rows"  # the key place_model names when a model does not fit the capacity
TOKEN_FLAGS = {"--prompt-tokens": "tokens.prompt", "--output-tokens": "tokens.output"}
GENERATION_KEYS = frozenset({"generation.batch", "generation.batch_inputs", "generation.kv_cache"})


@dataclass(frozen=True)
class SweepSpec:
    path: Path
    name: str
    base: Path
    base_data: dict[str, Any]
    workloads: tuple[str, ...]  # as written
    prompt_tokens: Optional[int]
    output_tokens: Optional[int]
    mode: str
    factors: dict[str, tuple[Any, ...]]  # in file order
    presets: dict[str, dict[str, Any]]
    skip_unfit: bool

    @property
    def where(self) -> str:
        return str(self.path)

    def definition(self) -> dict[str, Any]:
        """The sweep as plain data (what sweep.yaml records and the sweep hash covers)."""
        tokens = {k: v for k, v in (("prompt", self.prompt_tokens), ("output", self.output_tokens)) if v is not None}
        return {"name": self.name, "workloads": list(self.workloads), "tokens": tokens, "mode": self.mode,
                "factors": {k: list(v) for k, v in self.factors.items()}, "presets": self.presets,
                "skip_unfit": self.skip_unfit}


@dataclass(frozen=True, eq=False)
class Point:
    index: int
    factors: dict[str, Any]  # factor key -> value, in file order
    workload: str  # the workload's name
    sets: tuple[str, ...]  # the same settings as ``pimsim run --set`` arguments
    hw: HwConfig
    resolved_workload: Workload
    key: str  # its run_hash (pimsim.config.hashes): the result cache's key


@dataclass(frozen=True)
class Skipped:
    factors: dict[str, Any]
    workload: str
    reason: str


def _err(spec_where: str, key: str, message: str) -> PimsimError:
    return PimsimError(message, where=spec_where, key=key)


def _scalar(value: Any, where: str, key: str) -> Any:
    if isinstance(value, (bool, int, float, str)):
        return value
    raise _err(where, key, f"expected a plain value (number, string or boolean), got {value!r}")


def leaves(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in data.items():
        if isinstance(v, dict) and v:
            out.update(leaves(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _timing_targets(name: str) -> set[str]:
    if name in PARAMS:
        return {name}
    by_ns = {ns: p for p, ns in NS_KEYS.items()}
    return {by_ns[name]} if name in by_ns else set(ALIASES.get(name, ()))


def apply_settings(base_data: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """A copy of the raw config with each dotted key set, values kept as typed (no string round trip).

    A timing parameter set in one unit replaces the same parameter written in the other unit."""
    data = copy.deepcopy(base_data)
    for key, value in settings.items():
        parts = key.split(".")
        node = data
        for part in parts[:-1]:
            if node.get(part) is None:
                node[part] = {}
            node = node[part]
            if not isinstance(node, dict):
                raise PimsimError("conflicting settings (a value where a mapping is needed)", key=key)
        if parts[:2] == ["dram", "timing"] and len(parts) == 3:
            for old in [k for k in node if _timing_targets(k) & _timing_targets(parts[2])]:
                del node[old]
        node[parts[-1]] = value
    return data


def _grid(factors: dict[str, tuple[Any, ...]], where: str) -> list[dict[str, Any]]:
    return [dict(zip(factors, values)) for values in itertools.product(*factors.values())]


def _zip(factors: dict[str, tuple[Any, ...]], where: str) -> list[dict[str, Any]]:
    lengths = {k: len(v) for k, v in factors.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{k} has {n}" for k, n in lengths.items())
        raise _err(where, "factors", f"zip needs value lists of equal length ({shown})")
    return [dict(zip(factors, values)) for values in zip(*factors.values())] if factors else [{}]


MODES: dict[str, Callable[[dict[str, tuple[Any, ...]], str], list[dict[str, Any]]]] = {"grid": _grid, "zip": _zip}


def _check_key(key: str, known: frozenset[str], where: str, path: str) -> None:
    if key not in known:
        raise _err(where, path, "unknown key" + did_you_mean(key, sorted(known)))


def _values(raw: Any, where: str, key: str) -> tuple[Any, ...]:
    if not isinstance(raw, list):
        raise _err(where, key, f"expected a list of values, got {raw!r}")
    if not raw:
        raise _err(where, key, "expected at least one value, got an empty list")
    values = tuple(_scalar(v, where, f"{key}[{i}]") for i, v in enumerate(raw))
    seen = [(type(v), v) for v in values]
    for i, item in enumerate(seen):
        if item in seen[:i]:
            raise _err(where, f"{key}[{i}]", f"value {values[i]!r} is listed twice")
    return values


def _presets(raw: Any, known: frozenset[str], where: str) -> dict[str, dict[str, Any]]:
    if not isinstance(raw, dict):
        raise _err(where, "presets", "expected a mapping of name -> {dotted.key: value}")
    out: dict[str, dict[str, Any]] = {}
    for name, settings in raw.items():
        if not isinstance(settings, dict) or not settings:
            raise _err(where, f"presets.{name}", "expected a non-empty mapping of dotted.key: value")
        for key, value in settings.items():
            _check_key(str(key), known, where, f"presets.{name}.{key}")
            _scalar(value, where, f"presets.{name}.{key}")
        out[str(name)] = dict(settings)
    return out


def _factors(raw: Any, presets: dict[str, dict[str, Any]], known: frozenset[str], where: str):
    if not isinstance(raw, dict):
        raise _err(where, "factors", "expected a mapping of dotted.key -> list of values")
    factors: dict[str, tuple[Any, ...]] = {}
    for key, values in raw.items():
        key = str(key)
        if key != PRESET:
            _check_key(key, known | {PRESET}, where, f"factors.{key}")
        factors[key] = _values(values, where, f"factors.{key}")
    if PRESET in factors and not presets:
        raise _err(where, f"factors.{PRESET}", "names presets, but the sweep defines none")
    for i, name in enumerate(factors.get(PRESET, ())):
        if name not in presets:
            raise _err(where, f"factors.{PRESET}[{i}]",
                       f"unknown preset {name!r}" + did_you_mean(str(name), sorted(presets)))
        for key in presets[name]:
            if key in factors:
                raise _err(where, f"presets.{name}.{key}", "is also a factor; set it in one place")
    return factors


def _tokens(raw: Any, where: str) -> tuple[Optional[int], Optional[int]]:
    if raw is None:
        return None, None
    if not isinstance(raw, dict):
        raise _err(where, "tokens", "expected a mapping {prompt: N, output: N}")
    for key in raw:
        if key not in ("prompt", "output"):
            raise _err(where, f"tokens.{key}", "unknown key" + did_you_mean(str(key), ["prompt", "output"]))
    for key, minimum in (("prompt", 1), ("output", 0)):
        value = raw.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < minimum):
            raise _err(where, f"tokens.{key}", f"expected an integer >= {minimum}, got {value!r}")
    return raw.get("prompt"), raw.get("output")


def known_keys(base_data: dict[str, Any], base_hw: HwConfig) -> frozenset[str]:
    """Dotted keys a factor may set: the resolved config's, the file's own (presets), every timing name."""
    timing = {f"dram.timing.{n}" for n in (*PARAMS, *NS_KEYS.values(), *ALIASES)}
    return frozenset(leaves(base_hw.resolved())) | frozenset(leaves(base_data)) | timing | GENERATION_KEYS


def load_spec(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file (its points are validated by :func:`expand`)."""
    path = Path(path)
    where = str(path)
    data = load_yaml(path)
    for key in data:
        if key not in TOP_KEYS:
            raise _err(where, str(key), "unknown key" + did_you_mean(str(key), TOP_KEYS))
    for key in ("name", "base", "workloads"):
        if key not in data:
            raise _err(where, key, "missing required key")
    name = data["name"]
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise _err(where, "name", f"expected a name of letters, digits, '.', '_' or '-', got {name!r}")
    if not isinstance(data["base"], str):
        raise _err(where, "base", f"expected a path to a hardware config, got {data['base']!r}")
    base = path.parent / data["base"]
    if not base.is_file():
        raise _err(where, "base", f"file not found: {base}")
    base_data = load_yaml(base)
    base_hw = build_hwconfig(base_data, str(base))
    known = known_keys(base_data, base_hw)
    workloads = data["workloads"]
    if not isinstance(workloads, list) or not workloads or not all(isinstance(w, str) for w in workloads):
        raise _err(where, "workloads", "expected a non-empty list of workload names or YAML paths")
    mode = data.get("mode", "grid")
    if mode not in MODES:
        raise _err(where, "mode", f"unknown mode {mode!r}" + did_you_mean(str(mode), sorted(MODES)))
    skip_unfit = data.get("skip_unfit", False)
    if not isinstance(skip_unfit, bool):
        raise _err(where, "skip_unfit", f"expected true or false, got {skip_unfit!r}")
    presets = _presets(data.get("presets") or {}, known, where)
    factors = _factors(data.get("factors") or {}, presets, known, where)
    prompt, output = _tokens(data.get("tokens"), where)
    return SweepSpec(path, name, base, base_data, tuple(workloads), prompt, output, mode, factors, presets,
                     skip_unfit)


def settings_of(spec: SweepSpec, combo: dict[str, Any]) -> dict[str, Any]:
    """The dotted-key settings of one factor combination, presets expanded in place."""
    out: dict[str, Any] = {}
    for key, value in combo.items():
        out.update(spec.presets[value] if key == PRESET else {key: value})
    return out


def _label(combo: dict[str, Any], workload: Optional[str]) -> str:
    parts = [f"{k}={_show(v)}" for k, v in combo.items()] + ([f"workload={workload}"] if workload else [])
    return "point " + ", ".join(parts) if parts else "point"


def _point_error(spec: SweepSpec, combo: dict, workload: Optional[str], exc: PimsimError, hint: str = ""):
    inner = ": ".join(p for p in (exc.key, exc.message) if p)
    return _err(spec.where, _label(combo, workload), inner + hint)


def _workload(spec: SweepSpec, i: int, written: str) -> Workload:
    as_path = "/" in written or written.endswith((".yaml", ".yml"))
    locator = str(spec.path.parent / written) if as_path and written not in workload_names() else written
    try:
        return resolve_workload(locator, spec.prompt_tokens, spec.output_tokens)
    except PimsimError as exc:
        flags = [TOKEN_FLAGS[f] for f in TOKEN_FLAGS if f in exc.where]
        if flags:
            raise _err(spec.where, " and ".join(flags), f"{written}: {exc.message}") from None
        detail = exc.message if exc.where == "workload" else str(exc)
        raise _err(spec.where, f"workloads[{i}]", detail) from None


def expand_all(spec: SweepSpec) -> tuple[list[Point], list[Skipped]]:
    """Every point (workloads outer, factor combinations inner), validated; and the points skipped as unfit."""
    combos = MODES[spec.mode](spec.factors, spec.where)
    for i, combo in enumerate(combos):
        if combo in combos[:i]:
            raise _err(spec.where, "factors", f"{_label(combo, None)} is listed twice")
    built = []
    for combo in combos:
        settings = settings_of(spec, combo)
        generation = {k.split(".", 1)[1]: v for k, v in settings.items() if k in GENERATION_KEYS}
        settings = {k: v for k, v in settings.items() if k not in GENERATION_KEYS}
        try:
            sets = tuple(f"{k}={_show(v)}" for k, v in settings.items())
            hw = build_hwconfig(apply_settings(spec.base_data, settings), str(spec.base), sets)
            for section in ("pim", "asic", "sim"):
                hw.require(section)
        except PimsimError as exc:
            raise _point_error(spec, combo, None, exc) from None
        built.append((combo, sets, hw, generation))
    workloads = [_workload(spec, i, w) for i, w in enumerate(spec.workloads)]
    names = [w.name for w in workloads]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise _err(spec.where, f"workloads[{i}]", f"workload {name} is listed twice")
    points: list[Point] = []
    skipped: list[Skipped] = []
    hint = "; add 'skip_unfit: true' to the sweep file to drop such points"
    for base_wl in workloads:
        for combo, sets, hw, generation in built:
            try:
                wl = _with_generation(base_wl, generation, spec.where)
                place_workload(hw, wl)
            except PimsimError as exc:
                if spec.skip_unfit and exc.key == UNFIT_KEY:
                    skipped.append(Skipped(dict(combo), base_wl.name, exc.message))
                    continue
                raise _point_error(spec, combo, base_wl.name, exc, hint if exc.key == UNFIT_KEY else "") from None
            points.append(Point(len(points), dict(combo), wl.name, sets, hw, wl, run_hash(hw, wl)))
    if not points:
        raise _err(spec.where, "factors", "no point is left to run: every model is too big for every config")
    return points, skipped


def _with_generation(workload: Workload, settings: dict[str, Any], where: str) -> Workload:
    """The workload with a point's ``generation.*`` factors applied (validated as the file would be)."""
    if not settings:
        return workload
    gen = validate(Generation, {**workload.generation.model_dump(), **settings}, where, prefix="generation")
    return workload.model_copy(update={"generation": gen})


def expand(spec: SweepSpec) -> list[Point]:
    """The sweep's points, each validated by building its HwConfig and placing its model."""
    return expand_all(spec)[0]


def sweep_hash(spec: SweepSpec, points: list[Point]) -> str:
    """Identifies a sweep: its definition and the cache keys of its points (so base config and version too)."""
    blob = json.dumps({"definition": spec.definition(), "points": [p.key for p in points]}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()
