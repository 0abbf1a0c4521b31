"""The committee pack's tables as an Excel workbook: グレード一覧, 遅れ一覧, 指標の年度値, 委員意見.

Headers are Japanese; numbers are numbers (rates as percentages), so the
secretariat can sort and sum. Every cell goes through kpi/outputs/xlsx.py: a title beginning
with =, +, - or @ is text, never a live formula.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kpi.outputs import xlsx
from kpi.outputs.opinions import date_label
from kpi.outputs.pack.layout import clean
from kpi.outputs.pack.slides import Deck
from kpi.rules.fiscal import format_fiscal_year

PERCENT = "0.0%"


@dataclass(frozen=True)
class Sheet:
    name: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    widths: tuple[int, ...]  # characters
    percent_columns: tuple[str, ...] = ()


def sheets(deck: Deck) -> tuple[Sheet, ...]:
    """The tables of the deck's items, in the deck's order."""
    fy = deck.as_of_label
    grades = tuple(
        (s.item_no, s.title, s.path, s.departments, s.auto_grade or None, s.self_grade or None, s.gap or None,
         "遅れ" if s.lagging else None, s.auto_reason or None, comment_text(s.comments) or None)
        for s in deck.items)
    lag_rows = []
    for s in deck.items:
        if not s.lagging:
            continue
        lag_rows.append((s.item_no, s.title, s.departments, s.auto_grade or None, s.self_grade or None,
                         "、".join(dict.fromkeys(r.title for r in s.causes)),
                         "\n".join(f"{r.title}: {r.detail}" for r in s.reasons)))
    values = []
    for s in deck.items:
        for p in s.indicators:
            for point, rate in zip(p.view.points, p.rates):
                values.append((s.item_no, s.title, p.name, p.unit or None, point.fiscal_year,
                               format_fiscal_year(point.fiscal_year, deck.style),
                               point.target_words or point.target, point.actual_words or point.actual,  # 定性: words
                               "見込み" if point.target_estimate or point.actual_estimate else None, rate,
                               point.grade or None))
    opinions = []
    titles = {s.item_no: s.title for s in deck.items}
    for s in deck.items:
        for op in s.opinions:
            opinions.append((op.meeting, date_label(op.meeting_date, deck.style) or None, op.item_no, titles[op.item_no], op.seq,
                             op.opinion, op.response or None, op.response_department or None))
    return (
        # Widths sum to about 160 characters: A4 landscape fitted to width keeps a readable 9–10 pt.
        Sheet("グレード一覧", ("No.", "取組", "体系", "担当課", f"自動評価（{fy}）", f"自己評価（{fy}）", "比較",
                          "遅れ", "自動評価の根拠", "担当課コメント"), grades, (6, 24, 18, 12, 10, 10, 13, 6, 26, 40)),
        Sheet("遅れ一覧", ("No.", "取組", "担当課", "自動評価", "自己評価", "遅れの理由", "詳細"), tuple(lag_rows),
              (6, 30, 16, 9, 9, 30, 60)),
        Sheet("指標の年度値", ("No.", "取組", "指標", "単位", "年度（西暦）", "年度", "計画", "実績", "見込み",
                          "達成率", "評価"), tuple(values), (6, 30, 34, 8, 9, 13, 11, 11, 7, 9, 7),
              percent_columns=("達成率",)),
        Sheet("委員意見", ("会議", "開催日", "No.", "取組", "番号", "委員意見", "回答・対応", "回答課"), tuple(opinions),
              (16, 15, 6, 26, 5, 44, 44, 13)),
    ) + tuple(  # issue 20: the appendix (照会の状況, 目標の修正)
        Sheet(a.title.replace("付録　", "")[:31].replace("/", "・"), a.headers, a.rows, tuple(int(x * 12) for x in a.widths))
        for a in deck.appendix)


def comment_text(comments) -> str:
    """The department's words of the year (slides.Comment) as one cell: heading, then text and issues."""
    parts = []
    for c in comments:
        body = "\n".join(t for t in (c.text, f"課題・今後の方針：{c.issues}" if c.issues else "") if t)
        parts.append(f"【{c.heading}】\n{body}" if body else f"【{c.heading}】")
    return "\n".join(parts)


def to_xlsx(deck: Deck) -> bytes:
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = xlsx.new_workbook()
    head_font = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="E8EEF4")
    for sheet in sheets(deck):
        ws = wb.create_sheet(sheet.name)
        xlsx.append(ws, sheet.headers)
        for cell in ws[1]:
            cell.font, cell.fill = head_font, head_fill
            cell.alignment = Alignment(vertical="center", wrap_text=True)
        pct = {sheet.headers.index(c) for c in sheet.percent_columns}
        for i, row in enumerate(sheet.rows, start=2):
            for j, v in enumerate(row):
                cell = xlsx.write(ws, i, j + 1, clean(v) if isinstance(v, str) else v)
                if cell.data_type == "s":
                    cell.alignment = Alignment(vertical="top", wrap_text=True)
                elif j in pct and cell.value is not None:
                    cell.number_format = PERCENT
        for j, width in enumerate(sheet.widths):
            ws.column_dimensions[ws.cell(row=1, column=j + 1).column_letter].width = width
        ws.freeze_panes = "A2"
        if sheet.rows:
            ws.auto_filter.ref = ws.dimensions
        xlsx.fit_row_heights(ws)
        xlsx.print_setup(ws, title_rows="1:1", footer=f"{deck.plan_name}　{sheet.name}")
    return xlsx.save(wb)
