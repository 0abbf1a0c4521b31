"""ホーム: where the plan stands, which items lag, where self-grades and automatic grades differ."""

import streamlit as st

from kpi.cycle import clock
from kpi.views.cycle import cycle_progress
from kpi.views.home import BASIS_LABELS, home_view
from ui import charts, components, frame, tables

ctx = frame.plan_page(__file__)

view = frame.view(ctx, home_view,
                  area=st.session_state.get("home_area"), basis=st.session_state.get("home_basis"))
ov = view.overview
top_level = ctx.data.plan.level_names[0] if ctx.data.plan.level_names else "体系"


def metric_row(headlines) -> None:
    for col, h in zip(st.columns(max(4, len(headlines))), headlines):
        color = "off" if not h.changed or h.better == "none" else ("inverse" if h.better == "down" else "normal")
        col.metric(frame.md(h.label), h.value, h.delta, delta_color=color, delta_arrow="auto" if h.changed else "off",
                   help=h.help or None, border=True)


st.title(frame.md(ov.plan_name), anchor=False)
st.caption(f"{ov.as_of_label}までの状況　評価基準: {frame.md(ov.rule_text)}")
# issue 20: the call's progress ('14 / 22 課 提出済、3 課 期限切れ'), when the plan has a call
cycle_line = frame.store_view(ctx.store, cycle_progress, version=ctx.version, plan_id=ctx.plan_id, today=clock.today())
if cycle_line:
    st.info(frame.md(cycle_line), icon=":material/assignment:")
metric_row(view.headlines)
if ov.has_indicators:
    metric_row(view.grade_headlines)
    if ov.previous_counts is None:
        st.caption("前年度のデータがないため、増減は表示していません。")

left, right = st.columns([1, 1], gap="large")
with left:
    st.subheader(f"{frame.md(top_level)}ごとの評価", anchor=False)
    st.caption(f"{ov.as_of_label}の自動評価の件数")
    if ov.has_indicators and view.areas:
        st.plotly_chart(frame.figure(ctx, "area_mix", charts.area_mix_chart, view.areas, ctx.rule), width="stretch", key="area_mix",
                        config={"displaylogo": False})
    else:
        st.info("この計画には自動評価できる数値指標がありません。進捗状況や実施状況をご覧ください。")
        st.page_link("pages/qualitative.py", label="進捗状況・実施状況を見る", icon=":material/checklist:")
with right:
    if ov.has_indicators:
        st.subheader("評価の内訳", anchor=False)
        tables.show(view.tables["grades"], "grades")
    with st.expander(f"{frame.md(top_level)}ごとの表", expanded=not ov.has_indicators):
        tables.show(view.tables["areas"], "areas")

if view.two_axis is not None:
    st.subheader("実施状況と達成状況", anchor=False)
    st.caption(f"{ov.as_of_label}の取組 {view.two_axis.summary.total} 件。達成状況は{view.two_axis.basis}。"
               "前年度からの増減の ▲ は減少です。")
    if view.two_axis.note:
        st.caption(view.two_axis.note)
    c1, c2 = st.columns(2, gap="large")
    with c1:
        tables.show(view.two_axis.tables["status"], "two_axis_status")
    with c2:
        tables.show(view.two_axis.tables["achievement"], "two_axis_achievement")
    tables.show(view.two_axis.tables["cross"], "two_axis_cross")

st.subheader("取組 × 年度の評価（ヒートマップ）", anchor=False)
c1, c2 = st.columns([3, 2])
c1.selectbox(frame.md(top_level), view.area_options, index=view.area_options.index(view.area), key="home_area")
c2.radio("色分けの基準", view.basis_options, index=view.basis_options.index(view.heatmap.basis),
         format_func=BASIS_LABELS.get, key="home_basis", horizontal=True)
if view.heatmap.has_any:
    st.plotly_chart(frame.figure(ctx, "heatmap", charts.heatmap_chart, view.heatmap, ctx.rule, area=view.area,
                                 basis=view.heatmap.basis), width="stretch", key="heatmap",
                    config={"displaylogo": False})
    st.caption("各マスの文字が評価です（色は評価の区分を表し、白は評価なし）。マスにカーソルを合わせると根拠が出ます。")
    with st.expander("ヒートマップを表で見る"):
        tables.show(view.tables["heatmap"], "heatmap")
else:
    st.caption(f"{view.heatmap.basis_label}の記録がないため、ヒートマップは表示できません。")

st.subheader(f"遅れている取組（{len(ov.lagging)}件）", anchor=False)
if not ov.lagging:
    st.success("遅れている取組はありません。")
LAG_PAGE = 10
for row in components.paged(ov.lagging, "home_lag_page", LAG_PAGE):
    with st.expander(f"⚠ No.{frame.md(row.item_no)}　{frame.md(row.title)}　—　{frame.md(row.reason_titles)}", expanded=len(ov.lagging) <= 3):
        components.lag_details(row.department, row.auto_grade, row.self_grade, row.reasons, row.last_comment)
        if st.button("取組の詳細を見る", key=f"go_{row.item_no}"):
            st.session_state["item_no"] = row.item_no
            st.switch_page("pages/item_detail.py")
if len(ov.lagging) > LAG_PAGE:
    st.caption("「遅れている取組」のページでは、理由・担当課・評価で絞り込めます。")
if ov.lagging:
    tables.download(view.tables["lagging"], "lagging", "遅れている取組の一覧をCSVでダウンロード")

st.subheader("自己評価と自動評価の違い", anchor=False)
if ov.gaps:
    tables.show(view.tables["gaps"], "gaps", column_config={"取組": st.column_config.TextColumn(width="medium"),
                                                            "内容": st.column_config.TextColumn(width="large")})
else:
    st.caption("自己評価と自動評価が異なる取組はありません。")
