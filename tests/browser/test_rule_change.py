"""A plan's grading rule changed in a real browser: on the 評価ルール page from a ひな形 with a label of
its own (issue 16), and by an administrator's file, whose preview shows the rule before → after and
waits for its own confirmation (issue 14, item 7). One server for the module: the page's change is
undone (取込履歴) before the file's test, which starts from the custom rule."""

from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import expect
from conftest import NIIGATA_PLAN
from test_rule_cells import ABCD, filled_blank_template, with_custom_rule

from browser.conftest import MENU, Server, shot, wait_idle
from kpi.store.store import Store


@pytest.fixture(scope="module")
def rule_server(tmp_path_factory):
    from conftest import _demo_db
    d = tmp_path_factory.mktemp("rule_server")
    db = d / "kpi.duckdb"
    shutil.copy(_demo_db(tmp_path_factory), db)
    with_custom_rule(db)
    s = Server(db)
    yield s
    if s.proc.poll() is None:
        s.proc.terminate()
        s.proc.wait(timeout=20)
    s.log.close()


def _grid_rows(page, header: str) -> list[list[str]]:
    """A table's rows as the grid's accessible table writes them (the canvas draws the same text)."""
    grid = page.locator('[data-testid="stDataFrame"]').filter(has=page.locator("th", has_text=header)).first
    return [[(c.text_content() or "").strip() for c in row.locator("td").all()]
            for row in grid.locator("tbody tr").all()]


def _open(page, title: str) -> None:
    page.locator(MENU).get_by_role("link", name=title, exact=True).click()
    wait_idle(page)


def _year_grade(page, year: str) -> tuple[str, str]:
    """The item page's 自動評価 and its reason for one year (the 自動評価と自己評価 table)."""
    _open(page, "取組・指標の詳細")
    page.get_by_role("heading", name="自動評価と自己評価").wait_for()
    # the grid fills its accessible table after the heading is drawn (later on a loaded machine):
    # read it again until the year's row is there
    grid = page.locator('[data-testid="stDataFrame"]').filter(has=page.locator("th", has_text="自動評価の根拠")).first
    expect(grid.locator("tbody tr").filter(has=page.locator("td", has_text=year)).first).to_be_attached(timeout=_WAIT)
    rows = _grid_rows(page, "自動評価の根拠")
    (row,) = [r for r in rows if r and r[0] == year]
    return row[1], row[4]


_WAIT = 60_000  # ms; the grid edits rerun the page's preview (two assessments) each time


class _Grid:
    """A data editor driven as a keyboard user drives it: one click on a known cell, then arrow keys,
    Enter to open a cell's editor and Enter to commit. The grid draws on a canvas, but it keeps an
    accessible table of the same cells (td#glide-cell-COL-ROW, aria-selected on the selected one):
    every step waits there until the grid shows what it took, and then until the page shows the
    rule the edit made (the rerun's output), before the next key is pressed."""

    def __init__(self, page, header: str):
        self.page = page
        self.el = page.locator('[data-testid="stDataFrame"]').filter(has=page.locator("th", has_text=header)).first

    def cell(self, col: int, row: int):  # col 0 is the row markers, data columns start at 1
        return self.el.locator(f'[data-testid="glide-cell-{col}-{row}"]')

    def shows(self, col: int, row: int, text: str) -> None:
        expect(self.cell(col, row)).to_have_text(text, timeout=_WAIT)

    def start(self) -> None:
        """Select the first cell with the one click by position (header and a row are 35 px high)."""
        self.el.click(position={"x": 60, "y": 52})
        expect(self.cell(1, 0)).to_have_attribute("aria-selected", "true", timeout=_WAIT)

    def go(self, col: int, row: int) -> None:
        """Move the selection with the arrow keys. The empty row under the last one is not in the
        accessible table: that row is reached from the last row, and left by ArrowUp."""
        here = self.el.locator('td[aria-selected="true"]')
        if here.count() == 0:
            self.page.keyboard.press("ArrowUp")
        expect(here).to_have_count(1, timeout=_WAIT)
        c, r = map(int, re.fullmatch(r"glide-cell-(\d+)-(\d+)", here.get_attribute("id")).groups())
        for key, n in (("ArrowRight", col - c), ("ArrowLeft", c - col), ("ArrowDown", row - r), ("ArrowUp", r - row)):
            for _ in range(max(n, 0)):
                self.page.keyboard.press(key)
        if self.cell(col, row).count() or row == 0:
            expect(self.cell(col, row)).to_have_attribute("aria-selected", "true", timeout=_WAIT)

    def type(self, col: int, row: int, text: str, then: str) -> None:
        """Type into a text or number cell and commit it; the cell then shows the text, and the page
        the text `then`."""
        self.go(col, row)
        self.page.keyboard.press("Enter")  # on the empty last row, Enter adds a row and edits its cell
        editor = self.page.locator("#portal .gdg-input")
        editor.fill(text)
        editor.press("Enter")
        self.shows(col, row, text)
        self.page.get_by_text(then).first.wait_for()

    def choose(self, col: int, row: int, option: str, then: str) -> None:
        """Pick an option of a select cell by typing it: the list narrows to it, Enter takes it (and
        the grid has the keyboard again)."""
        self.go(col, row)
        self.page.keyboard.press("Enter")
        listbox = self.page.locator("#portal").get_by_role("listbox")
        listbox.wait_for()
        self.page.keyboard.type(option)
        expect(listbox.get_by_role("option")).to_have_text([option], timeout=_WAIT)
        self.page.keyboard.press("Enter")
        self.shows(col, row, option)
        self.page.get_by_text(then).first.wait_for()


def test_a_scheme_class_from_its_template_with_a_hand_only_label(rule_server, page):
    page.set_default_timeout(_WAIT)
    page.goto(rule_server.url)  # a fresh server honours deep links only after its first page
    wait_idle(page)
    assert _year_grade(page, "平成30年度")[0] == "B"  # A・B・C・D（市の基準）: 達成率 83.3%
    _open(page, "評価ルール")
    page.get_by_label("ひな形").first.click()
    page.get_by_role("option", name="ひな形: 目標と基準値の併用（A〜D）").click()
    wait_idle(page)
    page.get_by_text("A（目標を達成）: 達成率が100%以上のとき").wait_for()
    grid = _Grid(page, "しきい値（%以上）")
    grid.shows(3, 1, "基準値からの変化率")  # the grid is the template's (a new editor), not the stored rule's
    grid.start()
    # B: beyond the baseline by more than 50 %
    grid.type(4, 1, "50", "B（基準値を上回る）: 基準値からの変化率が+50%超のとき")
    # a new row under D is computed until it is made hand-only, and the page says where it may not stand
    grid.type(1, 4, "E", "5行目（E）: 「それ以外」より下に置けるのは「手動のみ」の区分です")
    grid.choose(2, 4, "手動のみ", "E: 自動では付けず、担当課・推進課が付けます（自己評価で選べます）")
    grid.type(7, 4, "外部要因待ち", "E（外部要因待ち）: 自動では付けず、担当課・推進課が付けます（自己評価で選べます）")
    wait_idle(page)
    assert page.get_by_text("A（目標を達成）: 達成率が100%以上のとき").is_visible()
    assert page.get_by_text("B（基準値を上回る）: 基準値からの変化率が+50%超のとき").is_visible()
    shot(page, "rule_page_mixed_with_hand_only")
    page.get_by_role("button", name="このルールを保存する").click()
    wait_idle(page)
    saved = page.get_by_text("評価ルールを保存しました（取込番号").inner_text()
    upload_id = re.search(r"取込番号 (\d+)", saved).group(1)
    # the item's grade follows the new rule: まちづくりセンター数 +48.6 % on its baseline is C now
    grade, reason = _year_grade(page, "平成30年度")
    shot(page, "rule_page_item_after")
    assert grade == "C"
    assert "基準値からの変化率 48.6%（(55 − 37) ÷ 37 = 48.6%）が C の基準（基準値から-10%以上）を満たすため C" in reason
    # undone on 取込履歴, the plan grades by its old rule again, exactly as before
    _open(page, "取込履歴")
    page.get_by_text(f"取込番号 {upload_id} を取り消し、変更前の値に戻します").click()
    wait_idle(page)
    page.get_by_role("button", name="この取り込みを取り消す").click()
    wait_idle(page)
    page.get_by_text(f"取込番号 {upload_id} を取り消しました").wait_for()
    grade, reason = _year_grade(page, "平成30年度")
    assert grade == "B" and "達成率 83.3%（55 ÷ 66 = 83.3%）が B の基準（80%以上）を満たすため B" in reason


def test_rule_change_is_previewed_and_confirmed(rule_server, page, tmp_path):
    path = filled_blank_template(tmp_path / "推進課.xlsx", actual=55, grade="C")
    page.goto(rule_server.url + "/upload")
    wait_idle(page)
    page.locator('input[type="file"]').set_input_files(str(path))
    wait_idle(page)
    page.get_by_text("評価方式（評価ルール）が変わります").wait_for()
    assert page.get_by_text("「A・B・C・D（市の基準）」（A: 100%以上 / B: 80%以上 / C: 60%以上").first.is_visible()
    button = page.get_by_role("button", name="取り込む")
    assert button.is_disabled()
    shot(page, "upload_rule_change_preview")
    page.get_by_text("評価方式の変更を確認しました").click()
    wait_idle(page)
    assert button.is_enabled()
    button.click()
    wait_idle(page)
    page.get_by_text("取り込みました（取込番号").wait_for()
    # the rule page of the same server shows the new rule
    page.goto(rule_server.url + "/settings")
    wait_idle(page)
    page.get_by_text("現在のルール").wait_for()
    assert page.get_by_text("A・B・C（達成率）").first.is_visible()
    shot(page, "upload_rule_change_settings_after")
    rule_server.proc.terminate()  # the database file opens in one process at a time
    rule_server.proc.wait(timeout=20)
    s = Store.open(rule_server.db, read_only=True)
    try:
        assert s.rule(s.plan_by_name(NIIGATA_PLAN).plan_id) != ABCD
    finally:
        s.close()
