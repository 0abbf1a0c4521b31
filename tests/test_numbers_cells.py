"""The one reading of messy cells that every layout, known or taught, goes through (table-driven)."""

import pytest

from kpi.rules.numbers import is_fraction_series, parse_number


@pytest.mark.parametrize("raw, kind, value, note, estimate", [
    ("29（4）", "number", 29, "（4）", False),  # a count with a sub-count: the bracket is kept as a note
    ("36(1)", "number", 36, "（1）", False),
    ("１２（うち新規３）", "number", 12, "（うち新規3）", False),
    ("1,090（見込み）", "number", 1090, None, True),  # 見込み is an estimate, not a note
    ("100,000", "number", 100000, None, False),
    ("19,624.72", "number", 19624.72, None, False),
    ("１４，０００", "number", 14000, None, False),  # full-width digits and comma
    (" 12\n", "number", 12, None, False),  # spaces and a line break around the figure
    ("14,100(見込み)", "number", 14100, None, True),
    ("-", "none", None, None, False),  # the four dashes of the Ofunato sheet all mean "no value"
    ("－", "none", None, None, False),
    ("―", "none", None, None, False),
    ("‐", "none", None, None, False),
    ("(4)", "text", None, None, False),  # a bracket without a main figure is not a number
    ("29（a）", "text", None, None, False),
    ("約30", "text", None, None, False),
])
def test_messy_cells(raw, kind, value, note, estimate):
    p = parse_number(raw)
    assert (p.kind, p.value, p.note, p.estimate) == (kind, value, note, estimate)


@pytest.mark.parametrize("raws, unit, fraction", [
    ([0.0298, 0.3497, 0.505], "％", True),  # Excel's percent format keeps 2.98％ as 0.0298
    ([0.0, 1.0, 0.996], "%", True),
    (["-", "-", 0.2, 0.9], "％", True),
    (["-", 0.2, 0.9, 1.8], "％", False),  # 1.8 cannot be a fraction of a whole
    (["0.8", 0.5, 0.5], "％", False),  # typed as text: the digits are what the person wrote
    ([0.0, 1.0, 1.0], "％", False),  # no value between 0 and 1: nothing says these are fractions
    ([0.25, 0.5], "件", False),  # only under a ％ unit
    ([75.2, 80.5], "％", False),
])
def test_fractions_under_a_percent_unit(raws, unit, fraction):
    assert is_fraction_series(raws, unit) is fraction
