"""A department's file never changes a plan's settings behind anyone's back (issue 14, item 7).

The blank template the app hands out carries 評価方式 = A・B・C（達成率）. Filled in and uploaded
into a plan with its own rule, that cell must not replace the rule unnoticed: an administrator's
upload shows the change before → after and asks for confirmation; anyone else's settings are
left out with a notice; 変更 N 件 counts a changed setting; grade errors quote the plan's labels.
"""

from __future__ import annotations

import io
from pathlib import Path

from conftest import NIIGATA_PLAN, ROOT, TODAY
from helpers import sql
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from kpi.access.permissions import LOCAL_ADMIN, Actor
from kpi.intake import history
from kpi.intake.pipeline import commit, prepare
from kpi.outputs.department_sheet import blank_template
from kpi.rules.grading import GradingRule
from kpi.rules.rule_form import RuleForm, rule_from_form
from kpi.store.store import Store
from kpi.views.rule_settings import save_rule

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CENTRES = "まちづくりセンター数"
KOMINKAN = Actor("公民館 担当", "editor", ("中央公民館",))
# The city's own rule: four grades, D below 60%.
ABCD, _ = rule_from_form(RuleForm("A・B・C・D（市の基準）", "achievement",
                                  (("A", 100.0, "達成"), ("B", 80.0, "おおむね達成"), ("C", 60.0, "やや遅れ"),
                                   ("D", None, "遅れ")), "B"))


def with_custom_rule(db: Path) -> None:
    s = Store.open(db)
    try:
        save_rule(s, NIIGATA_PLAN, ABCD, LOCAL_ADMIN)
    finally:
        s.close()


def filled_blank_template(path: Path, *, actual: float = 56, grade: str = "D") -> Path:
    """The blank template as handed out (評価方式 A・B・C（達成率） included), filled in by a person."""
    wb = load_workbook(io.BytesIO(blank_template().data))
    plan = wb["計画"]
    for row in plan.iter_rows(min_row=2):
        if row[0].value == "計画名":
            row[1].value = NIIGATA_PLAN

    def append(sheet: str, values: dict) -> None:
        ws = wb[sheet]
        headers = [c.value for c in ws[1]]
        ws.append([values.get(h) for h in headers])

    append("年度値", {"No.": "28", "指標名": CENTRES, "年度": "平成30年度", "実績": actual})
    append("評価", {"No.": "28", "年度": "平成30年度", "段階": "年度", "評価": grade, "取組の状況": "センターを増やした"})
    wb.save(path)
    return path


def stored_rule(db: Path) -> GradingRule:
    s = Store.open(db)
    try:
        return s.rule(s.plan_by_name(NIIGATA_PLAN).plan_id)
    finally:
        s.close()


def test_the_blank_template_keeps_the_plans_rule_for_a_department(app_env, tmp_path):
    with_custom_rule(app_env)
    path = filled_blank_template(tmp_path / "公民館.xlsx")
    s = Store.open(app_env)
    try:
        prep = prepare(s, path, today=TODAY, actor=KOMINKAN)
        assert not prep.errors, prep.errors  # D is a grade of the plan's rule, whatever the file's cell says
        (w,) = [p for p in prep.warnings if p.code == "settings_ignored"]
        assert (w.sheet, w.cell) == ("計画", "B7")  # 階層名 comes first; 評価方式 is listed too
        assert "ファイルにある計画の設定（階層名、評価方式）は反映しません" in w.message
        assert "この計画の評価方式「A・B・C・D（市の基準）」のまま取り込みます" in w.message
        assert not prep.changes.plan_changes
        commit(s, [prep], KOMINKAN)  # the department's values go in (before: refused whole, or the rule replaced)
        assert sql(s, "SELECT grade FROM evaluations WHERE fiscal_year = 2018 AND stage = '年度'") == [("D",)]
    finally:
        s.close()
    assert stored_rule(app_env) == ABCD


def test_grade_errors_quote_the_plans_own_labels(app_env, tmp_path):
    with_custom_rule(app_env)
    path = filled_blank_template(tmp_path / "公民館.xlsx", grade="S")
    s = Store.open(app_env)
    try:
        (err,) = prepare(s, path, today=TODAY, actor=KOMINKAN).errors
        assert err.message == "評価「S」はこの計画の評価区分（A・B・C・D）にありません"
        assert (err.sheet, err.cell) == ("評価", "D2")
        # an administrator's file would change the rule: the message says whose scheme refuses it
        (err,) = prepare(s, path, today=TODAY).errors
        assert "ファイルの評価方式「A・B・C（達成率）」の区分（A・B・C）にありません（この計画の今の区分は A・B・C・D）" in err.message
    finally:
        s.close()


def texts(at: AppTest) -> str:
    return " ".join([m.value for m in at.markdown] + [w.value for w in at.warning] + [c.value for c in at.caption] +
                    [i.value for i in at.info]).replace("\\", "")


def test_an_administrators_rule_change_is_shown_before_after_and_needs_confirmation(app_env, tmp_path):
    with_custom_rule(app_env)
    path = filled_blank_template(tmp_path / "推進課.xlsx", actual=55, grade="C")  # the values as stored
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/upload.py")
    at.run()
    at.file_uploader[0].set_value([(path.name, path.read_bytes(), XLSX)])
    at.run()
    assert not at.exception, at.exception
    shown = texts(at)
    assert "評価方式（評価ルール）が変わります" in shown
    assert "「A・B・C・D（市の基準）」（A: 100%以上 / B: 80%以上 / C: 60%以上 / D: それ以外" in shown
    assert "→ 「A・B・C（達成率）」（A: 100%以上 / B: 80%以上 / C: それ以外" in shown
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["変更"] == "3"  # 評価方式, 階層名 and the evaluation's text: not "変更 0 件"
    preview = at.dataframe[0].value
    rule_row = preview[preview["項目"] == "評価方式"]
    assert rule_row["変更前"].iloc[0].startswith("A・B・C・D（市の基準）")
    assert rule_row["変更後"].iloc[0].startswith("A・B・C（達成率）")
    levels = preview[preview["項目"] == "階層名"]
    assert (levels["変更前"].iloc[0], levels["変更後"].iloc[0]) == (
        "重点改革項目／取組項目（中項目）／具体的な取組項目（小項目）", "体系1／体系2／体系3")
    button = next(b for b in at.button if b.label == "取り込む")
    assert button.disabled and "評価方式の変更を確認した" in shown
    assert [c.key for c in at.checkbox] == ["accept_rule_0"]  # a confirmation of its own
    assert stored_rule(app_env) == ABCD
    at.checkbox(key="accept_rule_0").check()
    at.run()
    next(b for b in at.button if b.label == "取り込む").click()
    at.run()
    assert not at.exception, at.exception
    assert stored_rule(app_env).name == "A・B・C（達成率）"
    s = Store.open(app_env)
    try:
        up = s.uploads()[0]
        assert up.n_update == 3  # the history says 変更 3 件 too, and what the rule was
        assert any("評価方式: A・B・C・D（市の基準） → A・B・C（達成率）" in line for line in history.changes_of(s, up.upload_id))
    finally:
        s.close()


def test_a_department_uploading_on_the_page_is_told_its_rule_cell_is_ignored(app_env, tmp_path):
    with_custom_rule(app_env)
    path = filled_blank_template(tmp_path / "公民館.xlsx")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["actor"] = KOMINKAN
    at.run()
    at.switch_page("pages/upload.py")
    at.run()
    at.file_uploader[0].set_value([(path.name, path.read_bytes(), XLSX)])
    at.run()
    assert not at.exception, at.exception
    shown = texts(at)
    assert "ファイルにある計画の設定（階層名、評価方式）は反映しません" in shown
    assert "評価方式（評価ルール）が変わります" not in shown
    assert not [c for c in at.checkbox if c.key == "accept_rule_0"]
    at.checkbox(key="accept_0").check()
    at.run()
    next(b for b in at.button if b.label == "取り込む").click()
    at.run()
    assert not at.exception, at.exception
    assert "取り込みました" in " ".join(s.value for s in at.success)
    assert stored_rule(app_env) == ABCD
