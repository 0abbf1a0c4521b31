"""進捗状況・実施状況 and 計画の概要: statuses, completion per 推進項目, searchable narratives, plan notes."""

import pytest
from view_plans import item, plan

from kpi.rules.grading import DEFAULT_RULE, PRESETS
from kpi.views.extras import Narrative, PlanExtras, PlanNote
from kpi.views.plan import plan_view
from kpi.views.qualitative import NO_STATUS, matches, qualitative_view, status_as_of

PLAN = plan(
    item("1-(1)-①", path=("1 環境づくり", "(1)活動拠点の整備"), statuses=[(None, "完了の目途", "28年3月予定")]),
    item("1-(2)-①", path=("1 環境づくり", "(2)活動支援"), statuses=[(None, "完了", "平成23年度新設")]),
    item("1-(2)-②", path=("1 環境づくり", "(2)活動支援"), statuses=[(2015, "継続中", None), (2017, "完了", None)]),
    item("2-(1)-①", path=("2 担い手づくり",), statuses=[(None, "未着手", None)], title="リーダー育成講習会"),
    item("2-(1)-②", path=("2 担い手づくり",)),
    levels=("推進項目", "施策"),
)
EXTRAS = PlanExtras(
    narratives=(Narrative("1-(1)-①", 2016, "市民活動サポートセンターを開設しました。"),
                Narrative("2-(1)-①", 2016, "認定農業者の更新や新規認定の呼びかけを行い、１０経営体が認定を受けました。"),
                Narrative("2-(1)-①", 2017, "ＮＰＯ向け講座を３回開催しました。"),
                Narrative("1-(2)-①", None, "年度の記載がない実施状況")),
    status_marks={("1-(2)-①", None): "✓"},
    notes=(PlanNote("milestone", 2, "平成20年度", 2008, "指針制定", ""),
           PlanNote("milestone", 1, "平成16年度", 2004, "準備室設置", ""),
           PlanNote("milestone", 3, "平成20年度", 2008, "職員研修開催", "毎年度1回"),
           PlanNote("positioning", 1, "平成21年12月", None, "自治基本条例", "第12条「協働」"),
           PlanNote("history", 1, "平成30年12月", None, "指針改定", "")),
)


@pytest.mark.parametrize("statuses, fy, expected", [
    ([(None, "実施中", None)], 2016, (None, "実施中", None)),  # no year given: as reported
    ([(2015, "継続中", None), (2017, "完了", None)], 2016, (2015, "継続中", None)),
    ([(2015, "継続中", None), (2017, "完了", None)], 2017, (2017, "完了", None)),
    ([(2017, "完了", None)], 2016, None),  # nothing reported yet by then
    ([(None, "未着手", None), (2016, "実施中", None)], 2016, (2016, "実施中", None)),
    ([], 2016, None),
])
def test_status_as_of_a_year(statuses, fy, expected):
    assert status_as_of(item("1", statuses=statuses), fy) == expected


@pytest.mark.parametrize("text, query, hit", [
    ("１０経営体が認定を受けました", "10", True),  # full-width digits match half-width
    ("ＮＰＯ向け講座", "npo", True),  # width and case ignored
    ("認定農業者の更新", "認定　更新", True),  # full-width space separates words: both must appear
    ("認定農業者の更新", "認定 補助", False),
    ("何か", "", True),
])
def test_search_matches_every_word(text, query, hit):
    assert matches(text, query) is hit


def test_completion_per_top_level_node_counts_each_status():
    v = qualitative_view(PLAN, EXTRAS, as_of_fy=2017)
    areas = {a.area: a for a in v.areas}
    env = areas["1 環境づくり"]
    assert (env.done, env.nearly, env.total) == (2, 1, 3)
    assert env.completion_text == "67%（目途を含め 100%）"
    people = areas["2 担い手づくり"]
    assert people.counts["未着手"] == 1 and people.counts[NO_STATUS] == 1
    assert people.completion_text == "0%"  # of the one item with a reported status
    assert v.statuses == ("完了", "完了の目途", "未着手", NO_STATUS)


def test_status_rows_carry_the_mark_from_the_sheet_or_the_status():
    rows = {r.item_no: r for r in qualitative_view(PLAN, EXTRAS, as_of_fy=2016).rows}
    assert (rows["1-(2)-①"].mark, rows["1-(2)-①"].status) == ("✓", "完了")
    assert (rows["1-(1)-①"].mark, rows["1-(1)-①"].note) == ("◇", "28年3月予定")
    assert (rows["1-(2)-②"].mark, rows["1-(2)-②"].status) == ("・", "継続中")  # 2016: the 2015 report


@pytest.mark.parametrize("query, year, fy, expected", [
    ("", None, 2017, ["2-(1)-①", "1-(1)-①", "2-(1)-①", "1-(2)-①"]),  # newest year first, undated last
    ("認定", None, 2017, ["2-(1)-①"]),
    ("リーダー", None, 2017, ["2-(1)-①", "2-(1)-①"]),  # the item's title is searched too
    ("", 2016, 2017, ["1-(1)-①", "2-(1)-①"]),
    ("", None, 2016, ["1-(1)-①", "2-(1)-①", "1-(2)-①"]),  # nothing after the selected year
    ("存在しない語", None, 2017, []),
])
def test_narratives_are_searchable(query, year, fy, expected):
    v = qualitative_view(PLAN, EXTRAS, as_of_fy=fy, query=query, year=year)
    assert [n.item_no for n in v.narratives] == expected
    assert len(v.tables["narratives"].rows) == len(expected)


def test_narratives_grouped_by_year_for_reading():
    v = qualitative_view(PLAN, EXTRAS, as_of_fy=2017)
    assert [label for label, _ in v.by_year] == ["平成29年度", "平成28年度", "時点の記載なし"]
    assert v.narrative_years == (2017, 2016, None)


def test_plan_view_facts_rule_and_notes():
    v = plan_view(PLAN, EXTRAS, PRESETS["manual"], style="wareki")
    facts = dict(v.facts)
    assert facts["計画期間"] == "平成27年度〜平成30年度（4年間）"
    assert facts["体系"] == "推進項目 ＞ 施策 ＞ 取組"
    assert [m.title for m in v.milestones] == ["準備室設置", "指針制定", "職員研修開催"]  # by seq
    assert [(w, len(ms)) for w, ms in v.milestone_groups] == [("平成16年度", 1), ("平成20年度", 2)]
    assert v.tables["positioning"].rows == (("平成21年12月", "自治基本条例", "第12条「協働」"),)
    assert v.tables["history"].rows == (("平成30年12月", "指針改定", ""),)  # other sections are shown too
    assert v.bands.rows[0] == ("A", "担当課・推進課が判断", "順調")


def test_plan_view_explains_when_an_item_counts_as_lagging():
    text = plan_view(PLAN, EXTRAS, DEFAULT_RULE).lagging_text
    assert "自動評価がB未満" in text and "「進捗に遅れあり」" in text and "実績が未報告（年度終了後も）" in text
    assert plan_view(PLAN, EXTRAS, DEFAULT_RULE, style="seireki").milestones[0].when == "2004年度"


def test_the_view_in_the_frames_calling_order_is_the_same_view():
    """The page asks for it through ui.frame.view, which also passes the rule, the day and the assessment."""
    from kpi.views.qualitative import qualitative_of
    got = qualitative_of(PLAN, DEFAULT_RULE, extras=EXTRAS, as_of_fy=2017, style="wareki", query="講座", year=2017,
                         today=None, assessed=None)
    assert got == qualitative_view(PLAN, EXTRAS, as_of_fy=2017, style="wareki", query="講座", year=2017)
