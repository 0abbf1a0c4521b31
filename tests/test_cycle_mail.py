"""Reminders by mail (issue 20), received by a real SMTP server on loopback (aiosmtpd): the headers,
the MIME encoding of the Japanese subject and sender, the UTF-8 body with what is missing per indicator,
the 催促 record in the history, and the CLI that cron runs. Nothing is sent unless mail is configured."""

from __future__ import annotations

import email
import email.policy
import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from conftest import TODAY
from helpers import DEPT_PLAN, department_plan

from kpi import cli
from kpi.access import auth
from kpi.access.permissions import Actor
from kpi.cycle import calls, mail
from kpi.cycle.reminders import reminders_for, send_due
from kpi.intake.history import upload_list
from kpi.intake.pipeline import commit, prepare
from kpi.store.store import Store

ADMIN = Actor("推進 一郎", "admin")


class Inbox:
    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    ctl = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    ctl.start()
    yield ctl.port, inbox
    ctl.stop()


@pytest.fixture
def cycle_db(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("KPI_TODAY", "2025-06-03")  # three days past the deadline
    path = tmp_path / "kpi.duckdb"
    store = Store.open(path)
    commit(store, [prepare(store, department_plan(tmp_path / "plan.xlsx"), today=TODAY)], ADMIN)
    plan = store.plan_by_name(DEPT_PLAN).plan_id
    auth.add_user(store, ADMIN, "kanri", "admin", password="kanri-pass-1234")
    auth.add_user(store, ADMIN, "kyodo", "editor", ["市民協働課"], password="kyodo-pass-1234",
                  email="kyodo@city.example.lg.jp")
    auth.add_user(store, ADMIN, "zaisei", "editor", ["財政課"], password="zaisei-pass-1234",
                  email="zaisei@city.example.lg.jp")
    calls.open_new(store, ADMIN, plan, 2022, ["年度"], __import__("datetime").date(2025, 5, 31),
                   "令和4年度の実績と評価を記入してください")
    # 財政課 submits: only 市民協働課 is late
    commit(store, [prepare(store, department_plan(tmp_path / "z.xlsx", only=[2], actual={(2, 2022): 70}),
                           today=TODAY)], Actor("財政 次郎", "editor", ("財政課",)))
    yield store, path, plan
    store.close()


def _configure(store, port):
    mail.save_settings(store, ADMIN, mail.MailSettings("127.0.0.1", port, "gyokaku@city.example.lg.jp",
                                                       "行政改革推進課", "none"))


def test_nothing_is_sent_unless_mail_is_configured(cycle_db, smtp):
    store, _path, plan = cycle_db
    _port, inbox = smtp
    n = len(upload_list(store))
    with pytest.raises(mail.MailNotConfigured, match="何も送っていません"):
        send_due(store, ADMIN)
    assert inbox.messages == [] and len(upload_list(store)) == n


def test_the_late_department_receives_a_japanese_reminder(cycle_db, smtp):
    store, _path, plan = cycle_db
    port, inbox = smtp
    _configure(store, port)
    sent = send_due(store, ADMIN)
    assert [(s.reminder.department, s.sent) for s in sent] == [("市民協働課", True)]
    [(mail_from, rcpt, raw)] = inbox.messages
    assert (mail_from, rcpt) == ("gyokaku@city.example.lg.jp", ["kyodo@city.example.lg.jp"])
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")  # the headers on the wire are 7-bit
    assert "Subject: =?utf-8?" in head
    assert "From: =?utf-8?" in head and "<gyokaku@city.example.lg.jp>" in head
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == "【期限超過】「協働テスト市行政改革プラン」令和4年度 年度評価の照会（期限 5月31日）"
    assert msg["From"].addresses[0].display_name == "行政改革推進課"
    assert msg["To"] == "kyodo@city.example.lg.jp"
    assert msg["Message-ID"] and msg["Date"]
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
    assert msg["Content-Transfer-Encoding"] in ("base64", "quoted-printable")
    body = msg.get_content()
    assert "市民協働課 ご担当者様" in body
    assert "提出期限を3日過ぎていますが、まだ提出されていません。" in body
    assert "提出期限: 2025年5月31日（土）" in body
    assert "・No.1 取組1" in body and "令和4年度の年度評価（評価・取組の状況）が未記入" in body
    assert "令和4年度の実績と評価を記入してください" in body
    # the reminder is a 催促 record of the call, in the history
    [row] = [s for s in calls.statuses_of(store, calls.open_call_of(store, plan)) if s.department == "市民協働課"]
    assert row.reminders == 1
    assert upload_list(store)[0].note.startswith("令和4年度 年度評価の照会: 市民協働課に催促（メールで催促（kyodo@")
    # sent once a day: a second run the same day sends nothing more
    assert send_due(store, ADMIN) == ()
    assert len(inbox.messages) == 1


def test_a_returned_department_is_reminded_with_the_comment(cycle_db, smtp):
    from kpi.intake.cycle_review import send_back
    store, _path, plan = cycle_db
    port, inbox = smtp
    _configure(store, port)
    call = calls.open_call_of(store, plan)
    send_back(store, ADMIN, call, "財政課", "実績の根拠を備考に書いてください")
    [r] = [r for r in reminders_for(store, call) if r.department == "財政課"]
    assert r.subject.startswith("【差し戻し】")
    assert "差し戻しの理由:\n  実績の根拠を備考に書いてください" in r.body
    send_due(store, ADMIN, departments=["財政課"])
    [(_f, rcpt, raw)] = inbox.messages
    assert rcpt == ["zaisei@city.example.lg.jp"]
    assert "実績の根拠を備考に書いてください" in email.message_from_bytes(raw, policy=email.policy.default).get_content()


def test_an_unreachable_server_is_a_message_not_a_traceback(cycle_db):
    store, _path, plan = cycle_db
    _configure(store, _free_port())  # nobody listens there
    with pytest.raises(mail.MailError, match="に送れませんでした"):
        send_due(store, ADMIN)
    call = calls.open_call_of(store, plan)
    assert all(s.reminders == 0 for s in calls.statuses_of(store, call))  # not recorded as sent


@pytest.mark.parametrize("settings, message", [
    (mail.MailSettings("127.0.0.1", 0, "a@b.jp"), "ポート番号 0"),
    (mail.MailSettings("127.0.0.1", 25, "送信者"), "差出人のメールアドレス"),
    (mail.MailSettings("127.0.0.1", 25, "a@b.jp", security="tls1"), "暗号化「tls1」"),
])
def test_bad_mail_settings_are_refused(store, settings, message):
    with pytest.raises(mail.MailError, match=message):
        mail.save_settings(store, ADMIN, settings)
    assert not mail.settings(store).configured


def test_the_cli_sends_the_due_reminders_for_cron(cycle_db, smtp, capsys):
    store, path, _plan = cycle_db
    port, inbox = smtp
    store.close()
    assert cli.main(["--db", str(path), "cycle", "remind"]) == 1  # not configured: nothing sent, exit 1
    assert "何も送っていません" in capsys.readouterr().err and inbox.messages == []
    assert cli.main(["--db", str(path), "cycle", "mail", "--host", "127.0.0.1", "--port", str(port),
                     "--sender", "gyokaku@city.example.lg.jp"]) == 0
    assert cli.main(["--db", str(path), "cycle", "remind"]) == 0
    out = capsys.readouterr().out
    assert "市民協働課: kyodo@city.example.lg.jp に送りました（期限を3日過ぎています）" in out
    assert len(inbox.messages) == 1
    assert cli.main(["--db", str(path), "cycle", "status", "--plan", DEPT_PLAN]) == 0
    out = capsys.readouterr().out
    assert "1 / 2 課 提出済、うち確認待ち 1 課、1 課 期限切れ" in out
    assert "市民協働課\t未提出・期限切れ（3日経過）" in out and "1回（最終 06/03）" in out


# ---------------------------------------------------------------- the administrator's form on the page
PASSWORD = "s3cret-Pw-9"


@pytest.fixture
def smtp_login():
    """A loopback server that wants a user name and password (AUTH without TLS, as a closed relay may)."""
    from aiosmtpd.smtp import AuthResult
    inbox, logins = Inbox(), []

    def check(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password.decode() == PASSWORD)

    ctl = Controller(inbox, hostname="127.0.0.1", port=_free_port(), authenticator=check, auth_require_tls=False)
    ctl.start()
    yield ctl.port, inbox, logins
    ctl.stop()


def test_mail_configured_on_the_page_sends_the_reminder(cycle_db, smtp_login, monkeypatch):
    import streamlit as st
    from helpers import sql
    from test_cycle_page import click, open_page, texts
    from kpi.intake.history import changes_of
    store, path, plan = cycle_db
    port, inbox, logins = smtp_login
    store.close()
    monkeypatch.setenv("KPI_DB", str(path))
    monkeypatch.delenv(mail.PASSWORD_ENV, raising=False)
    st.cache_resource.clear()
    at = open_page("pages/cycle.py", plan, _auth_user="kanri")
    assert "この課にメールで催促する" not in [b.label for b in at.button]  # nothing to send through yet
    at.text_input(key="cycle_mail_host").input("127.0.0.1")
    at.number_input(key="cycle_mail_port").set_value(port)
    at.radio(key="cycle_mail_security").set_value("none")
    at.text_input(key="cycle_mail_sender").input("gyokaku@city.example.lg.jp")
    at.text_input(key="cycle_mail_sender_name").input("行政改革推進課")
    at.text_input(key="cycle_mail_user").input("gyokaku")
    password_box = lambda: next(w for w in at.text_input if w.label == "SMTP のパスワード")  # noqa: E731
    password_box().input(PASSWORD)
    at = click(at, "メールの設定を保存する")
    assert "メールの設定を保存しました。" in texts(at)
    assert f"127.0.0.1:{port}" in texts(at) and "パスワード: 設定済み" in texts(at)
    assert password_box().value == ""  # never shown back
    assert PASSWORD not in texts(at) and all(PASSWORD not in (w.value or "") for w in at.text_input)
    at = click(at, "この課にメールで催促する")
    assert "市民協働課に催促のメールを送りました。" in texts(at)
    assert logins == [("gyokaku", PASSWORD)]
    [(mail_from, rcpt, raw)] = inbox.messages
    assert (mail_from, rcpt) == ("gyokaku@city.example.lg.jp", ["kyodo@city.example.lg.jp"])
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["From"].addresses[0].display_name == "行政改革推進課" and "市民協働課 ご担当者様" in msg.get_content()
    # in the history as a settings change, the password only as words; never in the change log
    s = Store.open(path)
    try:
        entry = next(e for e in upload_list(s) if e.file_name == "メールの設定")
        assert (entry.kind_label, entry.who) == ("設定の変更", "kanri")
        words = changes_of(s, entry.upload_id)
        assert f"メールの設定 ポート: {port}" in words and "メールの設定 パスワード（設定）" in words
        assert not any(PASSWORD in (r[0] or "") + (r[1] or "") for r in sql(s, "SELECT old_json, new_json FROM change_log"))
        assert not any(PASSWORD in (r[0] or "") for r in sql(s, "SELECT note FROM uploads"))
    finally:
        s.close()


def test_mail_settings_are_undone_like_any_write_and_keep_the_password(store):
    from kpi.intake.history import undo
    mail.save_settings(store, ADMIN, mail.MailSettings("mail1.example.lg.jp", 25, "a@example.lg.jp", username="u"),
                       password=PASSWORD)
    mail.save_settings(store, ADMIN, mail.MailSettings("mail2.example.lg.jp", 587, "a@example.lg.jp",
                                                       security="starttls", username="u"))
    assert (mail.settings(store).host, mail.settings(store).port, mail.password_of(store)) == \
        ("mail2.example.lg.jp", 587, PASSWORD)  # a save without a password keeps it
    undo(store, upload_list(store)[0].upload_id, ADMIN)
    s = mail.settings(store)
    assert (s.host, s.port, s.security, s.has_password) == ("mail1.example.lg.jp", 25, "none", True)
    mail.save_settings(store, ADMIN, s, password="")
    assert mail.password_of(store) is None and not mail.settings(store).has_password
    assert mail.save_settings(store, ADMIN, mail.settings(store)) == mail.settings(store)  # nothing changed
