"""A process killed in the middle of an import leaves the database as it was; backups and restore.

The kill is real: `python -m kpi import` runs in a subprocess on a large generated workbook and
gets SIGKILL while its write transaction is open. The test-only switch
KPI_FAULT_PAUSE_BEFORE_COMMIT (kpi/store/store.py) makes the process announce on stderr that it has
written everything and is about to COMMIT, and wait there, so the kill lands inside the
transaction every time instead of by luck.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT, TODAY
from helpers import DEPT_PLAN, department_plan, sql

from kpi.access import auth
from kpi.access.permissions import LOCAL_ADMIN
from kpi.intake import backup
from kpi.intake.pipeline import commit, prepare
from kpi.outputs import export
from kpi.store.store import Store

BIG_ITEMS = 800  # × 6 years × (plan + actual) ≈ 9,600 values plus items and indicators


def snapshot(db) -> tuple[bytes, ...]:
    s = Store.open(db)
    try:
        tables = tuple(export.to_csv(export.build(s, w, today=TODAY, actor=LOCAL_ADMIN)) for w in ("values", "evaluations", "indicators"))
        ups = tuple((u.upload_id, u.kind, u.uploaded_by, u.status) for u in s.uploads())
        counts = tuple(sql(s, f"SELECT count(*) FROM {t}")[0][0]
                       for t in ("items", "indicators", "indicator_values", "change_log", "uploads"))
        return tables + (repr(ups).encode(), repr(counts).encode())
    finally:
        s.close()


def kill_during_import(db, workbook, *, plan: str | None = None) -> tuple[int, str]:
    env = dict(os.environ, KPI_DB=str(db), KPI_FAULT_PAUSE_BEFORE_COMMIT="120")
    cmd = [sys.executable, "-m", "kpi", "import", str(workbook)] + (["--plan", plan] if plan else [])
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    seen = []
    try:
        while time.time() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            seen.append(line)
            if "KPI_FAULT: paused before COMMIT" in line:
                os.kill(proc.pid, signal.SIGKILL)  # the transaction is open: everything written, nothing committed
                break
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    assert any("paused before COMMIT" in s for s in seen), "".join(seen) + proc.stdout.read()
    return proc.returncode, "".join(seen)


@pytest.fixture(scope="module")
def big_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("big")
    years = range(2020, 2026)
    first = department_plan(d / "big.xlsx", n_items=BIG_ITEMS, years=years)
    changed = department_plan(d / "big_changed.xlsx", n_items=BIG_ITEMS, years=years,
                              actual={(n, 2024): 500 + n for n in range(1, BIG_ITEMS + 1)},
                              titles={n: f"取組{n}（改訂）" for n in range(1, BIG_ITEMS + 1, 3)})
    return first, changed


@pytest.fixture
def db(tmp_path, demo_db):
    target = tmp_path / "kpi.duckdb"
    shutil.copy(demo_db, target)
    return target


def test_kill_during_a_new_plan_import_leaves_the_database_as_it_was(db, big_files):
    first, _ = big_files
    before = snapshot(db)
    rc, _ = kill_during_import(db, first)
    assert rc == -signal.SIGKILL
    assert snapshot(db) == before  # reopened after the crash: exactly the state before the import
    s = Store.open(db)
    try:
        assert s.plan_by_name(DEPT_PLAN) is None
        # The automatic backup was taken before the import began writing, and it holds that same state.
        (b,) = backup.list_backups(s)
    finally:
        s.close()
    assert snapshot(b.path) == before
    # The same import, not interrupted, then lands completely.
    r = subprocess.run([sys.executable, "-m", "kpi", "import", str(first)], cwd=ROOT, capture_output=True, text=True,
                       env=dict(os.environ, KPI_DB=str(db)), timeout=300)
    assert r.returncode == 0, r.stderr
    s = Store.open(db)
    try:
        assert sql(s, "SELECT count(*) FROM items WHERE plan_id = ?", [s.plan_by_name(DEPT_PLAN).plan_id]) == \
            [(BIG_ITEMS,)]
    finally:
        s.close()


def test_kill_during_an_update_keeps_every_old_value(db, big_files):
    first, changed = big_files
    s = Store.open(db)
    commit(s, [prepare(s, first, today=TODAY)], "準備")
    s.close()
    before = snapshot(db)
    rc, _ = kill_during_import(db, changed)
    assert rc == -signal.SIGKILL
    assert snapshot(db) == before
    s = Store.open(db)
    try:
        assert sql(s, "SELECT count(*) FROM indicator_values WHERE fiscal_year = 2024 AND kind = 'actual' "
                       "AND value >= 500") == [(0,)]
        prep = prepare(s, changed, today=TODAY)  # and the file still applies cleanly afterwards
        (res,) = commit(s, [prep], "再取込")
        assert len(res.changes.updates) == BIG_ITEMS + len(range(1, BIG_ITEMS + 1, 3))
    finally:
        s.close()


# ------------------------------------------------------------------ backups
def test_backup_before_import_and_restore_round_trip(db, tmp_path):
    s = Store.open(db)
    try:
        assert backup.list_backups(s) == []
        commit(s, [prepare(s, department_plan(tmp_path / "a.xlsx"), today=TODAY)], "一回目")
        (b1,) = backup.list_backups(s)  # the demo state, taken before 一回目 wrote anything
        after_first = export.to_csv(export.build(s, "values", today=TODAY, actor=LOCAL_ADMIN))
        commit(s, [prepare(s, department_plan(tmp_path / "b.xlsx", actual={(1, 2022): 77}), today=TODAY)], "二回目")
        b2 = backup.list_backups(s)[0]
        assert b2.last_upload == b1.last_upload + 1 and b2.path != b1.path
        auth.add_user(s, LOCAL_ADMIN, "kanri", "admin", password="correct-horse-42")
        counter = sql(s, "SELECT value FROM counters WHERE name = 'upload'")[0][0]
        pre = backup.restore(s, b2.path, LOCAL_ADMIN)  # back to just after 一回目
        assert export.to_csv(export.build(s, "values", today=TODAY, actor=LOCAL_ADMIN)) == after_first
        assert pre is not None and pre.exists() and "before-restore" in pre.name
        last = s.uploads()[0]
        assert (last.kind, last.uploaded_by, last.file_name) == ("restore", LOCAL_ADMIN.name, b2.path.name)
        assert last.upload_id == counter + 1  # upload numbers never go backwards
        assert auth.get_user(s, "kanri") is not None  # accounts are not rolled back
        backup.restore(s, pre, LOCAL_ADMIN)  # and the restore itself can be undone
        rows = sql(s, "SELECT value FROM indicator_values WHERE item_no = '1' AND fiscal_year = 2022 "
                       "AND kind = 'actual'")
        assert rows == [(77.0,)]
    finally:
        s.close()


def test_old_backups_are_pruned(store, tmp_path, monkeypatch):
    monkeypatch.setenv("KPI_BACKUP_KEEP", "3")
    commit(store, [prepare(store, department_plan(tmp_path / "p.xlsx"), today=TODAY)], "t")
    for i in range(5):
        commit(store, [prepare(store, department_plan(tmp_path / f"v{i}.xlsx", actual={(1, 2022): i}), today=TODAY)],
               "t")
    kept = backup.list_backups(store)
    assert [b.last_upload for b in kept] == [5, 4, 3]
    assert sorted(p.name for p in backup.backup_dir(store).iterdir()) == sorted(b.path.name for b in kept)


def test_an_import_that_changes_nothing_takes_no_backup(niigata_store):
    from conftest import NIIGATA, NIIGATA_PLAN
    commit(niigata_store, [prepare(niigata_store, NIIGATA, plan_name=NIIGATA_PLAN, today=TODAY)], "t")
    assert backup.list_backups(niigata_store) == []


def cli(db, *args):
    return subprocess.run([sys.executable, "-m", "kpi", *args], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, KPI_DB=str(db)), timeout=300)


def test_cli_backup_and_restore(db, tmp_path):
    before = snapshot(db)
    r = cli(db, "backup")
    assert r.returncode == 0 and "バックアップを作りました" in r.stdout, r.stderr
    path = r.stdout.split(": ", 1)[1].strip()
    r = cli(db, "import", str(department_plan(tmp_path / "a.xlsx")))
    assert r.returncode == 0, r.stderr
    assert snapshot(db) != before
    r = cli(db, "backup", "--list")
    assert path in r.stdout
    r = cli(db, "restore", path)
    assert r.returncode == 0 and "復元しました" in r.stdout, r.stderr
    assert snapshot(db)[:3] == before[:3]  # the plan data is back; the history notes the restore
    r = cli(db, "restore", str(tmp_path / "nothing.duckdb"))
    assert r.returncode == 1 and "見つかりません" in r.stderr
    not_a_db = tmp_path / "notes.duckdb"
    not_a_db.write_text("これはデータベースではありません", encoding="utf-8")
    r = cli(db, "restore", str(not_a_db))
    assert r.returncode == 1 and "開けません" in r.stderr and "Traceback" not in r.stderr
