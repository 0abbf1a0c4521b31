"""計画の体系: the hierarchy as a treemap and a table, each node rolled up; click through to items."""

import streamlit as st

from kpi.views.hierarchy import hierarchy_view, levels_text
from ui import charts, components, frame, tables

ctx = frame.plan_page(__file__)

view = frame.view(ctx, hierarchy_view,
                  selected=st.session_state.get("hier_node") or None, kinds=st.session_state.get("hier_kinds", ()))

st.title("計画の体系", anchor=False)
st.caption(f"{frame.md(ctx.data.plan.name)}　{frame.md(levels_text(view.level_names))}　"
           f"{frame.fy_label(view.as_of_fy)}の自動評価で集計")
if not view.leaves:
    st.info("この計画には取組がまだありません。")
    st.stop()

st.plotly_chart(frame.figure(ctx, "treemap", charts.hierarchy_chart, view, ctx.rule,
                             selected=st.session_state.get("hier_node") or None), width="stretch", key="treemap",
                config={"displaylogo": False})
st.caption("四角の大きさは取組数、色は各取組の自動評価です（文字でも表示）。枠をクリックするとその階層を拡大します。")

components.kind_filter(view.kind_options, "hier_kinds", "選んだ種類の指標で「計画値を達成した指標」を数え、"
                       "その種類の指標がある取組だけを一覧にします（取組の評価は、すべての指標から決まります）")
st.subheader("体系ごとの集計", anchor=False)
tables.show(view.tables["nodes"], "nodes")

st.subheader("体系から取組を探す", anchor=False)
options = [()] + [n.path for n in view.nodes]
if st.session_state.get("hier_node") not in options:
    st.session_state["hier_node"] = ()
st.selectbox("体系", options, format_func=lambda p: "すべての取組" if not p else view.label_of(p), key="hier_node")
if view.selected is not None:
    st.markdown(f"**{frame.md(view.selected.level_name)}**　{frame.md(view.selected.title)}　—　"
                f"{frame.md(view.selected.summary)}")
tables.show(view.tables["items"], "items")
if view.selected_items:
    components.go_to_item({lf.item_no: lf.title for lf in view.selected_items}, "hier")
