"""達成率, 進捗率, direction, grades and self-grade gaps (table-driven)."""

import pytest

from kpi.rules.direction import infer_direction, is_cumulative_name, parse_direction
from kpi.rules.grading import (
    DEFAULT_RULE,
    PRESETS,
    Band,
    Grade,
    GradingRule,
    grade_gap,
    grade_indicator_year,
    worst_grade,
)
from kpi.rules.rates import achievement_rate, change_from_baseline, progress_rate


@pytest.mark.parametrize("actual, target, direction, value, computation", [
    (1152, 1090, "higher", 1152 / 1090, "1,152 ÷ 1,090 = 105.7%"),
    (48, 50, "higher", 0.96, "48 ÷ 50 = 96.0%"),
    (55, 66, "higher", 55 / 66, "55 ÷ 66 = 83.3%"),
    (500, 480, "lower", 480 / 500, "480 ÷ 500 = 96.0%"),
    (400, 480, "lower", 1.2, "480 ÷ 400 = 120.0%"),
    (0, 10, "higher", 0.0, "0 ÷ 10 = 0.0%"),
])
def test_achievement_rate(actual, target, direction, value, computation):
    r = achievement_rate(actual, target, direction)
    assert r.value == pytest.approx(value)
    assert r.computation == computation
    assert "達成率" in r.explanation


@pytest.mark.parametrize("actual, target, direction, reason", [
    (None, 10, "higher", "実績が報告されていません"),
    (5, None, "higher", "計画値がありません"),
    (5, 0, "higher", "計画値が0"),
    (0, 10, "lower", "実績が0"),
])
def test_achievement_rate_without_value_says_why(actual, target, direction, reason):
    r = achievement_rate(actual, target, direction)
    assert r.value is None
    assert reason in r.reason
    assert "算出できません" in r.explanation


@pytest.mark.parametrize("actual, baseline, target, value", [
    (43, 37, 42, 1.2),
    (48, 37, 50, 11 / 13),
    (1152, 930, 1090, 222 / 160),
    (450, 500, 400, 0.5),  # lower is better: the signs carry the direction
    (37, 37, 42, 0.0),
])
def test_progress_rate(actual, baseline, target, value):
    assert progress_rate(actual, baseline, target).value == pytest.approx(value)


def test_progress_rate_needs_distinct_baseline_and_target():
    r = progress_rate(10, 5, 5)
    assert r.value is None and "同じ" in r.reason
    assert progress_rate(10, None, 5).reason == "基準値がありません"


@pytest.mark.parametrize("actual, baseline, direction, value", [
    (110, 100, "higher", 0.1),
    (90, 100, "higher", -0.1),
    (90, 100, "lower", 0.1),
])
def test_change_from_baseline(actual, baseline, direction, value):
    assert change_from_baseline(actual, baseline, direction).value == pytest.approx(value)


@pytest.mark.parametrize("kwargs, direction, source", [
    (dict(baseline=930, final_target=1570), "higher", "inferred"),
    (dict(baseline=600, final_target=480), "lower", "inferred"),
    (dict(baseline=930, yearly_targets=[(2015, 1090), (2016, 1250)]), "higher", "inferred"),
    (dict(yearly_targets=[(2015, 100), (2016, 90)]), "lower", "inferred"),
    (dict(final_target=480, name="市民一人1日当たりごみ量"), "lower", "inferred"),
    (dict(name="参加者数"), "higher", "default"),
    (dict(baseline=600, final_target=480, explicit="higher", explicit_source="manual"), "higher", "manual"),
    (dict(baseline=600, final_target=480, explicit="higher"), "higher", "sheet"),
])
def test_infer_direction(kwargs, direction, source):
    d = infer_direction(**kwargs)
    assert (d.direction, d.source) == (direction, source)
    assert d.reason


@pytest.mark.parametrize("text, direction", [
    ("高いほど良い", "higher"), ("低いほど良い", "lower"), ("↑", "higher"), ("↓", "lower"),
    ("lower", "lower"), ("少ないほど良い", "lower"), ("", None), (None, None), ("どちらでも", None),
])
def test_parse_direction(text, direction):
    assert parse_direction(text) == direction


@pytest.mark.parametrize("name, cumulative", [
    ("コミュニティ・コーディネーター育成講座受講者数(累計)", True),
    ("受講者数（累計）", True),
    ("まちづくりセンター数", False),
])
def test_cumulative_name(name, cumulative):
    assert is_cumulative_name(name) is cumulative


ABC = DEFAULT_RULE


@pytest.mark.parametrize("rule_key, actual, target, direction, label", [
    ("abc", 1152, 1090, "higher", "A"),
    ("abc", 1090, 1090, "higher", "A"),
    ("abc", 48, 50, "higher", "B"),
    ("abc", 80, 100, "higher", "B"),
    ("abc", 79.9, 100, "higher", "C"),
    ("abc", 55, 66, "higher", "B"),
    ("abc", 700, 480, "lower", "C"),
    ("abc", 600, 480, "lower", "B"),
    ("abc", 500, 480, "lower", "B"),
    ("sabcd", 130, 100, "higher", "S"),
    ("sabcd", 100, 100, "higher", "A"),
    ("sabcd", 70, 100, "higher", "C"),
    ("sabcd", 50, 100, "higher", "D"),
    ("marks", 100, 100, "higher", "◎"),
    ("marks", 60, 100, "higher", "△"),
    ("marks", 10, 100, "higher", "×"),
    ("words", 85, 100, "higher", "おおむね順調"),
    ("words", 20, 100, "higher", "努力を要する"),
])
def test_grade_by_achievement(rule_key, actual, target, direction, label):
    g = grade_indicator_year(PRESETS[rule_key], actual=actual, target=target, direction=direction)
    assert g.label == label
    assert label in g.reason and "達成率" in g.reason


def test_grade_explains_threshold():
    g = grade_indicator_year(ABC, actual=55, target=66, direction="higher")
    assert g.reason == "達成率 83.3%（55 ÷ 66 = 83.3%）が B の基準（80%以上）を満たすため B"
    g = grade_indicator_year(ABC, actual=70, target=100, direction="higher")
    assert "B の基準（80%以上）に届かないため C" in g.reason


@pytest.mark.parametrize("rule_key, kwargs, label", [
    ("progress", dict(actual=48, target=50, baseline=37, final_target=66), "C"),  # (48-37)/(66-37)=0.38
    ("progress", dict(actual=55, target=66, baseline=37, final_target=66), "B"),  # 0.62
    ("progress", dict(actual=48, target=50, baseline=37), "B"),  # no final target: this year's target, 0.85
    ("baseline", dict(actual=48, target=50, baseline=37), "改善"),
    ("baseline", dict(actual=37, target=50, baseline=37), "横ばい"),
    ("baseline", dict(actual=30, target=50, baseline=37), "悪化"),
])
def test_grade_by_other_measures(rule_key, kwargs, label):
    g = grade_indicator_year(PRESETS[rule_key], direction="higher", **kwargs)
    assert g.label == label


@pytest.mark.parametrize("rule_key, kwargs, reason", [
    ("abc", dict(actual=10, target=None), "計画値がない"),
    ("abc", dict(actual=None, target=10), "実績が報告されていません"),
    ("manual", dict(actual=10, target=10), "手動評価のみ"),
    ("baseline", dict(actual=10, target=None, baseline=5), "目標が設定されていない"),
])
def test_ungraded_states(rule_key, kwargs, reason):
    g = grade_indicator_year(PRESETS[rule_key], direction="higher", **kwargs)
    assert g.label is None and not g.graded
    assert reason in g.reason


def test_item_grade_is_worst_of_indicators():
    a = grade_indicator_year(ABC, actual=1671, target=1570, direction="higher")
    b = grade_indicator_year(ABC, actual=55, target=66, direction="higher")
    g = worst_grade(ABC, [("受講者数", a), ("まちづくりセンター数", b)])
    assert g.label == "B"
    assert "まちづくりセンター数" in g.reason and "最も低い" in g.reason


def test_item_grade_ignores_ungraded_indicators_and_is_ungraded_without_any():
    none = Grade(None, "計画値がない", None, "ungraded")
    a = grade_indicator_year(ABC, actual=10, target=10, direction="higher")
    assert worst_grade(ABC, [("x", none), ("y", a)]).label == "A"
    assert worst_grade(ABC, [("x", none)]).label is None
    assert worst_grade(ABC, []).label is None


@pytest.mark.parametrize("self_grade, auto, steps, words", [
    ("C", "B", -1, "1段階低い"),
    ("A", "C", 2, "2段階高い"),
    ("B", "B", 0, "一致"),
    ("c", "B", -1, "1段階低い"),
    ("Ｃ", "B", -1, "1段階低い"),
    ("完了", "B", None, "評価区分"),
    (None, "B", None, "自己評価がありません"),
])
def test_grade_gap(self_grade, auto, steps, words):
    g = grade_gap(ABC, self_grade, Grade(auto, ""))
    assert g.steps == steps
    assert words in g.text


def test_rule_json_round_trip_and_validation():
    for rule in PRESETS.values():
        assert GradingRule.from_json(rule.to_json()) == rule
        assert rule.validate() == []
    bad = GradingRule(bands=(Band("A", 0.8), Band("B", 1.0)))
    assert "しきい値は上の区分ほど大きく" in "".join(bad.validate())
    assert GradingRule(lagging_below="Z").validate()


def test_rule_describe():
    assert ABC.describe() == "A: 100%以上 / B: 80%以上 / C: それ以外（達成率（実績 ÷ 計画））"


def test_ranks_and_ungraded_labels():
    assert ABC.rank("A") == 0 and ABC.rank("C") == 2
    assert ABC.rank("完了") is None
    assert ABC.is_worse_than("C", "B") and not ABC.is_worse_than("B", "B")
    assert "評価困難" in ABC.self_grade_labels


@pytest.mark.parametrize("name, direction", [
    ("振り込め詐欺被害防止キャンペーン参加者数", "higher"),
    ("交通事故件数", "lower"),
    ("市民一人1日当たりごみ量", "lower"),
    ("待機児童数（4月1日）", "lower"),
    ("防災訓練参加者数", "higher"),
])
def test_direction_words_look_at_what_is_counted(name, direction):
    assert infer_direction(name=name).direction == direction
