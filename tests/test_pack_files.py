"""The committee pack's files, read back as a reader's program would: PowerPoint, PDF, Excel, CSV."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import zipfile
from datetime import date

import pytest
from conftest import NIIGATA_PLAN
from openpyxl import load_workbook
from pptx import Presentation
from pptx.util import Emu
from pypdf import PdfReader
from test_pack_slides import OPINIONS, TODAY, plan

from kpi.access.permissions import LOCAL_ADMIN
from kpi.outputs.export import Table, to_csv
from kpi.outputs.opinions import Meeting, load_opinions, new_opinion_batch, response_batch, save
from kpi.outputs.pack import file_stem, pack_file
from kpi.outputs.pack.layout import pages
from kpi.outputs.pack.slides import build_deck
from kpi.rules.grading import PRESETS
from kpi.store.store import Store

A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
FORMULAS = {"1": "=SUM(A1:A9)", "2": "+81-3-1234-5678", "3": "-1 見直し", "4": "@cmd|' /C calc'!A0"}


@pytest.fixture(scope="module")
def niigata(tmp_path_factory):
    """The demo plan with one opinion from the previous meeting (answered), for the next meeting's pack."""
    from conftest import _demo_db
    db = tmp_path_factory.mktemp("pack") / "kpi.duckdb"
    shutil.copy(_demo_db(tmp_path_factory), db)
    store = Store.open(db)
    info = store.plan_by_name(NIIGATA_PLAN)
    data = store.load_plan(info.plan_id)
    save(store, new_opinion_batch(data, (), item_no="28", meeting="令和7年度第2回", held_on=date(2026, 2, 10),
                                  opinion="センターが未設置の地域の事情を整理してほしい。"), LOCAL_ADMIN, "入力")
    save(store, response_batch(data, load_opinions(store, info.plan_id)[0], response="未設置の4地域の協議状況を報告します。",
                               department="市民協働課"), LOCAL_ADMIN, "回答")
    deck = build_deck(data, store.rule(info.plan_id), today=TODAY, opinions=load_opinions(store, info.plan_id),
                      meeting=Meeting("令和8年度第1回", date(2026, 7, 1)))
    files = {fmt: pack_file(deck, fmt) for fmt in ("pptx", "pdf", "xlsx")}
    store.close()
    return deck, files


def slide_texts(slide) -> list[str]:
    out = []
    for shp in slide.shapes:
        if shp.has_text_frame:
            out.append(shp.text_frame.text)
        if shp.has_table:
            out += [c.text for row in shp.table.rows for c in row.cells]
    return out


def test_pptx_has_every_page_with_titles_numbers_and_grades(niigata):
    deck, files = niigata
    prs = Presentation(io.BytesIO(files["pptx"].data))
    assert [p.kind for p in pages(deck)] == ["summary", "item", "notes"]
    assert len(prs.slides) == 3
    s1, s2, s3 = (slide_texts(s) for s in prs.slides)
    assert "新潟市行政改革プラン2015　進捗状況" in s1
    assert "遅れている取組（1件）" in s1 and "28" in s1
    assert any(t.startswith("令和8年度第1回（令和8年7月1日）") for t in s1)  # the meeting is named, its day in the deck's era
    assert s2[0].startswith("No.28　地域活動の担い手を育む仕組みづくり")
    assert {"1,152", "1,090", "105.7%", "83.3%"} <= set(s2)
    assert "平成30年度 自己評価" in s2 and "C" in s2 and "B" in s2
    assert sum(1 for shp in prs.slides[1].shapes if shp.shape_type == 13) == 2  # the two charts, as pictures
    assert any("センターが未設置の地域の事情を整理してほしい。" in t for t in s3)
    assert any("回答・対応（市民協働課）：未設置の4地域の協議状況を報告します。" in t for t in s3)


def test_pptx_declares_japanese_fonts_and_keeps_inside_the_slide(niigata):
    prs = Presentation(io.BytesIO(niigata[1]["pptx"].data))
    assert (prs.slide_width, prs.slide_height) == (Emu(12191695), Emu(6858000))  # 13.333 × 7.5 in (16:9)
    runs = [r for s in prs.slides for r in s._element.iter(f"{A}rPr")]
    assert runs
    for rpr in runs:
        assert rpr.get("lang") == "ja-JP"
        assert rpr.find(f"{A}ea").get("typeface") == "Meiryo"
        assert rpr.find(f"{A}latin").get("typeface") == "Meiryo"
    for slide in prs.slides:
        for shp in slide.shapes:
            assert shp.left >= 0 and shp.top >= 0
            assert shp.left + shp.width <= prs.slide_width and shp.top + shp.height <= prs.slide_height, shp.name


def test_pdf_has_the_same_pages_with_embedded_japanese_text_and_charts(niigata):
    deck, files = niigata
    pdf = PdfReader(io.BytesIO(files["pdf"].data))
    assert len(pdf.pages) == 3
    box = pdf.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (960, 540)
    p1, p2, p3 = (p.extract_text() for p in pdf.pages)
    assert "新潟市行政改革プラン2015" in p1 and "遅れている取組（1件）" in p1
    assert "No.28" in p2 and "1,152" in p2 and "1,090" in p2 and "105.7%" in p2
    assert "自己評価" in p2
    assert "未設置の4地域の協議状況を報告します。" in p3.replace("\n", "")
    assert len(pdf.pages[1].images) == 2
    fonts = pdf.pages[1]["/Resources"]["/Font"]
    for ref in fonts.values():
        font = ref.get_object()
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        assert "/FontFile2" in descendant["/FontDescriptor"].get_object(), font  # embedded TrueType subset


def test_xlsx_tables_have_japanese_headers_and_real_numbers(niigata):
    _deck, files = niigata
    assert files["xlsx"].file_name == "新潟市行政改革プラン2015_平成30年度_令和8年度第1回_会議資料.xlsx"
    wb = load_workbook(io.BytesIO(files["xlsx"].data))
    assert wb.sheetnames == ["グレード一覧", "遅れ一覧", "指標の年度値", "委員意見"]
    grades = list(wb["グレード一覧"].values)
    assert grades[0][:6] == ("No.", "取組", "体系", "担当課", "自動評価（平成30年度）", "自己評価（平成30年度）")
    assert grades[1][0] == "28" and grades[1][4:6] == ("B", "C") and grades[1][7] == "遅れ"
    lag = list(wb["遅れ一覧"].values)
    assert lag[0] == ("No.", "取組", "担当課", "自動評価", "自己評価", "遅れの理由", "詳細")
    assert lag[1][5] == "自己評価がB未満、上半期の進捗に遅れ"
    ws = wb["指標の年度値"]
    header = [c.value for c in ws[1]]
    assert header == ["No.", "取組", "指標", "単位", "年度（西暦）", "年度", "計画", "実績", "見込み", "達成率", "評価"]
    first = [c for c in ws[2]]
    assert [c.value for c in first[4:8]] == [2015, "平成27年度", 1090, 1152]
    assert abs(first[9].value - 1152 / 1090) < 1e-9 and first[9].number_format == "0.0%"
    ops = list(wb["委員意見"].values)
    assert ops[1][:3] == ("令和7年度第2回", "令和8年2月10日", "28")  # the day in the deck's era


def test_text_that_looks_like_a_formula_stays_text_in_every_file():
    deck = build_deck(plan(FORMULAS), PRESETS["abc"], as_of_fy=2025, today=TODAY, opinions=OPINIONS)
    xlsx = pack_file(deck, "xlsx").data
    wb = load_workbook(io.BytesIO(xlsx))
    titles = {r[0]: r[1] for r in wb["グレード一覧"].iter_rows(min_row=2, values_only=True)}
    assert titles == FORMULAS
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.data_type == "s"
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any("<f>" in z.read(n).decode() for n in sheets)
    # The slides show the titles as typed.
    prs = Presentation(io.BytesIO(pack_file(deck, "pptx").data))
    texts = [t for s in prs.slides for t in slide_texts(s)]
    for no, title in FORMULAS.items():
        if deck.item(no).has_chart:
            assert any(t.startswith("No.") and title in t for t in texts), title
        else:  # in its section's list
            assert title in texts, title
    pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pack_file(deck, "pdf").data)).pages)
    assert "=SUM(A1:A9)" in pdf_text


def test_csv_export_writes_formula_like_titles_as_quoted_text():
    table = Table("values", ("plan", "item_no", "item_title", "fiscal_year", "target"),
                  tuple(("テスト計画", no, title, 2025, "-5") for no, title in FORMULAS.items()))
    rows = list(csv.reader(io.StringIO(to_csv(table).decode("utf-8-sig"))))
    assert [r[2] for r in rows[1:]] == ["'" + t for t in FORMULAS.values()]
    assert [r[4] for r in rows[1:]] == ["-5"] * 4  # numbers stay numbers


def test_file_names_keep_only_safe_characters():
    deck = build_deck(plan(), PRESETS["abc"], as_of_fy=2025, today=TODAY, meeting=Meeting("令和8年度 第1回/臨時"))
    assert file_stem(deck) == "テスト計画_令和7年度_令和8年度_第1回_臨時_会議資料"


@pytest.mark.skipif(shutil.which("libreoffice") is None, reason="LibreOffice がありません（apt-get install libreoffice-impress）")
def test_libreoffice_opens_the_pptx(niigata, tmp_path):
    """Optional (about 2-5 s): the deck converts in LibreOffice with its pages and numbers intact."""
    src = tmp_path / "pack.pptx"
    src.write_bytes(niigata[1]["pptx"].data)
    subprocess.run(["libreoffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(src)], check=True, capture_output=True, timeout=180)
    pdf = PdfReader(str(tmp_path / "pack.pdf"))
    assert len(pdf.pages) == 3
    text = pdf.pages[1].extract_text()
    assert "1,152" in text and "1,090" in text


@pytest.fixture(scope="module")
def demo_packs(tmp_path_factory):
    """Every demo plan's deck with its PowerPoint and PDF, built once for the module."""
    from conftest import _demo_db

    from kpi.views.extras import load_extras
    store = Store.open(_demo_db(tmp_path_factory), read_only=True)
    try:
        out = {}
        for info in store.plans():
            data = store.load_plan(info.plan_id)
            extras = load_extras(store, info.plan_id)
            deck = build_deck(data, store.rule(info.plan_id), today=TODAY, narratives=extras.narratives)
            out[info.name] = (data, extras, deck, Presentation(io.BytesIO(pack_file(deck, "pptx").data)),
                              PdfReader(io.BytesIO(pack_file(deck, "pdf").data)))
        return out
    finally:
        store.close()


def _table_rows(slide) -> list[list[str]]:
    return [[c.text.replace("\n", "") for c in row.cells] for shp in slide.shapes if shp.has_table
            for row in shp.table.rows]


def test_every_demo_plan_makes_a_pack_whose_files_agree(demo_packs):
    assert len(demo_packs) == 5
    for name, (_data, _ex, deck, prs, pdf) in demo_packs.items():
        n = len(pages(deck))
        assert len(prs.slides) == len(pdf.pages) == n, name
        firsts = [slide_texts(s)[0] for s in prs.slides]
        assert firsts[0] == f"{name}　進捗状況"
        listed = [r[0] for s in prs.slides for r in _table_rows(s)]
        for item in deck.items:
            if item.has_chart:
                assert item.heading in firsts, (name, item.heading)
            else:
                assert item.item_no in listed, (name, item.item_no)


def test_no_demo_slide_shows_an_empty_chart_a_placeholder_or_next_to_nothing(demo_packs):
    for name, (_data, _ex, deck, prs, _pdf) in demo_packs.items():
        for page, slide in zip(pages(deck), prs.slides):
            texts = slide_texts(slide)
            assert not any("グラフにする年度の値がありません" in t for t in texts), (name, page.title)
            pictures = [shp for shp in slide.shapes if shp.shape_type == 13]
            if page.kind in ("item", "indicators"):
                shown = page.slide.indicators[page.part[0]:page.part[1]]
                with_values = [p for p in shown if any(pt.target is not None or pt.actual is not None
                                                       for pt in p.view.points)]
                assert len(pictures) == len(with_values), (name, page.title)  # a chart only for values
            body = sum(len(t) for t in texts[1:]) + sum(len(r) for r in _table_rows(slide))
            assert pictures or body > 80, (name, page.title, texts)
    # A plan with neither yearly values nor charts is a few list pages, not a slide per item.
    kinds = [p.kind for p in pages(demo_packs["小平市第3次行財政再構築プラン"][2])]
    assert kinds == ["summary", "list"]


def test_the_deck_is_headed_with_the_year_its_content_is_from(demo_packs):
    expect = {"小平市まち・ひと・しごと創生総合戦略": "平成29年度", "新潟市行政改革プラン2015": "平成30年度"}
    for name, (data, extras, deck, prs, _pdf) in demo_packs.items():
        heading = slide_texts(prs.slides[0])[1]
        assert heading == f"{deck.as_of_label}までの状況", name
        if name in expect:
            assert deck.as_of_label == expect[name]
        # The latest year anything shown is from is the year of the heading.
        years = ({y.fiscal_year for it in data.items for i in it.indicators for y in i.years if y.actual is not None}
                 | {fy for it in data.items for fy, _s, _n in it.statuses if fy}
                 | {e.fiscal_year for it in data.items for e in it.evaluations})
        if years:
            assert max(years) == deck.as_of_fy, name
        shown = [c.fiscal_year for s in deck.items for c in s.comments if c.fiscal_year]
        if shown:
            assert max(shown) == deck.as_of_fy, name


@pytest.mark.parametrize("plan, item_no, title, department", [
    ("小平市まち・ひと・しごと創生総合戦略", "1-①-1", "市内農家の収入増に向けた取組の支援", "産業振興課"),
    ("富里市協働のまちづくり推進計画", "1-(2)-①", "協働のまちづくり推進課の設置", "―"),  # the sheet names no department
    ("小平市第3次行財政再構築プラン", "1", "協働推進体制の充実", "市民協働・男女参画推進課"),
])
def test_plans_reported_in_words_get_list_tables_of_their_items(demo_packs, plan, item_no, title, department):
    _data, _ex, deck, prs, _pdf = demo_packs[plan]
    lists = [(p, s) for p, s in zip(pages(deck), prs.slides) if p.kind == "list"]
    assert lists and len(prs.slides) < len(deck.items) / 3 + 3
    header = _table_rows(lists[0][1])[0]
    assert header == ["No.", "取組", "担当課", "計画", "実績・状況", "評価", "コメント"]
    rows = {r[0]: r for _p, s in lists for r in _table_rows(s) if r != header}  # a header over each table
    assert set(rows) == {s.item_no for s in deck.items}
    row = rows[item_no]
    assert (row[1], row[2]) == (title, department)
    # The row stands under its section's name (the page's title, or the heading over its table).
    item = deck.item(item_no)
    page, slide = next((p, s) for p, s in lists if any(item_no in r[0] for r in _table_rows(s)))
    assert any(t.startswith(item.section) for t in slide_texts(slide)), (page.title, item.section)


def test_the_two_axis_slide_counts_statuses_and_grades(demo_packs):
    from collections import Counter

    from kpi.rules.two_axis import STATUS_AXIS
    data, _ex, deck, prs, _pdf = demo_packs["富里市協働のまちづくり推進計画"]
    (i,) = [n for n, p in enumerate(pages(deck)) if p.kind == "two_axis"]
    rows = _table_rows(prs.slides[i])
    counted = Counter(STATUS_AXIS[max(it.statuses, key=lambda t: t[0] or 0)[1]] for it in data.items)
    n = len(data.items)
    for label in ("完了", "取組中"):
        row = next(r for r in rows if r[0] == label)
        assert row[1:3] == [str(counted[label]), f"{counted[label] / n * 100:.1f}%"], label
    cross = next(r for r in rows if r[0] == "完了" and len(r) > 5)
    assert cross[-1] == str(counted["完了"])  # the cross table's total for the row
    assert "two_axis" not in [p.kind for p in pages(demo_packs["新潟市行政改革プラン2015"][2])]


def test_demo_charts_keep_labels_apart(demo_packs):
    from kpi.outputs.pack.charts import VALUE_LABEL, indicator_figure
    views = [p.view for _d, _e, deck, _prs, _pdf in demo_packs.values() for s in deck.charted for p in s.indicators]
    assert views
    for v in views:
        fig = indicator_figure(v, width_in=6.9, height_in=2.75, as_of_fy=2018)
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        boxes = [t.get_window_extent(r) for t in fig.axes[0].texts if t.get_gid() == VALUE_LABEL]
        assert all(not a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:]), v.name


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (scripts/test.sh installs it)")
def test_every_demo_deck_renders_to_page_images_with_something_on_every_page(demo_packs, tmp_path):
    """The deck as a presenter sees it: each PDF page drawn by poppler, and none of them next to empty.
    The share of inked pixels below the title band is what a glance at the page image tells: the emptiest
    real page (a summary of zeros) inks about 7 %, a slide of two dashes under its title well under 1 %."""
    from PIL import Image
    for n, (name, (_data, _ex, deck, _prs, pdf)) in enumerate(demo_packs.items()):
        src = tmp_path / f"deck{n}.pdf"
        src.write_bytes(pdf.stream.getvalue())
        subprocess.run(["pdftoppm", "-r", "24", "-png", str(src), str(tmp_path / f"p{n}")], check=True, timeout=120)
        images = sorted(tmp_path.glob(f"p{n}-*.png"))
        assert len(images) == len(pages(deck)), name
        for png, page in zip(images, pages(deck)):
            img = Image.open(png).convert("L")
            w, h = img.size
            body = img.crop((0, int(h * 0.18), w, int(h * 0.92)))  # below the title, above the footer
            inked = sum(1 for v in body.getdata() if v < 200) / (body.size[0] * body.size[1])
            assert inked > 0.04, (name, page.title, f"{inked:.3f}", png.name)
