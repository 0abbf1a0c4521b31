"""Issue 16 (7): the direction decided from every number the sheet gives, then from words, and said
in the preview (推定 with its reason, a warning when nothing decides)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from kpi.intake.pipeline import commit, prepare
from kpi.outputs.department_sheet import blank_template
from kpi.rules.assess import assess_plan
from kpi.rules.direction import NO_EVIDENCE, infer_direction
from tests.conftest import TODAY


@pytest.mark.parametrize("kw, direction, source, why", [
    # final target below every yearly target, no baseline: the 福岡市 焼却量 case
    (dict(final_target=5.5, yearly_targets=[(2020, 5.8), (2021, 5.8), (2022, 5.8)]), "lower", "inferred",
     "最終目標（5.5）が年度の計画値（5.8）より低いため「低いほど良い」と判断"),
    (dict(final_target=130, yearly_targets=[(2020, 110), (2021, 120)]), "higher", "inferred", "より高いため"),
    # the baseline still comes first
    (dict(baseline=10, final_target=12, yearly_targets=[(2020, 14)]), "higher", "inferred", "基準値（10）より高い"),
    # a final target inside the yearly ones decides nothing: the trend of the yearly targets does
    (dict(final_target=6, yearly_targets=[(2020, 7), (2021, 6), (2022, 5)]), "lower", "inferred", "減って"),
    # the numbers are silent: words (焼却量 added)
    (dict(name="家庭系プラスチックごみの焼却量"), "lower", "inferred", "「焼却量」"),
    (dict(name="温室効果ガス排出量"), "lower", "inferred", "排出量"),
    # nothing decides
    (dict(name="市民活動支援センター来場者数"), "higher", "default", NO_EVIDENCE),
    (dict(final_target=5.8, yearly_targets=[(2020, 5.8)]), "higher", "default", NO_EVIDENCE),
])
def test_direction_from_the_numbers_then_words(kw, direction, source, why):
    d = infer_direction(**kw)
    assert (d.direction, d.source) == (direction, source)
    assert why in d.reason


def _template(path, *, direction=None):
    wb = load_workbook(io.BytesIO(blank_template().data))
    for row in wb["計画"].iter_rows(min_row=2):
        if row[0].value == "計画名":
            row[1].value = "ごみ減量計画（テスト）"
        if row[0].value == "開始年度":
            row[1].value = "令和2年度"
        if row[0].value == "終了年度":
            row[1].value = "令和4年度"

    def append(sheet, values):
        ws = wb[sheet]
        ws.append([values.get(c.value) for c in ws[1]])

    append("取組", {"体系1": "循環型社会", "No.": "1", "取組名": "プラスチックごみの削減", "担当課": "循環型社会推進課"})
    append("指標", {"No.": "1", "指標名": "家庭系プラスチック類", "単位": "万t", "方向": direction,
                  "最終目標年度": "令和4年度", "最終目標値": 5.5})
    append("指標", {"No.": "1", "指標名": "啓発イベント参加者", "単位": "人"})
    for fy in ("令和2年度", "令和3年度"):
        append("年度値", {"No.": "1", "指標名": "家庭系プラスチック類", "年度": fy, "計画": 5.8, "実績": 4.9})
    wb.save(path)
    return path


def test_the_template_infers_lower_from_the_targets_and_says_so(store, tmp_path):
    prep = prepare(store, _template(tmp_path / "ごみ.xlsx"), today=TODAY)
    assert not prep.errors, prep.errors
    (inferred,) = [p for p in prep.warnings if p.code == "direction_inferred"]
    assert "「家庭系プラスチック類」: 方向は「低いほど良い」（推定: 最終目標（5.5）が年度の計画値（5.8）より低い" in inferred.message
    assert (inferred.sheet, inferred.cell) == ("指標", "B2")
    (unknown,) = [p for p in prep.warnings if p.code == "direction_unknown"]
    assert "啓発イベント参加者" in unknown.message and unknown.cell == "B3"
    commit(store, [prep], "テスト")
    data = store.load_plan(store.plan_by_name("ごみ減量計画（テスト）").plan_id)
    res = assess_plan(data, store.rule(data.plan.plan_id), as_of_fy=2021, today=TODAY)
    r = res.items[0].indicator_year("家庭系プラスチック類", 2021)
    assert r.achievement.computation == "5.8 ÷ 4.9 = 118.4%"  # as published (not 84.5 %)
    assert r.grade.label == "A" and not res.items[0].lagging


def test_a_written_direction_is_not_second_guessed(store, tmp_path):
    prep = prepare(store, _template(tmp_path / "ごみ.xlsx", direction="高いほど良い"), today=TODAY)
    assert not [p for p in prep.warnings if p.code == "direction_inferred"]
    assert [r["direction"] for r in prep.batch.table("indicators")][0] == "higher"
