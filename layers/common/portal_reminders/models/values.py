"""`dataclass`, as the standard library's, made faster to define for the frozen, slotted value classes
(`@dataclass(frozen=True, slots=True)`) that every function defines at import (docs/cold-start.md).

The standard library writes the source of each generated method and compiles it (one `exec` per
method: __init__, __repr__, __eq__, __hash__, __setattr__, __delattr__), which is most of what a
class costs to define (about 0.7 ms each on Lambda's Python 3.12). Here the standard library still
makes the class, its fields, __init__, the frozen __setattr__/__delattr__, the slots and their
pickling, and the docstring; __repr__, __eq__ and __hash__, which only read the fields in order,
are closures over the field names instead of compiled source. They return what the generated ones
return (tests/unit/test_values.py compares the two on every class of the domain), and the class's
`__dataclass_params__` reads as the standard library's.

Any other combination of options, or a class that defines __repr__, __eq__ or __hash__ itself,
goes to the standard library's `dataclass` unchanged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from operator import attrgetter
from reprlib import recursive_repr
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")

_FAST = {"frozen": True, "slots": True}
_GENERATED = ("__repr__", "__eq__", "__hash__")


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def dataclass(cls: type[T] | None = None, /, **options: Any) -> Any:
    """`dataclasses.dataclass`, with `frozen=True, slots=True` made cheaper to define."""
    if options != _FAST:
        return dataclasses.dataclass(cls, **options) if cls is not None else dataclasses.dataclass(**options)
    return _frozen_slotted(cls) if cls is not None else _frozen_slotted


def _frozen_slotted(cls: type[T]) -> type[T]:
    if any(name in cls.__dict__ for name in _GENERATED):
        return dataclasses.dataclass(cls, frozen=True, slots=True)
    made: Any = dataclasses.dataclass(cls, frozen=True, slots=True, repr=False, eq=False)
    fields = dataclasses.fields(made)
    shown = _getter([f.name for f in fields if f.repr])
    compared = _getter([f.name for f in fields if f.compare])
    hashed = _getter([f.name for f in fields if (f.compare if f.hash is None else f.hash)])
    names = [f.name for f in fields if f.repr]

    def __repr__(self: Any) -> str:
        values = shown(self)
        inside = ", ".join(f"{name}={value!r}" for name, value in zip(names, values, strict=True))
        return f"{self.__class__.__qualname__}({inside})"

    def __eq__(self: Any, other: object) -> Any:
        if other.__class__ is self.__class__:
            return compared(self) == compared(other)
        return NotImplemented

    def __hash__(self: Any) -> int:
        return hash(hashed(self))

    for method in (recursive_repr("...")(__repr__), __eq__, __hash__):
        method.__qualname__ = f"{made.__qualname__}.{method.__name__}"
        method.__module__ = made.__module__
        setattr(made, method.__name__, method)
    params = made.__dataclass_params__
    made.__dataclass_params__ = type(params)(
        **{name: getattr(params, name) for name in type(params).__slots__} | {"repr": True, "eq": True}
    )
    made_class: type[T] = made
    return made_class


def _getter(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The fields' values as a tuple, in order (what the generated methods compare and hash)."""
    if len(names) > 1:
        getter: Callable[[Any], tuple[Any, ...]] = attrgetter(*names)
        return getter
    if names:
        (name,) = names
        return lambda obj: (getattr(obj, name),)
    return lambda obj: ()
