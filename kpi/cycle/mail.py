"""Mail through the city's own SMTP server (a closed network), when an administrator has set one up.

The settings (server, port, sender, encryption, user name) are the server's and live in the database
(kpi.store.cycle.mail_settings), written by an administrator on the 照会と提出 page or with
`python -m kpi cycle mail`, journalled (history, undo). The password, when the relay wants one (most
internal relays need none), is typed on the page and kept for the sender only: never shown back, never
in the history or a message; without one stored, the environment variable KPI_SMTP_PASSWORD of the
machine that sends is used. Nothing is sent unless a server and a sender are set. Messages are UTF-8: the Japanese subject and sender name are MIME
encoded words and the body is UTF-8 text (email.message.EmailMessage with email.policy.SMTP).
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from typing import Sequence

from kpi.access.permissions import Actor, require
from kpi.errors import KpiError
from kpi.store import cycle as db
from kpi.store.store import Store

SECURITY = {"none": "なし（庁内の中継サーバー）", "starttls": "STARTTLS", "ssl": "SSL/TLS"}
PASSWORD_ENV = "KPI_SMTP_PASSWORD"


class MailError(KpiError):
    title = "メールを送れませんでした"


class MailNotConfigured(MailError):
    title = "メールは設定されていません"


@dataclass(frozen=True)
class MailSettings:
    host: str = ""
    port: int = 25
    sender: str = ""  # the From address
    sender_name: str = "計画進捗ダッシュボード"
    security: str = "none"
    username: str = ""
    has_password: bool = False  # one is stored (its text never leaves kpi.store and the sender)

    @property
    def configured(self) -> bool:
        return bool(self.host and self.sender)

    def require(self) -> None:
        if not self.configured:
            raise MailNotConfigured("メールの送信サーバー（SMTP）が設定されていないため、何も送っていません。",
                                    hint="管理者が python -m kpi cycle mail --host サーバー --sender 差出人 で登録してください。"
                                         "文面は画面でコピーして送ることもできます")

    @property
    def text(self) -> str:
        if not self.configured:
            return "設定されていません（メールは送りません）"
        auth = (f"、ユーザー {self.username}（パスワード: "
                f"{'設定済み' if self.has_password else f'環境変数 {PASSWORD_ENV}'}）" if self.username else "")
        return f"{self.host}:{self.port}（{SECURITY.get(self.security, self.security)}）、差出人 {self.sender}{auth}"


def settings(store: Store) -> MailSettings:
    raw = db.mail_settings(store)
    try:
        port = int(raw.get("port") or 25)
    except ValueError:
        port = 25
    return MailSettings(raw.get("host") or "", port, raw.get("sender") or "",
                        raw.get("sender_name") or MailSettings.sender_name, raw.get("security") or "none",
                        raw.get("username") or "", db.mail_password(store) is not None)


KEEP = db.KEEP_PASSWORD  # save_settings(password=KEEP): the stored password stays as it is


def save_settings(store: Store, actor: Actor, new: MailSettings, *, password=KEEP) -> MailSettings:
    """Administrators only. An empty server turns mail off. password: KEEP (default), '' or None to
    remove it, or the new one (kept for the sender, never shown back nor logged)."""
    require(actor, "cycle")
    if isinstance(password, str):
        password = password.strip("\r\n")
    host = (new.host or "").strip()
    if any(c.isspace() for c in host) or "/" in host:
        raise MailError(f"送信サーバー「{host}」はサーバー名として読めません", hint="例: smtp.city.example.lg.jp（http:// や空白は付けません）")
    if new.security not in SECURITY:
        raise MailError(f"暗号化「{new.security}」は選べません", hint="none・starttls・ssl のどれかです")
    if not 0 < int(new.port) < 65536:
        raise MailError(f"ポート番号 {new.port} は使えません", hint="1〜65535（庁内の中継サーバーは多くが 25）")
    if new.host and "@" not in new.sender:
        raise MailError("差出人のメールアドレスを入れてください", hint="例: gyokaku@city.example.lg.jp")
    db.save_mail_settings(store, {"host": host, "port": str(int(new.port)), "sender": new.sender.strip(),
                                  "sender_name": new.sender_name.strip(), "security": new.security,
                                  "username": new.username.strip()}, actor.name, password=password)
    return settings(store)


def build_message(s: MailSettings, to: Sequence[str], subject: str, body: str) -> EmailMessage:
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = subject
    user, _, domain = s.sender.partition("@")
    msg["From"] = Address(s.sender_name, user, domain)
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=domain or None)
    msg.set_content(body, charset="utf-8")
    return msg


def send(s: MailSettings, to: Sequence[str], subject: str, body: str, *, timeout: float = 20,
         password: str | None = None) -> str:
    """Send one message; returns its Message-ID. Failures are MailError with the server's answer.
    password: the stored one (password_of); without it, the environment variable."""
    s.require()
    msg = build_message(s, to, subject, body)
    password = password or os.environ.get(PASSWORD_ENV)
    try:
        if s.security == "ssl":
            client = smtplib.SMTP_SSL(s.host, s.port, timeout=timeout, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=timeout)
        with client:
            if s.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if s.username:
                if not password:
                    raise MailError(f"SMTP のユーザー {s.username} のパスワードがありません",
                                    hint="「照会と提出」の画面のメールの設定で入れるか、送信するマシンの環境変数 "
                                         f"{PASSWORD_ENV} に設定してください")
                client.login(s.username, password)
            client.send_message(msg)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"{s.host}:{s.port} に送れませんでした: {type(exc).__name__}: {str(exc)[:200]}",
                        hint="サーバー名・ポート・暗号化の設定と、ネットワークを確かめてください") from exc
    return msg["Message-ID"]


def password_of(store: Store) -> str | None:
    """The stored SMTP password, for send only."""
    return db.mail_password(store)


__all__ = ["MailSettings", "MailError", "MailNotConfigured", "settings", "save_settings", "build_message", "send",
           "password_of", "KEEP",
           "SECURITY", "PASSWORD_ENV"]
