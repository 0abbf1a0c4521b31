"""Numbers as city halls write them (table-driven)."""

import pytest

from kpi.errors import NumberFormatError
from kpi.rules.numbers import format_number, format_percent, parse_number, plain, require_number


@pytest.mark.parametrize("raw, kind, value, estimate", [
    ("1,090", "number", 1090, False),
    ("930(見込み)", "number", 930, True),
    ("930（見込み）", "number", 930, True),
    ("930（見込）", "number", 930, True),
    ("930 見込み", "number", 930, True),
    ("５１８", "number", 518, False),
    ("１，０９０", "number", 1090, False),
    ("22.8%", "number", 22.8, False),
    ("２２．８％", "number", 22.8, False),
    ("△5", "number", -5, False),
    ("▲1,200", "number", -1200, False),
    ("-3.5", "number", -3.5, False),
    ("0", "number", 0, False),
    (0, "number", 0, False),
    (1152, "number", 1152, False),
    (0.5, "number", 0.5, False),
    ("―", "none", None, False),
    ("－", "none", None, False),
    ("-", "none", None, False),
    ("ー", "none", None, False),
    ("集計中", "none", None, False),
    ("", "blank", None, False),
    ("   ", "blank", None, False),
    (None, "blank", None, False),
    ("継続実施", "text", None, False),
    ("1,09", "text", None, False),
    ("1,O90", "text", None, False),
    ("12人", "text", None, False),
    (True, "text", None, False),
    (float("nan"), "text", None, False),
])
def test_parse_number(raw, kind, value, estimate):
    p = parse_number(raw)
    assert p.kind == kind
    assert p.value == value
    assert p.estimate is estimate


def test_missing_is_never_zero():
    for raw in ("", None, "―", "－"):
        assert parse_number(raw).value is None
    assert parse_number("0").value == 0


def test_percent_is_flagged():
    assert parse_number("22.8%").percent


@pytest.mark.parametrize("raw, unit, value", [
    ("2,094人", "人", 2094),
    ("10団体", "団体", 10),
    ("2,094 人", "人", 2094),
])
def test_unit_suffix_accepted_when_it_is_the_indicators_unit(raw, unit, value):
    assert parse_number(raw, unit).value == value
    assert parse_number(raw).kind == "text"


def test_require_number_names_the_text():
    with pytest.raises(NumberFormatError) as exc:
        require_number("未定", what="実績")
    assert "未定" in exc.value.message and "実績" in exc.value.message


@pytest.mark.parametrize("value, shown", [(1090.0, "1,090"), (22.75, "22.75"), (None, "―"), (0.0, "0"), (-5.0, "-5")])
def test_format_number(value, shown):
    assert format_number(value) == shown


@pytest.mark.parametrize("value, text", [(1152 / 1090, "1.057"), (1.0, "1"), (None, ""), (1090.0, "1090"), (0.96, "0.96")])
def test_plain(value, text):
    assert plain(value, 3) == text


def test_format_percent():
    assert format_percent(1152 / 1090) == "105.7%"
    assert format_percent(None) == "―"
