"""The blank standard template (標準テンプレート) as a workbook: the sheets, headers and drop-down lists the
reader in kpi/intake/layouts/canonical.py expects, with every cell a person may type into unlocked and yellow
(kpi/outputs/department_sheet.py fills the same base with a department's rows)."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from kpi.intake.layouts.canonical import (
    COLUMNS,
    SHEET_EVALS,
    SHEET_HELP,
    SHEET_INDICATORS,
    SHEET_ITEMS,
    SHEET_PLAN,
    SHEET_VALUES,
)
from kpi.outputs import xlsx
from kpi.rules.grading import PRESETS
from kpi.vocabulary import DIRECTION_LABELS, STAGES, STATUSES

HELP_ROWS: tuple[tuple[str, str], ...] = (
    ("このブックについて", "計画の進捗を1行ずつ記入する標準様式です。黄色の欄に記入します。ほかのセルは、書いても読み込まれないため保護してあります（パスワードなし）。"
                      "シート名と見出し行は変更しないでください。体系の列を増やすときなどは、保護を解除すれば列の追加・入れ替えもできます（見出しで読み込みます）。"),
    ("計画", "計画名・自治体・計画期間など。計画名は必須です（取り込み先の計画を画面で選んだ場合は省略できます）。"),
    ("取組", "1取組1行。No. は計画の中で重複しない番号。体系1・体系2…に上位の項目（方針・施策など）を上から順に書きます。担当課は「、」区切りで、主担当に●を付けます（例: 市民協働課●、中央公民館）。関連課は（ ）で囲みます。"),
    ("指標", "1指標1行。方向は「高いほど良い」「低いほど良い」。空欄なら基準値と最終目標から判断します。累計の指標は「累計」欄に○。最終目標が数値でないとき（継続実施など）は「最終目標（文章）」へ。"
           "年度ごとの計画・実績を数値でなく文章で書く指標（定性の指標。例: 計画「把握」→ 実績「実施」）は「定性」欄に○"
           "（空欄は登録済みのまま、× で数値の指標に戻します）。"),
    ("年度値", "1指標×1年度で1行。計画と実績を書きます。見込みの値は 930(見込み) のように書きます。値がないときは空欄か「―」。0 は 0 として扱います。"
             "備考は、その年度の値についての説明として保存し、取組の詳細と書き出しに表示します。"
             "定性の指標（指標シートの「定性」に○）は、計画と実績に文章を書きます（例: 計画「把握」・実績「実施」、"
             "計画「検討」・実績「実施済」）。文章の実績は、評価ルールの「文章の実績の評価」（例: 実施 = 達成、実施済 = A）で"
             "自動で評価し、ルールにない文章は評価シートの評価（自己評価）で評価します。数値の指標の計画・実績に文章を書くと、"
             "セル番地を示してエラーになります。"),
    ("評価", "段階は 上半期・年度・中間・計画期間 のいずれか。評価は計画で定めた区分（例: A・B・C）で書きます。上半期は「順調」「進捗に遅れあり」などでも構いません。"
           "「手動のみ」の区分（例: 外部要因待ちの D、進捗なし・終了の ×）は自動評価では付かないため、ここに書きます。"
           "評価できないときは、計画で定めた表示（例: 目標がない指標は「評価なし」、測定できないときは「−」）や"
           "評価外の状態（完了・未着手・評価対象外 など）を書けます。使える区分と表示は「評価ルール」画面の一覧のとおりです。"),
    ("状況（任意のシート）", "取組の実施状況を1取組×1年度で1行: No.・年度・状況（" + "・".join(STATUSES) + "、✓・◇・・ の記号も可）・説明。"
                         "シートがなくても取り込めます。ホーム画面の「実施状況と達成状況」は、この状況（未着手・取組中・完了の3段階）"
                         "と評価シートの評価を数えます。"),
    ("年度の書き方", "平成27年度、H27、令和元年度、R3、2021年度、2021 のどれでも読み込めます。平成31年度と令和元年度はどちらも2019年度です。"),
    ("数値の書き方", "1,090 / ５１８（全角）/ 22.8% / 930(見込み) / △5（マイナス）が読めます。文字（例: 未定）は数値の欄に書けません（定性の指標を除く）。"),
)


def header_row(sheet_name: str) -> list[str]:
    cols = COLUMNS[sheet_name]
    return [aliases[0] for aliases in cols.values()]


# Drop-down lists of the template: sheet → (column, choices, message when something else is typed)
_LISTS = {SHEET_EVALS: ("段階", STAGES, f"{'・'.join(STAGES)} から選んでください"),
          SHEET_INDICATORS: ("方向", tuple(DIRECTION_LABELS.values()), None)}


def template_workbook(*, plan_name: str = "", municipality: str = "", start_fy: int | None = None,
                      end_fy: int | None = None, levels: int = 3):
    """The template as an openpyxl workbook, every cell locked and no sheet protected yet: the base
    of the blank template (write_template opens its input columns) and of the department sheet
    (kpi/outputs/department_sheet.py opens the cells of its rows)."""
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = xlsx.new_workbook()
    head_font = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDE7F0")
    ws = wb.create_sheet(SHEET_HELP)
    xlsx.append(ws, ["項目", "説明"])
    for row in HELP_ROWS:
        xlsx.append(ws, row)
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 110
    for row in ws.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")

    plan = wb.create_sheet(SHEET_PLAN)
    xlsx.append(plan, ["項目", "内容"])
    for label, value in (("計画名", plan_name), ("自治体", municipality),
                         ("種類", ""), ("開始年度", f"{start_fy}年度" if start_fy else ""),
                         ("終了年度", f"{end_fy}年度" if end_fy else ""),
                         ("階層名", "／".join(f"体系{i}" for i in range(1, levels + 1))),
                         ("評価方式", PRESETS["abc"].name), ("説明", "")):
        xlsx.append(plan, [label, value])
    plan.column_dimensions["A"].width = 14
    plan.column_dimensions["B"].width = 60

    sheets = {
        SHEET_ITEMS: [f"体系{i}" for i in range(1, levels + 1)] + header_row(SHEET_ITEMS),
        SHEET_INDICATORS: header_row(SHEET_INDICATORS),
        SHEET_VALUES: header_row(SHEET_VALUES),
        SHEET_EVALS: header_row(SHEET_EVALS),
    }
    widths = {"取組名": 36, "指標名": 36, "担当課": 22, "現状と課題": 40, "目的": 30, "取組の内容": 40,
              "取組の状況": 50, "課題・今後の方針": 50, "最終目標（文章）": 20, "備考": 20}
    for name, headers in sheets.items():
        ws = wb.create_sheet(name)
        xlsx.append(ws, headers)
        for i, h in enumerate(headers, start=1):
            cell = ws.cell(row=1, column=i)
            cell.font = head_font
            cell.fill = head_fill
            ws.column_dimensions[cell.column_letter].width = widths.get(h, 14 if not h.startswith("体系") else 24)
        ws.freeze_panes = "A2"
        if name in _LISTS:
            column, options, error = _LISTS[name]
            dv = xlsx.list_validation(options, error)
            ws.add_data_validation(dv)
            dv.add(f"{_col(headers, column)}2:{_col(headers, column)}2000")
    return wb


def write_template(target: str | Path | BinaryIO | None = None, *, plan_name: str = "", municipality: str = "",
                   start_fy: int | None = None, end_fy: int | None = None, levels: int = 3) -> bytes:
    """Write a blank template: yellow, unlocked input columns (and the 計画 sheet's values) on protected
    sheets, so that every cell a person can type into is one the importer reads."""
    wb = template_workbook(plan_name=plan_name, municipality=municipality, start_fy=start_fy, end_fy=end_fy,
                           levels=levels)
    for ws in wb.worksheets:
        if ws.title == SHEET_PLAN:
            for r in range(2, ws.max_row + 1):
                xlsx.open_cell(ws.cell(row=r, column=2))
            xlsx.protect(ws)
        elif ws.title == SHEET_HELP:
            xlsx.protect(ws)
        else:  # 取組・指標・年度値・評価: every column with a header, as many rows as the plan needs
            for c in range(1, ws.max_column + 1):
                xlsx.open_column(ws, c)
            xlsx.protect(ws, rows=True)
    data = xlsx.save(wb)
    if target is not None:
        if isinstance(target, (str, Path)):
            Path(target).write_bytes(data)
        else:
            target.write(data)
    return data


def _col(headers: list[str], name: str) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(headers.index(name) + 1)
