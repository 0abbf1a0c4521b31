"""Command line for IT staff and batch jobs: python -m kpi COMMAND.

Every command takes --db PATH (default data/kpi.duckdb; the KPI_DB
environment variable overrides the default). Problems are printed in Japanese
with sheet and cell; the exit status is 0 on success and 1 on any error.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from kpi.errors import KpiError


def _store(args):
    from kpi.store import Store
    return Store.open(args.db)


def _user(args) -> str:
    if getattr(args, "user", None):
        return args.user
    try:
        return f"{getpass.getuser()}（コマンド）"
    except (KeyError, OSError):
        return "コマンド"


def cmd_demo(args) -> int:
    from kpi.demo import load_demo
    store = _store(args)
    report = load_demo(store)
    for name in report.loaded:
        print(f"読み込みました: {name}")
    for file, reason in report.skipped:
        print(f"読み込めませんでした: {file}: {reason}", file=sys.stderr)
    print(f"データベース: {store.path}")
    return 0


def cmd_import(args) -> int:
    from kpi.importing import commit, prepare
    store = _store(args)
    prepared = [prepare(store, Path(f), Path(f).name, plan_name=args.plan) for f in args.files]
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
                    print(f"    {c.describe()}")
    if failed:
        n = sum(len(p.errors) for p in prepared)
        print(f"エラーが {n} 件あるため、何も取り込んでいません。", file=sys.stderr)
        return 1
    if args.dry_run:
        print("確認のみ（--dry-run）: データベースは変更していません。")
        return 0
    results = commit(store, prepared, _user(args))
    for prep, res in zip(prepared, results):
        if res.upload_id is None:
            print(f"{prep.file_name}: 変更はありません（同じ内容が登録済みです）")
        else:
            print(f"{prep.file_name}: 取り込みました（取込番号 {res.upload_id}、新規 {len(res.changes.inserts)} 件、"
                  f"変更 {len(res.changes.updates)} 件）")
    return 0


def cmd_template(args) -> int:
    from kpi.importers.canonical import write_template
    write_template(args.output, plan_name=args.plan or "")
    print(f"テンプレートを書き出しました: {args.output}")
    return 0


def cmd_export(args) -> int:
    from kpi.export import write
    store = _store(args)
    fmt = args.format or ("xlsx" if args.output and str(args.output).lower().endswith(".xlsx") else "csv")
    data = write(store, args.what, fmt, Path(args.output) if args.output else None, plan=args.plan)
    if not args.output:
        if fmt == "xlsx":
            print("xlsx は -o でファイル名を指定してください", file=sys.stderr)
            return 1
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m kpi", description="計画進捗ダッシュボードのコマンド")
    p.add_argument("--db", help="データベースファイル（既定: data/kpi.duckdb、環境変数 KPI_DB で変更可）")
    sub = p.add_subparsers(dest="command", required=True)

    def add(name: str, help_text: str):
        sp = sub.add_parser(name, help=help_text, description=help_text)
        sp.add_argument("--db", default=argparse.SUPPRESS, help="データベースファイル")
        return sp

    sp = add("demo", "デモ用の計画（data/samples のブック）を読み込む")
    sp.set_defaults(func=cmd_demo)

    sp = add("import", "Excelブックを取り込む（すべて成功したときだけ書き込む）")
    sp.add_argument("files", nargs="+", help=".xlsx ファイル")
    sp.add_argument("--dry-run", action="store_true", help="確認だけして書き込まない")
    sp.add_argument("--plan", help="取り込み先の計画名（シートに計画名がない様式のとき）")
    sp.add_argument("--user", help="記録する取込者名（既定: OSのユーザー名）")
    sp.add_argument("-v", "--verbose", action="store_true", help="変更内容を1件ずつ表示")
    sp.set_defaults(func=cmd_import)

    sp = add("template", "標準テンプレート（空）を書き出す")
    sp.add_argument("-o", "--output", required=True, help="出力ファイル（.xlsx）")
    sp.add_argument("--plan", help="テンプレートに書いておく計画名")
    sp.set_defaults(func=cmd_template)

    sp = add("export", "縦長の表を書き出す（CSVはUTF-8・BOM付き）")
    sp.add_argument("--what", choices=("values", "evaluations", "indicators"), default="values")
    sp.add_argument("--format", choices=("csv", "xlsx"))
    sp.add_argument("-o", "--output", help="出力ファイル（省略すると標準出力にCSV）")
    sp.add_argument("--plan", help="この計画だけを書き出す")
    sp.set_defaults(func=cmd_export)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "db"):
        args.db = None
    try:
        return args.func(args)
    except KpiError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("中断しました。", file=sys.stderr)
        return 130
