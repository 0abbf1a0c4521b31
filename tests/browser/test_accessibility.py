"""axe-core (JIS X 8341-3 follows WCAG 2.1 AA) on every page in chromium, the meeting mode included
(issue 18 item 9). The axe-core script comes inside the pinned axe-playwright-python wheel.

Findings inside Streamlit's own parts (the sidebar navigation list, its widgets' internals) are the
framework's and are listed in the README; every finding on the project's own elements fails."""

from __future__ import annotations

from axe_playwright_python.base import AXE_SCRIPT

from browser.conftest import MENU, shot, wait_idle
from browser.test_pages import no_exception

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
           "resultTypes": ["violations"]}
# Streamlit's own markup, which the app cannot change (README: アクセシビリティ).
FRAMEWORK = ('[data-testid="stSidebarNav"]', '[data-testid="stSidebarNavItems"]', '[data-testid="stToolbar"]',
             '[data-testid="stMainMenu"]', '[data-testid="stDecoration"]', '[data-testid="stHeader"]')
PAGES = ("", "hierarchy", "item_detail", "lagging", "departments", "qualitative", "plan", "upload", "history",
         "downloads", "meeting", "pack", "opinions", "settings", "users")


def own_violations(page) -> list[str]:
    """axe's violations, as 'rule (impact): the element's HTML', without those in Streamlit's own parts."""
    if not page.evaluate("() => !!window.axe"):  # once per document: the pages below are opened in it
        page.evaluate(AXE_SCRIPT)
    results = page.evaluate("(options) => axe.run(options)", WCAG_AA)
    nodes = [(v, node) for v in results["violations"] for node in v["nodes"]]
    inside_framework = page.evaluate(
        "([sels, skip]) => sels.map(sel => { const e = document.querySelector(sel); "
        "return !!(e && skip.some(s => e.closest(s))); })",
        [[str(node["target"][-1]) for _v, node in nodes], list(FRAMEWORK)])
    return [f"{v['id']} ({v['impact']}): {' '.join(str(t) for t in node['target'])} {node['html'][:160]}"
            for (v, node), skip in zip(nodes, inside_framework) if not skip]


def test_every_page_has_no_axe_violation_of_its_own(server, page):
    page.goto(server.url)
    wait_idle(page)
    # On the first load the navigation (ui/navigation.py) mounts the sidebar after the page's run has
    # finished: axe run before that sees a half-built sidebar (a scroll region with nothing focusable).
    page.wait_for_function("() => !!document.querySelector('[data-testid=\"stSidebarContent\"] a[href]')")
    wait_idle(page)
    found = {}
    for title in PAGES:
        if title:
            link = page.locator(MENU).locator(f'a[href$="/{title}"]')
            if link.count() and link.is_visible():  # through the menu: the same document, axe loaded once
                link.click()
            else:  # the meeting mode hides the sidebar: by address (deep links work once "/" was opened)
                page.goto(f"{server.url}/{title}")
            wait_idle(page)
            assert page.url.rstrip("/").endswith(f"/{title}"), (title, page.url)
        no_exception(page)
        bad = own_violations(page)
        if bad:
            found[title] = bad
            shot(page, f"axe_{title or 'home'}")
        elif title in ("", "plan"):  # to look at: captions in the darker text colour
            shot(page, f"axe_ok_{title or 'home'}")
    assert not found, "\n".join(f"{t}:\n  " + "\n  ".join(v) for t, v in found.items())
