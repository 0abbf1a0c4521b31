"""What a file stores is validated like what a person types (issue 14, item 4).

Every field a file brings is bounded (kpi/rules/bounds.py) and refused with the sheet and cell named;
a grading rule given as JSON is checked by the settings page's own code; and nothing already
stored, however it got there, makes a page or an export fail.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from conftest import NIIGATA, NIIGATA_PLAN, ROOT, TODAY
from helpers import canonical_workbook, edited_copy
from streamlit.testing.v1 import AppTest

from kpi.access.permissions import LOCAL_ADMIN
from kpi.intake.pipeline import prepare
from kpi.outputs import export
from kpi.rules.grading import DEFAULT_RULE, PRESETS, GradingRule
from kpi.rules.rule_form import RuleForm, check_rule, rule_from_form
from kpi.store.store import Store

PLAN = {"計画名": "上限テスト計画", "開始年度": "R2", "終了年度": "R6"}
ITEM = {"体系1": "方針", "体系2": "施策", "No.": "1", "取組名": "取組"}
INDICATOR = {"No.": "1", "指標名": "件数", "単位": "件"}


def with_raw_xml(path: Path, replacements: dict[str, str]) -> Path:
    """Put characters openpyxl refuses to write (NUL, BEL…) into the workbook's XML, the way a
    hand-made or broken file carries them: Excel's _x0000_ escape or a character reference."""
    src = zipfile.ZipFile(path)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            for placeholder, raw in replacements.items():
                data = data.replace(placeholder.encode(), raw.encode())
            out.writestr(info, data)
    src.close()
    path.write_bytes(buf.getvalue())
    return path


def book(tmp_path: Path, *, plan=None, items=None, indicators=None, values=(), evaluations=(), raw=None) -> Path:
    path = canonical_workbook(tmp_path / "上限.xlsx", plan={**PLAN, **(plan or {})}, items=items or [ITEM],
                              indicators=indicators or [INDICATOR], values=values, evaluations=evaluations)
    return with_raw_xml(path, raw) if raw else path


EVIL_RULE = '{"measure": "evil", "bands": [{"label": "A", "min_rate": "x"}]}'

# (what, workbook arguments, sheet, cell, words in the message)
CASES = [
    ("a 5,000-digit item number", dict(items=[{**ITEM, "No.": "9" * 5000}]), "取組", "C2", "No.: 長すぎます（5,000文字。50文字まで）"),
    ("a 400-digit number", dict(values=[{"No.": "1", "指標名": "件数", "年度": "R3", "実績": "1" * 400}]), "年度値", "E2",
     "実績: 大きすぎるか、数値ではありません"),
    ("a value near 1e308", dict(values=[{"No.": "1", "指標名": "件数", "年度": "R3", "計画": 1e308}]), "年度値", "D2",
     "計画: 大きすぎます（扱える数値は絶対値が1,000兆未満です）"),
    ("1,000兆 itself", dict(values=[{"No.": "1", "指標名": "件数", "年度": "R3", "実績": 1e15}]), "年度値", "E2",
     "大きすぎます"),
    ("a baseline too big, named in its own cell", dict(indicators=[{**INDICATOR, "基準値": "9" * 30}]), "指標", "G2",
     "No.1「件数」の基準値: 大きすぎます"),
    ("a NUL in a title", dict(items=[{**ITEM, "取組名": "NULPLACE"}], raw={"NULPLACE": "NUL_x0000_入り"}), "取組", "D2",
     "No.1 の取組名: 制御文字など保存できない文字（U+0000）が含まれています"),
    ("a BEL in a unit", dict(indicators=[{**INDICATOR, "単位": "BELPLACE"}], raw={"BELPLACE": "&#7;件"}), "指標", "C2",
     "単位: 制御文字など保存できない文字（U+0007）"),
    ("U+FFFF in a comment", dict(evaluations=[{"No.": "1", "年度": "R3", "段階": "年度", "評価": "A",
                                               "取組の状況": "FFFFPLACE"}], raw={"FFFFPLACE": "&#xFFFF;"}),
     "評価", "E2", "（U+FFFF）"),
    ("40,000 characters of prose", dict(evaluations=[{"No.": "1", "年度": "R3", "段階": "年度", "評価": "A",
                                                      "取組の状況": "LONGPLACE"}], raw={"LONGPLACE": "あ" * 40_000}),
     "評価", "E2",
     "取組の状況: 長すぎます（40,000文字。32,767文字まで）"),
    ("a 300-character indicator name", dict(indicators=[{**INDICATOR, "指標名": "件" * 300}]), "指標", "B2",
     "指標名: 長すぎます（300文字。200文字まで）"),
    ("a rule with measure evil and threshold x", dict(plan={"評価方式": EVIL_RULE}), "計画", "B5",
     "評価方式の設定に問題があります: 測り方「evil」はありません"),
    ("a rule whose thresholds go up", dict(plan={"評価方式": '{"bands": [{"label": "A", "min_rate": 0.5}, '
                                                  '{"label": "B", "min_rate": 0.8}], "default_label": "C"}'}),
     "計画", "B5", "しきい値は上の区分ほど大きくしてください"),
    ("a rule that is not JSON", dict(plan={"評価方式": "{A: 100%}"}), "計画", "B5", "JSON として読めません"),
    ("a 600-character plan name", dict(plan={"計画名": "計" * 600}), "計画", "B2", "計画名: 長すぎます（600文字。500文字まで）"),
]


@pytest.mark.parametrize("what, kwargs, sheet, cell, words", CASES, ids=[c[0] for c in CASES])
def test_every_field_from_a_file_is_bounded_and_the_cell_named(store, tmp_path, what, kwargs, sheet, cell, words):
    prep = prepare(store, book(tmp_path, **kwargs), today=TODAY)
    found = [p for p in prep.errors if words in p.message]
    assert found, [str(p) for p in prep.errors]
    (p,) = found
    assert (p.sheet, p.cell, p.file) == (sheet, cell, "上限.xlsx"), str(p)
    assert p.hint
    assert store.is_empty()


def test_values_within_the_bounds_pass(store, tmp_path):
    prep = prepare(store, book(tmp_path, values=[{"No.": "1", "指標名": "件数", "年度": "R3", "計画": 999_999_999_999_999,
                                                  "実績": -0.000001}],
                               plan={"評価方式": PRESETS["sabcd"].to_json()}), today=TODAY)
    assert not prep.errors, prep.errors
    assert GradingRule.from_json(prep.batch.plan["grading_rule"]) == PRESETS["sabcd"]


def test_every_layout_gets_the_bounds(store, tmp_path):
    """The 進捗管理シート reads its own cells; the same bounds apply to what it read."""
    big = edited_copy(NIIGATA, tmp_path / "桁あふれ.xlsx", {("No.28(H27-28)", "F13"): "1" * 400})
    prep = prepare(store, big, plan_name=NIIGATA_PLAN, today=TODAY)
    (p,) = [p for p in prep.errors if p.code == "out_of_bounds"]
    assert (p.sheet, p.cell) == ("No.28(H27-28)", "F13") and "大きすぎる" in p.message
    assert store.is_empty()


def test_a_json_rule_is_checked_by_the_settings_pages_own_code():
    text = ('{"bands": [{"label": "A", "min_rate": 1.0}, {"label": "A", "min_rate": 0.8}], "default_label": "C", '
            '"lagging_below": "A"}')
    form = RuleForm("r", "achievement", (("A", 100.0, ""), ("A", 80.0, ""), ("C", None, "")), "A")
    assert check_rule(text)[1] == rule_from_form(form)[1] == ("評価の区分名が重複しています",)
    assert check_rule(PRESETS["marks"].to_json()) == (PRESETS["marks"], ())


def test_control_characters_in_a_plan_name_are_dropped_like_every_invisible_character(store, tmp_path):
    """A plan's name is compared and stored normalised (kpi/rules/plan_names.py): what cannot be seen is not part of it."""
    prep = prepare(store, book(tmp_path, plan={"計画名": "上限NULPLACEテスト計画"}, raw={"NULPLACE": "_x0001_\u200b"}),
                   today=TODAY)
    assert not prep.errors, prep.errors
    assert prep.batch.plan_name == "上限テスト計画"


@pytest.mark.parametrize("stored", [
    EVIL_RULE, "not json", "[1, 2]", '{"bands": "many"}', '{"actual_grace_months": 1e99}',
    '{"bands": [{"label": "A", "min_rate": 1}], "default_label": "A"}', '{"bands": [{"min_rate": 1}]}',
    '{"name": {"a": 1}}', pytest.param("{" * 10_000, id="10000-open-braces"),
])
def test_a_stored_rule_that_cannot_be_read_gives_the_default_rule_and_says_so(stored):
    rule = GradingRule.from_json(stored)
    assert rule == DEFAULT_RULE
    assert rule.notice.startswith("保存されている評価ルールを読めないため、既定のルール「A・B・C（達成率）」で評価しています")
    assert "notice" not in rule.to_json()


@pytest.mark.parametrize("key", list(PRESETS))
def test_presets_read_back_without_notice(key):
    rule = GradingRule.from_json(PRESETS[key].to_json())
    assert rule == PRESETS[key] and not rule.notice


# ------------------------------------------------------------------ records stored before these bounds

def bad_records(db: Path) -> int:
    """Write, with SQL, what older versions let files store: an unreadable rule, a 5,000-digit item
    number, a NUL in a title, inf, nan and 1e308 as values."""
    s = Store.open(db)
    try:
        pid = s.plan_by_name(NIIGATA_PLAN).plan_id
        with s.transaction() as cur:
            cur.execute("UPDATE plans SET grading_rule = ? WHERE plan_id = ?", [EVIL_RULE, pid])
            cur.execute("INSERT INTO items (plan_id, item_no, title, sort) VALUES (?, ?, '長い番号', 98)", [pid, "9" * 5000])
            cur.execute("INSERT INTO items (plan_id, item_no, title, sort) VALUES (?, '77', ?, 99)", [pid, "NUL\x00入り"])
            cur.execute("INSERT INTO item_status (plan_id, item_no, fiscal_year, status, note) VALUES "
                        "(?, '77', 2016, '継続中', ?)", [pid, "BEL\x07"])
            cur.execute("INSERT INTO indicators (plan_id, item_no, indicator, unit, direction, baseline, sort) "
                        "VALUES (?, '77', '件数', '件', 'higher', 'nan'::DOUBLE, 1)", [pid])
            cur.execute("INSERT INTO indicator_values (plan_id, item_no, indicator, fiscal_year, kind, value) VALUES "
                        "(?, '77', '件数', 2016, 'target', 1e-300), (?, '77', '件数', 2016, 'actual', 'inf'::DOUBLE), "
                        "(?, '77', '件数', 2017, 'target', 1e-10), (?, '77', '件数', 2017, 'actual', 1e308), "
                        "(?, ?, '件数', 2017, 'actual', 5)", [pid, pid, pid, pid, pid, "9" * 5000])
        return pid
    finally:
        s.close()


def test_exports_survive_records_stored_before_the_bounds(demo_copy):
    bad_records(demo_copy)
    s = Store.open(demo_copy)
    try:
        for what in export.COLUMNS:
            for fmt in ("csv", "xlsx"):
                data = export.write(s, what, fmt, None, today=TODAY, actor=LOCAL_ADMIN)
                assert data, (what, fmt)
                if fmt == "csv":
                    text = data.decode("utf-8-sig")
                    assert "inf" not in text and "nan" not in text, what
        table = export.build(s, "values", plan=NIIGATA_PLAN, today=TODAY, actor=LOCAL_ADMIN)
        col = {c: i for i, c in enumerate(table.columns)}
        row = next(r for r in table.rows if r[col["item_no"]] == "77" and r[col["fiscal_year"]] == 2016)
        # inf is missing, never 達成率 inf graded A
        assert (row[col["actual"]], row[col["achievement_rate"]], row[col["auto_grade"]]) == ("", "", "")
        row = next(r for r in table.rows if r[col["item_no"]] == "77" and r[col["fiscal_year"]] == 2017)
        assert row[col["actual"]] == "" and row[col["achievement_rate"]] == ""  # 1e308, its rate overflowing: no nan
    finally:
        s.close()


def test_pages_survive_records_stored_before_the_bounds_and_name_them(app_env):
    pid = bad_records(app_env)
    for page in ("pages/home.py", "pages/item_detail.py", "pages/plan.py", "pages/settings.py", "pages/downloads.py"):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.session_state["plan_id"] = pid
        at.run()
        at.switch_page(page)
        at.run()
        assert not at.exception, (page, at.exception)
        notes = " ".join(w.value for w in at.warning).replace("\\", "")
        assert f"計画「{NIIGATA_PLAN}」: 保存されている評価ルールを読めないため、既定のルール「A・B・C（達成率）」で評価しています" \
            in notes, page
        assert "測り方「evil」はありません" in notes
        assert "No.77「件数」2016年度の実績に保存されている値（inf）は扱える数値ではないため、空欄として扱います" in notes, page
        assert "No.77「件数」の基準値に保存されている値（nan）" in notes

