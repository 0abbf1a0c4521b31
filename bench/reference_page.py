"""The floor every page is measured against (bench/benchmark.py): one 10-point plotly line chart and a
10-row table, nothing else. On these shared machines Streamlit alone takes seconds to draw a chart in
headless chromium, so page targets are ratios to this page measured in the same run."""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

years = list(range(2016, 2026))
values = [100 + 7 * k + (k % 3) * 5 for k in range(10)]
st.title("基準ページ", anchor=False)
fig = go.Figure(go.Scatter(x=years, y=values, mode="lines+markers", name="実績"))
fig.update_layout(height=320, margin=dict(l=10, r=10, t=30, b=10))
st.plotly_chart(fig, width="stretch", key="reference_chart")
st.dataframe(pd.DataFrame({"年度": years, "実績": values}), hide_index=True)
