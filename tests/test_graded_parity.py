"""Grading as data (issue 17): assess_plan grades a plan once, column-wise (kpi.rules.graded), and
adds only the lagging step per as-of year. It must give exactly what the per-item rules give
(assess_item): every grade, rate, gap and lagging reason, for every rule class (ひな形) and plan."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import date

import pytest
from conftest import ROOT, TODAY

from kpi.rules.assess import assess_item, assess_plan, assessor, default_as_of
from kpi.rules.grading import PRESETS, Band, GradingRule
from kpi.rules.model import Evaluation, Indicator, Item, PlanData, PlanInfo, YearValue
from kpi.store.store import Store

sys.path.insert(0, str(ROOT))


def _old(data: PlanData, rule: GradingRule, as_of: int, today: date):
    years = tuple(sorted(set(data.data_years) | set(data.plan.years)))
    return [assess_item(rule, it, as_of_fy=as_of, today=today, years=years, plan_end_fy=data.plan.end_fy)
            for it in data.items]


def _same(data: PlanData, rule: GradingRule, as_of: int, today: date = TODAY) -> int:
    new = assess_plan(data, rule, as_of_fy=as_of, today=today)
    old = _old(data, rule, as_of, today)
    assert len(new.items) == len(old)
    for n, o in zip(new.items, old):
        assert n.indicator_years == o.indicator_years, (rule.name, o.item.item_no)
        assert n.years == o.years, (rule.name, o.item.item_no)
        assert n.reasons == o.reasons, (rule.name, o.item.item_no)
        assert n == o
    return sum(len(o.indicator_years) for o in old)


def _plans(db) -> list[tuple[PlanData, GradingRule]]:
    s = Store.open(db)
    try:
        return [(s.load_plan(p.plan_id), s.rule(p.plan_id)) for p in s.plans()]
    finally:
        s.close()


# Rules beside the templates: a mixed rule whose top label has no measure of its own, states for
# every condition, a progress rule with an upper bound, text matches, rounding down and up.
EXTRA_RULES = (
    replace(PRESETS["target_baseline"], item_grade="average", rounding="down"),
    replace(PRESETS["progress"], auto_states=(("no_actual", "−"), ("not_measurable", "算出不可")),
            text_grades=(("実施", "A"), ("未実施", "C"))),
    replace(PRESETS["baseline"], item_grade="average", rounding="up", auto_states=(("no_target", "評価なし"),)),
    replace(PRESETS["sabcd"], actual_grace_months=3, text_grades=(("実施済", "S"),)),
    GradingRule(name="三つの測り方", bands=(Band("S", 1.0, measure="progress"), Band("A", 1.0),
                                         Band("B", -0.1, measure="baseline", max_rate=0.1), Band("C", 0.5)),
                default_label="D", lagging_below="B", auto_states=(("not_measurable", "−"),)),
)
RULES = tuple(PRESETS.values()) + EXTRA_RULES


@pytest.fixture(scope="module")
def demo_plans(tmp_path_factory):
    from conftest import _demo_db
    return _plans(_demo_db(tmp_path_factory))


@pytest.fixture(scope="module")
def municipal_plan(tmp_path_factory):
    """bench/generate.py's municipal plan (150 items, 400 indicators, 10 years)."""
    from bench.generate import SCALES, plan_batch, plan_specs
    from kpi.store.store import UploadMeta
    db = tmp_path_factory.mktemp("municipal") / "m.duckdb"
    s = Store.open(db)
    try:
        s.apply(plan_batch(plan_specs(SCALES["municipal"])[0]), UploadMeta(user="test", kind="demo"))
    finally:
        s.close()
    (plan,) = _plans(db)
    return plan


def test_the_demo_plans_grade_the_same_under_every_rule(demo_plans):
    rows = 0
    for data, own in demo_plans:
        latest = default_as_of(data, TODAY)
        rows += _same(data, own, latest - 2)
        for rule in (own,) + RULES:
            rows += _same(data, rule, latest)
    assert rows > 100  # the samples have graded indicator years, not only statuses


@pytest.mark.slow  # the plan is written into a store first (about 5 s)
def test_the_municipal_plan_grades_the_same(municipal_plan):
    data, own = municipal_plan
    assert len(data.items) == 150
    as_of = max(data.data_years)
    assert _same(data, own, as_of) > 3000
    part = replace(data, items=data.items[:12])  # every rule class and another year on a slice, to stay cheap
    _same(part, own, as_of - 1, date(as_of + 1, 5, 1))
    for rule in RULES:
        _same(part, rule, as_of - 2)


def _ind(name: str, years: tuple[YearValue, ...], **kw) -> Indicator:
    return Indicator(name=name, years=years, **kw)


Y = YearValue
# The corners of the rates and the rules: zero and missing operands, lower-is-better, a final
# target, overflow, a baseline of 0, words, a year given twice (the first counts).
ODD = PlanData(PlanInfo(1, "端のケース", start_fy=2020, end_fy=2024), items=(
    Item("1", "数値の端", indicators=(
        _ind("ゼロ", (Y(2020, 0, 0), Y(2021, 0, 5), Y(2022, 10, 0), Y(2023, None, 3), Y(2024, 4, None))),
        _ind("低いほど", (Y(2020, 5, 0), Y(2021, -1, 0), Y(2022, 5, 4), Y(2023, 5, 6)), direction="lower",
             baseline=8, baseline_fy=2019),
        _ind("最終目標", (Y(2020, 10, 12), Y(2021, 20, 15), Y(2022, None, 18)), baseline=10, baseline_fy=2019,
             final_target=30, final_target_fy=2024),
        _ind("あふれ", (Y(2020, 1e-300, 1e14), Y(2021, 1e308, -1e308)), baseline=1e-300),
        _ind("基準値ゼロ", (Y(2020, 5, 3), Y(2020, 9, 9), Y(2021, 5, 5)), baseline=0, baseline_fy=2019),
        _ind("計画なし", (Y(2021, None, 3), Y(2022, None, 5)), baseline=4, final_target=6, final_target_fy=2024),
    ), evaluations=(Evaluation(2022, "年度", "C"), Evaluation(2023, "上半期", "遅れあり"), Evaluation(2023, "年度", "A"),
                    Evaluation(2023, "年度", "B"))),
    Item("2", "文章", indicators=(
        _ind("実施状況", (Y(2020, target_words="実施", actual_words="実施"), Y(2021, target_words="実施"),
                          Y(2022, actual_words="未実施"), Y(2023, actual_words="実施済")), qualitative=True),
        _ind("件数", (Y(2020, 3, 3), Y(2021, 3, 1))),
    )),
    Item("3", "指標なし", evaluations=(Evaluation(2021, "年度", "D"),)),
))


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_the_corner_cases_grade_the_same(rule):
    for as_of in (2021, 2023):
        _same(ODD, rule, as_of, date(2024, 6, 1))


def test_every_year_shares_one_grading():
    shared = assessor(ODD, PRESETS["sabcd"], today=TODAY)
    this, last = shared(2023), shared(2022)
    assert this.item("1").indicator_years is last.item("1").indicator_years
    assert this.item("1").years is last.item("1").years
    assert this.item("1").reasons != last.item("1").reasons  # only the lagging step differs
