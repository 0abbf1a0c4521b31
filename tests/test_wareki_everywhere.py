"""和暦 once chosen: the change sentences of 取込履歴 and an undo's refusal, the import preview, meeting days.

Issue 18 item 8: under 和暦 the history and undo message said 「2017年度」, a 和暦 deck printed the meeting
day as 「2026年7月1日」, and the preview left out the item's name and the comment that came with a grade.
"""

from __future__ import annotations

from datetime import date

import pytest
from conftest import NIIGATA, NIIGATA_PLAN
from helpers import edited_copy
from test_history import load

from kpi.intake import history
from kpi.intake.review import preview_rows, review_upload
from kpi.outputs.opinions import Meeting, Opinion, date_label
from kpi.rules.fiscal import format_date
from kpi.store.journal import Change, ChangeSet


@pytest.mark.parametrize("day, wareki, seireki", [
    (date(2026, 12, 1), "令和8年12月1日", "2026年12月1日"),
    (date(2019, 5, 1), "令和元年5月1日", "2019年5月1日"),
    (date(2019, 4, 30), "平成31年4月30日", "2019年4月30日"),  # 令和 began on 1 May
    (date(1989, 1, 7), "昭和64年1月7日", "1989年1月7日"),
    (date(1989, 1, 8), "平成元年1月8日", "1989年1月8日"),
])
def test_format_date(day, wareki, seireki):
    assert format_date(day, "wareki") == wareki
    assert format_date(day, "seireki") == seireki
    assert format_date(None) == ""


def test_meeting_days_follow_the_era():
    m = Meeting("令和8年度第1回", date(2026, 7, 1))
    assert m.label_in("wareki") == "令和8年度第1回（令和8年7月1日）"
    assert m.label_in("seireki") == "令和8年度第1回（2026年7月1日）"
    op = Opinion("28", "令和8年度第1回", 1, date(2026, 12, 1), "意見")
    assert op.meeting_label_in("wareki") == "令和8年度第1回（令和8年12月1日）"
    assert date_label(date(2026, 12, 1), "wareki") == "令和8年12月1日"


def test_history_sentences_and_the_undo_refusal_in_the_chosen_era(store, tmp_path):
    first = load(store, NIIGATA)
    second = load(store, edited_copy(NIIGATA, tmp_path / "a.xlsx", {("No.28(H29-30)", "E13"): "1,500"}))
    load(store, edited_copy(NIIGATA, tmp_path / "b.xlsx", {("No.28(H29-30)", "E13"): "1,600"}))
    wareki = history.changes_of(store, first, style="wareki")
    assert "新規 年度値 No.28 まちづくりセンター数 平成28年度 実績: 48" in wareki
    assert not any("2016年度" in line for line in wareki)
    assert "新規 年度値 No.28 まちづくりセンター数 2016年度 実績: 48" in history.changes_of(store, first, style="seireki")
    with pytest.raises(history.UndoRefused) as exc:
        history.undo(store, second, "管理者", style="wareki")
    assert "受講者数(累計) 平成29年度 実績（値: 1,500 → 1,600）" in str(exc.value)
    assert "2017年度" not in str(exc.value)


@pytest.mark.parametrize("change, field, old, new", [
    (Change("indicators", ("3", "空き店舗数"), "update", {"direction": "higher", "direction_source": "default"},
            {"direction": "lower", "direction_source": "sheet"}),
     None, None, "方向: 高いほど良い → 低いほど良い、方向の根拠: 既定（判断材料なし） → シートの記載"),
    (Change("indicators", ("3", "空き店舗数"), "update", {"final_target_fy": 2019}, {"final_target_fy": 2020}),
     None, None, "目標年度: 令和元年度 → 令和2年度"),
])
def test_change_sentences_speak_japanese(change, field, old, new):
    assert new in change.describe("wareki")
    assert "higher" not in change.describe() and "default" not in change.describe()


def _cs(*changes):
    return ChangeSet("テスト計画", False, {}, tuple(changes))


def test_preview_rows_carry_the_comment_the_title_and_one_label_per_stage():
    rows = preview_rows(_cs(
        Change("evaluations", ("28", 2016, "年度"), "update", {"grade": "B", "status_text": "予定どおり"},
               {"grade": "C", "status_text": "センター設置が遅れた"}),
        Change("evaluations", ("28", 2017, "年度"), "insert", None,
               {"grade": "C", "status_text": "4地域で協議中", "issues_text": "担い手の確保"}),
        Change("indicators", ("28", "まちづくりセンター数"), "update", {"final_target_fy": 2019},
               {"final_target_fy": 2020}),
    ), titles={"28": "地域活動の担い手を育む仕組みづくり"}, style="seireki")
    by_field = {(r.fiscal_year, r.field): r for r in rows}
    assert by_field[(2016, "年度評価（評価）")].new == "C"
    assert by_field[(2016, "年度評価（取組の状況）")].new == "センター設置が遅れた"
    assert by_field[(2017, "年度評価")].new == "C　4地域で協議中　担い手の確保"
    assert by_field[(None, "目標年度")].new == "2020年度"
    assert {r.title for r in rows} == {"地域活動の担い手を育む仕組みづくり"}


def test_the_upload_preview_names_the_item_from_the_stored_plan(store, tmp_path):
    load(store, NIIGATA)
    fix = edited_copy(NIIGATA, tmp_path / "fix.xlsx", {("No.28(H29-30)", "E13"): "1,500"})
    review = review_upload(store, [("fix.xlsx", fix.read_bytes())], plan_name=NIIGATA_PLAN, style="wareki")
    changed = [r for r in review.files[0].rows if r.status == "変更"]
    assert changed and all(r.title.startswith("地域活動の担い手を育む仕組みづくり") for r in changed)
