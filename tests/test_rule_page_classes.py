"""Issue 16: each scheme class set up on the 評価ルール page as a user would (AppTest): from its
ひな形, and by hand (the table editor, the ungraded-state fields, the item grade)."""

from __future__ import annotations

import os

import pytest

from kpi.rules.grading import PRESETS
from kpi.store.store import Store
from tests.test_pages import niigata, open_page, text_of


def stored(pid: int):
    s = Store.open(os.environ["KPI_DB"])
    try:
        return s.rule(pid)
    finally:
        s.close()


@pytest.mark.parametrize("key, sentence", [
    ("target_baseline", "B（基準値を上回る）: 基準値からの変化率が0%超のとき"),
    ("with_hand_only", "D（外部要因により進められない）: 自動では付けず、担当課・推進課が付けます"),
    ("self_vs_plan", "取組の評価: 担当課が付けます"),
    ("points_average", "取組の評価: 指標の評価の点数（S=4・A=3・B=2・C=1）の平均を四捨五入した点の区分"),
])
def test_each_class_from_its_template(app_env, key, sentence):
    pid = niigata()
    at = open_page("pages/settings.py", pid)
    at.selectbox(key=f"rule_base_{pid}").select(key).run()
    assert not at.exception
    body = text_of(at)
    assert sentence in body
    assert "の自動評価が変わる取組" in body  # the before/after preview is kept
    at.button(key="rule_save").click().run()
    assert not at.exception
    assert stored(pid) == PRESETS[key]


def test_states_and_item_grade_by_hand(app_env):
    pid = niigata()
    at = open_page("pages/settings.py", pid)
    ver = at.session_state[f"rule_ver_{pid}"]
    at.text_input(key=f"rule_state_no_target_{ver}").input("評価なし")
    at.text_input(key=f"rule_state_no_actual_{ver}").input("−")
    at.selectbox(key=f"rule_item_{ver}").select("average")
    at.run()
    at.selectbox(key=f"rule_round_{ver}").select("down").run()
    body = text_of(at)
    assert "評価なし: 目標（計画値）がないとき" in body and "平均を切り捨てした点の区分" in body
    at.button(key="rule_save").click().run()
    rule = stored(pid)
    assert rule.auto_states == (("no_target", "評価なし"), ("no_actual", "−"))
    assert (rule.item_grade, rule.rounding) == ("average", "down")
    assert rule.labels == ("A", "B", "C")  # the rest of the rule as it was


def test_the_threshold_table_names_the_otherwise_row_only(app_env):
    pid = niigata()
    at = open_page("pages/settings.py", pid)
    at.selectbox(key=f"rule_base_{pid}").select("manual").run()
    frames = [e.value for e in at.dataframe]
    (df,) = [f for f in frames if "種類" in f.columns]  # the rule's table editor
    # before: a placeholder （それ以外） in every blank threshold cell of a hand-graded rule
    assert list(df["種類"]) == ["自動（条件）", "自動（条件）", "それ以外"]
    assert "C（努力を要する）: 自動では付けず" in text_of(at)
