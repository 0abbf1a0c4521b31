"""The yearly cycle on a real database (issue 20): a call, submissions waiting for review, 確認 and
差し戻し through the one write path, period locks that refuse a later upload (naming who locked it and
when) and the unlock with its reason in the history, undo, target revisions and unconfirmed values."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import TODAY
from helpers import DEPT_PLAN, department_plan

from kpi.access.permissions import Actor
from kpi.cycle import calls
from kpi.cycle.revisions import revisions_of
from kpi.cycle.shown import as_shown, pending_values
from kpi.errors import ImportRefused, PermissionDenied
from kpi.intake import cycle_review
from kpi.intake.history import UndoRefused, changes_of, undo, upload_list
from kpi.intake.pipeline import commit, prepare
from kpi.store.store import Store

ADMIN = Actor("推進 一郎", "admin")
KYODO = Actor("協働 太郎", "editor", ("市民協働課",))
ZAISEI = Actor("財政 次郎", "editor", ("財政課",))
DEADLINE = date(2025, 5, 31)
FY = 2022


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPI_TODAY", "2025-05-20")  # the records are stamped with this day (kpi.cycle.clock)


@pytest.fixture
def plan(store: Store, tmp_path: Path) -> int:
    prep = prepare(store, department_plan(tmp_path / "plan.xlsx"), today=TODAY)
    commit(store, [prep], ADMIN)
    return store.plan_by_name(DEPT_PLAN).plan_id


@pytest.fixture
def call(store: Store, plan: int) -> calls.Call:
    return calls.open_new(store, ADMIN, plan, FY, ["年度"], DEADLINE, "令和4年度の実績を記入してください")


def upload(store: Store, tmp_path: Path, actor: Actor, item: int, actual: float, name: str | None = None):
    path = department_plan(tmp_path / (name or f"{actor.name}-{actual}.xlsx"), only=[item], actual={(item, FY): actual})
    prep = prepare(store, path, today=TODAY)
    assert not prep.errors, prep.errors
    return commit(store, [prep], actor)[0]


def actual(store: Store, plan: int, item: str, fy: int = FY):
    it = next(i for i in store.load_plan(plan).items if i.item_no == item)
    return it.indicators[0].year(fy).actual


def status(store: Store, call: calls.Call, department: str, today: date = date(2025, 5, 20)):
    return next(s for s in calls.statuses_of(store, call, today) if s.department == department)


def test_a_call_names_its_departments_deadline_and_stages(store, plan, call):
    assert (call.fiscal_year, call.stages, call.deadline, call.departments, call.status_label) == \
        (FY, "年度", DEADLINE, ("市民協働課", "財政課"), "受付中")
    assert call.title == "令和4年度 年度評価の照会"
    assert [s.label for s in calls.statuses_of(store, call, DEADLINE)] == ["未提出", "未提出"]
    entry = upload_list(store, plan_id=plan)[0]
    assert (entry.kind_label, entry.who, entry.note) == ("照会", "推進 一郎", "令和4年度 年度評価の照会を開始（期限 2025-05-31）")


@pytest.mark.parametrize("stages, departments, message", [
    (["通年"], None, "段階「通年」はありません"),
    ([], None, "集める段階"),
    (["年度"], ["土木課"], "担当課「土木課」はこの計画の取組の担当にありません"),
])
def test_a_call_that_cannot_be_opened_is_refused(store, plan, stages, departments, message):
    with pytest.raises(calls.CycleError, match=message):
        calls.open_new(store, ADMIN, plan, FY, stages, DEADLINE, departments=departments)
    assert calls.calls_of(store, plan) == []


def test_one_open_call_per_plan(store, plan, call):
    with pytest.raises(calls.CycleError, match="受付中です"):
        calls.open_new(store, ADMIN, plan, 2021, ["年度"], DEADLINE)


def test_only_an_administrator_runs_the_cycle(store, plan, tmp_path):
    with pytest.raises(PermissionDenied):
        calls.open_new(store, KYODO, plan, FY, ["年度"], DEADLINE)
    call = calls.open_new(store, ADMIN, plan, FY, ["年度"], DEADLINE)
    upload(store, tmp_path, KYODO, 1, 55)
    with pytest.raises(PermissionDenied):
        calls.confirm(store, KYODO, call, "市民協働課")
    with pytest.raises(PermissionDenied):
        cycle_review.send_back(store, KYODO, call, "市民協働課", "自分で差し戻し")
    assert status(store, call, "市民協働課").label == "提出済（確認待ち）"


def test_an_editors_upload_waits_for_review_then_counts(store, plan, call, tmp_path):
    res = upload(store, tmp_path, KYODO, 1, 55)
    s = status(store, call, "市民協働課")
    assert (s.label, s.pending, s.submitted_by) == ("提出済（確認待ち）", (res.upload_id,), "協働 太郎")
    assert status(store, call, "財政課").label == "未提出"
    # the 推進課 sees what it changed (the history's words), and the value is marked 未確定 everywhere
    [sub] = cycle_review.waiting(store, call)
    assert sub.changes == (f"取込番号 {res.upload_id}: 変更 年度値 No.1 指標1 2022年度 実績（値: 39 → 55）",)
    assert [(p.department, p.item_no, p.text) for p in pending_values(store, plan)] == \
        [("市民協働課", "1", "指標1 令和4年度 実績 55")]
    shown = as_shown(store, store.load_plan(plan))
    assert any("未確定の値があります: 市民協働課（05/20 提出）" in n for n in shown.notices)
    with pytest.raises(calls.CycleError, match="確認待ちの提出があります（市民協働課）"):
        calls.finalize(store, ADMIN, call)

    calls.confirm(store, ADMIN, call, "市民協働課")
    s = status(store, call, "市民協働課")
    assert (s.label, s.acted_by, s.pending) == ("確定", "推進 一郎", ())
    assert actual(store, plan, "1") == 55
    assert pending_values(store, plan) == ()
    assert not any("未確定" in n for n in as_shown(store, store.load_plan(plan)).notices)


def test_hidden_unconfirmed_values_show_the_confirmed_ones(store, plan, call, tmp_path):
    calls.save_settings(store, ADMIN, plan, show_unconfirmed=False)
    upload(store, tmp_path, KYODO, 1, 55)
    assert actual(store, plan, "1") == 55  # stored
    shown = as_shown(store, store.load_plan(plan))
    item = next(i for i in shown.items if i.item_no == "1")
    assert item.indicators[0].year(FY).actual == 39  # shown: the value before the submission
    assert any("確認されるまで、その値は表示していません" in n for n in shown.notices)


def test_a_return_undoes_the_values_and_the_department_resubmits(store, plan, call, tmp_path):
    first = upload(store, tmp_path, ZAISEI, 2, 77)
    assert actual(store, plan, "2") == 77
    with pytest.raises(calls.CycleError, match="コメント"):
        cycle_review.send_back(store, ADMIN, call, "財政課", "  ")
    undone = cycle_review.send_back(store, ADMIN, call, "財政課", "実績の根拠を備考に書いてください")
    assert actual(store, plan, "2") == 39  # back to the value before the submission
    s = status(store, call, "財政課", date(2025, 6, 3))
    assert s.state_text == "差し戻し・期限切れ（3日経過）（理由: 実績の根拠を備考に書いてください）"
    assert s.acted_by == "推進 一郎"
    notes = {e.upload_id: e.note for e in upload_list(store, plan_id=plan)}
    assert notes[undone[0]] == "差し戻し（財政課）: 実績の根拠を備考に書いてください"
    assert any(n == "令和4年度 年度評価の照会: 財政課に差し戻し（実績の根拠を備考に書いてください）" for n in notes.values())
    assert first.upload_id not in [u for u in status(store, call, "財政課").pending]

    again = upload(store, tmp_path, ZAISEI, 2, 78, "fixed.xlsx")
    assert status(store, call, "財政課").pending == (again.upload_id,)
    calls.confirm(store, ADMIN, call, "財政課")
    assert (status(store, call, "財政課").label, actual(store, plan, "2")) == ("確定", 78)


def test_undoing_a_submission_withdraws_it(store, plan, call, tmp_path):
    res = upload(store, tmp_path, KYODO, 1, 55)
    undo(store, res.upload_id, KYODO)
    assert status(store, call, "市民協働課").label == "未提出"
    assert actual(store, plan, "1") == 39


def test_a_locked_year_refuses_a_later_upload_until_unlocked(store, plan, call, tmp_path):
    upload(store, tmp_path, KYODO, 1, 55)
    calls.confirm(store, ADMIN, call, "市民協働課")
    final = calls.finalize(store, ADMIN, call)
    assert final.status_label == "確定"
    [lock] = calls.locks_of(store, plan)
    assert (lock.fiscal_year, lock.stage, lock.locked_by) == (FY, "年度", "推進 一郎")
    n_uploads = len(upload_list(store))

    late = department_plan(tmp_path / "late.xlsx", only=[1], actual={(1, FY): 66})
    prep = prepare(store, late, today=TODAY)
    [err] = prep.errors  # already in the preview, with the cell
    assert (err.file, err.sheet, err.cell) == ("late.xlsx", "年度値", "E4")
    assert f"令和4年度の年度評価は{lock.locked_at:%Y-%m-%d %H:%M}に推進 一郎が確定しました" in err.message
    for who in (KYODO, ADMIN):  # not even an administrator writes into a locked year without unlocking
        with pytest.raises(ImportRefused) as exc:
            commit(store, [prep], who)
        assert "推進 一郎が確定しました" in str(exc.value)
    assert actual(store, plan, "1") == 55 and len(upload_list(store)) == n_uploads  # nothing written

    with pytest.raises(calls.CycleError, match="理由"):
        calls.unlock(store, ADMIN, plan, FY, "年度", "")
    with pytest.raises(PermissionDenied):
        calls.unlock(store, KYODO, plan, FY, "年度", "直したい")
    res = calls.unlock(store, ADMIN, plan, FY, "年度", "議会答弁に合わせて実績を訂正")
    entry = next(e for e in upload_list(store) if e.upload_id == res.upload_id)
    assert (entry.who, entry.note) == ("推進 一郎", "確定の解除: 令和4年度 年度（理由: 議会答弁に合わせて実績を訂正）")
    assert any("議会答弁に合わせて実績を訂正" in line for line in changes_of(store, res.upload_id))
    assert calls.locks_of(store, plan) == []

    prep = prepare(store, late, today=TODAY)
    assert not prep.errors
    commit(store, [prep], KYODO)
    assert actual(store, plan, "1") == 66


def test_a_lock_refuses_an_undo_that_would_change_the_year(store, plan, call, tmp_path):
    res = upload(store, tmp_path, KYODO, 1, 55)
    calls.confirm(store, ADMIN, call, "市民協働課")
    calls.finalize(store, ADMIN, call)
    with pytest.raises(UndoRefused, match="確定済みの期間"):
        undo(store, res.upload_id, ADMIN)
    assert actual(store, plan, "1") == 55


def test_other_years_stay_open_after_a_lock(store, plan, call, tmp_path):
    calls.finalize(store, ADMIN, call)
    path = department_plan(tmp_path / "y2021.xlsx", only=[1], actual={(1, 2021): 31})
    prep = prepare(store, path, today=TODAY)
    assert not prep.errors
    commit(store, [prep], KYODO)
    assert actual(store, plan, "1", 2021) == 31


def test_a_revised_target_keeps_the_original(store, plan, tmp_path):
    import openpyxl
    path = department_plan(tmp_path / "rev.xlsx", only=[1])
    wb = openpyxl.load_workbook(path)
    ws = wb["年度値"]
    for row in ws.iter_rows(min_row=2):
        if row[2].value == f"{FY}年度":
            row[3].value = 45  # 計画 40 → 45
    wb.save(path)
    prep = prepare(store, path, today=TODAY)
    commit(store, [prep], ADMIN, note="中間見直しで上方修正")
    [rev] = revisions_of(store, plan)
    assert (rev.item_no, rev.fiscal_year, rev.original, rev.revised) == ("1", FY, 40, 45)
    # the date is the upload's own time stamp (the history's), so only its shape is fixed here
    assert rev.text().startswith("当初 40 → 修正 45（") and rev.text().endswith(" 推進 一郎: 中間見直しで上方修正）")
    calls.save_settings(store, ADMIN, plan, grade_against="original")
    graded = as_shown(store, store.load_plan(plan))
    item = next(i for i in graded.items if i.item_no == "1")
    assert item.indicators[0].year(FY).target == 40
