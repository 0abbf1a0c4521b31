"""One assessment per (data version, plan, fiscal year), shared by every view and the pack; the era is
chosen when the sentences are written, so switching it never assesses the plan again."""

from __future__ import annotations

import pytest
from conftest import NIIGATA_PLAN
from test_pack_slides import RULE as PACK_RULE
from test_pack_slides import TODAY as PACK_TODAY
from test_pack_slides import plan as pack_plan
from test_views_lagging import PLAN, TODAY

import kpi.rules.assess as assess
from kpi.outputs.pack.slides import build_deck
from kpi.rules.assess import assessor
from kpi.rules.grading import DEFAULT_RULE
from kpi.views.departments import departments_view
from kpi.views.extras import PlanExtras
from kpi.views.hierarchy import hierarchy_view
from kpi.views.home import home_view
from kpi.views.item import item_detail_view
from kpi.views.lagging import lagging_view


def _counting(monkeypatch) -> list[int]:
    years: list[int] = []
    real = assess.assess_plan

    def counted(data, rule, *, as_of_fy=None, today=None):
        years.append(as_of_fy)
        return real(data, rule, as_of_fy=as_of_fy, today=today)
    monkeypatch.setattr(assess, "assess_plan", counted)
    return years


def test_the_pack_assesses_the_plan_once_per_year(monkeypatch):
    years = _counting(monkeypatch)
    d = build_deck(pack_plan(), PACK_RULE, as_of_fy=2025, today=PACK_TODAY)
    assert years == [2025, 2024]  # the chosen year, and the year before for the summary's changes
    assert d.summary.grades[0].previous is not None


def test_the_pack_takes_the_shared_assessment(monkeypatch):
    shared = assessor(pack_plan(), PACK_RULE, today=PACK_TODAY)
    shared(2025), shared(2024)
    asked: list[int] = []

    def ask(fy):
        asked.append(fy)
        return shared(fy)
    own = build_deck(pack_plan(), PACK_RULE, as_of_fy=2025, today=PACK_TODAY, style="seireki")
    years = _counting(monkeypatch)
    d = build_deck(pack_plan(), PACK_RULE, as_of_fy=2025, today=PACK_TODAY, style="seireki", assessed=ask)
    assert sorted(asked) == [2024, 2025] and years == []
    assert d == own


VIEWS = {
    "lagging": lambda **kw: lagging_view(PLAN, DEFAULT_RULE, **kw).table,
    "home": lambda **kw: home_view(PLAN, DEFAULT_RULE, **kw).tables,
    "hierarchy": lambda **kw: hierarchy_view(PLAN, DEFAULT_RULE, **kw).tables,
    "departments": lambda **kw: departments_view(PLAN, DEFAULT_RULE, **kw).tables,
    "item": lambda **kw: item_detail_view(PLAN, PlanExtras(), DEFAULT_RULE, "1", **kw).view,
}


@pytest.mark.parametrize("name", VIEWS)
def test_switching_the_era_writes_the_words_again_without_assessing(monkeypatch, name):
    shown = VIEWS[name]
    own = {style: shown(as_of_fy=2018, today=TODAY, style=style) for style in ("wareki", "seireki")}
    shared = assessor(PLAN, DEFAULT_RULE, today=TODAY)
    shared(2018), shared(2017)
    years = _counting(monkeypatch)
    for style in ("wareki", "seireki"):
        assert shown(as_of_fy=2018, today=TODAY, style=style, assessed=shared) == own[style]
    assert years == []  # both eras from the one assessment
    assert own["wareki"] != own["seireki"]


def test_the_app_assesses_once_and_switching_the_era_does_not_assess_again(app_env, monkeypatch):
    from test_pages import open_page, plans, text_of

    from ui import frame
    frame._assessment.clear()
    frame._view.clear()
    years: list[int] = []
    real = frame.assess_plan

    def counted(data, rule, *, as_of_fy=None, today=None):
        years.append(as_of_fy)
        return real(data, rule, as_of_fy=as_of_fy, today=today)
    monkeypatch.setattr(frame, "assess_plan", counted)
    at = open_page("pages/lagging.py", plans()[NIIGATA_PLAN])
    assert "平成30年度" in text_of(at) and years == [2018]
    at.session_state["era"] = "seireki"
    at.run()
    assert "2018年度" in text_of(at)
    at = open_page("pages/home.py", plans()[NIIGATA_PLAN], era="seireki")
    at = open_page("pages/departments.py", plans()[NIIGATA_PLAN])
    assert years == [2018, 2017]  # the home page added the year before, for its changes; nothing else
