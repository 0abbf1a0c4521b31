"""取組・指標の詳細: every indicator's target vs actual, the evaluations over time, and every formula."""

import pandas as pd
import streamlit as st

from kpi.numbers import format_number
from kpi.views import item_view
from ui import charts, frame

ctx = frame.context()
if ctx is None:
    st.stop()

items = ctx.data.items
if not items:
    st.info("この計画には取組がまだありません。")
    st.stop()
nos = [it.item_no for it in items]
titles = {it.item_no: it.title for it in items}
if st.session_state.get("item_no") not in nos:
    st.session_state["item_no"] = nos[0]
item_no = st.selectbox("取組", nos, format_func=lambda n: f"No.{n}　{titles[n]}", key="item_no")

view = item_view(ctx.data, ctx.rule, item_no, as_of_fy=ctx.fy, today=frame.today(), style=ctx.style)
if view is None:
    st.stop()

st.title(f"No.{view.item_no}　{view.title}", anchor=False)
if view.path:
    st.caption(" ＞ ".join(view.path))
st.markdown(f"**担当課**　{frame.md(view.departments or '―')}")

if view.lagging:
    st.error("**遅れている取組です**\n\n" + "\n".join(f"- **{r.title}**：{frame.md(r.detail)}" for r in view.reasons if r.lagging),
             icon=":material/warning:")
notes = [r for r in view.reasons if not r.lagging]
if notes:
    st.warning("\n".join(f"- **{r.title}**：{frame.md(r.detail)}" for r in notes), icon=":material/info:")

if view.year_grades:
    st.subheader("年度ごとの評価")
    st.dataframe(pd.DataFrame([{"年度": frame.fy_label(fy), "自動評価": auto or "―", "自己評価": own or "―",
                                "比較": gap, "自動評価の根拠": reason}
                               for fy, auto, own, gap, reason in view.year_grades]),
                 hide_index=True, width="stretch")
    st.caption(f"評価基準: {view.rule_text}。取組の自動評価は、指標のうち最も低い評価です。")

for i, ind in enumerate(view.indicators):
    st.subheader(f"指標: {ind.name}")
    facts = [f"方向: {ind.direction_text}", "累計" if ind.cumulative else "各年度の値"]
    if ind.baseline is not None:
        facts.append(f"基準値 {format_number(ind.baseline)}（{frame.fy_label(ind.baseline_fy)}"
                     f"{'・見込み' if ind.baseline_estimated else ''}）")
    if ind.final_target is not None:
        facts.append(f"最終目標 {format_number(ind.final_target)}（{frame.fy_label(ind.final_target_fy)}）")
    elif ind.final_target_text:
        facts.append(f"最終目標: {ind.final_target_text}")
    st.caption("　".join(facts))
    st.plotly_chart(charts.indicator_chart(ind, ctx.style), width="stretch", key=f"chart_{i}")
    if ind.pace is not None:
        (st.success if ind.pace.reachable else st.warning)(ind.pace.text)
    st.dataframe(pd.DataFrame([{
        "年度": p.label,
        "計画": (format_number(p.target) + ("（見込み）" if p.target_estimate else "")) if p.target is not None else "―",
        "実績": (format_number(p.actual) + ("（見込み）" if p.actual_estimate else "")) if p.actual is not None else "―",
        "達成率": p.achievement, "進捗率": p.progress, "自動評価": p.grade or "―", "評価の根拠": p.grade_reason,
    } for p in ind.points]), hide_index=True, width="stretch")

if view.evaluations:
    st.subheader("評価の経過（上半期 → 年度 → 中間 → 計画期間）")
    for e in view.evaluations:
        label = f"{frame.fy_label(e.fiscal_year)}　{e.stage}"
        with st.container(border=True):
            st.markdown(f"**{label}**　評価: **{e.grade or '―'}**")
            if e.status_text:
                st.markdown(frame.md(e.status_text))
            if e.issues_text:
                st.caption("課題・今後の方針")
                st.markdown(frame.md(e.issues_text))
            if e.next_text:
                st.caption("次期の方向")
                st.markdown(frame.md(e.next_text))

with st.expander("取組の内容"):
    for label, text in (("現状と課題", view.current_issues), ("目的", view.purpose), ("取組の内容", view.content),
                        ("見込まれる効果", view.effect), ("目標（文章）", view.qualitative_target)):
        if text:
            st.markdown(f"**{label}**")
            st.markdown(frame.md(text))
