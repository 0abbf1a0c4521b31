"""The import reads its big sheets by column (issue 17): the parse side must give what the row-by-row
reading it replaced gives, kept here as the reference — every batch row (its keys in their order),
every problem (text, sheet, cell, in order), the plan — on every workbook in data/samples and
../shared/samples, on the bench's books (written small here; KPI_BENCH_BOOKS names a folder of the
full-size ones), and on made-up books with every kind of cell the column-wise reading treats apart."""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

import kpi.intake.layouts.canonical as canonical
import kpi.intake.layouts.progress_sheet as progress_sheet
from kpi.errors import BadWorkbook
from kpi.intake.cells import Reporter, read_column, read_column_distinct, read_number
from kpi.intake.layouts import detect_layout, parse_workbook, read_workbook
from kpi.intake.layouts.canonical import (_bool, _cell, _item_no, _key, _note,
                                          _Table, _text, _text_of, _year, _year_or_error, clean_text, text_words)
from kpi.intake.text_values import accept_text_values
from kpi.intake.validate import check_bounds, validate_batch
from kpi.intake.workbook import Sheet, Workbook, column_letter, tidy_text
from kpi.rules.departments import parse_departments
from kpi.rules.direction import infer_direction, is_cumulative_name, parse_direction
from kpi.rules.numbers import parse_number
from kpi.store.journal import Batch

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 23)


# ------------------------------------------------------------------ the reference: the row-by-row reading

def reference_data_rows(t: _Table):
    width = t.sheet.max_col
    header = [_key(t.sheet.raw(t.header_row, c)) for c in range(1, width + 1)]
    first = header[0] if header else ""
    for r, vals in enumerate(t.sheet.rows[t.header_row:], start=t.header_row + 1):
        vals = vals[:width]
        if "" in vals:
            vals = [None if v == "" else v for v in vals]
        v0 = vals[0] if vals else None
        if v0 is None or v0.__class__ is str and not v0.strip():
            if all(v is None or (v.__class__ is str and not v.strip()) for v in vals):
                continue
        if _key(v0) == first and [_key(v) for v in vals] + [""] * (width - len(vals)) == header:
            continue
        yield r, vals


def reference_rows(t: _Table):
    return (r for r, _vals in reference_data_rows(t))


def reference_parse_values(t: _Table, rep: Reporter, batch: Batch) -> None:
    seen: dict[tuple[str, str, int], int] = {}
    marked = {(row["item_no"], row["indicator"]): row["qualitative"] for row in batch.table("indicators")
              if row.get("qualitative") is not None}
    cols = t.cols
    c_no, c_name, c_fy = cols["no"], cols["indicator"], cols["fy"]
    data = list(reference_data_rows(t))
    width = t.sheet.max_col
    grid = [vals if len(vals) == width else vals + [None] * (width - len(vals)) for _r, vals in data]
    columns: list[list[Any]] = [list(col) for col in zip(*grid)] if grid else [[] for _c in range(width)]
    nos = read_column(columns[c_no - 1], _item_no)
    names = read_column(columns[c_name - 1], lambda v: tidy_text(_text_of(v)) if _text_of(v) else None)
    years = read_column(columns[c_fy - 1], _year_or_error)
    kinds = []
    for kind, key, label in (("target", "target", "計画"), ("actual", "actual", "実績")):
        if key in cols:
            raws = columns[cols[key] - 1]
            kinds.append((kind, cols[key], label, column_letter(cols[key]), raws, read_column(raws, text_words),
                          read_column(raws, parse_number)))
    notes = read_column(columns[cols["note"] - 1], _note) if "note" in cols else [None] * len(data)
    had_values = "indicator_values" in batch.rows
    values = batch.rows.setdefault("indicator_values", [])
    where_file, where_sheet = rep.file, rep.sheet
    for i, (r, vals) in enumerate(data):
        no, name = nos[i], names[i]
        if not no or not name:
            rep.error(r, c_no if not no else c_name, "No. と指標名は必ず記入してください", code="missing_indicator")
            continue
        fy, bad_year = years[i]
        if fy is None:
            raw_fy = columns[c_fy - 1][i]
            if bad_year is not None:
                rep.error(r, c_fy, f"年度「{clean_text(raw_fy)}」は年度として読めません",
                          bad_year.hint or "例: 平成27年度、R3、2021年度", code="bad_year")
            elif raw_fy is None:
                rep.error(r, c_fy, "年度が空欄です", code="bad_year")
            continue
        key = (no, name, fy)
        if key in seen:
            rep.error(r, c_fy, f"No.{no}「{name}」の{fy}年度が2回あります（{seen[key]}行目と重複）",
                      "1つの年度は1行にまとめてください", code="duplicate")
            continue
        seen[key] = r
        for kind, c, label, letter, _raws, words_col, numbers in kinds:
            words = words_col[i]
            if words and marked.get((no, name)):
                batch.add("indicator_values", item_no=no, indicator=name, fiscal_year=fy, kind=kind,
                          text_value=words, raw_text=words, **rep.where(r, c))
                continue
            p = numbers[i]
            if p.kind == "number":
                values.append({"item_no": no, "indicator": name, "fiscal_year": fy, "kind": kind, "value": p.value,
                               "is_estimate": p.estimate, "raw_text": p.raw, "_words": words,
                               "_sheet": where_sheet, "_cell": f"{letter}{r}", "_file": where_file})
            elif p.kind == "text":
                read_number(rep, t.sheet, r, c, f"「{name}」{fy}年度の{label}")
                if marked.get((no, name)) is None:
                    batch.add("indicator_values", item_no=no, indicator=name, fiscal_year=fy, kind=kind,
                              text_value=words, raw_text=words, _unless_qualitative=batch.problems[-1],
                              **rep.where(r, c))
        note = notes[i]
        if note:
            batch.add("value_notes", item_no=no, indicator=name, fiscal_year=fy, note=note,
                      **rep.where(r, t.cols["note"]))
    if not values and not had_values:
        del batch.rows["indicator_values"]


def reference_parse_indicators(t: _Table, rep: Reporter, batch: Batch, seen: set[tuple[str, str]]) -> None:
    sort_by_item: dict[str, int] = {}
    for r in reference_rows(t):
        no = _item_no(_cell(t, r, "no"))
        name = _text(t, r, "indicator")
        if not no or not name:
            rep.error(r, t.cols["no"] if not no else t.cols["indicator"],
                      "No. と指標名は必ず記入してください", code="missing_indicator")
            continue
        name = tidy_text(name)
        if (no, name) in seen:
            rep.error(r, t.cols["indicator"], f"No.{no} の指標「{name}」が2回あります", code="duplicate")
            continue
        seen.add((no, name))
        unit = _text(t, r, "unit") or ""
        base = read_number(rep, t.sheet, r, t.cols["baseline"], f"指標「{name}」の基準値", unit) if "baseline" in t.cols else None
        final = None
        final_text = _text(t, r, "final_text")
        if "final" in t.cols and _cell(t, r, "final") is not None:
            fp = read_number(rep, t.sheet, r, t.cols["final"], f"指標「{name}」の最終目標値", unit, allow_text=True)
            if fp.is_number:
                final = fp
            elif fp.kind == "text":
                final_text = final_text or str(_cell(t, r, "final")).strip()
        direction_raw = _cell(t, r, "direction")
        explicit = parse_direction(direction_raw)
        if direction_raw is not None and str(direction_raw).strip() and explicit is None:
            rep.error(r, t.cols["direction"], f"方向「{clean_text(direction_raw)}」が分かりません",
                      "「高いほど良い」か「低いほど良い」と書くか、空欄にしてください（空欄なら基準値と目標から判断します）",
                      code="bad_direction")
        decision = infer_direction(baseline=base.value if base and base.is_number else None,
                                   final_target=final.value if final else None, name=name,
                                   target_text=final_text or "", explicit=explicit)
        cumulative = _bool(rep, t, r, "cumulative") if "cumulative" in t.cols else None
        # Blank keeps what is stored (a sheet without the column says nothing); ○ marks it 定性, × numeric.
        qualitative = _bool(rep, t, r, "qualitative") if "qualitative" in t.cols else None
        sort_by_item[no] = sort_by_item.get(no, 0) + 1
        row: dict[str, Any] = dict(item_no=no, indicator=name, unit=unit or None, direction=decision.direction,
                                   direction_source=decision.source, _direction_reason=decision.reason,
                                   cumulative=cumulative if cumulative is not None else is_cumulative_name(name),
                                   final_target_text=final_text, qualitative=qualitative, sort=sort_by_item[no],
                                   **rep.where(r, t.cols["indicator"]))
        if base is not None and base.is_number:
            row.update(baseline=base.value, baseline_estimated=base.estimate,
                       baseline_fy=_year(rep, t, r, "baseline_fy", "基準年度"))
        if final is not None:
            row.update(final_target=final.value, final_target_fy=_year(rep, t, r, "final_fy", "最終目標年度"))
        batch.add("indicators", **row)


_DECIDE_DIRECTIONS = canonical._directions_from_values  # kept before the reference run puts its own in place


def reference_directions_from_values(batch: Batch, _targets=None) -> None:
    """The directions nobody wrote, with the yearly targets gathered again from every batch row, as
    before the 年度値 sheet's columns gave them; the decision itself is the module's."""
    targets: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for v in batch.table("indicator_values"):
        if v.get("kind") == "target" and v.get("value") is not None:
            targets.setdefault((v["item_no"], v["indicator"]), []).append((v["fiscal_year"], v["value"]))
    _DECIDE_DIRECTIONS(batch, targets)


def reference_parse_items(t: _Table, rep: Reporter, batch: Batch, seen: set[str]) -> None:
    sort = 0
    for r in reference_rows(t):
        no = _item_no(_cell(t, r, "no"))
        title = _text(t, r, "title")
        if not no:
            rep.error(r, t.cols["no"], "No. が空欄です", code="missing_no")
            continue
        if no in seen:
            rep.error(r, t.cols["no"], f"No.{no} が取組シートに2回あります", "1つの取組は1行にまとめてください", code="duplicate")
            continue
        seen.add(no)
        if not title:
            rep.error(r, t.cols["title"], f"No.{no} の取組名が空欄です", code="missing_title")
            continue
        sort += 1
        path = [tidy_text(t.sheet.raw(r, c)) for c in t.extra_levels if t.sheet.raw(r, c) is not None]
        for depth in range(1, len(path) + 1):
            batch.add("nodes", path=json.dumps(path[:depth], ensure_ascii=False), depth=depth, level_name=None,
                      title=path[depth - 1], sort=sort)
        batch.add("items", item_no=no, title=tidy_text(title), node_path=json.dumps(path, ensure_ascii=False),
                  current_issues=_text(t, r, "current_issues"), purpose=_text(t, r, "purpose"),
                  content=_text(t, r, "content"), effect=_text(t, r, "effect"),
                  qualitative_target=_text(t, r, "qualitative_target"), sort=sort, **rep.where(r, t.cols["no"]))
        for i, d in enumerate(parse_departments(_cell(t, r, "departments"))):
            batch.add("item_departments", item_no=no, department=d.name, is_main=d.is_main, role=d.role, sort=i)


def reference_find_label(sheet, predicate, *, rows=None, max_len=40):
    for r, c, v in reference_iter_nonempty(sheet):
        if rows is not None and r not in rows:
            continue
        if not sheet.is_merge_anchor_or_single(r, c):
            continue
        t = clean_text(v)
        if len(t) <= max_len and predicate(t):
            return r, c
    return None


def reference_iter_nonempty(self, max_row=None):
    for ri, r in enumerate(self.rows if max_row is None else self.rows[:max_row], start=1):
        for ci, v in enumerate(r, start=1):
            if v not in (None, ""):
                yield ri, ci, v


REFERENCE = {"_data_rows": reference_data_rows, "_rows": reference_rows, "_parse_values": reference_parse_values,
             "_parse_indicators": reference_parse_indicators, "_parse_items": reference_parse_items,
             "_directions_from_values": reference_directions_from_values}


# ------------------------------------------------------------------ the books

def edge_books() -> list[Workbook]:
    """Canonical books holding every kind of cell the column-wise reading treats apart."""
    nan, inf = float("nan"), float("inf")
    plan = Sheet("計画", [["項目", "内容"], ["計画名", "テスト計画"], ["評価方式", "A・B・C（達成率）"]])
    items = Sheet("取組", [
        ["体系1", "体系2", "No.", "取組名", "担当課", "目的"],
        ["重点1", "施策1", 1.0, "取組 1", "企画課●、財政課", "  "],
        ["重点1", "", 2, "取組2", "", ""],
        ["", "", "", "", "", ""],
        ["  ", None, None, "", "", "\u3000"],
        ["体系1", "体系2", "No.", "取組名", "担当課", "目的"],
        ["重点2", "施策3", "3", "取組3\n二行", "総務課", "目的です"],
        ["重点2", "施策3", "3", "取組3", "総務課", ""],
        ["重点2", "施策3", "", "名無し", "", ""],
        ["重点2", "施策3", 4.0, "", "", ""],
        ["重点2", "施策3", True, "真", "", ""],
        [None, "施策9", 5.5, "取組5.5"],
        ["重点3", "施策4", "No.6", "取組6", "", "x" * 50],
    ])
    inds = Sheet("指標", [
        ["No.", "指標名", "単位", "方向", "累計", "基準年度", "基準値", "最終目標年度", "最終目標値", "最終目標（文章）", "定性"],
        [1.0, "件数", "件", "", "", "2015", 100.0, "2025", 200.0, "", ""],
        [1.0, "ごみ量", "t", "", "", "H27", 50.0, "R7", 40.0, "", ""],
        [1.0, "件数", "件", "", "", "", "", "", "", "", ""],
        [2.0, "満足度", "%", "高いほど良い", "○", "2015", "1,090", "2025", "930(見込み)", "", ""],
        [2.0, "定性指標", "", "", "", "", "", "", "把握する", "", "○"],
        [2.0, "数値指標", "", "", "", "", "", "", "", "", "×"],
        [3.0, "方向変", "", "斜め", "はい?", "令和99年度x", "未集計", "", "", "", "??"],
        ["", "名無しNo", "", "", "", "", "", "", "", "", ""],
        [4.0, "", "", "", "", "", "", "", "", "", ""],
        [4.0, "削減量", "", "", "", "", "", "", "", "文章目標", ""],
        [5.5, "累計人数(累計)", "人", "", "", 2015, 10, 2025.0, 20, "", ""],
        ["No.6", "年度だけ", "", "", "", "", "", "", "", "", ""],
        [1.0, "大きい", "", "", "", 1800, 1e300, 2200, -1e300, "", ""],
    ])
    vals = Sheet("年度値", [
        ["No.", "指標名", "年度", "計画", "実績", "備考"],
        [1.0, "件数", 2016.0, 110.0, 105.0, ""],
        [1.0, "件数", 2017, 120, 118.5, 5],
        [1.0, "件数", "H30", "130", "930(見込み)", "メモ"],
        [1.0, "件数", "R1", "1,090", "５１８", 5.0],
        [1.0, "件数", "令和2年度", "―", "", "  "],
        [1.0, "件数", "2021年度", "-", "集計中", None],
        [1.0, "件数", 2016.0, 1.0, 2.0, ""],
        [1.0, "件数", "", 1.0, 2.0, ""],
        [1.0, "件数", "R99x", 1.0, 2.0, ""],
        [1.0, "件数", None, "", "", ""],
        ["", "件数", 2016, 1.0, 2.0, ""],
        [1.0, "", 2016, 1.0, 2.0, ""],
        [1.0, "件数", 2022, "未実施", "実施中", "テキスト"],
        [1.0, "ごみ量", 2016, 49.0, nan, ""],
        [1.0, "ごみ量", 2017, inf, -inf, ""],
        [1.0, "ごみ量", 2018, True, False, ""],
        [1.0, "ごみ量", 2019, 0.0, -0.0, ""],
        [1.0, "ごみ量", 2020, datetime(2020, 4, 1), 1e300, ""],
        [1.0, "ごみ量", 2021, 45.0, 1e20, "x" * 20],
        [2.0, "定性指標", 2016, "把握", "実施", ""],
        [2.0, "定性指標", 2017, 3.0, "", "n"],
        [2.0, "定性指標", 2018, "―", "検討", ""],
        [2.0, "数値指標", 2016, "文字", 3.0, ""],
        [2.0, "数値指標", 2017, 4.0, 5.0, ""],
        ["", "", "", "", "", ""],
        ["No.", "指標名", "年度", "計画", "実績", "備考"],
        [" ", None, "", "", "", ""],
        [2.0, "満足度", 2016, "22.8%", "△5", ""],
        [2.0, "満足度", 2017, "29（4）", "36 (うち新規1)", ""],
        [2.0, "満足度", 2018, 1, 2],
        [2.0, "満足度"],
        [3.0, "方向変", 2016, 10.0, 20.0, ""],
        [3.0, "方向変", 2017, 5.0, "", ""],
        [9.0, "ない指標", 2016, 1.0, 1.0, ""],
        [4.0, "削減量", "2016", 10.0, 9.0, ""],
        [4.0, "削減量", "2017", 9.0, "", ""],
        [5.5, "累計人数(累計)", 2016, "\u200b12", 11.0, ""],
        [1.0, "件数\u3000", 2023, 5.0, 5.0, ""],
        ["No.6", "年度だけ", 2030, 1.0, "", ""],
        [1.0, "件数", 2027, 1.0, 1.0, ""],
        [1.0, "大きい", 1800, 1e300, 2.0, ""],
    ])
    evals = Sheet("評価", [
        ["No.", "年度", "段階", "評価", "取組の状況", "課題・今後の方針"],
        [1.0, 2016, "年度", "A", "順調", ""],
        [1.0, 2016, "年度", "B", "", ""],
        [1.0, "R1", "上半期", "", "", ""],
        [1.0, "xx", "年度", "A", "", ""],
        [1.0, "", "年度", "A", "", ""],
        ["", 2016, "年度", "A", "", ""],
        [2.0, 2016, "謎", "A", "", ""],
        [2.0, 2017, "最終評価", "Z", "", ""],
    ])
    sched = Sheet("工程", [["No.", "実施内容", "年度", "記号"], [1.0, "準備", 2016, "●"], [1.0, "", 2017, ""],
                           [2.0, "実施", "bad", ""]])
    status = Sheet("状況", [["No.", "年度", "状況", "説明"], [1.0, 2016, "✓", ""], [1.0, 2017, "謎", ""],
                            [2.0, 2016, "実施中", "説明"]])
    clean_vals = Sheet("年度値", [vals.rows[0]] + [
        [float(1 + k % 3), "件数" if k % 2 else "ごみ量", 2016 + k % 7, float(k), float(k * 2) if k % 5 else "",
         "" if k % 4 else "備考"] for k in range(60)])
    return [
        Workbook("edge.xlsx", "", [plan, items, inds, vals, evals, sched, status]),
        Workbook("values_only.xlsx", "", [plan, Sheet("年度値", vals.rows)]),
        Workbook("clean.xlsx", "", [plan, items, inds, clean_vals]),
        Workbook("marked.xlsx", "", [plan, inds, Sheet("年度値", [vals.rows[0]] + [
            [2.0, "定性指標", 2016 + k, "把握" if k % 2 else 5.0, "", ""] for k in range(5)])]),
        Workbook("noheader.xlsx", "", [plan, Sheet("年度値", [["x", "y"], [1, 2]]), Sheet("取組", [])]),
        Workbook("target_only.xlsx", "", [plan, inds, Sheet("年度値", [
            ["No.", "指標名", "年度", "計画"], [1.0, "件数", 2016, 3.0], [1.0, "件数", 2017, "x"], [1.0, "件数", 2018, 4.0]])]),
        Workbook("keys_only.xlsx", "", [plan, inds, Sheet("年度値", [
            ["No.", "指標名", "年度", "備考"], [1.0, "件数", 2016, "a"], [1.0, "件数", 2016, "b"]])]),
        Workbook("blank_values.xlsx", "", [plan, Sheet("年度値", [vals.rows[0], ["", "", "", "", "", ""]])]),
    ]


def _files() -> list[Path]:
    found = sorted((ROOT / "data" / "samples").glob("*.xlsx"))
    found += sorted((ROOT.parent / "shared" / "samples").glob("**/*.xlsx"))
    if os.environ.get("KPI_BENCH_BOOKS"):
        found += sorted(Path(os.environ["KPI_BENCH_BOOKS"]).glob("*.xlsx"))
    return found


@pytest.fixture(scope="module")
def bench_books(tmp_path_factory) -> list[Path]:
    from bench.generate import canonical_book, progress_book
    out = tmp_path_factory.mktemp("books")
    return [canonical_book(out / "canonical_3000.xlsx", rows=3000), progress_book(out / "progress_12.xlsx", sheets=12)]


def _state(batch: Batch) -> str:
    return repr(([(t, [list(r.items()) for r in rows]) for t, rows in batch.rows.items()], batch.problems,
                 batch.plan, batch.plan_where, batch.plan_name))


def _read(wb: Workbook, qualitative: set[tuple[str, str]]) -> tuple[str, ...]:
    """What the parse side makes of a workbook: the batch as parsed, then as checked (prepare's order)."""
    try:
        layout = detect_layout(wb, [])
    except BadWorkbook as exc:
        return ("refused", exc.message)
    batch = parse_workbook(wb, None, layout)
    parsed = _state(batch)
    accept_text_values(batch, qualitative)
    check_bounds(batch, wb)
    validate_batch(batch, None, TODAY)
    return layout.key, parsed, _state(batch)


def _same_as_reference(monkeypatch, wbs: list[Workbook]) -> None:
    for wb in wbs:
        for qualitative in (set(), {("1", "件数"), ("2", "数値指標")}):
            new = _read(wb, qualitative)
            with monkeypatch.context() as m:
                for name, fn in REFERENCE.items():
                    m.setattr(canonical, name, fn)
                m.setattr(progress_sheet, "find_label", reference_find_label)
                m.setattr(Sheet, "iter_nonempty", reference_iter_nonempty)
                m.setattr(progress_sheet, "_is_no_label", progress_sheet._is_no_label.__wrapped__)
                old = _read(wb, qualitative)
            assert new == old, wb.file_name


def test_made_up_books_read_as_row_by_row(monkeypatch):
    books = edge_books()
    _same_as_reference(monkeypatch, books)
    problems = parse_workbook(books[0]).problems
    assert len(problems) > 30 and {p.sheet for p in problems} >= {"取組", "指標", "年度値", "評価", "工程", "状況"}


def test_sample_and_bench_books_read_as_row_by_row(monkeypatch, bench_books):
    _same_as_reference(monkeypatch, [read_workbook(p) for p in _files() + bench_books])


def test_read_column_distinct_gives_each_distinct_values_result_once():
    out, distinct = read_column_distinct([1, 1.0, True, 1, "a", None, "a"], repr)
    assert out == ["1", "1.0", "True", "1", "'a'", "None", "'a'"]
    assert sorted(distinct) == sorted(["1", "1.0", "True", "'a'", "None"])
    out, distinct = read_column_distinct(["x", "x", None], str)
    assert out == ["x", "x", "None"] and sorted(distinct) == ["None", "x"]


@pytest.mark.parametrize("kept", [0, 50_000])
def test_a_sheets_cells_in_some_rows_are_those_the_whole_sheet_scan_gives(monkeypatch, kept):
    import kpi.intake.workbook as workbook
    monkeypatch.setattr(workbook, "_KEPT_CELLS", kept)  # a big sheet scans its rows, a small one keeps its cells
    sheet = Sheet("x", [["a", "", None], [None, "b"], ["c", "d", "e"], [], ["", 0, False]])
    whole = list(reference_iter_nonempty(sheet))
    assert list(sheet.iter_nonempty()) == whole
    for rows in (range(2, 4), range(0, 2), range(1, 6), range(5, 9), range(3, 3)):
        assert list(sheet.nonempty_in(rows)) == [cell for cell in whole if cell[0] in rows]
