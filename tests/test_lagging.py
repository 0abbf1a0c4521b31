"""Lagging: every reason listed, each with its own sentence."""

from datetime import date

import pytest

from kpi.rules.grading import DEFAULT_RULE, Grade
from kpi.rules.lagging import is_lagging, lagging_reasons, pace_to_goal
from kpi.rules.model import Indicator, YearValue

TODAY = date(2026, 11, 23)


def ind(name="指標", years=(), direction="higher", baseline=None, baseline_fy=None, final=None, final_fy=None):
    return Indicator(name=name, direction=direction, baseline=baseline, baseline_fy=baseline_fy,
                     final_target=final, final_target_fy=final_fy,
                     years=tuple(YearValue(fy, t, a) for fy, t, a in years))


def reasons(**kw):
    args = dict(as_of_fy=2018, today=TODAY, indicators=(), item_grades={}, self_grades={}, first_half={})
    args.update(kw)
    return lagging_reasons(DEFAULT_RULE, **args)


def codes(rs):
    return [r.code for r in rs if r.lagging]


@pytest.mark.parametrize("kw, expected", [
    (dict(item_grades={2018: Grade("C", "x")}), ["auto_grade"]),
    (dict(item_grades={2018: Grade("B", "x")}), []),
    (dict(item_grades={2015: Grade("C", "x")}), []),  # stale: older than the year before
    (dict(self_grades={2018: "C"}), ["self_grade"]),
    (dict(self_grades={2017: "c"}), ["self_grade"]),
    (dict(self_grades={2018: "B"}), []),
    (dict(self_grades={2018: "完了"}), []),
    (dict(first_half={2018: "進捗に遅れあり"}), ["first_half"]),
    (dict(first_half={2018: "順調"}), []),
    (dict(indicators=(ind(years=[(2018, 10, None)]),)), ["actual_missing"]),
    (dict(indicators=(ind(years=[(2018, 10, None)]),), today=date(2019, 3, 1)), []),  # year not over yet
    (dict(indicators=(ind(years=[(2018, None, None)]),)), []),  # no target: nothing was due
    (dict(self_grades={2018: "C"}, first_half={2018: "進捗に遅れあり"}, item_grades={2018: Grade("C", "x")}),
     ["auto_grade", "self_grade", "first_half"]),
])
def test_lagging_reasons(kw, expected):
    rs = reasons(**kw)
    assert codes(rs) == expected
    assert is_lagging(rs) is bool(expected)
    for r in rs:
        assert r.detail


def test_pace_cannot_reach_final_target():
    i = ind("まちづくりセンター数", years=[(2015, 42, 43), (2016, 50, 48), (2017, 58, 54), (2018, 66, None)],
            baseline=37, baseline_fy=2014)
    rs = reasons(as_of_fy=2017, today=date(2018, 1, 10), indicators=(i,))
    pace = [r for r in rs if r.code == "pace"]
    assert pace, rs
    # From 37 (2014) to 54 (2017): +5.67 a year; 2018 needs 66 (+12).
    assert "届きません" in pace[0].detail and "66" in pace[0].detail


def test_pace_reachable_is_not_a_reason():
    i = ind(years=[(2015, 10, 12), (2016, 20, 22)], baseline=0, baseline_fy=2014, final=30, final_fy=2017)
    p = pace_to_goal(i, as_of_fy=2016)
    assert p is not None and p.reachable
    assert p.projected == pytest.approx(33)
    assert "pace" not in codes(reasons(as_of_fy=2016, indicators=(i,)))


def test_pace_lower_is_better():
    i = ind(years=[(2017, None, 590), (2018, None, 580)], direction="lower", baseline=600, baseline_fy=2016,
            final=480, final_fy=2022)
    p = pace_to_goal(i, as_of_fy=2018)
    assert p is not None and not p.reachable  # -10 a year: 540 in 2022, target 480


def test_below_target_is_listed_as_a_supporting_fact():
    i = ind("まちづくりセンター数", years=[(2015, 42, 43), (2016, 50, 48), (2017, 58, 54), (2018, 66, 55)])
    rs = reasons(indicators=(i,))
    below = [r for r in rs if r.code == "below_target"]
    assert len(below) == 1 and not below[0].lagging
    assert below[0].years == (2016, 2017, 2018)
    assert "平成28年度〜平成30年度" in below[0].detail
    assert not is_lagging(rs)


@pytest.mark.parametrize("baseline, years, expected, lagging", [
    (0, [(2015, 10, 60), (2016, 20, 70)], "すでに達しています", False),  # rising, already past 50
    (120, [(2015, 10, 90), (2016, 20, 60)], "すでに達していますが、", True),  # past 50 but falling 30 a year
])
def test_pace_when_the_goal_is_already_met(baseline, years, expected, lagging):
    i = ind(years=years, baseline=baseline, baseline_fy=2014, final=50, final_fy=2019)
    p = pace_to_goal(i, as_of_fy=2016)
    assert expected in p.text
    assert "必要なペース" not in p.text
    assert p.reachable is not lagging
