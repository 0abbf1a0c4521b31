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
