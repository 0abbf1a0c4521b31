"""Issue 16 (5): implementation status × achievement, with shares, the cross count and ▲ changes."""

from __future__ import annotations

from kpi.rules.assess import assess_plan
from kpi.rules.grading import PRESETS
from kpi.rules.two_axis import two_axis_summary
from tests.view_plans import TODAY, item, plan


def _plan():
    # (statuses by year, self-grade 2018): a hand-graded plan
    rows = [([(2017, "取組中", None), (2018, "完了", None)], "S"),
            ([(2017, "取組中", None)], "A"),
            ([(2017, "未着手", None), (2018, "実施中", None)], "B"),
            ([(2018, "完了", None)], "A"),
            ([], None)]
    return plan(*(item(str(i), statuses=st, evaluations=[(2018, "年度", g)] if g else [], )
                  for i, (st, g) in enumerate(rows, 1)))


def test_two_axis_counts_shares_cross_and_change():
    res = assess_plan(_plan(), PRESETS["self_vs_plan"], as_of_fy=2018, today=TODAY)
    t = two_axis_summary(res)
    status = {a.label: (a.count, a.share_text, a.change) for a in t.status}
    assert status == {"未着手": (0, "0.0%", "▲1"), "取組中": (2, "40.0%", "±0"), "完了": (2, "40.0%", "+2"),
                      "未記入": (1, "20.0%", "▲1")}
    ach = {a.label: a.count for a in t.achievement if a.count}
    assert ach == {"S": 1, "A": 2, "B": 1, "未評価": 1}
    cross = dict(t.cross)
    labels = t.achievement_labels
    assert cross["完了"][labels.index("S")] == 1 and cross["完了"][labels.index("A")] == 1
    assert cross["取組中"][labels.index("A")] == 1 and cross["取組中"][labels.index("B")] == 1
    assert cross["未記入"][labels.index("未評価")] == 1
    assert sum(sum(r) for _s, r in t.cross) == t.total == 5


def test_a_step_is_named_in_the_plans_own_word():
    rows = [[(2018, "実施中", None)], [(2018, "完了", None)], [(2017, "未着手", None), (2018, "実施中", None)]]
    data = plan(*(item(str(i), statuses=st) for i, st in enumerate(rows, 1)))
    t = two_axis_summary(assess_plan(data, PRESETS["abc"], as_of_fy=2018, today=TODAY))
    assert [(a.label, a.count, a.change) for a in t.status] == [
        ("未着手", 0, "▲1"), ("実施中", 2, "+2"), ("完了", 1, "+1"), ("未記入", 0, "▲2")]
    assert [s for s, _r in t.cross] == ["未着手", "実施中", "完了", "未記入"]
