"""YAML files and dotted-key overrides as plain dictionaries, with clean errors."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from pimsim.errors import PimsimError


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a mapping naming the same key twice (plain YAML keeps the last)."""

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.setdefault(key, key_node.start_mark.line + 1)
            except TypeError:  # an unhashable key: let the base class report it
                continue
            if first != key_node.start_mark.line + 1:
                raise _DuplicateKey(key, first, key_node.start_mark.line + 1)
        return super().construct_mapping(node, deep=deep)


class _DuplicateKey(Exception):
    def __init__(self, key, first: int, again: int) -> None:
        super().__init__(key)
        self.key, self.first, self.again = key, first, again


def read_text(path: str | Path, kind: str = "file") -> str:
    """A UTF-8 text file's content; a missing or unreadable file is a one-line PimsimError naming it
    (``kind``: what the file is, e.g. "trace")."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PimsimError(f"{'' if kind == 'file' else kind + ' '}file not found", where=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PimsimError(f"cannot read {kind} ({exc.__class__.__name__})", where=str(path)) from None


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping; a missing file, bad syntax or a non-mapping is a PimsimError."""
    path = Path(path)
    text = read_text(path)
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)
    except _DuplicateKey as dup:
        raise PimsimError(f"duplicate key {dup.key!r} (first on line {dup.first}); each key may appear once",
                          where=f"{path}:{dup.again}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise PimsimError(f"malformed YAML ({problem})", where=where) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PimsimError(f"expected a mapping at the top level, got {type(data).__name__}", where=str(path))
    return data


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """A new dict: ``override`` laid over ``base``; nested mappings merge, everything else replaces."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def parse_set(expr: str) -> tuple[list[str], Any]:
    """Split ``a.b.c=value`` into its key path and a YAML-typed value (``8`` is an int)."""
    key, sep, raw = expr.partition("=")
    parts = key.strip().split(".")
    if not sep or not all(parts):
        raise PimsimError("expected dotted.key=value", where="--set", key=expr)
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    if value is None:
        raise PimsimError("expected a value after '='", where="--set", key=key)
    return parts, value


def apply_sets(data: dict[str, Any], exprs: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """A new dict with each ``dotted.key=value`` override written into it."""
    overlay: dict[str, Any] = {}
    for expr in exprs:
        parts, value = parse_set(expr)
        node = overlay
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise PimsimError("conflicting overrides", where="--set", key=".".join(parts))
        node[parts[-1]] = value
    return deep_merge(data, overlay)


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """A new dict with each ``{"dotted.key": value}`` written into it, values as given (typed)."""
    overlay: dict[str, Any] = {}
    for key, value in overrides.items():
        parts = str(key).split(".")
        if not all(parts):
            raise PimsimError("expected a dotted key", where="overrides", key=str(key))
        node = overlay
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise PimsimError("conflicting overrides", where="overrides", key=str(key))
        node[parts[-1]] = value
    return deep_merge(data, overlay)
