"""Exports for the people who open them (issue 18 item 6): Japanese headers, 年度 in the chosen era,
達成率 as %, はい/いいえ, file names that say what is inside; the machine form kept as an option."""

from __future__ import annotations

import csv
import io
import shutil

import pytest
from conftest import NIIGATA_PLAN
from openpyxl import load_workbook

from kpi.access.permissions import LOCAL_ADMIN
from kpi.cli import main
from kpi.outputs.readable import export
from kpi.store.store import Store

CUMULATIVE = "コミュニティ・コーディネーター育成講座受講者数(累計)"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    from conftest import _demo_db
    target = tmp_path_factory.mktemp("readable") / "kpi.duckdb"
    shutil.copy(_demo_db(tmp_path_factory), target)
    return target


def _rows(data: bytes) -> list[dict]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_values_csv_reads_as_a_city_hall_table(db):
    store = Store.open(db)
    data, name = export(store, "values", "csv", actor=LOCAL_ADMIN, plan=NIIGATA_PLAN)
    store.close()
    assert name == f"年度値_{NIIGATA_PLAN}_平成27年度〜平成30年度.csv"
    rows = _rows(data)
    assert list(rows[0])[:6] == ["計画名", "取組番号", "取組名", "担当課", "指標名", "単位"]
    row = next(r for r in rows if r["指標名"] == CUMULATIVE and r["年度"] == "平成27年度")
    assert (row["計画"], row["実績"], row["達成率"], row["自動評価"]) == ("1090", "1152", "105.7%", "A")
    assert (row["方向"], row["累計"]) == ("高いほど良い", "はい")
    assert not any("higher" in v or v == "true" for r in rows for v in r.values())


@pytest.mark.parametrize("what, header", [
    ("evaluations", ["計画名", "取組番号", "年度", "段階", "評価", "コメント", "未確定"]),
    ("indicators", ["計画名", "取組番号", "指標名", "単位", "方向", "基準年度", "基準値", "基準値は見込み", "目標年度",
                    "最終目標", "最終目標（文章）", "定性", "最終目標（当初）", "最終目標（修正後）", "目標年度（当初）",
                    "目標年度（修正後）", "最終目標の修正日", "最終目標の修正理由"]),
])
def test_every_table_has_japanese_headers(db, what, header):
    store = Store.open(db)
    data, _ = export(store, what, "csv", actor=LOCAL_ADMIN, plan=NIIGATA_PLAN, style="seireki")
    store.close()
    rows = _rows(data)
    assert list(rows[0]) == header
    if what == "indicators":
        base = next(r for r in rows if r["指標名"] == CUMULATIVE)
        assert (base["基準年度"], base["基準値"], base["基準値は見込み"]) == ("2014年度", "930", "はい")


def test_xlsx_has_numbers_percentages_and_column_widths(db):
    store = Store.open(db)
    data, name = export(store, "values", "xlsx", actor=LOCAL_ADMIN, plan=NIIGATA_PLAN)
    store.close()
    assert name.endswith(".xlsx") and name.startswith("年度値_")
    ws = load_workbook(io.BytesIO(data))["年度値"]
    head = [c.value for c in ws[1]]
    rate = ws.cell(row=2, column=head.index("達成率") + 1)
    assert isinstance(rate.value, float) and rate.number_format == "0.0%"
    assert ws.column_dimensions["E"].width == 36  # 指標名
    assert ws.page_setup.orientation == "landscape"


def test_cli_gives_both_forms(db, tmp_path, capsysbinary):
    assert main(["--db", str(db), "export", "--plan", NIIGATA_PLAN]) == 0
    assert _rows(capsysbinary.readouterr().out)[0]["達成率"] == "105.7%"  # the default: as the page gives it
    for flag in (["--machine"], ["--form", "machine"]):
        assert main(["--db", str(db), "export", "--plan", NIIGATA_PLAN, *flag]) == 0
        assert _rows(capsysbinary.readouterr().out)[0]["achievement_rate"] == "1.057"  # for scripts
    assert main(["--db", str(db), "export", "--plan", NIIGATA_PLAN, "-o", str(tmp_path)]) == 0
    (written,) = tmp_path.iterdir()
    assert written.name == f"年度値_{NIIGATA_PLAN}_平成27年度〜平成30年度.csv"
    assert _rows(written.read_bytes())[0]["達成率"] == "105.7%"


@pytest.fixture
def downloads(monkeypatch):
    """The files the page's download buttons hand out, made as a click makes them (as in test_visibility)."""
    import streamlit.testing.v1.app_test as app_test
    from streamlit.runtime.media_file_manager import MediaFileManager
    managers: list[MediaFileManager] = []

    class Recording(MediaFileManager):
        def __init__(self, storage):
            super().__init__(storage)
            managers.append(self)

    monkeypatch.setattr(app_test, "MediaFileManager", Recording)

    def files(at) -> dict[str, bytes]:
        mgr, out = managers[-1], {}
        for b in at.get("download_button"):
            url = mgr.execute_deferred(b.proto.deferred_file_id) if b.proto.deferred_file_id else b.proto.url
            out[b.proto.label] = mgr._storage.get_file(url.rsplit("/", 1)[1]).content
        return out
    return files


@pytest.mark.parametrize("form, first_header, explains", [
    ("people", "計画名", "達成率は「計画に対する実績の割合」を%で"),
    ("machine", "plan", "fiscal_year＝年度が始まる西暦の年"),
])
def test_the_downloads_page_gives_the_chosen_form_and_explains_it_on_the_page(app_env, downloads, form, first_header,
                                                                           explains):
    from test_upload_page import open_page
    at = open_page("pages/downloads.py", dl_form=form, dl_scope="plan")
    assert at.radio(key="dl_form").value == form
    captions = " ".join(c.value for c in at.caption)
    assert explains in captions and "README" not in captions
    data = next(v for k, v in downloads(at).items() if "書き出す" in k)
    assert _rows(data) and list(_rows(data)[0])[0] == first_header


def test_the_downloads_page_gives_the_item_grades_side_by_side(app_env, downloads):
    from test_upload_page import open_page
    at = open_page("pages/downloads.py", dl_what="grades", dl_form="people", dl_scope="plan")
    name, data = next((k, v) for k, v in downloads(at).items() if "書き出す" in k)
    assert name.startswith("取組の評価")
    rows = _rows(data)
    assert list(rows[0])[5:8] == ["自動評価", "自己評価", "差（段階）"]
    graded = [r for r in rows if r["自動評価"] and r["自己評価"]]
    assert graded and all(r["自己評価と自動評価の比較"].startswith(f"自己評価 {r['自己評価']}") for r in graded)
