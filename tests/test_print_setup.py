"""The committee pack's Excel and the department sheet as they come out of a printer (issue 18 items 4 and 5).

Before: the pack printed as 17 portrait pages of one to three columns with headers over values; the
department sheet as 19–20 pages, 指標名 cut before 「(累計)」, multi-line comments showing one line,
no 取組名 on the 評価 sheet and a grade drop-down that took any typed value. The page setup is read
back with openpyxl, and LibreOffice prints both to PDF (pages counted, page images kept in
tests/_artifacts/ to look at).
"""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date

import pytest
from conftest import NIIGATA_PLAN, ROOT
from openpyxl import load_workbook
from pypdf import PdfReader

from kpi.outputs.department_sheet import TITLE_REFERENCE, sheet_for
from kpi.outputs.pack import pack_file
from kpi.outputs.pack.slides import build_deck
from kpi.outputs.xlsx import LINE_POINTS, display_width
from kpi.store.store import Store

TITLE = "地域活動の担い手を育む仕組みづくり"
CUMULATIVE = "コミュニティ・コーディネーター育成講座受講者数(累計)"
ARTIFACTS = ROOT / "tests" / "_artifacts"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from conftest import _demo_db
    store = Store.open(_demo_db(tmp_path_factory))
    info = store.plan_by_name(NIIGATA_PLAN)
    deck = build_deck(store.load_plan(info.plan_id), store.rule(info.plan_id), today=date(2026, 12, 1))
    pack = pack_file(deck, "xlsx").data
    sheet = sheet_for(store, NIIGATA_PLAN, "2018", None, date(2026, 12, 1)).data
    store.close()
    return pack, sheet


def _a4_fitted_to_width(ws, landscape: bool = True) -> None:
    ps = ws.page_setup
    assert (int(ps.paperSize), ps.orientation) == (9, "landscape" if landscape else "portrait"), ws.title
    assert (ps.fitToWidth, ps.fitToHeight) == (1, 0), ws.title
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True, ws.title


def test_pack_excel_prints_a4_landscape_with_headers_repeated_and_the_departments_comment(files):
    wb = load_workbook(io.BytesIO(files[0]))
    for ws in wb.worksheets:
        _a4_fitted_to_width(ws)
        assert ws.print_title_rows == "$1:$1", ws.title
        assert all(c.alignment.wrap_text for c in ws[1]), ws.title
    ws = wb["グレード一覧"]
    head = [c.value for c in ws[1]]
    assert head[-1] == "担当課コメント"
    comment = ws.cell(row=2, column=len(head)).value
    assert comment.startswith("【平成30年度　年度評価　C】") and "まちづくりセンターについて" in comment
    assert ws.cell(row=2, column=len(head)).alignment.wrap_text
    # the row is as tall as its wrapped text, so nothing prints over the next row
    assert ws.row_dimensions[2].height >= 10 * LINE_POINTS
    assert ws.row_dimensions[1].height >= 2 * LINE_POINTS  # 「自動評価（平成30年度）」 on two lines


def test_department_sheet_names_the_item_everywhere_shows_whole_names_and_prints(files):
    wb = load_workbook(io.BytesIO(files[1]))
    for ws in wb.worksheets:
        _a4_fitted_to_width(ws, landscape=ws.title not in ("記入方法", "計画"))
        assert ws.print_area, ws.title
    values, evals = wb["年度値"], wb["評価"]
    assert values.print_title_rows == "$1:$1" and evals.print_title_rows == "$1:$1"
    for ws in (values, evals):
        head = [c.value for c in ws[1]]
        col = head.index(TITLE_REFERENCE) + 1
        assert {ws.cell(row=r, column=col).value for r in range(2, ws.max_row + 1)} == {
            wb["取組（参考）"].cell(row=2, column=[c.value for c in wb["取組（参考）"][1]].index("取組名") + 1).value}
        assert ws.cell(row=2, column=col).value.startswith(TITLE)
    name_col = [c.value for c in values[1]].index("指標名") + 1
    assert values.column_dimensions[values.cell(row=1, column=name_col).column_letter].width >= display_width(CUMULATIVE)
    status = evals.cell(row=2, column=[c.value for c in evals[1]].index("取組の状況") + 1)
    assert "\n" in status.value and status.alignment.wrap_text  # a multi-line comment shows every line
    assert evals.row_dimensions[2].height >= status.value.count("\n") * LINE_POINTS
    (dv,) = [d for d in evals.data_validations.dataValidation if "D2" in str(d.sqref)]
    assert dv.errorStyle == "stop" and dv.showErrorMessage is True  # a typed grade not in the list is refused


def _print(xlsx: bytes, name: str, tmp_path) -> PdfReader:
    src = tmp_path / f"{name}.xlsx"
    src.write_bytes(xlsx)
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(src)], check=True, capture_output=True, timeout=180)
    pdf = tmp_path / f"{name}.pdf"
    if shutil.which("pdftoppm"):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(ARTIFACTS / name)], check=True, timeout=120)
    return PdfReader(pdf)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) がありません: scripts/test.sh が入れます")
def test_libreoffice_prints_one_landscape_a4_page_per_table(files, tmp_path):
    pack = _print(files[0], "print_pack_niigata", tmp_path)
    assert len(pack.pages) == 4  # グレード一覧, 遅れ一覧, 指標の年度値, 委員意見 (was 17 portrait pages)
    for p in pack.pages:
        w, h = float(p.mediabox.width), float(p.mediabox.height)
        assert (round(w), round(h)) == (842, 595)  # A4 landscape, in points
    text = pack.pages[0].extract_text()
    assert "担当課コメント" in text and "自動評価の根拠" in text
    sheet = _print(files[1], "print_sheet_niigata", tmp_path)
    assert len(sheet.pages) == 6  # one page for each sheet (was 19–20)
    assert TITLE in "".join(sheet.pages[5].extract_text().split())  # the 評価 sheet names the item
