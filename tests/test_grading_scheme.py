"""Issue 16: the rule model as cities write it — each label on its own measure, hand-only labels,
named ungraded states, the item's grade from its indicators — and old rules grading exactly as before."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from pathlib import Path

import pytest

from kpi.rules.assess import assess_plan
from kpi.rules.grading import PRESETS, Band, Grade, GradingRule, counted_label, grade_indicator_year, item_grade
from kpi.rules.rule_form import check_rule, form_of, rule_from_form
from tests.view_plans import TODAY, ind, item, plan

MIXED = PRESETS["target_baseline"]  # A 達成率 ≥100% / B 変化率 >0 / C 変化率 ≥ −10% / D それ以外


# --- 1. each label on its own measure, top-down, lower-is-better for every measure -------------
@pytest.mark.parametrize("direction, actual, target, baseline, final, label, state, decided_by", [
    # higher is better (baseline 100, target 120)
    ("higher", 125, 120, 100, None, "A", None, "達成率"),
    ("higher", 110, 120, 100, None, "B", None, "基準値からの変化率"),
    ("higher", 100, 120, 100, None, "C", None, "基準値からの変化率"),   # at its level: not beyond it
    ("higher", 90, 120, 100, None, "C", None, "基準値からの変化率"),    # −10 %: inside the tolerance
    ("higher", 89, 120, 100, None, "D", None, "基準値からの変化率"),
    # lower is better (baseline 100 t, target 80 t): fewer is beyond
    ("lower", 78, 80, 100, None, "A", None, "達成率"),
    ("lower", 95, 80, 100, None, "B", None, "基準値からの変化率"),
    ("lower", 110, 80, 100, None, "C", None, "基準値からの変化率"),
    ("lower", 111, 80, 100, None, "D", None, "基準値からの変化率"),
    # missing values: each label whose value cannot be computed is passed over
    ("higher", 130, 120, None, None, "A", None, "達成率"),          # no baseline, target met
    # no baseline, target missed: B and C cannot be judged, so D (none of the above) is not certain
    ("higher", 110, 120, None, None, None, "−", ""),
    ("higher", None, 120, 100, None, None, "−", ""),                # no actual
    ("higher", 110, None, 100, 130, "B", None, "基準値からの変化率"),  # no yearly target, a final one
    ("higher", 110, None, 100, None, None, "評価なし", ""),          # no target at all
    ("higher", 110, 120, 0, None, None, "−", ""),                   # baseline 0: change not computable
])
def test_mixed_measures(direction, actual, target, baseline, final, label, state, decided_by):
    g = grade_indicator_year(MIXED, actual=actual, target=target, direction=direction, baseline=baseline,
                             final_target=final)
    assert (g.label, g.state) == (label, state)
    assert g.shown == (label or state)
    if label:
        assert g.rate is not None and g.rate.name == decided_by and decided_by in g.reason
        assert g.formula.startswith(decided_by.replace("基準値からの", ""))
        assert f"ため {label}" in g.reason
    else:
        assert not g.graded and "評価しません" in g.reason


def test_mixed_reason_says_which_label_was_passed_over():
    g = grade_indicator_year(MIXED, actual=110, target=None, direction="higher", baseline=100, final_target=130)
    assert g.label == "B"
    assert "（A（達成率）はこの年度の計画値がないため判定せず）" in g.reason
    assert "(110 − 100) ÷ 100 = 10.0%" in g.reason


@pytest.mark.parametrize("measure, direction, actual, label", [
    ("achievement", "lower", 5.5, "A"),   # 5.5 ÷ 5.5 = 100 %
    ("achievement", "lower", 6.0, "B"),   # 91.7 %
    ("progress", "lower", 7.0, "A"),      # (7 − 10) ÷ (7 − 10) = 100 %
    ("progress", "lower", 8.8, "B"),      # 40 %
    ("progress", "lower", 11.0, "C"),     # −33 %: worse than the baseline
    ("baseline", "lower", 9.0, "改善"),
    ("baseline", "lower", 11.0, "悪化"),
])
def test_lower_is_better_on_every_measure(measure, direction, actual, label):
    rule = {"achievement": GradingRule(bands=(Band("A", 1.0), Band("B", 0.9))),
            "progress": GradingRule(measure="progress", bands=(Band("A", 1.0), Band("B", 0.3))),
            "baseline": PRESETS["baseline"]}[measure]
    target = 5.5 if measure == "achievement" else 7.0
    g = grade_indicator_year(rule, actual=actual, target=target, direction=direction, baseline=10.0,
                             final_target=7.0 if measure == "progress" else None)
    assert g.label == label


@pytest.mark.parametrize("band, value, holds", [
    (Band("横ばい", -0.1, max_rate=0.1, measure="baseline"), 0.1, True),
    (Band("横ばい", -0.1, max_rate=0.1, measure="baseline"), 0.11, False),
    (Band("横ばい", -0.1, max_rate=0.1, measure="baseline"), -0.1, True),
    (Band("上回る", 0.0, strict=True), 0.0, False),
    (Band("上回る", 0.0, strict=True), 0.0001, True),
    (Band("A", 1.0), 1.0, True),
])
def test_band_conditions(band, value, holds):
    assert band.holds(value) is holds


# --- 2. hand-only labels -------------------------------------------------------------------------
HAND = PRESETS["with_hand_only"]


@pytest.mark.parametrize("actual, label", [(130, "S"), (100, "A"), (85, "B"), (10, "C"), (0, "C")])
def test_hand_only_label_is_never_computed_and_the_lowest_computed_stays_reachable(actual, label):
    g = grade_indicator_year(HAND, actual=actual, target=100, direction="higher")
    assert g.label == label


def test_hand_only_label_is_offered_ranked_and_counted():
    assert HAND.labels == ("S", "A", "B", "C", "D")
    assert HAND.computed_labels == ("S", "A", "B", "C")
    assert "D" in HAND.self_grade_labels
    assert HAND.is_worse_than("D", "B")
    auto = grade_indicator_year(HAND, actual=10, target=100, direction="higher")
    assert counted_label(HAND, auto, "D") == "D"   # a person's D counts: nothing computes it
    assert counted_label(HAND, auto, "A") == "C"   # on a computed plan an ordinary self-grade does not
    data = plan(item("1", indicators=[ind("参加者数", [(2018, 100, 10)])], evaluations=[(2018, "年度", "D")]),
                item("2", indicators=[ind("参加者数", [(2018, 100, 105)])]))
    counts = assess_plan(data, HAND, as_of_fy=2018, today=TODAY).grade_counts()
    assert counts == {"S": 0, "A": 1, "B": 0, "C": 0, "D": 1, "未評価": 0}


def test_hand_only_rows_on_the_form():
    form = form_of(HAND)
    assert [r[3] for r in form.rows] == ["auto", "auto", "auto", "otherwise", "hand"]
    rule, problems = rule_from_form(form)
    assert problems == () and rule == HAND
    bad = replace(form, rows=form.rows + (("E", None, "", "auto"),))
    rule, problems = rule_from_form(bad)
    assert rule is None and any("「それ以外」より下に置けるのは「手動のみ」" in p for p in problems)


# --- 3. named ungraded states --------------------------------------------------------------------
@pytest.mark.parametrize("actual, target, baseline, state, condition", [
    (None, None, None, "評価なし", "no_target"),
    (None, 100, None, "−", "no_actual"),
    (50, 100, 0, None, ""),  # graded on 達成率: the baseline is not needed
])
def test_named_ungraded_states_on_a_single_measure(actual, target, baseline, state, condition):
    rule = GradingRule(auto_states=(("no_target", "評価なし"), ("no_actual", "−")))
    g = grade_indicator_year(rule, actual=actual, target=target, direction="higher", baseline=baseline)
    assert g.state == state and g.condition == condition
    assert ("評価なし" in rule.self_grade_labels) and ("−" in rule.self_grade_labels)


def test_unnamed_conditions_stay_mikahyouka_as_before():
    g = grade_indicator_year(GradingRule(), actual=None, target=None, direction="higher")
    assert g.state is None and g.shown == "未評価" and g.reason == "この年度の計画値がないため評価しません"


def test_states_must_not_share_a_name_with_a_grade():
    assert GradingRule(auto_states=(("no_target", "A"),)).validate() == ["評価できないときの表示と評価の区分に同じ名前があります"]
    assert any("条件「someday」" in p for p in GradingRule(auto_states=(("someday", "x"),)).validate())


# --- 4. self-grades count on a hand-graded plan -------------------------------------------------
def test_self_grades_count_on_a_hand_graded_plan():
    rule = PRESETS["self_vs_plan"]
    data = plan(*(item(str(i), evaluations=[(2018, "年度", g)]) for i, g in enumerate(["S", "A", "A", "評価なし"], 1)),
                item("5"))
    counts = assess_plan(data, rule, as_of_fy=2018, today=TODAY).grade_counts()
    assert counts == {"S": 1, "A": 2, "B": 0, "C": 0, "×": 0, "評価なし": 1, "完了": 0, "未着手": 0, "評価対象外": 0,
                      "未評価": 1}


# --- 6. the item's grade from its indicators -----------------------------------------------------
AVG = PRESETS["points_average"]


def _g(label):
    return Grade(label, f"{label}の理由")


@pytest.mark.parametrize("labels, rounding, expected", [
    (("S", "C"), "half_up", "A"),   # (4 + 1) / 2 = 2.5 → 3
    (("A", "B"), "half_up", "A"),   # 2.5 → 3
    (("A", "B"), "down", "B"),      # 2.5 → 2
    (("B", "C", "C"), "up", "B"),   # 1.33 → 2
    (("S", "S", "C"), "half_up", "A"),  # 3 → A
    (("A",), "half_up", "A"),
])
def test_average_of_points(labels, rounding, expected):
    rule = replace(AVG, rounding=rounding)
    g = item_grade(rule, [(f"指標{i}", _g(l)) for i, l in enumerate(labels, 1)])
    assert g.label == expected
    if len(labels) > 1:
        assert "S=4・A=3・B=2・C=1" in g.reason and "平均" in g.reason


def test_item_graded_by_hand_has_no_automatic_grade():
    rule = GradingRule(item_grade="manual")
    g = item_grade(rule, [("指標1", _g("A"))])
    assert not g.graded and "担当課が付けます" in g.reason


def test_average_skips_ungraded_indicators():
    g = item_grade(AVG, [("指標1", _g("S")), ("指標2", Grade(None, "計画値がない", None, "ungraded")), ("指標3", _g("B"))])
    assert g.label == "A"  # (4 + 2) / 2 = 3


# --- stored as versioned data; version 1 grades exactly as before --------------------------------
def test_rule_round_trips_with_its_version():
    for key, rule in PRESETS.items():
        text = rule.to_json()
        assert json.loads(text)["version"] == 2
        parsed, problems = check_rule(text)
        assert problems == () and parsed == rule, key


def test_unknown_version_is_refused():
    rule, problems = GradingRule.parse_json('{"version": 3, "name": "x"}')
    assert rule is None and problems == ("評価ルールの版（version）「3」は読めません（1〜2）",)


SNAPSHOT = Path(__file__).resolve().parent / "data" / "grades_v1.json.gz"


def test_version_1_rules_grade_exactly_as_before_after_the_migration(tmp_path, monkeypatch):
    """tests/data/grades_v1.json.gz was recorded by tests/data/make_grades_v1.py on the code before
    issue 16: each ひな形 of that time stored as version 1 wrote it, on the demo plans and a small
    synthetic plan. Stored in an old database, migrated, read back: the same grades, reasons,
    lagging items and counts."""
    from kpi.intake.demo import load_demo
    from kpi.intake.synthetic import SyntheticSpec, build_synthetic
    from kpi.store import schema
    from kpi.store.journal import Batch
    from kpi.store.store import Store, UploadMeta

    snap = json.loads(gzip.decompress(SNAPSHOT.read_bytes()))
    path = tmp_path / "old.duckdb"
    full = schema.MIGRATIONS  # the migrations run from kpi.store.schema (Migrations), so patched there
    old = [m for m in full if m[0] != "1600_rule_versions"]
    monkeypatch.setattr(schema, "MIGRATIONS", old)
    s = Store.open(path)
    load_demo(s)
    build_synthetic(s, SyntheticSpec(items=30, years=6, plan_name="合成データ（30取組）"))
    names = [p.name for p in s.plans()]
    assert sorted(names) == sorted(snap["plans"])
    s.close()
    monkeypatch.setattr(schema, "MIGRATIONS", full)
    checked = 0
    for key, v1_text in snap["rules"].items():
        assert '"version"' not in v1_text
        monkeypatch.setattr(schema, "MIGRATIONS", old)
        s = Store.open(path)
        for name in names:
            b = Batch(plan_name=name, layout="settings", source="テスト")
            b.plan["grading_rule"] = v1_text  # what the old version stored
            s.apply(b, UploadMeta(user="テスト", kind="settings"))
        s.close()
        monkeypatch.setattr(schema, "MIGRATIONS", full)
        s = Store.open(path)
        for p in s.plans():
            rule = s.rule(p.plan_id)
            assert rule.notice == "" and rule == PRESETS[key]
            want = snap["plans"][p.name][key]
            # The year the snapshot graded (issue 18 moved the default year of a plan reported in
            # words to its latest status: 総合戦略 2019 → 2017; the grades are what is compared here).
            res = assess_plan(s.load_plan(p.plan_id), rule, as_of_fy=want["as_of"], today=TODAY)
            assert {ir.item.item_no: [[y.fiscal_year, y.auto.label, y.auto.reason] for y in ir.years]
                    for ir in res.items} == want["items"], (key, p.name)
            assert {ir.item.item_no: [[r.indicator, r.fiscal_year, r.grade.label, r.grade.reason]
                                      for r in ir.indicator_years] for ir in res.items} == want["indicators"]
            assert sorted(ir.item.item_no for ir in res.lagging) == want["lagging"]
            if not rule.hand_graded:  # on a hand-graded plan the counts now count self-grades (issue 16)
                assert res.grade_counts() == want["counts"], (key, p.name)
            checked += sum(len(x) for x in want["items"].values())
        s.close()
        # the migration marked the stored text as version 1; then its mark is rolled back so that
        # the next rule goes in as the old version would have stored it
        import duckdb
        con = duckdb.connect(str(path))
        stored = {r[0] for r in con.execute("SELECT grading_rule FROM plans").fetchall()}
        assert stored == {'{"version": 1, ' + v1_text[1:]}
        con.execute("DELETE FROM schema_migrations WHERE name = '1600_rule_versions'")
        con.close()
    assert checked > 1000


# --- self-grades in every summary of a hand-graded plan -----------------------------------------
def _hand_plan():
    # Four items graded by their departments against the yearly plan, no numeric targets at all.
    return plan(*(item(str(i), path=("目標1", "施策1"), evaluations=[(2018, "年度", g)])
                  for i, g in enumerate(["S", "A", "A", "B"], 1)),
                item("5", path=("目標1", "施策1")), nodes=(("目標1",), ("目標1", "施策1")))


def test_home_tiles_count_self_grades_on_a_hand_graded_plan():
    from kpi.views.home import home_view
    v = home_view(_hand_plan(), PRESETS["self_vs_plan"], as_of_fy=2018, today=TODAY)
    tiles = {h.label: h.value for h in v.grade_headlines}
    assert (tiles["評価 S"], tiles["評価 A"], tiles["評価 B"], tiles["評価 C"], tiles["未評価"]) == ("1件", "2件", "1件", "0件", "1件")
    (unrated,) = [h for h in v.grade_headlines if h.label == "未評価"]
    assert "計画値・実績" not in unrated.help and "自己評価" in unrated.help
    grades = {r[0]: r for r in v.tables["grades"].rows}
    assert grades["A"][2] == 2 and "自己評価" in grades["未評価"][1]
    (area,) = v.areas
    assert area.counts["A"] == 2 and area.counts["未評価"] == 1


def test_hierarchy_and_meeting_overview_count_self_grades_on_a_hand_graded_plan():
    from kpi.outputs.pack.slides import _summary
    from kpi.views.hierarchy import hierarchy_view
    rule = PRESETS["self_vs_plan"]
    h = hierarchy_view(_hand_plan(), rule, as_of_fy=2018, today=TODAY)
    top = [n for n in h.nodes if n.path == ("目標1",)][0]
    assert (top.counts["S"], top.counts["A"], top.counts["B"], top.counts["未評価"]) == (1, 2, 1, 1)
    from kpi.rules.assess import assessment, previous_assessment
    data = _hand_plan()
    result, assessed = assessment(data, rule, as_of_fy=2018, today=TODAY)
    slide = _summary(data, result, previous_assessment(data, result, assessed), "wareki", None)
    assert {k: v for k, v in slide.grade_counts.items() if v} == {"S": 1, "A": 2, "B": 1, "未評価": 1}
    assert "計画値・実績" not in [g for g in slide.grades if g.label == "未評価"][0].meaning
    assert slide.graded_by == "自己評価"  # the pack and the meeting screen head the table 「…の評価（自己評価）」
    computed = plan(item("1", indicators=[ind("参加者数", [(2018, 100, 105)])]))
    result, assessed = assessment(computed, PRESETS["abc"], as_of_fy=2018, today=TODAY)
    assert _summary(computed, result, None, "wareki", None).graded_by == "自動評価"


def test_computed_plan_summaries_are_unchanged():
    from kpi.views.home import home_view
    data = plan(item("1", indicators=[ind("参加者数", [(2018, 100, 105)])], evaluations=[(2018, "年度", "C")]),
                item("2"))
    v = home_view(data, PRESETS["abc"], as_of_fy=2018, today=TODAY)
    assert [(h.label, h.value) for h in v.grade_headlines] == [("評価 A", "1件"), ("評価 B", "0件"), ("評価 C", "0件"),
                                                               ("未評価", "1件")]
    (unrated,) = [h for h in v.grade_headlines if h.label == "未評価"]
    assert "計画値・実績がなく自動評価できない取組" in unrated.help


def test_the_item_page_shows_the_plans_name_for_an_ungraded_year():
    from kpi.views.extras import PlanExtras
    from kpi.views.item import item_detail_view
    data = plan(item("1", indicators=[ind("参加者数", [(2018, None, 40)])], evaluations=[(2018, "年度", "評価なし")]))
    v = item_detail_view(data, PlanExtras(), MIXED, "1", as_of_fy=2018, today=TODAY)
    (row,) = [r for r in v.timeline.rows if r[0] == "平成30年度"]
    assert row[1] == "評価なし" and "評価なし" in row
    old = item_detail_view(data, PlanExtras(), PRESETS["abc"], "1", as_of_fy=2018, today=TODAY)
    assert [r for r in old.timeline.rows if r[0] == "平成30年度"][0][1] == ""  # a version-1 rule: blank as before
