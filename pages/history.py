"""取込履歴: who took in which file when, what it changed, and undo."""

import pandas as pd
import streamlit as st

from kpi.errors import KpiError
from kpi.intake.history import can_undo, changes_of, undo, upload_list
from ui import frame

store = frame.page(__file__).store
st.title("取込履歴", anchor=False)
st.caption("取り込みと取り消しの記録です。取り消すと、その取り込みが変えた値がすべて元に戻ります"
           "（取り消し自体も記録されます）。")

done = st.session_state.pop("history_done", None)
if done:
    st.success(done, icon=":material/check_circle:")

only_plan = st.toggle("選んでいる計画の取り込みだけ表示する", key="history_only_plan")
plan_id = st.session_state.get("plan_id") if only_plan else None
entries = frame.store_view(store, upload_list, plan_id=plan_id, limit=500)
if not entries:
    st.info("取込履歴はまだありません。")
    st.stop()

st.dataframe(pd.DataFrame([{
    "取込番号": e.upload_id, "日時": f"{e.when:%Y-%m-%d %H:%M}", "取込者": e.who, "種類": e.kind_label,
    "ファイル": e.file_name, "計画": e.plan_name, "内容": e.summary, "状態": e.status_label, "メモ": e.note,
} for e in entries]), hide_index=True, width="stretch", height=min(38 + 35 * len(entries), 420))

by_id = {e.upload_id: e for e in entries}
chosen = st.selectbox("詳しく見る取り込み", list(by_id), key="history_pick",
                      format_func=lambda i: f"取込番号 {i}　{by_id[i].when:%Y-%m-%d %H:%M}　{by_id[i].who}　"
                                            f"{by_id[i].file_name or by_id[i].kind_label}")
e = by_id[chosen]
with st.container(border=True):
    st.markdown(f"**取込番号 {e.upload_id}**　{e.kind_label}　{frame.md(e.status_label)}　"
                f"{frame.md(e.file_name)}　→ 計画「{frame.md(e.plan_name)}」")
    if e.note:
        st.markdown(f"**メモ**　{frame.md(e.note)}")
    lines = frame.store_view(store, changes_of, upload_id=e.upload_id, style=frame.era())
    st.dataframe(pd.DataFrame({"変更内容": list(lines)}), hide_index=True, width="stretch",
                 height=min(38 + 35 * len(lines), 360))
    decision = can_undo(frame.current_user(), e)
    if decision:
        sure = st.checkbox(f"取込番号 {e.upload_id} を取り消し、変更前の値に戻します", key=f"undo_sure_{e.upload_id}")
        if st.button("この取り込みを取り消す", type="primary", disabled=not sure, icon=":material/undo:",
                     key=f"undo_{e.upload_id}"):
            try:
                res = undo(store, e.upload_id, frame.current_user(), style=frame.era())
            except KpiError as exc:
                frame.show_error(exc)
            else:
                st.session_state["history_done"] = (
                    f"取込番号 {res.undone} を取り消しました（値を戻した {res.n_restored} 件、削除 {res.n_deleted} 件。"
                    f"取り消しの記録は取込番号 {res.upload_id}）。")
                st.rerun()
    else:
        st.caption(frame.md(decision.reason))
