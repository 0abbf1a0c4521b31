"""The frame and Streamlit: the pages/ folder served by Streamlit itself, the menu the frame draws
for each person, and the frame's promises (public API only, no global cache clears from pages, one
sign-in gate per rerun)."""

from __future__ import annotations

import ast
import re
import tomllib

import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from kpi.access import auth
from kpi.access.permissions import LOCAL_ADMIN, PUBLIC_VISITOR, Actor
from kpi.store.store import Store
from ui import navigation

PW = "correct-horse-42"
EDITOR = Actor("tanaka", "editor", ("中央公民館",))
VIEWER = Actor("suzuki", "viewer")
ADMIN_ONLY = {"ユーザー"}
SIGNED_IN_ONLY = {"データ取込", "取込履歴", "照会と提出", "評価ルール"}
EVERY_TITLE = {p.title for p in navigation.PAGES}


def test_every_page_file_is_in_the_menu_and_every_menu_entry_has_its_file():
    files = {p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py")}
    assert files == {p.file for p in navigation.PAGES}


def test_streamlits_own_page_list_is_off():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showSidebarNavigation"] is False


def test_no_page_uses_magic_so_it_can_stay_off():
    """Magic is off (.streamlit/config.toml): a bare expression in a page would silently show nothing."""
    from streamlit.runtime.scriptrunner import magic
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["magicEnabled"] is False
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        tree = magic.add_magic(path.read_text(encoding="utf-8"), str(path))
        shown = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == magic.MAGIC_MODULE_NAME]
        assert not shown, f"{path.name}: lines {shown} would be written to the page by magic"


@pytest.mark.parametrize("actor, hidden", [
    (LOCAL_ADMIN, set()),
    (Actor("kanri", "admin"), set()),
    (EDITOR, ADMIN_ONLY),
    (VIEWER, ADMIN_ONLY),
    (PUBLIC_VISITOR, ADMIN_ONLY | SIGNED_IN_ONLY),
])
def test_the_menu_lists_what_the_role_may_open(actor, hidden):
    menu = navigation.menu_for(actor)
    titles = [p.title for pages in menu.values() for p in pages]
    assert set(titles) == EVERY_TITLE - hidden
    assert all(navigation.may_open(actor, navigation.entry(ROOT / p.file)) == (p.title not in hidden)
               for p in navigation.PAGES)
    assert list(menu) == [s for s in ("ダッシュボード", "データ", "会議", "設定") if s in menu]
    assert titles[0] == "ホーム"


def test_a_file_outside_the_menu_is_not_opened():
    assert navigation.entry(ROOT / "app.py") is None
    assert not navigation.may_open(LOCAL_ADMIN, navigation.entry(ROOT / "app.py"))


# Streamlit internals the frame once reached into (a private routing switch, and a check for
# AppTest's mock runtime); only public API now, so an upgrade cannot break the routing silently.
PRIVATE = re.compile(r"PagesManager|NonCallableMock|streamlit\.runtime|uses_pages_directory|st\.navigation\(")


def frame_sources():
    return [ROOT / "app.py", ROOT / "serve.py", *sorted((ROOT / "ui").glob("*.py")), *sorted((ROOT / "pages").glob("*.py"))]


def test_the_frame_uses_public_streamlit_api_only():
    found = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p in frame_sources()
             for m in PRIVATE.finditer(p.read_text(encoding="utf-8"))]
    assert found == []


def test_no_page_clears_every_sessions_cache():
    # Caches are keyed by the data version, which every write bumps: a clear from a page would
    # only throw away every other session's work.
    found = [p.name for p in sorted((ROOT / "pages").glob("*.py"))
             if re.search(r"cache_(data|resource)\.clear\(", p.read_text(encoding="utf-8"))]
    assert found == []


# ---------------------------------------------------------- one sign-in gate per rerun
@pytest.fixture
def signed_in_env(app_env, monkeypatch):
    """A demo database with users (so sign-in is on), and counters of the gate's decisions."""
    s = Store.open(app_env)
    try:
        auth.add_user(s, LOCAL_ADMIN, "kanri", "admin", password=PW)
    finally:
        s.close()
    from ui import sign_in
    calls = {"gate": 0, "actor_for": 0}

    def counted(module, name, key):
        real = getattr(module, name)

        def wrapper(*args, **kwargs):
            calls[key] += 1
            return real(*args, **kwargs)
        monkeypatch.setattr(module, name, wrapper)
    counted(sign_in, "gate", "gate")  # the gate itself
    counted(auth, "actor_for", "actor_for")  # the gate's work: who the signed-in user is now (role, disabled)
    return calls


@pytest.mark.parametrize("page", ["/", *(p.file for p in navigation.PAGES)])
def test_the_sign_in_gate_runs_once_per_rerun(signed_in_env, page):
    # "/" is app.py, the entry page (ホーム); each other page is its file, opened as by its URL.
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["_auth_user"] = "kanri"  # signed in with a password earlier in this session
    if page != "/":
        at.switch_page(page)
    for _ in range(2):  # the first run of the page, and a rerun of it (as a click makes)
        for k in signed_in_env:
            signed_in_env[k] = 0
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        assert any("kanri（管理者）" in c.value for c in at.sidebar.caption), page  # the page ran, signed in
        assert signed_in_env == {"gate": 1, "actor_for": 1}, page
