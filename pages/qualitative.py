"""進捗状況・実施状況: completion per top-level node, each item's status, and the yearly narratives (searchable)."""

import streamlit as st

from kpi.views.qualitative import qualitative_of
from ui import charts, frame, tables

SHOWN = 50

ctx = frame.plan_page(__file__)

year_choice = st.session_state.get("qual_year", "all")
view = frame.view(ctx, qualitative_of, query=st.session_state.get("qual_query", ""),
                  year=None if year_choice == "all" else year_choice, read=dict(extras=ctx.extras))
top_level = ctx.data.plan.level_names[0] if ctx.data.plan.level_names else "体系"

st.title("進捗状況・実施状況", anchor=False)
st.caption(f"{frame.fy_label(ctx.fy)}までに報告された状況　✓ 完了　◇ 完了の目途　・ 継続中")

st.subheader(f"{frame.md(top_level)}ごとの進捗", anchor=False)
if view.has_statuses:
    st.plotly_chart(frame.figure(ctx, "status", charts.status_chart, view.areas, view.statuses,
                                 query=st.session_state.get("qual_query", ""), year=year_choice),
                    width="stretch", key="status_chart",
                    config={"displaylogo": False})
    tables.show(view.tables["areas"], "areas")
    st.subheader("取組ごとの状況", anchor=False)
    tables.show(view.tables["status"], "status",
                column_config={"内容": st.column_config.TextColumn(width="large")})
else:
    st.info("この計画には進捗状況（完了・継続中・実施中・未着手など）の記録がありません。")

st.subheader("年度ごとの実施状況", anchor=False)
if not view.narrative_total:
    st.info("この計画には年度ごとの実施状況の記録がありません。")
    st.stop()
c1, c2 = st.columns([3, 1])
c1.text_input("キーワードで探す（スペース区切りで AND）", key="qual_query", placeholder="例: 認定農業者 補助")
years = ["all"] + list(view.narrative_years)
if st.session_state.get("qual_year", "all") not in years:
    st.session_state["qual_year"] = "all"
c2.selectbox("年度", years, key="qual_year",
             format_func=lambda y: "すべて" if y == "all" else frame.fy_label(y) if y else "年度の記載なし")
st.markdown(f"**{view.narrative_total}件中 {len(view.narratives)}件**")
tables.download(view.tables["narratives"], "narratives", "表示中の実施状況をCSVでダウンロード")
shown = 0
for label, hits in view.by_year:
    if shown >= SHOWN:
        break
    st.markdown(f"#### {frame.md(label)}")
    for n in hits[: SHOWN - shown]:
        with st.container(border=True):
            st.markdown(f"**No.{frame.md(n.item_no)}　{frame.md(n.title)}**")
            st.markdown(frame.md(n.text))
        shown += 1
if len(view.narratives) > shown:
    st.caption(f"先頭の{shown}件を表示しています。キーワードや年度で絞り込むか、CSVで全件をご覧ください。")
