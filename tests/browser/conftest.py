"""Browser tests: a real `streamlit run` server and Debian's chromium driven by Playwright.

Playwright never downloads a browser here: it launches /usr/bin/chromium (apt package
`chromium`; `fonts-noto-cjk` makes Japanese render). Screenshots go to tests/_artifacts/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from appserver import AppServer
from conftest import ARTIFACTS, ROOT

CHROMIUM = os.environ.get("KPI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]

pytestmark = pytest.mark.browser


class Server(AppServer):
    """The app on a database: a file, or a shared store target 'ducklake:…' (then give log_dir)."""

    def __init__(self, db: Path | str, env: dict[str, str] | None = None, log_dir: Path | None = None):
        self.db = db
        # serve.py: app.py on Streamlit's server plus the sign-in cookie route, as scripts/run.sh starts it.
        super().__init__(ROOT / "serve.py", {"KPI_DB": str(db), **(env or {})}, log_dir or Path(db).parent, timeout=90)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} がありません: apt-get install -y chromium fonts-noto-cjk（scripts/test.sh が入れます）")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def serve_copy(tmp_path_factory, source: Path, name: str = "server") -> Server:
    """An app server on its own copy of a database built once per session."""
    d = tmp_path_factory.mktemp(name)
    db = d / "kpi.duckdb"
    shutil.copy(source, db)
    return Server(db)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One app server per test module, on its own copy of the demo database."""
    from conftest import _demo_db
    s = serve_copy(tmp_path_factory, _demo_db(tmp_path_factory))
    yield s
    s.stop()


# Put into every document a context opens (before Streamlit's own script): when the script's run state
# (stApp's data-test-script-state) last changed and a run last started, and when the page last sent
# the server a message or took a person's input. wait_idle reads them instead of sleeping: a click's
# rerun has not started until the server answers, and Streamlit's running indicator shows only 500 ms
# into a run.
_WATCH = """(() => {
  const w = window.__kpiWatch = {change: performance.now(), start: 0, sent: 0, input: 0};
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (...a) { w.sent = performance.now(); return send.apply(this, a); };
  for (const ev of ['pointerdown', 'keydown', 'input', 'change'])
    window.addEventListener(ev, () => { w.input = performance.now(); }, true);
  let last = null;
  new MutationObserver(() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app && app.getAttribute('data-test-script-state');
    if (state !== last) {
      last = state;
      w.change = performance.now();
      if (state === 'running') w.start = w.change;
    }
  }).observe(document, {subtree: true, childList: true, attributes: true,
                        attributeFilter: ['data-test-script-state']});
})()"""


def new_context(browser, **kw):
    """A browser context as the tests use it: a desktop window in Japanese, watched for wait_idle."""
    ctx = browser.new_context(**{"viewport": {"width": 1400, "height": 1000}, "locale": "ja-JP", **kw})
    ctx.add_init_script(_WATCH)
    return ctx


@pytest.fixture
def page(browser):
    ctx = new_context(browser)
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    ctx.close()


# Finished: the script is not running, no element is still a loading skeleton, every visible
# plotly chart has drawn its SVG and every visible dataframe its canvas (collapsed expanders
# draw nothing until opened).
_RENDERED = """() => {
  if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  const shown = (e) => (e.checkVisibility ? e.checkVisibility() : e.getClientRects().length > 0);
  for (const c of document.querySelectorAll('[data-testid="stPlotlyChart"]'))
    if (shown(c) && !c.querySelector('.main-svg')) return false;
  for (const d of document.querySelectorAll('[data-testid="stDataFrame"]'))
    if (shown(d) && !d.querySelector('canvas')) return false;
  return true;
}"""


# The menu the frame draws at the top of the sidebar (ui/navigation.py: st.page_link in a container
# keyed "menu"); Streamlit's own page list is switched off.
MENU = '[data-testid="stSidebar"] .st-key-menu'


# Idle: the script is not running and has not been asked to (nothing sent or typed since the last
# run started, or that long ago without an answer: a click that reruns nothing), the page is drawn
# (_RENDERED), and all has been still for QUIET ms (a finished run can be followed at once by
# another: st.rerun, switch_page, a data editor reporting its state).
_IDLE = """([quiet, grace]) => {
  const w = window.__kpiWatch;
  const app = document.querySelector('[data-testid="stApp"]');
  if (!w || !app) return false;
  if (app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  const now = performance.now();
  const asked = Math.max(w.sent, w.input);
  if (asked > w.start && now - asked < grace) return false;
  if (now - Math.max(w.change, w.sent) < quiet) return false;
  return (%s)();
}""" % _RENDERED
QUIET_MS = 400
GRACE_MS = 1500


def wait_idle(page) -> None:
    """Wait until Streamlit has finished running the script and drawing its charts and tables."""
    page.wait_for_selector('[data-testid="stApp"]')
    if not page.evaluate("() => !!window.__kpiWatch"):  # a context not made by new_context: sleep instead
        page.wait_for_timeout(300)  # a rerun may start just after an interaction
        for _ in range(2):
            page.wait_for_function(_RENDERED, timeout=90_000, polling=200)
            page.wait_for_timeout(700)
        return
    page.wait_for_function(_IDLE, arg=[QUIET_MS, GRACE_MS], timeout=90_000, polling=100)


def shot(page, name: str) -> Path:
    """A screenshot of the whole page: Streamlit scrolls inside its main block, so the viewport is
    made as tall as the content first (and restored afterwards)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size or {"width": 1400, "height": 1000}
    height = page.evaluate("() => (document.querySelector('[data-testid=\"stMain\"]') || document.body).scrollHeight")
    if height > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 16000)})
        wait_idle(page)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    return path
