"""Upload history and undo: exactly the replaced values come back, later work is never lost."""

from __future__ import annotations

import pytest
from conftest import NIIGATA, NIIGATA_PLAN, TODAY
from helpers import canonical_workbook, edited_copy, sql
from test_cli import run

from kpi.access.permissions import LOCAL_ADMIN, Actor
from kpi.errors import NotFound, PermissionDenied
from kpi.intake import history
from kpi.intake.pipeline import commit, prepare
from kpi.outputs import export
from kpi.store.store import Store


def snapshot(store: Store) -> tuple[bytes, ...]:
    return tuple(export.to_csv(export.build(store, w, today=TODAY, actor=LOCAL_ADMIN)) for w in ("values", "evaluations", "indicators"))


def load(store: Store, path, who: str = "テスト", **kw) -> int:
    prep = prepare(store, path, plan_name=NIIGATA_PLAN, today=TODAY)
    assert not prep.errors, prep.errors
    (res,) = commit(store, [prep], who, backup=False, **kw)
    return res.upload_id


def actual_2017(store: Store) -> float:
    (v,) = sql(store, "SELECT value FROM indicator_values WHERE fiscal_year = 2017 AND kind = 'actual' "
                       "AND indicator LIKE 'コミュニティ%'")
    return v[0]


def test_undo_restores_exactly_what_the_upload_replaced(store, tmp_path):
    empty = snapshot(store)
    first = load(store, NIIGATA)
    after_first = snapshot(store)
    fix = edited_copy(NIIGATA, tmp_path / "fix.xlsx", {("No.28(H29-30)", "E13"): "1,500"})
    second = load(store, fix, note="実績の訂正")
    assert actual_2017(store) == 1500

    res = history.undo(store, second, "管理者")
    assert (res.undone, res.n_restored, res.n_deleted) == (second, 1, 0)
    assert actual_2017(store) == 1454
    assert snapshot(store) == after_first
    res = history.undo(store, first, "管理者")
    assert res.n_deleted > 0 and snapshot(store) == empty and store.plans() == []

    entries = {e.upload_id: e for e in history.upload_list(store)}
    assert entries[second].status == "undone" and entries[second].status_label.startswith("取消済み")
    assert entries[second].note == "実績の訂正"
    undo_entry = entries[res.upload_id]
    assert (undo_entry.kind, undo_entry.undo_of, undo_entry.who) == ("undo", first, "管理者")
    assert "取込番号 1 を取り消し" in undo_entry.summary and "削除 38 件" in undo_entry.summary


def test_undo_puts_back_an_empty_value_a_plain_import_would_never_erase(store, tmp_path):
    plan = {"計画名": "評価テスト", "開始年度": "R2", "終了年度": "R6"}
    items = [{"No.": 1, "取組名": "取組"}]
    a = canonical_workbook(tmp_path / "a.xlsx", plan=plan, items=items,
                           evaluations=[{"No.": 1, "年度": "R3", "段階": "年度", "取組の状況": "実施した"}])
    b = canonical_workbook(tmp_path / "b.xlsx", plan=plan, items=items,
                           evaluations=[{"No.": 1, "年度": "R3", "段階": "年度", "評価": "B", "取組の状況": "実施した"}])
    commit(store, [prepare(store, a, today=TODAY)], "課", backup=False)
    (res,) = commit(store, [prepare(store, b, today=TODAY)], "課", backup=False)
    assert sql(store, "SELECT grade, status_text FROM evaluations") == [("B", "実施した")]
    history.undo(store, res.upload_id, "管理者")
    assert sql(store, "SELECT grade, status_text FROM evaluations") == [(None, "実施した")]


def test_undo_is_refused_while_a_later_upload_changed_the_same_rows(store, tmp_path):
    first = load(store, NIIGATA)
    second = load(store, edited_copy(NIIGATA, tmp_path / "a.xlsx", {("No.28(H29-30)", "E13"): "1,500"}))
    third = load(store, edited_copy(NIIGATA, tmp_path / "b.xlsx", {("No.28(H29-30)", "E13"): "1,600"}))
    before = snapshot(store)
    with pytest.raises(history.UndoRefused) as exc:
        history.undo(store, second, "管理者")
    text = str(exc.value)
    assert f"取込番号 {third}" in text and "b.xlsx" in text
    assert "コミュニティ・コーディネーター育成講座受講者数(累計) 2017年度 実績（値: 1,500 → 1,600）" in text
    assert f"先に取込番号 {third} から" in text
    assert snapshot(store) == before  # nothing written
    assert [u.status for u in store.uploads()] == ["applied"] * 3

    history.undo(store, third, "管理者")
    history.undo(store, second, "管理者")  # now the later change is gone, so this one may go too
    assert actual_2017(store) == 1454
    with pytest.raises(history.UndoRefused, match="すでに取り消されています"):
        history.undo(store, second, "管理者")
    # undoing the first upload removes the plan it created: allowed, the later ones are undone
    history.undo(store, first, "管理者")
    assert store.plans() == []


def test_undo_of_an_upload_that_created_the_plan_waits_for_later_uploads_to_it(store, tmp_path):
    first = load(store, NIIGATA)
    extra = canonical_workbook(tmp_path / "eval.xlsx", plan={"計画名": NIIGATA_PLAN},
                               evaluations=[{"No.": "28", "年度": "H30", "段階": "上半期", "評価": "順調"}])
    (res,) = commit(store, [prepare(store, extra, today=TODAY)], "課", backup=False)
    with pytest.raises(history.UndoRefused, match=f"取込番号 {res.upload_id}"):
        history.undo(store, first, "管理者")


@pytest.mark.parametrize("actor, uploaded_by, kind, status, allowed", [
    (Actor("山田", "admin"), "佐藤", "import", "applied", True),
    (Actor("佐藤", "editor", ("市民協働課",)), "佐藤", "import", "applied", True),
    (Actor("佐藤", "editor", ("市民協働課",)), "山田", "import", "applied", False),
    (Actor("佐藤", "viewer"), "佐藤", "import", "applied", False),
    (Actor("山田", "admin"), "佐藤", "import", "undone", False),
    (Actor("山田", "admin"), "山田", "undo", "applied", False),
])
def test_can_undo(actor, uploaded_by, kind, status, allowed, niigata_store):
    (rec,) = niigata_store.uploads()
    from dataclasses import replace
    decision = history.can_undo(actor, replace(rec, uploaded_by=uploaded_by, kind=kind, status=status))
    assert bool(decision) is allowed
    assert allowed or decision.reason


def test_an_editor_cannot_undo_someone_elses_upload(niigata_store):
    (rec,) = niigata_store.uploads()
    with pytest.raises(PermissionDenied, match="ほかの人（テスト）の取り込みを取り消せるのは管理者だけ"):
        history.undo(niigata_store, rec.upload_id, Actor("佐藤", "editor", ("市民協働課",)))
    assert niigata_store.uploads()[0].status == "applied"
    with pytest.raises(NotFound):
        history.undo(niigata_store, 999, "管理者")


def test_change_sentences(niigata_store, tmp_path):
    lines = history.changes_of(niigata_store, niigata_store.uploads()[0].upload_id)
    assert lines[0] == f"新規 計画「{NIIGATA_PLAN}」"
    assert "新規 年度値 No.28 まちづくりセンター数 2016年度 実績: 48" in lines
    # a long upload: the first ones, then how many more (the page shows 500)
    first = history.changes_of(niigata_store, niigata_store.uploads()[0].upload_id, limit=5)
    assert first[:5] == lines[:5] and first[5] == f"ほか {len(lines) - 5} 件" and len(first) == 6


def test_cli_history_and_undo(tmp_path):
    db = str(tmp_path / "kpi.duckdb")
    assert run("--db", db, "import", str(NIIGATA), "--plan", NIIGATA_PLAN, "--user", "山田").returncode == 0
    fix = edited_copy(NIIGATA, tmp_path / "fix.xlsx", {("No.28(H29-30)", "E13"): "1,500"})
    r = run("--db", db, "import", str(fix), "--plan", NIIGATA_PLAN, "--note", "訂正")
    assert r.returncode == 0
    out = run("--db", db, "history").stdout.decode()
    assert "fix.xlsx" in out and "訂正" in out and "山田" in out and "新規 37 件" in out
    detail = run("--db", db, "history", "--id", "2").stdout.decode()
    assert "実績（値: 1,454 → 1,500）" in detail
    r = run("--db", db, "undo", "1")
    assert r.returncode == 1 and "先に取込番号 2 から" in r.stderr.decode() and "Traceback" not in r.stderr.decode()
    r = run("--db", db, "undo", "2")
    assert r.returncode == 0 and "取込番号 2 を取り消しました" in r.stdout.decode()
    values = run("--db", db, "export", "--machine").stdout.decode("utf-8-sig")
    assert ",2017,1410,,,,,1454," in values  # fiscal_year, target, four empty revision columns, actual
    out = run("--db", db, "history").stdout.decode()
    assert "取り消し" in out and "取消済み" in out


def test_the_history_names_a_plan_note_by_its_section_and_says_applied(tmp_path):
    """What a person reads in 取込履歴 for the guideline's timeline: Japanese words, not internal codes."""
    from conftest import SAMPLES
    s = Store.open(tmp_path / "kpi.duckdb")
    commit(s, [prepare(s, SAMPLES / "kodaira_kyodo_guideline_tables.xlsx", today=TODAY)], "テスト")
    (entry,) = history.upload_list(s)
    assert entry.status_label == "反映済み"
    lines = history.changes_of(s, entry.upload_id)
    assert any(line.startswith("新規 計画の経過・位置付け これまでの経過 1") for line in lines), lines[:3]
    assert not any("milestone" in line or "positioning" in line for line in lines)
