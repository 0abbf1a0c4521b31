"""User text in every plotly figure is plain text: grade labels and meanings, titles, item numbers,
units, statuses — in names, legends, bar and cell texts, hovers, annotations and axis labels
(issue 14, item 9). Plotly reads <b>, <a href> and %{…} in those strings; ui.charts.esc is the
one place they are made plain.

Each chart is built from the same kpi views the pages use, on a plan and a custom rule full of
markup, and every string in the figure is searched for the markup as typed.
"""

from __future__ import annotations

import pytest
from view_plans import TODAY, ind, item, plan

from kpi.rules.grading import Band, GradingRule
from kpi.views.common import item_view
from kpi.views.extras import PlanExtras
from kpi.views.hierarchy import hierarchy_view
from kpi.views.home import home_view
from kpi.views.qualitative import qualitative_view
from ui import charts

BOLD = "<b>優</b>"
LINK = '<a href="https://evil.example.jp/">良</a>'
TEMPLATE = "%{x}可"  # a hover template placeholder typed as a grade label
RULE = GradingRule(name="独自<i>ルール</i>", bands=(Band(BOLD, 1.0, "<u>達成</u>"), Band(LINK, 0.8, "順調")),
                   default_label=TEMPLATE, default_meaning="<span style='color:red'>努力</span>",
                   lagging_below=LINK)
MARKUP = (BOLD, LINK, TEMPLATE, "取組%{y}", "<i>", "<u>", "<span", "<sup>", "<a ", "<b>!", "<b>太字")
DATA = plan(
    item("1<sup>1</sup>", title="取組<b>太字</b>", path=("目標<a href='https://evil.example.jp/'>1</a>",),
         indicators=(ind("指標<b>太字</b>", [(2015, 10, 11), (2016, 10, 9), (2017, 10, 5)], unit="<i>件</i>",
                         baseline=3, baseline_fy=2014, final=20, final_fy=2018),),
         evaluations=((2016, "年度", BOLD),), statuses=((2016, "完了<b>!</b>", None), (2017, "<i>独自</i>", None))),
    item("2", title="取組%{y}", path=("目標<a href='https://evil.example.jp/'>1</a>",),
         indicators=(ind("件数", [(2015, 10, 8), (2016, 10, 10)]),)),
    levels=("基本目標<b>!</b>",))


HIDDEN_KEYS = {"ids", "parents"}  # a treemap's node identifiers: matched, never drawn


def strings(obj):
    """Every string plotly may draw, anywhere in a figure's JSON (data, layout, annotations, legends)."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if k not in HIDDEN_KEYS:
                yield from strings(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from strings(v)
    elif hasattr(obj, "tolist"):
        yield from strings(obj.tolist())


def figures():
    home = home_view(DATA, RULE, as_of_fy=2017, today=TODAY)
    yield "area_mix", charts.area_mix_chart(home.areas, RULE)
    for basis in home.basis_options:
        hm = home_view(DATA, RULE, as_of_fy=2017, today=TODAY, basis=basis).heatmap
        yield f"heatmap_{basis}", charts.heatmap_chart(hm, RULE)
    yield "grade_mix", charts.grade_mix_chart({BOLD: 1, LINK: 2, TEMPLATE: 3, "未評価": 1}, RULE, title=BOLD)
    yield "treemap", charts.hierarchy_chart(hierarchy_view(DATA, RULE, as_of_fy=2017, today=TODAY), RULE)
    for no in ("1<sup>1</sup>", "2"):
        for v in item_view(DATA, RULE, no, as_of_fy=2017, today=TODAY).indicators:
            yield f"indicator_{no}", charts.indicator_chart(v)
    q = qualitative_view(DATA, PlanExtras(), as_of_fy=2017)
    yield "status", charts.status_chart(q.areas, q.statuses)


@pytest.mark.parametrize("name, fig", list(figures()), ids=lambda v: v if isinstance(v, str) else "")
def test_no_user_markup_reaches_plotly(name, fig):
    found = {m: s for s in strings(fig.to_plotly_json()) for m in MARKUP if m in s}
    assert not found, (name, found)


def test_the_text_still_reads_as_typed_once_plotly_decodes_it():
    import html
    fig = charts.grade_mix_chart({BOLD: 1, TEMPLATE: 2}, RULE)
    shown = [html.unescape(t.name) for t in fig.data]
    assert shown == [BOLD, TEMPLATE]
    assert [t.hovertemplate for t in fig.data] == ["&lt;b&gt;優&lt;/b&gt;: %{x}件<extra></extra>",
                                                  "&#37;{x}可: %{x}件<extra></extra>"]


def test_the_packs_images_draw_dollar_signs_as_characters():
    # matplotlib (the pack's charts) reads '$…$' as a formula: a unit like '$x^2$' drawn as math, and
    # '$\frac{$' in an indicator's name failed the whole PowerPoint/PDF.
    from kpi.outputs.pack.charts import grade_mix_png, indicator_png
    data = plan(item("1", indicators=(ind(r"費用$\frac{$", [(2015, 10, 11), (2016, 10, 9)], unit="$x^2$"),),
                     evaluations=((2016, "年度", "$A$"),)))
    view = item_view(data, RULE, "1", as_of_fy=2016, today=TODAY).indicators[0]
    assert indicator_png(view).startswith(b"\x89PNG")
    assert grade_mix_png({r"$\frac{$": 2, "B": 1}, {r"$\frac{$": "#0072B2", "B": "#E69F00"}).startswith(b"\x89PNG")
