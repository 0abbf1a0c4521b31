"""Plotly figures and grade colours (Okabe–Ito: readable in print and by colour-blind readers)."""

from __future__ import annotations

from html import escape

import plotly.graph_objects as go

from kpi.rules.fiscal import Style, format_fiscal_year, format_fiscal_year_short
from kpi.rules.grading import GradingRule
from kpi.rules.numbers import format_number
from kpi.views.chart_layout import axis_top, label_inside, side_label_shifts, whole_step
from kpi.views.colors import UNGRADED
from kpi.views.colors import grade_colors as scheme_colors
from kpi.views.common import IndicatorView
from kpi.vocabulary import LAGGING_ITEMS
from kpi.vocabulary import UNGRADED as UNGRADED_LABEL

FONT = "Noto Sans CJK JP, Hiragino Sans, Yu Gothic, Meiryo, sans-serif"


class Drawn(go.Figure):
    """A finished figure that is sent many times (ui.frame.figure keeps one per selection): its dict
    is made once. st.plotly_chart reads a figure through to_dict(), which deep-copies every
    property and base64-encodes the arrays on every send (about 20 ms on ホーム's heatmap at
    prefecture scale); what it then writes is the same JSON. The figure must not change once drawn
    (a cached figure is shared by every session anyway)."""

    def to_dict(self) -> dict:
        spec = self.__dict__.get("_drawn")
        if spec is None:
            spec = super().to_dict()
            for trace in spec["data"]:
                trace.pop("uid", None)  # plotly.io.to_json drops it from its copy
            self.__dict__["_drawn"] = spec
        # New outer containers: the caller may pop keys from each trace (to_json drops "uid").
        return {**spec, "data": [dict(t) for t in spec["data"]]}


def drawn(fig: go.Figure) -> Drawn:
    """The same figure, as a Drawn one (its dict made now, once), without building it again."""
    fig.__class__ = Drawn
    fig.to_dict()
    return fig


def grade_colors(rule: GradingRule) -> dict[str, str]:
    """Best grade blue, worst vermillion, the rest in between; '未評価' grey (kpi/views/colors.py)."""
    return scheme_colors(rule.labels)


def indicator_chart(view: IndicatorView, style: Style = "wareki", height: int = 380, text_size: int = 13,
                    smallest_px: int | None = None) -> go.Figure:
    """Plan and actual bars per year, the baseline and the final target as lines labelled beside the
    plot (never over the bars), value labels moved inside a bar where a line would cross them.

    text_size: every text's size in px (meeting mode: projector-sized); smallest_px: the least
    height the chart is drawn at when its container sets it (decides where labels go)."""
    pts = view.points
    x = [format_fiscal_year_short(p.fiscal_year, style) for p in pts]
    lines = [y for y in (view.baseline, view.final_target) if y is not None]
    values = [p.target for p in pts] + [p.actual for p in pts] + lines + [v for _fy, v in view.trend]
    top = axis_top(values)
    margin = dict(l=text_size * 4, r=text_size * 6 if lines else 20, t=text_size * 3 + 10, b=text_size * 5)
    plot_px = max((smallest_px or height) - margin["t"] - margin["b"], 60)
    share = text_size * 1.5 / plot_px  # a value label's height, as a share of the axis
    positive = all(v is None or v >= 0 for v in values)

    def where(tops: list) -> list[str]:
        inside = label_inside(tops, lines, top, share) if positive else [False] * len(tops)
        return ["inside" if i else "outside" for i in inside]

    # The figure is made in one construction (traces, then the layout with its lines and labels):
    # plotly's add_hline, add_annotation and update_layout each walk its update machinery, which
    # cost more than the chart's data (issue 17: the item page draws one chart per indicator).
    traces = [go.Bar(
        x=x, y=[p.target for p in pts], name="計画",
        marker=dict(color="#FFFFFF", line=dict(color="#555555", width=1.5),
                    pattern=dict(shape=["/" if p.target_estimate else "" for p in pts], fgcolor="#555555", solidity=0.25)),
        text=[format_number(p.target) + ("（見込み）" if p.target_estimate else "") if p.target is not None else ""
              for p in pts],
        textposition=where([p.target for p in pts]), insidetextanchor="end", cliponaxis=False,
        insidetextfont=dict(color="#1A1A1A"), hovertemplate="%{x} 計画 %{y:,}<extra></extra>"), go.Bar(
        x=x, y=[p.actual for p in pts], name="実績",
        marker=dict(color="#0072B2", line=dict(color="#0072B2", width=1.5),
                    pattern=dict(shape=["x" if p.actual_estimate else "" for p in pts], fgcolor="#FFFFFF", solidity=0.25)),
        text=[(format_number(p.actual) + ("（見込み）" if p.actual_estimate else "") + (f" {esc(p.grade)}" if p.grade else ""))
              if p.actual is not None else ("未報告" if p.due and p.target is not None else "") for p in pts],
        textposition=where([p.actual for p in pts]), insidetextanchor="end", cliponaxis=False,
        insidetextfont=dict(color="#FFFFFF"), hovertemplate="%{x} 実績 %{y:,}<extra></extra>")]
    shapes: list[dict] = []

    def hline(y: float, line: dict) -> None:  # what fig.add_hline(y=y, line=line) adds
        shapes.append(dict(line=line, type="line", x0=0, x1=1, xref="x domain", y0=y, y1=y, yref="y"))

    side: list[tuple[float, str, str]] = []  # (height, label, colour) written in the right margin
    if view.baseline is not None:
        label = f"基準値 {format_number(view.baseline)}"
        if view.baseline_fy:
            label += f"（{format_fiscal_year(view.baseline_fy, style)}{'・見込み' if view.baseline_estimated else ''}）"
        if view.baseline_fy is not None and view.baseline_fy not in {p.fiscal_year for p in pts}:
            # The baseline at its own year, so the series reads from where the plan started (its value
            # is written beside the plot with the other lines', not over the axis).
            traces.append(go.Scatter(x=[format_fiscal_year_short(view.baseline_fy, style)], y=[view.baseline],
                                     name="基準値", mode="markers", cliponaxis=False,
                                     marker=dict(symbol="diamond", size=13, color="#009E73"),
                                     hovertemplate=f"{label}<extra></extra>"))
            hline(view.baseline, dict(color="#009E73", dash="dot", width=1.5))
        else:
            hline(view.baseline, dict(color="#009E73", dash="dot", width=2))
        side.append((view.baseline, f"基準値<br>{format_number(view.baseline)}"
                     + ("<br>（見込み）" if view.baseline_estimated else ""), "#00734F"))
    if view.final_target is not None:
        when = f"（{format_fiscal_year_short(view.final_target_fy, style)}）" if view.final_target_fy else ""
        hline(view.final_target, dict(color="#D55E00", dash="dash", width=2))
        side.append((view.final_target, f"最終目標<br>{format_number(view.final_target)}{when}", "#B34700"))
    tallest = max((t.count("<br>") + 1 for _y, t, _c in side), default=1)
    shifts = side_label_shifts([y for y, _t, _c in side], top, plot_px, text_size * 1.3 * tallest)
    notes = [dict(xref="paper", x=1, xanchor="left", xshift=6, y=y, yref="y", yanchor="middle", yshift=shift, text=text,
                  showarrow=False, align="left", font=dict(color=color, size=text_size))
             for (y, text, color), shift in zip(side, shifts)]
    if view.trend and len(view.trend) > 1:
        traces.append(go.Scatter(x=[format_fiscal_year_short(fy, style) for fy, _v in view.trend],
                                 y=[v for _fy, v in view.trend], mode="lines+markers", name="これまでのペースでの見込み",
                                 line=dict(color="#CC79A7", dash="dash", width=2), marker=dict(symbol="diamond")))
    title = esc(view.name) + (f"（{esc(view.unit)}）" if view.unit else "")
    step = whole_step(values)
    yaxis = dict(gridcolor="#E5E5E5", rangemode="tozero", tickfont=dict(size=text_size))
    if positive:
        yaxis["range"] = [0, top]
    if step is not None:  # counted in whole units: no 0.5 ticks
        yaxis.update(tick0=0, dtick=step, tickformat=",d")
    return go.Figure(data=traces, layout=dict(
        title=dict(text=title, font=dict(size=text_size + 3)), barmode="group", height=height,
        font=dict(family=FONT, size=text_size, color="#1A1A1A"),
        legend=dict(orientation="h", yref="container", y=0, yanchor="bottom", font=dict(size=text_size)),
        margin=margin, plot_bgcolor="#FFFFFF", yaxis=yaxis,
        xaxis=dict(type="category", categoryorder="array", categoryarray=_year_axis(view, style),
                   tickfont=dict(size=text_size)), **(dict(shapes=shapes) if shapes else {}),
        **(dict(annotations=notes) if notes else {})))


def _year_axis(view: IndicatorView, style: Style) -> list[str]:
    """Every year the chart mentions, in order (baseline year, the plan's years, the projection)."""
    years = {p.fiscal_year for p in view.points} | {fy for fy, _v in view.trend}
    if view.baseline is not None and view.baseline_fy is not None:
        years.add(view.baseline_fy)
    return [format_fiscal_year_short(fy, style) for fy in sorted(years)]


def grade_mix_chart(counts: dict[str, int], rule: GradingRule, title: str = "", height: int = 260,
                    text_size: int = 14) -> go.Figure:
    colors = grade_colors(rule)
    labels = [l for l in list(rule.labels) + [UNGRADED_LABEL] if counts.get(l)]
    fig = go.Figure()
    for label in labels:
        shown = esc(label)
        fig.add_bar(y=[""], x=[counts[label]], name=shown, orientation="h", marker_color=colors.get(label, UNGRADED),
                    text=[f"{shown} {counts[label]}件"], textposition="inside", insidetextanchor="middle",
                    textfont=dict(color="#FFFFFF" if label != UNGRADED_LABEL else "#000000", size=text_size),
                    hovertemplate=f"{shown}: %{{x}}件<extra></extra>")
    fig.update_layout(barmode="stack", height=height, title=dict(text=esc(title)), font=dict(family=FONT, size=13),
                      showlegend=False, margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      xaxis=dict(visible=False), yaxis=dict(visible=False), plot_bgcolor="#FFFFFF")
    return fig


def text_color(background: str) -> str:
    """Black or white, whichever reads better on a fill colour (WCAG relative luminance)."""
    h = background.lstrip("#")
    if len(h) != 6:
        return "#000000"
    def channel(c: str) -> float:
        v = int(c, 16) / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    lum = 0.2126 * channel(h[0:2]) + 0.7152 * channel(h[2:4]) + 0.0722 * channel(h[4:6])
    return "#000000" if (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) else "#FFFFFF"


def _count_tick(largest: int) -> int:
    """Whole-number ticks for counts of items (never 0.5 items)."""
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500):
        if largest / step <= 10:
            return step
    return 1000


def esc(text: object) -> str:
    """User text for plotly — the one place it is made plain. Every name, legend entry, bar or cell
    text, hover, annotation, title and axis label a figure here takes from the data (titles, item
    numbers, units, grade labels and meanings, statuses) goes through this.

    Plotly reads <b>, <a href>, <span style> in those strings as markup, and %{…} in a hover or text
    template as a placeholder; escaped (& < > and %), they show the characters as typed, since
    plotly decodes the entities when it draws."""
    return escape("" if text is None else str(text), quote=False).replace("%", "&#37;")


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _wrap(text: str, n: int) -> str:
    """Line breaks for long Japanese labels (plotly does not wrap)."""
    return "<br>".join(text[i:i + n] for i in range(0, len(text), n)) if len(text) > n else text


def heatmap_chart(hm, rule: GradingRule, height_per_row: int = 26) -> go.Figure:
    """Items × fiscal years, each cell coloured by its grade with the grade written in it.

    Made in one construction (issue 17): plotly validates every property each time a trace is
    added or the layout updated, and a prefecture plan's 600 cells made that most of a cold home."""
    colors = grade_colors(rule)
    present = [label for row in hm.rows for label in row.labels if label]
    order = list(rule.labels) + [l for l in dict.fromkeys(present) if l not in rule.labels]
    index = {label: i for i, label in enumerate(order)}
    n = len(order) + 1  # the last slot: empty cells
    palette = [colors.get(l, UNGRADED) for l in order] + ["#FFFFFF"]
    scale = []
    for i, c in enumerate(palette):
        scale += [(i / n, c), ((i + 1) / n, c)]
    ys = [f"No.{esc(r.item_no)} {esc(_short(r.title, 18))}" for r in hm.rows]
    xs = [esc(x) for x in hm.year_labels]
    z = [[index.get(l, n - 1) if l else n - 1 for l in r.labels] for r in hm.rows]
    cells = dict(type="heatmap", x=xs, y=ys, z=z, zmin=-0.5, zmax=n - 0.5, colorscale=scale, showscale=False, xgap=2,
                 ygap=2, customdata=[[esc(h) for h in r.hovers] for r in hm.rows],
                 hovertemplate="%{customdata}<extra></extra>")
    tx, ty, tt, tc = [], [], [], []
    for y, r in zip(ys, hm.rows):
        for x, label in zip(xs, r.labels):
            if label:
                tx.append(x), ty.append(y), tt.append(esc(label)), tc.append(text_color(colors.get(label, UNGRADED)))
    letters = dict(type="scatter", x=tx, y=ty, text=tt, mode="text", textfont=dict(color=tc, size=13),
                   hoverinfo="skip", showlegend=False)
    # a legend that names each colour (the letters are in the cells too)
    legend = [dict(type="scatter", x=[xs[0]] if xs else [], y=[ys[0]] if ys else [], mode="markers",
                   name=esc(f"{label} {rule.meaning(label)}".strip()), hoverinfo="skip",
                   marker=dict(symbol="square", size=0.1, color=colors[label])) for label in rule.labels]
    layout = dict(
        height=max(200, 130 + height_per_row * len(hm.rows)), font=dict(family=FONT, size=12),
        margin=dict(l=10, r=10, t=80, b=10), plot_bgcolor="#FFFFFF",
        legend=dict(orientation="h", yref="container", y=1, yanchor="top", x=0, itemclick=False, itemsizing="constant",
                    itemdoubleclick=False, title=dict(text=esc(hm.basis_label) + "：")),
        xaxis=dict(type="category", side="top", showgrid=False, fixedrange=True, categoryorder="array",
                   categoryarray=xs, range=[-0.5, len(xs) - 0.5], tickfont=dict(size=13)),
        yaxis=dict(type="category", showgrid=False, fixedrange=True, automargin=True, categoryorder="array",
                   categoryarray=ys, range=[len(ys) - 0.5, -0.5]))
    return go.Figure(data=[cells, letters, *legend], layout=layout)


def _area_bars(areas, series, total: int, height_per_area: int) -> go.Figure:
    """One stacked bar per policy area, in one construction (plotly validates every property on each
    add_bar and update_layout). series: (name in the legend and bar, name in the hover, colour,
    the count per area); a series with no item anywhere is left out."""
    ys = ["<br>".join(esc(part) for part in _wrap(a.area, 22).split("<br>")) for a in areas]
    bars = [dict(type="bar", y=ys, x=xs, name=name, orientation="h", marker=dict(color=c),
                 text=[f"{name} {v}" if v else "" for v in xs], textposition="inside", insidetextanchor="middle",
                 textfont=dict(color=text_color(c), size=13), hovertemplate=f"%{{y}}<br>{hover}: %{{x}}件<extra></extra>")
            for name, hover, c, xs in series if any(xs)]
    layout = dict(barmode="stack", height=max(180, 100 + height_per_area * len(areas)),
                  font=dict(family=FONT, size=12), margin=dict(l=10, r=10, t=40, b=30),
                  legend=dict(orientation="h", yref="container", y=1, yanchor="top", x=0, traceorder="normal"),
                  plot_bgcolor="#FFFFFF",
                  xaxis=dict(title=dict(text="取組数"), gridcolor="#E5E5E5", tickformat="d", dtick=_count_tick(total)),
                  yaxis=dict(autorange="reversed", automargin=True))
    return go.Figure(data=bars, layout=layout)


def area_mix_chart(areas, rule: GradingRule, height_per_area: int = 44) -> go.Figure:
    """One stacked bar per policy area: how many items got each grade."""
    colors = grade_colors(rule)
    series = [(esc(label), esc(label), colors.get(label, UNGRADED), [a.counts.get(label, 0) for a in areas])
              for label in list(rule.labels) + [UNGRADED_LABEL]]
    return _area_bars(areas, series, max((a.items for a in areas), default=1), height_per_area)


def hierarchy_chart(hv, rule: GradingRule, height: int = 560) -> go.Figure:
    """A treemap: policy areas → … → items; items coloured by grade, parents labelled with their counts."""
    colors = grade_colors(rule)
    ids, labels, parents, fills, hovers, texts = [], [], [], [], [], []
    for n in hv.nodes:
        ids.append(n.node_id)
        labels.append(f"<b>{esc(_short(n.title, 36))}</b>　{esc(n.summary)}")
        parents.append(n.parent_id)
        fills.append("#F2F2F2" if n.depth % 2 else "#E4E4E4")
        texts.append("")
        hovers.append(f"{esc(n.title)}<br>{esc(n.summary)}")
    for leaf in hv.leaves:
        ids.append(leaf.leaf_id)
        labels.append(f"<b>No.{esc(leaf.item_no)} {esc(leaf.grade or '―')}</b>")
        parents.append(leaf.parent_id)
        fills.append(colors.get(leaf.grade, UNGRADED) if leaf.grade else UNGRADED)
        texts.append("<br>".join(esc(part) for part in _wrap(_short(leaf.title, 24), 12).split("<br>")))
        hovers.append(f"No.{esc(leaf.item_no)} {esc(leaf.title)}<br>評価: {esc(leaf.grade or UNGRADED_LABEL)}"
                      + (f"<br>{LAGGING_ITEMS}" if leaf.lagging else ""))
    fig = go.Figure(go.Treemap(
        ids=ids, labels=labels, parents=parents, text=texts, customdata=hovers,
        texttemplate="%{label}<br>%{text}", hovertemplate="%{customdata}<extra></extra>",
        marker=dict(colors=fills, line=dict(color="#FFFFFF", width=1)), branchvalues="remainder",
        textfont=dict(family=FONT, size=13), tiling=dict(pad=3),
        pathbar=dict(visible=True), maxdepth=-1, sort=False))
    fig.update_layout(height=height, margin=dict(l=4, r=4, t=30, b=4), font=dict(family=FONT, size=13))
    return fig


STATUS_COLORS: dict[str, str] = {"完了": "#0072B2", "完了の目途": "#56B4E9", "継続中": "#E69F00", "実施中": "#F0E442",
                                 "未着手": "#D55E00", "中止": "#000000", "見直し": "#CC79A7"}
STATUS_MARK_TEXT: dict[str, str] = {"完了": "✓", "完了の目途": "◇", "継続中": "・"}


def status_chart(areas, statuses: tuple[str, ...], height_per_area: int = 44) -> go.Figure:
    """Per top-level node, how many items are done, nearly done, under way or not started."""
    series = [(esc(f"{STATUS_MARK_TEXT.get(status, '')} {status}".strip()), esc(status),
               STATUS_COLORS.get(status, UNGRADED), [a.counts.get(status, 0) for a in areas]) for status in statuses]
    return _area_bars(areas, series, max((a.total for a in areas), default=1), height_per_area)
