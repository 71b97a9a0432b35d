"""models/values.py's `dataclass(frozen=True, slots=True)` builds classes that behave as the standard
library's: every class of the domain and of the repository's ports, and a few shapes they do not
have yet, against a twin made by `dataclasses.dataclass` from the same fields and methods."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
import types
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import pytest

from portal_reminders.models import domain, values
from portal_reminders.repository import ports

T = TypeVar("T")
GENERATED = {"__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__", "__init__", "__getstate__", "__setstate__"}
DATACLASS_PARTS = {
    "__dataclass_fields__",
    "__dataclass_params__",
    "__match_args__",
    "__slots__",
    "__weakref__",
    "__dict__",
}


def _ours(module: types.ModuleType) -> list[type]:
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == module.__name__
    ]


def _twin(cls: type) -> type:
    """The same class, made by the standard library's dataclass(frozen=True, slots=True)."""
    fields = dataclasses.fields(cls)
    namespace: dict[str, Any] = {"__annotations__": {f.name: f.type for f in fields}, "__module__": cls.__module__}
    namespace["__qualname__"] = cls.__qualname__
    for name, value in vars(cls).items():
        if name not in GENERATED | DATACLASS_PARTS and name not in {f.name for f in fields}:
            namespace[name] = value
    for f in fields:
        namespace[f.name] = dataclasses.field(
            default=f.default,
            default_factory=f.default_factory,
            init=f.init,
            repr=f.repr,
            hash=f.hash,
            compare=f.compare,
            metadata=f.metadata,
            kw_only=f.kw_only,
        )
    bases = tuple(base for base in cls.__bases__ if base is not object) or (object,)
    made = types.new_class(cls.__name__, bases, {}, lambda ns: ns.update(namespace))
    return dataclasses.dataclass(frozen=True, slots=True)(made)


def _sample(cls: type, salt: str = "") -> dict[str, Any]:
    """Arguments for every required field (the values only need to be distinct and hashable)."""
    return {
        f.name: f"{f.name}{salt}"
        for f in dataclasses.fields(cls)
        if f.init and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }


def _outcome(action: Callable[[], Any]) -> tuple[str, str]:
    try:
        return ("value", repr(action()))
    except Exception as error:
        return (type(error).__name__, str(error))


def _same_behaviour(ours: type, twin: type) -> None:
    assert repr(ours.__dataclass_params__) == repr(twin.__dataclass_params__)  # type: ignore[attr-defined]
    assert ours.__slots__ == twin.__slots__  # type: ignore[attr-defined]
    assert ours.__match_args__ == twin.__match_args__  # type: ignore[attr-defined]
    assert ours.__doc__ == twin.__doc__
    assert str(inspect.signature(ours)) == str(inspect.signature(twin))
    assert [(f.name, f.type) for f in dataclasses.fields(ours)] == [(f.name, f.type) for f in dataclasses.fields(twin)]
    for method in ("__repr__", "__eq__", "__hash__"):
        assert getattr(ours, method).__qualname__ == getattr(twin, method).__qualname__
        assert getattr(ours, method).__module__ == getattr(twin, method).__module__
    arguments, others = _sample(ours), _sample(ours, salt="-other")
    a, b, c = ours(**arguments), ours(**arguments), ours(**others)
    x, y, z = twin(**arguments), twin(**arguments), twin(**others)
    assert repr(a) == repr(x)
    assert (a == b, a == c, a != b, a != c, a == object()) == (x == y, x == z, x != y, x != z, x == object())
    assert a.__eq__(x) is NotImplemented
    assert _outcome(lambda: hash(a)) == _outcome(lambda: hash(x))
    assert _outcome(lambda: hash(a) == hash(b)) == _outcome(lambda: hash(x) == hash(y))
    for name in [f.name for f in dataclasses.fields(ours)] + ["not_a_field"]:
        assert _outcome(lambda n=name: setattr(a, n, 1)) == _outcome(lambda n=name: setattr(x, n, 1))
        assert _outcome(lambda n=name: delattr(a, n)) == _outcome(lambda n=name: delattr(x, n))
    assert repr(a.__getstate__()) == repr(x.__getstate__())  # type: ignore[attr-defined]
    if ours.__module__ != __name__:  # a class pickle can find by name (the twin is nowhere to be found)
        assert pickle.loads(pickle.dumps(a)) == a
    assert copy.copy(a) == a
    assert copy.deepcopy(a) == a
    assert repr(dataclasses.replace(a)) == repr(dataclasses.replace(x))
    assert _outcome(lambda: dataclasses.asdict(a)) == _outcome(lambda: dataclasses.asdict(x))


@pytest.mark.parametrize("cls", _ours(domain) + _ours(ports), ids=lambda cls: cls.__qualname__)
def test_a_domain_class_behaves_as_the_standard_librarys(cls: type) -> None:
    assert cls.__repr__.__module__ == cls.__module__  # made here, not by the standard library
    _same_behaviour(cls, _twin(cls))


class _Base:
    def greet(self) -> str:
        return "hello"


def _shapes() -> list[tuple[str, dict[str, Any], tuple[type, ...]]]:
    return [
        ("Empty", {"__annotations__": {}}, ()),
        ("One", {"__annotations__": {"a": "int"}}, ()),
        (
            "Options",
            {
                "__annotations__": {"a": "int", "b": "str", "c": "int", "d": "list[int]", "e": "ClassVar[int]"},
                "b": dataclasses.field(default="b", repr=False),
                "c": dataclasses.field(default=3, compare=False),
                "d": dataclasses.field(default_factory=list, hash=False),
                "e": 5,
            },
            (),
        ),
        (
            "HashOnly",
            {"__annotations__": {"a": "int", "b": "int"}, "b": dataclasses.field(default=0, hash=True, compare=False)},
            (),
        ),
        ("Described", {"__annotations__": {"a": "int"}, "__doc__": "A class with its own words."}, ()),
        ("Inherits", {"__annotations__": {"a": "int"}}, (_Base,)),
        ("Generic", {"__annotations__": {"items": "list[T]"}}, (Generic[T],)),  # type: ignore[misc]
    ]


@pytest.mark.parametrize(("name", "namespace", "bases"), _shapes(), ids=[shape[0] for shape in _shapes()])
def test_other_shapes_behave_as_the_standard_librarys(
    name: str, namespace: dict[str, Any], bases: tuple[type, ...]
) -> None:
    def make(decorate: Callable[[type], type]) -> type:
        body = {"__module__": __name__, "__qualname__": name, **namespace}
        body["__annotations__"] = dict(namespace["__annotations__"])
        return decorate(types.new_class(name, bases, {}, lambda ns: ns.update(body)))

    ours = make(values.dataclass(frozen=True, slots=True))
    twin = make(dataclasses.dataclass(frozen=True, slots=True))
    _same_behaviour(ours, twin)


def test_a_recursive_value_shows_dots_as_the_standard_librarys() -> None:
    @values.dataclass(frozen=True, slots=True)
    class Ours:
        inner: list[Any]

    @dataclasses.dataclass(frozen=True, slots=True)
    class Twin:
        inner: list[Any]

    a, x = Ours([]), Twin([])
    a.inner.append(a)
    x.inner.append(x)
    assert (
        repr(a).replace("Ours", "Twin")
        == repr(x)
        == "test_a_recursive_value_shows_dots_as_the_standard_librarys.<locals>.Twin(inner=[...])"
    )


def test_other_options_and_own_methods_go_to_the_standard_library() -> None:
    @values.dataclass(frozen=True, slots=True)
    class OwnRepr:
        a: int

        def __repr__(self) -> str:
            return "mine"

    @values.dataclass(frozen=True)
    class NotSlotted:
        a: int

    @values.dataclass
    class Plain:
        a: int

    assert repr(OwnRepr(1)) == "mine"
    assert OwnRepr.__eq__.__module__ != values.__name__
    assert OwnRepr(1) == OwnRepr(1)
    assert hash(OwnRepr(1)) == hash((1,))
    assert NotSlotted(1) == NotSlotted(1)
    assert not hasattr(NotSlotted, "__slots__")
    assert Plain(1) == Plain(1)
    assert Plain.__eq__.__module__ != values.__name__
