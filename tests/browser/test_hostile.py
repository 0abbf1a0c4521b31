"""A plan whose titles and comments carry <script>, <img onerror>, Markdown links and '=cmd', in a
real browser: every page shows the text as typed and no script runs. And while this server holds
the database, the command line is told so instead of corrupting it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import ROOT, TODAY
from test_hostile import FORMULA, HOSTILE_PLAN, IMG, LINK, SCRIPT, hostile_workbook

from browser.conftest import Server, shot, wait_idle
from kpi.access.permissions import LOCAL_ADMIN
from kpi.intake.pipeline import commit, prepare
from kpi.rules.grading import Band, GradingRule
from kpi.store.store import Store
from kpi.views.rule_settings import save_rule

PAGES = ["", "item_detail", "hierarchy", "lagging", "departments", "qualitative", "plan"]
BOLD_GRADE = "<b>優</b>"
LINK_GRADE = '<a href="https://evil.example.jp/">良</a>'
GRADE_RULE = GradingRule(name="独自", bands=(Band(BOLD_GRADE, 1.0, "<b>太字</b>"), Band(LINK_GRADE, 0.8, "順調")),
                         default_label="可", lagging_below=LINK_GRADE)


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    db = d / "kpi.duckdb"
    s = Store.open(db)
    prep = prepare(s, hostile_workbook(d / "hostile.xlsx"), today=TODAY)
    assert not prep.errors, prep.errors
    commit(s, [prep], "テスト")
    # A custom rule whose grade labels carry markup: every chart shows them (legends, bar and cell
    # texts, hovers) and plotly would draw them bold or as a link.
    save_rule(s, HOSTILE_PLAN, GRADE_RULE, LOCAL_ADMIN)
    s.close()
    server = Server(db)
    yield server
    server.stop()


def open_page(page, url: str) -> str:
    """Go to a page and wait for its title (before the first run the browser shows only a bare
    page list); returns the text on the page."""
    page.goto(url)
    page.locator("h1").first.wait_for(timeout=90_000)
    wait_idle(page)
    return page.locator('[data-testid="stApp"]').inner_text()


def injected(page) -> dict:
    return page.evaluate("""() => ({
        pwned: window.__pwned === undefined ? null : window.__pwned,
        img: document.querySelectorAll('img[src="x"], img[onerror]').length,
        // A link whose text hides where it goes (Markdown [text](url)), or that runs script. A bare
        // https:// address shown as itself may be linked (GitHub-style autolink): it deceives no one.
        evilLinks: [...document.querySelectorAll('a')].filter(a => /^javascript:/i.test(a.href) ||
            (/evil\\.example/.test(a.href) && !a.textContent.includes('evil.example'))).length,
        bold: [...document.querySelectorAll('b, strong')].filter(b => ['計画', '太字', '優'].includes(b.textContent)).length,
        svg: document.querySelectorAll('svg[onload]').length,
        // plotly draws <b> in chart text as a bold <tspan>, and <a href> as a link (the grade
        // labels 優 and 良 of the custom rule, the indicator's 太字)
        chartMarkup: [...document.querySelectorAll('.js-plotly-plot tspan, .js-plotly-plot a')].filter(t =>
            t.tagName.toLowerCase() === 'a' || /bold/.test(t.getAttribute('style') || '') &&
            ['太字', '計画', '優'].includes(t.textContent)).length,
        // the labels as typed, somewhere in the charts' text (so the check above has something to miss)
        chartLabels: [...document.querySelectorAll('.js-plotly-plot text')].some(t =>
            t.textContent.includes('<b>優</b>') || t.textContent.includes('良</a>')),
    })""")


@pytest.mark.parametrize("path", PAGES)
def test_pages_show_hostile_text_literally_and_run_nothing(hostile_server, page, path):
    text = open_page(page, f"{hostile_server.url}/{path}")
    page.wait_for_timeout(500)  # give an injected onerror/onload the chance it must not get
    found = injected(page)
    labelled = found.pop("chartLabels")
    if path in ("", "hierarchy"):  # the heatmap, the areas' bars and the treemap show every item's grade
        assert labelled, path
    assert found == {"pwned": None, "img": 0, "evilLinks": 0, "bold": 0, "svg": 0, "chartMarkup": 0}
    assert "Traceback" not in text and "予期しないエラー" not in text
    if path == "":
        # The title shows '<b>計画</b>' as characters, not bold. (Streamlit's Markdown turns '--'
        # into '—' even when escaped: a typographic change only, so the comparison stops before it.)
        assert HOSTILE_PLAN.removesuffix("--") in text
        shot(page, "hostile_home")
    if path == "item_detail":
        assert SCRIPT in text  # item No.1's title, shown as text
        for typed in (IMG, LINK, FORMULA):
            assert typed in text, typed  # the evaluation comment of No.1
        titles = page.locator(".js-plotly-plot .gtitle").all_text_contents()
        assert any("<b>太字</b>" in t for t in titles), titles  # the chart title too, as characters
        shot(page, "hostile_item_detail")


def test_cli_is_told_the_database_is_in_use(hostile_server, page, tmp_path):
    before = open_page(page, hostile_server.url)  # the server opens the database for the session
    env = dict(os.environ, KPI_DB=str(hostile_server.db))
    for args in (["import", str(hostile_workbook(tmp_path / "again.xlsx"))], ["user", "list"]):
        r = subprocess.run([sys.executable, "-m", "kpi", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        assert "データベースは使用中です" in r.stderr and "別のプログラムが開いています" in r.stderr
        assert "Traceback" not in r.stderr
    after = open_page(page, hostile_server.url)  # and the app goes on working on an intact file
    assert HOSTILE_PLAN.removesuffix("--") in after and after.count("No.") == before.count("No.")
