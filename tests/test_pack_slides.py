"""The committee deck (kpi.outputs.pack.slides): what each slide says, on a small plan and on the demo."""

from __future__ import annotations

from datetime import date

from kpi.outputs.opinions import Opinion
from kpi.rules.model import Department, Evaluation, Indicator, Item, PlanData, PlanInfo, YearValue

TODAY = date(2026, 11, 23)


def ind(name: str, *years: tuple[int, float | None, float | None], unit: str = "件") -> Indicator:
    return Indicator(name, unit, years=tuple(YearValue(fy, t, a) for fy, t, a in years))


def plan(titles: dict[str, str] | None = None) -> PlanData:
    """Item 1 on target (A), 2 far below (C), 3 close (B) but self-graded C, 4 without indicators.

    titles may replace item titles (e.g. with text that looks like a spreadsheet formula).
    """
    t = {"1": "順調な取組", "2": "遅れている取組", "3": "自己評価が厳しい取組", "4": "数値目標のない取組"} | (titles or {})
    dept = (Department("市民協働課", True),)
    items = (
        Item("1", t["1"], ("基本目標1",), dept, indicators=(ind("参加者数", (2024, 100, 90), (2025, 100, 120)),), sort=1),
        Item("2", t["2"], ("基本目標1",), (Department("財政課", True),),
             indicators=(ind("実施件数", (2024, 100, 100), (2025, 100, 50), (2026, 100, None)),), sort=2),
        Item("3", t["3"], ("基本目標2",), dept, indicators=(ind("登録団体数", (2025, 100, 85)),),
             evaluations=(Evaluation(2025, "年度", "C", "団体の登録が伸び悩んだ。", "周知の方法を見直す。"),), sort=3),
        Item("4", t["4"], ("基本目標2",), dept, statuses=((2025, "実施中", None),), sort=4),
    )
    return PlanData(PlanInfo(1, "テスト計画", "テスト市", start_fy=2024, end_fy=2026), items)


OPINIONS = (
    Opinion("2", "令和7年度第1回", 1, date(2025, 8, 1), "件数が減った理由を説明してほしい。", "人員の減によるもの。体制を見直す。",
            "財政課"),
    Opinion("2", "令和7年度第2回", 1, date(2026, 2, 1), "見直した体制の効果は。"),
    Opinion("3", "令和8年度第1回", 1, date(2026, 8, 1), "今回の会議の意見。"),
)


# ----------------------------------------------------------------------------- tests
import pytest  # noqa: E402
from conftest import NIIGATA_PLAN  # noqa: E402

from kpi.outputs.opinions import Meeting  # noqa: E402
from kpi.outputs.pack.slides import build_deck  # noqa: E402
from kpi.rules.grading import PRESETS  # noqa: E402

RULE = PRESETS["abc"]


def deck(**kw):
    return build_deck(plan(), RULE, as_of_fy=2025, today=TODAY, **kw)


@pytest.mark.parametrize("kw, order", [
    (dict(), ["1", "2", "3", "4"]),
    (dict(sort="lagging_first"), ["2", "3", "1", "4"]),
    (dict(sort="worst_first"), ["2", "3", "1", "4"]),
    (dict(sort="custom", pick=["3", "1", "3", "99"]), ["3", "1"]),
    (dict(sort="custom", pick=[]), []),
    (dict(lagging_only=True), ["2", "3"]),
    (dict(sort="custom", pick=["4", "3", "2"], lagging_only=True), ["3", "2"]),
])
def test_slides_follow_the_presenters_order(kw, order):
    d = deck(**kw)
    assert [s.item_no for s in d.items] == order
    assert d.slides[0].kind == "summary" and len(d.slides) == len(order) + 1


def test_worst_first_puts_the_worst_automatic_grade_first():
    d = build_deck(plan(), RULE, as_of_fy=2024, today=TODAY, sort="worst_first")
    # 2024: item 1 is B (90/100), item 2 is A (100/100), 3 and 4 have no 2024 target.
    assert [s.item_no for s in d.items][:2] == ["1", "2"]


def test_summary_counts_grades_and_their_change_from_last_year():
    sm = deck().summary
    rows = {g.label: (g.count, g.previous, g.change) for g in sm.grades}
    # 2025: 1 A (120/100), 2 C (50/100), 3 B (85/100), 4 none. 2024: 2 A (100/100), 1 B (90/100).
    assert rows == {"A": (1, 1, "±0"), "B": (1, 1, "±0"), "C": (1, 0, "+1"), "未評価": (1, 2, "−1")}
    assert sm.previous_label == "令和6年度"
    assert sm.subtitle == "令和7年度までの状況"
    assert [(e.item_no, e.auto_grade, e.self_grade) for e in sm.lagging] == [("2", "C", ""), ("3", "B", "C")]
    assert "自己評価がB未満" in sm.lagging[1].reasons


def test_an_item_slide_carries_grades_reasons_numbers_and_chart_series():
    s = deck().item("2")
    assert (s.heading, s.auto_grade, s.self_grade, s.lagging) == ("No.2　遅れている取組", "C", "", True)
    assert [r.code for r in s.causes] == ["auto_grade", "pace"]  # 100 → 50: 0 by 2026, target 100
    assert "50 ÷ 100 = 50.0%" in s.auto_reason
    (p,) = s.indicators
    assert p.title == "実施件数（件）"
    assert p.table.columns == ("", "令和6年度", "令和7年度")
    assert p.table.row("計画") == ("計画", "100", "100")
    assert p.table.row("実績") == ("実績", "100", "50")
    assert p.table.row("達成率") == ("達成率", "100.0%", "50.0%")
    assert p.table.row("評価") == ("評価", "A", "C")
    # The chart gets every year of the plan, the table only those up to the year shown.
    assert [pt.fiscal_year for pt in p.view.points] == [2024, 2025, 2026]
    assert p.rates == (1.0, 0.5, None)


def test_a_self_graded_item_shows_the_departments_words():
    s = deck().item("3")
    assert (s.auto_grade, s.self_grade) == ("B", "C")
    assert "1段階低い" in s.gap
    (c,) = s.comments
    assert c.heading == "令和7年度　年度評価　C"
    assert (c.text, c.issues) == ("団体の登録が伸び悩んだ。", "周知の方法を見直す。")


def test_an_item_without_indicators_shows_its_status():
    s = deck().item("4")
    assert s.indicators == () and s.auto_grade == ""
    assert s.status == "令和7年度の状況: 実施中"


def test_an_items_slide_shows_the_opinions_of_earlier_meetings_with_answers():
    d = deck(opinions=OPINIONS, meeting=Meeting("令和8年度第1回", date(2026, 8, 1)))
    assert [(o.meeting, o.answered) for o in d.item("2").opinions] == [("令和7年度第1回", True),
                                                                      ("令和7年度第2回", False)]
    assert d.item("3").opinions == ()  # made at this very meeting: shown from the next one on
    later = deck(opinions=OPINIONS, meeting=Meeting("令和8年度第2回"))
    assert [o.opinion for o in later.item("3").opinions] == ["今回の会議の意見。"]
    assert d.summary.subtitle.startswith("令和8年度第1回（令和8年8月1日）")  # a 和暦 deck dates in 和暦 (issue 18)


def test_western_years_on_request():
    s = build_deck(plan(), RULE, as_of_fy=2025, today=TODAY, style="seireki").item("2")
    assert s.indicators[0].table.columns == ("", "2024年度", "2025年度")


def test_the_no28_slide_of_the_demo_plan(niigata_store):
    info = niigata_store.plan_by_name(NIIGATA_PLAN)
    d = build_deck(niigata_store.load_plan(info.plan_id), niigata_store.rule(info.plan_id), today=TODAY)
    assert d.as_of_label == "平成30年度" and len(d.slides) == 2
    s = d.item("28")
    assert s.heading.startswith("No.28　地域活動の担い手を育む仕組みづくり")
    assert (s.auto_grade, s.self_grade) == ("B", "C")
    attendees, centres = s.indicators
    assert attendees.table.row("計画")[1:] == ("1,090", "1,250", "1,410", "1,570")
    assert attendees.table.row("実績")[1:] == ("1,152", "1,345", "1,454", "1,671")
    assert attendees.table.row("達成率")[1] == "105.7%"
    assert centres.table.row("評価")[1:] == ("A", "B", "B", "B")
    assert {r.title for r in s.causes} == {"自己評価がB未満", "上半期の進捗に遅れ"}
    assert [c.heading for c in s.comments] == ["平成30年度　年度評価　C", "平成30年度　計画期間の評価　C"]
    assert d.summary.lagging[0].item_no == "28"


def test_an_item_reported_in_words_shows_its_latest_narrative():
    from kpi.views.extras import Narrative
    narratives = (Narrative("4", 2024, "説明会を2回開いた。"), Narrative("4", 2025, "協定を3団体と結んだ。"),
                  Narrative("4", 2026, "来年度の予定。"), Narrative("1", 2025, "指標のある取組は評価の所見を優先"))
    d = deck(narratives=narratives)
    s = d.item("4")
    assert s.status_label == "実施中"
    assert [(c.heading, c.text) for c in s.comments] == [("令和7年度の実施状況", "協定を3団体と結んだ。")]
    assert d.item("3").comments[0].heading == "令和7年度　年度評価　C"  # the department's evaluation comes first


# ------------------------------------------------------------------ issue 18: every kind of plan
from dataclasses import replace  # noqa: E402

from kpi.rules.assess import default_as_of  # noqa: E402


def _plan_of(*items: Item, start: int = 2015, end: int = 2019) -> PlanData:
    return PlanData(PlanInfo(1, "年度の計画", start_fy=start, end_fy=end), items)


@pytest.mark.parametrize("items, today, fy", [
    # reported in words only: its latest status, not the current year (was 令和元年度 over 平成29年度 content)
    ((Item("1", "a", statuses=((2016, "実施中", None),)), Item("2", "b", statuses=((2017, "完了", None),))),
     date(2026, 11, 23), 2017),
    # an actual in 2016, a status in 2017: the later
    ((Item("1", "a", indicators=(ind("x", (2016, 10, 9), (2017, 10, None)),), statuses=((2017, "実施中", None),)),),
     date(2026, 11, 23), 2017),
    # a status dated after the current year is not yet the year shown
    ((Item("1", "a", indicators=(ind("x", (2016, 10, 9)),), statuses=((2030, "予定", None),)),), date(2026, 11, 23),
     2016),
    # undated statuses only: the current year, kept inside the plan period
    ((Item("1", "a", statuses=((None, "完了", None),)),), date(2026, 11, 23), 2019),
    ((Item("1", "a"),), date(2017, 6, 1), 2017),
])
def test_the_default_year_is_the_latest_year_with_data(items, today, fy):
    assert default_as_of(_plan_of(*items), today) == fy


def test_items_without_a_chart_are_rows_of_their_sections_list():
    data = plan()
    goals = Item("5", "目標だけの取組", ("基本目標2",), (Department("企画課", True),),
                 indicators=(replace(ind("協働事業数", unit="事業"), final_target=60, final_target_fy=2026),), sort=5)
    d = build_deck(replace(data, items=data.items + (goals,)), RULE, as_of_fy=2025, today=TODAY)
    assert [s.item_no for s in d.charted] == ["1", "2", "3"]
    (sec,) = d.sections
    assert sec.name == "基本目標2"
    assert sec.rows == (("4", "数値目標のない取組", "市民協働課", "―", "―", "実施中", "―"),
                        ("5", "目標だけの取組", "企画課", "目標: 協働事業数 60事業（令和8年度）", "実績は未登録", "―", "―"))


def test_a_list_row_shows_the_status_note_and_the_narrative_of_the_year():
    from kpi.views.extras import Narrative
    data = plan()
    done = Item("6", "完了した取組", ("基本目標3",), statuses=((None, "完了", "✓ 平成23年度に新設し完了"),), sort=6)
    d = build_deck(replace(data, items=data.items + (done,)), RULE, as_of_fy=2025, today=TODAY,
                   narratives=(Narrative("4", 2024, "説明会を2回開いた。"),))
    rows = {s.name: s.rows for s in d.sections}
    # The narrative of an earlier year says which year it is; it is not repeated as a comment.
    assert rows["基本目標2"] == (("4", "数値目標のない取組", "市民協働課", "―", "説明会を2回開いた。（令和6年度）", "実施中", "―"),)
    assert rows["基本目標3"] == (("6", "完了した取組", "―", "―", "✓ 平成23年度に新設し完了", "完了", "―"),)


def test_the_two_axis_summary_comes_with_a_plan_that_has_statuses():
    d = deck()
    t = d.two_axis
    assert t is not None and t.total == 4
    status = {a.label: (a.count, a.share_text, a.change) for a in t.status}
    # the step in the plan's own word: its only item in progress says 実施中
    assert status["実施中"] == (1, "25.0%", "+1") and status["未記入"] == (3, "75.0%", "▲1")
    assert dict(t.cross)["実施中"] == (0, 0, 0, 1)  # item 4: 実施中, not graded
    no_status = replace(plan(), items=plan().items[:3])
    assert build_deck(no_status, RULE, as_of_fy=2025, today=TODAY).two_axis is None


def test_values_awaiting_review_are_marked_unconfirmed_on_the_slides():
    """A department's submission still 確認待ち (the plan shows such values): its numbers and the grade
    resting on them read 未確定 on the slide and the meeting screen, the others as before."""
    waiting = replace(plan(), unconfirmed_values=frozenset({("2", "実施件数", 2025, "actual")}),
                      unconfirmed_items=frozenset({("2", 2025)}))
    tables = {s.item_no: s.indicators[0].table for s in build_deck(waiting, RULE, as_of_fy=2025, today=TODAY).items
              if s.indicators}
    rows = {r[0]: r[1:] for r in tables["2"].rows}
    years = list(tables["2"].columns[1:])
    at = years.index("令和7年度")
    assert rows["実績"][at] == "50（未確定）" and rows["評価"][at].endswith("（未確定）")
    assert rows["計画"][at] == "100" and "未確定" not in "".join(rows["実績"][:at])
    assert not any("未確定" in c for r in tables["1"].rows for c in r)
    plain = {s.item_no: s.indicators[0].table for s in deck().items if s.indicators}
    assert not any("未確定" in c for r in plain["2"].rows for c in r)
