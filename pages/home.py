"""ホーム: where the plan stands, which items lag, where self-grades and automatic grades differ."""

import pandas as pd
import streamlit as st

from kpi.views import overview
from ui import charts, frame

ctx = frame.context()
if ctx is None:
    st.stop()

ov = overview(ctx.data, ctx.rule, as_of_fy=ctx.fy, today=frame.today(), style=ctx.style)

st.title(ov.plan_name, anchor=False)
st.caption(f"{ov.as_of_label}までの状況　評価基準: {ov.rule_text}")

cols = st.columns(len(ov.headlines))
for col, h in zip(cols, ov.headlines):
    inverse = h.label == "遅れている取組"
    unchanged = h.delta is not None and h.delta.lstrip("+-±").startswith("0")
    col.metric(h.label, h.value, h.delta, delta_color="off" if unchanged else "inverse" if inverse else "normal",
               help=h.help or None)

left, right = st.columns([3, 2])
with left:
    st.subheader(f"{ov.as_of_label}の評価（自動評価）")
    if any(ov.grade_counts.get(l) for l in ov.labels):
        st.plotly_chart(charts.grade_mix_chart(ov.grade_counts, ctx.rule), width="stretch", key="mix")
    colors = charts.grade_colors(ctx.rule)
    rows = []
    for label in list(ov.labels) + ["未評価"]:
        prev = ov.previous_counts.get(label) if ov.previous_counts else None
        rows.append({"評価": label, "意味": ctx.rule.meaning(label) if label != "未評価" else "計画値・実績がなく評価できない",
                     "取組数": ov.grade_counts.get(label, 0),
                     "前年度": "" if prev is None else prev})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    if not ov.has_indicators:
        st.info("この計画には数値指標がないため、自動評価は行いません。進捗状況や実施状況をご覧ください。")
with right:
    st.subheader("体系別の評価")
    area_rows = [{"体系": area, **{label: counts.get(label, 0) for label in list(ov.labels) + ["未評価"]}}
                 for area, counts in ov.area_counts]
    st.dataframe(pd.DataFrame(area_rows), hide_index=True, width="stretch")

st.subheader(f"遅れている取組（{len(ov.lagging)}件）")
if not ov.lagging:
    st.success("遅れている取組はありません。")
for row in ov.lagging:
    head = f"No.{row.item_no}　{row.title}"
    with st.expander(f"⚠ {head}　—　{row.reason_titles}", expanded=len(ov.lagging) <= 3):
        c1, c2, c3 = st.columns(3)
        c1.markdown(f"**担当課**　{frame.md(row.department or '―')}")
        c2.markdown(f"**自動評価**　{row.auto_grade or '―'}")
        c3.markdown(f"**自己評価**　{row.self_grade or '―'}")
        for r in row.reasons:
            mark = "●" if r.lagging else "・"
            st.markdown(f"{mark} **{r.title}**：{frame.md(r.detail)}")
        if row.last_comment:
            st.caption(f"最新のコメント: {row.last_comment}")
        if st.button("取組の詳細を見る", key=f"go_{row.item_no}"):
            st.session_state["item_no"] = row.item_no
            st.switch_page("pages/item_detail.py")

st.subheader("自己評価と自動評価の違い")
if ov.gaps:
    st.dataframe(pd.DataFrame([{"No.": g.item_no, "取組": g.title, "年度": frame.fy_label(g.fiscal_year),
                                "自己評価": g.self_grade, "自動評価": g.auto_grade, "内容": g.text} for g in ov.gaps]),
                 hide_index=True, width="stretch")
else:
    st.caption("自己評価と自動評価が異なる取組はありません。")
