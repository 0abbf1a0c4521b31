"""取組・指標の詳細: every indicator's target vs actual, the evaluations over time, every formula,
the yearly schedule and the narratives."""

import pandas as pd
import streamlit as st

from kpi.rules.numbers import format_number
from kpi.views.cycle import item_revisions
from kpi.views.item import item_detail_of
from ui import charts, components, frame, tables

ctx = frame.plan_page(__file__)

items = ctx.data.items
if not items:
    st.info("この計画には取組がまだありません。")
    st.stop()
nos = [it.item_no for it in items]
titles = {it.item_no: it.title for it in items}
if st.session_state.get("item_no") not in nos:
    st.session_state["item_no"] = nos[0]
item_no = st.selectbox("取組", nos, format_func=lambda n: f"No.{n}　{titles[n]}", key="item_no")

detail = frame.view(ctx, item_detail_of, item_no=item_no, kinds=st.session_state.get("item_kinds", ()),
                    read=dict(extras=ctx.extras))
if detail is None:
    st.stop()
view = detail.view

st.title(f"No.{frame.md(view.item_no)}　{frame.md(view.title)}", anchor=False)
if view.path:
    st.caption(" ＞ ".join(frame.md(p) for p in view.path))
st.markdown(f"**担当課**　{frame.md(view.departments or '―')}")
if detail.status:
    mark, status, note = detail.status
    st.markdown(f"**進捗状況**　{frame.md(mark)} {frame.md(status)}" + (f"　{frame.md(note)}" if note else ""))

if view.lagging:
    st.error("**遅れている取組です**\n\n" + "\n".join(f"- **{frame.md(r.title)}**：{frame.md(r.detail)}"
                                                   for r in view.reasons if r.lagging),
             icon=":material/warning:")
notes = [r for r in view.reasons if not r.lagging]
if notes:
    st.warning("\n".join(f"- **{frame.md(r.title)}**：{frame.md(r.detail)}" for r in notes), icon=":material/info:")

if detail.timeline.rows:
    st.subheader("評価の経過（上半期 → 年度 → 中間 → 計画期間）", anchor=False)
    tables.show(detail.timeline, "timeline")
if view.year_grades:
    st.subheader("自動評価と自己評価", anchor=False)
    tables.show(detail.grades, "grades", column_config={"自動評価の根拠": st.column_config.TextColumn(width="large")})
    st.caption(f"評価基準: {frame.md(view.rule_text)}。取組の自動評価は、指標のうち最も低い評価です。")

components.kind_filter(view.kind_options, "item_kinds", "活動指標・対象指標・成果指標のうち、選んだ種類の指標だけを表示します")
if len(view.indicators) < view.n_all_indicators:
    st.caption(f"指標 {view.n_all_indicators}件のうち {len(view.indicators)}件を表示しています")
for i, (ind, table) in enumerate(zip(view.indicators, detail.indicator_tables)):
    st.subheader(f"{frame.md(ind.kind)}指標: {frame.md(ind.name)}", anchor=False)
    facts = (["定性（計画・実績を文章で記入）"] if ind.qualitative else
             [f"方向: {ind.direction_text}", "累計" if ind.cumulative else "各年度の値"])
    if ind.baseline is not None:
        facts.append(f"基準値 {format_number(ind.baseline)}（{frame.fy_label(ind.baseline_fy)}"
                     f"{'・見込み' if ind.baseline_estimated else ''}）")
    if ind.final_target is not None:
        facts.append(f"最終目標 {format_number(ind.final_target)}（{frame.fy_label(ind.final_target_fy)}）")
    elif ind.final_target_text:
        facts.append(f"最終目標: {ind.final_target_text}")
    st.caption(frame.md("　".join(facts)))
    if not ind.points:
        st.info("年度ごとの計画値・実績はまだ登録されていません。", icon=":material/info:")
        continue
    if not ind.qualitative:  # words have no chart: the table below is the whole story
        st.plotly_chart(frame.figure(ctx, "indicator", charts.indicator_chart, ind, ctx.style, item=item_no, i=i),
                        width="stretch", key=f"chart_{i}",
                        config={"displaylogo": False})
    if ind.pace is not None:
        (st.success if ind.pace.reachable else st.warning)(frame.md(ind.pace_text))
    tables.show(table, f"ind_{i}", column_config={"評価の根拠": st.column_config.TextColumn(width="large")})

# issue 20: a revised target keeps the original (当初 and 修正 side by side, kpi.cycle.revisions)
revised = frame.store_view(ctx.store, item_revisions, version=ctx.version, plan_id=ctx.plan_id, item_no=item_no, style=ctx.style)
if revised:
    st.subheader("目標の修正（当初・修正）", anchor=False)
    st.dataframe(pd.DataFrame(list(revised)), hide_index=True, width="stretch", key="item_revisions")

if view.evaluations:
    st.subheader("評価とコメント", anchor=False)
    # One block per evaluation (a heading, the texts, their labels small and grey as captions): an
    # item of a ten-year plan has twenty, and each element is built and sent on every run.
    for e in view.evaluations:
        parts = [f"**{frame.fy_label(e.fiscal_year)}　{frame.md(e.stage)}**　評価: **{frame.md(e.grade or '―')}**"]
        if e.status_text:
            parts.append(frame.md(e.status_text))
        for label, text in (("課題・今後の方針", e.issues_text), ("次期の方向", e.next_text)):
            if text:
                parts.append(f":gray[:small[{label}]]  \n{frame.md(text)}")
        st.container(border=True).markdown("\n\n".join(parts))

if detail.schedule.rows:
    st.subheader("工程（年度ごとの予定）", anchor=False)
    tables.show(detail.schedule, "schedule")
    st.caption("「実施」はその年度に実施、「→」は継続を表します。")

if detail.narratives:
    st.subheader("年度ごとの実施状況", anchor=False)
    for label, text in detail.narratives:
        st.container(border=True).markdown(f"**{frame.md(label)}**\n\n{frame.md(text)}")

with st.expander("取組の内容"):
    texts = [f"**{label}**\n\n{frame.md(text)}" for label, text in (
        ("現状と課題", view.current_issues), ("目的", view.purpose), ("取組の内容", view.content),
        ("見込まれる効果", view.effect), ("目標（文章）", view.qualitative_target)) if text]
    if texts:
        st.markdown("\n\n".join(texts))
