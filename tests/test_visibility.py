"""The public view shows public plans only, in every output: every download the app offers, for a
visitor without sign-in, a viewer and an editor (issue 14, item 8).

The pages are run in AppTest and each download button's file is made the way the server makes it
on a click (the button's deferred callable), then searched for the names of plans the person may
not read. The same rule is checked at the kpi level for every export table and scope.
"""

from __future__ import annotations

import html
import io
import re
import zipfile

import pytest
from conftest import NIIGATA_PLAN, ROOT, TODAY
from streamlit.testing.v1 import AppTest

from kpi.access import auth
from kpi.access.permissions import LOCAL_ADMIN, PUBLIC_VISITOR, Actor, no_plan_message, readable_plan, upload_hint
from kpi.errors import NotFound, PermissionDenied
from kpi.outputs import export
from kpi.store.store import Store

PW = "correct-horse-42"
VIEWER = Actor("yamada", "viewer")
EDITOR = Actor("tanaka", "editor", ("中央公民館",))
# The demo plans besides Niigata's stay private; their names and one of their indicators must
# never reach a visitor (the indicator is in the 小平 plan's 指標 export).
PRIVATE = ("小平市第3次行財政再構築プラン", "小平市まち・ひと・しごと創生総合戦略", "富里市協働のまちづくり推進計画",
           "小平市協働の推進に関する指針")


@pytest.fixture
def shared_demo(app_env):
    """The demo database with sign-in on (an administrator, an editor, a viewer) and only
    Niigata's plan public."""
    s = Store.open(app_env)
    try:
        auth.add_user(s, LOCAL_ADMIN, "kanri", "admin", password=PW)
        auth.add_user(s, LOCAL_ADMIN, "tanaka", "editor", ["中央公民館"], password=PW)
        auth.add_user(s, LOCAL_ADMIN, "yamada", "viewer", password=PW)
        plans = {p.name: p.plan_id for p in s.plans()}
        auth.set_public(s, LOCAL_ADMIN, {plans[NIIGATA_PLAN]: True})
    finally:
        s.close()
    assert set(PRIVATE) <= set(plans)
    _PATHS[id(plans)] = app_env
    return plans


_PATHS: dict[int, object] = {}


def shared_demo_path(plans):
    return _PATHS[id(plans)]


# ------------------------------------------------------------------ kpi level
@pytest.fixture(scope="module")
def public_store(tmp_path_factory):
    import shutil

    from conftest import _demo_db
    db = tmp_path_factory.mktemp("visibility") / "kpi.duckdb"
    shutil.copy(_demo_db(tmp_path_factory), db)
    store = Store.open(db)
    plans = {p.name: p.plan_id for p in store.plans()}
    auth.set_public(store, LOCAL_ADMIN, {plans[NIIGATA_PLAN]: True})
    yield store
    store.close()


@pytest.mark.parametrize("what", list(export.COLUMNS))
@pytest.mark.parametrize("actor, sees_private", [(PUBLIC_VISITOR, False), (VIEWER, True), (EDITOR, True)],
                         ids=["visitor", "viewer", "editor"])
def test_every_export_holds_only_the_plans_the_actor_may_read(public_store, what, actor, sees_private):
    everything = {r[0] for r in export.build(public_store, what, today=TODAY, actor=LOCAL_ADMIN).rows}
    for plan in (None, NIIGATA_PLAN, *PRIVATE):
        if plan in PRIVATE and not sees_private:
            # A plan hidden from the actor is answered like one that does not exist (item 2: an
            # unknown plan is an error, never an empty table), and no hidden name is offered.
            for call in (lambda: export.build(public_store, what, plan, today=TODAY, actor=actor),
                         lambda: export.write(public_store, what, "csv", None, plan, today=TODAY, actor=actor)):
                with pytest.raises(NotFound) as refused:
                    call()
                said = f"{refused.value.message} {refused.value.hint}"
                assert said.startswith(f"計画「{plan}」はありません"), said
                assert not [n for n in PRIVATE if n in said.replace(f"計画「{plan}」", "")], said
            continue
        table = export.build(public_store, what, plan, today=TODAY, actor=actor)
        names = {r[0] for r in table.rows}
        if sees_private:
            assert names == ({n for n in everything if n == plan} if plan else everything), (what, plan)
        else:
            assert names <= {NIIGATA_PLAN}, (what, plan, names)
            for fmt in ("csv", "xlsx"):
                data = export.write(public_store, what, fmt, None, plan, today=TODAY, actor=actor)
                leaked = [n for n in PRIVATE if n in text_of_file(data)]
                assert not leaked, (what, plan, fmt, leaked)


def test_export_cannot_be_called_without_a_visibility_decision(public_store):
    with pytest.raises(TypeError):
        export.build(public_store, "values")  # the actor is a required keyword
    with pytest.raises(TypeError):
        export.write(public_store, "values", "csv", None)


def test_the_visitor_is_refused_a_private_plan_by_id_with_the_same_words_as_a_missing_one(public_store):
    plans = public_store.plans()
    private = next(p for p in plans if p.name == PRIVATE[0])
    with pytest.raises(PermissionDenied) as hidden:
        readable_plan(PUBLIC_VISITOR, plans, private.plan_id)
    with pytest.raises(PermissionDenied) as missing:
        readable_plan(PUBLIC_VISITOR, plans, 99999)
    assert hidden.value.message == missing.value.message and PRIVATE[0] not in hidden.value.message
    assert readable_plan(VIEWER, plans, private.plan_id) == private


@pytest.mark.parametrize("actor, any_plan, expected", [
    (LOCAL_ADMIN, False, "計画がまだ登録されていません。「データ取込」からExcelを取り込んでください。"),
    (EDITOR, False, "計画がまだ登録されていません。「データ取込」からExcelを取り込んでください。"),
    (VIEWER, False, "計画がまだ登録されていません。取り込みは担当課（入力）または管理者が行います。"
                    "必要な場合は管理者に依頼してください。"),
    (Actor("所属なし", "editor"), False, "計画がまだ登録されていません。取り込みは担当課（入力）または管理者が行います。"
                                       "必要な場合は管理者に依頼してください。"),
    (PUBLIC_VISITOR, False, "公開されている計画はありません。ほかの計画を見るにはサインインしてください。"),
    (PUBLIC_VISITOR, True, "公開されている計画はありません。ほかの計画を見るにはサインインしてください。"),
    (VIEWER, True, "表示できる計画がありません。"),
])
def test_no_plan_messages_send_only_those_who_can_upload_to_the_upload_page(actor, any_plan, expected):
    assert no_plan_message(actor, any_plan=any_plan) == expected
    assert ("データ取込" in upload_hint(actor)) == (actor in (LOCAL_ADMIN, EDITOR))


# ------------------------------------------------------- through the pages
def text_of_file(data: bytes) -> str:
    """The text a person would find in a downloaded file: CSV as is, the XML of every part of an
    Office file (xlsx, pptx), the extracted text of a PDF."""
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            # openpyxl writes non-ASCII text as character references (&#26032;…): decoded here, or a
            # search for a plan's name would find nothing in any workbook.
            return html.unescape("".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()
                                         if n.endswith(".xml")))
    if data.startswith(b"%PDF"):
        from pypdf import PdfReader
        return "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
    return data.decode("utf-8-sig")


@pytest.fixture
def downloads(monkeypatch):
    """Every file the download buttons of the last AppTest run would hand out, made as a click makes
    it: the button's callable run by streamlit's media file manager (or the stored file of an eager
    button)."""
    import streamlit.testing.v1.app_test as app_test
    from streamlit.runtime.media_file_manager import MediaFileManager

    managers: list[MediaFileManager] = []

    class Recording(MediaFileManager):
        def __init__(self, storage):
            super().__init__(storage)
            managers.append(self)

    monkeypatch.setattr(app_test, "MediaFileManager", Recording)

    def files(at: AppTest) -> dict[str, bytes]:
        mgr = managers[-1]
        out = {}
        for b in at.get("download_button"):
            proto = b.proto
            url = mgr.execute_deferred(proto.deferred_file_id) if proto.deferred_file_id else proto.url
            out[f"{proto.label}"] = mgr._storage.get_file(url.rsplit("/", 1)[1]).content
        assert out, "no download button on the page"
        return out

    return files


def run_page(page: str, session: dict, *, alone: bool = True, **widgets) -> AppTest:
    """A page with this session (who is signed in) and these widget values. alone: the page file
    by itself, as a new browser session opening its URL runs it, with whatever plan id the session
    holds; otherwise through app.py's router and sidebar."""
    at = AppTest.from_file(str(ROOT / ("pages/" f"{page}.py" if alone else "app.py")), default_timeout=180)
    for k, v in {**session, **widgets}.items():
        at.session_state[k] = v
    if not alone:
        at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    return at


SESSIONS = {
    "visitor": ({"_auth_public": True}, False),
    "viewer": ({"_auth_user": "yamada"}, True),
    "editor": ({"_auth_user": "tanaka"}, True),
}
EXPORT_CHOICES = [(what, fmt, scope) for what in ("values", "evaluations", "indicators") for fmt in ("csv", "xlsx")
                  for scope in ("plan", "all")]


@pytest.mark.parametrize("who", list(SESSIONS))
def test_every_download_on_the_downloads_page(shared_demo, downloads, who):
    session, sees_private = SESSIONS[who]
    niigata = shared_demo[NIIGATA_PLAN]
    texts: dict[tuple, str] = {}
    for what, fmt, scope in EXPORT_CHOICES:
        at = run_page("downloads", session, plan_id=niigata, dl_what=what, dl_fmt=fmt, dl_scope=scope)
        assert at.session_state["actor"].public_only is (who == "visitor")
        for label, data in downloads(at).items():
            texts[(what, fmt, scope, label)] = text_of_file(data)
        page_text = " ".join(str(e.value) for e in [*at.caption, *at.info, *at.markdown])
        # Only someone who may upload is told to use 「データ取込」 for the filled-in sheet.
        assert ("「データ取込」から" in page_text) is (who == "editor"), page_text
    assert len(texts) == len(EXPORT_CHOICES) * 3  # the department sheet, the template and the export
    for key, text in texts.items():
        leaked = [n for n in PRIVATE if n in text]
        if not sees_private:
            assert not leaked, (key, leaked)
    s = Store.open(shared_demo_path(shared_demo))
    try:  # what 「すべての計画」 holds for someone who may read every plan
        every = {what: {r[0] for r in export.build(s, what, today=TODAY, actor=LOCAL_ADMIN).rows}
                 for what in ("values", "evaluations", "indicators")}
    finally:
        s.close()
    assert PRIVATE[0] in every["indicators"]  # the case: a private plan's indicators and targets
    for (what, fmt, scope, label), text in texts.items():
        if scope == "all" and "書き出す" in label:
            shown = {n for n in every[what] if n in text}
            assert shown == (every[what] if sees_private else {NIIGATA_PLAN}), (what, fmt, shown)


@pytest.mark.parametrize("who", list(SESSIONS))
def test_the_visitor_cannot_reach_a_private_plan_through_the_session(shared_demo, downloads, who):
    # A plan id that is not public, however it got into the session: the page refuses the plan and
    # 「すべての計画」 still holds only what this person may read.
    session, sees_private = SESSIONS[who]
    private = shared_demo[PRIVATE[0]]
    at = run_page("downloads", session, plan_id=private, dl_what="indicators", dl_fmt="csv", dl_scope="all")
    files = downloads(at)
    export_csv = text_of_file(next(v for k, v in files.items() if "書き出す" in k))
    assert (PRIVATE[0] in export_csv) is sees_private
    if not sees_private:
        assert "公開されている計画はありません" in " ".join(i.value for i in at.info)
        assert not any("記入用シート" in k for k in files)  # no sheet of a plan the visitor cannot see
        for page in ("pack", "meeting", "opinions", "home", "lagging"):
            other = run_page(page, session, plan_id=private)
            shown = " ".join(str(e.value) for e in other.main.children.values() if hasattr(e, "value"))
            assert PRIVATE[0] not in shown and "公開されている計画はありません" in shown, page


PAGES_WITH_TABLES = ["home", "lagging", "departments", "hierarchy", "qualitative", "plan", "item_detail"]


@pytest.mark.parametrize("who", ["visitor", "viewer"])
def test_pack_and_every_table_download_of_the_public_plan(shared_demo, downloads, who):
    session, _sees_private = SESSIONS[who]
    niigata = shared_demo[NIIGATA_PLAN]
    at = run_page("pack", session, plan_id=niigata, alone=False)
    files = downloads(at)
    assert {re.sub(r"を.*", "", k) for k in files} == {"PowerPoint", "PDF", "Excel（表）"}
    for label, data in files.items():
        text = text_of_file(data)
        assert "まちづくりセンター" in text, label  # the plan's own indicator is in the file
        assert not [n for n in PRIVATE if n in text], label
    for page in PAGES_WITH_TABLES:
        at = run_page(page, session, plan_id=niigata, alone=False)
        for label, data in (downloads(at).items() if at.get("download_button") else ()):
            assert not [n for n in PRIVATE if n in text_of_file(data)], (page, label)
