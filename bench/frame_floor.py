"""The frame's floor (bench/benchmark.py): the Streamlit parts app.py's frame sends on every run —
the menu (a caption per section, a link per page, a divider), the title, the plan picker with the
prefecture's 180 plans, the year picker, the era switch and a caption — and nothing of ours behind
them (no store, no sign-in, no cache), then the reference page's chart and table. A page's warm
time over this page's is what our own code costs; this page over the reference page is what
Streamlit costs to draw a frame like ours at all."""

import runpy
from pathlib import Path

import streamlit as st

st.set_page_config(page_title="枠の床", layout="wide")
SECTIONS = {"ダッシュボード": 7, "データ": 4, "会議": 3, "設定": 2}
with st.sidebar.container(key="menu"):
    for section, n in SECTIONS.items():
        st.caption(section)
        for k in range(n):
            st.page_link(f"https://example.invalid/{section}/{k}", label=f"{section}{k + 1}", icon=":material/home:")
    st.divider()
with st.sidebar:
    st.markdown("### 計画進捗ダッシュボード")
    st.caption("表示する計画と年度")
    names = {i: f"合成市{i:03d} 行政改革プラン" for i in range(1, 181)}
    st.selectbox("計画", list(names), format_func=names.get, key="plan_id")
    st.selectbox("年度（この年度までの状況）", list(range(2025, 2015, -1)), format_func=lambda y: f"{y}年度", key="fy")
    st.radio("年度の表示", ["wareki", "seireki"], format_func={"wareki": "和暦", "seireki": "西暦"}.get, key="era",
             horizontal=True)
    st.caption("合成市001　行政改革プラン　計画期間 2016〜2025年度")
runpy.run_path(str(Path(__file__).with_name("reference_page.py")))
