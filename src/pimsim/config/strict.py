"""Strict, frozen config models: typed fields checked on construction, no validation library.

A model is a class deriving from :class:`Strict` whose annotated attributes are its fields, in
order; a field's default is its class value, or ``Field(default=..., gt=..., ge=..., le=...,
min_length=...)`` where it has constraints::

    class ControllerConfig(Strict):
        queue_depth: int = Field(gt=0)
        scheduler: str

``ControllerConfig(**data)`` and ``ControllerConfig.model_validate(data)`` check every field and
raise :class:`ValidationError` listing each failure as ``{"type", "loc", "msg", "input"}``
(``pimsim.config.validate`` turns the first into a one-line error). The checks are strict: an
``int`` field takes an int and nothing else (not a bool, not ``2.0``, not ``"2"``); a ``float``
takes an int or a float and stores a float; a ``bool`` takes only a bool; unknown keys and
missing required keys are errors. Field types: ``int``, ``float``, ``str``, ``bool``, ``Any``,
``Optional[T]``, ``Literal[...]``, ``dict[K, V]``, ``tuple[T, ...]`` and other models (given as a
mapping or as an instance). ``@field_validator("name")`` adds a check of one field, run after its
type is checked, given the fields before it that passed; it raises :class:`FieldError`.

Instances are frozen and compare, hash, pickle and print by their field values;
``model_dump(mode="python"|"json", exclude=..., exclude_defaults=...)`` gives them as plain data
(``json``: tuples as lists), ``model_copy(update=...)`` a copy with some fields replaced (not
checked again), ``model_fields`` the fields by name (``.annotation``, ``.default``,
``.is_required()``). The error types and messages are those pydantic 2 gives for the same cases,
which the config layer used before.
"""

from __future__ import annotations

import copy
import typing
from typing import Any, Callable, Literal, Optional, Union

MISSING: Any = object()  # a field without a default
_BAD: Any = object()  # a value that failed its check (the failure is in the error list)


class FieldError(Exception):
    """Raised by a field validator: an error ``kind`` (e.g. ``shape``) and its message."""

    def __init__(self, kind: str, msg: str) -> None:
        super().__init__(msg)
        self.kind, self.msg = kind, msg


class ValidationError(ValueError):
    """A model's data failed its checks; ``errors()`` lists every failure in field order."""

    def __init__(self, model: str, errors: list[dict[str, Any]]) -> None:
        self.model, self._errors = model, errors
        lines = [f"{len(errors)} validation error{'s' if len(errors) > 1 else ''} for {model}"]
        for e in errors:
            lines += [".".join(str(p) for p in e["loc"]) or "(input)", f"  {e['msg']} [type={e['type']}]"]
        super().__init__("\n".join(lines))

    def errors(self) -> list[dict[str, Any]]:
        return [dict(e) for e in self._errors]


class FieldSpec:
    """What ``Field(...)`` gives: a default and constraints, shared by every field it is assigned to."""

    __slots__ = ("default", "gt", "ge", "le", "min_length")

    def __init__(self, default: Any, gt: Any, ge: Any, le: Any, min_length: Optional[int]) -> None:
        self.default, self.gt, self.ge, self.le, self.min_length = default, gt, ge, le, min_length


def Field(default: Any = MISSING, *, gt: Any = None, ge: Any = None, le: Any = None,  # noqa: N802
          min_length: Optional[int] = None) -> Any:
    """A field's default (none: required) and constraints: greater than ``gt``, at least ``ge``, at
    most ``le``, a string of at least ``min_length`` characters."""
    return FieldSpec(default, gt, ge, le, min_length)


def field_validator(name: str) -> Callable:
    """Mark a classmethod (the decorator above ``@classmethod``) ``(cls, value, data) -> value`` as a check of field ``name``; ``data`` holds
    the fields before it that passed their checks."""
    def mark(method: Any) -> Any:
        method.__validates__ = name
        return method
    return mark


class ModelField:
    """One field of a model: its name, type, default and compiled check."""

    __slots__ = ("name", "annotation", "default", "check", "validator")

    def __init__(self, name: str, annotation: Any, default: Any, check: Callable, validator: Any) -> None:
        self.name, self.annotation, self.default, self.check = name, annotation, default, check
        self.validator = validator  # a field validator's function (cls, value, data) -> value, or None

    def is_required(self) -> bool:
        return self.default is MISSING


def _error(kind: str, loc: tuple, msg: str, value: Any) -> dict[str, Any]:
    return {"type": kind, "loc": loc, "msg": msg, "input": value}


def _bounded(check: Callable, spec: Optional[FieldSpec]) -> Callable:
    """``check`` followed by the constraints of ``spec``."""
    if spec is None or (spec.gt is None and spec.ge is None and spec.le is None and spec.min_length is None):
        return check
    gt, ge, le, min_length = spec.gt, spec.ge, spec.le, spec.min_length

    def bounded(v: Any, loc: tuple, errors: list) -> Any:
        out = check(v, loc, errors)
        if out is _BAD or out is None:
            return out
        if gt is not None and not out > gt:
            errors.append(_error("greater_than", loc, f"Input should be greater than {gt}", v))
        elif ge is not None and not out >= ge:
            errors.append(_error("greater_than_equal", loc, f"Input should be greater than or equal to {ge}", v))
        elif le is not None and not out <= le:
            errors.append(_error("less_than_equal", loc, f"Input should be less than or equal to {le}", v))
        elif min_length is not None and len(out) < min_length:
            errors.append(_error("string_too_short", loc, f"String should have at least {min_length} "
                                 f"character{'s' if min_length > 1 else ''}", v))
        else:
            return out
        return _BAD
    return bounded


def _simple(accept: Callable[[Any], bool], kind: str, msg: str, convert: Callable = lambda v: v) -> Callable:
    def check(v: Any, loc: tuple, errors: list) -> Any:
        if accept(v):
            return convert(v)
        errors.append(_error(kind, loc, msg, v))
        return _BAD
    return check


_CHECKS = {
    int: _simple(lambda v: isinstance(v, int) and not isinstance(v, bool), "int_type", "Input should be a valid integer"),
    float: _simple(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "float_type",
                   "Input should be a valid number", float),
    str: _simple(lambda v: isinstance(v, str), "string_type", "Input should be a valid string"),
    bool: _simple(lambda v: isinstance(v, bool), "bool_type", "Input should be a valid boolean"),
}


def _compile(tp: Any) -> Callable:
    """The check of a value against type ``tp``: ``check(value, loc, errors)`` returns the value as
    stored, or ``_BAD`` after appending the failure to ``errors``."""
    if tp is Any:
        return lambda v, loc, errors: v
    if tp in _CHECKS:
        return _CHECKS[tp]
    if isinstance(tp, type) and issubclass(tp, Strict):
        return tp._check
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Union and type(None) in args and len(args) == 2:
        inner = _compile(next(a for a in args if a is not type(None)))
        return lambda v, loc, errors: None if v is None else inner(v, loc, errors)
    if origin is Literal:
        shown = [repr(a) for a in args]
        msg = "Input should be " + (shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}")
        return _simple(lambda v: any(v == a and type(v) is type(a) for a in args), "literal_error", msg)
    if origin is dict:
        key_check, value_check = _compile(args[0]), _compile(args[1])

        def check_dict(v: Any, loc: tuple, errors: list) -> Any:
            if not isinstance(v, dict):
                errors.append(_error("dict_type", loc, "Input should be a valid dictionary", v))
                return _BAD
            out, n = {}, len(errors)
            for k, x in v.items():
                k2 = key_check(k, (*loc, k, "[key]"), errors)
                x2 = value_check(x, (*loc, k), errors)
                out[k2] = x2
            return out if len(errors) == n else _BAD
        return check_dict
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item_check = _compile(args[0])

        def check_tuple(v: Any, loc: tuple, errors: list) -> Any:
            if not isinstance(v, tuple):
                errors.append(_error("tuple_type", loc, "Input should be a valid tuple", v))
                return _BAD
            n = len(errors)
            out = tuple(item_check(x, (*loc, i), errors) for i, x in enumerate(v))
            return out if len(errors) == n else _BAD
        return check_tuple
    raise TypeError(f"config field type {tp!r} is not supported")


class _FieldsOf:
    """``Model.model_fields``: the fields by name, worked out on first use."""

    def __get__(self, obj: Any, cls: type) -> dict[str, ModelField]:
        return cls._fields()


class Strict:
    """Frozen, no unknown keys, no silent type coercion (module docstring)."""

    model_fields = _FieldsOf()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("__annotations__", {})
        defaults = {}
        for name in own:
            if name in cls.__dict__:
                defaults[name] = cls.__dict__[name]
                delattr(cls, name)  # the value lives on the instance
        cls._defaults = {**getattr(cls, "_defaults", {}), **defaults}
        cls._validators = {**getattr(cls, "_validators", {}),
                           **{v.__validates__: v.__func__ for v in cls.__dict__.values()
                              if isinstance(v, classmethod) and hasattr(v, "__validates__")}}
        cls._compiled = None

    @classmethod
    def _fields(cls) -> dict[str, ModelField]:
        if cls.__dict__.get("_compiled") is None:
            hints = typing.get_type_hints(cls)
            fields = {}
            for klass in reversed(cls.__mro__):
                for name in klass.__dict__.get("__annotations__", {}):
                    if name.startswith("_") or name == "model_fields":
                        continue
                    given = cls._defaults.get(name, MISSING)
                    spec = given if isinstance(given, FieldSpec) else None
                    default = spec.default if spec is not None else given
                    fields[name] = ModelField(name, hints[name], default, _bounded(_compile(hints[name]), spec),
                                              cls._validators.get(name))
            cls._compiled = fields
        return cls._compiled

    @classmethod
    def _check(cls, data: Any, loc: tuple, errors: list) -> Any:
        """The model made from ``data`` (a mapping or an instance), or ``_BAD`` with its errors."""
        if isinstance(data, cls):
            return data
        if not isinstance(data, dict):
            errors.append(_error("model_type", loc, f"Input should be a valid dictionary or instance of "
                                 f"{cls.__name__}", data))
            return _BAD
        fields = cls._fields()
        values: dict[str, Any] = {}
        n = len(errors)
        for name, f in fields.items():
            if name in data:
                v = f.check(data[name], (*loc, name), errors)
                if v is not _BAD and f.validator is not None:
                    try:
                        v = f.validator(cls, v, values)
                    except FieldError as exc:
                        errors.append(_error(exc.kind, (*loc, name), exc.msg, data[name]))
                        v = _BAD
                if v is not _BAD:
                    values[name] = v
            elif f.default is MISSING:
                errors.append(_error("missing", (*loc, name), "Field required", data))
            else:  # a mutable default is copied, so that no two instances share it
                values[name] = copy.deepcopy(f.default) if isinstance(f.default, (dict, list)) else f.default
        for k, v in data.items():
            if k not in fields:
                errors.append(_error("extra_forbidden", (*loc, k), "Extra inputs are not permitted", v))
        if len(errors) != n:
            return _BAD
        obj = cls.__new__(cls)
        obj.__dict__.update(values)
        return obj

    @classmethod
    def model_validate(cls, data: Any) -> Any:
        errors: list = []
        obj = cls._check(data, (), errors)
        if obj is _BAD:
            raise ValidationError(cls.__name__, errors)
        return obj

    def __init__(self, **data: Any) -> None:
        errors: list = []
        obj = type(self)._check(data, (), errors)
        if obj is _BAD:
            raise ValidationError(type(self).__name__, errors)
        self.__dict__.update(obj.__dict__)

    def __setattr__(self, name: str, value: Any) -> None:
        raise TypeError(f"{type(self).__name__} is frozen: use model_copy(update={{{name!r}: ...}})")

    def __delattr__(self, name: str) -> None:
        raise TypeError(f"{type(self).__name__} is frozen")

    def __eq__(self, other: Any) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__

    def __hash__(self) -> int:
        return hash((type(self).__name__, *self.__dict__.values()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"

    def model_copy(self, update: Optional[dict[str, Any]] = None) -> Any:
        """A copy with ``update``'s fields replaced (shallow; the new values are not checked)."""
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        if update:
            new.__dict__.update(update)
        return new

    def model_dump(self, *, mode: str = "python", exclude: Optional[set[str]] = None,
                   exclude_defaults: bool = False) -> dict[str, Any]:
        """The fields as plain data (nested models as dicts; ``json``: tuples as lists), without those
        in ``exclude`` and, with ``exclude_defaults``, those equal to their default (at every level)."""
        out = {}
        for name, f in type(self)._fields().items():
            if exclude and name in exclude:
                continue
            v = self.__dict__[name]
            if exclude_defaults and f.default is not MISSING and v == f.default:
                continue
            out[name] = _dump(v, mode, exclude_defaults)
        return out


def _dump(v: Any, mode: str, exclude_defaults: bool) -> Any:
    if isinstance(v, Strict):
        return v.model_dump(mode=mode, exclude_defaults=exclude_defaults)
    if isinstance(v, dict):
        return {k: _dump(x, mode, exclude_defaults) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        items = [_dump(x, mode, exclude_defaults) for x in v]
        return items if mode == "json" or isinstance(v, list) else tuple(items)
    return v
