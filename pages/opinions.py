"""委員意見: the committee's opinions per item and meeting, and the departments' answers.

Entries are written through the one write path (kpi.outputs.opinions → Store.apply as an edit by
the signed-in user, permissions checked in the transaction); the next meeting's pack and
会議モード show them on the item's slide with the answer.
"""

from datetime import date

import pandas as pd
import streamlit as st

from kpi.access.permissions import decide
from kpi.errors import KpiError
from kpi.outputs.opinions import (
    Meeting,
    date_label,
    load_opinions,
    meetings,
    new_opinion_batch,
    response_batch,
    save,
    suggest_meeting_name,
)
from ui import frame

ctx = frame.plan_page(__file__)

state = st.session_state
actor = frame.current_user()
recorded = load_opinions(ctx.store, ctx.plan_id)
titles = {it.item_no: it.title for it in ctx.data.items}
NEW_MEETING = "（新しい会議）"

st.title("委員意見", anchor=False)
st.caption("推進委員会で出た意見を取組ごとに記録し、担当課の回答・対応を入力します。"
           "次の会議の会議資料・会議モードで、取組のスライドに意見と回答が表示されます。")

flash = state.pop("op_flash", None)
if flash is not None:
    kind, payload = flash
    if kind == "error":
        frame.show_error(payload)
    else:
        st.success(frame.md(payload), icon=":material/check_circle:")

allowed = decide(actor, "opinion")
if not allowed:
    st.info(frame.md(allowed.reason), icon=":material/lock:")


def _meeting_from_widgets(prefix: str) -> Meeting | None:
    known = {m.name: m for m in meetings(load_opinions(ctx.store, ctx.plan_id))}
    choice = state.get(f"{prefix}_meeting")
    if choice in known:
        return known[choice]
    name = (state.get(f"{prefix}_new_name") or "").strip()
    held = state.get(f"{prefix}_new_date")
    return Meeting(name, held if isinstance(held, date) else None)


def _add() -> None:
    try:
        meeting = _meeting_from_widgets("op")
        batch = new_opinion_batch(ctx.data, load_opinions(ctx.store, ctx.plan_id), item_no=state.get("op_item"),
                                  meeting=meeting.name, held_on=meeting.held_on, opinion=state.get("op_text", ""))
        save(ctx.store, batch, actor, note=f"委員意見の入力（{meeting.name}）")
    except KpiError as exc:
        state["op_flash"] = ("error", exc)
        return
    row = batch.table("committee_opinions")[0]
    state["op_text"] = ""
    state["op_flash"] = ("ok", f"{meeting.name} の No.{row['item_no']} の意見{row['seq']} を記録しました。")


def _answer() -> None:
    ops = load_opinions(ctx.store, ctx.plan_id)
    key = state.get("ans_pick")
    op = next((o for o in ops if (o.item_no, o.meeting, o.seq) == key), None)
    if op is None:
        state["op_flash"] = ("error", KpiError("回答する意見を選んでください。", title="回答を保存できません"))
        return
    try:
        batch = response_batch(ctx.data, op, response=state.get(f"ans_text_{key}", ""),
                               department=state.get(f"ans_dept_{key}"))
        result = save(ctx.store, batch, actor, note=f"委員意見への回答（{op.meeting} No.{op.item_no}）")
    except KpiError as exc:
        state["op_flash"] = ("error", exc)
        return
    done = "保存しました" if result.upload_id is not None else "変更はありませんでした"
    state["op_flash"] = ("ok", f"{op.meeting} の No.{op.item_no} 意見{op.seq} への回答を{done}。")


tab_add, tab_answer, tab_list = st.tabs(["意見を記録する", "回答・対応を入力する", f"一覧（{len(recorded)}件）"])

with tab_add:
    if not titles:
        st.info("この計画には取組がまだありません。")
    else:
        known = meetings(recorded)
        options = [m.name for m in known] + [NEW_MEETING]
        state.setdefault("op_meeting", options[-2] if len(options) > 1 else NEW_MEETING)
        choice = st.selectbox("会議", options, key="op_meeting")
        if choice == NEW_MEETING:
            c1, c2 = st.columns(2)
            state.setdefault("op_new_name", suggest_meeting_name(frame.today(), known))
            state.setdefault("op_new_date", frame.today())
            c1.text_input("会議名", key="op_new_name", help="例: 令和8年度第1回", placeholder="例: 令和8年度第1回")
            c2.date_input("開催日", key="op_new_date")
        st.selectbox("取組", list(titles), key="op_item", format_func=lambda n: f"No.{n}　{titles[n]}")
        st.text_area("委員意見", key="op_text", height=140, placeholder="委員の発言の要旨を入力します")
        st.button("意見を記録", type="primary", icon=":material/save:", on_click=_add, disabled=not allowed,
                  key="op_add")

with tab_answer:
    if not recorded:
        st.caption("記録された委員意見はまだありません。")
    else:
        names = [m.name for m in meetings(recorded)]
        flt = st.selectbox("会議で絞り込む", ["すべて"] + names, key="ans_meeting")
        unanswered = st.toggle("未回答だけ", key="ans_unanswered")
        shown = [o for o in recorded if (flt == "すべて" or o.meeting == flt) and not (unanswered and o.answered)]
        if not shown:
            st.caption("条件に合う意見はありません。")
        else:
            keys = [(o.item_no, o.meeting, o.seq) for o in shown]
            by_key = dict(zip(keys, shown))
            if state.get("ans_pick") not in keys:
                state["ans_pick"] = keys[0]
            key = st.selectbox(
                "回答する意見", keys, key="ans_pick",
                format_func=lambda k: f"{k[1]}　No.{k[0]}　意見{k[2]}（{'回答済み' if by_key[k].answered else '未回答'}）")
            op = by_key[key]
            with st.container(border=True):
                st.markdown(f"**No.{frame.md(op.item_no)}　{frame.md(titles.get(op.item_no, ''))}**")
                st.caption(frame.md(op.meeting_label_in(ctx.style)))
                st.markdown(frame.md(op.opinion))
            item = ctx.data.item(op.item_no)
            state.setdefault(f"ans_text_{key}", op.response or "")
            state.setdefault(f"ans_dept_{key}", op.response_department or (item.main_department if item else "") or "")
            st.text_area("回答・対応", key=f"ans_text_{key}", height=140)
            st.text_input("回答課", key=f"ans_dept_{key}")
            may = decide(actor, "opinion", departments=[d.name for d in item.departments] if item else [])
            if not may and allowed:
                st.caption(frame.md(may.reason))
            st.button("回答を保存", type="primary", icon=":material/save:", on_click=_answer, disabled=not may,
                      key="ans_save")

with tab_list:
    if recorded:
        st.dataframe(pd.DataFrame([{"会議": o.meeting, "開催日": date_label(o.meeting_date, ctx.style), "No.": o.item_no,
                                    "取組": titles.get(o.item_no, ""), "番号": o.seq, "委員意見": o.opinion,
                                    "回答・対応": o.response or "（未回答）", "回答課": o.response_department or ""}
                                   for o in recorded]), hide_index=True, width="stretch")
    else:
        st.caption("記録された委員意見はまだありません。")
