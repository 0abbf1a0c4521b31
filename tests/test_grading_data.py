"""Issue 16 grades in issue 15's form: each grade holds the code of why and the numbers, and its
sentence is made when it is shown (describe_grade), in the same words for every display style."""

from __future__ import annotations

from dataclasses import fields

import pytest

from kpi.rules.grading import PRESETS, Grade, describe_grade, grade_indicator_year, item_grade

MIXED = PRESETS["target_baseline"]  # A 達成率 ≥100% / B 変化率 >0 / C 変化率 ≥ −10% / D それ以外


def _ind(rule, **values):
    return grade_indicator_year(rule, direction=values.pop("direction", "higher"), **values)


@pytest.mark.parametrize("values, why, unjudged, sentence", [
    (dict(actual=125, target=120, baseline=100), "band", (),
     "達成率 104.2%（125 ÷ 120 = 104.2%）が A の基準（100%以上）を満たすため A"),
    (dict(actual=110, target=None, baseline=100, final_target=130), "band", (("A", "achievement", "no_target"),),
     "基準値からの変化率 10.0%（(110 − 100) ÷ 100 = 10.0%）が B の基準（基準値から0%超）を満たすため B"
     "（A（達成率）はこの年度の計画値がないため判定せず）"),
    (dict(actual=89, target=120, baseline=100), "below", (),
     "基準値からの変化率 -11.0%（(89 − 100) ÷ 100 = -11.0%）が C の基準（基準値から-10%以上）に届かないため D"),
    (dict(actual=110, target=120, baseline=None), "unjudged_below",
     (("B", "baseline", "no_baseline"), ("C", "baseline", "no_baseline")),
     "達成率 91.7%（110 ÷ 120 = 91.7%）は A の基準（100%以上）に届きませんが、B（基準値からの変化率）は基準値がない、"
     "C（基準値からの変化率）は基準値がないため判定できず、評価しません"),
    (dict(actual=None, target=120, baseline=100), "no_measure",
     (("A", "achievement", "no_actual"), ("B", "baseline", "no_actual"), ("C", "baseline", "no_actual")),
     "どの区分の値も算出できないため評価しません（実績が報告されていません）"),
])
def test_a_mixed_grade_is_codes_and_numbers(values, why, unjudged, sentence):
    g = _ind(MIXED, **values)
    assert g.why == why
    assert tuple((u.label, u.measure, u.why or (u.rate.missing if u.rate else "")) for u in g.unjudged) == unjudged
    assert describe_grade(g) == g.reason == sentence
    # no sentence is stored: only codes, labels, numbers and the grades and rates they come from
    assert not [f.name for f in fields(Grade) if f.name in ("reason", "text", "sentence")]


@pytest.mark.parametrize("rule, named, label, why, sentence", [
    ("points_average", [("a", "S"), ("b", "B")], "A", "average",
     "指標の評価の点数（S=4・A=3・B=2・C=1）の平均 6 ÷ 2 = 3 を四捨五入して 3点のため A（a S（4点）、b B（2点））"),
    ("self_vs_plan", [("a", "S")], None, "item_manual",
     "この計画では取組の評価を担当課が付けます（指標の評価から自動では決めません）"),
    ("abc", [("a", "A"), ("b", "C")], "C", "worst", None),
])
def test_an_items_grade_is_codes_and_the_indicators_grades(rule, named, label, why, sentence):
    grades = [(n, Grade(l, "band")) for n, l in named]
    g = item_grade(PRESETS[rule], grades)
    assert (g.label, g.why) == (label, why)
    if sentence:
        assert describe_grade(g) == sentence


def test_an_item_whose_indicators_share_a_named_state_is_in_that_state():
    none = _ind(MIXED, actual=110, target=None, baseline=100)
    assert (none.why, none.state, none.condition) == ("no_measure", "評価なし", "no_target")
    assert describe_grade(none) == ("どの区分の値も算出できないため評価しません（この年度の計画値がないため評価しません、"
                                    "目標が設定されていないため評価しません）")
    g = item_grade(MIXED, [("a", none), ("b", none)])
    assert (g.why, g.shown, g.condition) == ("none_gradable", "評価なし", "no_target")
    assert describe_grade(g) == f"評価できる指標がありません（a: {describe_grade(none)}、b: {describe_grade(none)}）"
