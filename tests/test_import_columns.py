"""Issue 17: an import is diffed and written as columns (kpi.store.journal.NewRows, SameRows), and its
undo deletes the rows it added at once (kpi.store.store._delete_inserted).

The row-by-row diff and undo are the reference: the same books imported both ways give the same changes
in the same order, the same stored rows, the same change log and upload records; a re-import says
nothing changed, and undo leaves the store as it was, with the same log of what it removed, both ways."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SAMPLES, TODAY
from helpers import sql

from bench.generate import canonical_book
from kpi.intake.demo import DEMO_PLANS, load_demo
from kpi.intake.history import undo
from kpi.intake.pipeline import commit, prepare
from kpi.store import store as store_module
from kpi.store.journal import TABLES, ChangeRows, NewRows
from kpi.store.store import Store


def _state(store: Store, ids: bool = True) -> dict:
    """Everything an import writes, without the moments it was written at (ids=False: nor which upload
    wrote a row, which an undo changes to its own)."""
    out = {}
    for table in ("plans", *TABLES):
        cols = [c for c, _t in store.columns(table) if c not in ("created_at",) and (ids or c != "upload_id")]
        out[table] = sorted(map(repr, sql(store, f"SELECT {', '.join(cols)} FROM {table}")))
    out["change_log"] = [(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], _timeless(r[6]), _timeless(r[7]))
                         for r in sql(store, "SELECT upload_id, seq, table_name, plan_id, key_json, action, old_json, "
                                             "new_json FROM change_log ORDER BY upload_id, seq")]
    out["uploads"] = sql(store, "SELECT upload_id, kind, file_name, layout, plan_id, plan_name, n_insert, n_update, "
                                "n_unchanged, status, undo_of FROM uploads ORDER BY upload_id")
    return out


def _timeless(text: str | None) -> dict | None:
    """A change's values without the plan's created_at (an undo keeps the deleted row whole)."""
    if not text:
        return None
    return {k: v for k, v in json.loads(text).items() if k != "created_at"}


def _round_trip(store: Store, book: Path, plan_name: str | None = None) -> dict:
    prep = prepare(store, book, plan_name=plan_name, today=TODAY)
    assert not prep.errors, prep.errors
    first = (prep.changes.summary(), tuple(prep.changes.changes), prep.changes.inserts, prep.changes.updates,
             prep.changes.unchanged)
    res = commit(store, [prep], "テスト", backup=False)[0]
    written = _state(store)
    again = prepare(store, book, plan_name=plan_name, today=TODAY)
    assert again.changes.is_empty and again.changes.n_inserts == 0
    undo(store, res.upload_id, "テスト")
    return {"diff": first, "written": written, "again": again.changes.summary(), "undone": _state(store)}


def _both(tmp_path: Path, monkeypatch, run) -> tuple:
    got = []
    for columns in (True, False):
        monkeypatch.setattr(store_module, "_columns_fit", lambda columns=columns: columns)
        monkeypatch.setattr(store_module, "_bulk_undo", lambda columns=columns: columns)
        s = Store.open(tmp_path / f"{columns}.duckdb")
        try:
            got.append(run(s))
        finally:
            s.close()
    return tuple(got)


def test_a_generated_book_imports_the_same_as_columns_and_row_by_row(tmp_path, monkeypatch):
    book = canonical_book(tmp_path / "book.xlsx", rows=3000)
    columns, rows = _both(tmp_path, monkeypatch, lambda s: _round_trip(s, book))
    assert columns == rows
    assert "新規 0 件、変更 0 件" in columns["again"]
    assert columns["undone"]["indicator_values"] == []  # undo of the first import leaves no value behind


@pytest.mark.parametrize("demo", DEMO_PLANS, ids=lambda d: d.file)
def test_each_sample_imports_the_same_as_columns_and_row_by_row(tmp_path, monkeypatch, demo):
    columns, rows = _both(tmp_path, monkeypatch, lambda s: _round_trip(s, SAMPLES / demo.file, demo.plan))
    assert columns == rows


def test_the_demo_loads_the_same_as_columns_and_row_by_row(tmp_path, monkeypatch):
    def run(s: Store) -> dict:
        load_demo(s, today=TODAY)
        return _state(s)
    columns, rows = _both(tmp_path, monkeypatch, run)
    assert columns == rows


def test_a_new_plan_counts_its_rows_without_making_a_change_per_row(store, tmp_path):
    book = canonical_book(tmp_path / "book.xlsx", rows=300)
    prep = prepare(store, book, today=TODAY)
    changes = prep.changes.changes
    assert isinstance(changes, ChangeRows)
    parts = [p for p in changes._parts if isinstance(p, NewRows)]
    # the nodes repeat a path on every item under it, so they merge row by row
    assert [p.table for p in parts] == ["items", "item_departments", "indicators", "indicator_values"]
    assert prep.changes.n_inserts == len(changes) > sum(len(p) for p in parts)
    assert not prep.changes.updates and not prep.changes.is_empty
    assert all(p._changes is None for p in parts)  # counted, asked for updates: none made yet
    res = commit(store, [prep], "テスト", backup=False)[0]
    assert all(p._changes is None for p in parts)  # nor by the write
    assert store.uploads()[0].n_insert == len(changes) and res.upload_id is not None
    made = tuple(changes)
    assert len(made) == len(changes) and changes == made and changes[-1] is made[-1]
    assert {c.action for c in made} == {"insert"} and prep.changes.inserts == made


def test_a_second_book_into_the_stored_plan_diffs_the_same_as_columns_and_row_by_row(tmp_path, monkeypatch):
    first = canonical_book(tmp_path / "first.xlsx", rows=2000, seed=1)
    second = canonical_book(tmp_path / "second.xlsx", rows=3000, seed=2)  # other values, more rows

    def run(s: Store) -> dict:
        commit(s, [prepare(s, first, today=TODAY)], "テスト", backup=False)
        before = _state(s, ids=False)
        got = _round_trip(s, second)
        undone = _state(s, ids=False)
        assert undone == {**before, "change_log": undone["change_log"], "uploads": undone["uploads"]}  # the first book back
        return got
    columns, rows = _both(tmp_path, monkeypatch, run)
    assert columns == rows
    summary = columns["diff"][0]
    assert "新規 0 件" not in summary and "変更 0 件" not in summary and "変更なし 0 件" not in summary


def test_rows_that_look_different_but_are_the_same_keep_their_place(tmp_path, monkeypatch):
    """Rows equal only as _same sees them (spaces, line ends, 1 and 1.0, a blank cell) stay unchanged, in
    the order of the batch among the exactly equal ones; a direction a person chose is kept."""
    from kpi.store.journal import Batch
    from kpi.store.store import UploadMeta

    def batch(values, direction_source) -> Batch:
        b = Batch("並びの計画", plan={"start_fy": 2020, "end_fy": 2024})
        b.add("items", item_no="1", title="取組", sort=1)
        b.add("indicators", item_no="1", indicator="指標", unit="件", direction="up",
              direction_source=direction_source, sort=1)
        for fy, kind, value, raw in values:
            b.add("indicator_values", item_no="1", indicator="指標", fiscal_year=fy, kind=kind, value=value,
                  is_estimate=False, raw_text=raw)
        return b

    stored = [(2020, "target", 10.0, "10"), (2021, "target", 20.0, "20 "), (2022, "target", 30.0, "30"),
              (2023, "target", 40.0, "a\r\nb"), (2024, "target", 50.0, "50")]
    again = [(2020, "target", 10.0, "10"), (2021, "target", 20, "20"), (2022, "target", 31.0, "31"),
             (2023, "target", 40.0, "a\nb"), (2024, "target", None, None), (2024, "actual", 5.0, "5"),
             (2020, "actual", 1.0, "1")]

    def run(s: Store) -> tuple:
        s.apply(batch(stored, "manual"), UploadMeta("テスト"))
        cs = s.diff(batch(again, "inferred"))
        res = s.apply(batch(again, "inferred"), UploadMeta("テスト"))
        return cs.summary(), tuple(cs.changes), res.changes.summary(), _state(s)
    columns, rows = _both(tmp_path, monkeypatch, run)
    assert columns == rows
    actions = [(c.table, c.key[-2:], c.action) for c in columns[1]]
    assert actions == [("items", ("1",), "unchanged"), ("indicators", ("1", "指標"), "unchanged"),
                       ("indicator_values", (2020, "target"), "unchanged"),
                       ("indicator_values", (2021, "target"), "unchanged"),
                       ("indicator_values", (2023, "target"), "unchanged"),
                       ("indicator_values", (2024, "target"), "unchanged"),
                       ("indicator_values", (2024, "actual"), "insert"), ("indicator_values", (2020, "actual"), "insert"),
                       ("indicator_values", (2022, "target"), "update")]
