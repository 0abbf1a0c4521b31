"""The shared store: a DuckLake catalog on a real PostgreSQL server, opened by several processes.

Each process (an app server, a CLI run) has its own DuckDB instance attached to the same
catalog, as two servers on two machines would. Nothing here is mocked: the server is
Debian's PostgreSQL started in a temporary folder (tests/pgcluster.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import duckdb
import pytest
from conftest import NIIGATA, NIIGATA_PLAN, ROOT, TODAY
from helpers import canonical_workbook, run_kpi, sql
from pgcluster import PgCluster
from test_cli import rows

from kpi.access.permissions import LOCAL_ADMIN
from kpi.errors import StoreConflictError, StoreError, StoreUnavailable
from kpi.intake.pipeline import commit, prepare
from kpi.outputs import export
from kpi.store.store import Store


def cli(*args, target: str, env: dict | None = None, data_path: str | None = None):
    """A command in this process (helpers.run_kpi, its own Store as a CLI run has); the simultaneous
    imports below are real processes."""
    extra = ["--data-path", data_path] if data_path else []
    return run_kpi(*args, "--db", target, *extra, env=env)


def small_plan(path, name: str, value: int):
    return canonical_workbook(
        path, plan={"計画名": name, "自治体": "テスト市", "開始年度": "令和3年度", "終了年度": "令和7年度"},
        items=[{"体系1": "基本目標1", "体系2": "施策1", "No.": "1", "取組名": f"{name}の取組", "担当課": "企画課●"}],
        indicators=[{"No.": "1", "指標名": "参加者数", "単位": "人", "基準値": 100, "基準年度": "R2",
                     "最終目標値": 200, "目標年度": "R7"}],
        values=[{"No.": "1", "指標名": "参加者数", "年度": "R5", "計画": 150, "実績": value}])


def test_every_cli_command_works_on_the_shared_store(shared_target, tmp_path):
    assert cli("init", target=shared_target).returncode == 0
    r = cli("import", str(NIIGATA), "--plan", NIIGATA_PLAN, target=shared_target)
    assert r.returncode == 0, r.stderr.decode()
    exported = rows(cli("export", "--machine", target=shared_target).stdout)
    assert {row["plan"] for row in exported} == {NIIGATA_PLAN} and len(exported) == 8
    history = cli("history", target=shared_target).stdout.decode()
    assert "niigata_kaikaku_no28.xlsx" in history
    upload_id = history.splitlines()[1].split("\t")[0]
    assert cli("undo", upload_id, target=shared_target).returncode == 0
    assert rows(cli("export", "--machine", target=shared_target).stdout) == []
    # The catalog lives in PostgreSQL and the table files in the data path, not in this process.
    assert any((tmp_path / "lake_files").rglob("*.parquet"))


def test_a_write_by_one_process_is_seen_by_another_at_once(shared_target):
    a, b = Store.open(shared_target), Store.open(shared_target)
    version = sql(b, "SELECT value FROM counters WHERE name = 'upload'")[0][0]
    commit(a, [prepare(a, NIIGATA, plan_name=NIIGATA_PLAN, today=TODAY)], "サーバーA")
    assert sql(b, "SELECT value FROM counters WHERE name = 'upload'")[0][0] == version + 1
    assert [p.name for p in b.plans()] == [NIIGATA_PLAN]
    assert export.build(b, "values", actor=LOCAL_ADMIN) == export.build(a, "values", actor=LOCAL_ADMIN)
    a.close()
    b.close()


def test_simultaneous_imports_from_two_processes_both_land(shared_target, tmp_path):
    """Each CLI run holds its transaction open for a second before COMMIT, so the two overlap for sure;
    the one refused as a conflict runs its write again and lands too."""
    assert cli("init", target=shared_target).returncode == 0
    files = [small_plan(tmp_path / f"{n}.xlsx", f"同時取込計画{n}", v) for n, v in (("A", 111), ("B", 222))]
    env = {"KPI_FAULT_PAUSE_BEFORE_COMMIT": "1.0"}
    procs = [subprocess.Popen([sys.executable, "-m", "kpi", "import", str(f), "--db", shared_target],
                              cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for f in files]
    outs = [p.communicate(timeout=180) for p in procs]
    for p, (_out, err) in zip(procs, outs):
        assert p.returncode == 0, err.decode()
    # Both really were open at the same moment: one of them had to start over.
    paused = sum(err.decode().count("KPI_FAULT: paused before COMMIT") for _out, err in outs)
    assert paused >= 3
    exported = {(r["plan"], r["actual"]) for r in rows(cli("export", "--machine", target=shared_target).stdout)}
    assert exported == {("同時取込計画A", "111"), ("同時取込計画B", "222")}
    ids = [r[0] for r in sql(Store.open(shared_target), "SELECT upload_id FROM uploads ORDER BY 1")]
    assert ids == [1, 2]


def test_a_lost_race_is_retried_and_told_plainly_when_it_keeps_losing(shared_target):
    a, b = Store.open(shared_target), Store.open(shared_target)
    cur = a.cursor()
    cur.execute("BEGIN TRANSACTION")
    cur.execute("UPDATE counters SET value = value + 1 WHERE name = 'upload'")
    sql(b, "SELECT 1")
    commit(b, [prepare(b, NIIGATA, plan_name=NIIGATA_PLAN, today=TODAY)], "サーバーB")  # lands first
    with pytest.raises(duckdb.TransactionException):
        cur.execute("COMMIT")
    # Store.transaction turns the refusal into a message for people; retrying() runs the write again.
    attempts = []

    def always_loses():
        attempts.append(1)
        with a.transaction() as tx:
            tx.execute("UPDATE counters SET value = value + 1 WHERE name = 'upload'")
            with b.transaction() as other:
                other.execute("UPDATE counters SET value = value + 1 WHERE name = 'upload'")
    with pytest.raises(StoreConflictError) as err:
        a.retrying(always_loses, attempts=3)
    assert len(attempts) == 3
    assert "もう一度" in err.value.hint and "何も書き込んでいません" in err.value.message


def _page_run(store: Store, steps) -> list:
    """One page run as Streamlit makes it: a script thread of its own that starts with the frame's
    pin_reads(); returns what each step gave."""
    out: list = []

    def run():
        store.pin_reads()
        out.extend(step() for step in steps)
    t = threading.Thread(target=run)
    t.start()
    t.join()
    return out


def test_a_page_run_reads_one_snapshot_and_the_next_run_sees_what_other_servers_wrote(shared_target, pg, tmp_path):
    """Issue 17: a page run on the shared store asks the catalog for its snapshot once, not per query."""
    a, b = Store.open(shared_target), Store.open(shared_target)
    seen = lambda: (a.data_version(), [p.name for p in a.plans()])  # noqa: E731
    land = lambda store, name: lambda: commit(store, [prepare(store, small_plan(  # noqa: E731
        tmp_path / f"{name}.xlsx", name, 120), today=TODAY)], "テスト")
    before, _b_wrote, during = _page_run(a, [seen, land(b, "計画B"), seen])
    assert before == during == (0, [])  # server B's upload lands mid-run: this run shows one version
    assert _page_run(a, [seen]) == [(1, ["計画B"])]  # the next run has it
    # This server's own write in a run is seen by the rest of that run (the upload page's result).
    _a_wrote, after = _page_run(a, [land(a, "計画A"), seen])
    assert after == (2, ["計画B", "計画A"])
    # A run's transaction ends with its thread: no catalog connection is left open in a transaction.
    r = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(pg.port), "-U", pg.user, "-d", "postgres", "-Atc",
                        "SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%'"],
                       capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "0", r.stderr
    a.close()
    b.close()


def test_history_and_undo_across_processes(shared_target, tmp_path):
    a, b = Store.open(shared_target), Store.open(shared_target)
    first = commit(a, [prepare(a, small_plan(tmp_path / "v1.xlsx", "履歴計画", 120), today=TODAY)], "サーバーA")
    second = commit(a, [prepare(a, small_plan(tmp_path / "v2.xlsx", "履歴計画", 130), today=TODAY)], "サーバーA")
    assert [u.upload_id for u in b.uploads()][:2] == [second[0].upload_id, first[0].upload_id]
    from kpi.access.permissions import Actor
    from kpi.intake import history
    history.undo(b, second[0].upload_id, Actor("サーバーB 管理者", "admin"))
    actual = sql(a, "SELECT value FROM indicator_values WHERE kind = 'actual'")
    assert actual == [(120.0,)]


def test_copy_store_moves_an_embedded_file_with_its_history(shared_target, demo_copy, tmp_path):
    r = cli("copy-store", str(demo_copy), "--to", shared_target, target=shared_target)
    assert r.returncode == 0, r.stderr.decode()
    for what in ("values", "evaluations", "indicators", "items", "statuses", "narratives", "schedules", "notes"):
        shared = cli("export", "--machine", "--what", what, target=shared_target).stdout
        embedded = cli("export", "--machine", "--what", what, target=str(demo_copy)).stdout
        assert shared == embedded, what
    assert cli("history", target=shared_target).stdout == cli("history", target=str(demo_copy)).stdout
    # The history came along: an upload made before the move can be undone after it.
    last = Store.open(demo_copy).uploads()[0]
    assert cli("undo", str(last.upload_id), target=shared_target).returncode == 0
    assert last.plan_name not in {p.name for p in Store.open(shared_target).plans()}
    # A second move into a store that now has data is refused and changes nothing.
    before = cli("export", "--machine", target=shared_target).stdout
    again = cli("copy-store", str(demo_copy), "--to", shared_target, target=shared_target)
    assert again.returncode == 1 and "もうデータがあります" in again.stderr.decode()
    assert cli("export", "--machine", target=shared_target).stdout == before


def test_servers_starting_together_create_one_catalog(pg, tmp_path):
    """Several processes opening a new, empty catalog at the same moment: one creates it, none fails."""
    target = pg.create_database("kpi_race")
    results: list = []

    def open_it():
        try:
            s = Store.open(target, data_path=str(tmp_path / "files"))
            results.append(sorted(sql(s, "SELECT name, value FROM counters")))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results.append(exc)
    threads = [threading.Thread(target=open_it) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [[("plan", 0), ("upload", 0)]] * 3


def test_a_new_catalog_needs_a_data_path_an_old_one_keeps_its_own(pg, tmp_path, monkeypatch):
    monkeypatch.delenv("KPI_DATA_PATH", raising=False)
    target = pg.create_database("kpi_paths")
    with pytest.raises(StoreError) as err:
        Store.open(target)  # a new catalog: where its files go must be said
    assert "データフォルダの指定が必要" in err.value.message and "KPI_DATA_PATH" in err.value.hint
    Store.open(target, data_path=str(tmp_path / "shared")).close()
    assert Store.open(target).plans() == []  # no data path given: the catalog's own is used
    with pytest.raises(StoreError) as err:
        Store.open(target, data_path=str(tmp_path / "elsewhere"))
    assert "作成時" in err.value.message


def test_a_store_whose_server_stops_says_so_and_recovers_when_it_returns(tmp_path):
    cluster = PgCluster().init().start()
    try:
        target = cluster.create_database("kpi")
        store = Store.open(target, data_path=str(tmp_path / "files"))
        commit(store, [prepare(store, NIIGATA, plan_name=NIIGATA_PLAN, today=TODAY)], "テスト")
        cluster.stop()
        for _ in range(2):  # the first query finds the connection closed, the next cannot connect
            with pytest.raises(StoreUnavailable) as err:
                store.plans()
            assert err.value.title == "データベースに接続できません"
            assert "PostgreSQL" in err.value.message and "もう一度試す" in err.value.hint
        cluster.start()
        assert [p.name for p in store.plans()] == [NIIGATA_PLAN]  # the same Store, no restart
    finally:
        cluster.remove()


def test_a_server_that_cannot_be_reached_at_start_is_a_message_not_a_traceback(tmp_path):
    r = cli("history", target="ducklake:postgres:dbname=kpi host=127.0.0.1 port=1 user=kpi password=hidden1",
            data_path=str(tmp_path))
    err = r.stderr.decode()
    assert r.returncode == 1 and "Traceback" not in err
    assert "接続できません" in err and "KPI_DB" in err
    assert "hidden1" not in err  # a password in the connection string is never shown


def test_the_embedded_file_never_loads_the_postgres_extension(tmp_path):
    """The default works on a machine without PostgreSQL: a file store loads neither extension."""
    store = Store.open(tmp_path / "kpi.duckdb")
    loaded = {r[0] for r in sql(store, "SELECT extension_name FROM duckdb_extensions() WHERE loaded")}
    assert not loaded & {"postgres_scanner", "ducklake"}
    assert not store.is_shared


def test_the_readme_backup_and_restore_recipe_brings_everything_back(pg, tmp_path):
    """pg_dump of the catalog plus a copy of the data folder, restored into a new database and folder."""
    import shutil
    target = pg.create_database("kpi_backup")
    files = tmp_path / "lake_files"
    store = Store.open(target, data_path=str(files))
    commit(store, [prepare(store, NIIGATA, plan_name=NIIGATA_PLAN, today=TODAY)], "テスト")
    before = {what: export.build(store, what, actor=LOCAL_ADMIN) for what in ("values", "indicators", "items")}
    uploads = store.uploads()
    store.close()
    pg_args = ["-h", "127.0.0.1", "-p", str(pg.port), "-U", pg.user]
    dump = tmp_path / "kpi.dump"
    subprocess.run([str(pg.bin / "pg_dump"), *pg_args, "-Fc", "-f", str(dump), "kpi_backup"], check=True, timeout=120)
    shutil.copytree(files, tmp_path / "backup_files")
    # Disaster: the database and the folder are gone. Restore both where they were.
    subprocess.run([str(pg.bin / "dropdb"), *pg_args, "kpi_backup"], check=True, timeout=120)
    shutil.rmtree(files)
    subprocess.run([str(pg.bin / "createdb"), *pg_args, "kpi_backup"], check=True, timeout=120)
    subprocess.run([str(pg.bin / "pg_restore"), *pg_args, "-d", "kpi_backup", str(dump)], check=True, timeout=120)
    shutil.copytree(tmp_path / "backup_files", files)
    restored = Store.open(target)
    assert {what: export.build(restored, what, actor=LOCAL_ADMIN) for what in before} == before
    assert restored.uploads() == uploads


def test_maintain_merges_the_small_files_uploads_leave_and_keeps_every_value(shared_target, tmp_path):
    store = Store.open(shared_target)
    for n in range(6):  # six uploads, each adding files to the tables it touched
        commit(store, [prepare(store, small_plan(tmp_path / f"v{n}.xlsx", "整理計画", 100 + n), today=TODAY)],
               "テスト")
    before = export.build(store, "values", actor=LOCAL_ADMIN)
    files = store._data_files(store.cursor())
    r = cli("maintain", target=shared_target)
    assert r.returncode == 0, r.stderr.decode()
    assert store._data_files(store.cursor()) < files
    assert f"{files} 個 →" in r.stdout.decode()
    assert export.build(store, "values", actor=LOCAL_ADMIN) == before


def test_every_page_of_the_app_runs_on_the_shared_store(shared_target, demo_db, monkeypatch):
    """The same pages, unchanged, on the demo data moved into the shared store (AppTest)."""

    import streamlit as st
    from test_pages import open_page, text_of
    Store.open(shared_target).copy_from_file(demo_db)
    from ui.navigation import PAGES
    pages = [p.file for p in PAGES]
    assert len(pages) >= 15
    monkeypatch.setenv("KPI_DB", shared_target)
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        plan_id = {p.name: p.plan_id for p in Store.open(shared_target).plans()}[NIIGATA_PLAN]
        for page in pages:
            at = open_page(page, plan_id)
            assert at.title or at.header or at.subheader, page
        lagging = text_of(open_page("pages/lagging.py", plan_id))
        assert "No.28" in lagging and "上半期の進捗に遅れ" in lagging
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()


def test_extensions_come_from_the_installed_packages_with_downloads_off(shared_target):
    store = Store.open(shared_target)
    settings = dict(sql(store, "SELECT name, value FROM duckdb_settings() WHERE name IN "
                                "('autoinstall_known_extensions', 'autoload_known_extensions')"))
    assert settings == {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}
    loaded = dict(sql(store, "SELECT extension_name, install_path FROM duckdb_extensions() WHERE loaded "
                              "AND extension_name IN ('ducklake', 'postgres_scanner')"))
    assert set(loaded) == {"ducklake", "postgres_scanner"}
    assert all("site-packages/duckdb_ext/extensions" in path for path in loaded.values()), loaded
