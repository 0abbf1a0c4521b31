"""Workbooks in layouts the code has never seen, modelled on published municipal sheets, built here
so the tests can teach them (kpi/intake/layouts/profile.py) and read them back cell for cell."""

from __future__ import annotations

import io

from openpyxl import Workbook


def _bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def two_row_header(*, insert_column: bool = False) -> bytes:
    """実施計画 進捗一覧: a title row, a two-row header whose year cells are merged over 計画 / 実績,
    one row per indicator with the item's cells merged down, messy values."""
    wb = Workbook()
    ws = wb.active
    ws.title = "進捗一覧"
    ws["A1"] = "第2次実施計画 進捗状況一覧（令和6年度）"
    head = ["No.", "事業名", "担当課", "指標名", "単位", "基準値", "目標値"]
    if insert_column:
        head.insert(2, "所管部")
    for i, h in enumerate(head, start=1):
        ws.cell(3, i, h)
        ws.merge_cells(start_row=3, start_column=i, end_row=4, end_column=i)
    c0 = len(head) + 1
    for k, year in enumerate(["令和4年度", "令和5年度", "令和6年度"]):
        c = c0 + 2 * k
        ws.cell(3, c, year)
        ws.merge_cells(start_row=3, start_column=c, end_row=3, end_column=c + 1)
        ws.cell(4, c, "計画")
        ws.cell(4, c + 1, "実績")
    rows = [
        ["1", "子育て支援センター運営", "子育て支援課", "利用者数", "人", "12,000", "15,000",
         "13,000", "12,850", "１４，０００", "13,920", "14,500", "14,100(見込み)"],
        [None, None, None, "相談件数", "件", 320, 400, 350, "341", 370, "―", 390, "29（4）"],
        ["2", "地域防災訓練", "危機管理課", "訓練参加率", "％", 0.3, 0.5, 0.35, 0.3125, 0.4, 0.38, 0.45, 0.41],
    ]
    for r, row in enumerate(rows, start=5):
        if insert_column:
            row = row[:2] + ["部"] + row[2:]
        for c, v in enumerate(row, start=1):
            if v is not None:
                ws.cell(r, c, v)
    ws.merge_cells(start_row=5, start_column=1, end_row=6, end_column=1)
    ws.merge_cells(start_row=5, start_column=2, end_row=6, end_column=2)
    ws.merge_cells(start_row=5, start_column=3, end_row=6, end_column=3)
    return _bytes(wb)


def wareki_header() -> bytes:
    """行政評価 指標一覧: one header row with 和暦 years written as 'H30実績', 'R元実績', 'R2目標' …, a
    subtotal row and a header repeated at a page break."""
    wb = Workbook()
    ws = wb.active
    ws.title = "指標一覧"
    head = ["施策番号", "施策名", "成果指標", "単位", "H30実績", "R元実績", "R2実績", "R3目標", "自己評価", "評価コメント"]
    for c, h in enumerate(head, start=1):
        ws.cell(1, c, h)
    data = [
        ["1-1", " 市民協働の推進", "協働事業数", "件", "12", "１５", 18, "20", "A", "順調に増えている"],
        ["1-2", "情報発信の充実", "ホームページ閲覧数", "件", "100,000", "112,345", "‐", "120,000", "B", "集計方法変更"],
        ["小計", None, None, None, None, None, None, None, None, None],
        head,
        ["2-1", "健康づくり\n推進", "特定健診受診率", "％", 41.2, "42.0", "－", "45", "C", " 受診率が伸び悩み"],
    ]
    for r, row in enumerate(data, start=2):
        for c, v in enumerate(row, start=1):
            if v is not None:
                ws.cell(r, c, v)
    return _bytes(wb)


def sheet_per_department() -> bytes:
    """取組の進捗管理表, one sheet per department (the sheet name is the 担当課), the same header on
    each, years as 西暦."""
    wb = Workbook()
    wb.remove(wb.active)
    books = {
        "総務課": [["A-1", "文書管理の電子化", "電子決裁率", "%", "45.5", "60", "62.3"]],
        "企画政策課": [["B-1", "移住定住の促進", "移住相談件数", "件", 80, "100", "―"],
                     ["B-2", "ふるさと納税の推進", "寄附件数", "件", "3,200", "3,500", "3,811"]],
    }
    for name, rows in books.items():
        ws = wb.create_sheet(name)
        ws["A1"] = f"{name} 取組の進捗管理表"
        for c, h in enumerate(["取組番号", "取組名", "指標", "単位", "2023年度実績", "2024年度目標", "2024年度実績"],
                              start=1):
            ws.cell(2, c, h)
        for r, row in enumerate(rows, start=3):
            for c, v in enumerate(row, start=1):
                ws.cell(r, c, v)
    return _bytes(wb)


# 事務事業評価シート in brief: one row per 事業, an 活動指標 and a 成果指標 side by side, two years of 計画・実績.
KIND_HEAD = ["事業ID", "事業名", "担当課", "活動指標", "単位", "成果指標", "単位",
             "R5計画 活動", "R5計画 成果", "R5実績 活動", "R5実績 成果", "R6計画 活動", "R6計画 成果",
             "R6実績 活動", "R6実績 成果"]
KIND_ROWS = [
    ["101", "子育て講座", "子育て支援課", "講座の開催回数", "回", "参加者の満足度", "％", 10, 80, 10, 82, 12, 85, 12, 86],
    ["102", "健康教室", "健康推進課", "教室の開催回数", "回", "受講後の運動習慣者の割合", "％", 20, 40, 8, 41, 20, 45, 6, 46],
    ["103", "空き家対策", "都市計画課", "相談会の開催回数", "回", "除却された空き家の数", "件", 4, 30, 4, 9, 4, 40, 5, 7],
    ["104", "図書館運営", "生涯学習課", None, None, "図書の貸出冊数", "冊", None, 1000, None, 1050, None, 1100, None, 1120],
]


def kinds_book() -> bytes:
    """102 falls short on its 活動指標 only, 103 on its 成果指標 only, 104 has a 成果指標 alone: what a
    kind filter tells apart."""
    wb = Workbook()
    ws = wb.active
    ws.title = "事務事業"
    for r, row in enumerate([KIND_HEAD, *KIND_ROWS], start=1):
        for c, v in enumerate(row, start=1):
            if v is not None:
                ws.cell(r, c, v)
    return _bytes(wb)


KIND_PROFILE = dict(header_rows=[1], first_data_row=2, plan_name="事務事業評価（種類）",
                    item={"item_no": "A", "title": "B", "department": "C"},
                    indicators=[{"kind": "活動", "label": "ア", "name": "D", "unit": "E", "value": "H"},
                                {"kind": "成果", "label": "サ", "name": "F", "unit": "G", "value": "I"}],
                    year_blocks=[{"fiscal_year": 2023, "kind": "target", "shift": 0},
                                 {"fiscal_year": 2023, "kind": "actual", "shift": 2},
                                 {"fiscal_year": 2024, "kind": "target", "shift": 4},
                                 {"fiscal_year": 2024, "kind": "actual", "shift": 6}])
