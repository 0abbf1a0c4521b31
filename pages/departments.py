"""担当課別: per department, its items, grades, and what it still has not reported this year."""

import streamlit as st

from kpi.views.departments import departments_view
from ui import components, frame, tables

ctx = frame.plan_page(__file__)

view = frame.view(ctx, departments_view,
                  department=st.session_state.get("dept_name"))
fy_text = frame.fy_label(view.as_of_fy)

st.title("担当課別", anchor=False)
st.caption(f"{fy_text}の状況　未報告: 計画値があるのに実績がない指標、年度の自己評価、上半期（9月末まで）の進捗管理")
if not view.departments:
    st.info("この計画には取組がまだありません。")
    st.stop()

st.subheader("担当課の一覧", anchor=False)
tables.show(view.tables["summary"], "summary")

st.subheader("担当課ごとの詳細", anchor=False)
d = view.selected
st.session_state["dept_name"] = d.name
st.selectbox("担当課", view.names, key="dept_name")
c = st.columns(4)
c[0].metric("取組数", f"{len(d.items)}件", border=True)
c[1].metric("遅れている取組", f"{d.lagging}件", border=True)
c[2].metric(f"{fy_text}の未報告", f"{len(d.missing)}件", border=True)
c[3].metric("うち期限切れ", f"{d.overdue}件", border=True)

st.markdown(f"**{fy_text}にまだ報告されていないもの**")
if d.missing:
    tables.show(view.tables["missing"], "missing",
                column_config={"内容": st.column_config.TextColumn(width="large")})
else:
    st.success(f"{frame.md(d.name)}の{fy_text}の報告はそろっています。")

st.markdown("**担当している取組**")
tables.show(view.tables["items"], "items")
components.go_to_item({i.item_no: i.title for i in d.items}, "dept")
