"""How long each dashboard page's data takes on a large plan, as ratios to one assessment.

Not part of the test run. Usage:
    .venv/bin/python bench/bench_pages.py [--items 300] [--years 8] [--repeat 5]

Builds the synthetic plan (kpi.intake.synthetic) in a temporary database, then times, for the
median of --repeat runs: loading the plan, one assess_plan, and every page's view function.
A page's view should stay within a few assessments (the home page needs two: this year and
last year); the ratios are what to compare between runs, machines being noisy.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TODAY = date(2026, 11, 23)


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=300)
    ap.add_argument("--years", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    from kpi.intake.synthetic import SyntheticSpec, build_synthetic
    from kpi.rules.assess import assess_plan
    from kpi.rules.grading import PRESETS
    from kpi.store.store import Store
    from kpi.views.departments import departments_view
    from kpi.views.extras import load_extras
    from kpi.views.hierarchy import hierarchy_view
    from kpi.views.home import home_view
    from kpi.views.item import item_detail_view
    from kpi.views.lagging import lagging_view
    from kpi.views.plan import plan_view
    from kpi.views.qualitative import qualitative_view
    from kpi.rules.rule_form import form_of
    from kpi.views.rule_settings import preview_rule_change

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "bench.duckdb")
        t0 = time.perf_counter()
        pid = build_synthetic(store, SyntheticSpec(items=args.items, years=args.years))
        build = time.perf_counter() - t0
        rule = store.rule(pid)
        data = store.load_plan(pid)
        extras = load_extras(store, pid)
        n_values = store.row_counts(["indicator_values"])["indicator_values"]
        print(f"synthetic plan: {args.items} items × 3 indicators × {args.years} years = {n_values} values "
              f"(built through Store.apply in {build:.2f}s)")
        base = median_time(lambda: assess_plan(data, rule, today=TODAY), args.repeat)
        cases = {
            "load_plan (database → PlanData)": lambda: store.load_plan(pid),
            "load_extras (schedules, narratives…)": lambda: load_extras(store, pid),
            "home_view": lambda: home_view(data, rule, today=TODAY),
            "hierarchy_view": lambda: hierarchy_view(data, rule, today=TODAY),
            "item_detail_view (one item)": lambda: item_detail_view(data, extras, rule, "150", today=TODAY),
            "lagging_view": lambda: lagging_view(data, rule, today=TODAY),
            "departments_view": lambda: departments_view(data, rule, today=TODAY),
            "qualitative_view (search '防災')": lambda: qualitative_view(data, extras, query="防災"),
            "plan_view": lambda: plan_view(data, extras, rule),
            "preview_rule_change (S–D scheme)": lambda: preview_rule_change(
                data, rule, form_of(PRESETS["sabcd"]), today=TODAY),
        }
        print(f"{'assess_plan (the unit)':40s} {base * 1000:8.1f} ms   1.00×")
        for name, fn in cases.items():
            t = median_time(fn, args.repeat)
            print(f"{name:40s} {t * 1000:8.1f} ms {t / base:6.2f}×")
        store.close()


if __name__ == "__main__":
    main()
