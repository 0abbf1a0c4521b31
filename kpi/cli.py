"""Command line for IT staff and batch jobs: python -m kpi COMMAND.

Every command takes --db PATH (default data/kpi.duckdb; the KPI_DB
environment variable overrides the default), or a shared DuckLake catalog
'ducklake:postgres:…' with --data-path (KPI_DATA_PATH) for its table files. Problems are printed in Japanese
with sheet and cell; the exit status is 0 on success and 1 on any error.
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from pathlib import Path

from kpi.errors import KpiError

# What a terminal would act on instead of showing: C0 controls but tab and line feed (ESC starts colour,
# cursor and title sequences; CR overwrites the line), DEL, C1 controls (0x9b is CSI on its own) and
# the bidi controls that reorder what is shown.
_TERMINAL_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """Text for a terminal: every control character shown as an escape (ESC → \\x1b), never acted on."""
    return _TERMINAL_CONTROLS.sub(
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)


class _TerminalSafe:
    """A text stream that escapes controls in everything written to it: file names, sheet names, cell
    text and database values reach the CLI's messages in many places, so they are escaped here, once."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(terminal_safe(text))

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _store(args):
    from kpi.store.store import Store
    return Store.open(args.db, data_path=getattr(args, "data_path", None))


def _user(args) -> str:
    if getattr(args, "user", None):
        return args.user
    try:
        return f"{getpass.getuser()}（コマンド）"
    except (KeyError, OSError):
        return "コマンド"


def cmd_init(args) -> int:
    store = _store(args)
    from kpi.store.store import redact
    print(f"データベースを用意しました: {redact(store.target)}")
    return 0


def cmd_maintain(args) -> int:
    print(_store(args).maintain())
    return 0


def cmd_copy_store(args) -> int:
    from kpi.store.store import Store
    target = Store.open(args.to, data_path=args.data_path)
    copied = target.copy_from_file(args.source)
    for table, n in copied.items():
        print(f"{table}\t{n}")
    from kpi.store.store import redact
    print(f"移しました: {args.source} → {redact(target.target)}（{sum(copied.values())} 行）")
    return 0


def cmd_demo(args) -> int:
    from kpi.intake.demo import load_demo
    store = _store(args)
    report = load_demo(store)
    for name in report.loaded:
        print(f"読み込みました: {name}")
    for file, reason in report.skipped:
        print(f"読み込めませんでした: {file}: {reason}", file=sys.stderr)
    from kpi.store.store import redact
    print(f"データベース: {redact(str(store.path))}")
    return 0


def cmd_import(args) -> int:
    from kpi.intake.pipeline import commit, prepare_many
    store = _store(args)
    layout = getattr(args, "layout", None)
    if layout:
        from kpi.intake.pipeline import stored_profile
        layout = stored_profile(store, layout)
    prepared = prepare_many(store, [(Path(f).name, Path(f)) for f in args.files], plan_name=args.plan,
                            layout_profile=layout)
    failed = False
    for prep in prepared:
        head = f"{prep.file_name}: {prep.layout_label or '様式不明'}"
        if prep.batch is not None:
            head += f" → 計画「{prep.batch.plan_name}」"
        print(head)
        for p in prep.problems:
            print(f"  {p}", file=sys.stderr if p.level == "error" else sys.stdout)
        if prep.errors:
            failed = True
        elif prep.changes is not None:
            print(f"  {prep.changes.summary()}")
            if args.verbose:
                for c in prep.changes.inserts + prep.changes.updates:
                    print(f"    {c.describe(args.era)}")
    if failed:
        n = sum(len(p.errors) for p in prepared)
        print(f"エラーが {n} 件あるため、何も取り込んでいません。", file=sys.stderr)
        return 1
    if args.dry_run:
        print("確認のみ（--dry-run）: データベースは変更していません。")
        return 0
    results = commit(store, prepared, _user(args), note=getattr(args, "note", None))
    for prep, res in zip(prepared, results):
        if res.upload_id is None:
            print(f"{prep.file_name}: 変更はありません（同じ内容が登録済みです）")
        else:
            print(f"{prep.file_name}: 取り込みました（取込番号 {res.upload_id}、新規 {res.changes.n_inserts} 件、"
                  f"変更 {res.changes.n_updates} 件）")
    return 0


def cmd_layout(args) -> int:
    """Taught layouts: list them, write one to a file to share, read one from a file."""
    from kpi.intake.layouts.profile import ProfileError, load_profile, profile_from_file
    from kpi.intake.pipeline import save_profile, stored_profile
    store = _store(args)
    if args.layout_command == "list":
        rows = store.layout_profiles()
        if not rows:
            print("登録した様式はまだありません（python -m kpi layout import ファイル で登録します）")
        for name, body in rows:
            try:
                prof = load_profile(body)
                print(f"{name}\t指標 {len(prof.indicators)} 組\t見出し {len(prof.fingerprint)} か所")
            except ProfileError as exc:
                print(f"{name}\t使えません: {exc.message}")
        return 0
    if args.layout_command == "export":
        prof = stored_profile(store, args.name)
        out = Path(args.output or f"{args.name}.json")
        out.write_text(prof.to_json() + "\n", encoding="utf-8")
        print(f"様式「{prof.name}」を書き出しました: {out}")
        return 0
    prof = profile_from_file(args.file)
    upload_id = save_profile(store, prof, _user(args))
    if upload_id is None:
        print(f"様式「{prof.name}」は同じ内容で登録済みです")
    else:
        print(f"様式「{prof.name}」を登録しました（取込番号 {upload_id}）")
    return 0


def cmd_history(args) -> int:
    from kpi.intake import history
    store = _store(args)
    if args.id is not None:
        e = history.find_upload(store, args.id)
        print(f"取込番号 {e.upload_id}\t{e.when:%Y-%m-%d %H:%M}\t{e.who}\t{e.kind_label}\t{e.status_label}\t"
              f"{e.file_name or '-'}\t{e.plan_name or '-'}")
        if e.note:
            print(f"メモ: {e.note}")
        for line in history.changes_of(store, args.id, style=args.era):
            print(f"  {line}")
        return 0
    # The plan as a person types it (（環境局） or (環境局)): the store compares names normalised.
    plan_id = store.require_plan(args.plan).plan_id if args.plan else None
    entries = history.upload_list(store, plan_id=plan_id, limit=args.limit)
    if not entries:
        print("取込履歴はありません。")
    print("取込番号\t日時\t取込者\t種類\t状態\tファイル\t計画\t内容\tメモ")
    for e in entries:
        print(f"{e.upload_id}\t{e.when:%Y-%m-%d %H:%M}\t{e.who}\t{e.kind_label}\t{e.status_label}\t"
              f"{e.file_name or '-'}\t{e.plan_name or '-'}\t{e.summary}\t{e.note or ''}")
    return 0


def cmd_undo(args) -> int:
    from kpi.intake import history
    store = _store(args)
    res = history.undo(store, args.id, _user(args), note=args.note, style=args.era)
    print(f"取込番号 {res.undone} を取り消しました（取消の記録: 取込番号 {res.upload_id}、"
          f"値を戻した {res.n_restored} 件、削除 {res.n_deleted} 件）")
    return 0


def cmd_template(args) -> int:
    from kpi.outputs.template import write_template
    write_template(args.output, plan_name=args.plan or "")
    print(f"テンプレートを書き出しました: {args.output}")
    return 0


def cmd_sheet(args) -> int:
    from datetime import date

    from kpi.outputs.department_sheet import sheet_for
    store = _store(args)
    dl = sheet_for(store, args.plan, args.year, args.department, date.today())
    out = Path(args.output)
    if out.is_dir():  # a folder: the name the download page gives, so a loop over departments needs none
        out = out / dl.file_name
    out.write_bytes(dl.data)
    print(f"記入用シートを書き出しました: {out}（{dl.description}）")
    return 0


def cmd_export(args) -> int:
    from kpi.outputs.export import write
    store = _store(args)
    fmt = args.format or ("xlsx" if args.output and str(args.output).lower().endswith(".xlsx") else "csv")
    # An unknown plan is an error (exit 1, the registered plans named), never an empty table.
    plan = store.require_plan(args.plan).name if args.plan else None
    # Whoever holds the database (file or catalog) reads every plan, like the local administrator.
    from kpi.access.permissions import Actor
    if args.form == "people":
        from kpi.outputs.readable import export
        data, _name = export(store, args.what, fmt, actor=Actor(_user(args), "admin"), plan=plan, style=args.era)
        if args.output:
            out = Path(args.output)
            if out.is_dir():  # a folder: a name that says what, of which plan and years
                out = out / _name
            out.write_bytes(data)
    else:
        data = write(store, args.what, fmt, Path(args.output) if args.output else None, plan=plan,
                     actor=Actor(_user(args), "admin"))
    if not args.output:
        if fmt == "xlsx":
            print("xlsx は -o でファイル名を指定してください", file=sys.stderr)
            return 1
        if sys.stdout.isatty():  # a person reads it: no title or colour from the data
            data = terminal_safe(data.decode("utf-8")).encode("utf-8")
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


def cmd_pack(args) -> int:
    from datetime import date

    from kpi.access.permissions import Actor
    from kpi.outputs.pack.batch import build_pack, format_of
    store = _store(args)
    out = Path(args.output)
    fmt = format_of(args.format, None if out.is_dir() else out.name)
    held_on = None
    if args.meeting_date:
        try:
            held_on = date.fromisoformat(args.meeting_date)
        except ValueError:
            from kpi.outputs.pack.batch import PackError
            raise PackError(f"会議の開催日「{args.meeting_date}」が読めません", hint="2026-07-01 の形で指定してください")
    # Whoever holds the database reads every plan, like the local administrator (as export does).
    pack = build_pack(store, Actor(_user(args), "admin"), args.plan, fmt, year=args.year, style=args.era,
                      sort=args.sort, lagging_only=args.lagging_only, meeting=args.meeting, meeting_date=held_on)
    if out.is_dir():  # a folder: the name the 会議資料 page gives
        out = out / pack.file.file_name
    out.write_bytes(pack.file.data)
    print(f"会議資料（{pack.file.label}）を書き出しました: {out}（{pack.description}）")
    return 0


def _read_password(args) -> str | None:
    """--password-stdin reads one line (for scripts); otherwise ask twice without echo."""
    if getattr(args, "password_stdin", False):
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    if getattr(args, "no_password", False):
        return None
    first = getpass.getpass("パスワード: ")
    if getpass.getpass("パスワード（確認）: ") != first:
        from kpi.access.auth import UserError
        raise UserError("確認用のパスワードが一致しません。")
    return first


def cmd_user(args) -> int:
    # The CLI is run by whoever holds the database file: a trusted local administrator.
    from kpi.access import auth
    from kpi.access.permissions import LOCAL_ADMIN, ROLE_LABELS, Actor
    store = _store(args)
    admin = Actor(args.by or _user(args) or LOCAL_ADMIN.name, "admin")
    if args.user_command == "add":
        password = _read_password(args)
        u = auth.add_user(store, admin, args.name, args.role, args.department or (), password=password,
                          email=args.email)
        print(f"登録しました: {u.name}（{u.role_label}{'・' + '、'.join(u.departments) if u.departments else ''}）")
        if len(auth.list_users(store)) == 1:
            print("最初のユーザーを登録したので、これからはアプリを開くとサインインが必要です。")
    elif args.user_command == "list":
        users = auth.list_users(store)
        if not users:
            print("ユーザーは登録されていません（サインインなしで、ローカル管理者として動きます）。")
        for u in users:
            state = "有効" if u.active else "停止中"
            print(f"{u.name}\t{ROLE_LABELS.get(u.role, u.role)}\t{'、'.join(u.departments) or '-'}\t"
                  f"{u.email or '-'}\t{state}")
    elif args.user_command in ("disable", "enable"):
        auth.update_user(store, admin, args.name, active=args.user_command == "enable")
        print(f"{args.name}: {'有効にしました' if args.user_command == 'enable' else '停止しました（サインインできません）'}")
    elif args.user_command == "passwd":
        auth.update_user(store, admin, args.name, password=_read_password(args))
        print(f"{args.name}: パスワードを変更しました")
    elif args.user_command == "unlock":
        auth.unlock_user(store, admin, args.name)
        print(f"{args.name}: 続けて間違えたパスワードの記録を消しました（すべての端末から、すぐにサインインできます）")
    elif args.user_command == "set":
        u = auth.update_user(store, admin, args.name, role=args.role, email=args.email,
                             departments=args.department if args.department is not None else None)
        print(f"{u.name}: {u.role_label}{'・' + '、'.join(u.departments) if u.departments else ''}に変更しました")
    return 0


def cmd_backup(args) -> int:
    from kpi.intake import backup
    store = _store(args)
    if args.list:
        items = backup.list_backups(store)
        if not items:
            print(f"バックアップはありません（{backup.backup_dir(store)}）")
        for b in items:
            up = f"取込番号{b.last_upload}まで" if b.last_upload is not None else ""
            print(f"{b.path}\t{b.created:%Y-%m-%d %H:%M:%S}\t{up}\t{b.size // 1024} KB")
        return 0
    if store.is_shared:
        print("共有データベースは、PostgreSQL のカタログ（pg_dump）とデータフォルダの組でバックアップします。"
              "手順は README の「バックアップと復元（共有データベース）」にあります。")
        return 0
    path = backup.make_backup(store)
    if path is None:
        print("バックアップするデータがありません（空のデータベース、または共有データベース）。")
    else:
        print(f"バックアップを作りました: {path}")
    return 0


def cmd_restore(args) -> int:
    from kpi.access.permissions import Actor
    from kpi.intake import backup
    store = _store(args)
    before = backup.restore(store, args.file, Actor(_user(args), "admin"))
    print(f"復元しました: {args.file}")
    if before is not None:
        print(f"復元前の状態はここに残しました: {before}")
    return 0


DB_HELP = ("データベース: ファイル（既定: data/kpi.duckdb）または共有データベース "
           "'ducklake:postgres:dbname=kpi host=… user=kpi'。環境変数 KPI_DB でも指定できる")
# The change sentences keep 西暦 by default (what scripts that read them were written against).
ERA_ARG = dict(choices=("seireki", "wareki"), default="seireki", help="変更内容の年度の表示: seireki 西暦（既定）/ wareki 和暦")
DATA_PATH_HELP = "共有データベースのデータフォルダ（全サーバーから見える場所。環境変数 KPI_DATA_PATH でも指定できる）"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m kpi", description="計画進捗ダッシュボードのコマンド")
    p.add_argument("--db", help=DB_HELP)
    p.add_argument("--data-path", help=DATA_PATH_HELP)
    sub = p.add_subparsers(dest="command", required=True)

    def add(name: str, help_text: str):
        sp = sub.add_parser(name, help=help_text, description=help_text)
        sp.add_argument("--db", default=argparse.SUPPRESS, help=DB_HELP)
        sp.add_argument("--data-path", default=argparse.SUPPRESS, help=DATA_PATH_HELP)
        return sp

    sp = add("init", "データベースを作る（共有データベースは、サーバーを起動する前にこれで1回作る）")
    sp.set_defaults(func=cmd_init)

    sp = add("maintain", "データベースを整理する（共有データベースでは取り込みで増えた小さなファイルをまとめる。夜間の定期実行向け）")
    sp.set_defaults(func=cmd_maintain)

    sp = add("copy-store", "データベースファイルの全データ（履歴・ユーザーを含む）を空の共有データベースへ移す")
    sp.add_argument("source", help="移す元のデータベースファイル（例: data/kpi.duckdb。アプリを止めてから）")
    sp.add_argument("--to", required=True, help="移す先（例: 'ducklake:postgres:dbname=kpi host=… user=kpi'）")
    sp.set_defaults(func=cmd_copy_store)

    sp = add("demo", "デモ用の計画（data/samples のブック）を読み込む")
    sp.set_defaults(func=cmd_demo)

    sp = add("import", "Excelブックを取り込む（すべて成功したときだけ書き込む）")
    sp.add_argument("files", nargs="+", help=".xlsx ファイル")
    sp.add_argument("--dry-run", action="store_true", help="確認だけして書き込まない")
    sp.add_argument("--plan", help="取り込み先の計画名（シートに計画名がない様式のとき）")
    sp.add_argument("--user", help="記録する取込者名（既定: OSのユーザー名）")
    sp.add_argument("-v", "--verbose", action="store_true", help="変更内容を1件ずつ表示")
    sp.add_argument("--note", help="取込履歴に残すメモ（目標を変更するときはその理由）")
    sp.add_argument("--era", **ERA_ARG)
    sp.add_argument("--layout", help="登録した様式の名前（python -m kpi layout list）。この様式で読む")
    sp.set_defaults(func=cmd_import)

    sp = add("layout", "登録した様式（自治体独自のシートの読み方）の一覧・書き出し・読み込み")
    lsub = sp.add_subparsers(dest="layout_command", required=True)
    lp = lsub.add_parser("list", help="登録した様式の一覧")
    lp.add_argument("--db", default=argparse.SUPPRESS, help=DB_HELP)
    lp.add_argument("--data-path", default=argparse.SUPPRESS, help=DATA_PATH_HELP)
    lp = lsub.add_parser("export", help="様式を設定ファイル（JSON）に書き出す")
    lp.add_argument("name", help="様式の名前")
    lp.add_argument("-o", "--output", help="書き出すファイル（既定: 様式名.json）")
    lp.add_argument("--db", default=argparse.SUPPRESS, help=DB_HELP)
    lp.add_argument("--data-path", default=argparse.SUPPRESS, help=DATA_PATH_HELP)
    lp = lsub.add_parser("import", help="設定ファイル（JSON）の様式を登録する（同じ名前なら置き換える）")
    lp.add_argument("file", help="様式の設定ファイル（例: data/layouts/ofunato_jimujigyo.json）")
    lp.add_argument("--user", help="記録する登録者名（既定: OSのユーザー名）")
    lp.add_argument("--db", default=argparse.SUPPRESS, help=DB_HELP)
    lp.add_argument("--data-path", default=argparse.SUPPRESS, help=DATA_PATH_HELP)
    sp.set_defaults(func=cmd_layout)

    sp = add("history", "取込履歴を表示する（新しい順）")
    sp.add_argument("--plan", help="この計画の取り込みだけ")
    sp.add_argument("--limit", type=int, default=50, help="表示する件数（既定 50）")
    sp.add_argument("--id", type=int, help="この取込番号で変わった内容を1件ずつ表示")
    sp.add_argument("--era", **ERA_ARG)
    sp.set_defaults(func=cmd_history)

    sp = add("undo", "取り込みを取り消し、その取り込みが変えた値を元に戻す")
    sp.add_argument("id", type=int, help="取込番号（history で確かめる）")
    sp.add_argument("--user", help="記録する操作者名（既定: OSのユーザー名）")
    sp.add_argument("--note", help="取込履歴に残すメモ（取り消しの理由）")
    sp.add_argument("--era", **ERA_ARG)
    sp.set_defaults(func=cmd_undo)

    sp = add("template", "標準テンプレート（空）を書き出す")
    sp.add_argument("-o", "--output", required=True, help="出力ファイル（.xlsx）")
    sp.add_argument("--plan", help="テンプレートに書いておく計画名")
    sp.set_defaults(func=cmd_template)

    sp = add("sheet", "担当課の記入用シート（取組・指標・前年度の値・今年度の計画入り）を書き出す")
    sp.add_argument("--plan", required=True, help="計画名")
    sp.add_argument("--year", required=True, help="報告する年度（2024、令和6年度、R6 など）")
    sp.add_argument("--department", help="担当課（省略すると計画のすべての取組）")
    sp.add_argument("-o", "--output", required=True, help="出力ファイル（.xlsx）。フォルダを指定すると画面と同じファイル名で書く")
    sp.set_defaults(func=cmd_sheet)

    sp = add("export", "縦長の表を書き出す（CSVはUTF-8・BOM付き）")
    sp.add_argument("--what", choices=("values", "grades", "evaluations", "indicators", "items", "statuses",
                                       "narratives", "schedules", "notes"), default="values",
                    help="values 年度値 / grades 取組の評価（自動評価と自己評価とその差） / evaluations 評価 / "
                         "indicators 指標と目標 / items 取組 / statuses 進捗状況 / "
                         "narratives 実施状況 / schedules 工程 / notes 計画の経過・位置付け")
    sp.add_argument("--format", choices=("csv", "xlsx"))
    sp.add_argument("-o", "--output", help="出力ファイル（省略すると標準出力にCSV）")
    sp.add_argument("--plan", help="この計画だけを書き出す")
    # The reader's form, as the ダウンロード page gives it by default; scripts ask for the machine form.
    sp.add_argument("--form", choices=("machine", "people"), default="people",
                    help="people 日本語の見出し・和暦・率は%%（既定。画面と同じ）/ machine 機械処理用（英語の列名・西暦・率は小数）")
    sp.add_argument("--machine", dest="form", action="store_const", const="machine",
                    help="--form machine と同じ（スクリプト向けの固定の英語の列名）")
    sp.add_argument("--era", choices=("wareki", "seireki"), default="wareki", help="日本語の見出しの表の年度の表示")
    sp.set_defaults(func=cmd_export)

    sp = add("pack", "推進委員会の会議資料（PowerPoint・PDF・Excel）を書き出す（会議の前夜の一括作成向け）")
    sp.add_argument("--plan", required=True, help="計画名")
    sp.add_argument("--year", help="この年度までの状況（2024、令和6年度、R6 など。省略すると値のある最新の年度）")
    sp.add_argument("--format", choices=("pptx", "pdf", "xlsx"), help="形式（省略すると出力ファイルの拡張子から）")
    sp.add_argument("-o", "--output", required=True,
                    help="出力ファイル。フォルダを指定すると画面と同じファイル名で書く")
    sp.add_argument("--era", choices=("wareki", "seireki"), default="wareki", help="年度の表示: wareki 和暦（既定）/ seireki 西暦")
    sp.add_argument("--sort", choices=("plan", "lagging_first", "worst_first"), default="plan",
                    help="取組の順番: plan 計画の順（既定）/ lagging_first 遅れている取組を先に / worst_first 評価の低い順")
    sp.add_argument("--lagging-only", action="store_true", help="遅れている取組だけを載せる")
    sp.add_argument("--meeting", help="会議の名前（例: 令和8年度第1回）。これより前の会議の委員意見を載せる")
    sp.add_argument("--meeting-date", help="会議の開催日（例: 2026-07-01）")
    sp.set_defaults(func=cmd_pack)

    sp = add("user", "ユーザーの登録・一覧・停止（1人でも登録するとアプリはサインイン制になる）")
    usub = sp.add_subparsers(dest="user_command", required=True)
    for name, text in (("add", "ユーザーを登録する"), ("set", "役割・所属課・メールを変更する"),
                       ("passwd", "パスワードを変更する"), ("disable", "停止する（サインインできなくする）"),
                       ("enable", "停止を解除する"), ("list", "一覧を表示する"),
                       ("unlock", "パスワードを続けて間違えたための待ち時間を解除する（すべての端末）")):
        u = usub.add_parser(name, help=text, description=text)
        u.add_argument("--db", default=argparse.SUPPRESS, help=DB_HELP)
        u.add_argument("--data-path", default=argparse.SUPPRESS, help=DATA_PATH_HELP)
        u.add_argument("--user", dest="by", help="記録する操作者名（既定: OSのユーザー名）")
        if name == "list":
            continue
        u.add_argument("name", help="ユーザー名（サインインに使う名前）")
        if name in ("add", "set"):
            u.add_argument("--role", choices=("viewer", "editor", "admin"), default="viewer" if name == "add" else None,
                           help="viewer 閲覧 / editor 担当課（入力）/ admin 管理者")
            u.add_argument("--department", action="append",
                           help="所属課（editor は必須。複数なら繰り返す）")
            u.add_argument("--email", help="メールアドレス（OIDCサインインの照合に使う）")
        if name in ("add", "passwd"):
            u.add_argument("--password-stdin", action="store_true", help="パスワードを標準入力の1行から読む")
        if name == "add":
            u.add_argument("--no-password", action="store_true", help="パスワードなし（OIDCでだけサインインする）")
    sp.set_defaults(func=cmd_user)

    sp = add("backup", "データベースのバックアップを作る（取り込みの前にも自動で作られる）")
    sp.add_argument("--list", action="store_true", help="バックアップの一覧を表示する")
    sp.set_defaults(func=cmd_backup)

    sp = add("restore", "バックアップから復元する（アプリを止めてから。復元前の状態もバックアップする）")
    sp.add_argument("file", help="バックアップファイル（backups/kpi-….duckdb）")
    sp.add_argument("--user", help="記録する操作者名（既定: OSのユーザー名）")
    sp.set_defaults(func=cmd_restore)

    from kpi.cli_cycle import add_parser as add_cycle  # issue 20: the cycle's commands live in their own module
    add_cycle(add)
    return p


def main(argv: list[str] | None = None) -> int:
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _TerminalSafe(out), _TerminalSafe(err)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = out, err


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "db"):
        args.db = None
    if not hasattr(args, "data_path"):
        args.data_path = None
    try:
        return args.func(args)
    except KpiError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("中断しました。", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `python -m kpi history | head`: the reader left; say nothing more.
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
