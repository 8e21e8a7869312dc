"""Op traces: a run's op list as JSON Lines, to inspect, diff or feed back in.

Format (UTF-8, one JSON object per line; blank lines are ignored):

- line 1, the header:
  ``{"format": "pimsim-ops", "version": 1, "model": {<every ModelShape field>}}``
- then one line per op, in execution order:
  ``{"token": 5, "prompt": true, "kind": "gemv", "name": "L0.qkv", "layer": 0,
  "rows": 2304, "cols": 768, "weight": "L0.qkv"}``

  ``token`` is the 0-based position of the forward pass, ``prompt`` whether that
  token belongs to the prompt; ``kind``, ``name`` and ``layer`` are required;
  the other :class:`~pimsim.workload.ops.Op` fields (``rows``, ``cols``,
  ``elements``, ``groups``, ``heads``, ``d_head``, ``context``, ``weight``) may
  be omitted when they hold their default. Consecutive lines with the same
  ``token`` form one forward pass; tokens must increase from pass to pass.

Reading is strict: a malformed line, an unknown kind or field, a missing field
or a value of the wrong type is a one-line PimsimError naming the file and
``line N``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pimsim.config.validate import did_you_mean, validate
from pimsim.config.workload import ModelShape, Workload
from pimsim.config.yamlio import read_text
from pimsim.errors import PimsimError
from pimsim.workload.ops import KINDS, OP_DEFAULTS, Op, generation_ops

FORMAT = "pimsim-ops"
VERSION = 1
HEADER_KEYS = ("format", "version", "model")
REQUIRED = ("token", "prompt", "kind", "name", "layer")
LINE_KEYS = REQUIRED + tuple(OP_DEFAULTS)
STR_FIELDS = ("kind", "name", "weight")

Pass = tuple[int, bool, list[Op]]


def op_record(position: int, is_prompt: bool, op: Op) -> dict[str, Any]:
    """The JSON object of one op line (fields at their default left out)."""
    record: dict[str, Any] = {"token": position, "prompt": is_prompt, "kind": op.kind, "name": op.name,
                              "layer": op.layer}
    for key, default in OP_DEFAULTS.items():
        value = getattr(op, key)
        if value != default:
            record[key] = value
    return record


def write_op_trace(path: str | Path, workload: Workload) -> int:
    """Write every forward pass of ``workload`` to ``path``; returns the number of ops written."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        header = {"format": FORMAT, "version": VERSION, "model": workload.model.model_dump(exclude_defaults=True)}
        out.write(json.dumps(header) + "\n")
        for position, is_prompt, ops in generation_ops(workload):
            for op in ops:
                out.write(json.dumps(op_record(position, is_prompt, op), separators=(",", ":")) + "\n")
                count += 1
    return count


def _parse_object(raw: str, where: str, n: int) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise PimsimError(f"malformed JSON ({exc.msg}); expected one JSON object per line", where=where,
                          key=f"line {n}") from None
    if not isinstance(data, dict):
        raise PimsimError(f"expected a JSON object, got {type(data).__name__}", where=where, key=f"line {n}")
    return data


def _read_header(data: dict[str, Any], where: str, n: int) -> ModelShape:
    line = f"line {n}"
    for key in data:
        if key not in HEADER_KEYS:
            raise PimsimError(f"unknown header field {key!r}" + did_you_mean(key, HEADER_KEYS), where=where,
                              key=line)
    if data.get("format") != FORMAT:
        raise PimsimError(f'expected the header {{"format": "{FORMAT}", "version": {VERSION}, "model": {{...}}}}, '
                          f"got format {data.get('format')!r}", where=where, key=line)
    if data.get("version") != VERSION:
        raise PimsimError(f"unsupported version {data.get('version')!r} (this reader knows version {VERSION})",
                          where=where, key=line)
    if not isinstance(data.get("model"), dict):
        raise PimsimError("expected the header's 'model' to be an object of ModelShape fields", where=where,
                          key=line)
    try:
        return validate(ModelShape, data["model"], where, prefix="model")
    except PimsimError as exc:
        raise PimsimError(exc.message, where=where, key=f"{line}: {exc.key}") from None


def _check_value(key: str, value: Any) -> str | None:
    """What is wrong with ``value`` for field ``key``, or None."""
    if key == "prompt":
        return None if isinstance(value, bool) else "a boolean"
    if key in STR_FIELDS:
        return None if isinstance(value, str) else "a string"
    if isinstance(value, bool) or not isinstance(value, int):
        return "an integer"
    if key == "layer":
        return None if value >= -1 else "an integer >= -1"
    if key in ("groups", "batch"):
        return None if value >= 1 else "an integer >= 1"
    return None if value >= 0 else "an integer >= 0"


def _read_op(data: dict[str, Any], where: str, n: int) -> tuple[int, bool, Op]:
    line = f"line {n}"
    for key in data:
        if key not in LINE_KEYS:
            raise PimsimError(f"unknown field {key!r}" + did_you_mean(key, LINE_KEYS), where=where, key=line)
    for key in REQUIRED:
        if key not in data:
            raise PimsimError(f"missing field {key!r} (every op line needs {', '.join(REQUIRED)})", where=where,
                              key=line)
    for key, value in data.items():
        expected = _check_value(key, value)
        if expected:
            raise PimsimError(f"field {key!r} must be {expected}, got {value!r}", where=where, key=line)
    if data["kind"] not in KINDS:
        raise PimsimError(f"unknown kind {data['kind']!r}" + did_you_mean(data["kind"], KINDS), where=where,
                          key=line)
    fields = {k: v for k, v in data.items() if k not in ("token", "prompt")}
    return data["token"], data["prompt"], Op(**fields)


def read_op_trace(path: str | Path) -> tuple[ModelShape, list[Pass]]:
    """The model and the forward passes ``(position, is_prompt, ops)`` of an op trace."""
    where = str(path)
    text = read_text(path)
    model: ModelShape | None = None
    passes: list[Pass] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        data = _parse_object(raw, where, n)
        if model is None:
            model = _read_header(data, where, n)
            continue
        token, is_prompt, op = _read_op(data, where, n)
        if passes and token == passes[-1][0]:
            if is_prompt != passes[-1][1]:
                raise PimsimError(f"token {token} is marked prompt={is_prompt} here but prompt={passes[-1][1]} "
                                  f"on its earlier lines", where=where, key=f"line {n}")
            passes[-1][2].append(op)
            continue
        if passes and token < passes[-1][0]:
            raise PimsimError(f"token {token} after token {passes[-1][0]}: tokens must increase", where=where,
                              key=f"line {n}")
        passes.append((token, is_prompt, [op]))
    if model is None:
        raise PimsimError(f'empty op trace: expected a header line {{"format": "{FORMAT}", ...}}', where=where)
    return model, passes
