"""Every sample workbook through `python -m kpi import`, then `export` shows what a person reads on the sheet.

One real subprocess imports all five samples (the plan names come from the sheets' title rows, or the
file name where a sheet names none); the exports run through the same CLI entry point in-process.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import pytest

from conftest import ROOT, SAMPLES
from kpi.cli import main

FILES = ["niigata_kaikaku_no28.xlsx", "kodaira_plan3_actions.xlsx", "kodaira_sousei_progress_h29.xlsx",
         "tomisato_kyodo_progress.xlsx", "kodaira_kyodo_guideline_tables.xlsx"]


def run(*args):
    env = dict(os.environ)
    env.pop("KPI_DB", None)
    return subprocess.run([sys.executable, "-m", "kpi", *args], capture_output=True, cwd=ROOT, env=env, timeout=120)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("samples_cli") / "kpi.duckdb")
    r = run("--db", path, "import", *[str(SAMPLES / f) for f in FILES])
    out = r.stdout.decode()
    assert r.returncode == 0, r.stderr.decode() + out
    for f in FILES:
        assert f"{f}: 取り込みました" in out
    return path


def export(db, what, capsysbinary, plan=None):
    args = ["--db", db, "export", "--machine", "--what", what] + (["--plan", plan] if plan else [])
    assert main(args) == 0
    data = capsysbinary.readouterr().out
    assert data.startswith(b"\xef\xbb\xbf"), "CSV for Excel starts with a BOM"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_layouts_and_plans_named_on_import(db):
    r = run("--db", db, "import", *[str(SAMPLES / f) for f in FILES])  # the same files again
    out = r.stdout.decode()
    assert r.returncode == 0
    assert "kodaira_plan3_actions.xlsx: 実行プログラム" in out and "→ 計画「小平市第3次行財政再構築プラン」" in out
    assert "→ 計画「小平市まち・ひと・しごと創生総合戦略」" in out and "→ 計画「協働のまちづくり推進計画」" in out
    assert out.count("変更はありません") == len(FILES)


def test_action_list_targets_in_the_indicator_export(db, capsysbinary):
    rows = export(db, "indicators", capsysbinary, plan="小平市第3次行財政再構築プラン")
    got = {r["indicator"]: (r["item_no"], r["unit"], r["direction"], r["final_target"], r["final_target_year"])
           for r in rows}
    assert got["ボランティア参加者数"] == ("2", "人", "higher", "2094", "2020")
    assert got["総合防災訓練参加者数"] == ("2", "人", "higher", "1300", "2020")
    assert got["市との協働事業数"] == ("1", "事業", "higher", "60", "2020")
    assert got["市民一人1日当たりごみ量"] == ("4", "g/人日", "lower", "480", "2022")
    assert got["参加団体数"] == ("5", "団体", "higher", "10", "2020")
    assert got["協議会開催回数"] == ("6", "回/年", "higher", "94", "2020")
    assert got["地域連携のための会議を実施した地区数"] == ("7", "地区", "higher", "4", "2020")
    assert len(rows) == 13
    items = {r["item_no"]: r for r in export(db, "items", capsysbinary, plan="小平市第3次行財政再構築プラン")}
    assert items["3"]["qualitative_target"] == "小平市観光まちづくり振興プラン達成状況"
    assert items["2"]["departments"].startswith("文化スポーツ課、防災危機管理課")
    assert items["1"]["hierarchy"] == "1 地域協働の推進 > 協働事業の更なる推進"
    sched = export(db, "schedules", capsysbinary, plan="小平市第3次行財政再構築プラン")
    assert [(s["activity"], s["fiscal_year"], s["mark"]) for s in sched if s["item_no"] == "5"] == [
        ("アダプト制度参加団体への公園に関する講習会の実施", y, m) for y, m in
        (("2017", "実施"), ("2018", "→"), ("2019", "→"), ("2020", "→"))]


def test_strategy_list_statuses_and_narratives_in_the_export(db, capsysbinary):
    plan = "小平市まち・ひと・しごと創生総合戦略"
    status = {r["item_no"]: (r["item_title"], r["fiscal_year"], r["status"]) for r in export(db, "statuses", capsysbinary, plan)}
    assert status["1-①-1"] == ("市内農家の収入増に向けた取組の支援", "2017", "実施中")
    assert len(status) == 43
    narr = {(r["item_no"], r["fiscal_year"]): r["text"] for r in export(db, "narratives", capsysbinary, plan)}
    assert narr[("2-④-3", "2016")] == "・延べ利用件数 6,215件"
    assert narr[("2-④-3", "2017")] == "・延べ利用件数 6,472件"
    items = {r["item_no"]: r for r in export(db, "items", capsysbinary, plan)}
    assert items["1-①-3"]["departments"] == "産業振興課、学務課"


def test_marks_in_the_status_export(db, capsysbinary):
    rows = {r["item_no"]: r for r in export(db, "statuses", capsysbinary, "協働のまちづくり推進計画")}
    r = rows["2-(2)-①"]
    assert (r["item_title"], r["fiscal_year"], r["status"], r["mark"], r["note"]) == \
        ("市民活動保険の導入", "", "完了", "✓", "✓ 平成25年度に導入済み")
    assert rows["3-(4)-②"]["status"] == "完了の目途"


def test_guideline_notes_in_the_export(db, capsysbinary):
    rows = export(db, "notes", capsysbinary, "kodaira_kyodo_guideline_tables")
    assert [(r["section"], r["seq"], r["period_text"], r["fiscal_year"]) for r in rows][:2] == [
        ("milestone", "1", "平成16年度", "2004"), ("milestone", "2", "平成18年度", "2006")]
    pos = [r for r in rows if r["section"] == "positioning"]
    assert (pos[0]["period_text"], pos[0]["fiscal_year"], pos[0]["title"]) == ("平成18年3月", "2005", "小平市第三次 長期総合基本計画")


def test_progress_sheet_values_in_the_export(db, capsysbinary):
    rows = export(db, "values", capsysbinary, "niigata_kaikaku_no28")
    got = {(r["indicator"], r["fiscal_year"]): (r["target"], r["actual"]) for r in rows}
    assert got[("まちづくりセンター数", "2018")] == ("66", "55")
    assert got[("コミュニティ・コーディネーター育成講座受講者数(累計)", "2015")] == ("1090", "1152")
