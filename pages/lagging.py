"""遅れている取組: ranked, each with its reasons, department and last comment; filters; link to the detail."""

import streamlit as st

from kpi.views.lagging import lagging_view
from ui import components, frame, tables

PAGE_SIZE = 10

ctx = frame.plan_page(__file__)

view = frame.view(ctx, lagging_view,
                  reasons=st.session_state.get("lag_reasons", ()), departments=st.session_state.get("lag_depts", ()),
                  grades=st.session_state.get("lag_grades", ()), kinds=st.session_state.get("lag_kinds", ()))

st.title("遅れている取組", anchor=False)
st.caption(f"{frame.fy_label(view.as_of_fy)}までの状況　理由の多い順、同数なら自動評価の低い順　評価基準: {frame.md(ctx.rule.describe())}")

c1, c2, c3, c4 = st.columns(4) if view.kind_options else (*st.columns(3), None)
reason_titles = dict(view.reason_options)
# Choices left over from another plan or year are dropped before the widgets are drawn.
for key, allowed in (("lag_reasons", reason_titles), ("lag_depts", view.department_options),
                     ("lag_grades", view.grade_options)):
    if key in st.session_state:
        st.session_state[key] = [v for v in st.session_state[key] if v in allowed]
c1.multiselect("遅れの理由", list(reason_titles), format_func=reason_titles.get, key="lag_reasons",
               placeholder="すべて", help=frame.md(view.rule_text))
c2.multiselect("担当課", view.department_options, key="lag_depts", placeholder="すべて")
c3.multiselect(view.grade_filter_label, view.grade_options, key="lag_grades", placeholder="すべて")
components.kind_filter(view.kind_options, "lag_kinds", "選んだ種類の指標に遅れの理由がある（実績の未報告・目標に届かないペース・計画値を下回った年がある）取組だけを表示します", c4 or st)

if not view.total:
    st.success(f"{frame.fy_label(view.as_of_fy)}に遅れている取組はありません。")
    st.stop()
st.markdown(f"**{view.total}件中 {len(view.entries)}件**を表示")
tables.download(view.table, "lagging", "表示中の一覧をCSVでダウンロード")

for e in components.paged(view.entries, "lag_page", PAGE_SIZE):
    row = e.row
    with st.container(border=True):
        head, button = st.columns([5, 1], vertical_alignment="center")
        head.markdown(f"**{e.rank}.　No.{frame.md(row.item_no)}　{frame.md(row.title)}**")
        if button.button("詳細を見る", key=f"lag_go_{row.item_no}"):
            st.session_state["item_no"] = row.item_no
            st.switch_page("pages/item_detail.py")
        if e.path:
            st.caption(" ＞ ".join(frame.md(p) for p in e.path))
        components.lag_details("、".join(e.departments), row.auto_grade, row.self_grade, row.reasons,
                               row.last_comment)
