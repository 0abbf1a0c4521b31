"""python -m kpi cycle …: the yearly cycle from the command line (issue 20), for the 推進課's IT staff
and for cron (cycle remind sends the reminders due today).

The command runs as an administrator named by --user (default: the OS user), like import and undo.
Every step goes through the same functions as the page (kpi.cycle, kpi.intake.cycle_review).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

from kpi.errors import KpiError


class CycleArgError(KpiError):
    title = "照会のコマンドの指定が正しくありません"


def _ctx(args):
    from kpi.access.permissions import Actor
    from kpi.cli import _store, _user
    store = _store(args)
    return store, Actor(_user(args), "admin")


def _call(store, args):
    from kpi.cycle.calls import find_call
    from kpi.rules.fiscal import parse_fiscal_year
    plan = store.require_plan(args.plan)
    fy = parse_fiscal_year(args.year) if getattr(args, "year", None) else None
    return find_call(store, plan.plan_id, fy, getattr(args, "stages", None))


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CycleArgError(f"期限「{text}」は日付として読めません", hint="例: 2025-05-31") from exc


def cmd_open(args) -> int:
    from kpi.cycle.calls import open_new
    from kpi.rules.fiscal import parse_fiscal_year
    store, actor = _ctx(args)
    plan = store.require_plan(args.plan)
    call = open_new(store, actor, plan.plan_id, parse_fiscal_year(args.year), args.stage or ["年度"],
                    _date(args.deadline), args.instructions or "", args.department,
                    remind_before=args.remind_before, remind_every=args.remind_every)
    print(f"{call.title}を開始しました（期限 {call.deadline:%Y-%m-%d}、対象 {len(call.departments)} 課: "
          f"{'、'.join(call.departments)}）")
    return 0


def cmd_close(args) -> int:
    from kpi.cycle.calls import finalize
    from kpi.rules.fiscal import format_fiscal_year
    store, actor = _ctx(args)
    call = finalize(store, actor, _call(store, args))
    print(f"{call.title}を確定しました（{call.closed_at:%Y-%m-%d %H:%M} {call.closed_by}）。"
          f"{format_fiscal_year(call.fiscal_year)}の{call.stages}の値と評価は、解除するまで変更できません")
    return 0


def cmd_status(args) -> int:
    from kpi.cycle.board import board
    store, _actor = _ctx(args)
    b = board(store, _call(store, args))
    print(f"{b.call.title}（{b.call.status_label}、期限 {b.call.deadline:%Y-%m-%d}）: {b.progress}")
    print("担当課\t状況\t提出\t提出者\t確認・差し戻し\t操作者\t催促\tコメント")
    for r in b.rows:
        print("\t".join(r.cells()))
    for lock in b.locks:
        print(lock)
    return 0


def cmd_remind(args) -> int:
    from kpi.cycle.reminders import reminders_for, send_due
    store, actor = _ctx(args)
    if args.dry_run:
        call = _call(store, args)
        for r in reminders_for(store, call):
            print(f"== {r.department}（{'送る' if r.due else '送らない'}: {r.due.reason}） 宛先: "
                  f"{'、'.join(r.recipients) or '（なし）'}")
            print(f"件名: {r.subject}\n{r.body}\n")
        return 0
    plan_id = store.require_plan(args.plan).plan_id if args.plan else None
    sent = send_due(store, actor, plan_id=plan_id, departments=args.department, force=args.force)
    for s in sent:
        print(s.text)
    if not sent:
        print("今日送る催促はありません。")
    return 0 if all(s.sent for s in sent) else 1


def cmd_confirm(args) -> int:
    from kpi.intake.cycle_review import accept
    store, actor = _ctx(args)
    call = _call(store, args)
    accept(store, actor, call, args.department, args.comment)
    print(f"{call.title}: {args.department}の提出を確認しました")
    return 0


def cmd_return(args) -> int:
    from kpi.intake.cycle_review import send_back
    store, actor = _ctx(args)
    call = _call(store, args)
    undone = send_back(store, actor, call, args.department, args.comment)
    print(f"{call.title}: {args.department}に差し戻しました（取り消しの記録: 取込番号 {'、'.join(map(str, undone))}）")
    return 0


def cmd_unlock(args) -> int:
    from kpi.cycle.calls import unlock
    from kpi.rules.fiscal import format_fiscal_year, parse_fiscal_year
    store, actor = _ctx(args)
    plan = store.require_plan(args.plan)
    fy = parse_fiscal_year(args.year)
    res = unlock(store, actor, plan.plan_id, fy, args.stage, args.reason)
    print(f"{format_fiscal_year(fy)}の{args.stage}の確定を解除しました（取込番号 {res.upload_id}、理由: {args.reason}）")
    return 0


def cmd_mail(args) -> int:
    from kpi.cycle import mail
    store, actor = _ctx(args)
    if args.host is None:
        print(mail.settings(store).text)
        return 0
    s = mail.save_settings(store, actor, mail.MailSettings(args.host, args.port, args.sender or "",
                                                           args.sender_name or mail.MailSettings.sender_name,
                                                           args.security, args.smtp_user or ""),
                           password=sys.stdin.readline().rstrip("\r\n") if args.password_stdin else mail.KEEP)
    print(f"メールの設定: {s.text}")
    return 0


def add_parser(add) -> None:
    """Register `cycle` on kpi.cli's parser (add: its helper that adds --db/--data-path)."""
    sp = add("cycle", "年次の照会（照会 → 提出 → 確認 → 確定）・催促・確定の解除")
    sub = sp.add_subparsers(dest="cycle_command", required=True)

    def cmd(name: str, text: str, func, *, call: bool = True):
        c = sub.add_parser(name, help=text, description=text)
        c.add_argument("--db", default=argparse.SUPPRESS)
        c.add_argument("--data-path", default=argparse.SUPPRESS)
        c.add_argument("--user", help="記録する操作者名（既定: OSのユーザー名）")
        if call:
            c.add_argument("--plan", required=True, help="計画名")
            c.add_argument("--year", help="照会の年度（2024・令和6年度・R6。省略すると受付中の照会）")
            c.add_argument("--stages", help="照会の段階（同じ年度に複数の照会があるとき。例: 年度）")
        c.set_defaults(func=func)
        return c

    c = cmd("open", "照会を開始する", cmd_open, call=False)
    c.add_argument("--plan", required=True, help="計画名")
    c.add_argument("--year", required=True, help="報告する年度（2024・令和6年度・R6）")
    c.add_argument("--stage", action="append", choices=("上半期", "年度", "中間", "計画期間"),
                   help="集める段階（繰り返して複数。既定: 年度）")
    c.add_argument("--deadline", required=True, help="提出期限（YYYY-MM-DD）")
    c.add_argument("--instructions", help="依頼内容（催促のメールにも載る）")
    c.add_argument("--department", action="append", help="照会する担当課（繰り返す。既定: 計画のすべての担当課）")
    c.add_argument("--remind-before", type=int, default=3, help="期限の何日前から催促するか（0: しない。既定 3）")
    c.add_argument("--remind-every", type=int, default=7, help="期限後に何日ごとに催促するか（0: 1回だけ。既定 7）")
    cmd("close", "照会を確定する（その年度・段階の値と評価を変更できなくする）", cmd_close)
    cmd("status", "照会の状況（担当課ごとの提出・確認・差し戻し・期限切れ）を表示する", cmd_status)
    c = cmd("remind", "今日送る催促をメールで送る（cron 向け。メールが設定されていなければ何も送らない）", cmd_remind,
            call=False)
    c.add_argument("--plan", help="この計画だけ（省略するとすべての受付中の照会）")
    c.add_argument("--year", help=argparse.SUPPRESS)
    c.add_argument("--stages", help=argparse.SUPPRESS)
    c.add_argument("--department", action="append", help="この担当課だけ（繰り返す）")
    c.add_argument("--force", action="store_true", help="今日が催促の日でなくても、未提出・差し戻しの課に送る")
    c.add_argument("--dry-run", action="store_true", help="送らずに、宛先と文面を表示する（--plan が必要）")
    c = cmd("confirm", "担当課の提出を確認する（値が確定する）", cmd_confirm)
    c.add_argument("--department", required=True, help="担当課")
    c.add_argument("--comment", help="コメント")
    c = cmd("return", "担当課の提出を差し戻す（提出した値を取り消し、コメントを残す）", cmd_return)
    c.add_argument("--department", required=True, help="担当課")
    c.add_argument("--comment", required=True, help="直してほしいこと（担当課の画面と催促に載る）")
    c = cmd("unlock", "確定を解除する（理由は取込履歴に残る）", cmd_unlock, call=False)
    c.add_argument("--plan", required=True, help="計画名")
    c.add_argument("--year", required=True, help="年度")
    c.add_argument("--stage", required=True, choices=("上半期", "年度", "中間", "計画期間"), help="段階")
    c.add_argument("--reason", required=True, help="解除する理由")
    c = cmd("mail", "催促メールの送信サーバー（SMTP）を設定する（引数なしで今の設定を表示）", cmd_mail, call=False)
    c.add_argument("--host", help="SMTP サーバー（空文字でメールを止める）")
    c.add_argument("--port", type=int, default=25, help="ポート（既定 25）")
    c.add_argument("--sender", help="差出人のメールアドレス")
    c.add_argument("--sender-name", help="差出人の名前（既定: 計画進捗ダッシュボード）")
    c.add_argument("--security", choices=("none", "starttls", "ssl"), default="none", help="暗号化（既定 none）")
    c.add_argument("--smtp-user", help="SMTP のユーザー名（パスワードは --password-stdin か環境変数 KPI_SMTP_PASSWORD）")
    # read from standard input, never from an argument: the command line shows in ps and the shell history
    c.add_argument("--password-stdin", action="store_true", help="SMTP のパスワードを標準入力の1行目から読んで保存する")
