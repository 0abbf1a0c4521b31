"""Who may do what: the role matrix, and every write path refusing what the actor may not write."""

from __future__ import annotations

import re

import pytest
from conftest import TODAY
from helpers import DEPT_PLAN, department_plan, sql

from kpi.access import auth
from kpi.access.permissions import (
    ACTION_LABELS,
    LOCAL_ADMIN,
    PUBLIC_VISITOR,
    Actor,
    apply_as,
    decide,
    require,
    visible_plans,
)
from kpi.errors import PermissionDenied
from kpi.intake import backup
from kpi.intake.pipeline import commit, prepare
from kpi.outputs import export
from kpi.store.journal import Batch

VIEWER = Actor("閲覧 花子", "viewer")
KYODO = Actor("協働 太郎", "editor", ("市民協働課",))
ZAISEI = Actor("財政 次郎", "editor", ("財政課",))
NODEPT = Actor("所属なし", "editor", ())
ADMIN = Actor("管理 三郎", "admin")

A, D = True, False  # allowed, denied
# role × action → allowed. departments: the target item's departments (None = the action in general).
MATRIX = [
    # action      departments     owner        public  viewer  editor(協働) admin  visitor
    ("read",      None,           None,        True,   A,      A,          A,     A),
    ("read",      None,           None,        False,  A,      A,          A,     D),
    ("import",    None,           None,        None,   D,      A,          A,     D),
    ("import",    ("市民協働課",),  None,        None,   D,      A,          A,     D),
    ("import",    ("財政課",),      None,        None,   D,      D,          A,     D),
    ("import",    ("市民協働課", "財政課"), None, None,   D,      A,          A,     D),
    ("edit",      ("財政課",),      None,        None,   D,      D,          A,     D),
    ("edit",      ("市民協働課",),  None,        None,   D,      A,          A,     D),
    ("opinion",   ("市民協働課",),  None,        None,   D,      A,          A,     D),
    ("opinion",   ("財政課",),      None,        None,   D,      D,          A,     D),
    ("undo",      None,           "協働 太郎",  None,   D,      A,          A,     D),
    ("undo",      None,           "財政 次郎",  None,   D,      D,          A,     D),
    ("settings",  None,           None,        None,   D,      D,          A,     D),
    ("public",    None,           None,        None,   D,      D,          A,     D),
    ("plan",      None,           None,        None,   D,      D,          A,     D),
    ("users",     None,           None,        None,   D,      D,          A,     D),
    ("backup",    None,           None,        None,   D,      D,          A,     D),
    ("cycle",     None,           None,        None,   D,      D,          A,     D),  # issue 20: the 推進課's steps
]


CASES = [pytest.param(actor, action, departments, owner, public, allowed,
                      id=f"{role}-{action}-{'・'.join(departments or ()) or owner or public}")
         for action, departments, owner, public, *expected in MATRIX
         for (role, actor), allowed in zip((("viewer", VIEWER), ("editor", KYODO), ("admin", ADMIN),
                                            ("visitor", PUBLIC_VISITOR)), expected)]


@pytest.mark.parametrize("actor, action, departments, owner, public, allowed", CASES)
def test_role_matrix(actor, action, departments, owner, public, allowed):
    d = decide(actor, action, departments=departments, owner=owner, plan_public=public)
    assert d.allowed is allowed, d.reason
    assert d.reason  # every answer explains itself
    if allowed:
        require(actor, action, departments=departments, owner=owner, plan_public=public)
    else:
        with pytest.raises(PermissionDenied) as exc:
            require(actor, action, departments=departments, owner=owner, plan_public=public)
        assert exc.value.message == d.reason


def test_matrix_covers_every_action():
    assert {row[0] for row in MATRIX} == set(ACTION_LABELS)


def test_reasons_say_why_in_japanese():
    assert "財政課" in decide(KYODO, "import", departments=("財政課",)).reason
    assert "市民協働課" in decide(KYODO, "import", departments=("財政課",)).reason
    assert "管理者だけ" in decide(KYODO, "settings").reason
    assert "サインイン" in decide(PUBLIC_VISITOR, "import").reason
    assert "所属課" in decide(NODEPT, "import").reason and not decide(NODEPT, "import").allowed
    with pytest.raises(ValueError):
        decide(ADMIN, "delete_everything")


def test_public_visitor_sees_only_public_plans():
    class P:
        def __init__(self, name, public):
            self.name, self.public = name, public
    plans = [P("公開", True), P("非公開", False)]
    assert [p.name for p in visible_plans(PUBLIC_VISITOR, plans)] == ["公開"]
    assert [p.name for p in visible_plans(VIEWER, plans)] == ["公開", "非公開"]


# ----------------------------------------------------------- the import path
def snapshot(store):
    return tuple(export.to_csv(export.build(store, w, today=TODAY, actor=LOCAL_ADMIN)) for w in ("values", "evaluations", "indicators"))


@pytest.fixture
def dept_store(store, tmp_path):
    prep = prepare(store, department_plan(tmp_path / "plan.xlsx"), today=TODAY)
    assert not prep.errors, prep.errors
    commit(store, [prep], ADMIN)
    return store


def actual(store, item_no: str, fy: int):
    rows = sql(store, "SELECT value FROM indicator_values WHERE item_no = ? AND fiscal_year = ? AND kind = 'actual'",
                       [item_no, fy])
    return rows[0][0] if rows else None


def test_editor_cannot_import_another_departments_item(dept_store, tmp_path):
    before = snapshot(dept_store)
    # 協働's file also touches item 2 (財政課's): the whole file is refused, nothing is written.
    f = department_plan(tmp_path / "both.xlsx", actual={(1, 2022): 99, (2, 2022): 77})
    prep = prepare(dept_store, f, today=TODAY)
    assert len(prep.changes.updates) == 2
    with pytest.raises(PermissionDenied) as exc:
        commit(dept_store, [prep], KYODO)
    assert "No.2" in exc.value.message and "No.1" not in exc.value.message
    assert snapshot(dept_store) == before
    assert [u.uploaded_by for u in dept_store.uploads()] == [ADMIN.name]
    # Only their own item (and the shared item 3): it lands, recorded under their name.
    own = department_plan(tmp_path / "own.xlsx", actual={(1, 2022): 99, (3, 2022): 55})
    (res,) = commit(dept_store, [prepare(dept_store, own, today=TODAY)], KYODO)
    assert (actual(dept_store, "1", 2022), actual(dept_store, "3", 2022)) == (99, 55)
    assert dept_store.uploads()[0].uploaded_by == KYODO.name
    # And 財政課 may change the shared item 3 too, but not item 1.
    zai = department_plan(tmp_path / "zai.xlsx", actual={(1, 2022): 99, (3, 2022): 56})
    (res,) = commit(dept_store, [prepare(dept_store, zai, today=TODAY)], ZAISEI)
    assert actual(dept_store, "3", 2022) == 56
    with pytest.raises(PermissionDenied):
        commit(dept_store, [prepare(dept_store, department_plan(tmp_path / "z2.xlsx", actual={(1, 2022): 1}),
                                    today=TODAY)], ZAISEI)
    assert actual(dept_store, "1", 2022) == 99


def test_viewer_cannot_import_and_no_backup_is_taken(dept_store, tmp_path):
    before = snapshot(dept_store)
    prep = prepare(dept_store, department_plan(tmp_path / "v.xlsx", actual={(1, 2022): 5}), today=TODAY)
    for who in (VIEWER, PUBLIC_VISITOR):
        with pytest.raises(PermissionDenied):
            commit(dept_store, [prep], who)
    assert snapshot(dept_store) == before
    assert backup.list_backups(dept_store) == []


def test_editor_cannot_add_items_or_change_the_plan(dept_store, tmp_path):
    before = snapshot(dept_store)
    bigger = department_plan(tmp_path / "more.xlsx", n_items=4)  # item 4 is new
    with pytest.raises(PermissionDenied):
        commit(dept_store, [prepare(dept_store, bigger, today=TODAY)], KYODO)
    renamed = department_plan(tmp_path / "renamed.xlsx", municipality="協働テスト町")  # a plan setting
    with pytest.raises(PermissionDenied) as exc:
        commit(dept_store, [prepare(dept_store, renamed, today=TODAY)], KYODO)
    assert "管理者" in exc.value.message
    assert snapshot(dept_store) == before


# ------------------------------------------------------ the other write paths
def test_settings_batches_go_through_the_same_check(dept_store):
    plan = dept_store.plan_by_name(DEPT_PLAN)
    rule = Batch(plan_name=DEPT_PLAN, plan={"description": "評価基準を変更"})
    for who in (VIEWER, KYODO):
        with pytest.raises(PermissionDenied):
            apply_as(dept_store, who, rule, kind="settings")
    assert dept_store.plan(plan.plan_id).description == ""
    res = apply_as(dept_store, ADMIN, rule, kind="settings", note="説明の変更")
    assert dept_store.plan(plan.plan_id).description == "評価基準を変更"
    up = dept_store.uploads()[0]
    assert (up.upload_id, up.kind, up.uploaded_by) == (res.upload_id, "settings", ADMIN.name)


def test_form_edits_are_checked_per_item(dept_store):
    edit = Batch(plan_name=DEPT_PLAN)
    edit.add("indicator_values", item_no="2", indicator="指標2", fiscal_year=2022, kind="actual", value=1.0)
    with pytest.raises(PermissionDenied):
        apply_as(dept_store, KYODO, edit, kind="edit")
    assert actual(dept_store, "2", 2022) == 39
    apply_as(dept_store, ZAISEI, edit, kind="edit")
    assert actual(dept_store, "2", 2022) == 1
    assert dept_store.uploads()[0].uploaded_by == ZAISEI.name


def test_undo_rule_needs_the_owner(dept_store):
    # Undo itself is engineer B's; the rule it calls is here: editors undo only their own uploads.
    up = dept_store.uploads()[0]
    with pytest.raises(PermissionDenied):
        require(KYODO, "undo", owner=up.uploaded_by)
    require(ADMIN, "undo", owner=up.uploaded_by)


def test_public_switch_is_admin_only_and_recorded(dept_store):
    plan = dept_store.plan_by_name(DEPT_PLAN)
    with pytest.raises(PermissionDenied):
        auth.set_public(dept_store, KYODO, {plan.plan_id: True})
    assert dept_store.plan(plan.plan_id).public is False
    (res,) = auth.set_public(dept_store, ADMIN, {plan.plan_id: True})
    assert dept_store.plan(plan.plan_id).public is True
    assert dept_store.uploads()[0].uploaded_by == ADMIN.name and dept_store.uploads()[0].kind == "settings"
    assert auth.set_public(dept_store, ADMIN, {plan.plan_id: True}) == []  # no change, nothing recorded


def test_user_management_is_admin_only(store):
    for who in (VIEWER, KYODO, PUBLIC_VISITOR):
        with pytest.raises(PermissionDenied):
            auth.add_user(store, who, "誰か", "admin", password="password-123")
    assert auth.list_users(store) == []
    auth.add_user(store, LOCAL_ADMIN, "kanri", "admin", password="password-123")
    with pytest.raises(PermissionDenied):
        auth.update_user(store, KYODO, "kanri", role="viewer")
    assert auth.get_user(store, "kanri").role == "admin"


def test_restore_is_admin_only(dept_store, tmp_path):
    with pytest.raises(PermissionDenied):
        backup.restore(dept_store, tmp_path / "x.duckdb", KYODO)


# ------------------------------------------------------- through the upload page
def test_signed_in_editor_is_refused_on_the_upload_page(app_env, tmp_path):
    from conftest import NIIGATA, NIIGATA_PLAN, ROOT
    from helpers import edited_copy
    from streamlit.testing.v1 import AppTest

    from kpi.store.store import Store
    fixed = edited_copy(NIIGATA, tmp_path / "fixed.xlsx", {("No.28(H27-28)", "G14"): "49"}).read_bytes()

    def upload_as(actor):
        at = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=120)
        at.session_state["actor"] = actor
        at.run()
        at.selectbox(key="upload_plan").set_value(NIIGATA_PLAN).run()
        at.file_uploader[0].upload("No28修正.xlsx", fixed).run()
        for cb in at.checkbox:
            cb.check()
        at.run()
        next(b for b in at.button if b.label == "取り込む").click()
        at.run()
        assert not at.exception, at.exception
        return at

    def stored():
        s = Store.open(app_env)
        try:
            return (sql(s, "SELECT value FROM indicator_values WHERE indicator = 'まちづくりセンター数' "
                            "AND fiscal_year = 2016 AND kind = 'actual'"), [u.uploaded_by for u in s.uploads()])
        finally:
            s.close()

    def shown(text: str) -> str:  # what the reader sees: Markdown escapes removed
        return re.sub(r"\\(.)", r"\1", text)

    before = stored()
    at = upload_as(ZAISEI)  # 財政課: No.28 belongs to 中央公民館
    assert "権限がありません" in at.error[0].value and "No.28 は財政課の担当ではない" in shown(at.error[0].value)
    assert stored() == before
    at = upload_as(VIEWER)
    assert "閲覧のみ" in at.error[0].value
    assert stored() == before
    at = upload_as(Actor("公民館 担当", "editor", ("中央公民館",)))
    assert "取り込みました" in at.success[0].value
    values, uploaders = stored()
    assert values == [(49.0,)] and uploaders[0] == "公民館 担当"
