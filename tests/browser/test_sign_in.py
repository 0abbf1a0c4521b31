"""Sign-in in a real browser: the form, the way out, and no page reachable around it by its URL."""

from __future__ import annotations

import shutil

import pytest
from conftest import NIIGATA_PLAN

from browser.conftest import MENU, Server, shot, wait_idle
from kpi.access import auth
from kpi.access.permissions import LOCAL_ADMIN
from kpi.store.store import Store

PW = "correct-horse-42"


@pytest.fixture(scope="module")
def signed_server(tmp_path_factory):
    from conftest import _demo_db
    d = tmp_path_factory.mktemp("signin")
    db = d / "kpi.duckdb"
    shutil.copy(_demo_db(tmp_path_factory), db)
    s = Store.open(db)
    auth.add_user(s, LOCAL_ADMIN, "kanri", "admin", password=PW)
    auth.add_user(s, LOCAL_ADMIN, "tanaka", "editor", ["中央公民館"], password=PW)
    s.close()
    server = Server(db)
    yield server
    server.stop()


def settled(page) -> str:
    page.locator("h1, h2, h3").first.wait_for(timeout=90_000)
    wait_idle(page)
    return page.locator('[data-testid="stApp"]').inner_text()


@pytest.mark.parametrize("path", ["users", "upload", "item_detail"])
def test_no_page_is_reachable_without_signing_in(signed_server, page, path):
    # A new session opening a page by its URL runs that page file on its own (not app.py).
    page.goto(f"{signed_server.url}/{path}")
    text = settled(page)
    assert page.get_by_role("button", name="サインイン").count() == 1, text
    for secret in (NIIGATA_PLAN, "ユーザー一覧", "取り込む", "まちづくりセンター"):
        assert secret not in text, (path, secret)


def test_sign_in_and_out(signed_server, page):
    page.goto(signed_server.url)
    settled(page)
    page.get_by_label("ユーザー名").fill("tanaka")
    page.get_by_label("パスワード").fill("not-the-password")
    page.get_by_role("button", name="サインイン").click()
    page.get_by_text("ユーザー名またはパスワードが違います").wait_for()
    page.get_by_label("パスワード").fill(PW)
    page.get_by_role("button", name="サインイン").click()
    page.get_by_role("heading", name=NIIGATA_PLAN).wait_for(timeout=90_000)
    wait_idle(page)
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    assert "tanaka（担当課（入力）・中央公民館）" in sidebar
    assert "ユーザー" not in page.locator(MENU).inner_text()  # admins only
    shot(page, "signed_in_editor")
    page.get_by_role("button", name="サインアウト").click()
    page.get_by_role("button", name="サインイン").wait_for()
    assert NIIGATA_PLAN not in page.locator('[data-testid="stApp"]').inner_text()


def test_editor_signing_in_on_the_users_page_is_still_refused(signed_server, page):
    page.goto(f"{signed_server.url}/users")
    settled(page)
    page.get_by_label("ユーザー名").fill("tanaka")
    page.get_by_label("パスワード").fill(PW)
    page.get_by_role("button", name="サインイン").click()
    # Either the page itself refuses (it ran on its own), or the router leaves it out and opens
    # ホーム (once app.py has run in this server): never the user list.
    page.get_by_text("管理者だけ").or_(page.get_by_role("heading", name=NIIGATA_PLAN)).first.wait_for(timeout=90_000)
    wait_idle(page)
    text = page.locator('[data-testid="stApp"]').inner_text()
    assert "ユーザー一覧" not in text and "登録する" not in text
