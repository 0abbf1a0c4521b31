"""Teaching the real 大船渡市 workbook on the upload page in chromium (issue 19): mapped by hand,
imported, three indicators checked against the sheet's cells, and the next upload recognised."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from conftest import ROOT

from browser.conftest import serve_copy, shot, wait_idle
from browser.test_upload import open_upload
from kpi.intake.workbook import read_workbook
from kpi.rules.numbers import parse_number
from kpi.store.store import Store

OFUNATO = ROOT.parent / "shared" / "samples" / "real" / "ofunato_jimujigyo_r7_report.xlsx"
GROUPS = """活動 ア BB BC CD
活動 イ BD BE CE
活動 ウ BF BG CF
対象 カ BH BI CG
対象 キ BJ BK CH
対象 ク BL BM CI
成果 サ BN BO CJ
成果 シ BP BQ CK
成果 ス BR BS CL"""
YEARS = "R2 実績 0\nR3 実績 19\nR4 実績 38\nR5 実績 57\nR6 実績 76\nR7 計画 95"
# (事業ID, 指標, the cell column of block 1 for 成果サ): three indicators as a person reads them
CHECKS = [("0833", "対象者の二十歳のつどい出席率"), ("0086", "処理して改善された不法投棄箇所の数"),
          ("0090", "貸付件数（新規貸付件数）")]


@pytest.fixture
def teach_server(tmp_path_factory):
    """Its own server: the test stops it to read the database (DuckDB allows one writer process)."""
    from conftest import _demo_db
    s = serve_copy(tmp_path_factory, _demo_db(tmp_path_factory), "teach")
    yield s
    s.stop()


def type_in(page, label: str, text: str, *, area: bool = False) -> None:
    box = page.get_by_label(label, exact=True).first
    box.fill(text)
    box.press("Control+Enter" if area else "Enter")
    wait_idle(page)


@pytest.mark.skipif(not OFUNATO.exists(), reason=f"{OFUNATO} がありません（../shared の実データ）")
def test_ofunato_mapped_by_hand_on_the_page(teach_server, page):
    server = teach_server
    open_upload(server, page)
    page.locator('input[type="file"]').set_input_files(str(OFUNATO))
    wait_idle(page)
    page.get_by_text("どの様式にも当てはまりませんでした").first.wait_for()
    type_in(page, "見出しの行（複数行は 3,4）", "2")
    type_in(page, "データの最初の行", "3")
    type_in(page, "取組番号の列", "H")
    type_in(page, "取組名の列", "I")
    type_in(page, "担当課の列", "U")
    type_in(page, "指標（種類 記号 名称 単位 値 [基準値 目標値]）", GROUPS, area=True)
    type_in(page, "年度の割り当て", YEARS, area=True)
    type_in(page, "様式の名前", "大船渡市事務事業評価")
    type_in(page, "取り込み先の計画名", "大船渡市 事務事業評価")
    page.get_by_role("button", name="この設定で試しに読む").click()
    wait_idle(page)
    page.get_by_role("button", name="様式として保存する").wait_for()
    shot(page, "teach_ofunato_trial")
    page.get_by_role("button", name="様式として保存する").click()
    wait_idle(page)
    page.get_by_text("様式「大船渡市事務事業評価」を保存しました").wait_for()
    # the book is read again with the saved layout; on a loaded machine its preview comes later
    expect(page.get_by_text("登録した様式「大船渡市事務事業評価」").first).to_be_visible(timeout=60_000)
    accept = page.get_by_text(re.compile(r"注意 \d+ 件を確認しました"))
    accept.click()
    wait_idle(page)
    page.get_by_role("button", name="取り込む").click()
    wait_idle(page)
    page.get_by_text(re.compile(r"取り込みました（取込番号 \d+")).wait_for()
    shot(page, "teach_ofunato_done")

    open_upload(server, page)
    page.locator('input[type="file"]').set_input_files(str(OFUNATO))
    wait_idle(page)
    page.get_by_text("変更はありません。同じ内容がすでに登録されています。").wait_for()
    expect(page.get_by_text("登録した様式「大船渡市事務事業評価」").first).to_be_visible(timeout=60_000)
    shot(page, "teach_ofunato_again")
    server.stop()

    sheet = read_workbook(OFUNATO).sheets[0]
    store = Store.open(server.db, read_only=True)
    try:
        plan = store.load_plan(store.plan_by_name("大船渡市 事務事業評価").plan_id)
        for item_no, name in CHECKS:
            ind = next(i for i in plan.item(item_no).indicators if i.name == name)
            row = next(r for r in range(3, sheet.max_row + 1) if sheet.raw(r, 8) == item_no)
            cells = [parse_number(sheet.raw(row, 88 + 19 * b)).value for b in range(6)]  # CJ, DC, DV, EO, FH, GA
            got = [(ind.year(fy).actual if ind.year(fy) else None) for fy in range(2020, 2025)]
            got.append(ind.year(2025).target)
            assert got == cells, (item_no, name)
    finally:
        store.close()
