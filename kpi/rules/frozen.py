"""Frozen records built many thousands at a time (issue 17: a cold page builds a plan's records).

A frozen dataclass's own __init__ stores each field with object.__setattr__, one call per field,
because its __setattr__ refuses writes. Opening and grading a prefecture plan builds about 30 000
such records (YearValue, Rate, Grade, IndicatorYearResult …), and those calls were the larger part
of the time. quick_init gives the class an __init__ with the same parameters and defaults that fills
the instance's dict in one step; the class stays a frozen dataclass in every other way (equality,
hash, repr, replace, pickling, and the refusal of writes after construction).
"""

from __future__ import annotations

import dataclasses
from typing import TypeVar

T = TypeVar("T")


def quick_init(cls: type[T]) -> type[T]:
    """Replace a frozen dataclass's __init__ by one that writes all fields at once (then runs
    __post_init__, if the class has one). Only fields with a plain default or none are allowed."""
    params, names = [], []
    defaults: dict[str, object] = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            raise TypeError(f"{cls.__name__}.{f.name}: a field outside __init__ is not supported")
        if f.default_factory is not dataclasses.MISSING:
            raise TypeError(f"{cls.__name__}.{f.name}: a default_factory is not supported")
        names.append(f.name)
        if f.default is dataclasses.MISSING:
            params.append(f.name)
        else:
            defaults[f"_d_{f.name}"] = f.default
            params.append(f"{f.name}=_d_{f.name}")
    body = "self.__dict__.update({" + ", ".join(f"{n!r}: {n}" for n in names) + "})"
    post = "\n    self.__post_init__()" if hasattr(cls, "__post_init__") else ""
    src = f"def __init__(self, {', '.join(params)}):\n    {body}{post}\n"
    namespace: dict[str, object] = {}
    exec(src, dict(defaults), namespace)  # noqa: S102 - code made from the class's own field names
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = init
    return cls
