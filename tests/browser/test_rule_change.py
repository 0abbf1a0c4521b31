"""An administrator's file that would change a plan's grading rule, in a real browser (issue 14, item 7):
the preview shows the rule before → after and the upload waits for its own confirmation."""

from __future__ import annotations

import shutil

import pytest
from conftest import NIIGATA_PLAN
from test_rule_cells import ABCD, filled_blank_template, with_custom_rule

from browser.conftest import Server, shot, wait_idle
from kpi.store.store import Store


@pytest.fixture
def rule_server(tmp_path_factory):
    from conftest import _demo_db
    d = tmp_path_factory.mktemp("rule_server")
    db = d / "kpi.duckdb"
    shutil.copy(_demo_db(tmp_path_factory), db)
    with_custom_rule(db)
    s = Server(db)
    yield s
    if s.proc.poll() is None:
        s.proc.terminate()
        s.proc.wait(timeout=20)
    s.log.close()


def test_rule_change_is_previewed_and_confirmed(rule_server, page, tmp_path):
    path = filled_blank_template(tmp_path / "推進課.xlsx", actual=55, grade="C")
    page.goto(rule_server.url + "/upload")
    wait_idle(page)
    page.locator('input[type="file"]').set_input_files(str(path))
    wait_idle(page)
    page.get_by_text("評価方式（評価ルール）が変わります").wait_for()
    assert page.get_by_text("「A・B・C・D（市の基準）」（A: 100%以上 / B: 80%以上 / C: 60%以上").first.is_visible()
    button = page.get_by_role("button", name="取り込む")
    assert button.is_disabled()
    shot(page, "upload_rule_change_preview")
    page.get_by_text("評価方式の変更を確認しました").click()
    wait_idle(page)
    assert button.is_enabled()
    button.click()
    wait_idle(page)
    page.get_by_text("取り込みました（取込番号").wait_for()
    # the rule page of the same server shows the new rule
    page.goto(rule_server.url + "/settings")
    wait_idle(page)
    page.get_by_text("現在のルール").wait_for()
    assert page.get_by_text("A・B・C（達成率）").first.is_visible()
    shot(page, "upload_rule_change_settings_after")
    rule_server.proc.terminate()  # the database file opens in one process at a time
    rule_server.proc.wait(timeout=20)
    s = Store.open(rule_server.db, read_only=True)
    try:
        assert s.rule(s.plan_by_name(NIIGATA_PLAN).plan_id) != ABCD
    finally:
        s.close()
