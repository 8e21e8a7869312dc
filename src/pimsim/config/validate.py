"""Translation of a config model's validation errors into one line (models: ``pimsim.config.strict``)."""

from __future__ import annotations

import difflib
from typing import Any

from pimsim.config.strict import Strict, ValidationError
from pimsim.errors import PimsimError


def did_you_mean(word: str, known: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.5)
    if close:
        return f" (did you mean {close[0]}?)"
    return f" (known: {', '.join(sorted(known))})" if len(known) <= 12 else ""


def _known_fields(model: type[Strict], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the sub-model that holds the unknown key at ``loc``."""
    current: Any = model
    for part in loc[:-1]:
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return []
        annotation = fields[part].annotation
        current = annotation
    fields = getattr(current, "model_fields", None)
    return list(fields) if fields else []


def validate(model: type[Strict], data: dict[str, Any], where: str, prefix: str = "") -> Any:
    """``model(**data)`` with the first error raised as a one-line PimsimError."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()  # a misspelt key is the cause of the required key it leaves missing
        err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        loc = tuple(err["loc"])
        key = ".".join(str(p) for p in ((prefix,) if prefix else ()) + loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            msg = "unknown key" + did_you_mean(str(loc[-1]), _known_fields(model, loc))
        elif kind == "missing":
            msg = "missing required key"
        else:
            got = err.get("input")
            shown = repr(got) if not isinstance(got, (dict, list)) else type(got).__name__
            msg = f"{err['msg'].lower()} (got {shown})"
        raise PimsimError(msg, where=where, key=key) from None
