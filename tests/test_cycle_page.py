"""照会と提出 (pages/cycle.py) as the 推進課 and a department use it, and the call's progress on the home page
(AppTest, issue 20): open a call, see a submission's changes, return it with a comment, confirm, lock the
year, unlock with a reason — each checked in the database, not only on the page."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import ROOT, TODAY
from helpers import DEPT_PLAN, department_plan
from streamlit.testing.v1 import AppTest

from kpi.access import auth
from kpi.access.permissions import LOCAL_ADMIN, Actor
from kpi.cycle import calls
from kpi.intake.history import upload_list
from kpi.intake.pipeline import commit, prepare
from kpi.store.store import Store

KYODO = Actor("kyodo", "editor", ("市民協働課",))
ZAISEI = Actor("zaisei", "editor", ("財政課",))


@pytest.fixture
def env(tmp_path: Path, monkeypatch):
    import streamlit as st
    monkeypatch.setenv("KPI_TODAY", "2025-06-03")
    db = tmp_path / "kpi.duckdb"
    s = Store.open(db)
    commit(s, [prepare(s, department_plan(tmp_path / "plan.xlsx"), today=TODAY)], "推進")
    plan_id = s.plan_by_name(DEPT_PLAN).plan_id
    s.close()
    monkeypatch.setenv("KPI_DB", str(db))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield db, plan_id, tmp_path
    st.cache_resource.clear()
    st.cache_data.clear()


def open_page(page: str, plan_id: int, **state) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["plan_id"] = plan_id
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.error] + \
            [w.value for w in at.warning] + [i.value for i in at.info] + [s.value for s in at.success] + \
            [h.value for h in at.subheader]
    return " ".join(parts).replace("\\", "")


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    at.run()
    assert not at.exception, at.exception
    return at


def submit(db: Path, tmp_path: Path, who: Actor, item: int, actual: float) -> None:
    s = Store.open(db)
    try:
        commit(s, [prepare(s, department_plan(tmp_path / f"{who.name}-{actual}.xlsx", only=[item],
                                              actual={(item, 2022): actual}), today=TODAY)], who)
    finally:
        s.close()


def stored(db: Path, plan_id: int):
    s = Store.open(db)
    try:
        call = calls.find_call(s, plan_id)
        statuses = {x.department: x for x in calls.statuses_of(s, call, date(2025, 6, 3))}
        values = {it.item_no: it.indicators[0].year(2022).actual for it in s.load_plan(plan_id).items}
        return call, statuses, values, upload_list(s)
    finally:
        s.close()


def board(at: AppTest) -> dict[str, str]:
    df = next(d for d in at.dataframe if "担当課" in d.value.columns).value
    return dict(zip(df["担当課"], df["状況"]))


def test_the_promotion_office_runs_a_call_on_the_page(env):
    db, plan_id, tmp_path = env
    at = open_page("pages/cycle.py", plan_id)
    assert "この計画にはまだ照会がありません" in texts(at)
    at.selectbox(key="cycle_open_fy").set_value(2022)
    at.date_input(key="cycle_open_deadline").set_value(date(2025, 5, 31))
    at.text_area(key="cycle_open_instructions").set_value("令和4年度の実績を記入してください")
    click(at, "照会を開始する")
    assert "照会を開始しました" in texts(at)
    assert "0 / 2 課 提出済、2 課 期限切れ" in texts(at)
    assert board(at) == {"市民協働課": "未提出・期限切れ（3日経過）", "財政課": "未提出・期限切れ（3日経過）"}
    call, _st, _v, _u = stored(db, plan_id)
    assert (call.fiscal_year, call.deadline, call.instructions) == (2022, date(2025, 5, 31), "令和4年度の実績を記入してください")
    # the reminder text is ready to copy, per department, with what is missing
    body = at.text_area(key="cycle_body_財政課").value
    assert "提出期限を3日過ぎていますが、まだ提出されていません。" in body and "・No.2 取組2" in body

    submit(db, tmp_path, KYODO, 1, 55)
    submit(db, tmp_path, ZAISEI, 2, 77)
    at.run()
    assert "2 / 2 課 提出済、うち確認待ち 2 課、0 課 期限切れ" in texts(at)
    changes = [list(d.value["変更内容"]) for d in at.dataframe if "変更内容" in d.value.columns]
    assert any("変更 年度値 No.2 指標2 2022年度 実績（値: 39 → 77）" in " ".join(c) for c in changes), changes

    click(at, "差し戻す")  # the first waiting one (市民協働課) without a comment: refused, nothing changed
    assert "直してほしいこと" in texts(at)
    assert stored(db, plan_id)[1]["市民協働課"].label == "提出済（確認待ち）"
    at.text_input(key="cycle_comment_財政課").set_value("実績の根拠を備考に書いてください")
    next(b for b in at.button if b.key == "cycle_return_財政課").click()
    at.run()
    _c, statuses, values, _u = stored(db, plan_id)
    assert statuses["財政課"].label == "差し戻し" and values["2"] == 39  # the returned value no longer stands
    assert board(at)["財政課"] == "差し戻し・期限切れ（3日経過）"
    next(b for b in at.button if b.key == "cycle_confirm_市民協働課").click()
    at.run()
    assert stored(db, plan_id)[1]["市民協働課"].label == "確定"
    assert board(at)["市民協働課"] == "確定・期限後の提出"

    at.checkbox(key="cycle_final_sure").check()
    at.run()
    click(at, "照会を確定する")
    assert "を確定しました" in texts(at)
    assert "令和4年度の年度評価は2025-06-03" in texts(at) and "が確定しました" in texts(at)
    at.text_input(key="cycle_unlock_reason").set_value("議会答弁に合わせて訂正")
    click(at, "確定を解除する")
    _c, _s, _v, uploads = stored(db, plan_id)
    assert uploads[0].note == "確定の解除: 令和4年度 年度（理由: 議会答弁に合わせて訂正）"
    assert "議会答弁に合わせて訂正" in texts(at)


def test_a_department_sees_its_status_and_the_comment(env):
    db, plan_id, tmp_path = env
    s = Store.open(db)
    auth.add_user(s, LOCAL_ADMIN, "kanri", "admin", password="kanri-pass-1234")
    auth.add_user(s, LOCAL_ADMIN, "zaisei", "editor", ["財政課"], password="zaisei-pass-1234")
    call = calls.open_new(s, Actor("kanri", "admin"), plan_id, 2022, ["年度"], date(2025, 5, 31))
    s.close()
    submit(db, tmp_path, ZAISEI, 2, 77)
    s = Store.open(db)
    from kpi.intake.cycle_review import send_back
    send_back(s, Actor("kanri", "admin"), call, "財政課", "実績の根拠を備考に書いてください")
    s.close()
    at = open_page("pages/cycle.py", plan_id, _auth_user="zaisei")
    assert at.session_state["actor"].name == "zaisei"
    t = texts(at)
    assert "財政課の状況: 差し戻し・期限切れ（3日経過）（理由: 実績の根拠を備考に書いてください）" in t
    assert "推進課からの差し戻し" in t and "実績の根拠を備考に書いてください" in t
    assert not [b for b in at.button if b.label in ("照会を確定する", "差し戻す")]  # the 推進課's part is not shown


def test_the_home_page_shows_the_calls_progress(env):
    db, plan_id, tmp_path = env
    s = Store.open(db)
    calls.open_new(s, LOCAL_ADMIN, plan_id, 2022, ["年度"], date(2025, 5, 31))
    s.close()
    submit(db, tmp_path, KYODO, 1, 55)
    at = open_page("pages/home.py", plan_id)
    assert "令和4年度 年度評価の照会（受付中、期限 2025-05-31）: 1 / 2 課 提出済、うち確認待ち 1 課、1 課 期限切れ" in texts(at)
    # every page of the plan says which values are not confirmed yet (ui/frame.context → kpi.cycle.shown)
    assert "未確定の値があります: 市民協働課（06/03 提出）の提出は推進課の確認待ちです" in texts(at)
    # the tiles and the grade table count the submitted item apart: 55 against 40 is A, awaiting review
    tiles = {m.label: m.value for m in at.metric}
    assert (tiles["評価 A"], tiles["評価 B"]) == ("1件（うち未確定 1）", "2件")
    grades = next(d.value for d in at.dataframe if "うち未確定" in d.value.columns)
    assert grades.set_index("評価").loc["A", ["取組数", "うち未確定"]].tolist() == [1, 1]


def test_the_item_page_shows_the_original_and_the_revised_target(env):
    import openpyxl
    db, plan_id, tmp_path = env
    path = department_plan(tmp_path / "rev.xlsx", only=[1])
    wb = openpyxl.load_workbook(path)
    for row in wb["年度値"].iter_rows(min_row=2):
        if row[2].value == "2022年度":
            row[3].value = 45
    wb.save(path)
    s = Store.open(db)
    commit(s, [prepare(s, path, today=TODAY)], "推進 一郎", note="中間見直しで上方修正")
    s.close()
    at = open_page("pages/item_detail.py", plan_id, item_no="1")
    df = next(d for d in at.dataframe if "当初" in d.value.columns).value
    assert list(df.iloc[0][["目標", "当初", "修正", "修正した人", "理由"]]) == \
        ["指標1 令和4年度の計画値", "40", "45", "推進 一郎", "中間見直しで上方修正"]
    # graded against the original target, as the plan's setting says: the page's tables use 40, not 45
    def year_row(at):
        df = next(d.value for d in at.dataframe if "達成率" in d.value.columns)
        return df.set_index("年度").loc["令和4年度", ["計画", "達成率"]].tolist()
    assert year_row(at)[0] == "45"
    s = Store.open(db)
    calls.save_settings(s, LOCAL_ADMIN, plan_id, grade_against="original")
    s.close()
    at.run()
    assert year_row(at)[0] == "40" and "97.5%" in year_row(at)[1]  # 39 ÷ 40
    assert "この計画は当初の目標で評価しています" in texts(at)
