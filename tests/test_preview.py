"""The upload preview and the checks it shows: rows per value, text-indicator corrections, problems across files."""

from __future__ import annotations

import pytest
from conftest import NIIGATA, NIIGATA_PLAN, SAMPLES, TODAY
from helpers import canonical_workbook, edited_copy, sql

from kpi.intake.pipeline import commit, prepare, prepare_many
from kpi.intake.review import (
    PreviewRow,
    apply_indicator_edits,
    editor_rows,
    edits_from_editor,
    preview_rows,
    review_upload,
    text_indicators,
)
from kpi.intake.validate import cross_file_problems
from kpi.store.journal import Batch, Change, ChangeSet

ACTIONS = SAMPLES / "kodaira_plan3_actions.xlsx"
KODAIRA_PLAN = "小平市第3次行財政再構築プラン"


def cs(*changes: Change, plan_is_new: bool = False, plan_changes=None) -> ChangeSet:
    return ChangeSet("テスト計画", plan_is_new, plan_changes or {}, tuple(changes))


@pytest.mark.parametrize("change, expected", [
    (Change("indicator_values", ("28", "受講者数", 2016, "actual"), "insert", None,
            {"value": 1345.0, "is_estimate": False}),
     PreviewRow("新規", "年度値", "28", "受講者数", 2016, "実績", "", "1,345")),
    (Change("indicator_values", ("28", "受講者数", 2016, "target"), "update", {"value": 1250.0, "raw_text": "1,250"},
            {"value": 1300.0, "raw_text": "1,300"}),
     PreviewRow("変更", "年度値", "28", "受講者数", 2016, "計画", "1,250", "1,300")),
    (Change("indicator_values", ("28", "受講者数", 2014, "actual"), "update", {"is_estimate": True},
            {"is_estimate": False}),
     PreviewRow("変更", "年度値", "28", "受講者数", 2014, "実績", "見込み", "確定")),
    (Change("indicator_values", ("28", "受講者数", 2017, "actual"), "update", {"value": 930.0, "is_estimate": True},
            {"value": 1454.0, "is_estimate": False}),
     PreviewRow("変更", "年度値", "28", "受講者数", 2017, "実績", "930（見込み）", "1,454")),
    (Change("indicator_values", ("28", "受講者数", 2018, "target"), "unchanged", None, {}),
     PreviewRow("変更なし", "年度値", "28", "受講者数", 2018, "計画", "", "")),
    (Change("evaluations", ("28", 2016, "年度"), "update", {"grade": "B"}, {"grade": "C"}),
     PreviewRow("変更", "評価", "28", "", 2016, "年度評価（評価）", "B", "C")),
    (Change("evaluations", ("28", 2017, "中間"), "insert", None, {"grade": "C", "status_text": "遅れ"}),
     PreviewRow("新規", "評価", "28", "", 2017, "中間評価", "", "C　遅れ")),
    (Change("items", ("3",), "insert", None, {"title": "空き店舗対策"}),
     PreviewRow("新規", "取組", "3", "", None, "取組", "", "空き店舗対策")),
    (Change("indicators", ("3", "空き店舗数"), "update", {"unit": "店", "direction": "higher"},
            {"unit": "店舗", "direction": "lower"}),
     None),  # one row per field, checked below
])
def test_preview_rows(change, expected):
    rows = preview_rows(cs(change))
    if expected is not None:
        assert rows == (expected,)
    else:
        assert [(r.field, r.old, r.new) for r in rows] == [("単位", "店", "店舗"), ("方向", "高いほど良い", "低いほど良い")]


def test_preview_rows_plan_and_order():
    rows = preview_rows(cs(
        Change("indicator_values", ("10", "指標", 2016, "actual"), "insert", None, {"value": 1.0}),
        Change("indicator_values", ("2", "指標", 2017, "actual"), "insert", None, {"value": 2.0}),
        Change("indicator_values", ("2", "指標", 2016, "actual"), "unchanged", None, {}),
        plan_is_new=True))
    assert rows[0] == PreviewRow("新規", "計画", "", "", None, "計画", "", "テスト計画")
    assert [(r.item_no, r.fiscal_year) for r in rows[1:]] == [("2", 2016), ("2", 2017), ("10", 2016)]
    assert len(preview_rows(cs(Change("items", ("1",), "unchanged", None, {})), include_unchanged=False)) == 0
    changed = preview_rows(cs(plan_changes={"end_fy": (2018, 2019)}))
    assert changed == (PreviewRow("変更", "計画", "", "", None, "終了年度", "平成30年度", "令和元年度"),)


# ------------------------------------------------------------------ 成果指標 read from text

def _text_batch() -> Batch:
    b = Batch("計画", source="a.xlsx")
    b.add("indicators", item_no="3", indicator="市民一人1日当たりごみ量", unit="g/人日", direction="lower",
          direction_source="sheet", final_target=480.0, final_target_fy=2022,
          _from_text="480g/人日 (市民一人1日当たりごみ量 平成34年度目標値)", _sheet="方針I", _cell="I20")
    b.add("indicators", item_no="2", indicator="参加団体数", unit="団体", final_target=10.0, final_target_fy=2020,
          direction="higher", _from_text="参加団体数 10団体", _sheet="方針I", _cell="I8")
    b.add("indicators", item_no="2", indicator="既存の指標", unit="人")  # from a table, not text
    b.add("indicator_values", item_no="2", indicator="参加団体数", fiscal_year=2018, kind="actual", value=8.0)
    return b


def test_text_indicators_lists_only_rows_read_from_text():
    items = text_indicators(_text_batch())
    assert [(t.item_no, t.name, t.value, t.unit, t.fiscal_year, t.direction) for t in items] == [
        ("3", "市民一人1日当たりごみ量", 480.0, "g/人日", 2022, "lower"), ("2", "参加団体数", 10.0, "団体", 2020, "higher")]
    assert items[0].source.startswith("480g/人日") and (items[0].sheet, items[0].cell) == ("方針I", "I20")
    assert editor_rows(items)[0]["目標年度"] == "令和4年度"  # 平成34年度 = 2022
    assert editor_rows(items)[0]["方向"] == "低いほど良い"


@pytest.mark.parametrize("edit, check", [
    ({"name": "協働参加団体数"},
     lambda b: [r["indicator"] for r in b.table("indicators")][1] == "協働参加団体数"
     and b.table("indicator_values")[0]["indicator"] == "協働参加団体数"),
    ({"value": "12"}, lambda b: b.table("indicators")[1]["final_target"] == 12.0),
    ({"value": float("nan")}, lambda b: b.table("indicators")[1]["final_target"] is None),
    ({"unit": "団体 "}, lambda b: b.table("indicators")[1]["unit"] == "団体"),
    ({"fiscal_year": "令和4年度"}, lambda b: b.table("indicators")[1]["final_target_fy"] == 2022),
    ({"fiscal_year": "H34"}, lambda b: b.table("indicators")[1]["final_target_fy"] == 2022),
    ({"direction": "低いほど良い"},
     lambda b: (b.table("indicators")[1]["direction"], b.table("indicators")[1]["direction_source"]) == ("lower", "manual")),
    ({"direction": "高いほど良い"}, lambda b: b.table("indicators")[1].get("direction_source") is None),  # unchanged
    ({"keep": False},
     lambda b: [r["indicator"] for r in b.table("indicators")] == ["市民一人1日当たりごみ量", "既存の指標"]
     and b.table("indicator_values") == []),
])
def test_apply_indicator_edits(edit, check):
    b = _text_batch()
    apply_indicator_edits(b, [{"item_no": "2", "original": "参加団体数", **edit}])
    assert not b.problems, b.problems
    assert check(b)


@pytest.mark.parametrize("edit, message", [
    ({"name": " "}, "指標名が空欄"),
    ({"value": "十"}, "数値として読めません"),
    ({"fiscal_year": "来年"}, "年度として読めません"),
    ({"name": "既存の指標"}, "すでにあります"),
])
def test_bad_edits_are_problems_naming_the_cell_read(edit, message):
    b = _text_batch()
    apply_indicator_edits(b, [{"item_no": "2", "original": "参加団体数", **edit}])
    (p,) = b.problems
    assert message in p.message and (p.sheet, p.cell, p.level) == ("方針I", "I8", "error")


def test_edits_from_editor_maps_positions_and_columns():
    items = text_indicators(_text_batch())
    edits = edits_from_editor(items, {1: {"目標値": 12, "元の文章": "x"}, "0": {"取り込む": False}, 7: {"単位": "人"}})
    assert edits == [{"item_no": "2", "original": "参加団体数", "value": 12},
                     {"item_no": "3", "original": "市民一人1日当たりごみ量", "keep": False}]


def test_review_applies_edits_to_the_action_list_before_it_is_compared(store):
    data = ACTIONS.read_bytes()
    first = review_upload(store, [(ACTIONS.name, data)], plan_name=KODAIRA_PLAN, today=TODAY)
    (f,) = first.files
    assert not f.errors, f.errors
    ti = {t.name: t for t in f.text_indicators}
    assert ti["ボランティア参加者数"].value == 2094 and ti["ボランティア参加者数"].unit == "人"
    edits = {ACTIONS.name: [{"item_no": ti["ボランティア参加者数"].item_no, "original": "ボランティア参加者数",
                             "value": 2500, "name": "ボランティア参加者数（延べ）"}]}
    second = review_upload(store, [(ACTIONS.name, data)], plan_name=KODAIRA_PLAN, edits=edits, today=TODAY)
    # the editor keeps showing what the file says; the rows to write carry the correction
    assert {t.name for t in second.files[0].text_indicators} == set(ti)
    new = {r.indicator: r.new for r in second.files[0].rows if r.what == "指標"}
    assert new["ボランティア参加者数（延べ）"].startswith("目標 2,500人")
    assert "ボランティア参加者数" not in new
    commit(store, list(second.preps), "テスト")
    stored = sql(store, "SELECT final_target, unit FROM indicators WHERE indicator = ?", ["ボランティア参加者数（延べ）"])
    assert stored == [(2500.0, "人")]


# ------------------------------------------------------------------ validation shown on the preview

def test_target_changed_after_it_was_set_is_a_warning_with_old_and_new(niigata_store, tmp_path):
    changed = edited_copy(NIIGATA, tmp_path / "changed.xlsx", {("No.28(H27-28)", "F13"): "1,300"})
    prep = prepare(niigata_store, changed, plan_name=NIIGATA_PLAN, today=TODAY)
    assert not prep.errors, prep.errors
    (w,) = [p for p in prep.warnings if p.code == "target_changed"]
    assert "平成28年度（2016年度）の計画が 1,250 → 1,300" in w.message
    assert (w.sheet, w.cell) == ("No.28(H27-28)", "F13")


def test_year_outside_the_stored_plan_period_is_an_error(niigata_store, tmp_path):
    path = canonical_workbook(tmp_path / "late.xlsx", plan={"計画名": NIIGATA_PLAN}, values=[
        {"No.": "28", "指標名": "まちづくりセンター数", "年度": "令和元年度", "実績": 56}])
    prep = prepare(niigata_store, path, today=TODAY)
    (err,) = prep.errors
    assert (err.code, err.sheet, err.cell) == ("outside_period", "年度値", "E2")
    assert "令和元年度（2019年度）は計画期間（平成27年度〜平成30年度）の外です" in err.message


def test_duplicates_across_files_of_one_upload(store, tmp_path):
    plan = {"計画名": "重複テスト", "開始年度": "R2", "終了年度": "R6"}
    items = [{"No.": 1, "取組名": "取組"}]
    inds = [{"No.": 1, "指標名": "件数", "単位": "件", "方向": "高いほど良い"}]  # no direction warning in the way
    a = canonical_workbook(tmp_path / "a.xlsx", plan=plan, items=items, indicators=inds,
                           values=[{"No.": 1, "指標名": "件数", "年度": "R3", "実績": 5}])
    b = canonical_workbook(tmp_path / "b.xlsx", plan=plan, items=items, indicators=inds,
                           values=[{"No.": 1, "指標名": "件数", "年度": "2021", "実績": 6}])
    c = canonical_workbook(tmp_path / "c.xlsx", plan=plan, items=items, indicators=inds,
                           values=[{"No.": 1, "指標名": "件数", "年度": "令和3年度", "実績": 5}])
    preps = prepare_many(store, [(p.name, p) for p in (a, b)], today=TODAY)
    (err,) = [p for prep in preps for p in prep.errors]
    assert (err.code, err.file, err.sheet, err.cell) == ("duplicate_across_files", "b.xlsx", "年度値", "E2")
    assert "ファイル「a.xlsx」 シート「年度値」 セル E2" in err.message and "違う値" in err.message
    with pytest.raises(Exception):
        commit(store, preps, "テスト")
    assert store.is_empty()
    same = prepare_many(store, [(p.name, p) for p in (a, c)], today=TODAY)
    assert not [p for prep in same for p in prep.errors]
    assert [p.code for prep in same for p in prep.warnings] == ["duplicate_across_files"]
    # commit() checks too, for callers that prepared the files one by one
    with pytest.raises(Exception) as exc:
        commit(store, [prepare(store, a, today=TODAY), prepare(store, b, today=TODAY)], "テスト")
    assert "違う値" in str(exc.value)
    assert store.is_empty()
    assert cross_file_problems([]) == []


_KEY_BASE = dict(files=[("a.xlsx", b"one")], plan_name=None, edits=None, version=3, today=TODAY, actor=None,
                 style="wareki")


@pytest.mark.parametrize("change", [
    {"files": [("a.xlsx", b"two")]},  # other bytes under the same name
    {"files": [("b.xlsx", b"one")]},
    {"plan_name": "別の計画"},
    {"edits": {"a.xlsx": [{"item_no": "2", "original": "参加団体数", "value": 12}]}},
    {"version": 4},  # a write anywhere
    {"style": "seireki"},
    {"actor": "山田"},
])
def test_review_key_changes_with_what_the_review_depends_on(change):
    from kpi.intake.review import review_key
    base = dict(_KEY_BASE)
    files = base.pop("files")
    assert review_key(files, **base) == review_key(list(files), **base)
    other = {**_KEY_BASE, **change}
    assert review_key(other.pop("files"), **other) != review_key(files, **base)


def test_review_key_is_the_same_for_the_same_edit_in_its_plain_and_data_form():
    from kpi.intake.edits import IndicatorEdit
    from kpi.intake.review import review_key
    plain = {"a.xlsx": [{"item_no": 2, "original": "参加団体数", "value": 12}]}
    data = {"a.xlsx": [IndicatorEdit("2", "参加団体数", value=12)]}
    assert review_key([("a.xlsx", b"x")], edits=plain) == review_key([("a.xlsx", b"x")], edits=data)
    assert review_key([("a.xlsx", b"x")], edits={"a.xlsx": []}) == review_key([("a.xlsx", b"x")])  # no edit is no edit


def test_one_description_the_sentence_and_the_row_say_the_same_in_the_readers_era():
    c = Change("indicators", ("3", "空き店舗数"), "update", {"final_target_fy": 2020, "direction": "higher"},
               {"final_target_fy": 2022, "direction": "lower"})
    assert c.describe() == "変更 指標 No.3 空き店舗数（目標年度: 2020年度 → 2022年度、方向: 高いほど良い → 低いほど良い）"
    assert [(r.field, r.old, r.new) for r in preview_rows(cs(c), style="seireki")] == \
        [("目標年度", "2020年度", "2022年度"), ("方向", "高いほど良い", "低いほど良い")]
    assert [(r.old, r.new) for r in preview_rows(cs(c))][0] == ("令和2年度", "令和4年度")  # the page's default era


def test_one_upload_reads_each_plan_fact_once(niigata_store, tmp_path, monkeypatch):
    from kpi.store.store import Store
    reads, queries = [], []
    real = Store._existing
    monkeypatch.setattr(Store, "_existing", lambda self, cur, table, plan_id: reads.append((table, plan_id))
                        or real(self, cur, table, plan_id))
    monkeypatch.setattr(Store, "query", lambda self, *a, **k: queries.append(a), raising=False)  # the raw door is gone; were it back, it must stay unused
    a = edited_copy(NIIGATA, tmp_path / "a.xlsx", {("No.28(H27-28)", "G14"): "49"})
    b = edited_copy(NIIGATA, tmp_path / "b.xlsx", {("No.28(H29-30)", "G14"): "50"})
    preps = prepare_many(niigata_store, [(p.name, p) for p in (a, b)], plan_name=NIIGATA_PLAN, today=TODAY)
    # both compared with the plan (the two disagree with each other, which the checks across files refuse)
    assert all(p.changes is not None and p.changes.n_updates >= 1 for p in preps)
    assert reads and len(reads) == len(set(reads))  # two files, every table of the plan read once
    assert queries == []  # no raw SQL on the way: named reads only
