"""データ取込 and 取込履歴 as a department clerk and an administrator use them (AppTest)."""

from __future__ import annotations

import re

import pytest
from conftest import NIIGATA, NIIGATA_PLAN, ROOT, SAMPLES, TODAY
from helpers import edited_copy, sql
from streamlit.testing.v1 import AppTest

from kpi.access.permissions import LOCAL_ADMIN
from kpi.intake.pipeline import commit, prepare
from kpi.outputs import export
from kpi.store.store import Store

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def open_page(page: str, **state) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def upload(at: AppTest, *paths) -> AppTest:
    at.file_uploader[0].set_value([(p.name, p.read_bytes(), XLSX) for p in paths])
    at.run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.error] + \
            [w.value for w in at.warning] + [i.value for i in at.info] + [s.value for s in at.success]
    return " ".join(parts).replace("\\", "")


def test_new_plan_preview_confirm_then_the_same_file_changes_nothing(app_env):
    at = open_page("pages/upload.py")
    at.selectbox(key="upload_plan").set_value("__new__")
    at.run()
    at.text_input(key="upload_new_plan").set_value("新潟市テスト計画")
    at.run()
    upload(at, NIIGATA)
    assert "進捗管理シート" in texts(at) and "新潟市テスト計画（新しい計画）" in texts(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"新規": "37", "変更": "0", "変更なし": "0"}
    preview = at.dataframe[0].value
    row = preview[(preview["指標"] == "まちづくりセンター数") & (preview["年度"] == "平成28年度") & (preview["項目"] == "実績")]
    assert list(row["状況"]) == ["新規"] and list(row["変更後"]) == ["48"]
    store = Store.open(app_env)
    assert store.plan_by_name("新潟市テスト計画") is None  # nothing written before the button
    store.close()

    button(at, "取り込む").click()
    at.run()
    assert not at.exception, at.exception
    assert "取り込みました（取込番号" in texts(at)
    store = Store.open(app_env)
    try:
        table = export.build(store, "values", plan="新潟市テスト計画", today=TODAY, actor=LOCAL_ADMIN)
        col = {h: i for i, h in enumerate(table.columns)}
        assert ("まちづくりセンター数", 2016, "50", "48") in {
            (r[col["indicator"]], r[col["fiscal_year"]], r[col["target"]], r[col["actual"]]) for r in table.rows}
        assert store.uploads()[0].uploaded_by == "ローカル管理者"
        before = store.uploads()
    finally:
        store.close()

    at.selectbox(key="upload_plan").set_value("新潟市テスト計画")
    at.run()
    upload(at, NIIGATA)
    assert "変更はありません。同じ内容がすでに登録されています" in texts(at)
    assert "取り込み済みです" in texts(at)
    assert button(at, "取り込む").disabled
    store = Store.open(app_env)
    assert store.uploads() == before
    store.close()


def test_changed_target_needs_the_warning_accepted_and_a_reason_which_is_kept(app_env, tmp_path):
    changed = edited_copy(NIIGATA, tmp_path / "計画値の修正.xlsx", {("No.28(H27-28)", "F13"): "1,300"})
    at = open_page("pages/upload.py")
    at.selectbox(key="upload_plan").set_value(NIIGATA_PLAN)
    at.run()
    upload(at, changed)
    assert "平成28年度（2016年度）の計画が 1,250 → 1,300 に変わります" in texts(at)
    assert button(at, "取り込む").disabled
    at.checkbox[0].check()
    at.run()
    assert button(at, "取り込む").disabled and "変更の理由を書いてください" in texts(at)
    at.text_area[0].set_value("委員会で目標を見直した")
    at.run()
    assert not button(at, "取り込む").disabled
    button(at, "取り込む").click()
    at.run()
    assert not at.exception, at.exception
    store = Store.open(app_env)
    try:
        up = store.uploads()[0]
        assert (up.note, up.file_name, up.n_update) == ("委員会で目標を見直した", "計画値の修正.xlsx", 1)
        assert sql(store, "SELECT value FROM indicator_values WHERE fiscal_year = 2016 AND kind = 'target' "
                           "AND indicator LIKE 'コミュニティ%'") == [(1300.0,)]
    finally:
        store.close()

    # and the history page undoes it, putting 1,250 back
    at = open_page("pages/history.py")
    assert "委員会で目標を見直した" in at.dataframe[0].value["メモ"].tolist()
    assert "計画（値: 1,250 → 1,300）" in " ".join(at.dataframe[1].value["変更内容"])
    at.checkbox[0].check()
    at.run()
    button(at, "この取り込みを取り消す").click()
    at.run()
    assert not at.exception, at.exception
    assert "を取り消しました" in texts(at)
    store = Store.open(app_env)
    try:
        assert sql(store, "SELECT value FROM indicator_values WHERE fiscal_year = 2016 AND kind = 'target' "
                           "AND indicator LIKE 'コミュニティ%'") == [(1250.0,)]
        assert store.uploads()[0].kind == "undo"
    finally:
        store.close()


def test_history_hides_undo_from_someone_who_did_not_upload(app_env):
    from kpi.access.permissions import Actor
    at = open_page("pages/history.py", actor=Actor("閲覧者", "viewer"))
    assert not [b for b in at.button if b.label == "この取り込みを取り消す"]
    assert "「閲覧」の権限のため、取り込みの取り消しはできません" in texts(at)


def test_downloads_page_offers_the_prefilled_sheet_template_and_exports(app_env):
    at = open_page("pages/downloads.py")
    assert at.selectbox(key="dl_dept").options == ["すべての担当課", "中央公民館", "市民協働課"]
    assert len(at.get("download_button")) == 3


def test_a_widget_rerun_keeps_the_review_and_a_write_elsewhere_renews_it(app_env, tmp_path, monkeypatch):
    import kpi.intake.review as review
    runs = []
    real = review.prepare_many

    def counted(*args, **kwargs):
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(review, "prepare_many", counted)
    changed = edited_copy(NIIGATA, tmp_path / "計画値の修正.xlsx", {("No.28(H27-28)", "F13"): "1,300"})
    at = open_page("pages/upload.py")
    at.selectbox(key="upload_plan").set_value(NIIGATA_PLAN)
    at.run()
    upload(at, changed)
    assert len(runs) == 1 and len(at.dataframe[0].value) == 1
    at.toggle(key="all_0_計画値の修正.xlsx").set_value(True)  # 変更なしの行も表示する
    at.run()
    at.checkbox[0].check()  # 注意を確認した
    at.run()
    assert len(at.dataframe[0].value) > 1 and "変更の理由を書いてください" in texts(at)
    assert len(runs) == 1  # the same files, edits and data: the review kept from the first run

    # someone else takes the same change in: the data version moves and the page sees it
    store = Store.open(app_env)
    try:
        commit(store, [prepare(store, changed, plan_name=NIIGATA_PLAN, today=TODAY)], "別の担当者", backup=False)
    finally:
        store.close()
    at.run()
    assert not at.exception, at.exception
    assert len(runs) == 2 and "変更はありません。同じ内容がすでに登録されています" in texts(at)


# The three sample layouts the browser no longer uploads (tests/browser/test_upload.py keeps the
# progress sheet and the action list): the same checks, through the same page. Their stored values
# are read back cell by cell in tests/test_samples_cli.py.
@pytest.mark.parametrize("name", ["kodaira_sousei_progress_h29.xlsx", "tomisato_kyodo_progress.xlsx",
                                  "kodaira_kyodo_guideline_tables.xlsx"])
def test_sample_upload_as_a_new_plan_then_its_items_on_the_home_page(app_env, tmp_path, name):
    plan = f"取込テスト {name.removesuffix('.xlsx')}"
    s = Store.open(tmp_path / "expect.duckdb")
    try:
        prep = prepare(s, SAMPLES / name, plan_name=plan, today=TODAY)
        assert prep.batch is not None, prep.problems
        n_items, layout = len({r["item_no"] for r in prep.batch.table("items")}), prep.layout_label
    finally:
        s.close()
    at = open_page("pages/upload.py")
    at.selectbox(key="upload_plan").set_value("__new__")
    at.run()
    at.text_input(key="upload_new_plan").set_value(plan)
    at.run()
    upload(at, SAMPLES / name)
    assert f"**様式**　{layout}" in texts(at) and f"{plan}（新しい計画）" in texts(at)
    assert int({m.label: m.value for m in at.metric}["新規"]) > 0
    assert len(at.dataframe[0].value) > 0  # the preview table
    for box in at.checkbox:
        if box.label.startswith("注意 ") and box.label.endswith("件を確認しました。このまま取り込みます"):
            box.check()
            at.run()
    button(at, "取り込む").click()
    at.run()
    assert not at.exception, at.exception
    assert re.search(r"取り込みました（取込番号 \d+", texts(at)), texts(at)

    store = Store.open(app_env)
    try:
        plan_id = store.plan_by_name(plan).plan_id
    finally:
        store.close()
    home = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    home.session_state["plan_id"] = plan_id
    home.run()
    assert not home.exception, home.exception
    assert int({m.label: m.value for m in home.metric}["取組数"]) == n_items
