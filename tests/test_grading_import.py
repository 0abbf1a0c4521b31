"""Issue 16: self-grades on import are checked against the plan's rule (not the file's 評価方式 cell),
and a plan's named ungraded states (評価なし, −) and hand-only labels are accepted as self-grades."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kpi.access.permissions import LOCAL_ADMIN
from kpi.intake.pipeline import commit, prepare
from kpi.rules.grading import PRESETS, Band, match_self_label
from kpi.store.store import Store
from kpi.views.rule_settings import save_rule
from tests.conftest import NIIGATA_PLAN, TODAY
from tests.helpers import sql
from tests.test_rule_cells import ABCD, KOMINKAN, filled_blank_template, stored_rule, with_custom_rule


def test_an_administrators_blank_template_keeps_the_plans_rule_when_the_grades_follow_it(app_env, tmp_path):
    with_custom_rule(app_env)
    path = filled_blank_template(tmp_path / "管理者.xlsx", grade="D")  # D: the plan's label, not the cell's
    s = Store.open(app_env)
    try:
        prep = prepare(s, path, today=TODAY)
        assert not prep.errors, prep.errors
        (w,) = [p for p in prep.warnings if "のまま取り込みます" in p.message and "評価がこの計画" in p.message]
        assert "ファイルの評価方式「A・B・C（達成率）」は反映せず、この計画の評価方式「A・B・C・D（市の基準）」のまま" in w.message
        assert w.sheet == "計画" and w.cell  # the 評価方式 cell
        assert "grading_rule" not in prep.changes.plan_changes
        commit(s, [prep], "管理者")
        assert sql(s, "SELECT grade FROM evaluations WHERE fiscal_year = 2018 AND stage = '年度'") == [("D",)]
    finally:
        s.close()
    assert stored_rule(app_env) == ABCD


STATES = replace(PRESETS["target_baseline"], name="併用（テスト）")


@pytest.mark.parametrize("typed, stored", [("評価なし", "評価なし"), ("−", "−"), ("-", "−"), ("ー", "−"), ("ｄ", "D")])
def test_named_states_are_accepted_as_self_grades(app_env, tmp_path, typed, stored):
    s = Store.open(app_env)
    try:
        save_rule(s, NIIGATA_PLAN, STATES, LOCAL_ADMIN)
    finally:
        s.close()
    path = filled_blank_template(tmp_path / "公民館.xlsx", grade=typed)
    s = Store.open(app_env)
    try:
        prep = prepare(s, path, today=TODAY, actor=KOMINKAN)
        assert not prep.errors, prep.errors
        commit(s, [prep], KOMINKAN)
        assert sql(s, "SELECT grade FROM evaluations WHERE fiscal_year = 2018 AND stage = '年度'") == [(stored,)]
    finally:
        s.close()


@pytest.mark.parametrize("rule, typed, label", [
    (PRESETS["abc"], "評価なし", None),          # a plan that names no states refuses them, as before
    (PRESETS["target_baseline"], "評価なし", "評価なし"),
    (PRESETS["with_hand_only"], "d", "D"),       # hand-only: offered as a self-grade
    (PRESETS["abc"], "-", None),
    (replace(PRESETS["abc"], hand_labels=(Band("×", 0.0, "進捗なし", hand_only=True),)), "×", "×"),
])
def test_match_self_label(rule, typed, label):
    assert match_self_label(rule, typed) == label


def test_the_help_sheet_says_how_states_and_hand_only_grades_are_written():
    import io

    from openpyxl import load_workbook

    from kpi.outputs.department_sheet import blank_template
    wb = load_workbook(io.BytesIO(blank_template().data))
    rows = {r[0].value: r[1].value for r in wb["記入方法"].iter_rows(min_row=2)}
    assert "「手動のみ」の区分" in rows["評価"] and "「評価なし」" in rows["評価"] and "「−」" in rows["評価"]
    assert "No.・年度・状況" in rows["状況（任意のシート）"] and "取組中" in rows["状況（任意のシート）"]
