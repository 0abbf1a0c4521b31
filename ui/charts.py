"""Plotly figures and grade colours (Okabe–Ito: readable in print and by colour-blind readers)."""

from __future__ import annotations

import plotly.graph_objects as go

from kpi.fiscal import Style, format_fiscal_year, format_fiscal_year_short
from kpi.grading import GradingRule
from kpi.numbers import format_number
from kpi.views import IndicatorView

PALETTE = ("#0072B2", "#56B4E9", "#E69F00", "#D55E00", "#CC79A7", "#000000")
UNGRADED = "#BBBBBB"
FONT = "Noto Sans CJK JP, Hiragino Sans, Yu Gothic, Meiryo, sans-serif"


def grade_colors(rule: GradingRule) -> dict[str, str]:
    """Best grade blue, worst vermillion, the rest in between; '未評価' grey."""
    labels = rule.labels
    n = len(labels)
    if n == 1:
        picks = [PALETTE[0]]
    elif n == 2:
        picks = [PALETTE[0], PALETTE[3]]
    elif n == 3:
        picks = [PALETTE[0], PALETTE[2], PALETTE[3]]
    elif n == 4:
        picks = [PALETTE[0], PALETTE[1], PALETTE[2], PALETTE[3]]
    else:
        picks = list(PALETTE[:5]) + [PALETTE[5]] * (n - 5)
    colors = dict(zip(labels, picks))
    colors["未評価"] = UNGRADED
    colors[""] = UNGRADED
    return colors


def indicator_chart(view: IndicatorView, style: Style = "wareki", height: int = 380) -> go.Figure:
    pts = view.points
    x = [format_fiscal_year_short(p.fiscal_year, style) for p in pts]
    fig = go.Figure()
    fig.add_bar(
        x=x, y=[p.target for p in pts], name="計画",
        marker=dict(color="#FFFFFF", line=dict(color="#555555", width=1.5),
                    pattern=dict(shape=["/" if p.target_estimate else "" for p in pts], fgcolor="#555555")),
        text=[format_number(p.target) + ("（見込み）" if p.target_estimate else "") if p.target is not None else ""
              for p in pts],
        textposition="outside", hovertemplate="%{x} 計画 %{y:,}<extra></extra>")
    fig.add_bar(
        x=x, y=[p.actual for p in pts], name="実績",
        marker=dict(color="#0072B2", line=dict(color="#0072B2", width=1.5),
                    pattern=dict(shape=["x" if p.actual_estimate else "" for p in pts], fgcolor="#FFFFFF")),
        text=[(format_number(p.actual) + ("（見込み）" if p.actual_estimate else "") + (f" {p.grade}" if p.grade else ""))
              if p.actual is not None else "未報告" for p in pts],
        textposition="outside", hovertemplate="%{x} 実績 %{y:,}<extra></extra>")
    if view.baseline is not None:
        label = f"基準値 {format_number(view.baseline)}"
        if view.baseline_fy:
            label += f"（{format_fiscal_year(view.baseline_fy, style)}{'・見込み' if view.baseline_estimated else ''}）"
        fig.add_hline(y=view.baseline, line=dict(color="#009E73", dash="dot", width=2),
                      annotation_text=label, annotation_position="bottom left")
    if view.final_target is not None:
        label = f"最終目標 {format_number(view.final_target)}"
        if view.final_target_fy:
            label += f"（{format_fiscal_year(view.final_target_fy, style)}）"
        fig.add_hline(y=view.final_target, line=dict(color="#D55E00", dash="dash", width=2),
                      annotation_text=label, annotation_position="top left")
    if view.trend and len(view.trend) > 1:
        fig.add_scatter(x=[format_fiscal_year_short(fy, style) for fy, _v in view.trend], y=[v for _fy, v in view.trend],
                        mode="lines+markers", name="これまでのペースでの見込み",
                        line=dict(color="#CC79A7", dash="dash", width=2), marker=dict(symbol="diamond"))
    title = view.name + (f"（{view.unit}）" if view.unit else "")
    fig.update_layout(
        title=dict(text=title, font=dict(size=16)), barmode="group", height=height,
        font=dict(family=FONT, size=13), legend=dict(orientation="h", y=-0.18),
        margin=dict(l=40, r=20, t=60, b=60), plot_bgcolor="#FFFFFF",
        yaxis=dict(gridcolor="#E5E5E5", rangemode="tozero"), xaxis=dict(type="category"))
    return fig


def grade_mix_chart(counts: dict[str, int], rule: GradingRule, title: str = "", height: int = 260) -> go.Figure:
    colors = grade_colors(rule)
    labels = [l for l in list(rule.labels) + ["未評価"] if counts.get(l)]
    fig = go.Figure()
    for label in labels:
        fig.add_bar(y=[""], x=[counts[label]], name=label, orientation="h", marker_color=colors.get(label, UNGRADED),
                    text=[f"{label} {counts[label]}件"], textposition="inside", insidetextanchor="middle",
                    textfont=dict(color="#FFFFFF" if label != "未評価" else "#000000", size=14),
                    hovertemplate=f"{label}: %{{x}}件<extra></extra>")
    fig.update_layout(barmode="stack", height=height, title=dict(text=title), font=dict(family=FONT, size=13),
                      showlegend=False, margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      xaxis=dict(visible=False), yaxis=dict(visible=False), plot_bgcolor="#FFFFFF")
    return fig
