"""Teaching a layout on the upload page (issue 19), as an administrator does it (AppTest)."""

from __future__ import annotations

import layout_books as books
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
