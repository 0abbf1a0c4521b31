"""The lagging rules a user reads are written from the rules that are checked (kpi/rules/lagging.py LAG_RULES)."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from datetime import date

import pytest
from conftest import ROOT
from view_plans import ind, item, plan

from kpi.rules.grading import DEFAULT_RULE, PRESETS, Grade
from kpi.rules.lagging import LAG_RULES, RECENT_YEARS, describe_reason, lagging_help, lagging_reasons, rules_markdown
from kpi.views.extras import PlanExtras
from kpi.views.plan import plan_view

TODAY = date(2026, 11, 23)


def _readme_rules():
    spec = importlib.util.spec_from_file_location("readme_rules", ROOT / "scripts" / "readme_rules.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_readme_section_is_the_generated_text():
    mod = _readme_rules()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert mod.current(readme) == mod.section(), "python scripts/readme_rules.py で README.md を書き直してください"
    assert mod.main(["--check"]) == 0


def test_the_readme_names_every_reason_and_the_staleness_window():
    text = rules_markdown()
    for r in LAG_RULES:
        assert r.describe(DEFAULT_RULE) in text
    assert "選んだ年度とその前年度の記録だけを見ます" in text


def test_the_plan_page_lists_every_reason_with_the_plans_own_rule():
    rule = replace(PRESETS["sabcd"], actual_grace_months=3)
    v = plan_view(plan(item("1")), PlanExtras(), rule)
    assert [row[0] for row in v.lagging_rules.rows] == [
        f"自動評価が{rule.lagging_below}未満", f"自己評価が{rule.lagging_below}未満",
        f"上半期の進捗管理が「{'」「'.join(rule.first_half_lagging)}」", "実績が未報告（年度終了後 3 か月を過ぎても）",
        "これまでのペースでは最終目標に届かない", "計画値を下回った年度"]
    assert [row[2] for row in v.lagging_rules.rows] == ["遅れの理由"] * 5 + ["参考"]
    assert "3 か月" in v.lagging_rules.rows[3][1]
    assert "選んだ年度とその前年度の記録だけ" in v.lagging_text


def test_the_home_headline_help_names_every_cause():
    assert lagging_help() == "自動評価・自己評価・上半期の進捗・実績の未報告・目標到達ペースのいずれかに該当"


@pytest.mark.parametrize("signal", ["item_grades", "self_grades", "first_half"])
def test_the_staleness_window_the_text_names_is_the_one_checked(signal):
    """The described window (this year and the year before) is where a late signal counts, and no further."""
    late = {"item_grades": Grade("C", "x"), "self_grades": "C", "first_half": "進捗に遅れあり"}[signal]

    def found(fy: int) -> bool:
        kw = dict(item_grades={}, self_grades={}, first_half={})
        kw[signal] = {fy: late}
        return any(r.lagging for r in lagging_reasons(DEFAULT_RULE, as_of_fy=2018, today=TODAY, indicators=(), **kw))

    assert found(2018) and found(2018 - RECENT_YEARS + 1)
    assert not found(2018 - RECENT_YEARS)


def test_one_reason_is_written_in_either_era_from_the_same_data():
    i = ind("センター数", [(2016, 50, 48), (2017, 58, 54), (2018, 66, 55)])
    (below,) = [r for r in lagging_reasons(DEFAULT_RULE, as_of_fy=2018, today=TODAY, indicators=(i,),
                                           item_grades={}, self_grades={}, first_half={})
                if r.code == "below_target"]
    assert "平成28年度〜平成30年度" in describe_reason(below, "wareki")
    assert "2016年度〜2018年度" in describe_reason(below, "seireki")
