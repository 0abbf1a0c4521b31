"""kpi.rules.frozen.quick_init: the records a cold page builds by the thousand keep every behaviour
of a frozen dataclass; only their __init__ is faster."""

from __future__ import annotations

import dataclasses
import math
import pickle

import pytest

from kpi.outputs.meeting import Screen
from kpi.outputs.pack.slides import Comment, GradeRow, IndicatorPanel, ItemSlide, LagEntry, NumbersTable
from kpi.rules.assess import IndicatorYearResult, ItemResult, ItemYearResult
from kpi.rules.frozen import quick_init
from kpi.rules.graded import GradedItem
from kpi.rules.grading import Grade
from kpi.rules.lagging import LagReason, Series
from kpi.rules.model import Department, Evaluation, Indicator, Item, YearValue
from kpi.rules.rates import Rate
from kpi.views.common import GapRow, IndicatorView, ItemView, LaggingRow, YearPoint

RECORDS = (YearValue, Indicator, Evaluation, Department, Item, Rate, Grade, IndicatorYearResult, ItemYearResult,
           ItemResult, Series, LagReason, GradedItem, LaggingRow, GapRow, YearPoint, IndicatorView, ItemView, GradeRow,
           LagEntry, NumbersTable, IndicatorPanel, Comment, ItemSlide, Screen)


# Fields whose __post_init__ reads them as numbers.
TYPED = {(Rate, "value"): 0.5}


def _sample(cls) -> dict:
    """A distinct picklable value for every field (a string, or the field's default when it has one
    and the index is odd), so that a field stored under another name shows."""
    out = {}
    for i, f in enumerate(dataclasses.fields(cls)):
        out[f.name] = f.default if (i % 2 and f.default is not dataclasses.MISSING) else f"{cls.__name__}.{f.name}"
        out[f.name] = TYPED.get((cls, f.name), out[f.name])
    return out


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__name__)
def test_a_quick_record_is_still_a_frozen_dataclass(cls):
    values = _sample(cls)
    by_name = cls(**values)
    by_position = cls(*values.values())
    assert {f.name: getattr(by_name, f.name) for f in dataclasses.fields(cls)} == values
    assert by_position == by_name and hash(by_position) == hash(by_name) and repr(by_position) == repr(by_name)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(by_name, dataclasses.fields(cls)[0].name, "x")
    first = dataclasses.fields(cls)[0].name
    changed = dataclasses.replace(by_name, **{first: "別の値"})
    assert getattr(changed, first) == "別の値" and changed != by_name
    assert pickle.loads(pickle.dumps(by_name)) == by_name
    with pytest.raises(TypeError):
        cls(**values, not_a_field=1)


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__name__)
def test_a_quick_record_takes_its_defaults_and_needs_its_required_fields(cls):
    fields = dataclasses.fields(cls)
    required = {f.name: TYPED.get((cls, f.name), f"{cls.__name__}.{f.name}") for f in fields
                if f.default is dataclasses.MISSING}
    made = cls(**required)
    for f in fields:
        assert getattr(made, f.name) == (required[f.name] if f.name in required else f.default), f.name
    if required:
        with pytest.raises(TypeError):
            cls(**dict(list(required.items())[:-1]))


@pytest.mark.parametrize(("value", "expected", "missing"), [
    (1.25, 1.25, ""),
    (math.inf, None, "overflow"),
    (-math.inf, None, "overflow"),
    (math.nan, None, "overflow"),
    (None, None, "no_actual"),
])
def test_a_rate_still_refuses_a_value_that_is_not_finite(value, expected, missing):
    r = Rate("achievement", value, 5.0, 4.0, missing="" if value is not None else "no_actual")
    assert (r.value, r.missing) == (expected, missing)


def test_quick_init_refuses_what_it_cannot_write_at_once():
    @dataclasses.dataclass(frozen=True)
    class Listed:
        rows: list = dataclasses.field(default_factory=list)

    with pytest.raises(TypeError, match="default_factory"):
        quick_init(Listed)
