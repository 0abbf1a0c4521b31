"""計画の概要: facts, the grading rule in words, the milestones as a timeline and the plan's positioning."""

import streamlit as st

from kpi.views.plan import SECTION_LABELS, plan_view
from ui import frame, tables

ctx = frame.plan_page(__file__)

view = plan_view(ctx.data, ctx.extras, ctx.rule, style=ctx.style)

st.title(frame.md(view.name), anchor=False)
st.caption("計画の概要")
left, right = st.columns([3, 2], gap="large")
with left:
    for label, value in view.facts:
        a, b = st.columns([1, 4])
        a.markdown(f"**{label}**")
        b.markdown(frame.md(value))
with right:
    with st.container(border=True):
        st.markdown(f"**評価の基準**　{frame.md(view.rule_name)}")
        st.caption(frame.md(view.rule_text))
        tables.show(view.bands, "bands")

st.subheader("遅れている取組とは", anchor=False)
st.caption(frame.md(view.lagging_text))
tables.show(view.lagging_rules, "lagging_rules", static=True)

st.subheader(SECTION_LABELS["milestone"], anchor=False)
if view.milestones:
    for when, ms in view.milestone_groups:
        a, b = st.columns([1, 5])
        a.markdown(f"**{frame.md(when)}**")
        b.markdown("\n".join(f"- {frame.md(m.title)}" + (f"（{frame.md(m.body)}）" if m.body else "") for m in ms))
    tables.download(view.tables["milestones"], "milestones")
else:
    st.caption("経過の記録はありません。")

st.subheader(SECTION_LABELS["positioning"], anchor=False)
tables.show(view.tables["positioning"], "positioning", caption="位置付けの記録はありません。", static=True)
for key, table in view.tables.items():
    if key not in ("milestones", "positioning"):
        st.subheader(table.what, anchor=False)
        tables.show(table, key)
