"""python -m kpi as IT staff run it: exit codes, messages with sheet and cell, unchanged database."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import pytest

from conftest import NIIGATA, NIIGATA_PLAN, ROOT
from helpers import edited_copy, run_kpi

# The commands run in this process (kpi.cli.main); the exit status, the stderr of a refused import and
# the KPI_DB default are also checked on real `python -m kpi` processes (process()).
run = run_kpi


def process(*args, env=None, cwd=ROOT):
    e = dict(os.environ)
    e.pop("KPI_DB", None)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "kpi", *args], capture_output=True, cwd=cwd, env=e, timeout=120)


def rows(stdout: bytes) -> list[dict]:
    assert stdout.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 BOM for Excel"
    return list(csv.DictReader(io.StringIO(stdout.decode("utf-8-sig"))))


def test_import_export_round_trip(tmp_path):
    db = str(tmp_path / "kpi.duckdb")
    r = run("--db", db, "import", str(NIIGATA), "--plan", NIIGATA_PLAN)
    assert r.returncode == 0, r.stderr.decode()
    assert "取り込みました" in r.stdout.decode()
    r = run("--db", db, "export", "--machine")
    assert r.returncode == 0
    got = rows(r.stdout)
    assert list(got[0]) == ["plan", "item_no", "item_title", "departments", "indicator", "unit", "direction",
                            "cumulative", "fiscal_year", "target", "target_original", "target_revised",
                            "target_revised_on", "target_revision_reason", "actual", "achievement_rate",
                            "progress_rate", "auto_grade", "target_text", "actual_text", "note", "unconfirmed"]
    series = {(g["indicator"], g["fiscal_year"]): (g["target"], g["actual"], g["achievement_rate"], g["auto_grade"])
              for g in got}
    assert series[("コミュニティ・コーディネーター育成講座受講者数(累計)", "2015")] == ("1090", "1152", "1.057", "A")
    assert series[("まちづくりセンター数", "2018")] == ("66", "55", "0.833", "B")
    assert got[0]["departments"] == "市民協働課、中央公民館"
    r = run("--db", db, "export", "--machine", "--what", "evaluations")
    ev = rows(r.stdout)
    assert list(ev[0]) == ["plan", "item_no", "fiscal_year", "stage", "grade", "comment", "unconfirmed"]
    grades = {(e["fiscal_year"], e["stage"]): e["grade"] for e in ev}
    assert [grades[(y, "年度")] for y in ("2015", "2016", "2017", "2018")] == ["B", "C", "C", "C"]
    assert grades[("2017", "中間")] == "C" and grades[("2018", "計画期間")] == "C"
    r = run("--db", db, "export", "--machine", "--what", "indicators")
    ind = {i["indicator"]: i for i in rows(r.stdout)}
    base = ind["コミュニティ・コーディネーター育成講座受講者数(累計)"]
    assert (base["baseline"], base["baseline_year"], base["baseline_estimated"], base["final_target_text"]) == \
        ("930", "2014", "true", "継続実施")


def test_import_twice_changes_nothing(tmp_path):
    db = str(tmp_path / "kpi.duckdb")
    run("--db", db, "import", str(NIIGATA), "--plan", NIIGATA_PLAN)
    before = run("--db", db, "export", "--machine").stdout
    r = run("--db", db, "import", str(NIIGATA), "--plan", NIIGATA_PLAN)
    assert r.returncode == 0 and "変更はありません" in r.stdout.decode()
    assert run("--db", db, "export", "--machine").stdout == before


def test_bad_file_exits_non_zero_names_the_cell_and_writes_nothing(tmp_path):
    db = str(tmp_path / "kpi.duckdb")
    run("--db", db, "import", str(NIIGATA), "--plan", NIIGATA_PLAN)
    before = [run("--db", db, "export", "--machine", "--what", w).stdout for w in ("values", "evaluations", "indicators")]
    bad = edited_copy(NIIGATA, tmp_path / "bad.xlsx",
                      {("No.28(H27-28)", "G14"): "49", ("No.28(H29-30)", "E13"): "1,4五4"})
    r = process("--db", db, "import", str(bad), "--plan", NIIGATA_PLAN)
    assert r.returncode == 1
    err = r.stderr.decode()
    assert "シート「No.28(H29-30)」" in err and "セル E13" in err and "何も取り込んでいません" in err
    after = [run("--db", db, "export", "--machine", "--what", w).stdout for w in ("values", "evaluations", "indicators")]
    assert after == before


def test_dry_run_writes_nothing(tmp_path):
    db = str(tmp_path / "kpi.duckdb")
    r = run("--db", db, "import", "--dry-run", str(NIIGATA), "--plan", NIIGATA_PLAN)
    assert r.returncode == 0 and "--dry-run" in r.stdout.decode()
    assert len(rows(run("--db", db, "export", "--machine").stdout)) == 0


def test_kpi_db_environment_variable_is_the_default(tmp_path):
    db = tmp_path / "env.duckdb"
    r = process("import", str(NIIGATA), "--plan", NIIGATA_PLAN, env={"KPI_DB": str(db)})
    assert r.returncode == 0
    assert db.exists()
    assert len(rows(process("export", "--machine", env={"KPI_DB": str(db)}).stdout)) == 8


def test_template_and_xlsx_export(tmp_path):
    t = tmp_path / "template.xlsx"
    assert run("--db", str(tmp_path / "k.duckdb"), "template", "-o", str(t)).returncode == 0
    from openpyxl import load_workbook
    assert {"取組", "指標", "年度値", "評価"} <= set(load_workbook(t).sheetnames)
    db = str(tmp_path / "kpi.duckdb")
    run("--db", db, "import", str(NIIGATA), "--plan", NIIGATA_PLAN)
    out = tmp_path / "values.xlsx"
    assert run("--db", db, "export", "--machine", "--format", "xlsx", "-o", str(out)).returncode == 0
    ws = load_workbook(out).active
    assert ws["A1"].value == "plan" and ws.max_row == 9


def test_non_workbook_file_is_refused_with_a_message(tmp_path):
    fake = tmp_path / "data.xlsx"
    fake.write_text("plan,item\nA,1\n", encoding="utf-8")
    r = run("--db", str(tmp_path / "k.duckdb"), "import", str(fake))
    assert r.returncode == 1
    assert "CSV" in r.stderr.decode() and "Traceback" not in r.stderr.decode()


# Issue 14, item 5: what comes from files and the database never drives the terminal.
@pytest.mark.parametrize("text, shown", [
    ("取組\x1b[2J", "取組\\x1b[2J"), ("\x1b]0;乗っ取り\x07", "\\x1b]0;乗っ取り\\x07"), ("上書き\r偽", "上書き\\x0d偽"),
    ("\x9b31m", "\\x9b31m"), ("\x7f", "\\x7f"), ("exe.\u202exlsx", "exe.\\u202exlsx"), ("タブ\tと\n改行", "タブ\tと\n改行"),
    ("市民協働課", "市民協働課"),
])
def test_terminal_safe_escapes_every_control(text, shown):
    from kpi.cli import terminal_safe
    assert terminal_safe(text) == shown


def test_cli_messages_escape_controls_from_files_and_the_database(tmp_path):
    from hostile_books import A1, book
    db = str(tmp_path / "kpi.duckdb")
    sheet = "&#27;[2J&#27;]0;乗っ取り&#7;&#155;31m"
    bad = tmp_path / "odd.xlsx"
    bad.write_bytes(book(A1, sheets=[(sheet, "rId1")]))
    r = run("--db", db, "import", str(bad))
    assert r.returncode == 1
    err = r.stderr.decode()
    assert "\x1b" not in err and "\x07" not in err and "\x9b" not in err
    assert "\\x1b[2J\\x1b]0;乗っ取り\\x07\\x9b31m" in err  # the sheet's name, shown as escapes
    r = run("--db", db, "import", str(NIIGATA), "--plan", NIIGATA_PLAN, "--note", "理由\x1b[31m赤\x1b[0m")
    assert r.returncode == 0, r.stderr.decode()
    out = run("--db", db, "history").stdout.decode()
    assert "\x1b" not in out and "理由\\x1b[31m赤\\x1b[0m" in out  # the note, read back from the database
