"""A whole yearly cycle on real server processes (issue 20): a call for three departments; one submits on
time and is confirmed; one is returned with a comment, fixes its sheet and is confirmed; one is late and
is reminded by mail (received by a real SMTP server on loopback); the year is locked; a later upload into
it is refused; an unlock with a reason lets it through. Screenshots: the board, the home page, the refusal.

Departments submit between server runs (the database file is the server's while it runs), as editors
through the same commit the upload page uses; the 推進課's steps are clicks in chromium."""

from __future__ import annotations

import email
import email.policy
import re
import socket
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from aiosmtpd.controller import Controller
from conftest import TODAY
from helpers import DEPT_PLAN, department_plan

from browser.conftest import Server, shot, wait_idle
from kpi.access import auth
from kpi.access.permissions import LOCAL_ADMIN, Actor
from kpi.cycle import calls, mail
from kpi.intake.pipeline import commit, prepare
from kpi.store.store import Store

PW = "kanri-pass-1234"
KANRI = Actor("kanri", "admin")
DEPTS = {1: "市民協働課", 2: "財政課", 3: "環境政策課"}


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


def three_departments(path: Path, **kw) -> Path:
    """The test plan with item 3 given to a third department."""
    department_plan(path, **kw)
    wb = openpyxl.load_workbook(path)
    ws = wb["取組"]
    col = [c.value for c in ws[1]].index("担当課")
    for row in ws.iter_rows(min_row=2):
        if row[[c.value for c in ws[1]].index("No.")].value in DEPTS:
            row[col].value = DEPTS[row[[c.value for c in ws[1]].index("No.")].value]
    wb.save(path)
    return path


def submit(db: Path, tmp_path: Path, item: int, actual: float, name: str) -> None:
    s = Store.open(db)
    try:
        prep = prepare(s, three_departments(tmp_path / name, only=[item], actual={(item, 2022): actual}), today=TODAY)
        assert not prep.errors, prep.errors
        commit(s, [prep], Actor(f"user{item}", "editor", (DEPTS[item],)))
    finally:
        s.close()


def sign_in(server: Server, page, path: str = "/cycle") -> None:
    page.goto(server.url + path)
    form = page.get_by_label("ユーザー名")
    form.or_(page.get_by_role("heading", name="照会と提出")).first.wait_for(timeout=90_000)
    if not form.count():  # still signed in: the cookie outlives a server restart
        wait_idle(page)
        return
    page.get_by_label("ユーザー名").fill("kanri")
    page.get_by_label("パスワード").fill(PW)
    page.get_by_role("button", name="サインイン").click()
    wait_idle(page)


def board_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


@pytest.fixture
def smtp():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    yield port, inbox
    ctl.stop()


def test_a_whole_cycle(tmp_path, page, smtp):
    port, inbox = smtp
    db = tmp_path / "kpi.duckdb"
    s = Store.open(db)
    commit(s, [prepare(s, three_departments(tmp_path / "plan.xlsx"), today=TODAY)], "推進")
    plan_id = s.plan_by_name(DEPT_PLAN).plan_id
    auth.add_user(s, LOCAL_ADMIN, "kanri", "admin", password=PW)
    for n, d in DEPTS.items():
        auth.add_user(s, LOCAL_ADMIN, f"user{n}", "editor", [d], password=f"user{n}-pass-1234",
                      email=f"user{n}@city.example.lg.jp")
    mail.save_settings(s, KANRI, mail.MailSettings("127.0.0.1", port, "gyokaku@city.example.lg.jp", "行政改革推進課"))
    calls.open_new(s, KANRI, plan_id, 2022, ["年度"], date(2025, 5, 31), "令和4年度の実績を記入してください")
    s.close()
    import os
    os.environ["KPI_TODAY"] = "2025-05-20"
    try:
        submit(db, tmp_path, 1, 55, "kyodo.xlsx")   # on time
        submit(db, tmp_path, 2, 77, "zaisei.xlsx")  # will be returned
    finally:
        del os.environ["KPI_TODAY"]

    # ---- day 1 (2025-05-20): the 推進課 confirms one and returns the other
    server = Server(db, {"KPI_TODAY": "2025-05-20"})
    try:
        sign_in(server, page)
        page.get_by_text("2 / 3 課 提出済、うち確認待ち 2 課、0 課 期限切れ").wait_for()
        shot(page, "cycle_board_waiting")
        page.get_by_role("button", name="確認する（値を確定）").first.click()
        wait_idle(page)
        page.get_by_text("市民協働課の提出を確認しました。").wait_for()
        page.get_by_label("コメント（差し戻すときは必須）").first.fill("実績の根拠を備考に書いてください")
        page.get_by_role("button", name="差し戻す").first.click()
        wait_idle(page)
        page.get_by_text("財政課に差し戻しました").wait_for()
        assert "実績の根拠を備考に書いてください" in board_text(page)
    finally:
        server.stop()

    os.environ["KPI_TODAY"] = "2025-05-25"
    try:
        submit(db, tmp_path, 2, 78, "zaisei_fixed.xlsx")  # fixed and resubmitted
    finally:
        del os.environ["KPI_TODAY"]

    # ---- day 2 (2025-06-03, past the deadline): confirm, remind the late one, lock the year
    server = Server(db, {"KPI_TODAY": "2025-06-03"})
    try:
        sign_in(server, page)
        page.get_by_text("2 / 3 課 提出済、うち確認待ち 1 課、1 課 期限切れ").wait_for()
        page.get_by_role("button", name="確認する（値を確定）").first.click()
        wait_idle(page)
        page.get_by_text("財政課の提出を確認しました。").wait_for()
        page.get_by_role("button", name="今日の催促をすべて送る").click()
        wait_idle(page)
        page.get_by_text("今日の催促を送りました。").wait_for()
        [(rcpt, raw)] = inbox.messages
        assert rcpt == ["user3@city.example.lg.jp"]
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert msg["Subject"].startswith("【期限超過】「協働テスト市行政改革プラン」")
        assert "環境政策課 ご担当者様" in msg.get_content()
        shot(page, "cycle_board_reminded")

        page.goto(server.url)
        wait_idle(page)
        page.get_by_text("2 / 3 課 提出済、1 課 期限切れ").wait_for()
        shot(page, "cycle_home_progress")

        page.goto(server.url + "/cycle")
        wait_idle(page)
        page.get_by_text(re.compile("を確定し、令和4年度の年度の値と評価を変更できなくします")).click()
        wait_idle(page)
        page.get_by_role("button", name="照会を確定する").click()
        wait_idle(page)
        page.get_by_text(re.compile(r"令和4年度の年度評価は2025-06-03 \d\d:\d\dにkanriが確定しました")).wait_for()
        shot(page, "cycle_board_locked")

        # a later upload into the locked year is refused, naming who locked it and when
        late = three_departments(tmp_path / "late.xlsx", only=[1], actual={(1, 2022): 66})
        page.goto(server.url + "/upload")
        wait_idle(page)
        page.locator('input[type="file"]').set_input_files(str(late))
        wait_idle(page)
        page.get_by_text(re.compile("kanriが確定しました。年度値 No.1 指標1 2022年度 実績 は変更できません")).first.wait_for()
        assert page.get_by_role("button", name="取り込む").is_disabled()
        shot(page, "cycle_upload_refused")

        # unlock with a reason, then the same upload goes through
        page.goto(server.url + "/cycle")
        wait_idle(page)
        page.get_by_label("解除する理由（取込履歴に残ります）").fill("議会答弁に合わせて実績を訂正")
        page.get_by_role("button", name="確定を解除する").click()
        wait_idle(page)
        page.get_by_text("確定を解除しました。").wait_for()
        page.goto(server.url + "/upload")
        wait_idle(page)
        page.locator('input[type="file"]').set_input_files(str(late))
        wait_idle(page)
        page.get_by_role("button", name="取り込む").click()
        wait_idle(page)
        page.get_by_text(re.compile(r"取り込みました（取込番号 \d+")).wait_for()
    finally:
        server.stop()

    s = Store.open(db)
    try:
        it = next(i for i in s.load_plan(plan_id).items if i.item_no == "1")
        assert it.indicators[0].year(2022).actual == 66
        from kpi.intake.history import upload_list
        call = calls.find_call(s, plan_id, 2022)
        st = {x.department: x for x in calls.statuses_of(s, call, date(2025, 6, 3))}
        assert (st["市民協働課"].label, st["財政課"].label, st["環境政策課"].label) == ("確定", "確定", "未提出")
        assert st["環境政策課"].reminders == 1 and st["財政課"].reminders == 0
        assert call.status_label == "確定" and calls.locks_of(s, plan_id) == []  # locked, then unlocked
        assert any(e.note == "確定の解除: 令和4年度 年度（理由: 議会答弁に合わせて実績を訂正）" and e.who == "kanri"
                   for e in upload_list(s))
    finally:
        s.close()
