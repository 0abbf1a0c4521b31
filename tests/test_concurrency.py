"""Two editors uploading at once: both land (or one is told to retry); nothing half-written, nothing lost.

The app serves every browser session from one Store (one DuckDB connection, a cursor per
thread), so two sessions writing at once are two threads on one Store — tested here directly,
and through the upload page with two AppTest sessions.
"""

from __future__ import annotations

import random
import threading
import time

import pytest
from conftest import ROOT, TODAY
from helpers import DEPT_PLAN, department_plan, sql
from streamlit.testing.v1 import AppTest

from kpi.access.permissions import Actor
from kpi.errors import StoreConflictError
from kpi.intake.pipeline import commit, prepare
from kpi.store.store import Store

ADMIN = Actor("管理者", "admin")
KYODO = Actor("協働 太郎", "editor", ("市民協働課",))
ZAISEI = Actor("財政 次郎", "editor", ("財政課",))


def values(store: Store) -> dict[tuple[str, int], float]:
    rows = sql(store, "SELECT item_no, fiscal_year, value FROM indicator_values WHERE kind = 'actual'")
    return {(r[0], r[1]): r[2] for r in rows}


def consistent(store: Store) -> None:
    """Nothing half-written: every upload has its change log, ids are unique and match the counter."""
    ups = store.uploads()
    ids = [u.upload_id for u in ups]
    assert len(ids) == len(set(ids))
    assert sql(store, "SELECT value FROM counters WHERE name = 'upload'")[0][0] == max(ids)
    for u in ups:
        if u.kind == "import":
            rows = [e for e in store.change_log(u.upload_id) if e["table"] != "plans"]
            assert len(rows) == u.n_insert + u.n_update
    logged = {r[0] for r in sql(store, "SELECT DISTINCT upload_id FROM change_log")}
    assert logged <= set(ids)


@pytest.fixture
def plan_store(store, tmp_path):
    commit(store, [prepare(store, department_plan(tmp_path / "plan.xlsx"), today=TODAY)], ADMIN)
    return store


def upload_with_retry(store, path, actor, outcomes, *, hold=None, tries=10):
    """What the upload page does, plus the person pressing 取り込む again, a moment later, when told to retry."""
    for attempt in range(tries):
        if attempt:
            time.sleep(random.uniform(0.01, 0.05) * attempt)
        prep = prepare(store, path, today=TODAY)
        try:
            commit(store, [prep], actor, check=hold)
        except StoreConflictError as exc:
            outcomes.append(("retry", actor.name, exc.hint))
            hold = None  # the second press does not wait for the other session any more
            continue
        except Exception as exc:  # noqa: BLE001 - reported by the test in the main thread
            outcomes.append(("error", actor.name, repr(exc)))
            return
        outcomes.append(("landed", actor.name, None))
        return
    outcomes.append(("gave up", actor.name, None))


def test_two_uploads_inside_one_moment_both_land_the_loser_written_again(plan_store, tmp_path):
    before = values(plan_store)
    a = department_plan(tmp_path / "a.xlsx", actual={(1, 2022): 101}, only=[1])
    b = department_plan(tmp_path / "b.xlsx", actual={(2, 2022): 202}, only=[2])
    # Both transactions are open at the same time: each waits for the other inside its transaction
    # (the first time only: the write that loses the race runs again by itself, Store.retrying).
    both_inside = threading.Barrier(2, timeout=30)
    checks: list[str] = []

    def hold(cs, pid):
        checks.append(threading.current_thread().name)
        if checks.count(threading.current_thread().name) == 1:
            both_inside.wait()
    outcomes: list[tuple] = []
    threads = [threading.Thread(target=upload_with_retry, args=(plan_store, p, who, outcomes),
                                kwargs={"hold": hold}, name=who.name)
               for p, who in ((a, KYODO), (b, ZAISEI))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(o[0] for o in outcomes) == ["landed", "landed"], outcomes  # nobody had to press again
    # the two overlapped: one transaction was refused at COMMIT and written again (on a loaded machine
    # its second try can meet the winner's checkpoint and be written a third time: still one upload each)
    assert len(checks) >= 3 and len(set(checks)) == 2
    after = values(plan_store)
    assert after == {**before, ("1", 2022): 101, ("2", 2022): 202}  # nothing lost
    assert len(plan_store.uploads()) == 3  # the refused attempt left no record
    consistent(plan_store)


@pytest.mark.parametrize("rounds", [12])
def test_many_concurrent_uploads_lose_nothing(plan_store, tmp_path, rounds):
    expected = values(plan_store)
    tally = {"landed": 0, "retry": 0}
    for r in range(rounds):
        fy = 2022  # every file carries all years of its item; each round changes the last one
        a = department_plan(tmp_path / f"a{r}.xlsx", actual={(1, fy): 1000 + r}, only=[1])
        b = department_plan(tmp_path / f"b{r}.xlsx", actual={(2, fy): 2000 + r}, only=[2])
        c = department_plan(tmp_path / f"c{r}.xlsx", actual={(3, fy): 3000 + r}, only=[3])  # shared item
        start = threading.Barrier(3, timeout=30)
        outcomes: list[tuple] = []

        def go(path, who):
            start.wait()
            upload_with_retry(plan_store, path, who, outcomes)

        threads = [threading.Thread(target=go, args=x) for x in ((a, KYODO), (b, ZAISEI), (c, ZAISEI))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert [o for o in outcomes if o[0] in ("error", "gave up")] == []
        assert sorted(o[1] for o in outcomes if o[0] == "landed") == sorted([KYODO.name, ZAISEI.name, ZAISEI.name])
        for o in outcomes:
            tally[o[0]] += 1
        expected.update({("1", fy): 1000 + r, ("2", fy): 2000 + r, ("3", fy): 3000 + r})
        assert values(plan_store) == expected, f"round {r}"
    consistent(plan_store)
    print(f"\n並行取込: {rounds} 回 × 3 人、取り込み成功 {tally['landed']} 件、再試行の案内 {tally['retry']} 件")


# ------------------------------------------------------------ the upload page
def upload_page(actor: Actor) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=120)
    at.session_state["actor"] = actor
    at.run()
    assert not at.exception, at.exception
    return at


def press_upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader[0].upload(name, data).run()
    assert not at.exception, at.exception
    for cb in at.checkbox:  # confirm warnings the page asks about
        cb.check()
    at.run()
    next(b for b in at.button if b.label == "取り込む").click()
    at.run()
    assert not at.exception, at.exception
    return at


def test_two_browser_sessions_upload_to_one_store(app_env, tmp_path):
    import shutil
    s = Store.open(app_env)
    commit(s, [prepare(s, department_plan(tmp_path / "plan.xlsx"), today=TODAY)], ADMIN)
    before = values(s)
    s.close()
    a = department_plan(tmp_path / "a.xlsx", actual={(1, 2022): 111}, only=[1]).read_bytes()
    b = department_plan(tmp_path / "b.xlsx", actual={(2, 2022): 222}, only=[2]).read_bytes()
    # Session A looks at its preview; session B uploads and commits meanwhile; then A commits.
    sa, sb = upload_page(KYODO), upload_page(ZAISEI)
    sa.file_uploader[0].upload("協働課.xlsx", a).run()
    press_upload(sb, "財政課.xlsx", b)
    assert "取り込みました" in sb.success[0].value
    for cb in sa.checkbox:
        cb.check()
    sa.run()
    next(x for x in sa.button if x.label == "取り込む").click()
    sa.run()
    assert not sa.exception, sa.exception
    assert "取り込みました" in sa.success[0].value
    s = Store.open(app_env)
    try:
        got = {k: v for k, v in values(s).items() if k in before}
        assert got == {**before, ("1", 2022): 111, ("2", 2022): 222}
        ups = [u for u in s.uploads() if u.plan_name == DEPT_PLAN]
        assert [(u.uploaded_by, u.file_name) for u in ups[:2]] == [(KYODO.name, "協働課.xlsx"),
                                                                  (ZAISEI.name, "財政課.xlsx")]
        consistent(s)
    finally:
        s.close()
    shutil.rmtree(tmp_path / "backups", ignore_errors=True)


def _logged_actual(store: Store, upload_id: int, item_no: str, fy: int) -> tuple:
    """(before, after) of the 実績 the change log records for an item's year in one upload."""
    for e in store.change_log(upload_id):
        if e["table"] == "indicator_values" and e["key"].get("item_no") == item_no \
                and e["key"].get("fiscal_year") == fy and e["key"].get("kind") == "actual":
            return ((e["old"] or {}).get("value"), (e["new"] or {}).get("value"))
    return (None, None)


def test_a_preview_left_open_while_someone_else_uploads_is_compared_again_at_commit(plan_store, tmp_path):
    """The preview's diff is written as shown when nothing changed since; when another upload landed
    meanwhile, the commit compares the file again with what is stored now (issue 17: the diff is
    reused only while the data version is the same)."""
    mine = prepare(plan_store, department_plan(tmp_path / "mine.xlsx", actual={(1, 2022): 111}, only=[1]),
                   today=TODAY)
    assert mine.changes.summary() == prepare(plan_store, tmp_path / "mine.xlsx", today=TODAY).changes.summary()
    # someone else's upload lands while this preview is open: the same value, now 222
    commit(plan_store, [prepare(plan_store, department_plan(tmp_path / "theirs.xlsx", actual={(1, 2022): 222},
                                                            only=[1]), today=TODAY)], ADMIN)
    (res,) = commit(plan_store, [mine], KYODO)
    assert values(plan_store)[("1", 2022)] == 111
    assert _logged_actual(plan_store, res.upload_id, "1", 2022) == (222, 111)  # against what was stored then
    consistent(plan_store)
    # nothing written since the preview: what the preview showed is what lands
    again = prepare(plan_store, department_plan(tmp_path / "again.xlsx", actual={(1, 2022): 333}, only=[1]),
                    today=TODAY)
    (res2,) = commit(plan_store, [again], KYODO)
    assert values(plan_store)[("1", 2022)] == 333
    assert _logged_actual(plan_store, res2.upload_id, "1", 2022) == (111, 333)
    assert len(again.changes.updates) == 1 and res2.changes is again.changes  # the preview's diff, not a second one
    from kpi.intake import history
    history.undo(plan_store, res2.upload_id, "管理者")  # the log written from the preview's diff undoes exactly
    assert values(plan_store)[("1", 2022)] == 111
    consistent(plan_store)
