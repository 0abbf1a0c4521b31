"""Record the grades the version-1 rule model (before issue 16) gives on the demo plans, so that
tests/test_grading_scheme.py can check that old rules still grade exactly the same.

Run against the code as it was before the extended rule model, from that code's root:
    git archive <commit-before-issue-16> | tar -x -C /tmp/old
    cd /tmp/old && <project>/.venv/bin/python <project>/tests/data/make_grades_v1.py <project>/tests/data/grades_v1.json
The output records, per ひな形 (its stored JSON as version 1 wrote it) and demo plan, every item-year's
automatic grade with its reason, each indicator-year's grade (on the demo plans and a small synthetic one), the lagging items and the grade counts.
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import date
from pathlib import Path

TODAY = date(2026, 11, 23)


def snapshot() -> dict:
    from kpi.intake.demo import load_demo
    from kpi.intake.synthetic import SyntheticSpec, build_synthetic
    from kpi.rules.assess import assess_plan
    from kpi.rules.grading import PRESETS
    from kpi.store.store import Store

    with tempfile.TemporaryDirectory() as d:
        store = Store.open(Path(d) / "demo.duckdb")
        load_demo(store)
        # Many graded indicators, lower-is-better ones among them, in a few seconds.
        build_synthetic(store, SyntheticSpec(items=30, years=6, plan_name="合成データ（30取組）"))
        plans = [store.load_plan(p.plan_id) for p in store.plans()]
        store.close()
    out: dict = {"rules": {k: r.to_json() for k, r in PRESETS.items()}, "plans": {}}
    for data in plans:
        per_rule = {}
        for key, rule in PRESETS.items():
            res = assess_plan(data, rule, today=TODAY)
            per_rule[key] = {
                "as_of": res.as_of_fy,
                "items": {ir.item.item_no: [[y.fiscal_year, y.auto.label, y.auto.reason] for y in ir.years]
                          for ir in res.items},
                "indicators": {ir.item.item_no: [[r.indicator, r.fiscal_year, r.grade.label, r.grade.reason]
                                                 for r in ir.indicator_years] for ir in res.items},
                "lagging": sorted(ir.item.item_no for ir in res.lagging),
                "counts": res.grade_counts(),
            }
        out["plans"][data.plan.name] = per_rule
    return out


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(json.dumps(snapshot(), ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
