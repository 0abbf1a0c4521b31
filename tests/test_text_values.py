"""Qualitative indicators (issue 16 item 8): yearly 計画/実績 in words (把握 → 実施, 検討 → 実施済).

An indicator marked 定性 takes words in its 計画 and 実績 cells; a numeric one refuses them, naming
the sheet and cell, as always. The words are stored through the journal (新規 / 変更 / 変更なし,
undo), graded by the plan's text matches (実施 = 達成) with the reason in Japanese, or by hand.
"""

from __future__ import annotations

import io
import json

import pytest
from conftest import TODAY
from helpers import canonical_workbook, sql
from openpyxl import Workbook

from kpi.errors import ImportRefused
from kpi.intake import history
from kpi.intake.layouts import canonical, read_workbook
from kpi.intake.pipeline import commit, prepare
from kpi.intake.text_values import accept_text_values
from kpi.rules.assess import assess_plan
from kpi.rules.grading import (DEFAULT_RULE, PRESETS, Band, Grade, GradingRule, counted_label, grade_text_year,
                               item_grade)
from kpi.rules.model import Department, Indicator, Item, PlanData, PlanInfo, YearValue
from kpi.rules.rule_form import check_rule, form_of, rule_from_form
from kpi.vocabulary import UNGRADED

TEXT_RULE = GradingRule(
    name="達成・一部達成・未達成（文章の実績つき）",
    bands=(Band("達成", 1.0), Band("一部達成", 0.5)), default_label="未達成", lagging_below="一部達成",
    text_grades=(("実施", "達成"), ("実施済", "達成"), ("検討", "一部達成"), ("未着手", "未達成")))
MANUAL = PRESETS["manual"]


# ------------------------------------------------------------------ the grade and its reason
@pytest.mark.parametrize("rule, words, label, reason", [
    (TEXT_RULE, "実施", "達成", "実績『実施』は評価ルールで『達成』"),
    (TEXT_RULE, "実施済", "達成", "実績『実施済』は評価ルールで『達成』"),
    (TEXT_RULE, "実施 済", "達成", "実績『実施 済』は評価ルールで『達成』"),  # a space typed in
    (TEXT_RULE, "検討", "一部達成", "実績『検討』は評価ルールで『一部達成』"),
    (TEXT_RULE, "未着手", "未達成", "実績『未着手』は評価ルールで『未達成』"),
    (TEXT_RULE, "検討中", None,
     "実績『検討中』は評価ルールの文章の評価にないため、自動では評価しません（担当課の評価によります）"),
    (TEXT_RULE, None, None, "文章の実績がまだないため評価しません"),
    (DEFAULT_RULE, "実施", None,  # a rule without text matches: every qualitative indicator by hand
     "実績『実施』は評価ルールの文章の評価にないため、自動では評価しません（担当課の評価によります）"),
    (MANUAL, "実施", None, "この計画は自動評価を行いません（手動評価のみ）"),
])
def test_the_words_of_an_actual_are_graded_by_the_rule_with_the_reason(rule, words, label, reason):
    g = grade_text_year(rule, actual_words=words)
    assert (g.label, g.reason) == (label, reason)


def _plan(ind: Indicator, *, self_grade: str | None = None) -> PlanData:
    from kpi.rules.model import Evaluation
    evals = (Evaluation(2022, "年度", self_grade),) if self_grade else ()
    return PlanData(PlanInfo(1, "定性計画", start_fy=2021, end_fy=2023),
                    (Item("1", "協働の推進", indicators=(ind,), evaluations=evals),))


GUIDE = Indicator("協働指針の改定", qualitative=True,
                  years=(YearValue(2022, target_words="把握", actual_words="実施"),
                         YearValue(2023, target_words="検討", actual_words="検討中")))


@pytest.mark.parametrize("fy, item_label, item_reason", [
    (2022, "達成", "協働指針の改定: 実績『実施』は評価ルールで『達成』"),
    (2023, None, "評価できる指標がありません（協働指針の改定: 実績『検討中』は評価ルールの文章の評価にないため、"
                 "自動では評価しません（担当課の評価によります））"),
])
def test_an_item_is_graded_from_its_qualitative_indicator(fy, item_label, item_reason):
    ir = assess_plan(_plan(GUIDE), TEXT_RULE, as_of_fy=2023, today=TODAY).items[0]
    y = ir.year(fy)
    assert (y.auto.label, y.auto.reason) == (item_label, item_reason)
    r = ir.indicator_year("協働指針の改定", fy)
    assert (r.target_words, r.actual_words) == {2022: ("把握", "実施"), 2023: ("検討", "検討中")}[fy]


@pytest.mark.parametrize("self_grade, counted", [("一部達成", "一部達成"), (None, UNGRADED), ("Z", UNGRADED)])
def test_a_hand_graded_qualitative_item_counts_its_self_grade(self_grade, counted):
    """The rule leaves 検討中 to people: the department's own grade is what the summaries count."""
    words = Indicator("協働指針の改定", qualitative=True, years=(YearValue(2022, actual_words="検討中"),))
    result = assess_plan(_plan(words, self_grade=self_grade), TEXT_RULE, as_of_fy=2022, today=TODAY)
    assert result.grade_counts(2022)[counted] == 1


def test_a_numeric_self_grade_rule_is_unchanged_by_the_by_hand_count():
    """On an automatic plan a numeric indicator's ungraded year still counts 未評価, self-grade or not."""
    auto = Grade(None, "no_target", status="ungraded", condition="no_target")
    assert counted_label(TEXT_RULE, auto, "達成") == UNGRADED
    hand = item_grade(TEXT_RULE, [("x", grade_text_year(TEXT_RULE, actual_words="検討中"))])
    assert counted_label(TEXT_RULE, hand, "達成") == "達成"


# ------------------------------------------------------------------ the rule as versioned data
@pytest.mark.parametrize("key", list(PRESETS))
def test_old_rules_read_and_grade_exactly_as_before(key):
    rule = PRESETS[key]
    stored = json.loads(rule.to_json())
    assert stored["text_grades"] == []
    del stored["text_grades"]  # a rule stored before issue 16 item 8
    old = GradingRule.from_json(json.dumps(stored, ensure_ascii=False))
    assert old == rule and old.text_grades == () and old.describe() == rule.describe()
    assert not old.notice


def test_text_matches_survive_json_and_the_settings_form():
    again = GradingRule.from_json(TEXT_RULE.to_json())
    assert again == TEXT_RULE and not again.notice
    form = form_of(TEXT_RULE)
    assert form.text_grades.splitlines()[0] == "実施 = 達成"
    assert rule_from_form(form) == (TEXT_RULE, ())
    assert check_rule(TEXT_RULE.to_json()) == (TEXT_RULE, ())
    assert "文章の実績: 「実施」→達成・「実施済」→達成" in TEXT_RULE.describe()


@pytest.mark.parametrize("box, problem", [
    ("実施 = 達成\n実施済 → 達成\n検討＝一部達成", None),
    ("実施 = 達成\n実施", "文章の実績の評価 2行目「実施」は「実施 = 達成」の形で書いてください"),
    ("実施 = S", "文章の実績「実施」の評価「S」が区分にありません（達成・一部達成・未達成）"),
    ("実施 = 達成\n実施 = 未達成", "文章の実績の評価に、同じ文章が2回あります"),
])
def test_the_settings_box_of_text_matches_is_checked(box, problem):
    from dataclasses import replace
    rule, problems = rule_from_form(replace(form_of(TEXT_RULE), text_grades=box))
    if problem is None:
        assert problems == () and rule.text_label("検討") == "一部達成" and rule.text_label("実施済") == "達成"
    else:
        assert rule is None and problem in problems


@pytest.mark.parametrize("text_grades, problem", [
    ('"実施"', "文章の実績の評価（text_grades）は"),
    ('[["実施"]]', "文章の実績の評価（text_grades）は"),
    ('[["実施", 1]]', "文章の実績の評価は文字で書いてください"),
])
def test_malformed_text_matches_in_a_file_are_refused(text_grades, problem):
    body = TEXT_RULE.to_json().replace(json.dumps(json.loads(TEXT_RULE.to_json())["text_grades"], ensure_ascii=False),
                                       text_grades)
    rule, problems = GradingRule.parse_json(body)
    assert rule is None and any(p.startswith(problem) for p in problems), problems


# ------------------------------------------------------------------ the cells of the 年度値 sheet
def _book(indicators: list[dict], values: list[dict]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for name, head, rows in (("指標", ["No.", "指標名", "単位", "定性"], indicators),
                             ("年度値", ["No.", "指標名", "年度", "計画", "実績"], values)):
        if not rows and name == "指標":
            continue
        ws = wb.create_sheet(name)
        ws.append(head)
        for r in rows:
            ws.append([r.get(h) for h in head])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("mark, stored, cell, want", [
    ("○", False, "実施", ("text", "実施")),  # marked 定性 in the file
    ("○", False, 5, ("text", "5")),  # a number typed for a 定性 indicator is its words
    ("○", False, "―", None),  # a dash is no value, as for numbers
    (None, True, "実施", ("text", "実施")),  # a department sheet: the plan has it as 定性
    (None, True, 5, ("text", "5")),
    (None, False, "実施", ("error", "E2")),  # numeric: refused, naming the cell
    ("×", True, "実施", ("error", "E2")),  # the file turns it back to numeric
    ("", False, 5, ("number", 5.0)),
    ("×", False, "1,090", ("number", 1090.0)),
])
def test_text_cells_on_qualitative_and_numeric_indicators(mark, stored, cell, want):
    indicators = [{"No.": 1, "指標名": "指針の改定", "定性": mark}] if mark is not None else []
    data = _book(indicators, [{"No.": 1, "指標名": "指針の改定", "年度": "R4", "実績": cell}])
    batch = canonical.parse(read_workbook(data, "book.xlsx"), "計画")
    accept_text_values(batch, {("1", "指針の改定")} if stored else set())
    rows = batch.table("indicator_values")
    if want is None:
        assert rows == [] and batch.errors == []
    elif want[0] == "error":
        assert rows == []
        assert [(p.sheet, p.cell, p.message) for p in batch.errors] == [
            ("年度値", want[1], "「指針の改定」2022年度の実績に「実施」とあり、数値として読めません")]
    else:
        assert batch.errors == []
        ((row),) = rows
        assert (row.get("value"), row.get("text_value")) == ((None, want[1]) if want[0] == "text" else (want[1], None))


# ------------------------------------------------------------------ through the real pipeline
PLAN = {"計画名": "協働推進計画", "開始年度": "R3", "終了年度": "R7", "評価方式": TEXT_RULE.to_json()}
ITEMS = [{"No.": 1, "取組名": "協働の推進", "担当課": "協働推進課●"}]
INDICATORS = [{"No.": 1, "指標名": "協働指針の改定", "定性": "○"},
              {"No.": 1, "指標名": "協働事業の件数", "単位": "件", "基準値": 10, "最終目標値": 20}]
VALUES = [{"No.": 1, "指標名": "協働指針の改定", "年度": "R4", "計画": "把握", "実績": "実施"},
          {"No.": 1, "指標名": "協働指針の改定", "年度": "R5", "計画": "検討", "実績": "実施済"},
          {"No.": 1, "指標名": "協働事業の件数", "年度": "R4", "計画": 12, "実績": 13}]


def _words(store) -> list[tuple]:
    return sql(store, "SELECT fiscal_year, kind, value, text_value FROM indicator_values "
                      "WHERE indicator = '協働指針の改定' ORDER BY fiscal_year, kind")


def test_words_are_stored_shown_as_changes_and_undone(store, tmp_path):
    path = canonical_workbook(tmp_path / "協働.xlsx", plan=PLAN, items=ITEMS, indicators=INDICATORS, values=VALUES)
    prep = prepare(store, path, today=TODAY)
    assert not prep.errors, prep.errors
    assert not [p for p in prep.problems if "協働指針の改定" in p.message]  # no direction to guess for words
    assert {c.describe() for c in prep.changes.inserts if c.table == "indicator_values"} >= {
        "新規 年度値 No.1 協働指針の改定 2022年度 計画: 把握", "新規 年度値 No.1 協働指針の改定 2022年度 実績: 実施"}
    commit(store, [prep], "推進課", backup=False)
    assert _words(store) == [(2022, "actual", None, "実施"), (2022, "target", None, "把握"),
                             (2023, "actual", None, "実施済"), (2023, "target", None, "検討")]
    assert sql(store, "SELECT indicator, qualitative FROM indicators ORDER BY sort") == [
        ("協働指針の改定", True), ("協働事業の件数", None)]

    again = prepare(store, path, today=TODAY)
    assert not again.errors and again.changes.is_empty
    assert len(again.changes.unchanged) == len(prep.changes.inserts)  # 変更なし, every row

    # The department's sheet has no 指標 sheet: the plan says the indicator is 定性.
    fix = canonical_workbook(tmp_path / "訂正.xlsx", plan={"計画名": "協働推進計画"},
                             values=[{"No.": 1, "指標名": "協働指針の改定", "年度": "R5", "計画": "改定",
                                      "実績": "実施済"}])
    prep = prepare(store, fix, today=TODAY)
    assert not prep.errors, prep.errors
    assert [c.describe() for c in prep.changes.updates] == ["変更 年度値 No.1 協働指針の改定 2023年度 計画（値: 検討 → 改定）"]
    assert [p.message for p in prep.problems if p.code == "target_changed"] == [
        "No.1「協働指針の改定」令和5年度（2023年度）の計画が「検討」→「改定」に変わります（一度決めた目標の変更です）"]
    (res,) = commit(store, [prep], "協働推進課", note="指針の方針を変更", backup=False)
    assert (2023, "target", None, "改定") in _words(store)
    # 目標の修正 lists the words' change as it lists a number's (当初 → 修正, who and why)
    from kpi.cycle.revisions import revisions_of
    plan_id = store.plan_by_name("協働推進計画").plan_id
    assert [(r.label(), r.text().split("（")[0]) for r in revisions_of(store, plan_id)] == [
        ("協働指針の改定 令和5年度の計画（文章）", "当初 「検討」 → 修正 「改定」")]
    history.undo(store, res.upload_id, "管理者")
    assert (2023, "target", None, "検討") in _words(store)
    assert revisions_of(store, plan_id) == ()


def test_text_for_a_numeric_indicator_is_refused_naming_the_cell_and_nothing_is_written(store, tmp_path):
    path = canonical_workbook(tmp_path / "協働.xlsx", plan=PLAN, items=ITEMS, indicators=INDICATORS, values=VALUES)
    commit(store, [prepare(store, path, today=TODAY)], "推進課", backup=False)
    before = (sql(store, "SELECT * FROM indicator_values ORDER BY indicator, fiscal_year, kind"),
              sql(store, "SELECT count(*) FROM uploads"))
    bad = canonical_workbook(tmp_path / "文字.xlsx", plan={"計画名": "協働推進計画"},
                             values=[{"No.": 1, "指標名": "協働指針の改定", "年度": "R6", "実績": "実施"},
                                     {"No.": 1, "指標名": "協働事業の件数", "年度": "R5", "計画": "未定"}])
    prep = prepare(store, bad, today=TODAY)
    assert [(p.sheet, p.cell, p.message) for p in prep.errors] == [
        ("年度値", "D3", "「協働事業の件数」2023年度の計画に「未定」とあり、数値として読めません")]
    with pytest.raises(ImportRefused):
        commit(store, [prep], "推進課", backup=False)
    assert (sql(store, "SELECT * FROM indicator_values ORDER BY indicator, fiscal_year, kind"),
            sql(store, "SELECT count(*) FROM uploads")) == before


def test_the_item_view_and_the_exports_show_the_words(store, tmp_path):
    from kpi.access.permissions import LOCAL_ADMIN
    from kpi.outputs import export
    from kpi.views.extras import load_extras
    from kpi.views.item import item_detail_view
    path = canonical_workbook(tmp_path / "協働.xlsx", plan=PLAN, items=ITEMS, indicators=INDICATORS, values=VALUES)
    commit(store, [prepare(store, path, today=TODAY)], "推進課", backup=False)
    pid = store.plan_by_name("協働推進計画").plan_id
    d = item_detail_view(store.load_plan(pid), load_extras(store, pid), store.rule(pid), "1", today=TODAY,
                         style="wareki")
    words = d.indicator_tables[0]
    assert words.columns == ("年度", "計画", "実績", "評価", "評価の根拠")
    assert {r[0]: r[1:4] for r in words.rows}["令和4年度"] == ("把握", "実施", "達成")
    assert {r[0]: r[4] for r in words.rows}["令和5年度"] == "実績『実施済』は評価ルールで『達成』"
    point = next(p for p in d.view.indicators[0].points if p.fiscal_year == 2022)
    assert (point.target_words, point.actual_words) == ("把握", "実施")  # what the pack's slides read
    table = export.build(store, "values", plan="協働推進計画", today=TODAY, actor=LOCAL_ADMIN)
    col = {c: i for i, c in enumerate(table.columns)}
    rows = {(r[col["indicator"]], r[col["fiscal_year"]]): r for r in table.rows}
    r = rows[("協働指針の改定", 2023)]
    assert (r[col["target"]], r[col["actual"]], r[col["target_text"]], r[col["actual_text"]], r[col["auto_grade"]]) \
        == ("", "", "検討", "実施済", "達成")
    assert rows[("協働事業の件数", 2022)][col["target"]] == "12"


# ------------------------------------------------------------------ the item page (AppTest)
def test_the_item_page_shows_the_words_per_year_with_the_grade_and_no_chart(app_env, tmp_path):
    from kpi.store.store import Store
    from tests.test_pages import open_page
    path = canonical_workbook(tmp_path / "協働.xlsx", plan=PLAN, items=ITEMS, indicators=INDICATORS, values=VALUES)
    s = Store.open(app_env)
    try:
        commit(s, [prepare(s, path, today=TODAY)], "推進課", backup=False)
        pid = s.plan_by_name("協働推進計画").plan_id
    finally:
        s.close()
    at = open_page("pages/item_detail.py", pid)
    assert at.title[0].value.startswith("No.1")
    words = next(df.value for df in at.dataframe if "計画" in df.value.columns and (df.value["計画"] == "把握").any())
    assert list(words["年度"]) == ["令和4年度", "令和5年度"]
    assert list(words["計画"]) == ["把握", "検討"] and list(words["実績"]) == ["実施", "実施済"]
    assert list(words["評価"]) == ["達成", "達成"]
    assert words["評価の根拠"].iloc[0] == "実績『実施』は評価ルールで『達成』"
    assert any("定性（計画・実績を文章で記入）" in c.value for c in at.caption)
    assert len(at.get("plotly_chart")) == 1  # the numeric indicator's chart only


def test_text_matches_are_set_on_the_rule_page(app_env):
    """The 評価ルール page's box: typed as a person would, shown as a sentence, saved with the rule."""
    import os

    from kpi.store.store import Store
    from tests.test_pages import niigata, open_page, text_of
    pid = niigata()
    at = open_page("pages/settings.py", pid)
    ver = at.session_state[f"rule_ver_{pid}"]
    at.text_area(key=f"rule_text_{ver}").input("実施 = A\n検討 → B\n実施済").run()
    assert "文章の実績の評価 3行目「実施済」は「実施 = 達成」の形で書いてください" in text_of(at)
    at.text_area(key=f"rule_text_{ver}").input("実施 = A\n検討 → B").run()
    assert "A: 定性の指標の実績が「実施」のとき（文章の実績の評価）。" in text_of(at)
    at.button(key="rule_save").click().run()
    s = Store.open(os.environ["KPI_DB"])
    try:
        rule = s.rule(pid)
    finally:
        s.close()
    assert rule.text_grades == (("実施", "A"), ("検討", "B")) and rule.labels == ("A", "B", "C")


def test_the_pack_gets_the_words_from_the_view_and_its_excel_writes_them():
    from kpi.outputs.pack.slides import build_deck
    from kpi.outputs.pack.workbook import sheets
    deck = build_deck(_plan(GUIDE), TEXT_RULE, as_of_fy=2023, today=TODAY)
    (ind,) = deck.items[0].indicators
    assert ind.view.qualitative
    assert [(p.target_words, p.actual_words, p.grade) for p in ind.view.points] == [
        ("把握", "実施", "達成"), ("検討", "検討中", "")]
    values = next(s for s in sheets(deck) if s.name == "指標の年度値")
    col = {h: i for i, h in enumerate(values.headers)}
    assert [(r[col["年度"]], r[col["計画"]], r[col["実績"]], r[col["評価"]]) for r in values.rows] == [
        ("令和4年度", "把握", "実施", "達成"), ("令和5年度", "検討", "検討中", None)]


def test_the_decks_list_row_says_the_years_words():
    from kpi.outputs.pack.slides import build_deck
    deck = build_deck(_plan(GUIDE), TEXT_RULE, as_of_fy=2023, today=TODAY)
    rows = [r for sec in deck.sections for r in sec.rows]
    assert any("計画「検討」→実績「検討中」（令和5年度）" in cell for r in rows for cell in r), rows


# ------------------------------------------------------------------ words count as reported
@pytest.mark.parametrize("year, unreported", [
    (YearValue(2022, target_words="把握"), True),  # a plan in words and no 実績 yet
    (YearValue(2022, target_words="把握", actual_words="実施"), False),
    (YearValue(2022, actual_words="実施"), False),
    (YearValue(2022), False),  # nothing planned, nothing asked for
])
def test_a_qualitative_target_without_an_actual_is_unreported(year, unreported):
    from kpi.cycle.reminders import missing_for
    from kpi.rules.lagging import series_of
    from kpi.views.departments import missing_reports
    from datetime import date
    words = Indicator("協働指針の改定", qualitative=True, years=(year,))
    data = PlanData(PlanInfo(1, "定性計画", start_fy=2021, end_fy=2023),
                    (Item("1", "協働の推進", departments=(Department("企画課", True),), indicators=(words,)),))
    assert (series_of(words).unreported == (2022,)) is unreported
    reported = missing_reports(data, TEXT_RULE, {"1"}, 2022, date(2023, 5, 1))
    assert [(m.what, m.detail, m.overdue) for m in reported] == (
        [("実績", "協働指針の改定: 令和4年度の計画値はあるが実績がない（年度終了後も未報告）", True)] if unreported else [])
    asked = [line for m in missing_for(data, "企画課", 2022, ("年度",)) for line in m.lines
             if line.startswith("協働指針の改定")]
    assert asked == (["協働指針の改定: 令和4年度の実績が未記入（計画 「把握」）"] if unreported else [])
    lagging = assess_plan(data, TEXT_RULE, as_of_fy=2022, today=date(2023, 5, 1)).items[0]
    assert ("actual_missing" in {r.code for r in lagging.reasons}) is unreported
