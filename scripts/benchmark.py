"""Speed at prefecture scale, measured as ratios within one run (machines are noisy).

Not part of the test run. Usage:
    .venv/bin/python scripts/benchmark.py [--items 2000] [--years 8] [--out /tmp/kpi-bench]

It writes a canonical-template workbook with ITEMS items × 3 indicators × YEARS years
(a whole prefecture's municipalities reporting into one plan), then times:
  1. reading it with python-calamine (what the importer uses) vs openpyxl;
  2. prepare + commit of the first import, and the re-import that changes nothing;
  3. the same import into a DuckLake catalog (the future shared store) vs the DuckDB file;
  4. building the home page data (kpi.views.overview) for the plan.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t0, out


def write_workbook(path: Path, items: int, years: int, seed: int = 7) -> int:
    from openpyxl import Workbook

    from kpi.importers.canonical import COLUMNS
    rnd = random.Random(seed)
    wb = Workbook(write_only=True)
    plan = wb.create_sheet("計画")
    for row in (["項目", "内容"], ["計画名", "県内市町村 行政改革プラン（ベンチマーク）"], ["自治体", "ベンチ県"],
                ["開始年度", "令和元年度"], ["終了年度", f"{2019 + years - 1}年度"]):
        plan.append(row)
    sheet = wb.create_sheet("取組")
    sheet.append(["体系1", "体系2"] + [a[0] for a in COLUMNS["取組"].values()])
    for i in range(1, items + 1):
        sheet.append([f"重点項目{i % 7 + 1}", f"施策{i % 40 + 1}", i, f"取組{i}", f"課{i % 60 + 1}●"] + [None] * 5)
    ind = wb.create_sheet("指標")
    ind.append([a[0] for a in COLUMNS["指標"].values()])
    val = wb.create_sheet("年度値")
    val.append([a[0] for a in COLUMNS["年度値"].values()])
    rows = 0
    for i in range(1, items + 1):
        for k in range(3):
            base = rnd.randint(10, 5000)
            ind.append([i, f"指標{k + 1}", "件", None, None, "H30", base, None, None, None])
            for y in range(years):
                target = base * (1 + 0.05 * (y + 1))
                actual = target * rnd.uniform(0.7, 1.2)
                val.append([i, f"指標{k + 1}", 2019 + y, round(target), round(actual), None])
                rows += 1
    wb.save(path)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=2000)
    ap.add_argument("--years", type=int, default=6)
    ap.add_argument("--out", default="/tmp/kpi-bench")
    a = ap.parse_args()
    out = Path(a.out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    book = out / "bench.xlsx"
    t_write, rows = timed(write_workbook, book, a.items, a.years)
    print(f"workbook: {a.items} items, {a.items * 3} indicators, {rows} value rows, "
          f"{book.stat().st_size / 1e6:.1f} MB (written in {t_write:.1f} s)")

    import openpyxl

    from kpi.importers.workbook import read_workbook
    t_cal, _ = timed(read_workbook, book)
    t_opx, _ = timed(lambda: [list(ws.iter_rows(values_only=True)) for ws in openpyxl.load_workbook(book).worksheets])
    print(f"1. read: calamine {t_cal:.2f} s, openpyxl {t_opx:.2f} s → openpyxl takes {t_opx / t_cal:.1f}× as long")

    from kpi.importing import commit, prepare
    from kpi.store import Store
    today = date(2026, 11, 23)
    store = Store.open(out / "kpi.duckdb")
    t_prep, prep = timed(prepare, store, book, today=today)
    assert not prep.errors, prep.errors[:5]
    t_commit, _ = timed(commit, store, [prep], "ベンチマーク")
    t_again, prep2 = timed(prepare, store, book, today=today)
    assert prep2.changes.is_empty
    print(f"2. first import: prepare {t_prep:.2f} s + commit {t_commit:.2f} s; "
          f"re-import check {t_again:.2f} s ({t_again / (t_prep + t_commit):.2f}× the first import)")

    import os
    os.environ["KPI_DUCKLAKE_DATA"] = str(out / "lake_files")
    lake = Store.open(f"ducklake:{out / 'lake_meta.duckdb'}")
    t_lprep, lprep = timed(prepare, lake, book, today=today)
    t_lcommit, _ = timed(commit, lake, [lprep], "ベンチマーク")
    print(f"3. DuckLake (local catalog): {t_lprep + t_lcommit:.2f} s vs DuckDB file {t_prep + t_commit:.2f} s "
          f"→ {(t_lprep + t_lcommit) / (t_prep + t_commit):.2f}×")

    from kpi.views import overview
    plan = store.plans()[0]
    t_load, data = timed(store.load_plan, plan.plan_id)
    t_view, ov = timed(overview, data, store.rule(plan.plan_id), today=today)
    print(f"4. home page data: load {t_load:.2f} s + overview {t_view:.2f} s "
          f"({len(ov.lagging)} lagging of {len(data.items)} items); per item {1000 * (t_load + t_view) / len(data.items):.2f} ms")
    store.close()
    lake.close()


if __name__ == "__main__":
    main()
