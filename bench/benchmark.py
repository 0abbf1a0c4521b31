"""Speed and memory at prefecture scale, as ratios to a floor measured in the same run (issue 9).

Not part of the test run (pytest collects tests/ only). One command:

    .venv/bin/python bench/benchmark.py            # prefecture scale (≈ 1 M yearly values); about 15 min
    .venv/bin/python bench/benchmark.py --quick    # municipal scale, fewer repeats; a few minutes
    .venv/bin/python bench/benchmark.py --db 'ducklake:…'   # the same on another store

It prints a table and writes it into bench/README.md (between the bench:table markers),
with the machine it ran on. What is measured, each beside its floor:

1. Pages (AppTest, server side): every page an administrator sees, run inside app.py's
   frame on the first plan, median of --repeat runs. *warm*: the same session runs the
   page again (every cache filled). *cold*: st.cache_data.clear() and
   ui.frame.clear_data_caches() before each run — every cached plan, view and figure is
   gone, as after an upload bumps the data version; the open database connection and
   DuckDB's own buffer stay, as on a running server. Floor: bench/reference_page.py (one 10-point plotly line
   chart, one 10-row table) run the same way.
2. Imports: a fresh process imports the big book into an empty store (prepare + commit,
   as the CLI and the upload page do), and a fresh process merely reads every sheet with
   python-calamine; each minus the same process on the book's 1-sheet / 1-row twin, so
   that start-up and imports cancel out. Median of --import-repeat runs.
3. Memory: peak RSS (VmHWM) of a `streamlit run app.py` server after a browser has opened
   every page, beside a server of the reference page that has drawn it.
4. Browser: headless Debian chromium (Playwright, never a downloaded browser), on a warm
   server, a fresh tab each time: navigation → first drawn plotly chart (.main-svg) of the
   home page, beside the reference page's. Median of --browser-repeat tabs.

A second store (e.g. the shared DuckLake catalog) is one more Target in main()'s list.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
REFERENCE = BENCH / "reference_page.py"
FRAME_FLOOR = BENCH / "frame_floor.py"
README = BENCH / "README.md"
TODAY = date(2026, 11, 23)
CHROMIUM = os.environ.get("KPI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]

# Targets at prefecture scale (issue 17): measured ÷ floor must stay at or under these; rss is the
# app server's peak beside the reference server's.
LIMITS = {"warm": 3.0, "cold": 4.0, "import": 2.0, "chart": 1.25, "rss": 1.5, "shared": 1.3}


def admin_pages() -> list[tuple[str, str]]:
    """(file, title) of every page the menu (ui/navigation.PAGES) lists, read from its source, not run."""
    tree = ast.parse((ROOT / "ui" / "navigation.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "PAGES":
            out = []
            for call in node.value.elts:  # PageEntry(section, file, title, icon[, audience])
                _section, path, title = (ast.literal_eval(a) for a in call.args[:3])
                if (ROOT / path).exists():
                    out.append((path, title))
            return out
    raise RuntimeError("ui/navigation.py has no PAGES list")


def url_path(page_file: str) -> str:
    return "" if page_file == "pages/home.py" else Path(page_file).stem


# ------------------------------------------------------------------- targets
@dataclass
class Target:
    """A store the benchmark runs on: pages and servers use `db`; each import gets a fresh empty store."""
    label: str
    db: str
    work: Path
    env: dict[str, str] = field(default_factory=dict)
    cluster: object | None = None  # tests/pgcluster.PgCluster of a shared store
    copy_from: str | None = None  # fill the store by moving this file's data (kpi copy-store)
    import_env: dict[str, str] = field(default_factory=dict)  # for the scratch store of one import

    def scratch(self, tag: str) -> str:
        if self.db.startswith("ducklake:"):
            # A fresh, empty catalog per import: a new PostgreSQL database on the same server,
            # or a new catalog file, each with its own data folder.
            d = self.work / f"import_{tag}"
            shutil.rmtree(d, ignore_errors=True)
            d.mkdir(parents=True)
            self.import_env = {"KPI_DATA_PATH": str(d / "files")}
            if self.cluster is not None:
                self._n = getattr(self, "_n", 0) + 1
                return self.cluster.create_database(f"import_{tag}_{self._n}")
            return f"ducklake:{d / 'meta.duckdb'}"
        p = self.work / f"import_{tag}.duckdb"
        for f in (p, p.with_suffix(".duckdb.wal")):
            f.unlink(missing_ok=True)
        shutil.rmtree(self.work / "backups", ignore_errors=True)
        return str(p)


def ensure_store(target: Target, scale: str) -> int:
    """Generate the scale into the target once (kept between runs); returns the first plan's id."""
    from bench.generate import SCALES, build_store, plan_specs
    from kpi.store.store import Store
    specs = plan_specs(SCALES[scale])
    s = Store.open(target.db, data_path=target.env.get("KPI_DATA_PATH"))
    try:
        have = {p.name: p.plan_id for p in s.plans()}
    finally:
        s.close()
    from kpi.rules.plan_names import normalize_plan_name
    if not all(normalize_plan_name(sp.plan_name) in have for sp in specs):
        t0 = time.perf_counter()
        if target.copy_from:
            print(f"moving {target.copy_from} into {target.db} (copy-store) …", flush=True)
            s = Store.open(target.db, data_path=target.env.get("KPI_DATA_PATH"))
            n = s.copy_from_file(target.copy_from)
            s.close()
        else:
            print(f"generating {scale} scale into {target.db} …", flush=True)
            n = build_store(target.db, SCALES[scale])
        print(f"  {n} in {time.perf_counter() - t0:.0f} s", flush=True)
        s = Store.open(target.db, data_path=target.env.get("KPI_DATA_PATH"))
        try:
            have = {p.name: p.plan_id for p in s.plans()}
        finally:
            s.close()
    # the store keeps plan names as kpi.rules.plan_names normalises them (NFKC: （合成） → (合成))
    from kpi.rules.plan_names import normalize_plan_name
    return have[normalize_plan_name(specs[0].plan_name)]


def store_counts(target: Target) -> dict[str, int]:
    from bench.generate import counts
    from kpi.store.store import Store
    s = Store.open(target.db, data_path=target.env.get("KPI_DATA_PATH"))
    try:
        return counts(s)
    finally:
        s.close()


# ---------------------------------------------------------------- 1. AppTest
def _child_pages(db: str, plan_id: int, repeat: int, only: list[str] | None) -> dict:
    """Runs in its own process (the server holds the database while it runs): AppTest timings."""
    os.environ["KPI_DB"] = db
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    def measure(make) -> dict:
        at = make()  # first run: imports, opens the store, fills caches
        if at.exception:
            return {"error": str(at.exception[0].message)[:300]}
        warm = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - t0)
        cold = []
        for _ in range(repeat):
            st.cache_data.clear()
            from ui import frame  # the same module the page runs with (AppTest runs in this process)
            frame.clear_data_caches()  # plans, views and figures are also kept as resources
            t0 = time.perf_counter()
            at.run()
            cold.append(time.perf_counter() - t0)
        if at.exception:
            return {"error": str(at.exception[0].message)[:300]}
        return {"warm": statistics.median(warm), "cold": statistics.median(cold), "elements": elements(at._tree)}

    def elements(node) -> int:
        """What a run sends, in elements (the leaves of the page's tree): Streamlit's cost per run
        grows with it whatever the page computes."""
        children = getattr(node, "children", None) or {}
        return (0 if children else 1) + sum(elements(c) for c in children.values())

    def reference():
        at = AppTest.from_file(str(REFERENCE), default_timeout=600)
        at.run()
        return at

    def page(path: str):
        def make():
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
            at.session_state["plan_id"] = plan_id
            at.run()
            if path != "pages/home.py" and not at.exception:
                at.switch_page(path)
                at.run()
            return at
        return make

    def floor():
        at = AppTest.from_file(str(FRAME_FLOOR), default_timeout=600)
        at.run()
        return at

    out = {"parts": _cold_parts(plan_id, repeat), "reference": measure(reference), "frame_floor": measure(floor)}
    for path, _title in admin_pages():
        if only and path not in only:
            continue
        out[path] = measure(page(path))
        print(f"    {path}: {out[path]}", file=sys.stderr, flush=True)
    return out


def _cold_parts(plan_id: int, repeat: int) -> dict:
    """What a cold page pays before it draws anything: the first plan read from the store
    (Store.load_plan) and graded (kpi.rules.assess.assess_plan, column-wise), median of repeat runs."""
    from kpi.rules.assess import assess_plan
    from kpi.store.store import Store
    store = Store.open(os.environ["KPI_DB"], data_path=os.environ.get("KPI_DATA_PATH"))
    try:
        load, grade = [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            data = store.load_plan(plan_id)
            t1 = time.perf_counter()
            assess_plan(data, store.rule(plan_id), today=TODAY)
            load.append(t1 - t0)
            grade.append(time.perf_counter() - t1)
        return {"load_plan": statistics.median(load), "assess": statistics.median(grade)}
    finally:
        store.close()


def run_pages(target: Target, plan_id: int, repeat: int, only: list[str] | None) -> dict:
    cmd = [PY, str(Path(__file__)), "_pages", target.db, str(plan_id), str(repeat)] + (only or [])
    res = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **target.env}, stdout=subprocess.PIPE, text=True,
                         check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- 2. imports
def _child_import(book: str, db: str) -> None:
    from kpi.intake.pipeline import commit, prepare
    from kpi.store.store import Store
    store = Store.open(db)
    prep = prepare(store, Path(book), today=TODAY)
    if prep.errors:
        raise SystemExit(f"{book}: {prep.errors[:3]}")
    commit(store, [prep], "ベンチマーク")
    store.close()


def _child_read(book: str) -> None:
    from python_calamine import CalamineWorkbook
    wb = CalamineWorkbook.from_path(book)
    for name in wb.sheet_names:
        wb.get_sheet_by_name(name).to_python()


def _child_touch(book: str) -> None:
    """The floor of any per-cell check in Python: calamine's read, then one look at every cell."""
    from python_calamine import CalamineWorkbook
    wb = CalamineWorkbook.from_path(book)
    n = 0
    for name in wb.sheet_names:
        for row in wb.get_sheet_by_name(name).to_python():
            for v in row:
                if v.__class__ is str and v:
                    n += 1
    print(n)


def _wall(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env={**os.environ, **env}, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def run_imports(target: Target, books, repeat: int) -> dict:
    out = {}
    for label, big, one in (("進捗管理シート 300枚", books.progress, books.progress_one),
                            ("標準様式 10万行", books.canonical, books.canonical_one)):
        times: dict[str, list[float]] = {"import_big": [], "import_one": [], "read_big": [], "read_one": [],
                                         "touch_big": [], "touch_one": []}
        for k in range(repeat):
            for name, book in (("big", big), ("one", one)):
                db = target.scratch(f"{name}{k}")
                times[f"import_{name}"].append(_wall([PY, str(Path(__file__)), "_import", str(book), db],
                                                     {**target.env, **target.import_env}))
                times[f"read_{name}"].append(_wall([PY, str(Path(__file__)), "_read", str(book)], {}))
                times[f"touch_{name}"].append(_wall([PY, str(Path(__file__)), "_touch", str(book)], {}))
        med = {k: statistics.median(v) for k, v in times.items()}
        out[label] = {**med, "import_extra": med["import_big"] - med["import_one"],
                      "read_extra": med["read_big"] - med["read_one"],
                      "touch_extra": med["touch_big"] - med["touch_one"]}
        print(f"  import {label}: {out[label]}", flush=True)
    return out


# ------------------------------------------------- 3 + 4. servers and browser
sys.path.insert(0, str(ROOT / "tests"))
from appserver import AppServer as Server  # noqa: E402 - the browser tests' server launcher


def _rendered_js() -> str:
    from browser.conftest import _RENDERED  # the browser tests' notion of "finished drawing"
    return _RENDERED


def _open(browser, url: str, wait_chart: bool) -> float:
    """A fresh tab (new context, new session): seconds from navigation to the first drawn chart,
    or, without wait_chart, until the page has finished running and drawing."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    try:
        pg = ctx.new_page()
        pg.set_default_timeout(180_000)
        t0 = time.perf_counter()
        pg.goto(url)
        if wait_chart:
            pg.wait_for_selector(".js-plotly-plot .main-svg", state="attached")
            return time.perf_counter() - t0
        pg.wait_for_selector('[data-testid="stApp"]')
        for _ in range(2):
            pg.wait_for_timeout(700)
            pg.wait_for_function(_rendered_js(), timeout=180_000, polling=200)
        errors = pg.locator('[data-testid="stException"]').count()
        if errors:
            raise RuntimeError(f"{url}: the page shows an exception")
        return time.perf_counter() - t0
    finally:
        ctx.close()


def _main_thread(browser, url: str) -> dict:
    """The browser's own work for one fresh tab up to the first drawn chart, from chromium's sampling
    profiler (CDP Profiler): milliseconds the page's main thread ran JavaScript, layout and GC
    (everything but idle), and of that the plotly chart bundle's share (loading plotly.js, drawing)."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    try:
        pg = ctx.new_page()
        pg.set_default_timeout(180_000)
        cdp = ctx.new_cdp_session(pg)
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 500})
        cdp.send("Profiler.start")
        t0 = time.perf_counter()
        pg.goto(url)
        pg.wait_for_selector(".js-plotly-plot .main-svg", state="attached")
        wall = time.perf_counter() - t0  # this tab's own first chart (the profiler slows it a little)
        prof = cdp.send("Profiler.stop")["profile"]
    finally:
        ctx.close()
    frames = {n["id"]: n["callFrame"] for n in prof["nodes"]}
    busy = plotly = 0.0
    for sample, us in zip(prof["samples"], prof["timeDeltas"]):
        f = frames[sample]
        if f["functionName"] == "(idle)":
            continue
        busy += us
        if "PlotlyChart" in f["url"]:
            plotly += us
    return {"busy": busy / 1e6, "plotly": plotly / 1e6, "wall": wall}


def run_servers(target: Target, repeat: int) -> dict:
    from playwright.sync_api import sync_playwright
    out: dict = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            ref = Server(REFERENCE, {}, target.work / "reference_server.log")
            try:
                _open(browser, ref.url, wait_chart=False)  # warm
                out["ref_chart"] = statistics.median(_open(browser, ref.url, True) for _ in range(repeat))
                out["ref_main"] = _main_thread(browser, ref.url)
                out["ref_rss"] = ref.peak_rss_mb()
            finally:
                ref.stop()
            app = Server(ROOT / "app.py", {**target.env, "KPI_DB": target.db}, target.work / "app_server.log")
            try:
                out["page_load"] = {}
                for path, _title in admin_pages():  # every page rendered once: warm server, and its peak memory
                    out["page_load"][path] = _open(browser, f"{app.url}/{url_path(path)}", wait_chart=False)
                out["rss"] = app.peak_rss_mb()
                out["chart"] = statistics.median(_open(browser, app.url, True) for _ in range(repeat))
                out["main"] = _main_thread(browser, app.url)
                out["rss"] = app.peak_rss_mb()
            finally:
                app.stop()
        finally:
            browser.close()
    print(f"  servers: {out}", flush=True)
    return out


# -------------------------------------------------------------------- report
def machine() -> str:
    import duckdb
    import streamlit
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    mem = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) / 1024 / 1024
    return (f"{cpu}, {os.cpu_count()} cores, {mem:.1f} GB RAM; Python {platform.python_version()}, "
            f"duckdb {duckdb.__version__}, streamlit {streamlit.__version__}; {datetime.now():%Y-%m-%d %H:%M}")


def _ratio(v: float | None, floor: float | None, limit: float | None) -> str:
    if v is None or not floor:
        return "―"
    r = v / floor
    if limit is None:
        return f"{r:.2f}×"
    return f"{r:.2f}× {'✓' if r <= limit else f'✗ (目標 {limit:g}×, {r / limit:.1f}倍超過)'}"


def table(results: dict[str, dict], scale: str, counts: dict[str, int], quick: bool) -> str:
    """Markdown: one row per measurement; one value and one ratio column per store target."""
    labels = list(results)
    head = "| 計測 | " + " | ".join(f"{lb} | 比（目標）" for lb in labels) + " |"
    sep = "|---|" + "---:|---|" * len(labels)
    rows = [head, sep]
    first = results[labels[0]]

    def row(name: str, cells: list[tuple[str, str]]) -> None:
        rows.append(f"| {name} | " + " | ".join(f"{v} | {r}" for v, r in cells) + " |")

    ms = lambda s: f"{s * 1000:,.0f} ms" if s is not None else "―"  # noqa: E731
    titles = dict(admin_pages())
    def sent(d: dict) -> str:
        return f"、部品 {d['elements']}" if d.get("elements") else ""

    if "pages" in first:
        for kind in ("warm", "cold"):
            shown = sent(first["pages"]["reference"]) if kind == "warm" else ""
            row(f"基準ページ（{kind}{shown}）", [(ms(r["pages"]["reference"].get(kind)), "1.00×") for r in results.values()])
        for kind in ("warm", "cold"):  # the floor of a frame like ours: Streamlit's parts only
            floor = first["pages"].get("frame_floor", {})
            row(f"枠の床 `bench/frame_floor.py`（{kind}{sent(floor) if kind == 'warm' else ''}）",
                [(ms(r["pages"].get("frame_floor", {}).get(kind)),
                  _ratio(r["pages"].get("frame_floor", {}).get(kind), r["pages"]["reference"].get(kind), None))
                 for r in results.values()])
        for part, name in (("load_plan", "計画1件を読む `Store.load_plan`"), ("assess", "計画1件を評価 `assess_plan`")):
            row(f"cold の内訳: {name}",
                [(ms(r["pages"].get("parts", {}).get(part)),
                  _ratio(r["pages"].get("parts", {}).get(part), r["pages"]["reference"].get("cold"), None))
                 for r in results.values()])
        for path in [p for p in first["pages"] if p not in ("reference", "frame_floor", "parts")]:
            for kind in ("warm", "cold"):
                cells = []
                for r in results.values():
                    pg, ref = r["pages"].get(path, {}), r["pages"]["reference"]
                    if "error" in pg:
                        cells.append(("エラー", pg["error"][:60]))
                    else:
                        text = _ratio(pg.get(kind), ref.get(kind), LIMITS[kind])
                        on_file = first["pages"].get(path, {})
                        if r is not first and "error" not in on_file:
                            # a second store (the shared one) is also measured against the file store
                            text += f"; ファイル比 {_ratio(pg.get(kind), on_file.get(kind), LIMITS['shared'])}"
                        cells.append((ms(pg.get(kind)), text))
                shown = sent(first["pages"].get(path, {})) if kind == "warm" else ""
                row(f"{titles.get(path, path)} `{path}`（{kind}{shown}）", cells)
    if "imports" in first:
        for book in first["imports"]:
            row(f"{book}: calamine で読むだけ（増分）",
                [(ms(r["imports"][book]["read_extra"]), "1.00×") for r in results.values()])
            row(f"{book}: 読んで全セルを1回見るだけ（Python の床、増分）",
                [(ms(r["imports"][book].get("touch_extra")),
                  _ratio(r["imports"][book].get("touch_extra"), r["imports"][book]["read_extra"], None))
                 for r in results.values()])
            row(f"{book}: 取込（prepare + commit、増分）",
                [(ms(r["imports"][book]["import_extra"]),
                  _ratio(r["imports"][book]["import_extra"], r["imports"][book]["read_extra"], LIMITS["import"]))
                 for r in results.values()])
    if "servers" in first:
        row("サーバーのピークRSS: 基準ページ", [(f"{r['servers']['ref_rss']:.0f} MB", "―") for r in results.values()])
        row("サーバーのピークRSS: 全ページ表示後",
            [(f"{r['servers']['rss']:.0f} MB",
              _ratio(r["servers"]["rss"], r["servers"]["ref_rss"], LIMITS["rss"]))
             for r in results.values()])
        row("ブラウザ: 基準ページの最初のグラフ", [(ms(r["servers"]["ref_chart"]), "1.00×") for r in results.values()])
        row("ブラウザ: ホームの最初のグラフ",
            [(ms(r["servers"]["chart"]), _ratio(r["servers"]["chart"], r["servers"]["ref_chart"], LIMITS["chart"]))
             for r in results.values()])
        for key, name in (("ref_main", "基準ページ"), ("main", "ホーム")):  # the floor: the browser's own work
            for part, what in (("busy", "描くまでにブラウザが働いた時間（JavaScript・レイアウト・GC）"),
                               ("plotly", "うち plotly（plotly.js の読み込みと描画）")):
                row(f"ブラウザの床: {name}、{what}",
                    [(ms(r["servers"].get(key, {}).get(part)),
                      _ratio(r["servers"].get(key, {}).get(part), r["servers"].get("ref_main", {}).get("busy"), None))
                     for r in results.values()])
    data = ", ".join(f"{k} {v:,}" for k, v in counts.items())
    note = "（--quick: 回数を減らした確認用）" if quick else ""
    return (f"規模: **{scale}**{note} — {data}\n\n"
            f"計測機: {machine()}\n\n" + "\n".join(rows) + "\n")


def write_readme(text: str, scale: str) -> None:
    start, end = f"<!-- bench:table {scale} -->", f"<!-- /bench:table {scale} -->"
    body = README.read_text(encoding="utf-8") if README.exists() else "# 計測\n"
    block = f"{start}\n{text}{end}"
    if start in body and end in body:
        body = body[:body.index(start)] + block + body[body.index(end) + len(end):]
    else:
        body = body.rstrip() + f"\n\n### 結果（{scale}）\n\n{block}\n"
    README.write_text(body, encoding="utf-8")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):  # the measured child processes
        cmd, args = sys.argv[1], sys.argv[2:]
        if cmd == "_pages":
            print(json.dumps(_child_pages(args[0], int(args[1]), int(args[2]), args[3:] or None)))
        elif cmd == "_import":
            _child_import(*args)
        elif cmd == "_read":
            _child_read(*args)
        elif cmd == "_touch":
            _child_touch(*args)
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", help="store to measure (file path or 'ducklake:…'; default: a file under --work, "
                                 "generated on first use)")
    ap.add_argument("--quick", action="store_true", help="municipal scale, fewer repeats")
    ap.add_argument("--work", default="/tmp/kpi-bench", help="folder for generated stores, books and logs")
    ap.add_argument("--repeat", type=int, help="AppTest runs per page and mode (default 5, quick 3)")
    ap.add_argument("--import-repeat", type=int, help="subprocess runs per book (default 3, quick 1)")
    ap.add_argument("--browser-repeat", type=int, help="fresh tabs per chart timing (default 5, quick 3)")
    ap.add_argument("--only", nargs="*", choices=("pages", "imports", "servers"), help="parts to run (default all)")
    ap.add_argument("--page", action="append", help="only this page file (repeatable), e.g. pages/home.py")
    ap.add_argument("--no-readme", action="store_true", help="print only, do not update bench/README.md")
    ap.add_argument("--shared", action="store_true",
                    help="also measure the shared store (DuckLake on a throwaway PostgreSQL, Debian's postgresql)")
    a = ap.parse_args()
    scale = "municipal" if a.quick else "prefecture"
    repeat = a.repeat or (3 if a.quick else 5)
    import_repeat = a.import_repeat or (1 if a.quick else 3)
    browser_repeat = a.browser_repeat or (3 if a.quick else 5)
    parts = a.only or ["pages", "imports", "servers"]
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)

    targets = [Target("DuckDB ファイル" if not (a.db or "").startswith("ducklake:") else "DuckLake",
                      a.db or str(work / f"{scale}.duckdb"), work / "file")]
    cluster = None
    if a.shared:
        # The shared store beside the file (issue 10): a throwaway PostgreSQL server, the same
        # data moved in with copy-store, every part measured the same way.
        sys.path.insert(0, str(ROOT / "tests"))
        from pgcluster import PgCluster
        cluster = PgCluster().init().start()
        shared_files = work / "shared" / "lake_files"
        shutil.rmtree(shared_files, ignore_errors=True)
        targets.append(Target("共有 DuckLake+PostgreSQL", cluster.create_database("kpi"), work / "shared",
                              env={"KPI_DATA_PATH": str(shared_files)}, cluster=cluster,
                              copy_from=targets[0].db))
    books = None
    if "imports" in parts:
        from bench.generate import books as make_books
        bdir = work / "books"
        names = ("progress_300.xlsx", "progress_1.xlsx", "canonical_100000.xlsx", "canonical_1.xlsx")
        if all((bdir / n).exists() for n in names):
            from bench.generate import Books
            books = Books(*(bdir / n for n in names))
        else:
            print("writing the big workbooks …", flush=True)
            books = make_books(bdir)

    # A partial run (--only) updates its parts of the last full run's results in the same --work folder.
    saved = work / f"results_{scale}.json"
    results: dict[str, dict] = json.loads(saved.read_text()) if a.only and saved.exists() else {}
    counts: dict[str, int] = {}
    try:
        for target in targets:
            target.work.mkdir(parents=True, exist_ok=True)
            plan_id = ensure_store(target, scale)
            counts = store_counts(target)
            r: dict = results.get(target.label, {})
            print(f"[{target.label}] {target.db}: {counts}", flush=True)
            if "pages" in parts:
                print("  pages (AppTest) …", flush=True)
                r["pages"] = run_pages(target, plan_id, repeat, a.page)
            if "imports" in parts:
                r["imports"] = run_imports(target, books, import_repeat)
            if "servers" in parts:
                r["servers"] = run_servers(target, browser_repeat)
            results[target.label] = r
    finally:
        if cluster is not None:
            cluster.remove()
    saved.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    text = table(results, scale, counts, a.quick)
    print()
    print(text)
    complete = all(k in r for r in results.values() for k in ("pages", "imports", "servers"))
    if not a.no_readme and complete and not a.page:
        write_readme(text, scale)
        print(f"→ {README.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
