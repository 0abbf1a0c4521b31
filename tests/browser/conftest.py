"""Browser tests: a real `streamlit run` server and Debian's chromium driven by Playwright.

Playwright never downloads a browser here: it launches /usr/bin/chromium (apt package
`chromium`; `fonts-noto-cjk` makes Japanese render). Screenshots go to tests/_artifacts/.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ARTIFACTS, ROOT

CHROMIUM = os.environ.get("KPI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, db: Path | str, env: dict[str, str] | None = None, log_dir: Path | None = None):
        """db: a database file, or a shared store target 'ducklake:…' (then give log_dir)."""
        self.db = db
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        e = dict(os.environ, KPI_DB=str(db), STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
        e.update(env or {})
        self.log_path = (log_dir or Path(db).parent) / f"streamlit-{self.port}.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=ROOT, env=e, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(self.log_path.read_text(errors="replace"))
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("streamlit did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


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


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
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


def wait_idle(page) -> None:
    """Wait until Streamlit has finished running the script and drawing its charts and tables."""
    page.wait_for_selector('[data-testid="stApp"]')
    page.wait_for_timeout(300)  # a rerun may start just after an interaction
    # Twice: a finished run can trigger a follow-up rerun (st.rerun, switch_page, a data editor
    # reporting its state), and Streamlit shows its running indicator only after 500 ms.
    for _ in range(2):
        page.wait_for_function(_RENDERED, timeout=90_000, polling=200)
        page.wait_for_timeout(700)


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
