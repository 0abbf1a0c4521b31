"""Teaching a layout on the upload page (issue 19), as an administrator does it (AppTest)."""

from __future__ import annotations

import layout_books as books
import pytest
from test_upload_page import button, open_page, texts, upload

from kpi.store.store import Store


def fill_wareki_form(at, key):
    k = f"teach_{key}"
    at.text_input(key=f"{k}_head").set_value("1")
    at.number_input(key=f"{k}_first").set_value(2)
    at.text_input(key=f"{k}_no").set_value("A")
    at.text_input(key=f"{k}_title").set_value("B")
    at.text_area(key=f"{k}_groups").set_value("成果 - C D -")
    at.checkbox(key=f"{k}_auto").check()
    at.text_input(key=f"{k}_skip").set_value("小計")
    at.text_input(key=f"{k}_grade").set_value("I")
    at.text_input(key=f"{k}_comment").set_value("J")
    at.text_input(key=f"{k}_eval_year").set_value("R2")
    at.text_input(key=f"{k}_name").set_value("行政評価 指標一覧")
    at.text_input(key=f"{k}_plan").set_value("行政評価")
    at.run()
    assert not at.exception, at.exception


def test_admin_teaches_an_unknown_sheet_imports_it_and_the_next_upload_is_recognised(app_env, tmp_path):
    book = tmp_path / "hyoka.xlsx"
    book.write_bytes(books.wareki_header())
    at = open_page("pages/upload.py")
    upload(at, book)
    assert "どの様式にも当てはまりませんでした" in texts(at)
    key = "0_hyoka.xlsx"
    fill_wareki_form(at, key)
    button(at, "この設定で試しに読む").click()
    at.run()
    assert not at.exception, at.exception
    assert "登録した様式「行政評価 指標一覧」" in texts(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["新規"] != "0" and metrics["変更"] == "0"
    preview = at.dataframe[-1].value  # the first is the list of header columns
    row = preview[(preview["No."] == "1-2") & (preview["年度"] == "令和元年度") & (preview["項目"] == "実績")]
    assert list(row["変更後"]) == ["112,345"]  # '112,345' typed as text, read as the number
    store = Store.open(app_env)
    assert store.layout_profiles() == [] and store.plan_by_name("行政評価") is None  # nothing saved yet
    store.close()
    button(at, "様式として保存する").click()
    at.run()
    assert not at.exception, at.exception
    # The page now reads the file with the saved profile, in the ordinary preview, and imports it.
    assert "様式「行政評価 指標一覧」を保存しました" in texts(at)
    assert "登録した様式「行政評価 指標一覧」" in texts(at)
    button(at, "取り込む").click()
    at.run()
    assert not at.exception, at.exception
    store = Store.open(app_env)
    plan = store.load_plan(store.plan_by_name("行政評価").plan_id)
    ind = plan.item("1-2").indicators[0]
    assert ind.name == "ホームページ閲覧数" and ind.year(2019).actual == 112345 and ind.year(2021).target == 120000
    assert plan.item("2-1").evaluation(2020, "年度").grade == "C"
    assert [n for n, _b in store.layout_profiles()] == ["行政評価 指標一覧"]
    store.close()
    at2 = open_page("pages/upload.py")
    upload(at2, book)
    assert "登録した様式「行政評価 指標一覧」" in texts(at2)
    assert "変更はありません" in texts(at2)


def test_mistakes_in_the_form_are_named_and_nothing_is_saved(app_env, tmp_path):
    book = tmp_path / "hyoka.xlsx"
    book.write_bytes(books.wareki_header())
    at = open_page("pages/upload.py")
    upload(at, book)
    k = "teach_0_hyoka.xlsx"
    at.text_input(key=f"{k}_no").set_value("A")
    at.text_area(key=f"{k}_groups").set_value("効果 a")
    at.text_area(key=f"{k}_years").set_value("R2 実績 0")
    at.text_input(key=f"{k}_name").set_value("x")
    at.run()
    assert not at.exception, at.exception
    assert "指標の1行目「効果 a」" in texts(at)
    assert not [b for b in at.button if b.label == "様式として保存する"]
    store = Store.open(app_env)
    assert store.layout_profiles() == []
    store.close()


# The other two unseen layouts through the same form (the 和暦 one is above): what an administrator types.
FORMS = {
    "two_row": ("jisshi.xlsx", books.two_row_header, {"head": "3,4", "first": 5, "no": "A", "title": "B", "dept": "C",
                                                      "groups": "成果 - D E - F G", "auto": True,
                                                      "name": "実施計画 進捗一覧", "plan": "第2次実施計画"}),
    "departments": ("ka.xlsx", books.sheet_per_department, {"head": "2", "first": 3, "no": "A", "title": "B",
                                                            "dept_sheet": True, "groups": "成果 - C D -", "auto": True,
                                                            "name": "課別 進捗管理表", "plan": "課別の取組"}),
}


def fill(at, key, fields):
    k = f"teach_{key}"
    for field, value in fields.items():
        if field == "first":
            at.number_input(key=f"{k}_first").set_value(value)
        elif field in ("auto", "dept_sheet"):
            at.checkbox(key=f"{k}_{field}").check()
        elif field == "groups":
            at.text_area(key=f"{k}_groups").set_value(value)
        else:
            at.text_input(key=f"{k}_{field}").set_value(value)
    at.run()
    assert not at.exception, at.exception


@pytest.mark.parametrize("case", list(FORMS))
def test_two_row_and_per_department_sheets_taught_on_the_page_then_recognised(app_env, tmp_path, case):
    """The two-row header with merged year cells (years read from '令和4年度' over 計画 / 実績) and one
    sheet per department (担当課 from the sheet's name), mapped on the page, imported, uploaded again →
    変更なし; the two-row one with a column inserted is refused naming the header cells that moved."""
    file_name, build, fields = FORMS[case]
    book = tmp_path / file_name
    book.write_bytes(build())
    at = open_page("pages/upload.py")
    upload(at, book)
    if case == "two_row":
        # '指標名', '担当課', '計画' / '実績' under a 'No.' are half a 進捗管理シート: read as one (item
        # No.「事業名」), a guess the administrator corrects by teaching the sheet's own layout
        assert "進捗管理シート" in texts(at)
        at.toggle(key=f"teach_open_0_{file_name}").set_value(True).run()
    else:
        assert "どの様式にも当てはまりませんでした" in texts(at)
    fill(at, f"0_{file_name}", fields)
    button(at, "この設定で試しに読む").click()
    at.run()
    button(at, "様式として保存する").click()
    at.run()
    assert f"登録した様式「{fields['name']}」" in texts(at)
    for box in at.checkbox:
        if box.label.startswith("注意"):  # the fractions read as percentages: read, then accepted
            box.check()
    at.run()
    button(at, "取り込む").click()
    at.run()
    assert not at.exception, at.exception
    store = Store.open(app_env)
    plan = store.load_plan(store.plan_by_name(fields["plan"]).plan_id)
    store.close()
    if case == "two_row":
        y = plan.item("1").indicators[0].year(2024)  # the cells under the merged 令和6年度: 14,500 / 14,100(見込み)
        assert (y.target, y.actual, y.actual_estimate) == (14500, 14100, True)
        assert plan.item("1").department_names == ("子育て支援課",)
    else:
        assert plan.item("B-2").department_names == ("企画政策課",)  # the second sheet, read by the same profile
        assert plan.item("B-2").indicators[0].year(2024).actual == 3811
    again = open_page("pages/upload.py")
    upload(again, book)
    assert f"登録した様式「{fields['name']}」" in texts(again) and "変更はありません" in texts(again)
    if case == "two_row":
        changed = tmp_path / "jisshi_changed.xlsx"
        changed.write_bytes(books.two_row_header(insert_column=True))
        upload(again, changed)
        shown = texts(again)
        assert "C3" in shown and "「担当課」のはずですが、「所管部」" in shown
        assert all(b.disabled for b in again.button if b.label == "取り込む")
