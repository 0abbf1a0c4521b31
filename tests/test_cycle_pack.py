"""The committee pack's appendix (issue 20): the status board of the call (overdue departments marked)
and the revised targets with 当初 and 修正 side by side, in the PDF, the PowerPoint and the Excel."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from conftest import TODAY
from helpers import DEPT_PLAN, department_plan
from pypdf import PdfReader

from kpi.access.permissions import Actor
from kpi.cycle import calls
from kpi.intake.pipeline import commit, prepare
from kpi.outputs.pack import file_bytes
from kpi.outputs.pack.appendix import cycle_appendix
from kpi.outputs.pack.layout import pages
from kpi.outputs.pack.slides import build_deck

ADMIN = Actor("推進 一郎", "admin")


@pytest.fixture
def deck(store, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("KPI_TODAY", "2025-06-03")
    commit(store, [prepare(store, department_plan(tmp_path / "plan.xlsx"), today=TODAY)], ADMIN)
    plan = store.plan_by_name(DEPT_PLAN).plan_id
    path = department_plan(tmp_path / "rev.xlsx", only=[1])
    wb = openpyxl.load_workbook(path)
    for row in wb["年度値"].iter_rows(min_row=2):
        if row[2].value == "2022年度":
            row[3].value = 45
    wb.save(path)
    commit(store, [prepare(store, path, today=TODAY)], ADMIN, note="中間見直しで上方修正")
    calls.open_new(store, ADMIN, plan, 2022, ["年度"], date(2025, 5, 31))
    commit(store, [prepare(store, department_plan(tmp_path / "z.xlsx", only=[2], actual={(2, 2022): 55}),
                           today=TODAY)], Actor("財政 次郎", "editor", ("財政課",)))
    d = build_deck(store.load_plan(plan), store.rule(plan), as_of_fy=2022, today=TODAY)
    return replace(d, appendix=cycle_appendix(store, plan, date(2025, 6, 3)))


def test_the_appendix_pages_follow_the_items(deck):
    kinds = [(p.kind, p.title) for p in pages(deck)]
    assert kinds[-2:] == [("appendix", "付録　令和4年度 年度評価の照会の状況"), ("appendix", "付録　目標の修正（当初・修正）")]


def test_the_pdf_shows_the_board_and_both_targets(deck):
    reader = PdfReader(io.BytesIO(file_bytes(deck, "pdf")))
    board, revised = (reader.pages[-2].extract_text().replace(" ", "").replace("\n", ""),
                      reader.pages[-1].extract_text().replace(" ", "").replace("\n", ""))
    assert "1/2課提出済、うち確認待ち1課、1課期限切れ" in board
    assert "【期限切れ】市民協働課" in board and "提出済（確認待ち）" in board
    assert "当初" in revised and "修正" in revised and "40" in revised and "45" in revised
    assert "中間見直しで上方修正" in revised


def test_the_workbook_has_the_appendix_sheets(deck):
    wb = openpyxl.load_workbook(io.BytesIO(file_bytes(deck, "xlsx")))
    board = [[c.value for c in r] for r in wb["令和4年度 年度評価の照会の状況"].iter_rows()]
    assert board[0][:2] == ["担当課", "状況"]
    assert {r[0]: r[1] for r in board[1:]} == {"市民協働課": "未提出・期限切れ（3日経過）", "財政課": "提出済（確認待ち）・期限後の提出"}
    rev = [[c.value for c in r] for r in wb["目標の修正（当初・修正）"].iter_rows()]
    assert rev[0] == ["No.", "目標", "当初", "修正", "修正日", "修正した人", "理由"]
    assert rev[1][:4] == ["1", "指標1 令和4年度の計画値", "40", "45"] and rev[1][5:] == ["推進 一郎", "中間見直しで上方修正"]


def test_the_powerpoint_has_the_appendix(deck):
    from pptx import Presentation
    prs = Presentation(io.BytesIO(file_bytes(deck, "pptx")))
    last = " ".join(sh.text_frame.text if sh.has_text_frame else
                    " ".join(c.text for r in sh.table.rows for c in r.cells) if sh.has_table else ""
                    for sh in prs.slides[-2].shapes)
    assert "令和4年度 年度評価の照会の状況" in last and "【期限切れ】市民協働課" in last
