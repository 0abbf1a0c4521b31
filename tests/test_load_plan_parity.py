"""load_plan builds the plan in one pass over its values (issue 17, cold pages): it must give the same
PlanData as the row-by-row build it replaced, kept here as the reference, on the demo plans, on the
large synthetic plan, and on a plan with stray rows (a note without a value, a value no indicator
has, an unbounded value)."""

from __future__ import annotations

import json
import math
import shutil
from typing import Any

from kpi.rules.bounds import MAX_ABS_NUMBER
from kpi.rules.model import Department, Evaluation, Indicator, Item, PlanData, YearValue
from kpi.store.store import Store, natural_key
from tests.helpers import sql


def reference_load_plan(store: Store, plan_id: int) -> PlanData:
    """The build of load_plan before issue 17's rewrite: a dict per (item, indicator, year)."""
    info = store.plan(plan_id)
    p = [plan_id]
    nodes = sql(store, "SELECT path FROM nodes WHERE plan_id = ? ORDER BY depth, sort, path", p)
    items = sql(store, "SELECT item_no, title, node_path, current_issues, purpose, content, effect, qualitative_target, "
                       "sort FROM items WHERE plan_id = ?", p)
    depts = sql(store, "SELECT item_no, department, is_main, role FROM item_departments WHERE plan_id = ? "
                       "ORDER BY item_no, sort", p)
    inds = sql(store, "SELECT item_no, indicator, unit, direction, direction_source, cumulative, baseline, baseline_fy, "
                      "baseline_estimated, final_target, final_target_fy, final_target_text, sort, indicator_kind, "
                      "qualitative FROM indicators WHERE plan_id = ? ORDER BY item_no, sort", p)
    vals = sql(store, "SELECT item_no, indicator, fiscal_year, kind, value, is_estimate, raw_text, text_value "
                      "FROM indicator_values WHERE plan_id = ?", p)
    notes = sql(store, "SELECT item_no, indicator, fiscal_year, note FROM value_notes WHERE plan_id = ?", p)
    evals = sql(store, "SELECT item_no, fiscal_year, stage, grade, status_text, issues_text, next_text "
                       "FROM evaluations WHERE plan_id = ? ORDER BY fiscal_year", p)
    stats = sql(store, "SELECT item_no, fiscal_year, status, note FROM item_status WHERE plan_id = ? "
                       "ORDER BY fiscal_year", p)
    notices: list[str] = []

    def number(v: Any, what: str) -> float | None:
        if v is None or (isinstance(v, (int, float)) and math.isfinite(v) and abs(v) < MAX_ABS_NUMBER):
            return v
        if len(notices) < 20:
            notices.append(f"{what}に保存されている値（{v:g}）は扱える数値ではないため、空欄として扱います")
        return None

    def where(item_no: str, ind: str, fy: int | None = None) -> str:
        no = item_no if len(item_no) <= 20 else f"{item_no[:20]}…"
        return f"No.{no}「{ind}」" + (f"{fy}年度の" if fy is not None else "の")

    vals = [(i, n, fy, k, number(v, where(i, n, fy) + ("計画" if k == "target" else "実績")), e, raw, words)
            for i, n, fy, k, v, e, raw, words in vals]
    inds = [(*r[:6], number(r[6], where(r[0], r[1]) + "基準値"), *r[7:9],
             number(r[9], where(r[0], r[1]) + "最終目標"), *r[10:]) for r in inds]
    by_item_depts: dict[str, list[Department]] = {}
    for item_no, dept, is_main, role in depts:
        by_item_depts.setdefault(item_no, []).append(Department(dept, bool(is_main), role or "担当"))
    values: dict[tuple[str, str], dict[int, dict[str, Any]]] = {}
    for item_no, ind, fy, kind, value, est, raw, words in vals:
        values.setdefault((item_no, ind), {}).setdefault(fy, {})[kind] = (value, bool(est), raw, words)
    for item_no, ind, fy, note in notes:
        values.setdefault((item_no, ind), {}).setdefault(fy, {})["note"] = note
    by_item_inds: dict[str, list[Indicator]] = {}
    for r in inds:
        item_no, name = r[0], r[1]
        years = []
        for fy, kinds in sorted(values.get((item_no, name), {}).items()):
            t = kinds.get("target", (None, False, None, None))
            a = kinds.get("actual", (None, False, None, None))
            years.append(YearValue(fy, t[0], a[0], t[1], a[1], t[2], a[2], kinds.get("note"), t[3], a[3]))
        by_item_inds.setdefault(item_no, []).append(Indicator(
            name=name, unit=r[2] or "", direction=r[3] or "higher", direction_source=r[4] or "default",
            cumulative=bool(r[5]), baseline=r[6], baseline_fy=r[7], baseline_estimated=bool(r[8]),
            final_target=r[9], final_target_fy=r[10], final_target_text=r[11], years=tuple(years),
            sort=r[12] or 0, kind=r[13] or "", qualitative=bool(r[14])))
    by_item_evals: dict[str, list[Evaluation]] = {}
    for item_no, fy, stage, grade, st, iss, nxt in evals:
        by_item_evals.setdefault(item_no, []).append(Evaluation(fy, stage, grade, st, iss, nxt))
    by_item_status: dict[str, list[tuple]] = {}
    for item_no, fy, status, note in stats:
        by_item_status.setdefault(item_no, []).append((fy, status, note))
    out = [Item(item_no=r[0], title=r[1] or "", node_path=tuple(json.loads(r[2])) if r[2] else (),
                departments=tuple(by_item_depts.get(r[0], ())), current_issues=r[3], purpose=r[4], content=r[5],
                effect=r[6], qualitative_target=r[7], indicators=tuple(by_item_inds.get(r[0], ())),
                evaluations=tuple(by_item_evals.get(r[0], ())), statuses=tuple(by_item_status.get(r[0], ())),
                sort=r[8] or 0) for r in items]
    out.sort(key=lambda it: (it.sort, natural_key(it.item_no)))
    return PlanData(info, tuple(out), tuple(tuple(json.loads(n[0])) for n in nodes), tuple(notices))


def _same_on_every_plan(store: Store) -> int:
    plans = store.plans()
    for info in plans:
        assert store.load_plan(info.plan_id) == reference_load_plan(store, info.plan_id), info.name
    return len(plans)


def test_load_plan_equals_the_row_by_row_build_on_the_demo_plans(demo_copy):
    s = Store.open(demo_copy)
    try:
        assert _same_on_every_plan(s) >= 2
    finally:
        s.close()


def test_load_plan_equals_the_row_by_row_build_on_the_synthetic_plan(synthetic_db, tmp_path):
    shutil.copy(synthetic_db, tmp_path / "s.duckdb")
    s = Store.open(tmp_path / "s.duckdb")
    try:
        assert _same_on_every_plan(s) >= 1
    finally:
        s.close()


def _add_stray_rows(s: Store, pid: int, orphan_fy: int = 2020) -> tuple[str, str]:
    """A note without a value, a note and a value of an indicator that does not exist (in orphan_fy),
    unbounded values and a value of another kind, on the plan's first indicator (item, indicator)."""
    item, ind = sql(s, "SELECT item_no, indicator FROM indicators WHERE plan_id = ? ORDER BY item_no, sort LIMIT 1",
                    [pid])[0]
    with s.transaction() as cur:
        cur.execute("INSERT INTO value_notes VALUES (?, ?, ?, 1999, '備考だけの年', 0)", [pid, item, ind])
        cur.execute("INSERT INTO value_notes VALUES (?, ?, 'どこにもない指標', ?, '宙に浮いた備考', 0)", [pid, item, orphan_fy])
        cur.execute("INSERT INTO indicator_values VALUES (?, ?, 'どこにもない指標', ?, 'actual', 5, false, '5', 0, NULL)",
                    [pid, item, orphan_fy])
        cur.execute("INSERT INTO indicator_values VALUES (?, ?, ?, 1998, 'actual', 'inf'::DOUBLE, true, 'x', 0, NULL)",
                    [pid, item, ind])
        cur.execute("INSERT INTO indicator_values VALUES (?, ?, ?, 1998, 'target', 1e308, false, NULL, 0, NULL)",
                    [pid, item, ind])
        cur.execute("INSERT INTO indicator_values VALUES (?, ?, ?, 1997, 'other', 3, false, NULL, 0, NULL)",
                    [pid, item, ind])
    return item, ind


def test_load_plan_equals_the_row_by_row_build_with_stray_rows(demo_copy):
    s = Store.open(demo_copy)
    try:
        pid = s.plans()[0].plan_id
        item, _ind = _add_stray_rows(s, pid)
        new, old = s.load_plan(pid), reference_load_plan(s, pid)
        assert new == old
        assert len(new.notices) == 2
        years = {y.fiscal_year for y in new.item(item).indicators[0].years}
        assert {1997, 1998, 1999} <= years
    finally:
        s.close()


# ------------------------------------------------------------ Store.plan_years
# The frame's year picker reads a plan's years without the plan (Store.plan_years): the same years
# as the plan load_plan builds, stray and unbounded rows included.
def _years_as_load_plan(s: Store, plan_id: int) -> tuple[tuple[int, ...], frozenset[int]]:
    data = s.load_plan(plan_id)
    return data.data_years, data.reported_years


def test_plan_years_equal_the_loaded_plans_years_on_the_demo_and_synthetic_plans(demo_copy, synthetic_db, tmp_path):
    shutil.copy(synthetic_db, tmp_path / "s.duckdb")
    for path in (demo_copy, tmp_path / "s.duckdb"):
        s = Store.open(path)
        try:
            for info in s.plans():
                assert tuple(s.plan_years(info.plan_id)) == _years_as_load_plan(s, info.plan_id), info.name
        finally:
            s.close()


def test_plan_years_equal_the_loaded_plans_years_with_stray_rows(demo_copy):
    s = Store.open(demo_copy)
    try:
        pid = s.plans()[0].plan_id
        before = s.plan_years(pid)
        item, ind = _add_stray_rows(s, pid, orphan_fy=1990)
        with s.transaction() as cur:
            cur.execute("INSERT INTO indicator_values VALUES (?, ?, ?, 1996, 'actual', 'nan'::DOUBLE, false, NULL, 0, NULL)",
                        [pid, item, ind])
            cur.execute("INSERT INTO indicator_values VALUES (?, ?, ?, 1995, 'actual', NULL, false, NULL, 0, '実施')",
                        [pid, item, ind])
        after = s.plan_years(pid)
        assert tuple(after) == _years_as_load_plan(s, pid)
        assert {1995, 1996, 1997, 1998, 1999} <= set(after.data_years) and 1990 not in after.data_years
        # words are an actual; an unbounded number, another kind or a note is not
        assert after.reported_years - before.reported_years == {1995}
    finally:
        s.close()
