"""python -m kpi pack: the committee pack built in a batch job, the same file the 会議資料 page gives."""

from __future__ import annotations

import io
import shutil

import pytest
from conftest import NIIGATA_PLAN
from openpyxl import load_workbook
from pptx import Presentation
from pypdf import PdfReader
from test_cli import run

from kpi.cli import main
from kpi.outputs.pack import file_stem
from kpi.outputs.pack.layout import pages
from kpi.outputs.pack.slides import build_deck
from kpi.store.store import Store


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    from conftest import _demo_db
    target = tmp_path_factory.mktemp("clipack") / "kpi.duckdb"
    shutil.copy(_demo_db(tmp_path_factory), target)
    return target


def _texts(slide) -> str:
    return "\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)


def test_pptx_for_a_named_year_has_the_pages_of_the_deck(db, tmp_path):
    out = tmp_path / "資料.pptx"
    r = run("--db", str(db), "pack", "--plan", NIIGATA_PLAN, "--year", "H29", "-o", str(out))
    assert r.returncode == 0, r.stderr.decode()
    assert f"書き出しました: {out}" in r.stdout.decode() and "平成29年度までの状況" in r.stdout.decode()
    prs = Presentation(io.BytesIO(out.read_bytes()))
    store = Store.open(db)
    info = store.plan_by_name(NIIGATA_PLAN)
    deck = build_deck(store.load_plan(info.plan_id), store.rule(info.plan_id), as_of_fy=2017)
    store.close()
    assert len(prs.slides) == len(pages(deck))
    first = _texts(prs.slides[0])
    assert "新潟市行政改革プラン2015" in first and "平成29年度" in first and "平成30年度" not in first


def test_format_from_the_extension_seireki_and_a_folder_gets_the_pages_file_name(db, tmp_path):
    # in-process (the command line itself is run above): the same main() python -m kpi calls
    assert main(["--db", str(db), "pack", "--plan", NIIGATA_PLAN, "--format", "xlsx", "--era", "seireki",
                 "-o", str(tmp_path)]) == 0
    written = list(tmp_path.iterdir())
    # no --year: the plan's latest year with data (2018), in the chosen era
    assert [p.name for p in written] == [f"{NIIGATA_PLAN}_2018年度_会議資料.xlsx"]
    wb = load_workbook(written[0])
    assert wb.sheetnames[:2] == ["グレード一覧", "遅れ一覧"]
    assert wb["グレード一覧"]["E1"].value == "自動評価（2018年度）"
    assert wb["グレード一覧"]["A2"].value == "28"

    pdf = tmp_path / "pack.pdf"
    assert main(["--db", str(db), "pack", "--plan", NIIGATA_PLAN, "--year", "2018", "--meeting", "令和8年度第1回",
                 "--meeting-date", "2026-07-01", "-o", str(pdf)]) == 0
    reader = PdfReader(io.BytesIO(pdf.read_bytes()))
    assert len(reader.pages) >= 2
    assert "令和8年度第1回" in reader.pages[0].extract_text()


@pytest.mark.parametrize("args, message", [
    (("--plan", "ない計画", "-o", "x.pptx"), "計画「ない計画」はありません"),
    (("--plan", NIIGATA_PLAN, "--year", "令和6年度", "-o", "x.pptx"), "令和6年度の値はありません"),
    (("--plan", NIIGATA_PLAN, "-o", "x.docx"), "資料の形式がわかりません"),
    (("--plan", NIIGATA_PLAN, "--meeting-date", "7月1日", "-o", "x.pdf"), "開催日「7月1日」が読めません"),
])
def test_a_refusal_says_why_in_japanese_and_writes_no_file(db, tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    assert main(["--db", str(db), "pack", *args]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_file_name_of_the_cli_matches_the_page(db):
    store = Store.open(db)
    info = store.plan_by_name(NIIGATA_PLAN)
    deck = build_deck(store.load_plan(info.plan_id), store.rule(info.plan_id), as_of_fy=2018, style="seireki")
    store.close()
    assert file_stem(deck) == f"{NIIGATA_PLAN}_2018年度_会議資料"
