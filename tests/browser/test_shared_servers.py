"""Two app servers on one shared store (DuckLake on a real PostgreSQL), driven in chromium.

What a city's platform with two servers behind a proxy must do: an upload through one server
is seen on the other (no restart), two uploads confirmed at the same moment on the two servers
both land, and a server whose database goes away says so and carries on when it returns.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys

import pytest

from browser.conftest import Server, new_context, shot, wait_idle
from conftest import ROOT, _demo_db
from pgcluster import PgCluster
from test_shared_store import small_plan

PLANS = {"A": ("同時取込計画A", 111), "B": ("同時取込計画B", 222)}


@pytest.fixture(scope="module")
def cluster():
    c = PgCluster().init().start()
    yield c
    c.remove()


@pytest.fixture(scope="module")
def servers(cluster, tmp_path_factory):
    """The demo data moved into a new shared store, then two servers on it. Every write transaction
    waits a second before COMMIT (test-only switch), so two confirms a moment apart really overlap."""
    d = tmp_path_factory.mktemp("shared")
    target = cluster.create_database("kpi")
    env = {"KPI_DATA_PATH": str(d / "lake_files")}
    moved = subprocess.run([sys.executable, "-m", "kpi", "copy-store", str(_demo_db(tmp_path_factory)),
                            "--to", target], cwd=ROOT, env={**__import__("os").environ, **env},
                           capture_output=True, timeout=180)
    assert moved.returncode == 0, moved.stderr.decode()
    env["KPI_FAULT_PAUSE_BEFORE_COMMIT"] = "1.0"
    a = Server(target, env=env, log_dir=d)
    b = Server(target, env=env, log_dir=d)
    yield a, b
    a.stop()
    b.stop()


def plan_options(page) -> list[str]:
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
    for attempt in range(3):  # a click while the page still reruns can be lost: open it again, as a person would
        box.click()
        try:
            page.get_by_role("option").first.wait_for(timeout=5000)
            break
        except Exception:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
            wait_idle(page)
    options = [o.inner_text() for o in page.get_by_role("option").all()]
    page.keyboard.press("Escape")
    return options


def export_all(server, page) -> list[dict]:
    """The downloads page's long table of values for every plan, as a person would download it."""
    page.goto(server.url + "/downloads")
    wait_idle(page)
    page.get_by_text("すべての計画").click()
    wait_idle(page)
    page.get_by_text("機械処理用（英語の列名・西暦・率は小数）").click()  # the columns this test compares by
    wait_idle(page)
    with page.expect_download() as dl:
        page.get_by_role("button", name=re.compile("を書き出す")).click()
    data = open(dl.value.path(), "rb").read()
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_uploads_confirmed_at_once_on_two_servers_both_land_and_both_servers_show_both(
        servers, browser, tmp_path):
    a, b = servers
    pages = {}
    for key, server in (("A", a), ("B", b)):
        ctx = new_context(browser)
        pages[key] = ctx.new_page()
        pages[key].set_default_timeout(60_000)
    before_b = plan_options_on_home(b, pages["B"])
    assert PLANS["A"][0] not in before_b
    for key, server in (("A", a), ("B", b)):
        page = pages[key]
        name, value = PLANS[key]
        page.goto(server.url + "/upload")
        wait_idle(page)
        page.locator('input[type="file"]').set_input_files(str(small_plan(tmp_path / f"{key}.xlsx", name, value)))
        wait_idle(page)
        page.get_by_text(f"{name}（新しい計画）").wait_for()
        # A new plan whose item numbers another plan also has is confirmed as meant (issue 14).
        page.get_by_text(re.compile(r"注意 \d+ 件を確認しました")).click()
        wait_idle(page)
    # Confirmed a moment apart on the two servers: both transactions are open together.
    for key in ("A", "B"):
        pages[key].get_by_role("button", name="取り込む").click()
    for key in ("A", "B"):
        pages[key].get_by_text(re.compile(r"取り込みました（取込番号 \d+")).wait_for(timeout=90_000)
        wait_idle(pages[key])
    shot(pages["B"], "shared_upload_done_B")
    logs = a.log_path.read_text(errors="replace") + b.log_path.read_text(errors="replace")
    assert logs.count("KPI_FAULT: paused before COMMIT") >= 3, "the two writes did not overlap"

    for key, server in (("A", a), ("B", b)):
        exported = {(r["plan"], r["fiscal_year"], r["actual"]) for r in export_all(server, pages[key])}
        assert {(PLANS[k][0], "2023", str(PLANS[k][1])) for k in PLANS} <= exported, key
    # Server B had drawn its plan list before A's upload; it lists A's plan now, with no restart.
    assert PLANS["A"][0] in plan_options_on_home(b, pages["B"])
    for page in pages.values():
        page.context.close()


def plan_options_on_home(server, page) -> list[str]:
    page.goto(server.url)
    wait_idle(page)
    return plan_options(page)


def test_a_server_whose_database_stops_says_so_and_recovers(servers, cluster, page):
    a, _b = servers
    page.goto(a.url)
    wait_idle(page)
    cluster.stop()
    try:
        page.reload()
        page.get_by_text("データベースに接続できません").first.wait_for(timeout=60_000)
        wait_idle(page)
        shot(page, "shared_store_down")
        assert page.get_by_text("Traceback").count() == 0
        assert page.get_by_role("button", name="もう一度試す").is_visible()
    finally:
        cluster.start()
    page.get_by_role("button", name="もう一度試す").click()
    wait_idle(page)
    assert page.get_by_text("データベースに接続できません").count() == 0
    shot(page, "shared_store_back")
    assert "新潟市行政改革プラン2015" in " ".join(plan_options_on_home(a, page))
