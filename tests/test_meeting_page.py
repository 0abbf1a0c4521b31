"""会議モード, 会議資料 and 委員意見 as a presenter and the secretariat use them (AppTest)."""

from __future__ import annotations

import os

from conftest import NIIGATA_PLAN
from test_app import start

from kpi.outputs.opinions import load_opinions
from kpi.store.store import Store


def texts(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [e.value for e in at.error] + [t.value for t in at.title]
                     + [c.value for c in at.caption])


def table_cells(at) -> set[str]:
    return {str(v) for t in at.table for v in t.value.to_numpy().ravel()}


def test_meeting_mode_runs_from_the_summary_to_the_no28_slide_and_back(app_env):
    at = start("pages/meeting.py", NIIGATA_PLAN)
    assert at.title[0].value == "会議モード"
    assert "1. 概要\n2. No.28　地域活動の担い手を育む仕組みづくり" in at.text[0].value
    at.button(key="mt_start").click().run()
    assert not at.exception
    assert "進捗状況" in at.title[0].value
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["取組数"] == "1" and metrics["遅れている取組"] == "1"
    assert {"B", "1", "±0"} <= table_cells(at)  # grade B: 1 item, 1 the year before, no change
    assert at.button(key="mt_prev").disabled
    at.button(key="mt_next").click().run()
    assert at.title[0].value.startswith("No\\.28")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"平成30年度 自動評価": "B", "平成30年度 自己評価": "C"}
    assert {"1,152", "1,090", "105\\.7%"} <= table_cells(at)
    assert "自己評価がB未満" in texts(at) and "上半期の進捗に遅れ" in texts(at)
    assert len(at.get("plotly_chart")) == 1  # one indicator per screen: the second follows
    at.button(key="mt_next").click().run()
    assert at.title[0].value.endswith("（指標 続き）")
    assert {"55", "66", "83\\.3%"} <= table_cells(at) and len(at.get("plotly_chart")) == 1
    at.button(key="mt_next").click().run()
    assert at.title[0].value.endswith("（所見・委員意見）")
    assert "これまでの委員意見はありません。" in texts(at) and not at.get("plotly_chart")
    assert at.button(key="mt_next").disabled  # the last slide
    at.button(key="mt_stop").click().run()
    assert at.title[0].value == "会議モード"


def test_the_overview_counts_statuses_and_achievement_on_two_axes(app_env):
    # Tomisato's published table marks 7 of its 34 items ✓ 完了; the rest (◇ 完了の目途, ・ 継続中) are 取組中.
    at = start("pages/meeting.py", "富里市協働のまちづくり推進計画")
    assert "2. 実施状況と達成状況" in at.text[0].value
    at.button(key="mt_start").click().run()
    at.button(key="mt_next").click().run()
    assert not at.exception
    assert at.title[0].value == "富里市協働のまちづくり推進計画　実施状況と達成状況"
    status, achievement, cross = (t.value for t in at.table)
    rows = {r["実施状況"]: (r["取組数"], r["割合"].replace("\\", "")) for r in status.to_dict("records")}
    assert rows["完了"] == ("7", "20.6%") and rows["取組中"] == ("27", "79.4%") and rows["未着手"] == ("0", "0.0%")
    assert dict(zip(achievement["評価"], achievement["取組数"])) == {"未評価": "34"}  # no grades given
    cross_rows = {r["実施状況"]: r for r in cross.to_dict("records")}
    assert (cross_rows["完了"]["未評価"], cross_rows["完了"]["計"]) == ("7", "7")
    assert cross_rows["取組中"]["計"] == "27"


def test_presenter_choices_carry_over_to_the_pack_page(app_env):
    at = start("pages/meeting.py", NIIGATA_PLAN)
    at.radio(key="mt_sort").set_value("custom").run()
    at.multiselect(key="mt_pick").set_value([]).run()
    assert "スライド 1 枚" in texts(at)
    at.multiselect(key="mt_pick").set_value(["28"]).run()
    at.toggle(key="mt_lagging").set_value(True).run()
    assert "スライド 4 枚" in texts(at)  # the summary and No.28 on three screens
    at.switch_page("pages/pack.py").run()
    assert not at.exception
    assert at.radio(key="pk_sort").value == "custom" and at.toggle(key="pk_lagging").value is True
    assert at.multiselect(key="pk_pick").value == ["28"]
    assert "取組 1 件、スライド 3 枚" in texts(at)  # summary, No.28, its reasons page
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["PowerPointをダウンロード", "PDFをダウンロード", "Excel（表）をダウンロード"]


def test_an_opinion_and_its_answer_appear_on_the_next_meetings_slide(app_env):
    at = start("pages/opinions.py", NIIGATA_PLAN)
    assert at.selectbox(key="op_meeting").value == "（新しい会議）"
    assert at.text_input(key="op_new_name").value == "令和8年度第1回"  # today is 2026-11-23
    at.text_area(key="op_text").input("=センターの未設置地域の事情を整理してほしい。").run()
    at.button(key="op_add").click().run()
    assert not at.exception
    assert "令和8年度第1回 の No.28 の意見1 を記録しました。" in at.success[0].value.replace("\\", "")
    assert at.text_area(key="op_text").value == ""
    store = Store.open(os.environ["KPI_DB"])
    try:
        info = store.plan_by_name(NIIGATA_PLAN)
        (op,) = load_opinions(store, info.plan_id)
        up = store.uploads(limit=1)[0]
    finally:
        store.close()
    assert op.opinion == "=センターの未設置地域の事情を整理してほしい。" and op.response is None
    assert (up.kind, up.uploaded_by) == ("edit", "ローカル管理者")

    key = (op.item_no, op.meeting, op.seq)
    assert at.selectbox(key="ans_pick").value == key
    assert at.text_input(key=f"ans_dept_{key}").value == "市民協働課"
    at.text_area(key=f"ans_text_{key}").input("4地域の協議状況を次回報告します。").run()
    at.button(key="ans_save").click().run()
    assert "への回答を保存しました" in at.success[0].value

    # The same meeting's pack does not show it yet; the next meeting's does, with the answer.
    at.switch_page("pages/meeting.py").run()
    at.selectbox(key="mt_meeting").set_value("令和8年度第1回").run()
    at.button(key="mt_start").click().run()
    for _ in range(3):  # the summary, No.28's two indicators, then its comments and opinions
        at.button(key="mt_next").click().run()
    assert "これまでの委員意見はありません。" in texts(at)
    at.button(key="mt_stop").click().run()
    at.selectbox(key="mt_meeting").set_value("（新しい会議）").run()
    at.text_input(key="mt_new_name").input("令和8年度第2回").run()
    at.button(key="mt_start").click().run()
    for _ in range(3):
        at.button(key="mt_next").click().run()
    body = texts(at)
    assert "センターの未設置地域の事情を整理してほしい" in body
    assert "4地域の協議状況を次回報告します" in body and "回答・対応（市民協働課）" in body.replace("\\", "")


def test_a_viewer_cannot_record_opinions(app_env):
    from kpi.access.permissions import Actor
    at = start("pages/opinions.py", NIIGATA_PLAN, actor=Actor("閲覧者", "viewer"))
    assert at.button(key="op_add").disabled
    assert any("できません" in i.value for i in at.info)
