"""評価ルール: the form, the preview of its effect, and saving through the write path (admins only)."""

import math

import pytest
from conftest import NIIGATA_PLAN, TODAY

from kpi.access.permissions import Actor
from kpi.errors import PermissionDenied
from kpi.rules.grading import DEFAULT_RULE, PRESETS, GradingRule
from kpi.rules.rule_form import RuleForm, RuleInvalid, form_of, preset_of, rows_from_editor, rule_from_form
from kpi.views.rule_settings import preview_rule_change, save_rule

ABC = (("A", 100.0, "目標を達成"), ("B", 80.0, "おおむね順調"), ("C", None, "努力を要する"))


def form(rows=ABC, measure="achievement", lagging="B", grace=0, words="進捗に遅れあり"):
    return RuleForm("テスト", measure, rows, lagging, grace, words)


@pytest.mark.parametrize("key", list(PRESETS))
def test_every_preset_survives_the_form(key):
    rule, problems = rule_from_form(form_of(PRESETS[key]))
    assert problems == () and rule == PRESETS[key] and preset_of(rule) == key


@pytest.mark.parametrize("f, problem", [
    (form(rows=(("A", 100.0, ""), ("B", None, ""), ("C", None, ""))), "2行目（B）: しきい値（%）を入れてください"),
    (form(rows=(("", 100.0, ""), ("C", None, ""))), "1行目: 区分名が空です"),
    (form(rows=(("A", 100.0, ""), ("", None, ""))), "2行目: 最後の区分（それ以外）の名前が空です"),
    (form(rows=(("A", None, ""),)), "評価の区分は2つ以上必要です（最後の区分は「それ以外」として使います）"),
    (form(rows=(("A", 80.0, ""), ("B", 100.0, ""), ("C", None, ""))), "しきい値は上の区分ほど大きくしてください"),
    (form(rows=(("A", 100.0, ""), ("A", 80.0, ""), ("C", None, ""))), "評価の区分名が重複しています"),
    (form(lagging="S"), "「遅れ」とみなす基準の区分「S」が区分にありません"),
    (form(grace=-1), "実績の報告を待つ月数は0〜24か月にしてください"),
])
def test_a_wrong_form_says_what_is_wrong(f, problem):
    rule, problems = rule_from_form(f)
    assert rule is None and problem in problems


def test_a_form_becomes_a_rule():
    rule, _ = rule_from_form(form(rows=(("S", 120.0, ""), ("A", 100.0, ""), ("B", 80.0, ""), ("C", None, "遅れ")),
                                  grace=3, words="遅れあり、やや遅れ"))
    assert rule.labels == ("S", "A", "B", "C") and rule.bands[0].min_rate == pytest.approx(1.2)
    assert (rule.default_meaning, rule.actual_grace_months, rule.first_half_lagging) == ("遅れ", 3, ("遅れあり", "やや遅れ"))
    manual, problems = rule_from_form(form(rows=(("順調", None, ""), ("遅れ", None, "")), measure="manual",
                                           lagging="順調"))
    assert problems == () and manual.labels == ("順調", "遅れ")  # hand grading needs no thresholds


def test_rows_from_the_table_editor():
    records = [{"区分": "A", "しきい値（%以上）": "100%", "意味": "達成"}, {"区分": None, "しきい値（%以上）": math.nan, "意味": None},
               {"区分": " C ", "しきい値（%以上）": math.nan, "意味": math.nan}]
    assert rows_from_editor(records) == (("A", 100.0, "達成"), ("C", None, ""))


def niigata(store):
    pid = store.plan_by_name(NIIGATA_PLAN).plan_id
    return pid, store.load_plan(pid)


def test_preview_lists_items_whose_grade_would_change(niigata_store):
    _pid, data = niigata(niigata_store)
    stricter = form(rows=(("A", 100.0, ""), ("B", 95.0, ""), ("C", None, "")))
    p = preview_rule_change(data, DEFAULT_RULE, stricter, as_of_fy=2018, today=TODAY)
    # センター数 2018: 55/66 = 83.3% → C under B ≥ 95%; 2017: 54/58 = 93.1% → C; 2016: 48/50 = 96% stays B.
    (c,) = p.changes
    assert (c.item_no, c.old, c.new, c.lagging_before, c.lagging_after) == ("28", "B", "C", True, True)
    assert p.other_years == 1 and (p.lagging_before, p.lagging_after) == (1, 1)
    assert p.counts_before["B"] == 1 and p.counts_after["C"] == 1
    assert p.summary == "平成30年度の自動評価が変わる取組 1件、遅れている取組 1件 → 1件（ほかの年度で評価が変わる取組・年度 1件）"
    assert p.table.rows[0][3:5] == ("B", "C")
    western = preview_rule_change(data, DEFAULT_RULE, stricter, as_of_fy=2018, today=TODAY, style="seireki")
    assert western.summary.startswith("2018年度の自動評価が変わる取組 1件") and western.table.rows[0][2] == "2018年度"


def test_preview_of_the_same_rule_or_a_broken_one(niigata_store):
    _pid, data = niigata(niigata_store)
    same = preview_rule_change(data, DEFAULT_RULE, form_of(DEFAULT_RULE), as_of_fy=2018, today=TODAY)
    assert same.same and same.changes == () and "何も変わりません" in same.summary
    broken = preview_rule_change(data, DEFAULT_RULE, form(lagging="X"), as_of_fy=2018, today=TODAY)
    assert broken.rule is None and broken.problems and "影響を計算できません" in broken.summary


def test_an_admin_saves_the_rule_and_the_old_one_is_kept(niigata_store):
    pid, _ = niigata(niigata_store)
    new = PRESETS["sabcd"]
    res = save_rule(niigata_store, NIIGATA_PLAN, new, Actor("山田", "admin"))
    assert niigata_store.rule(pid) == new
    up = niigata_store.uploads(limit=1)[0]
    assert (up.upload_id, up.kind, up.uploaded_by) == (res.upload_id, "settings", "山田")
    (entry,) = niigata_store.change_log(res.upload_id)
    # The plan had no rule of its own (the default applied); the change log keeps that and the new rule.
    assert entry["old"] == {"grading_rule": None}
    assert GradingRule.from_json(entry["new"]["grading_rule"]) == new
    assert save_rule(niigata_store, NIIGATA_PLAN, new, Actor("山田", "admin")).upload_id is None  # nothing new


@pytest.mark.parametrize("actor", [Actor("閲覧者", "viewer"), Actor("担当", "editor", ("市民協働課",))])
def test_only_admins_may_save_and_nothing_is_written_otherwise(niigata_store, actor):
    pid, _ = niigata(niigata_store)
    before = len(niigata_store.uploads())
    with pytest.raises(PermissionDenied):
        save_rule(niigata_store, NIIGATA_PLAN, PRESETS["sabcd"], actor)
    assert niigata_store.rule(pid) == DEFAULT_RULE and len(niigata_store.uploads()) == before


def test_an_invalid_rule_is_refused_before_writing(niigata_store):
    from dataclasses import replace
    with pytest.raises(RuleInvalid):
        save_rule(niigata_store, NIIGATA_PLAN, replace(DEFAULT_RULE, lagging_below="Z"), Actor("山田", "admin"))
