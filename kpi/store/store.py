"""The Store, the one door to the database, and its journal: diff, apply, revert, the change log.

Every write of plan data goes through Store.apply(): it compares a Batch with what is stored, writes
only what changed inside one transaction, records the upload (who, when, file, sha256) and keeps the
previous value of anything it overwrites in change_log. A refused or failed write leaves nothing behind.

Store is composed of the package's parts, each in its own module, so that callers import one class:
- kpi/store/connection.py: opening a file or a shared DuckLake catalog, cursors, transactions, errors;
- kpi/store/schema.py: the schema and its migrations;
- kpi/store/reads.py: the named reads (plans, a plan's data, schedules, opinions, the data version …);
- kpi/store/users.py: accounts and sign-in state (account changes recorded in the history);
- kpi/store/copies.py: whole-database copies (copy-store, backups, restore);
- this module: the journal (the diff of a Batch, apply, revert, the uploads and their change_log).
No module outside kpi/store runs SQL (tests/test_architecture.py checks it).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable

import duckdb
import pyarrow as pa

from kpi.errors import AmbiguousPlan, NotFound, StoreConflictError
from kpi.rules.plan_names import normalize_plan_name
from kpi.store.connection import (DEFAULT_DB_PATH, PROJECT_ROOT, Connection, _sql_literal, _wrap_duckdb, redact,
                                  resolve_db_path, resolve_target)
from kpi.store.copies import Copies
from kpi.store.journal import PLAN_FIELDS, TABLE_ORDER, TABLES, Batch, Change, ChangeRows, ChangeSet, NewRows, SameRows
from kpi.store.reads import PlanReads, rule_of  # noqa: F401 (intake_reads takes it from here)
from kpi.store.schema import MIGRATIONS, Migrations
from kpi.store.users import Accounts

__all__ = ["Store", "PreparedDiff", "UploadMeta", "UploadRecord", "RevertResult", "ApplyResult", "natural_key", "redact",
           "resolve_db_path", "resolve_target", "DEFAULT_DB_PATH", "PROJECT_ROOT", "MIGRATIONS", "_sql_literal",
           "_wrap_duckdb"]


@dataclass(frozen=True)
class UploadMeta:
    user: str
    file_name: str | None = None
    sha256: str | None = None
    layout: str | None = None
    kind: str = "import"  # import / edit / settings / demo / undo
    note: str | None = None


@dataclass(frozen=True)
class UploadRecord:
    upload_id: int
    kind: str
    uploaded_by: str
    uploaded_at: datetime
    file_name: str | None
    sha256: str | None
    layout: str | None
    plan_id: int | None
    plan_name: str | None
    n_insert: int
    n_update: int
    n_unchanged: int
    note: str | None
    status: str
    undone_at: datetime | None
    undone_by: str | None
    undo_of: int | None


@dataclass(frozen=True)
class RevertResult:
    upload_id: int  # the undo's own upload record (kind 'undo')
    undone: int  # the upload it reverted
    n_deleted: int
    n_restored: int


@dataclass(frozen=True)
class ApplyResult:
    upload_id: int | None  # None when nothing changed (nothing is recorded then)
    changes: ChangeSet
    plan_id: int | None


_ARROW_TYPES = {
    "BIGINT": pa.int64(), "INTEGER": pa.int32(), "VARCHAR": pa.string(), "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(), "TIMESTAMP": pa.timestamp("us"), "DATE": pa.date32(),
}



def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(a, str) and isinstance(b, str):
        return a.replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()
    if isinstance(a, datetime) or isinstance(b, datetime) or isinstance(a, date) or isinstance(b, date):
        return str(a)[:10] == str(b)[:10]
    return a == b


def _json_default(v: Any) -> Any:
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    raise TypeError(f"{type(v).__name__} は記録できません")


def _dumps(d: dict[str, Any] | None) -> str | None:
    if d is None:
        return None
    # default= only sees what json cannot write itself (dates): one C call per row, no copy of the dict.
    return json.dumps(d, ensure_ascii=False, sort_keys=True, default=_json_default)


_DIRECTION_RANK = {"manual": 3, "sheet": 2, "inferred": 1, "default": 0, None: -1}


def _protect(table: str, existing: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
    """Rules that stop an import from overwriting what a person decided."""
    if table == "indicators" and "direction_source" in incoming:
        if _DIRECTION_RANK.get(incoming.get("direction_source"), -1) < _DIRECTION_RANK.get(existing.get("direction_source"), -1):
            incoming = {k: v for k, v in incoming.items() if k not in ("direction", "direction_source")}
    return incoming


def _columns_fit() -> bool:
    """Whether a table's rows are diffed as columns (NewRows, _diff_columns); the parity test
    (tests/test_import_columns.py) turns it off to compare with the row-by-row diff."""
    return True


def _diff_rows(table: str, rows: list[dict[str, Any]], existing: dict[tuple, dict[str, Any]]
               ) -> tuple[list[Change], dict[str, list]]:
    """One table's diff row by row: its changes in order (unchanged, inserts, updates) and what the write needs."""
    spec = TABLES[table]
    changes: list[Change] = []
    inserts: dict[tuple, dict[str, Any]] = {}
    updates: dict[tuple, tuple[dict[str, Any], dict[str, Any]]] = {}
    for row in rows:
        key = tuple(row.get(k) for k in spec.key)
        if key in inserts:  # same key twice in one batch: later values fill in
            inserts[key].update({k: v for k, v in row.items() if v is not None})
            continue
        cur_row = existing.get(key)
        if cur_row is None:
            full = {c: row.get(c) for c in spec.key + spec.fields + spec.carry + spec.insert_only}
            inserts[key] = full
            continue
        if key in updates:
            cur_row = {**cur_row, **updates[key][1]}
        incoming = {f: row[f] for f in spec.fields if row.get(f) is not None}
        incoming = _protect(table, cur_row, incoming)
        changed = {f: v for f, v in incoming.items() if not _same(cur_row.get(f), v)}
        if changed:
            for c in spec.carry:
                if row.get(c) is not None:
                    changed[c] = row[c]
            old = {f: cur_row.get(f) for f in changed}
            if key in updates:
                old = {**{f: cur_row.get(f) for f in changed}, **updates[key][0]}
                changed = {**updates[key][1], **changed}
            updates[key] = (old, changed)
        elif key not in updates:
            changes.append(Change(table, key, "unchanged", None, {}))
    for key, full in inserts.items():
        changes.append(Change(table, key, "insert", None, full))
    for key, (old, new) in updates.items():
        changes.append(Change(table, key, "update", old, new))
    return changes, {"insert": list(inserts.values()),
                     "update": [(key, old, new, existing[key]) for key, (old, new) in updates.items()]}


def _diff_columns(table: str, rows: list[dict[str, Any]], new: NewRows, existing: dict[tuple, dict[str, Any]]
                  ) -> tuple[list, dict[str, Any]]:
    """_diff_rows of a table whose keys are each once in the batch, with rows stored: a row whose every
    compared field equals the stored one exactly is unchanged without _same and _protect (equal values
    are always _same; a re-import is mostly such rows), one whose key is not stored is new; only the
    rest go row by row. The same changes in the same order (unchanged, inserts, updates)."""
    spec = TABLES[table]
    fields = spec.fields
    at = {c: i for i, c in enumerate(new.names)}
    incoming = zip(*[new.columns[at[f]] for f in fields])
    held = existing.get
    stored_at: list[int] = []  # rows whose key is stored, in order: unchanged unless in `other`
    other: list[int] = []
    inserted: list[int] = []
    for i, (key, vals) in enumerate(zip(new.keys, incoming)):
        cur_row = held(key)
        if cur_row is None:
            inserted.append(i)
            continue
        stored_at.append(i)
        if vals != tuple(map(cur_row.get, fields)):
            other.append(i)
    changes, ops = _diff_rows(table, [rows[i] for i in other], existing)
    differ = {c.key for c in changes if c.action != "unchanged"}
    keys = new.keys
    parts: list = [SameRows(table, [keys[i] for i in stored_at if keys[i] not in differ])]
    if inserted:
        ops["insert"] = new.only(inserted)
        parts.append(ops["insert"])
    parts.append(tuple(c for c in changes if c.action == "update"))
    return parts, ops


class Store(Connection, Migrations, PlanReads, Accounts, Copies):
    def uploads(self, limit: int | None = None, plan_id: int | None = None) -> list[UploadRecord]:
        sql = ("SELECT upload_id, kind, uploaded_by, uploaded_at, file_name, sha256, layout, plan_id, plan_name, "
               "n_insert, n_update, n_unchanged, note, status, undone_at, undone_by, undo_of FROM uploads")
        params: list[Any] = []
        if plan_id is not None:
            sql += " WHERE plan_id = ?"
            params.append(plan_id)
        sql += " ORDER BY upload_id DESC"
        if limit:
            sql += " LIMIT ?"
            params.append(int(limit))
        with self._read() as cur:
            rows = cur.execute(sql, params).fetchall()
        return [UploadRecord(*r) for r in rows]

    def change_log(self, upload_id: int, limit: int | None = None) -> list[dict[str, Any]]:
        """An upload's changes in order; with limit, only the first ones (a page shows 500 of an
        upload's 10,000 without decoding the rest)."""
        with self._read() as cur:
            rows = cur.execute(
                "SELECT seq, table_name, plan_id, key_json, action, old_json, new_json FROM change_log "
                "WHERE upload_id = ? ORDER BY seq LIMIT ?",  # LIMIT NULL: every change
                [upload_id, None if limit is None else int(limit)]).fetchall()
        return [{"seq": r[0], "table": r[1], "plan_id": r[2], "key": json.loads(r[3]), "action": r[4],
                 "old": json.loads(r[5]) if r[5] else None, "new": json.loads(r[6]) if r[6] else None} for r in rows]

    def change_count(self, upload_id: int) -> int:
        with self._read() as cur:
            return cur.execute("SELECT count(*) FROM change_log WHERE upload_id = ?", [upload_id]).fetchone()[0]

    # ------------------------------------------------------------ layout profiles
    def layout_profiles(self) -> list[tuple[str, str]]:
        """Every taught layout as (name, its JSON text), by name."""
        with self._read() as cur:
            return [(r[0], r[1]) for r in cur.execute("SELECT name, body FROM layout_profiles ORDER BY name").fetchall()]

    def save_layout_profile(self, name: str, body: str, user: str) -> int | None:
        """Save a taught layout under its name in one transaction, journalled like any import: an upload
        record (kind 'layout') and a change_log row with the old and new text, so the history shows it
        and it can be undone. Returns the upload id, or None when the stored text is the same."""
        def write() -> int | None:
            with self.transaction() as cur:
                row = cur.execute("SELECT body FROM layout_profiles WHERE name = ?", [name]).fetchone()
                if row is not None and row[0] == body:
                    return None
                upload_id = self._next_id(cur, "upload")
                now = datetime.now()
                if row is None:
                    self._insert_rows(cur, "layout_profiles", [
                        {"name": name, "body": body, "saved_at": now, "saved_by": user, "upload_id": upload_id}])
                    entry = ("insert", None, {"body": body})
                else:
                    cur.execute("UPDATE layout_profiles SET body = ?, saved_at = ?, saved_by = ?, upload_id = ? "
                                "WHERE name = ?", [body, now, user, upload_id, name])
                    entry = ("update", {"body": row[0]}, {"body": body})
                self._insert_rows(cur, "change_log", [{
                    "upload_id": upload_id, "seq": 0, "table_name": "layout_profiles", "plan_id": None,
                    "key_json": _dumps({"name": name}), "action": entry[0], "old_json": _dumps(entry[1]),
                    "new_json": _dumps(entry[2])}])
                self._insert_rows(cur, "uploads", [{
                    "upload_id": upload_id, "kind": "layout", "uploaded_by": user, "uploaded_at": now,
                    "file_name": f"様式「{name}」", "layout": "profile:" + name, "n_insert": int(row is None),
                    "n_update": int(row is not None), "n_unchanged": 0, "status": "applied"}])
                return upload_id
        return self.retrying(write)

    # ------------------------------------------------------------------ diff
    def diff(self, batch: Batch, held: "Held | None" = None) -> ChangeSet:
        """What applying the batch would change, without writing anything. held: what the plans
        already hold, read once for a whole upload (kpi.store.intake_reads.PlanContext); without
        it the rows are read here. A write always reads them again inside its transaction."""
        if held is not None:
            cs, _plan_id, _ops = self._diff(None, batch, held)
            return cs
        with self._read() as cur:
            cs, _plan_id, _ops = self._diff(cur, batch)
        return cs

    def prepared_diff(self, batch: Batch, held: "Held") -> "PreparedDiff":
        """diff() against what held read, kept with what the write needs, so that apply_many writes it
        without comparing again when nothing was written since held read the data version (a
        100,000-row file's diff costs seconds); when something was, the write compares again."""
        cs, plan_id, ops = self._diff(None, batch, held)
        return PreparedDiff(batch, _batch_shape(batch), getattr(held, "version", None), cs, plan_id, ops)

    def _existing(self, cur: duckdb.DuckDBPyConnection, table: str, plan_id: int) -> dict[tuple, dict[str, Any]]:
        spec = TABLES[table]
        cols = list(spec.key) + list(spec.fields) + list(spec.carry) + list(spec.insert_only)
        rows = cur.execute(f"SELECT {', '.join(cols)} FROM {table} WHERE plan_id = ?", [plan_id]).fetchall()
        nk = len(spec.key)
        return {tuple(r[:nk]): dict(zip(cols, r)) for r in rows}

    def _diff(self, cur: duckdb.DuckDBPyConnection | None, batch: Batch, held: "Held | None" = None):
        if held is not None:
            plan_row = held.plan_row(batch.plan_name)
        else:
            plan_row = _one_plan_named(cur, f"plan_id, {PLAN_ROW_COLS}", batch.plan_name)
        plan_id = plan_row[0] if plan_row else None
        # An existing plan keeps its stored name; a new one is stored in the normalised form.
        plan_name = plan_row[1] if plan_row else normalize_plan_name(batch.plan_name)
        old_plan = dict(zip(PLAN_FIELDS, plan_row[2:])) if plan_row else {}
        plan_changes: dict[str, tuple[Any, Any]] = {}
        for f in PLAN_FIELDS:
            v = batch.plan.get(f)
            if v is None:
                continue
            old = old_plan.get(f)
            # A plan's period only grows with new sheets: one sheet covers only part of it.
            if f == "start_fy" and old is not None:
                v = min(old, v)
            if f == "end_fy" and old is not None:
                v = max(old, v)
            if not _same(old, v):
                plan_changes[f] = (old, v)
        parts: list = []  # ChangeRows' parts, table by table
        ops: dict[str, dict[str, Any]] = {}
        for table in TABLE_ORDER:
            rows = batch.table(table)
            if not rows:
                continue
            if plan_id is None:
                existing = {}
            elif held is not None:
                existing = held.existing(plan_id, table)
            else:
                existing = self._existing(cur, table, plan_id)
            new = NewRows.of(table, rows) if _columns_fit() else None
            if new is None:  # a key twice in the batch (or the parity test): row by row
                changes, ops[table] = _diff_rows(table, rows, existing)
                parts.append(tuple(changes))
            elif not existing:  # nothing to compare with: every row is new, kept as columns
                parts.append(new)
                ops[table] = {"insert": new, "update": []}
            else:
                found, ops[table] = _diff_columns(table, rows, new, existing)
                parts.extend(found)
        cs = ChangeSet(plan_name, plan_id is None, plan_changes, ChangeRows(parts))
        return cs, plan_id, ops

    # ----------------------------------------------------------------- write
    def _next_id(self, cur: duckdb.DuckDBPyConnection, counter: str) -> int:
        # Updating the one counter row makes concurrent writers conflict (one is told to retry)
        # instead of both taking the same id.
        # (No RETURNING: DuckLake does not support it on UPDATE.)
        cur.execute("UPDATE counters SET value = value + 1 WHERE name = ?", [counter])
        row = cur.execute("SELECT value FROM counters WHERE name = ?", [counter]).fetchone()
        if row is None:
            cur.execute("INSERT INTO counters VALUES (?, 1)", [counter])
            return 1
        return int(row[0])

    def _insert_rows(self, cur: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        cols = [(c, t) for c, t in self.columns(table) if any(c in r for r in rows)]
        names = [c for c, _ in cols]
        schema = pa.schema([(c, _ARROW_TYPES.get(t, pa.string())) for c, t in cols])
        tbl = pa.Table.from_arrays([_arrow_column([r.get(c) for r in rows], t) for c, t in cols], schema=schema)
        cur.register("_kpi_rows", tbl)
        try:
            cur.execute(f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(names)} FROM _kpi_rows")
        finally:
            cur.unregister("_kpi_rows")

    def _insert_logged(self, cur: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]] | NewRows,
                       plan_id: int, upload_id: int, seq: int) -> bool:
        """Insert a table's new rows (the diff's full rows, or its NewRows columns) and their change_log
        entries ('insert', the key and the row as JSON, seq, seq + 1, …) from one Arrow table, the JSON
        made by DuckDB: one statement each, however many rows. False, and nothing written, when a row is
        not the plain form this needs (a value Arrow would not take as its column's type, a key beyond
        the table's columns, a timestamp, which Python writes as ISO text): the caller then logs them
        one by one."""
        if not len(rows):
            return True
        spec = TABLES[table]
        names = list(spec.key + spec.fields + spec.carry + spec.insert_only)
        types = dict(self.columns(table))
        if any(types.get(c) not in _ARROW_TYPES or types[c] == "TIMESTAMP" for c in names):
            return False
        if isinstance(rows, NewRows):
            columns = rows.columns  # the same names, in the same order
        else:
            n = len(names)
            if any(len(r) != n for r in rows):
                return False  # a row merged from two of the batch carries its provenance keys too
            try:
                # a list per column straight from the rows (no row tuples to transpose): a KeyError still
                # says a row lacks a column, as the length check cannot
                columns = [[r[c] for r in rows] for c in names]
            except KeyError:
                return False
        try:
            arrays = [pa.array(col, type=_ARROW_TYPES[types[c]]) for c, col in zip(names, columns)]
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
            return False
        arrays.append(pa.array(range(seq, seq + len(rows)), type=pa.int64()))
        tbl = pa.Table.from_arrays(arrays, names=names + ["_kpi_seq"])

        def as_json(cols: list[str]) -> str:
            # sorted as json.dumps(sort_keys=True) writes them (kpi.store.store._dumps)
            return "to_json(struct_pack(" + ", ".join(f"{c} := {c}" for c in sorted(cols)) + "))"
        cur.register("_kpi_rows", tbl)
        try:
            cur.execute(f"INSERT INTO {table} (plan_id, upload_id, {', '.join(names)}) "
                        f"SELECT ?, ?, {', '.join(names)} FROM _kpi_rows", [plan_id, upload_id])
            cur.execute("INSERT INTO change_log (upload_id, seq, table_name, plan_id, key_json, action, old_json, "
                        f"new_json) SELECT ?, _kpi_seq, ?, ?, {as_json(list(spec.key))}, 'insert', NULL, "
                        f"{as_json(names[len(spec.key):])} FROM _kpi_rows", [upload_id, table, plan_id])
        finally:
            cur.unregister("_kpi_rows")
        return True

    def _update_rows(self, cur: duckdb.DuckDBPyConnection, table: str, plan_id: int, upload_id: int,
                     updates: list[tuple[tuple, dict, dict, dict]]) -> None:
        if not updates:
            return
        spec = TABLES[table]
        setcols = list(spec.fields) + list(spec.carry)
        rows = []
        for key, _old, new, existing in updates:
            merged = {c: existing.get(c) for c in setcols}
            merged.update(new)
            merged.update(dict(zip(spec.key, key)))
            merged["plan_id"] = plan_id
            merged["upload_id"] = upload_id
            rows.append(merged)
        types = dict(self.columns(table))
        cols = ["plan_id", "upload_id"] + list(spec.key) + setcols
        schema = pa.schema([(c, _ARROW_TYPES.get(types[c], pa.string())) for c in cols])
        tbl = pa.Table.from_pydict({c: [_arrow_value(r.get(c), types[c]) for r in rows] for c in cols}, schema=schema)
        cur.register("_kpi_upd", tbl)
        try:
            sets = ", ".join(f"{c} = u.{c}" for c in setcols + ["upload_id"])
            where = " AND ".join(["t.plan_id = u.plan_id"] + [f"t.{k} IS NOT DISTINCT FROM u.{k}" for k in spec.key])
            cur.execute(f"UPDATE {table} AS t SET {sets} FROM _kpi_upd AS u WHERE {where}")
        finally:
            cur.unregister("_kpi_upd")

    def apply(self, batch: Batch, meta: UploadMeta,
              check: Callable[[ChangeSet, int | None], None] | None = None) -> ApplyResult:
        """Write one batch in one transaction. Nothing is recorded when nothing changes.

        check(changes, plan_id) runs inside the transaction before anything is
        written (permission checks); raising there leaves the database untouched.
        """
        return self.apply_many([batch], [meta], check=check)[0]

    def apply_many(self, batches: list[Batch], metas: list[UploadMeta],
                   check: Callable[[ChangeSet, int | None], None] | None = None,
                   prepared: "list[PreparedDiff | None] | None" = None) -> list[ApplyResult]:
        """Write several batches (one upload record each) in a single transaction: all or nothing.

        prepared: the preview's diff of each batch (Store.prepared_diff), written as it is when the
        data version inside this transaction is still the one it was compared at, the batch is the
        same object with the same rows, and no earlier batch of this write went into the same plan;
        otherwise the batch is compared again here, as without it."""
        from kpi.errors import ImportRefused
        for batch in batches:
            if batch.errors:
                raise ImportRefused(batch.problems)
        prepared = list(prepared or [])
        prepared += [None] * (len(batches) - len(prepared))

        def write() -> list[ApplyResult]:
            with self.transaction() as cur:
                version = _counter(cur, "upload") if any(p is not None for p in prepared) else None
                written: set[str] = set()
                out = []
                for batch, meta, prep in zip(batches, metas, prepared):
                    name = normalize_plan_name(batch.plan_name)
                    if prep is not None and not prep.fits(batch, version) or name in written:
                        prep = None
                    res = self._apply_in(cur, batch, meta, check, prep)
                    written |= {name, normalize_plan_name(res.changes.plan_name)}
                    out.append(res)
                return out
        return self.retrying(write)

    def retrying(self, write: Callable[[], Any], attempts: int = 6) -> Any:
        """Run a whole write transaction again when another writer committed first.

        Two servers on one shared store (or two sessions of one server) that write at the
        same moment both touch the upload counter, so the later commit is refused as a
        conflict and rolled back whole. The write recomputes its changes against what is
        stored now, so running it again is what the user would do by hand; only after
        several refusals is the user told to retry.
        """
        import random
        import time
        for attempt in range(attempts):
            try:
                return write()
            except StoreConflictError:
                if attempt == attempts - 1:
                    raise
                time.sleep(random.uniform(0.05, 0.3) * (attempt + 1))

    def revert(self, upload_id: int, meta: UploadMeta, check: RevertCheck | None = None) -> RevertResult:
        """Undo one upload in one transaction, recorded as an upload of its own (meta.kind 'undo').

        Rows the upload inserted are deleted; fields it updated get the old values from
        change_log back (None included: a plain batch never erases, an undo must). The undo's
        change_log keeps what it removed and replaced, and the original is marked 'undone'.
        check(upload, its change_log, later uploads of the same plan with theirs) runs first,
        inside the transaction, and refuses by raising (kpi/intake/history.py: permissions, later changes).
        """
        return self.retrying(lambda: _revert(self, upload_id, meta, check))

    def _apply_in(self, cur: duckdb.DuckDBPyConnection, batch: Batch, meta: UploadMeta,
                  check: Callable[[ChangeSet, int | None], None] | None,
                  prepared: "PreparedDiff | None" = None) -> ApplyResult:
        if prepared is not None:
            cs, plan_id, ops = prepared.changes, prepared.plan_id, prepared.ops
        else:
            cs, plan_id, ops = self._diff(cur, batch)
        if check is not None:
            check(cs, plan_id)
        if cs.is_empty:
            return ApplyResult(None, cs, plan_id)
        upload_id = self._next_id(cur, "upload")
        now = datetime.now()
        log: list[dict[str, Any]] = []
        if plan_id is None:
            plan_id = self._next_id(cur, "plan")
            row = {"plan_id": plan_id, "name": cs.plan_name, "created_at": now, "upload_id": upload_id}
            row.update({f: new for f, (_old, new) in cs.plan_changes.items()})
            self._insert_rows(cur, "plans", [row])
            log.append({"table_name": "plans", "key": {"name": cs.plan_name}, "action": "insert",
                        "old": None, "new": {k: v for k, v in row.items() if k != "created_at"}})
        elif cs.plan_changes:
            sets = ", ".join(f"{f} = ?" for f in cs.plan_changes)
            cur.execute(f"UPDATE plans SET {sets}, upload_id = ? WHERE plan_id = ?",
                        [new for _old, new in cs.plan_changes.values()] + [upload_id, plan_id])
            log.append({"table_name": "plans", "key": {"name": cs.plan_name}, "action": "update",
                        "old": {f: o for f, (o, _n) in cs.plan_changes.items()},
                        "new": {f: n for f, (_o, n) in cs.plan_changes.items()}})
        for i, e in enumerate(log):  # the plan's own row
            e["seq"] = i
        seq = len(log)
        for table in TABLE_ORDER:
            if table not in ops:
                continue
            spec = TABLES[table]
            inserted = ops[table]["insert"]
            if self._insert_logged(cur, table, inserted, plan_id, upload_id, seq):
                seq += len(inserted)
            else:
                if isinstance(inserted, NewRows):
                    inserted = inserted.rows()
                ins = [{**r, "plan_id": plan_id, "upload_id": upload_id} for r in inserted]
                self._insert_rows(cur, table, ins)
                for r in inserted:
                    log.append({"seq": seq, "table_name": table, "key": {k: r.get(k) for k in spec.key},
                                "action": "insert", "old": None,
                                "new": {k: v for k, v in r.items() if k not in spec.key}})
                    seq += 1
            self._update_rows(cur, table, plan_id, upload_id, ops[table]["update"])
            for key, old, new, _existing in ops[table]["update"]:
                log.append({"seq": seq, "table_name": table, "key": dict(zip(spec.key, key)), "action": "update",
                            "old": old, "new": new})
                seq += 1
        self._insert_rows(cur, "change_log", [
            {"upload_id": upload_id, "seq": e["seq"], "table_name": e["table_name"], "plan_id": plan_id,
             "key_json": _dumps(e["key"]), "action": e["action"], "old_json": _dumps(e["old"]),
             "new_json": _dumps(e["new"])}
            for e in log])
        self._insert_rows(cur, "uploads", [{
            "upload_id": upload_id, "kind": meta.kind, "uploaded_by": meta.user, "uploaded_at": now,
            "file_name": meta.file_name, "sha256": meta.sha256, "layout": meta.layout or batch.layout,
            "plan_id": plan_id, "plan_name": cs.plan_name, "n_insert": cs.n_inserts,
            "n_update": cs.n_updates, "n_unchanged": cs.n_unchanged, "note": meta.note,
            "status": "applied"}])
        return ApplyResult(upload_id, cs, plan_id)


@dataclass(frozen=True)
class PreparedDiff:
    """A batch's diff as the preview computed it (Store.prepared_diff), for Store.apply_many to write."""

    batch: Batch
    shape: tuple
    version: int | None  # the data version the compared rows were read at (None: unknown, never reused)
    changes: ChangeSet
    plan_id: int | None
    ops: dict[str, dict[str, list]]

    def fits(self, batch: Batch, version: int | None) -> bool:
        return (self.version is not None and self.version == version and batch is self.batch
                and _batch_shape(batch) == self.shape)


def _batch_shape(batch: Batch) -> tuple:
    """What would show a batch changed after its diff (rows added or dropped, other plan settings);
    a prepared batch is not edited in place (commit copies one it adds to: kpi.cycle.submissions)."""
    return (batch.plan_name, repr(sorted(batch.plan.items())),
            tuple(sorted((t, len(rows)) for t, rows in batch.rows.items())))


def _counter(cur: duckdb.DuckDBPyConnection, name: str) -> int:
    row = cur.execute("SELECT value FROM counters WHERE name = ?", [name]).fetchone()
    return int(row[0]) if row else 0


# A plan as the diff compares it: plan_id, then PLAN_ROW_COLS.
PLAN_ROW_COLS = f"name, {', '.join(PLAN_FIELDS)}"


class Held:
    """What a diff compares with, when it was read beforehand (kpi.store.intake_reads.PlanContext)."""

    version: int | None = None  # the data version read before any of the rows

    def plan_row(self, name: str) -> tuple | None:  # (plan_id, name, *PLAN_FIELDS) or None
        raise NotImplementedError

    def existing(self, plan_id: int, table: str) -> dict[tuple, dict[str, Any]]:
        raise NotImplementedError


RevertCheck = Callable[[UploadRecord, list[dict[str, Any]], list[tuple[UploadRecord, list[dict[str, Any]]]]], None]


def _revert(store: "Store", upload_id: int, meta: UploadMeta, check: RevertCheck | None) -> RevertResult:
    """Store.revert's body: one transaction that puts back what one upload changed."""
    with store.transaction() as cur:
        row = cur.execute(f"SELECT {_UPLOAD_COLS} FROM uploads WHERE upload_id = ?", [upload_id]).fetchone()
        if row is None:
            raise NotFound(f"取込番号 {upload_id} はありません")
        rec = UploadRecord(*row)
        entries = _log_rows(cur, upload_id)
        later_recs = [UploadRecord(*r) for r in cur.execute(
            f"SELECT {_UPLOAD_COLS} FROM uploads WHERE upload_id > ? AND plan_id IS NOT DISTINCT FROM ? "
            "ORDER BY upload_id", [upload_id, rec.plan_id]).fetchall()]
        later = [(r, _log_rows(cur, r.upload_id)) for r in later_recs]
        if check is not None:
            check(rec, entries, later)
        new_id = store._next_id(cur, "upload")
        now = datetime.now()
        log: list[dict[str, Any]] = []  # what the undo changed, in order, each with its seq
        logged = 0  # entries in the undo's log so far (those _delete_inserted wrote itself too)
        deleted = restored = 0
        backwards = entries[::-1]  # children before parents, the plan row last
        skip_to = 0
        for at, e in enumerate(backwards):
            if at < skip_to:
                continue
            table, key, plan_id = e["table"], e["key"], e["plan_id"]
            types = dict(store.columns(table))
            run = _insert_run(backwards, at) if _bulk_undo() else 0
            if run > 1 and all(types.get(k) in _KEY_TYPES for k in TABLES[table].key):
                # an import's new rows of one table: deleted at once, not a statement per row
                log += _delete_inserted(cur, table, types, backwards[at:at + run], upload_id, new_id, rec.plan_id,
                                        logged)
                logged += run
                deleted += run
                skip_to = at + run
                continue
            if table == "plans":
                where, params = "plan_id = ?", [plan_id]
            elif table in ("layout_profiles", "mail_settings"):  # not a plan's: kept by its name alone
                where, params = "name = ?", [key.get("name")]
            elif table == "mail_password":  # logged as words only: undo leaves the password as it is
                continue
            else:
                spec = TABLES[table]
                where = " AND ".join(["plan_id = ?"] + [f"{k} IS NOT DISTINCT FROM CAST(? AS {types[k]})" for k in spec.key])
                params = [plan_id] + [key.get(k) for k in spec.key]
            cols = [c for c in types if c not in ("upload_id",)]
            current = cur.execute(f"SELECT {', '.join(cols)} FROM {table} WHERE {where}", params).fetchone()
            if e["action"] == "insert":
                cur.execute(f"DELETE FROM {table} WHERE {where}", params)
                deleted += 1
                logged += 1
                log.append({"seq": logged - 1, "table_name": table, "key": key, "action": "delete",
                            "old": dict(zip(cols, current)) if current else None, "new": None})
            elif e["action"] == "update" and e["old"]:
                fields = [f for f in e["old"] if f in types]
                sets = ", ".join(f"{f} = CAST(? AS {types[f]})" for f in fields)
                cur.execute(f"UPDATE {table} SET {sets}, upload_id = ? WHERE {where}",
                            [e["old"][f] for f in fields] + [new_id] + params)
                restored += 1
                logged += 1
                now_vals = dict(zip(cols, current)) if current else {}
                log.append({"seq": logged - 1, "table_name": table, "key": key, "action": "update",
                            "old": {f: now_vals.get(f) for f in fields}, "new": {f: e["old"][f] for f in fields}})
        store._insert_rows(cur, "change_log", [
            {"upload_id": new_id, "seq": e["seq"], "table_name": e["table_name"], "plan_id": rec.plan_id,
             "key_json": _dumps(e["key"]), "action": e["action"], "old_json": _dumps(e["old"]),
             "new_json": _dumps(e["new"])} for e in log])
        store._insert_rows(cur, "uploads", [{
            "upload_id": new_id, "kind": meta.kind, "uploaded_by": meta.user, "uploaded_at": now,
            "file_name": rec.file_name, "sha256": None, "layout": rec.layout, "plan_id": rec.plan_id,
            "plan_name": rec.plan_name, "n_insert": 0, "n_update": restored, "n_unchanged": 0, "note": meta.note,
            "status": "applied", "undo_of": upload_id}])
        cur.execute("UPDATE uploads SET status = 'undone', undone_at = ?, undone_by = ? WHERE upload_id = ?",
                    [now, meta.user, upload_id])
    return RevertResult(new_id, upload_id, deleted, restored)


# Key types an Arrow column matches as CAST(? AS type) does (a timestamp key, written as ISO text, is not one).
_KEY_TYPES = ("VARCHAR", "INTEGER", "BIGINT", "DOUBLE", "BOOLEAN", "DATE")


def _bulk_undo() -> bool:
    """Whether _revert deletes a run of inserted rows at once; the parity test
    (tests/test_import_columns.py) turns it off to compare with a statement per row."""
    return True


def _insert_run(backwards: list[dict[str, Any]], at: int) -> int:
    """How many entries from `at` on are 'insert's of one plan table (of TABLES, with a plan), one after another."""
    first = backwards[at]
    table, plan_id = first["table"], first["plan_id"]
    if first["action"] != "insert" or table not in TABLES or plan_id is None:
        return 0
    end = at
    while end < len(backwards) and backwards[end]["action"] == "insert" and backwards[end]["table"] == table \
            and backwards[end]["plan_id"] == plan_id:
        end += 1
    return end - at


def _delete_inserted(cur: duckdb.DuckDBPyConnection, table: str, types: dict[str, str], run: list[dict[str, Any]],
                     undone: int, upload_id: int, plan_id: int | None, seq: int) -> list[dict[str, Any]]:
    """What _revert does for each of these 'insert' entries of the upload `undone` (the row as it is now
    kept in the undo's log, seq, seq + 1, …, then deleted), for all of them in a few statements: the
    keys as one Arrow table, matched as the row-by-row statement matches them (plan_id =, each key IS
    NOT DISTINCT FROM its value cast to the column's type). The entries' keys are distinct (one entry
    per row of an upload). A table of plain columns has its log written by DuckDB (the JSON as
    Store._insert_logged writes it; the key as the undone upload logged it), and [] is returned; a
    table with a timestamp (which Python writes as ISO text) gets its entries back, for the caller."""
    spec = TABLES[table]
    cols = [c for c in types if c not in ("upload_id",)]
    arrays = [pa.array(range(len(run)), type=pa.int64()), pa.array([e["seq"] for e in run], type=pa.int64()),
              pa.array([e["plan_id"] for e in run], type=pa.int64())]
    arrays += [_arrow_column([e["key"].get(k) for e in run], types[k]) for k in spec.key]
    keys = pa.Table.from_arrays(arrays, names=["_kpi_pos", "_kpi_seq", "_kpi_plan"] + [f"_kpi_key_{k}" for k in spec.key])
    on = " AND ".join(["t.plan_id = u._kpi_plan"] + [f"t.{k} IS NOT DISTINCT FROM u._kpi_key_{k}" for k in spec.key])
    in_sql = all(types[c] in _KEY_TYPES for c in cols)
    cur.register("_kpi_keys", keys)
    try:
        if in_sql:
            row = "to_json(struct_pack(" + ", ".join(f"{c} := t.{c}" for c in sorted(cols)) + "))"
            cur.execute("INSERT INTO change_log (upload_id, seq, table_name, plan_id, key_json, action, old_json, "
                        f"new_json) SELECT ?, ? + u._kpi_pos, ?, ?, c.key_json, 'delete', "
                        f"CASE WHEN t.plan_id IS NULL THEN NULL ELSE {row} END, NULL FROM _kpi_keys AS u "
                        "JOIN change_log AS c ON c.upload_id = ? AND c.seq = u._kpi_seq "
                        f"LEFT JOIN {table} AS t ON {on}", [upload_id, seq, table, plan_id, undone])
        else:
            found = cur.execute(f"SELECT u._kpi_pos, {', '.join('t.' + c for c in cols)} FROM {table} AS t "
                                f"JOIN _kpi_keys AS u ON {on}").fetchall()
        cur.execute(f"DELETE FROM {table} AS t USING _kpi_keys AS u WHERE {on}")
    finally:
        cur.unregister("_kpi_keys")
    if in_sql:
        return []
    now: dict[int, tuple] = {}
    for r in found:
        now.setdefault(r[0], r[1:])
    return [{"seq": seq + i, "table_name": table, "key": e["key"], "action": "delete",
             "old": dict(zip(cols, now[i])) if i in now else None, "new": None} for i, e in enumerate(run)]


_UPLOAD_COLS = ("upload_id, kind, uploaded_by, uploaded_at, file_name, sha256, layout, plan_id, plan_name, "
                "n_insert, n_update, n_unchanged, note, status, undone_at, undone_by, undo_of")


def _log_rows(cur: duckdb.DuckDBPyConnection, upload_id: int) -> list[dict[str, Any]]:
    rows = cur.execute("SELECT seq, table_name, plan_id, key_json, action, old_json, new_json FROM change_log "
                       "WHERE upload_id = ? ORDER BY seq", [upload_id]).fetchall()
    return [{"seq": r[0], "table": r[1], "plan_id": r[2], "key": json.loads(r[3]), "action": r[4],
             "old": json.loads(r[5]) if r[5] else None, "new": json.loads(r[6]) if r[6] else None} for r in rows]


def _arrow_column(values: list[Any], duck_type: str) -> pa.Array:
    """One column for a bulk insert: pyarrow converts plain values itself (fast); anything it
    refuses (a float in an integer column, a number in a text column, a date as text) goes
    through _arrow_value one by one, as before."""
    arrow_type = _ARROW_TYPES.get(duck_type, pa.string())
    try:
        return pa.array(values, type=arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        return pa.array([_arrow_value(v, duck_type) for v in values], type=arrow_type)


def _arrow_value(v: Any, duck_type: str) -> Any:
    if v is None:
        return None
    if duck_type in ("BIGINT", "INTEGER"):
        return int(v)
    if duck_type == "DOUBLE":
        return float(v)
    if duck_type == "BOOLEAN":
        return bool(v)
    if duck_type == "VARCHAR":
        return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict, tuple)) else str(v)
    if duck_type == "DATE" and isinstance(v, str):
        return date.fromisoformat(v[:10])
    return v


def _plans_named(cur: duckdb.DuckDBPyConnection, cols: str, name: str) -> list[tuple]:
    """Rows (cols of plans, starting plan_id, name) of the plans named name, compared in the one
    normalised form; one written exactly so first. Plans are few (one city: a handful; a
    prefecture: a few hundred), so they are compared here rather than in SQL, which has no NFKC."""
    if not normalize_plan_name(name):
        return []
    return match_plans(cur.execute(f"SELECT {cols} FROM plans ORDER BY plan_id").fetchall(), name)


def match_plans(rows: list[tuple], name: str) -> list[tuple]:
    """The rows (plan_id, name, …) whose name is name once both are normalised, one written exactly so first."""
    key = normalize_plan_name(name)
    if not key:
        return []
    return sorted((r for r in rows if normalize_plan_name(r[1]) == key), key=lambda r: r[1] != name)


def one_plan(found: list[tuple], name: str) -> tuple | None:
    """The one plan match_plans found, or AmbiguousPlan naming the candidates when none is written exactly so."""
    if len(found) > 1 and found[0][1] != name:
        raise AmbiguousPlan(name, [f"「{r[1]}」（計画ID {r[0]}）" for r in found])
    return found[0] if found else None


def _one_plan_named(cur: duckdb.DuckDBPyConnection, cols: str, name: str) -> tuple | None:
    return one_plan(_plans_named(cur, cols, name), name)


def natural_key(text: str) -> tuple:
    """Sort 'No.2' before 'No.10', and '1-②' after '1-①'.

    Digit runs compare by length, then value, never through int() of the whole run: Python
    refuses to convert more than 4,300 digits, and one stored item number that long must not
    stop every page and export that sorts items."""
    import re
    import unicodedata
    s = unicodedata.normalize("NFKC", str(text))
    out = []
    for p in re.split(r"(\d+)", s):
        if not p:
            continue
        if p.isdigit():
            q = p.lstrip("0") or "0"
            out.append((0, len(q), int(q) if len(q) <= 30 else q))
        else:
            out.append((1, p))
    return tuple(out)
