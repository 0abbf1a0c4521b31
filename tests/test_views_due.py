"""A missing actual is only 'overdue' once its fiscal year is over."""

from datetime import date

from kpi.rules.grading import DEFAULT_RULE
from kpi.rules.model import Indicator, Item, PlanData, PlanInfo, YearValue
from kpi.views.common import item_view


def test_year_points_say_whether_the_actual_is_due():
    ind = Indicator("件数", years=(YearValue(2025, 10, None), YearValue(2026, 12, None)))
    data = PlanData(PlanInfo(1, "計画", start_fy=2025, end_fy=2027), (Item("1", "取組", indicators=(ind,)),))
    view = item_view(data, DEFAULT_RULE, "1", as_of_fy=2026, today=date(2026, 11, 23))
    due = {p.fiscal_year: p.due for p in view.indicators[0].points}
    assert due == {2025: True, 2026: False}
    assert [r.code for r in view.reasons if r.lagging] == ["actual_missing"]
    assert "令和7年度" in view.reasons[0].detail and "令和8年度" not in view.reasons[0].detail
