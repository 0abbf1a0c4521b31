"""Whole-database copies: a file's data moved into a shared store (copy-store), a backup written from a
consistent snapshot, and a backup's data put back (restore). The policy around them (where backups live,
how many are kept, who may restore, the messages) is kpi/intake/backup.py's; the SQL is here.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from kpi.errors import NotFound, StoreError
from kpi.store.connection import _sql_literal, resolve_db_path
from kpi.store.records import record

if TYPE_CHECKING:
    import duckdb

    from kpi.store.store import UploadMeta


class SourceUnreadable(Exception):
    """A backup that DuckDB cannot attach (its first line of error says why)."""


def _table_columns(cur: "duckdb.DuckDBPyConnection", catalog: str, table: str) -> list[str]:
    rows = cur.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                       "AND table_schema = 'main' AND table_catalog = ? ORDER BY ordinal_position",
                       [table, catalog]).fetchall()
    return [r[0] for r in rows]


class Copies:
    """The Store's whole-database copies (kpi/store/store.py composes it)."""

    def copy_from_file(self, source: str | os.PathLike) -> dict[str, int]:
        """Move an embedded database file's data into this (empty) store, in one transaction.

        Every table is copied whole, history, change_log, users and the id counters included,
        so uploads can still be undone after the move. The file is migrated first and only
        read; the target must hold no plan and no upload yet. Returns rows copied per table.
        """
        src_path = resolve_db_path(source)
        if not src_path.exists():
            raise NotFound(f"移す元のデータベース {src_path} がありません")
        if str(src_path) == self.target:
            raise StoreError("移す元と移す先が同じです。", hint="--to に共有データベース（ducklake:…）を指定してください")
        type(self).open(src_path).close()  # brings the file to the same schema version as this store
        with self._read() as cur:
            if cur.execute("SELECT (SELECT count(*) FROM plans) + (SELECT count(*) FROM uploads)").fetchone()[0]:
                raise StoreError("移す先のデータベースにはもうデータがあります。何も書き込んでいません。",
                                 hint="空の共有データベース（python -m kpi init で作成）に移してください")
        copied: dict[str, int] = {}

        def write() -> dict[str, int]:
            with self.transaction() as cur:
                for table in tables:
                    cols = ", ".join(c for c, _t in self.columns(table))
                    cur.execute(f"DELETE FROM {table}")  # the counters seeded at creation
                    cur.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM kpi_source.main.{table}")
                    copied[table] = cur.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            return copied

        with self._read() as cur:
            cur.execute(f"ATTACH '{_sql_literal(str(src_path))}' AS kpi_source (READ_ONLY)")
        try:
            with self._read() as cur:
                tables = [r[0] for r in cur.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'kpi_source' "
                    "AND table_name <> 'schema_migrations' ORDER BY table_name").fetchall()]
            return self.retrying(write)
        finally:
            with self._read() as cur:
                cur.execute("DETACH kpi_source")

    def copy_to_file(self, target: Path) -> None:
        """Write every table into a new DuckDB file at target, from one consistent snapshot of this
        store (ATTACH + COPY FROM DATABASE on the store's own connection: safe while the app runs,
        never a half-written copy). Errors are DuckDB's own; the caller words them."""
        cur = self.cursor()
        alias = f"kpi_backup_{uuid.uuid4().hex[:12]}"
        try:
            db = cur.execute("SELECT current_database()").fetchone()[0]
            # ATTACH and COPY FROM DATABASE take no parameters: the path is quoted, the catalog name
            # comes from DuckDB itself.
            cur.execute(f"ATTACH '{_sql_literal(str(target))}' AS {alias}")
            try:
                cur.execute(f'COPY FROM DATABASE "{db.replace(chr(34), chr(34) * 2)}" TO {alias}')
            finally:
                cur.execute(f"DETACH {alias}")
        finally:
            cur.close()

    def restore_from_file(self, source: Path, meta: "UploadMeta", *, keep_tables: Iterable[str] = (),
                          keep_kinds: Iterable[str] = ()) -> int:
        """Replace this store's data with a database file's (already at this schema), in one transaction,
        recorded as an upload of meta.kind (its note and file name from meta). Returns its number.

        keep_tables are left as they are (accounts, sign-in state, the migration list); so is the
        history of the upload kinds in keep_kinds (account changes: the accounts are kept, so is
        their history). Upload and plan numbers never go backwards: each counter keeps the larger of
        the two stores' values, so a number once used keeps meaning that upload (or none).
        Raises SourceUnreadable when the file cannot be attached."""
        keep_tables, kinds = set(keep_tables), list(keep_kinds)
        alias = "kpi_restore_source"
        cur = self.cursor()
        try:
            cur.execute(f"ATTACH '{_sql_literal(str(source))}' AS {alias} (READ_ONLY)")
        except Exception as exc:
            cur.close()
            raise SourceUnreadable(str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__) from exc
        try:
            db = cur.execute("SELECT current_database()").fetchone()[0]
            tables = [r[0] for r in cur.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = ? AND table_schema = 'main' "
                "AND table_type = 'BASE TABLE' ORDER BY table_name", [db]).fetchall()]
            old_counters = dict(cur.execute("SELECT name, value FROM counters").fetchall())
            marks = ", ".join("?" for _ in kinds)
            with self.transaction() as tx:
                for table in tables:
                    if table in keep_tables:
                        continue
                    mine = _table_columns(tx, db, table)
                    theirs = set(_table_columns(tx, alias, table))
                    cols = [c for c in mine if c in theirs]
                    # Identifiers below come from information_schema, not from any person.
                    kept, taken, params = "", "", []
                    if kinds and table == "uploads":
                        kept = f" WHERE kind IS NULL OR kind NOT IN ({marks})"
                        taken, params = kept, kinds
                    elif kinds and table == "change_log":
                        kept = f" WHERE upload_id NOT IN (SELECT upload_id FROM uploads WHERE kind IN ({marks}))"
                        taken = (f" WHERE upload_id NOT IN (SELECT upload_id FROM {alias}.main.uploads "
                                 f"WHERE kind IN ({marks}))")
                        params = kinds
                    tx.execute(f'DELETE FROM "{table}"{kept}', params)
                    if cols:
                        names = ", ".join(f'"{c}"' for c in cols)
                        tx.execute(f'INSERT INTO "{table}" ({names}) SELECT {names} FROM {alias}.main."{table}"{taken}',
                                   params)
                for name, value in old_counters.items():
                    tx.execute("UPDATE counters SET value = greatest(value, ?) WHERE name = ?", [value, name])
                return record(self, tx, meta, [])
        finally:
            try:
                cur.execute(f"DETACH {alias}")
            finally:
                cur.close()
