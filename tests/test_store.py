"""The store: migrations in place, one write path, history of old values, all or nothing."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from conftest import NIIGATA, NIIGATA_PLAN, ROOT, TODAY
from helpers import edited_copy, sql

from kpi.access.permissions import LOCAL_ADMIN
from kpi.errors import ImportRefused, PermissionDenied, StoreBusyError, StoreConflictError
from kpi.intake.pipeline import commit, prepare
from kpi.outputs import export
from kpi.store import schema
from kpi.store.journal import Batch
from kpi.store.store import Store, UploadMeta


def snapshot(store: Store) -> tuple[bytes, bytes, bytes]:
    return tuple(export.to_csv(export.build(store, w, today=TODAY, actor=LOCAL_ADMIN)) for w in ("values", "evaluations", "indicators"))


def test_new_database_has_every_migration(store):
    assert store.applied_migrations() == [name for name, _ in schema.MIGRATIONS]


def test_existing_database_is_migrated_in_place(tmp_path, monkeypatch):
    path = tmp_path / "old.duckdb"
    s = Store.open(path)
    prep = prepare(s, NIIGATA, plan_name=NIIGATA_PLAN, today=TODAY)
    commit(s, [prep], "旧版")
    before = snapshot(s)
    s.close()
    # A later release adds a migration; opening the old file applies it and keeps the data.
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS + [
        ("9000_test_plan_colour", "ALTER TABLE plans ADD COLUMN colour VARCHAR")])
    import kpi.store.store as store_mod
    monkeypatch.setattr(store_mod, "MIGRATIONS", schema.MIGRATIONS)
    s = Store.open(path)
    assert "9000_test_plan_colour" in s.applied_migrations()
    assert ("colour", "VARCHAR") in s.columns("plans")
    assert snapshot(s) == before
    s.close()
    s = Store.open(path)  # and a second open applies nothing again
    assert s.applied_migrations().count("9000_test_plan_colour") == 1
    s.close()


def test_import_records_the_upload(niigata_store):
    (up,) = niigata_store.uploads()
    assert up.uploaded_by == "テスト"
    assert up.file_name == NIIGATA.name
    import hashlib
    assert up.sha256 == hashlib.sha256(NIIGATA.read_bytes()).hexdigest()
    assert up.layout == "progress_sheet"
    assert up.n_insert > 0 and up.status == "applied"
    log = niigata_store.change_log(up.upload_id)
    assert any(e["table"] == "indicator_values" and e["key"]["fiscal_year"] == 2016 for e in log)


def test_importing_the_same_file_twice_changes_nothing(niigata_store):
    before = snapshot(niigata_store)
    prep = prepare(niigata_store, NIIGATA, plan_name=NIIGATA_PLAN, today=TODAY)
    assert prep.changes.is_empty
    (res,) = commit(niigata_store, [prep], "テスト")
    assert res.upload_id is None
    assert len(niigata_store.uploads()) == 1
    assert snapshot(niigata_store) == before


def test_corrected_file_updates_values_and_keeps_the_old_ones(niigata_store, tmp_path):
    fixed = edited_copy(NIIGATA, tmp_path / "fixed.xlsx", {("No.28(H27-28)", "G14"): "49"})
    prep = prepare(niigata_store, fixed, plan_name=NIIGATA_PLAN, today=TODAY)
    assert [c.describe() for c in prep.changes.updates] == \
        ["変更 年度値 No.28 まちづくりセンター数 2016年度 実績（値: 48 → 49）"]
    (res,) = commit(niigata_store, [prep], "担当課")
    rows = sql(niigata_store, 
        "SELECT value FROM indicator_values WHERE indicator = 'まちづくりセンター数' AND fiscal_year = 2016 "
        "AND kind = 'actual'")
    assert rows == [(49.0,)]
    log = niigata_store.change_log(res.upload_id)
    assert len(log) == 1
    assert log[0]["old"]["value"] == 48 and log[0]["new"]["value"] == 49
    assert [u.uploaded_by for u in niigata_store.uploads()] == ["担当課", "テスト"]


def test_blank_cell_never_erases_a_stored_value(niigata_store, tmp_path):
    blanked = edited_copy(NIIGATA, tmp_path / "blank.xlsx", {("No.28(H27-28)", "G14"): None})
    prep = prepare(niigata_store, blanked, plan_name=NIIGATA_PLAN, today=TODAY)
    assert prep.changes.is_empty


def test_refused_file_leaves_database_unchanged(niigata_store, tmp_path):
    before = snapshot(niigata_store)
    bad = edited_copy(NIIGATA, tmp_path / "bad.xlsx", {("No.28(H29-30)", "G14"): "55箇所?"})
    good_fix = edited_copy(NIIGATA, tmp_path / "fix.xlsx", {("No.28(H27-28)", "G14"): "49"})
    preps = [prepare(niigata_store, good_fix, plan_name=NIIGATA_PLAN, today=TODAY),
             prepare(niigata_store, bad, plan_name=NIIGATA_PLAN, today=TODAY)]
    assert not preps[0].errors
    (err,) = preps[1].errors
    assert (err.sheet, err.cell) == ("No.28(H29-30)", "G14")
    with pytest.raises(ImportRefused):
        commit(niigata_store, preps, "担当課")
    assert snapshot(niigata_store) == before
    assert len(niigata_store.uploads()) == 1


def test_failure_inside_the_transaction_rolls_everything_back(niigata_store, tmp_path):
    before = snapshot(niigata_store)
    fixed = edited_copy(NIIGATA, tmp_path / "fixed.xlsx", {("No.28(H27-28)", "G14"): "49"})
    prep = prepare(niigata_store, fixed, plan_name=NIIGATA_PLAN, today=TODAY)

    def deny(changes, plan_id):
        raise PermissionDenied("この取組を更新する権限がありません")

    with pytest.raises(PermissionDenied):
        commit(niigata_store, [prep], "他課の職員", check=deny)
    assert snapshot(niigata_store) == before


def test_concurrent_writer_is_told_to_retry(niigata_store, tmp_path):
    fixed = edited_copy(NIIGATA, tmp_path / "fixed.xlsx", {("No.28(H27-28)", "G14"): "49"})
    prep = prepare(niigata_store, fixed, plan_name=NIIGATA_PLAN, today=TODAY)
    other = niigata_store.cursor()
    other.execute("BEGIN TRANSACTION")
    niigata_store._next_id(other, "upload")  # another session is in the middle of a write
    with pytest.raises(StoreConflictError) as exc:
        commit(niigata_store, [prep], "担当課")
    assert "もう一度" in exc.value.hint
    other.execute("COMMIT")
    (res,) = commit(niigata_store, [prep], "担当課")  # the retry lands
    assert res.upload_id is not None


def test_second_process_gets_a_clear_message(tmp_path):
    path = tmp_path / "busy.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, duckdb; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
                               "sys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreBusyError) as exc:
            Store.open(path)
        assert "別のプログラムが開いています" in exc.value.message
    finally:
        holder.communicate("", timeout=30)


def test_same_code_runs_on_a_ducklake_catalog(tmp_path, monkeypatch):
    monkeypatch.setenv("KPI_DATA_PATH", str(tmp_path / "lake_files"))
    lake = Store.open(f"ducklake:{tmp_path / 'meta.duckdb'}")
    assert lake.is_shared
    plain = Store.open(tmp_path / "plain.duckdb")
    for s in (lake, plain):
        prep = prepare(s, NIIGATA, plan_name=NIIGATA_PLAN, today=TODAY)
        commit(s, [prep], "テスト")
        fixed = edited_copy(NIIGATA, tmp_path / "fixed.xlsx", {("No.28(H27-28)", "G14"): "49"})
        commit(s, [prepare(s, fixed, plan_name=NIIGATA_PLAN, today=TODAY)], "テスト")
    assert snapshot(lake) == snapshot(plain)
    lake.close()
    again = Store.open(f"ducklake:{tmp_path / 'meta.duckdb'}")  # it was written to the catalog, not memory
    assert snapshot(again) == snapshot(plain)
    again.close()
    plain.close()


def test_direction_set_by_a_person_is_not_overwritten_by_an_import(niigata_store):
    b = Batch(plan_name=NIIGATA_PLAN)
    b.add("indicators", item_no="28", indicator="まちづくりセンター数", direction="lower", direction_source="manual")
    niigata_store.apply(b, UploadMeta(user="推進課", kind="edit"))
    prep = prepare(niigata_store, NIIGATA, plan_name=NIIGATA_PLAN, today=TODAY)
    assert prep.changes.is_empty
    rows = sql(niigata_store, "SELECT direction, direction_source FROM indicators WHERE indicator = 'まちづくりセンター数'")
    assert rows == [("lower", "manual")]


def test_reads_from_threads_use_their_own_cursors(niigata_store):
    errors = []

    def read():
        try:
            for _ in range(20):
                assert niigata_store.load_plan(niigata_store.plans()[0].plan_id).items
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
