"""The benchmark's data generator (bench/generate.py) writes the same data every time: the
benchmark's numbers compare runs, so a run must not measure different data."""

from __future__ import annotations

import sys

from conftest import ROOT
from helpers import sql

sys.path.insert(0, str(ROOT))

from bench.generate import SCALES, build_store, canonical_book, plan_batch, plan_specs  # noqa: E402
from kpi.intake.workbook import read_workbook  # noqa: E402
from kpi.store.store import Store  # noqa: E402

TINY = SCALES["tiny"]  # 2 municipalities × 2 plans × 6 items


def _rows(specs):
    return [plan_batch(s).rows for s in specs]


def test_the_same_seed_gives_the_same_plans_and_another_seed_does_not():
    a, b = plan_specs(TINY), plan_specs(TINY)
    assert [s.plan_name for s in a] == ["合成01市行政改革プラン（合成）", "合成01市まち・ひと・しごと創生総合戦略（合成）",
                                        "合成02市行政改革プラン（合成）", "合成02市まち・ひと・しごと創生総合戦略（合成）"]
    assert _rows(a) == _rows(b)
    assert _rows(plan_specs(TINY, seed=1)) != _rows(a)


def test_a_plan_has_the_indicator_count_asked_for_spread_over_its_items():
    rows = plan_batch(plan_specs(TINY)[0]).rows
    assert len(rows["items"]) == 6 and len(rows["indicators"]) == 10  # 2 each for the first 4 items, 1 after
    assert {r["fiscal_year"] for r in rows["indicator_values"]} == {2016, 2017, 2018, 2019}


def test_two_stores_built_from_the_same_scale_hold_the_same_data(tmp_path):
    dumps = []
    for name in ("a", "b"):
        build_store(str(tmp_path / f"{name}.duckdb"), TINY, progress=False)
        s = Store.open(tmp_path / f"{name}.duckdb")
        try:
            dumps.append(sql(s, 
                "SELECT p.name, v.item_no, v.indicator, v.fiscal_year, v.kind, v.value FROM indicator_values v "
                "JOIN plans p USING (plan_id) ORDER BY ALL"))
        finally:
            s.close()
    assert len(dumps[0]) > 100 and dumps[0] == dumps[1]


def test_the_canonical_book_has_the_rows_asked_for_and_is_the_same_twice(tmp_path):
    a = read_workbook(canonical_book(tmp_path / "a.xlsx", rows=50, years=4))
    b = read_workbook(canonical_book(tmp_path / "b.xlsx", rows=50, years=4))
    values_a = [r for r in a.sheet("年度値").rows if any(v not in (None, "") for v in r)]
    assert len(values_a) == 1 + 50  # header + rows
    assert values_a == [r for r in b.sheet("年度値").rows if any(v not in (None, "") for v in r)]
