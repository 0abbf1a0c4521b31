"""取組・指標の詳細 on No.28: the numbers of the core issue, the evaluation timeline, schedules, narratives."""

from conftest import NIIGATA_PLAN, TODAY
from view_plans import ind, item, plan

from kpi.rules.grading import DEFAULT_RULE
from kpi.views.extras import PlanExtras, ScheduleEntry, load_extras
from kpi.views.item import item_detail_view


def no28(store):
    pid = store.plan_by_name(NIIGATA_PLAN).plan_id
    return item_detail_view(store.load_plan(pid), load_extras(store, pid), store.rule(pid), "28", today=TODAY)


def test_no28_indicator_tables_and_charts_hold_the_core_numbers(niigata_store):
    d = no28(niigata_store)
    students, centres = d.indicator_tables
    assert [r[1:3] for r in students.rows] == [("1,090", "1,152"), ("1,250", "1,345"), ("1,410", "1,454"),
                                              ("1,570", "1,671")]
    assert [r[1:3] for r in centres.rows] == [("42", "43"), ("50", "48"), ("58", "54"), ("66", "55")]
    assert students.rows[0][3] == "達成率 105.7%（達成率 = 実績 ÷ 計画: 1,152 ÷ 1,090 = 105.7%）"
    first = d.view.indicators[0]
    assert (first.baseline, first.baseline_fy, first.baseline_estimated) == (930, 2014, True)


def test_no28_evaluation_timeline_from_first_half_to_plan_period(niigata_store):
    d = no28(niigata_store)
    assert d.timeline.columns == ("年度", "自動評価", "上半期", "年度（自己評価）", "中間", "計画期間")
    assert d.timeline.rows == (
        ("平成27年度", "A", "進捗に遅れあり", "B", "", ""),
        ("平成28年度", "B", "進捗に遅れあり", "C", "", ""),
        ("平成29年度", "B", "進捗に遅れあり", "C", "C", ""),
        ("平成30年度", "B", "進捗に遅れあり", "C", "", "C"),
    )
    assert d.grades.rows[0][:4] == ("平成27年度", "A", "B", "自己評価 B は自動評価 A より1段階低い（厳しめ）")


def test_schedule_grid_and_narratives_from_the_sheets():
    data = plan(item("1", indicators=[ind("x", [(2017, 1, 1)])]), start=2017, end=2020)
    extras = PlanExtras(schedules={"1": (ScheduleEntry("研修等の啓発活動", 2017, "実施", 1),
                                         ScheduleEntry("研修等の啓発活動", 2018, "→", 1),
                                         ScheduleEntry("センターの活性化", 2017, "実施", 0),
                                         ScheduleEntry("センターの活性化", 2020, "→", 0))})
    d = item_detail_view(data, extras, DEFAULT_RULE, "1", as_of_fy=2017, today=TODAY)
    assert d.schedule.columns == ("実施内容", "平成29年度", "平成30年度", "令和2年度")
    assert d.schedule.rows == (("センターの活性化", "実施", "", "→"), ("研修等の啓発活動", "実施", "→", ""))
    assert d.narratives == () and d.status is None
    assert item_detail_view(data, extras, DEFAULT_RULE, "999", today=TODAY) is None


def test_the_detail_in_the_frames_calling_order_is_the_same_detail(niigata_store):
    """The page asks for it through ui.frame.view (kept by data version): the same detail as asked directly."""
    from kpi.views.item import item_detail_of
    pid = niigata_store.plan_by_name(NIIGATA_PLAN).plan_id
    data, extras, rule = niigata_store.load_plan(pid), load_extras(niigata_store, pid), niigata_store.rule(pid)
    got = item_detail_of(data, rule, item_no="28", extras=extras, today=TODAY, style="wareki", assessed=None)
    assert got == no28(niigata_store)


def test_the_page_view_assesses_the_item_alone_and_gives_what_the_shared_assessment_gives(demo_copy, synthetic_db,
                                                                                          tmp_path):
    """item_detail_of (the page's cached view) grades one item, not the plan (issue 17, cold pages):
    every item of the demo plans and of the large synthetic plan, as of every year with data, is
    the same as from the plan's shared assessment."""
    import shutil

    from kpi.cycle.shown import as_shown
    from kpi.rules.assess import assessor
    from kpi.store.store import Store
    from kpi.views.item import item_detail_of

    shutil.copy(synthetic_db, tmp_path / "s.duckdb")
    checked = 0
    for path in (demo_copy, tmp_path / "s.duckdb"):
        s = Store.open(path)
        try:
            for info in s.plans():
                data, rule, extras = as_shown(s, s.load_plan(info.plan_id)), s.rule(info.plan_id), load_extras(s, info.plan_id)
                for fy in sorted(set(data.data_years))[-2:]:
                    shared = assessor(data, rule, today=TODAY)
                    for it in data.items:
                        alone = item_detail_of(data, rule, item_no=it.item_no, extras=extras, as_of_fy=fy, today=TODAY,
                                            assessed=shared)
                        assert alone == item_detail_view(data, extras, rule, it.item_no, as_of_fy=fy, today=TODAY,
                                                         assessed=shared), (info.name, fy, it.item_no)
                        checked += 1
        finally:
            s.close()
    assert checked > 300
