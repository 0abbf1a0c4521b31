"""The import's shortcuts for big books (issue 17) give what the plain code gives."""

from __future__ import annotations

import gc

from kpi.intake.cells import read_column, years_in
from kpi.intake.layouts import LAYOUTS, detect_layout
from kpi.intake.pipeline import prepare
from kpi.intake.validate import _to_look_at
from kpi.intake.workbook import Sheet, Workbook, _clean, clean_text


def test_clean_text_kept_per_string_is_the_text_worked_out():
    for v in ["  No.\u3000１ ", "計画\n実績", "ｱｲｳ", "", 0.0, -0.0, 1, 1.0, True]:
        assert clean_text(v) == _clean(str(v))
        assert clean_text(v) == clean_text(v)
    assert clean_text(-0.0) == "-0.0" and clean_text(0.0) == "0.0"


def test_years_in_a_kept_header_is_a_list_of_its_own():
    first = years_in("令和3年度", None)
    first.append(1999)
    assert years_in("令和3年度", None) == [2021]


def test_read_column_tells_equal_values_of_other_types_apart():
    assert read_column([1, 1.0, True, 1], repr) == ["1", "1.0", "True", "1"]
    assert read_column(["a", None, "a"], repr) == ["'a'", "None", "'a'"]
    assert read_column([[1], [1]], len) == [1, 1]  # unhashable: one by one


def test_bounds_judge_each_cell_of_a_one_type_column():
    rows = [{"title": "ok"}, {"title": "x" * 5000}, {"title": "ok"}, {"value": 1e300}, {"value": True}]
    assert [(rows.index(r), f) for r, f in _to_look_at(rows)] == [(1, "title"), (3, "value")]


def test_detection_stops_at_a_certain_layout_and_chooses_as_before():
    sheet = Sheet("No.1", [["No.", "1"], ["担当課", "企画課"], ["指標"], ["計画", "実績"], ["年度評価"]])
    wb = Workbook("x.xlsx", "", [sheet] * 3)
    scored = sorted(((lay.detect(wb), i, lay) for i, lay in enumerate(LAYOUTS)), key=lambda t: (-t[0], t[1]))
    assert detect_layout(wb).key == scored[0][2].key == "progress_sheet"


def test_an_import_leaves_the_cycle_collector_as_it_found_it(store):
    assert gc.isenabled()
    prepare(store, b"not a workbook", "x.xlsx")
    assert gc.isenabled()
    gc.disable()
    try:
        prepare(store, b"not a workbook", "x.xlsx")
        assert not gc.isenabled()
    finally:
        gc.enable()
