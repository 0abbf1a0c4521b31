"""A file goes into the plan it names (issue 14, item 2).

The plan's name decides; an unknown name makes a new plan and the preview says so; item numbers
alone never merge two named plans; a target that fits several plans is refused with the
candidates named; and a plan name means the same plan wherever it is typed: a sheet's 計画名,
the upload page, `python -m kpi import/export/history --plan`.
"""

from __future__ import annotations

import csv
import io

import pytest
from conftest import NIIGATA, ROOT, TODAY
from helpers import DEPT_PLAN, department_plan, run_kpi, sql
from streamlit.testing.v1 import AppTest

from kpi.access.permissions import LOCAL_ADMIN
from kpi.errors import AmbiguousPlan, NotFound
from kpi.intake.pipeline import commit, prepare
from kpi.outputs import export
from kpi.rules.plan_names import normalize_plan_name
from kpi.store.store import Store

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KANKYO = "協働テスト市行政改革プラン（環境局）"  # as typed in a sheet: full-width brackets


@pytest.mark.parametrize("typed, stored", [
    ("協働テスト市行政改革プラン（環境局）", "協働テスト市行政改革プラン(環境局)"),
    ("協働テスト市行政改革プラン(環境局)", "協働テスト市行政改革プラン(環境局)"),
    ("  小平市　第３次行財政再構築プラン ", "小平市 第3次行財政再構築プラン"),  # ideographic space, full-width digit
    ("新潟市行政改革プラン\u200b2015", "新潟市行政改革プラン2015"),  # zero-width space copied from a web page
    ("新潟市行政改革\nプラン2015", "新潟市行政改革 プラン2015"),
    ("計画\u30002021〜2025", "計画 2021~2025"),  # WAVE DASH (Mac) and FULLWIDTH TILDE (Windows) are one key
    ("計画 2021～2025", "計画 2021~2025"),
    ("ＫＰＩ計画", "KPI計画"),
    ("第3次計画", "第3次計画"),
    ("第三次計画", "第三次計画"),  # words are the name as written
    (None, ""),
])
def test_one_normalised_form(typed, stored):
    assert normalize_plan_name(typed) == stored


def titles(store: Store, plan: str) -> dict[str, str]:
    pid = store.plan_by_name(plan).plan_id
    return dict(sql(store, "SELECT item_no, title FROM items WHERE plan_id = ?", [pid]))


def test_an_unknown_name_with_the_same_item_numbers_makes_a_new_plan_not_a_merge(store, tmp_path):
    commit(store, [prepare(store, department_plan(tmp_path / "a.xlsx"), today=TODAY)], "推進課")
    before = titles(store, DEPT_PLAN)
    other = department_plan(tmp_path / "b.xlsx", plan_name="協働テスト市総合戦略",
                            titles={1: "別の取組1", 2: "別の取組2", 3: "別の取組3"})
    prep = prepare(store, other, today=TODAY)
    assert not prep.errors, prep.errors
    assert prep.batch.plan_name == "協働テスト市総合戦略" and prep.changes.plan_is_new
    (w,) = [p for p in prep.warnings if p.code == "plan_new"]
    assert f"同じ取組番号（No.1、No.2、No.3）を持つ計画 「{DEPT_PLAN}」 とは別の計画になります" in w.message
    assert (w.sheet, w.cell) == ("計画", "B2")
    commit(store, [prep], "推進課")
    assert titles(store, DEPT_PLAN) == before  # the registered plan is untouched
    assert titles(store, "協働テスト市総合戦略") == {"1": "別の取組1", "2": "別の取組2", "3": "別の取組3"}


def test_a_file_without_a_plan_name_that_fits_two_plans_is_refused_naming_both(store, tmp_path):
    for name in ("新潟市行政改革プラン2015", "新潟市行政改革プラン2015（写し）"):
        commit(store, [prepare(store, NIIGATA, plan_name=name, today=TODAY)], "推進課")
    n_uploads = len(store.uploads())
    prep = prepare(store, NIIGATA, today=TODAY)  # a 進捗管理シート names no plan
    (err,) = prep.errors
    assert err.code == "plan_ambiguous" and err.file == NIIGATA.name
    assert "計画名がシートにないため、取り込み先を決められません" in err.message
    assert "「新潟市行政改革プラン2015」" in err.message and "「新潟市行政改革プラン2015(写し)」" in err.message
    assert "--plan" in err.hint
    assert len(store.uploads()) == n_uploads and len(store.plans()) == 2


def test_a_file_without_a_plan_name_still_finds_the_one_plan_holding_its_items(store):
    commit(store, [prepare(store, NIIGATA, plan_name="新潟市行政改革プラン2015", today=TODAY)], "推進課")
    prep = prepare(store, NIIGATA, today=TODAY)
    assert not prep.errors and prep.batch.plan_name == "新潟市行政改革プラン2015"
    assert [p.code for p in prep.warnings] == ["plan_guessed"]


def test_names_that_look_the_same_find_the_stored_plan(store, tmp_path):
    commit(store, [prepare(store, department_plan(tmp_path / "a.xlsx", plan_name=KANKYO), today=TODAY)], "推進課")
    (plan,) = store.plans()
    assert plan.name == "協働テスト市行政改革プラン(環境局)"
    for typed in (KANKYO, "協働テスト市行政改革プラン(環境局)", " 協働テスト市行政改革プラン（環境局）\u200b"):
        assert store.plan_by_name(typed) == plan
    again = prepare(store, department_plan(tmp_path / "b.xlsx", plan_name=KANKYO, actual={(1, 2022): 30}),
                    plan_name=KANKYO, today=TODAY)
    assert not again.errors, again.errors
    assert not again.changes.plan_is_new and again.changes.summary().startswith("計画「協働テスト市行政改革プラン(環境局)」: ")


def test_two_stored_look_alikes_are_refused_naming_both(store, tmp_path):
    """A database written before names were normalised may hold （環境局） and (環境局) as two plans."""
    commit(store, [prepare(store, department_plan(tmp_path / "a.xlsx", plan_name=KANKYO), today=TODAY)], "推進課")
    commit(store, [prepare(store, department_plan(tmp_path / "b.xlsx", plan_name="仮の名前"), today=TODAY)], "推進課")
    with store.transaction() as cur:  # the older version stored a typed name as typed
        cur.execute("UPDATE plans SET name = ? WHERE name = '仮の名前'", [KANKYO])
    prep = prepare(store, department_plan(tmp_path / "c.xlsx", plan_name=KANKYO), today=TODAY)
    (err,) = prep.errors
    assert err.code == "plan_ambiguous" and (err.sheet, err.cell) == ("計画", "B2")
    assert "当てはまる計画が2つあります" in err.message
    assert "「協働テスト市行政改革プラン(環境局)」（計画ID 1）" in err.message
    assert f"「{KANKYO}」（計画ID 2）" in err.message
    with pytest.raises(AmbiguousPlan) as exc:
        store.plan_by_name("協働テスト市行政改革プラン(環境局)\u200b")
    assert "計画ID 1" in exc.value.message and "計画ID 2" in exc.value.message
    assert store.plan_by_name(KANKYO).plan_id == 2  # the stored name written exactly is no guess


def test_export_of_an_unknown_plan_is_an_error_not_an_empty_table(niigata_store):
    with pytest.raises(NotFound) as exc:
        export.build(niigata_store, "values", plan="新潟市行政改革プラン2016", today=TODAY, actor=LOCAL_ADMIN)
    assert "計画「新潟市行政改革プラン2016」はありません" in exc.value.message
    assert "新潟市行政改革プラン2015" in exc.value.hint
    assert export.build(niigata_store, "values", plan="新潟市行政改革プラン２０１５", today=TODAY, actor=LOCAL_ADMIN).rows


# ------------------------------------------------------------------ the command line, as IT staff type it

def kpi(*args):
    return run_kpi(*args)  # in this process (helpers.run_kpi); test_cli.py runs real processes


def test_cli_import_export_history_with_the_name_exactly_as_typed_in_the_sheet(tmp_path):
    db = str(tmp_path / "kpi.duckdb")
    r = kpi("--db", db, "import", str(department_plan(tmp_path / "a.xlsx", plan_name=KANKYO)))
    assert r.returncode == 0, r.stderr.decode()
    # --plan with the full-width name of the sheet: the same plan, not "two names that look the same"
    later = department_plan(tmp_path / "b.xlsx", plan_name=KANKYO, actual={(1, 2022): 31})
    r = kpi("--db", db, "import", str(later), "--plan", KANKYO)
    assert r.returncode == 0, r.stderr.decode()
    assert "計画「協働テスト市行政改革プラン(環境局)」: 新規 0 件、変更 1 件" in r.stdout.decode()
    r = kpi("--db", db, "export", "--machine", "--plan", KANKYO)
    assert r.returncode == 0, r.stderr.decode()
    got = list(csv.DictReader(io.StringIO(r.stdout.decode("utf-8-sig"))))
    assert {g["plan"] for g in got} == {"協働テスト市行政改革プラン(環境局)"}
    assert ("1", "2022", "31") in {(g["item_no"], g["fiscal_year"], g["actual"]) for g in got}
    r = kpi("--db", db, "history", "--plan", KANKYO)
    assert r.returncode == 0, r.stderr.decode()
    assert len([line for line in r.stdout.decode().splitlines()[1:] if line.strip()]) == 2
    s = Store.open(db)
    try:
        assert [p.name for p in s.plans()] == ["協働テスト市行政改革プラン(環境局)"]
    finally:
        s.close()


def test_cli_export_and_history_of_an_unknown_plan_fail_with_the_plans_named(tmp_path):
    db = str(tmp_path / "kpi.duckdb")
    assert kpi("--db", db, "import", str(department_plan(tmp_path / "a.xlsx", plan_name=KANKYO))).returncode == 0
    for command in ("export", "history"):
        r = kpi("--db", db, command, "--plan", "協働テスト市行政改革プラン（財務局）")
        assert r.returncode == 1, (command, r.stdout.decode())
        err = r.stderr.decode()
        assert "計画「協働テスト市行政改革プラン（財務局）」はありません" in err
        assert "登録されている計画: 「協働テスト市行政改革プラン(環境局)」" in err
        assert r.stdout == b""


# ------------------------------------------------------------------ the upload page

def test_upload_page_says_an_unknown_plan_name_makes_a_new_plan_and_leaves_the_other_alone(app_env, tmp_path):
    s = Store.open(app_env)
    try:
        commit(s, [prepare(s, department_plan(tmp_path / "a.xlsx"), today=TODAY)], "推進課")
        before = titles(s, DEPT_PLAN)
    finally:
        s.close()
    other = department_plan(tmp_path / "b.xlsx", plan_name="協働テスト市総合戦略",
                            titles={1: "別の取組1", 2: "別の取組2", 3: "別の取組3"})
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/upload.py")
    at.run()
    at.file_uploader[0].set_value([(other.name, other.read_bytes(), XLSX)])
    at.run()
    assert not at.exception, at.exception
    text = " ".join(m.value for m in at.markdown) + " ".join(i.value for i in at.info) + \
        " ".join(w.value for w in at.warning)
    text = text.replace("\\", "")
    assert "**取り込み先**　協働テスト市総合戦略（新しい計画）" in text
    assert "計画「協働テスト市総合戦略」はまだ登録されていません。取り込むと、新しい計画として作ります。" in text
    assert f"「{DEPT_PLAN}」 とは別の計画になります" in text
    commit_button = next(b for b in at.button if b.label == "取り込む")
    assert commit_button.disabled  # the warning about the look-alike plan must be confirmed
    at.checkbox(key="accept_0").check()
    at.run()
    next(b for b in at.button if b.label == "取り込む").click()
    at.run()
    assert not at.exception, at.exception
    s = Store.open(app_env)
    try:
        assert titles(s, DEPT_PLAN) == before
        assert titles(s, "協働テスト市総合戦略") == {"1": "別の取組1", "2": "別の取組2", "3": "別の取組3"}
    finally:
        s.close()
