"""Access in a real browser (issue 14, items 8 and 9): a sign-in survives a reload and an opened link,
signing out ends it everywhere, a forged or expired cookie is refused, a link opens the page it
names once access is checked, and the public visitor's 「すべての計画」 export holds the public
plan only."""

from __future__ import annotations

import csv
import io
import re
import shutil
import time

import pytest
from conftest import NIIGATA_PLAN
from helpers import sql

from browser.conftest import MENU, Server, new_context, shot, wait_idle
from kpi.access import auth
from kpi.access.permissions import LOCAL_ADMIN
from kpi.store.store import Store

PW = "correct-horse-42"
PRIVATE = "小平市第3次行財政再構築プラン"  # not public; its indicators are in the 指標 export


@pytest.fixture(scope="module")
def access_server(tmp_path_factory):
    """The demo plans with sign-in on and only Niigata's plan public. The cookie key is made before
    the server starts, so this test can sign a cookie the way the server would (the server holds
    the database file while it runs)."""
    from conftest import _demo_db
    d = tmp_path_factory.mktemp("access")
    db = d / "kpi.duckdb"
    shutil.copy(_demo_db(tmp_path_factory), db)
    s = Store.open(db)
    auth.add_user(s, LOCAL_ADMIN, "kanri", "admin", password=PW)
    auth.add_user(s, LOCAL_ADMIN, "tanaka", "editor", ["中央公民館"], password=PW)
    plans = {p.name: p.plan_id for p in s.plans()}
    auth.set_public(s, LOCAL_ADMIN, {plans[NIIGATA_PLAN]: True})
    secret = auth.session_secret(s)
    stamp = auth.password_stamp("kanri", sql(s, "SELECT password_hash FROM users WHERE name = 'kanri'")[0][0])
    s.close()
    server = Server(db)
    server.cookie_secret, server.kanri_stamp = secret, stamp
    yield server
    server.stop()


def settled(page) -> str:
    page.locator("h1, h2, h3").first.wait_for(timeout=90_000)
    wait_idle(page)
    return page.locator('[data-testid="stApp"]').inner_text()


def sign_in(page, name: str = "kanri") -> None:
    page.get_by_label("ユーザー名").fill(name)
    page.get_by_label("パスワード").fill(PW)
    page.get_by_role("button", name="サインイン").click()
    page.get_by_role("button", name="サインアウト").wait_for(timeout=90_000)
    wait_idle(page)


def signed_in_as(page) -> str | None:
    if page.get_by_role("button", name="サインアウト").count() == 0:
        return None
    return page.locator('[data-testid="stSidebar"]').inner_text()


def session_cookie(context) -> dict | None:
    return next((c for c in context.cookies() if c["name"] == auth.SESSION_COOKIE), None)


def wait_for_cookie(context, present: bool, timeout: float = 20) -> dict | None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        c = session_cookie(context)
        if (c is not None) is present:
            return c
        time.sleep(0.2)
    raise AssertionError(f"sign-in cookie {'never set' if present else 'still there'}: {context.cookies()}")


def test_sign_in_survives_a_reload_and_an_opened_link_until_signed_out(access_server, page):
    url = access_server.url
    page.goto(url + "/lagging")  # a link to a page, opened before signing in
    settled(page)
    assert page.get_by_label("ユーザー名").count() == 1
    sign_in(page)
    # Once signed in, the link's page opens (not ホーム).
    page.get_by_role("heading", name="遅れている取組").wait_for()
    assert page.url.endswith("/lagging")
    cookie = wait_for_cookie(page.context, True)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert 11 * 3600 < cookie["expires"] - time.time() <= 12 * 3600  # one working day
    assert auth.SESSION_COOKIE not in page.evaluate("document.cookie")  # no script in the page can read it

    page.reload()
    settled(page)
    assert "kanri（管理者）" in (signed_in_as(page) or ""), "a reload signed the administrator out"
    page.get_by_role("heading", name="遅れている取組").wait_for()
    assert page.get_by_label("ユーザー名").count() == 0
    shot(page, "access_after_reload")

    tab = page.context.new_page()  # a link opened in a new tab: its page, signed in
    tab.set_default_timeout(30_000)
    tab.goto(url + "/departments")
    settled(tab)
    tab.get_by_role("heading", name="担当課別").wait_for()
    assert "kanri（管理者）" in (signed_in_as(tab) or "")
    shot(tab, "access_new_tab_deep_link")

    page.get_by_role("button", name="サインアウト").click()
    page.get_by_label("ユーザー名").wait_for()
    wait_for_cookie(page.context, False)
    page.reload()
    text = settled(page)
    assert page.get_by_label("ユーザー名").count() == 1 and NIIGATA_PLAN not in text
    # The other tab's page load was signed in with the same cookie: signing out ended it too.
    tab.reload()
    settled(tab)
    assert tab.get_by_label("ユーザー名").count() == 1
    shot(page, "access_signed_out")


def test_a_cookie_kept_after_signing_out_is_refused_by_the_server(access_server, browser):
    ctx = new_context(browser)
    try:
        page = ctx.new_page()
        page.set_default_timeout(30_000)
        page.goto(access_server.url)
        settled(page)
        sign_in(page, "tanaka")
        kept = wait_for_cookie(ctx, True)
        page.get_by_role("button", name="サインアウト").click()
        page.get_by_label("ユーザー名").wait_for()
        wait_for_cookie(ctx, False)
        ctx.add_cookies([kept])  # someone copied the cookie before signing out
        page.reload()
        text = settled(page)
        assert page.get_by_label("ユーザー名").count() == 1 and "サインアウトしたため" in text
    finally:
        ctx.close()


@pytest.mark.parametrize("kind", ["expired", "forged", "garbage"])
def test_expired_and_forged_cookies_are_refused(access_server, browser, kind):
    now = int(time.time())
    secret, stamp = access_server.cookie_secret, access_server.kanri_stamp
    if kind == "expired":  # signed with the server's own key, but its day is over
        value = auth.sign_session(secret, auth.Session("kanri", "old", now - 13 * 3600, now - 3600), stamp)
        message = "有効期限"
    elif kind == "forged":  # the administrator's name, signed with a key that is not the server's
        value = auth.sign_session(b"guessed-key" * 3, auth.Session("kanri", "x", now, now + 3600), stamp)
        message = "正しくありません"
    else:
        value, message = "kanri", "正しくありません"
    ctx = new_context(browser)
    try:
        ctx.add_cookies([{"name": auth.SESSION_COOKIE, "value": value, "url": access_server.url}])
        page = ctx.new_page()
        page.set_default_timeout(30_000)
        page.goto(access_server.url + "/users")
        text = settled(page)
        assert page.get_by_label("ユーザー名").count() == 1, text
        assert message in text and "ユーザー一覧" not in text and NIIGATA_PLAN not in text
        wait_for_cookie(ctx, False)  # and the browser is told to drop it
        if kind == "expired":
            shot(page, "access_expired_cookie")
    finally:
        ctx.close()


def test_the_public_visitor_exports_all_plans_and_gets_the_public_one_only(access_server, page):
    page.goto(access_server.url + "/downloads")
    settled(page)
    page.get_by_role("button", name="公開されている計画を見る").click()
    page.get_by_role("button", name="サインイン").wait_for()
    wait_idle(page)
    if not page.get_by_role("heading", name="ダウンロード").count():
        page.locator(MENU).get_by_text("ダウンロード").click()
    page.get_by_role("heading", name="ダウンロード").wait_for()
    wait_idle(page)
    page.get_by_text("指標（単位・方向・基準値・目標）").click()
    wait_idle(page)
    page.get_by_text(re.compile("^すべての計画")).click()
    wait_idle(page)
    page.get_by_text("機械処理用（英語の列名・西暦・率は小数）").click()  # the columns this test reads
    wait_idle(page)
    shot(page, "access_visitor_downloads")
    with page.expect_download(timeout=60_000) as dl:
        page.get_by_role("button", name=re.compile("を書き出す")).click()
    data = open(dl.value.path(), "rb").read().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(data)))
    assert rows and {r["plan"] for r in rows} == {NIIGATA_PLAN}
    assert PRIVATE not in data
    # the blank template is made when its button is pressed, and is the standard template
    with page.expect_download(timeout=60_000) as dl:
        page.get_by_role("button", name="空のテンプレートをダウンロード").click()
    assert dl.value.suggested_filename == "標準テンプレート.xlsx"
    from openpyxl import load_workbook
    book = load_workbook(io.BytesIO(open(dl.value.path(), "rb").read()))
    assert {"計画", "取組", "指標", "年度値", "記入方法"} <= set(book.sheetnames)
    text = page.locator('[data-testid="stApp"]').inner_text()
    assert "「データ取込」から" not in text  # a visitor is not told to upload


def test_a_strangers_wrong_passwords_do_not_stop_the_administrator(access_server, browser):
    # Two browsers on two addresses (the server takes X-Forwarded-For from a trusted proxy only;
    # this machine is one by default, FORWARDED_ALLOW_IPS), the same name.
    def browser_at(address):
        ctx = new_context(browser, extra_http_headers={"X-Forwarded-For": address})
        page = ctx.new_page()
        page.set_default_timeout(30_000)
        page.goto(access_server.url)
        settled(page)
        return ctx, page

    stranger_ctx, stranger = browser_at("203.0.113.66")
    admin_ctx, admin = browser_at("10.0.0.5")
    try:
        stranger.get_by_label("ユーザー名").fill("kanri")
        failures, waited = 0, []
        while True:  # guessing, and sitting out each wait, until the wait is 16 s (2, 4, 8, 16 …)
            stranger.get_by_label("パスワード").fill(f"guess-{failures}")
            stranger.get_by_role("button", name="サインイン").click()
            wait_idle(stranger)
            text = stranger.locator('[data-testid="stApp"]').inner_text()
            wait = re.search(r"あと(\d+)秒お待ちください", text)
            if wait is None:
                assert "ユーザー名またはパスワードが違います" in text
                failures += 1
                continue
            waited.append(int(wait.group(1)))
            if int(wait.group(1)) >= 12:
                break
            time.sleep(int(wait.group(1)) + 0.5)
        assert failures == 6 and waited == sorted(waited), (failures, waited)  # 3 free, then 2, 4, 8 s; now 16 s
        stranger.get_by_label("パスワード").fill(PW)  # even the right password waits now, on that browser
        stranger.get_by_role("button", name="サインイン").click()
        wait_idle(stranger)
        assert stranger.get_by_text("お待ちください").count() == 1 and signed_in_as(stranger) is None
        shot(stranger, "access_stranger_waits")
        sign_in(admin)  # the administrator, elsewhere, at once
        assert "kanri（管理者）" in (signed_in_as(admin) or "")
    finally:
        stranger_ctx.close()
        admin_ctx.close()
