"""Config models check their fields strictly, stay frozen and dump as plain data (pimsim.config.strict)."""

from __future__ import annotations

import pickle
from typing import Any, Literal, Optional

import pytest

from pimsim.config.strict import Field, FieldError, Strict, ValidationError, field_validator


class Inner(Strict):
    a: int = Field(gt=0)
    b: int = 3

    @field_validator("b")
    @classmethod
    def _b_below_ten_a(cls, b: int, data: dict) -> int:
        if "a" in data and b >= 10 * data["a"]:
            raise FieldError("shape", f"b ({b}) must be below 10 a")
        return b


class Outer(Strict):
    i: int = Field(ge=0)
    f: float = Field(gt=0, le=1)
    s: str = Field(min_length=1)
    flag: bool
    opt: Optional[int] = Field(default=None, gt=0)
    kind: Literal["x", "y", "z"] = "x"
    table: dict[str, int] = {}
    anything: dict[str, Any] = {}
    names: tuple[str, ...] = ()
    inner: Inner
    maybe: Optional[Inner] = None


OK = {"i": 0, "f": 1, "s": "s", "flag": False, "inner": {"a": 1}}


def first_error(**changes) -> tuple:
    with pytest.raises(ValidationError) as exc:
        Outer(**{**OK, **changes})
    e = exc.value.errors()[0]
    return e["type"], e["loc"], e["msg"]


@pytest.mark.parametrize("key,value,expected", [
    ("i", True, ("int_type", ("i",), "Input should be a valid integer")),
    ("i", 2.0, ("int_type", ("i",), "Input should be a valid integer")),
    ("i", "2", ("int_type", ("i",), "Input should be a valid integer")),
    ("i", -1, ("greater_than_equal", ("i",), "Input should be greater than or equal to 0")),
    ("f", True, ("float_type", ("f",), "Input should be a valid number")),
    ("f", 0, ("greater_than", ("f",), "Input should be greater than 0")),
    ("f", 1.5, ("less_than_equal", ("f",), "Input should be less than or equal to 1")),
    ("s", 1, ("string_type", ("s",), "Input should be a valid string")),
    ("s", "", ("string_too_short", ("s",), "String should have at least 1 character")),
    ("flag", 1, ("bool_type", ("flag",), "Input should be a valid boolean")),
    ("opt", 0, ("greater_than", ("opt",), "Input should be greater than 0")),
    ("kind", "w", ("literal_error", ("kind",), "Input should be 'x', 'y' or 'z'")),
    ("table", {"k": 1.5}, ("int_type", ("table", "k"), "Input should be a valid integer")),
    ("table", {1: 1}, ("string_type", ("table", 1, "[key]"), "Input should be a valid string")),
    ("anything", [], ("dict_type", ("anything",), "Input should be a valid dictionary")),
    ("names", ["a"], ("tuple_type", ("names",), "Input should be a valid tuple")),
    ("names", ("a", 2), ("string_type", ("names", 1), "Input should be a valid string")),
    ("inner", [1], ("model_type", ("inner",), "Input should be a valid dictionary or instance of Inner")),
    ("inner", {"a": 0}, ("greater_than", ("inner", "a"), "Input should be greater than 0")),
    ("inner", {"a": 1, "b": 10}, ("shape", ("inner", "b"), "b (10) must be below 10 a")),
    ("inner", {"a": 1, "c": 1}, ("extra_forbidden", ("inner", "c"), "Extra inputs are not permitted")),
    ("extra", 1, ("extra_forbidden", ("extra",), "Extra inputs are not permitted")),
])
def test_a_wrong_value_is_refused_with_its_error_type_place_and_message(key, value, expected):
    assert first_error(**{key: value}) == expected


def test_errors_come_in_field_order_with_each_models_unknown_keys_after_its_fields():
    with pytest.raises(ValidationError) as exc:
        Outer.model_validate({"zz": 1, "i": "x", "f": 1, "s": "s", "flag": True, "inner": {"a": 0, "q": 2}})
    assert [(e["type"], e["loc"]) for e in exc.value.errors()] == [
        ("int_type", ("i",)), ("greater_than", ("inner", "a")), ("extra_forbidden", ("inner", "q")),
        ("extra_forbidden", ("zz",))]
    with pytest.raises(ValidationError) as exc:
        Inner.model_validate({})
    assert [(e["type"], e["loc"], e["msg"]) for e in exc.value.errors()] == [("missing", ("a",), "Field required")]
    with pytest.raises(ValidationError):
        Inner.model_validate([1])


def test_a_float_field_stores_a_float_and_a_model_field_takes_a_mapping_or_an_instance():
    m = Outer(**OK)
    assert m.f == 1.0 and type(m.f) is float
    assert m.inner == Inner(a=1, b=3) and Outer(**{**OK, "inner": m.inner}).inner is m.inner
    assert m.kind == "x" and m.opt is None and m.names == ()


def test_a_model_is_frozen_and_compares_hashes_and_pickles_by_value():
    m = Inner(a=2)
    with pytest.raises(TypeError):
        m.a = 3
    assert m == Inner(a=2, b=3) and m != Inner(a=2, b=4) and hash(m) == hash(Inner(a=2))
    assert pickle.loads(pickle.dumps(m)) == m
    assert repr(m) == "Inner(a=2, b=3)"


def test_a_copy_replaces_fields_unchecked_and_a_dump_gives_plain_data():
    m = Outer(**{**OK, "names": ("p",), "maybe": {"a": 2, "b": 3}})
    assert m.model_copy(update={"i": 7}).i == 7 and m.i == 0
    assert m.model_dump()["names"] == ("p",) and m.model_dump(mode="json")["names"] == ["p"]
    assert m.model_dump(mode="json", exclude_defaults=True) == {
        "i": 0, "f": 1.0, "s": "s", "flag": False, "names": ["p"], "inner": {"a": 1}, "maybe": {"a": 2}}
    assert "inner" not in m.model_dump(exclude={"inner"})
    assert list(Outer.model_fields)[:3] == ["i", "f", "s"] and Outer.model_fields["inner"].annotation is Inner
    assert Outer.model_fields["flag"].is_required() and not Outer.model_fields["kind"].is_required()
