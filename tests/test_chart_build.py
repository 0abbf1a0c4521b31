"""The indicator chart is made in one construction (issue 17: plotly's add_hline, add_annotation and
update_layout cost more than the chart's data): what it draws must be what plotly's own calls draw,
the lines where add_hline puts them and the labels as add_annotation writes them."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest
from view_plans import TODAY, ind, item, plan

from kpi.rules.grading import DEFAULT_RULE
from kpi.views.common import item_view
from ui import charts

from test_graded_parity import demo_plans, municipal_plan  # noqa: F401 (fixtures)

DATA = plan(
    item("1", indicators=(ind("見込みのある指標", [(2015, 10, 11), (2016, 20, 18), (2017, 30, None)], baseline=3,
                              baseline_fy=2014, final=40, final_fy=2018),
                          ind("基準値の年に値がある指標", [(2015, 10, 11), (2016, 12, 9)], baseline=10, baseline_fy=2015),
                          ind("最終目標だけの指標", [(2015, 5, 4), (2016, 6, 7)], final=9, final_fy=2018, direction="lower"),
                          ind("線のない指標", [(2015, 1, 2)]))),
    start=2015, end=2018)


def _plotly_way(fig: go.Figure) -> go.Figure:
    """The same traces and layout, the lines and labels added by plotly's calls."""
    layout = {k: v for k, v in fig.layout.to_plotly_json().items() if k not in ("shapes", "annotations")}
    ref = go.Figure(data=fig.data, layout=layout)
    for s in fig.layout.shapes:
        ref.add_hline(y=s.y0, line=s.line.to_plotly_json())
    for a in fig.layout.annotations:
        ref.add_annotation(a.to_plotly_json())
    return ref


@pytest.mark.parametrize("shape", [dict(), dict(style="seireki"), dict(height=384, text_size=20, smallest_px=384)])
def test_the_indicator_chart_draws_what_plotlys_own_calls_draw(shape):
    views = item_view(DATA, DEFAULT_RULE, "1", as_of_fy=2016, today=TODAY).indicators
    lines = []
    for v in views:
        fig = charts.indicator_chart(v, **shape)
        assert fig.to_dict() == _plotly_way(fig).to_dict(), v.name
        lines.append(len(fig.layout.shapes))
    assert lines == [2, 1, 1, 0]


def _heatmap_plotly_way(hm, rule, height_per_row: int = 26) -> go.Figure:
    """The heat map as plotly's own calls made it before it was one construction (add_scatter,
    update_layout, update_xaxes)."""
    from ui.charts import FONT, UNGRADED, _short, esc, grade_colors, text_color
    colors = grade_colors(rule)
    present = [label for row in hm.rows for label in row.labels if label]
    order = list(rule.labels) + [lb for lb in dict.fromkeys(present) if lb not in rule.labels]
    index = {label: i for i, label in enumerate(order)}
    n = len(order) + 1
    palette = [colors.get(lb, UNGRADED) for lb in order] + ["#FFFFFF"]
    scale = []
    for i, c in enumerate(palette):
        scale += [(i / n, c), ((i + 1) / n, c)]
    ys = [f"No.{esc(r.item_no)} {esc(_short(r.title, 18))}" for r in hm.rows]
    xs = [esc(x) for x in hm.year_labels]
    z = [[index.get(lb, n - 1) if lb else n - 1 for lb in r.labels] for r in hm.rows]
    fig = go.Figure(go.Heatmap(
        x=xs, y=ys, z=z, zmin=-0.5, zmax=n - 0.5, colorscale=scale, showscale=False, xgap=2, ygap=2,
        customdata=[[esc(h) for h in r.hovers] for r in hm.rows], hovertemplate="%{customdata}<extra></extra>"))
    tx, ty, tt, tc = [], [], [], []
    for y, r in zip(ys, hm.rows):
        for x, label in zip(xs, r.labels):
            if label:
                tx.append(x), ty.append(y), tt.append(esc(label)), tc.append(text_color(colors.get(label, UNGRADED)))
    fig.add_scatter(x=tx, y=ty, text=tt, mode="text", textfont=dict(color=tc, size=13), hoverinfo="skip",
                    showlegend=False)
    for label in rule.labels:
        fig.add_scatter(x=[xs[0]] if xs else [], y=[ys[0]] if ys else [], mode="markers",
                        name=esc(f"{label} {rule.meaning(label)}".strip()), hoverinfo="skip",
                        marker=dict(symbol="square", size=0.1, color=colors[label]))
    fig.update_layout(
        height=max(200, 130 + height_per_row * len(hm.rows)), font=dict(family=FONT, size=12),
        margin=dict(l=10, r=10, t=80, b=10), plot_bgcolor="#FFFFFF",
        legend=dict(orientation="h", yref="container", y=1, yanchor="top", x=0, itemclick=False, itemsizing="constant",
                    itemdoubleclick=False, title=dict(text=esc(hm.basis_label) + "："),),
        xaxis=dict(type="category", side="top", showgrid=False, fixedrange=True, categoryorder="array",
                   categoryarray=xs, range=[-0.5, len(xs) - 0.5]),
        yaxis=dict(type="category", showgrid=False, fixedrange=True, automargin=True, categoryorder="array",
                   categoryarray=ys, range=[len(ys) - 0.5, -0.5]))
    fig.update_xaxes(tickfont=dict(size=13))
    return fig


def test_the_heat_map_draws_what_plotlys_own_calls_draw(demo_plans, municipal_plan):  # noqa: F811 (the fixtures)
    from kpi.rules.grading import PRESETS
    from kpi.views.home import home_view
    cases = [(d, rule) for d, _own in demo_plans for rule in (DEFAULT_RULE, PRESETS["sabcd"], PRESETS["target_baseline"])]
    cases += [(municipal_plan[0], municipal_plan[1]), (municipal_plan[0], PRESETS["marks"])]
    drawn = 0
    for data, rule in cases:
        if not data.data_years:
            continue
        fy = max(data.data_years)
        for basis in home_view(data, rule, as_of_fy=fy, today=TODAY).basis_options:
            hm = home_view(data, rule, as_of_fy=fy, today=TODAY, basis=basis).heatmap
            assert charts.heatmap_chart(hm, rule).to_dict() == _heatmap_plotly_way(hm, rule).to_dict(), (rule.name, basis)
            drawn += len(hm.rows)
    assert drawn > 100  # the demo plans and the municipal plan: over a hundred rows of cells compared


def _area_mix_plotly_way(areas, rule, height_per_area: int = 44) -> go.Figure:
    """The area chart as add_bar and update_layout made it."""
    from ui.charts import FONT, UNGRADED, UNGRADED_LABEL, _count_tick, _wrap, esc, grade_colors, text_color
    colors = grade_colors(rule)
    ys = ["<br>".join(esc(part) for part in _wrap(a.area, 22).split("<br>")) for a in areas]
    fig = go.Figure()
    for label in list(rule.labels) + [UNGRADED_LABEL]:
        xs = [a.counts.get(label, 0) for a in areas]
        if not any(xs):
            continue
        c = colors.get(label, UNGRADED)
        shown = esc(label)
        fig.add_bar(y=ys, x=xs, name=shown, orientation="h", marker_color=c,
                    text=[f"{shown} {v}" if v else "" for v in xs], textposition="inside", insidetextanchor="middle",
                    textfont=dict(color=text_color(c), size=13), hovertemplate=f"%{{y}}<br>{shown}: %{{x}}件<extra></extra>")
    fig.update_layout(barmode="stack", height=max(180, 100 + height_per_area * len(areas)),
                      font=dict(family=FONT, size=12), margin=dict(l=10, r=10, t=40, b=30),
                      legend=dict(orientation="h", yref="container", y=1, yanchor="top", x=0, traceorder="normal"),
                      plot_bgcolor="#FFFFFF",
                      xaxis=dict(title=dict(text="取組数"), gridcolor="#E5E5E5", tickformat="d",
                                 dtick=_count_tick(max((a.items for a in areas), default=1))),
                      yaxis=dict(autorange="reversed", automargin=True))
    return fig


def test_the_area_chart_draws_what_plotlys_own_calls_draw(demo_plans, municipal_plan):  # noqa: F811 (the fixtures)
    from kpi.rules.grading import PRESETS
    from kpi.views.home import home_view
    cases = [(d, rule) for d, _own in demo_plans for rule in (DEFAULT_RULE, PRESETS["sabcd"], PRESETS["manual"])]
    cases += [municipal_plan]
    areas = 0
    for data, rule in cases:
        if not data.data_years:
            continue
        view = home_view(data, rule, as_of_fy=max(data.data_years), today=TODAY)
        assert charts.area_mix_chart(view.areas, rule).to_dict() == _area_mix_plotly_way(view.areas, rule).to_dict()
        areas += len(view.areas)
    assert areas >= 8  # the policy areas of the demo plans and the municipal plan
