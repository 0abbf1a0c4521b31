"""The large synthetic plan, and the chart and table helpers every page uses."""

import pytest
from conftest import TODAY
from helpers import sql
from view_plans import ind, item, plan

from kpi.intake.synthetic import SYNTHETIC_PLAN, SyntheticSpec, synthetic_batch
from kpi.outputs.export import Table, to_csv
from kpi.rules.grading import DEFAULT_RULE, PRESETS
from kpi.store.store import Store
from kpi.views.home import home_view
from ui import charts, tables


def test_the_synthetic_plan_has_the_promised_size(synthetic_db):
    s = Store.open(synthetic_db, read_only=True)
    try:
        data = s.load_plan(s.plan_by_name(SYNTHETIC_PLAN).plan_id)
        counts = dict(sql(s, "SELECT kind, count(*) FROM indicator_values GROUP BY kind"))
    finally:
        s.close()
    assert len(data.items) == 300 and sum(len(it.indicators) for it in data.items) == 900
    assert data.plan.years == tuple(range(2019, 2027)) and counts["target"] == 300 * 3 * 8
    assert 900 * 6 < counts["actual"] < 900 * 7  # the last year is under way, a few actuals are missing
    assert {len(p) for p in data.nodes} == {1, 2}
    v = home_view(data, DEFAULT_RULE, today=TODAY)
    assert v.overview.as_of_fy == 2025 and len(v.heatmap.rows) == 60  # opens on the first 基本目標
    assert all(v.overview.grade_counts[g] > 0 for g in "ABC")  # every grade occurs


def test_the_synthetic_plan_is_reproducible():
    small = SyntheticSpec(items=20, years=3)
    a, b = synthetic_batch(small), synthetic_batch(small)
    assert a.rows == b.rows and a.count() == b.count()
    assert synthetic_batch(SyntheticSpec(items=20, years=3, seed=1)).rows != a.rows


@pytest.mark.parametrize("background, text", [
    ("#0072B2", "#FFFFFF"), ("#D55E00", "#000000"), ("#E69F00", "#000000"), ("#56B4E9", "#000000"),
    ("#000000", "#FFFFFF"), ("#BBBBBB", "#000000"), ("#F0E442", "#000000"),
])
def test_text_on_a_colour_stays_readable(background, text):
    assert charts.text_color(background) == text


@pytest.mark.parametrize("key", list(PRESETS))
def test_every_grade_has_its_own_colour(key):
    rule = PRESETS[key]
    colors = charts.grade_colors(rule)
    assert len({colors[label] for label in rule.labels[:5]}) == min(5, len(rule.labels))


def test_every_coloured_cell_of_the_heat_map_carries_its_grade_letter():
    data = plan(item("1", indicators=[ind("x", [(2015, 100, 100), (2016, 100, 85)])]),
                item("2", indicators=[ind("x", [(2015, 100, 10), (2016, None, 5)])]))
    hm = home_view(data, DEFAULT_RULE, as_of_fy=2016, today=TODAY).heatmap
    fig = charts.heatmap_chart(hm, DEFAULT_RULE)
    letters = fig.data[1]
    assert sorted(zip(letters.x, letters.y, letters.text)) == [
        ("H27", "No.1 取組1", "A"), ("H27", "No.2 取組2", "C"), ("H28", "No.1 取組1", "B")]
    assert [t.name for t in fig.data[2:]] == ["A 目標を達成", "B おおむね順調", "C 努力を要する"]  # the legend


def test_csv_downloads_open_in_excel_and_never_run_formulas():
    t = Table("遅れている取組_平成30年度", ("No.", "コメント"), (("28", "=HYPERLINK(\"x\")"), ("29", "普通の文")))
    data = to_csv(t)
    assert data.startswith("\ufeff".encode("utf-8"))
    assert "'=HYPERLINK" in data.decode("utf-8-sig")
    assert tables.file_name(t) == "遅れている取組_平成30年度.csv"
    assert tables.file_name(Table("a/b: c?", (), ())) == "a_b_c.csv"
