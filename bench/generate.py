"""Synthetic data at municipal and prefecture scale, and big workbooks in the published layouts.

Deterministic: every plan's rows come from kpi.intake.synthetic with a seed derived from its
position, and the workbooks from fixed seeds, so two runs write the same data (only
upload timestamps differ). Stores are filled through the one write path (Store.apply),
one transaction per plan, as a prefecture's cities would upload them.

    .venv/bin/python bench/generate.py store --scale municipal|prefecture --db TARGET
    .venv/bin/python bench/generate.py books --out DIR

Scales:
  municipal   1 plan, 150 items, 400 indicators, 10 fiscal years (≈ 7,600 yearly values, 3,000 evaluations)
  prefecture  60 municipalities × 3 plans, 60 items and 300 indicators each, 10 fiscal years
              (≈ 1,025,000 yearly values, 216,000 evaluations, 10,800 items)
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kpi.intake.synthetic import SyntheticSpec, synthetic_batch  # noqa: E402
from kpi.store.journal import Batch  # noqa: E402

SEED = 20261123
START_FY = 2016
YEARS = 10
PLAN_KINDS = ("行政改革プラン", "まち・ひと・しごと創生総合戦略", "協働推進計画")
GENERATOR_USER = "ベンチマーク生成"


@dataclass(frozen=True)
class Scale:
    name: str
    municipalities: int
    plans_per_municipality: int
    items: int
    indicators: int  # per plan
    years: int = YEARS


SCALES: dict[str, Scale] = {
    "municipal": Scale("municipal", 1, 1, 150, 400),
    "prefecture": Scale("prefecture", 60, 3, 60, 300),
    # For the test of determinism and quick trials only.
    "tiny": Scale("tiny", 2, 2, 6, 10, years=4),
}


def municipality_name(k: int) -> str:
    return f"合成{k + 1:02d}市"


def plan_specs(scale: Scale, seed: int = SEED) -> list[SyntheticSpec]:
    specs = []
    for m in range(scale.municipalities):
        for p in range(scale.plans_per_municipality):
            city = municipality_name(m)
            kind = PLAN_KINDS[p % len(PLAN_KINDS)]
            name = (f"{city}{kind}（合成）" if scale.municipalities > 1 or scale.plans_per_municipality > 1
                    else "合成市総合戦略（市規模の合成データ）")
            specs.append(SyntheticSpec(items=scale.items, indicators=scale.indicators, years=scale.years,
                                       start_fy=START_FY, seed=seed + 1000 * m + p, plan_name=name,
                                       municipality=city, kind=kind))
    return specs


def plan_batch(spec: SyntheticSpec) -> Batch:
    """kpi.intake.synthetic's plan plus a committee's opinions on some items (the 委員意見 page reads them)."""
    b = synthetic_batch(spec)
    rnd = random.Random(spec.seed * 7 + 1)
    meetings = [(f"{fy}年度 第{k}回推進委員会", date(fy + 1, 5 + 3 * k, 20)) for fy in
                range(spec.start_fy, spec.start_fy + spec.years - 1) for k in (1, 2)]
    for i in range(0, spec.items, 5):
        meeting, held = meetings[rnd.randrange(len(meetings))]
        answered = rnd.random() < 0.7
        b.add("committee_opinions", item_no=str(i + 1), meeting=meeting, seq=1, meeting_date=held,
              opinion=f"取組{i + 1}の成果指標の設定について、効果が分かる指標を検討されたい（合成）。",
              response="次年度から指標を見直す（合成）。" if answered else None,
              response_department="企画政策課" if answered else None)
    return b


def build_store(target: str, scale: Scale, *, progress: bool = True) -> dict[str, int]:
    """Write every plan of the scale into the store at target (a file path or 'ducklake:…')."""
    from kpi.store.store import Store, UploadMeta
    store = Store.open(target)
    try:
        t0 = time.perf_counter()
        specs = plan_specs(scale)
        for n, spec in enumerate(specs, 1):
            res = store.apply(plan_batch(spec), UploadMeta(user=GENERATOR_USER, kind="demo",
                                                            note=f"合成データ（{scale.name}）"))
            assert res.plan_id is not None or res.changes.is_empty
            if progress and (n % 20 == 0 or n == len(specs)):
                print(f"  {n}/{len(specs)} plans written ({time.perf_counter() - t0:.0f} s)", flush=True)
        return counts(store)
    finally:
        store.close()


def counts(store) -> dict[str, int]:
    tables = ("plans", "items", "indicators", "indicator_values", "evaluations", "committee_opinions", "change_log")
    return store.row_counts(tables)


# ------------------------------------------------------------------ workbooks
PROGRESS_SAMPLE = ROOT / "data" / "samples" / "niigata_kaikaku_no28.xlsx"


def progress_book(path: Path, sheets: int = 300, seed: int = SEED) -> Path:
    """A 進捗管理シート book as Niigata publishes it: the sample's two sheets (H27–28, H29–30) copied
    per item with the item's own No., title, department and numbers; sheets/2 items."""
    import openpyxl
    rnd = random.Random(seed)
    wb = openpyxl.load_workbook(PROGRESS_SAMPLE)
    originals = list(wb.worksheets)
    departments = ("市民協働課●", "財政課●", "企画政策課● 中央公民館", "産業政策課●", "こども政策課●")
    for k in range(sheets):
        no = 100 + k // 2
        src = originals[k % 2]
        ws = wb.copy_worksheet(src)
        ws.title = f"No.{no}({'H27-28' if k % 2 == 0 else 'H29-30'})"
        ws["H3"] = str(no)
        ws["H4"] = departments[no % len(departments)]
        ws["B5"] = f"合成の取組 No.{no}（ベンチマーク用）"
        # Plan and actual of both indicators in both years: rounded, as published ('1,090').
        for row in (13, 14):
            base = rnd.randrange(20, 3000)
            for c, col in enumerate("DEFG"):
                v = base * (1 + 0.1 * (c // 2 + 1)) * (rnd.uniform(0.8, 1.15) if c % 2 else 1)
                ws[f"{col}{row}"] = f"{round(v):,}"
        ws["E20"] = rnd.choice("ABC")
        ws["H20"] = rnd.choice("ABC")
    for ws in originals:
        wb.remove(ws)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def canonical_book(path: Path, rows: int = 100_000, years: int = YEARS, seed: int = SEED) -> Path:
    """Our template (kpi/intake/layouts/canonical.py) with `rows` rows in 年度値: items × 3 indicators × years."""
    from openpyxl import Workbook

    from kpi.intake.layouts.canonical import COLUMNS
    rnd = random.Random(seed)
    per_item = 3 * years
    items = max(1, -(-rows // per_item))
    wb = Workbook(write_only=True)
    plan = wb.create_sheet("計画")
    for r in (["項目", "内容"], ["計画名", "県内市町村 行政改革プラン（ベンチマーク）"], ["自治体", "ベンチ県"],
              ["開始年度", f"{START_FY}年度"], ["終了年度", f"{START_FY + years - 1}年度"]):
        plan.append(r)
    sheet = wb.create_sheet("取組")
    sheet.append(["体系1", "体系2"] + [a[0] for a in COLUMNS["取組"].values()])
    for i in range(1, items + 1):
        sheet.append([f"重点項目{i % 7 + 1}", f"施策{i % 40 + 1}", i, f"取組{i}", f"課{i % 60 + 1}●"] + [None] * 5)
    ind = wb.create_sheet("指標")
    ind.append([a[0] for a in COLUMNS["指標"].values()])
    val = wb.create_sheet("年度値")
    val.append([a[0] for a in COLUMNS["年度値"].values()])
    written = 0
    for i in range(1, items + 1):
        for k in range(3):
            if written >= rows:
                break
            base = rnd.randint(10, 5000)
            ind.append([i, f"指標{k + 1}", "件", None, None, f"{START_FY - 1}", base, None, None, None])
            for y in range(years):
                if written >= rows:
                    break
                target = base * (1 + 0.05 * (y + 1))
                actual = target * rnd.uniform(0.7, 1.2)
                val.append([i, f"指標{k + 1}", START_FY + y, round(target), round(actual), None])
                written += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


@dataclass(frozen=True)
class Books:
    progress: Path
    progress_one: Path
    canonical: Path
    canonical_one: Path


def books(out: Path, *, sheets: int = 300, rows: int = 100_000) -> Books:
    """The big books and their 1-sheet / 1-row twins (the baseline that cancels process start-up)."""
    out.mkdir(parents=True, exist_ok=True)
    return Books(progress_book(out / f"progress_{sheets}.xlsx", sheets), progress_book(out / "progress_1.xlsx", 1),
                 canonical_book(out / f"canonical_{rows}.xlsx", rows), canonical_book(out / "canonical_1.xlsx", 1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("store", help="fill a store with synthetic plans")
    s.add_argument("--scale", choices=sorted(SCALES), default="municipal")
    s.add_argument("--db", required=True, help="a DuckDB file path or a 'ducklake:…' target")
    w = sub.add_parser("books", help="write the big workbooks")
    w.add_argument("--out", default="/tmp/kpi-bench/books")
    w.add_argument("--sheets", type=int, default=300)
    w.add_argument("--rows", type=int, default=100_000)
    a = ap.parse_args()
    if a.cmd == "store":
        t0 = time.perf_counter()
        n = build_store(a.db, SCALES[a.scale])
        print(f"{a.scale}: {n} in {time.perf_counter() - t0:.0f} s → {a.db}")
    else:
        b = books(Path(a.out), sheets=a.sheets, rows=a.rows)
        for p in (b.progress, b.progress_one, b.canonical, b.canonical_one):
            print(f"{p} ({p.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()

