"""A bounded load test on loopback: concurrent viewers on one server with the embedded file, and on
two servers sharing one store (DuckLake on a throwaway PostgreSQL), as ratios to one viewer alone.

Not part of the test run. One command:

    .venv/bin/python bench/load_test.py [--sessions 8] [--rounds 3] [--work /tmp/kpi-load]

Data: the municipal scale of bench/generate.py written to a DuckDB file, then moved whole into
a new shared store with `python -m kpi copy-store` (the README's migration path). Each viewer is
a fresh chromium tab (its own Streamlit session) that opens the home page; the time is from
navigation to the first drawn plotly chart. "alone" is one tab at a time (median of --rounds);
"together" is --sessions tabs started at the same moment, spread over the servers as a sticky
proxy would (round robin), for --rounds rounds. Everything stays on 127.0.0.1 and is bounded:
at most --sessions tabs at once, each with a timeout. The result goes into bench/README.md
between the bench:load markers, with the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bench.benchmark import CHROMIUM, CHROMIUM_ARGS, README, Server, machine  # noqa: E402

START, END = "<!-- bench:load -->", "<!-- /bench:load -->"


async def first_chart(browser, url: str, timeout_s: float) -> float | None:
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    try:
        page = await ctx.new_page()
        t0 = time.perf_counter()
        await page.goto(url, timeout=timeout_s * 1000)
        await page.wait_for_selector(".js-plotly-plot .main-svg", state="attached", timeout=timeout_s * 1000)
        if await page.locator('[data-testid="stException"]').count():
            return None
        return time.perf_counter() - t0
    except Exception:  # noqa: BLE001 - a timed-out or failed viewer is counted, not raised
        return None
    finally:
        await ctx.close()


async def measure(urls: list[str], sessions: int, rounds: int, timeout_s: float) -> dict:
    from playwright.async_api import async_playwright
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for url in urls:  # warm every server (first run imports, caches the plan)
                await first_chart(browser, url, timeout_s)
            alone = [await first_chart(browser, urls[i % len(urls)], timeout_s) for i in range(rounds)]
            together: list[float | None] = []
            walls = []
            for _ in range(rounds):
                t0 = time.perf_counter()
                together += await asyncio.gather(*(first_chart(browser, urls[i % len(urls)], timeout_s)
                                                   for i in range(sessions)))
                walls.append(time.perf_counter() - t0)
        finally:
            await browser.close()
    ok_alone = [t for t in alone if t is not None]
    ok = [t for t in together if t is not None]
    return {"alone": statistics.median(ok_alone) if ok_alone else None,
            "median": statistics.median(ok) if ok else None, "max": max(ok) if ok else None,
            "failed": len(together) - len(ok) + len(alone) - len(ok_alone), "views": len(together),
            "wall": statistics.median(walls)}


def prepare_data(work: Path) -> Path:
    from bench.generate import SCALES, build_store
    db = work / "municipal.duckdb"
    if not db.exists():
        print("generating the municipal scale …", flush=True)
        build_store(str(db), SCALES["municipal"])
    return db


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=8, help="viewers at the same moment (bounded: at most 16)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds before a viewer counts as failed")
    ap.add_argument("--work", default="/tmp/kpi-load")
    ap.add_argument("--no-readme", action="store_true")
    a = ap.parse_args()
    sessions = max(1, min(a.sessions, 16))
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    source = prepare_data(work)

    from pgcluster import PgCluster
    cluster = PgCluster().init().start()
    results: dict[str, dict] = {}
    servers: list[Server] = []
    try:
        target = cluster.create_database("kpi")
        env = {"KPI_DATA_PATH": str(work / "lake_files"), "KPI_BACKUP": "off"}
        subprocess.run([sys.executable, "-m", "kpi", "copy-store", str(source), "--to", target], cwd=ROOT,
                       env={**os.environ, **env}, check=True, capture_output=True, timeout=600)
        file_copy = work / "file_server.duckdb"
        file_copy.write_bytes(source.read_bytes())
        configs = [("DuckDB ファイル・サーバー1台", [{"KPI_DB": str(file_copy), "KPI_BACKUP": "off"}]),
                   ("共有（DuckLake + PostgreSQL）・サーバー2台", [{**env, "KPI_DB": target}] * 2)]
        for label, envs in configs:
            servers = [Server(ROOT / "app.py", e, work / f"server_{i}.log") for i, e in enumerate(envs)]
            try:
                print(f"[{label}] {sessions} viewers × {a.rounds} rounds …", flush=True)
                results[label] = asyncio.run(measure([s.url for s in servers], sessions, a.rounds, a.timeout))
                results[label]["rss"] = max(s.peak_rss_mb() for s in servers)
                print(f"  {results[label]}", flush=True)
            finally:
                for s in servers:
                    s.stop()
                servers = []
    finally:
        for s in servers:
            s.stop()
        cluster.remove()

    rows = ["| 構成 | 1人だけ（中央値） | 同時 " + str(sessions) + " 人（中央値 / 最大） | 比（同時の中央値 ÷ 1人） "
            "| 1回分の全員が表示し終わるまで | 失敗 | サーバーのメモリ（最大） |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for label, r in results.items():
        ratio = f"{r['median'] / r['alone']:.2f}×" if r["median"] and r["alone"] else "—"
        rows.append(f"| {label} | {r['alone']:.2f} s | {r['median']:.2f} s / {r['max']:.2f} s | {ratio} "
                    f"| {r['wall']:.2f} s | {r['failed']} / {r['views'] + a.rounds} | {r['rss']:.0f} MB |")
    text = (f"同時閲覧の負荷試験（ループバックのみ。`bench/load_test.py --sessions {sessions} --rounds {a.rounds}`、"
            f"市規模のデータ、ホーム画面の最初のグラフまで）\n\n計測機: {machine()}\n\n" + "\n".join(rows) + "\n")
    print(text)
    if not a.no_readme:
        body = README.read_text(encoding="utf-8")
        block = f"{START}\n{text}{END}"
        if START in body and END in body:
            body = body[:body.index(START)] + block + body[body.index(END) + len(END):]
        else:
            body = body.rstrip() + f"\n\n## 共有データベースでの同時閲覧（issue 10）\n\n{block}\n"
        README.write_text(body, encoding="utf-8")
        print(f"→ {README.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
