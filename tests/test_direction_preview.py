"""Issue 16 (7): a direction nobody wrote is shown in the upload preview (推定 with its reason, or
判断できず with a warning), and what the person confirms or chooses there is what is stored: the rates follow."""

from __future__ import annotations

from kpi.intake.pipeline import commit
from kpi.intake.review import direction_edits, direction_rows, review_upload
from kpi.rules.assess import assess_plan
from kpi.rules.grading import DEFAULT_RULE
from tests.conftest import TODAY
from tests.helpers import canonical_workbook

PLAN = "方向テスト市総合計画"


def _book(tmp_path):
    # 指標A: final target 5.5 below its yearly targets 5.8 (the 焼却量 case, without the telling word);
    # 指標B: one yearly target and nothing else to go by.
    return canonical_workbook(
        tmp_path / "方向.xlsx", plan={"計画名": PLAN, "開始年度": 2017, "終了年度": 2019},
        items=[{"No.": "1", "取組名": "ごみの減量", "担当課": "環境課●", "体系1": "環境"}],
        indicators=[{"No.": "1", "指標名": "指標A", "最終目標値": 5.5, "最終目標年度": 2019},
                    {"No.": "1", "指標名": "指標B"}],
        values=[{"No.": "1", "指標名": "指標A", "年度": y, "計画": 5.8, "実績": 4.9 if y == 2018 else None}
                for y in (2017, 2018)] + [{"No.": "1", "指標名": "指標B", "年度": 2018, "計画": 10, "実績": 8}])


def test_preview_says_how_each_direction_was_decided_and_the_choice_is_stored(store, tmp_path):
    files = [("方向.xlsx", _book(tmp_path).read_bytes())]
    (f,) = review_upload(store, files, today=TODAY).files
    rows = {r["指標"]: r for r in direction_rows(f.directions)}
    assert rows["指標A"]["方向"] == "低いほど良い"
    assert rows["指標A"]["根拠"] == "推定: 最終目標（5.5）が年度の計画値（5.8）より低いため「低いほど良い」と判断"
    assert rows["指標B"]["方向"] == "高いほど良い" and rows["指標B"]["根拠"].startswith("判断できず: 判断材料がない")
    codes = {p.code for p in f.warnings}
    assert {"direction_inferred", "direction_unknown"} <= codes
    (unknown,) = [p for p in f.warnings if p.code == "direction_unknown"]
    assert unknown.sheet == "指標" and unknown.cell and "指標B" in unknown.message

    # A is confirmed as inferred, B changed to lower is better; the base rows stay as the file says.
    order = [c.indicator for c in f.directions]
    edits = direction_edits(f.directions, {order.index("指標A"): {"確認": True},
                                           order.index("指標B"): {"方向": "低いほど良い"}})
    review = review_upload(store, files, today=TODAY, edits={"方向.xlsx": edits})
    (g,) = review.files
    assert g.directions == f.directions
    assert not {"direction_inferred", "direction_unknown"} & {p.code for p in g.warnings}
    commit(store, list(review.preps), "テスト")

    data = store.load_plan(store.plan_by_name(PLAN).plan_id)
    inds = {i.name: i for i in data.items[0].indicators}
    assert (inds["指標A"].direction, inds["指標A"].direction_source) == ("lower", "manual")
    assert (inds["指標B"].direction, inds["指標B"].direction_source) == ("lower", "manual")
    ir = assess_plan(data, DEFAULT_RULE, as_of_fy=2018, today=TODAY).items[0]
    assert "118.4%（達成率 = 計画 ÷ 実績（低いほど良い指標）: 5.8 ÷ 4.9" in ir.indicator_year("指標A", 2018).achievement.explanation
    assert "125.0%（達成率 = 計画 ÷ 実績（低いほど良い指標）: 10 ÷ 8" in ir.indicator_year("指標B", 2018).achievement.explanation
    # once chosen, the next upload of the same file asks no more
    assert review_upload(store, files, today=TODAY).files[0].directions == ()


def test_an_untouched_row_is_no_edit():
    from kpi.intake.edits import DirectionChoice
    c = (DirectionChoice("1", "指標A", "lower", "inferred", "…"),)
    assert direction_edits(c, {0: {"確認": False}}) == [] and direction_edits(c, {0: {"方向": "低いほど良い"}}) == []
    assert direction_edits(c, {0: {"方向": "高いほど良い"}}) == [{"item_no": "1", "original": "指標A", "direction": "高いほど良い"}]
