"""Opening the database: a DuckDB file, or a shared DuckLake catalog on PostgreSQL; cursors and transactions;
driver errors turned into messages for people (the password of a connection string never shown).

Threads: one Store (one DuckDB connection) is shared; every query and every transaction runs on its
own cursor(), as DuckDB requires across threads. Only kpi/store uses cursor() and transaction():
every other module calls the store's named reads and writes.

A page run on a shared catalog reads through one transaction (pin_reads): DuckLake asks PostgreSQL
for the catalog's latest snapshot once per transaction, a round trip that cost about 10 ms on every
query when each read was a transaction of its own.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import duckdb

from kpi.errors import StoreBusyError, StoreConflictError, StoreError, StoreUnavailable

if TYPE_CHECKING:
    from kpi.store.store import Store

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # kpi/store/connection.py → the repository
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "kpi.duckdb"


def resolve_db_path(explicit: str | os.PathLike | None = None) -> Path:
    """--db wins, then the KPI_DB environment variable, then data/kpi.duckdb."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("KPI_DB")
    return Path(env) if env else DEFAULT_DB_PATH


def resolve_target(explicit: str | os.PathLike | None = None) -> str:
    """Where the store is, as written: a file path, or a shared catalog 'ducklake:…' kept verbatim."""
    raw = str(explicit) if explicit else os.environ.get("KPI_DB", "")
    if raw.startswith("ducklake:"):
        return raw
    return str(resolve_db_path(raw or None))



_UNAVAILABLE_SIGNS = ("unable to connect", "connection refused", "server closed the connection",
                      "could not connect", "connection to server", "no connection to the server",
                      "terminating connection", "failed to query most recent snapshot")


def redact(text: str) -> str:
    """A connection string as it may be shown or logged: never with its password."""
    import re
    return re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1***", text, flags=re.IGNORECASE)


def _detail(text: str) -> str:
    first = text.splitlines()[0] if text else ""
    for prefix in ("IO Error: ", "Error: ", "Failed to query most recent snapshot for DuckLake: "):
        first = first.removeprefix(prefix)
    return redact(first)[:400]


def _unavailable(text: str) -> bool:
    low = text.lower()
    return any(sign in low for sign in _UNAVAILABLE_SIGNS)


def _wrap_duckdb(exc: Exception, path: Path) -> StoreError:
    text = str(exc)
    if _unavailable(text):
        return StoreUnavailable(
            "共有データベースのサーバー（PostgreSQL）と通信できません。データは変更していません。",
            hint="サーバーが止まっているか、ネットワークが切れています。サーバーが戻れば、"
                 "「もう一度試す」でそのまま使えます（アプリの再起動は要りません）。"
                 f"（詳細: {_detail(text)}）")
    if "lock" in text.lower() or "Conflicting lock" in text:
        return StoreBusyError(
            f"データベース {path} は別のプログラムが開いています。",
            hint="アプリ（streamlit）を止めてから実行するか、同じサーバーの画面から操作してください。"
                 f"（詳細: {text.splitlines()[0][:200]}）")
    if isinstance(exc, duckdb.TransactionException) or "conflict" in text.lower():
        return StoreConflictError("他の人が同じデータを同時に更新しました。何も書き込んでいません。",
                                  hint="少し待ってから、もう一度取り込んでください。")
    return StoreError(f"データベースの処理に失敗しました: {text.splitlines()[0][:300] if text else type(exc).__name__}",
                      hint="管理者に連絡してください。データは変更していません。")


def _fault_pause_before_commit() -> None:
    """Test-only fault injection (tests/test_crash.py): with KPI_FAULT_PAUSE_BEFORE_COMMIT=seconds
    every write transaction announces itself on stderr and waits that long before COMMIT, so a
    test can kill the process while the transaction is open. Unset in normal use."""
    pause = os.environ.get("KPI_FAULT_PAUSE_BEFORE_COMMIT")
    if not pause:
        return
    import sys
    import time
    print("KPI_FAULT: paused before COMMIT", file=sys.stderr, flush=True)
    time.sleep(float(pause))


def _sql_literal(text: str) -> str:
    """For the few statements DuckDB cannot parameterise (ATTACH, SET): escape quotes."""
    return text.replace("'", "''")


class _Pin(threading.local):
    """One thread's pinned reads (Connection.pin_reads); each thread sees its own attributes."""
    on = False  # pin_reads() was called on this thread and not undone
    cursor: duckdb.DuckDBPyConnection | None = None  # the open read transaction, begun by the first read
    lent = False  # a read is using the cursor: a read inside it takes a cursor of its own
    snapshot: int | None = None  # the DuckLake snapshot id the open transaction reads


class Connection:
    """The connection part of the Store (kpi/store/store.py): open, cursors, transactions, housekeeping."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path):
        self._con = con
        self.path = path
        self._catalog: str | None = None
        self.target = str(path)  # what --db / KPI_DB said: a file path or a 'ducklake:…' target
        self._columns: dict[str, list[tuple[str, str]]] = {}
        self._pin = _Pin()
        # Small reads every page run makes (the data version, whether accounts exist), by the catalog
        # snapshot they were read at: (snapshot id, {key: value}), shared by the server's threads.
        self._by_snapshot: tuple[int, dict] = (-1, {})

    # ------------------------------------------------------------------ open
    @classmethod
    def open(cls, path: str | os.PathLike | None = None, *, read_only: bool = False,
             data_path: str | None = None) -> "Store":
        """Open (and migrate) a DuckDB file, or a shared DuckLake catalog given as 'ducklake:…'.

        path: --db, else KPI_DB, else data/kpi.duckdb. data_path (--data-path, KPI_DATA_PATH):
        the shared folder of a DuckLake catalog's table files.
        """
        target = resolve_target(path)
        if target.startswith("ducklake:"):
            return cls._open_ducklake(target, data_path)
        p = resolve_db_path(path)
        if str(p) != ":memory:":
            p.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(str(p), read_only=read_only)
        except duckdb.Error as exc:  # lock held by another process, unreadable file…
            raise _wrap_duckdb(exc, p) from exc
        store = cls(con, p)
        if not read_only:
            store.migrate()
        return store

    @classmethod
    def _open_ducklake(cls, target: str, data_path: str | None = None) -> "Store":
        """A shared catalog: 'ducklake:postgres:dbname=… host=…' (or 'ducklake:meta.duckdb').

        The extensions come from the pinned pip packages duckdb-ext-ducklake and
        duckdb-ext-postgres, loaded from their folder with automatic download off, so
        nothing is fetched at run time. Table data (Parquet) goes to the data path:
        data_path, else KPI_DATA_PATH; every server must see the same folder. A catalog
        keeps the data path it was created with, so servers may leave it unset.
        """
        import sysconfig
        ext_dir = Path(sysconfig.get_paths()["purelib"]) / "duckdb_ext" / "extensions"
        data_path = data_path or os.environ.get("KPI_DATA_PATH")
        on_postgres = target.startswith("ducklake:postgres:")
        if not data_path and not on_postgres:
            data_path = str(Path(target[len("ducklake:"):]).with_suffix("")) + "_files"
        options = f" (DATA_PATH '{_sql_literal(data_path)}')" if data_path else ""
        con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
        try:
            con.execute(f"SET extension_directory = '{_sql_literal(str(ext_dir))}'")
            con.execute("LOAD ducklake")
            if on_postgres:
                con.execute("LOAD postgres")
            # Two servers creating a new catalog at the same moment collide on its metadata
            # tables; the one that lost finds the catalog made on its next try.
            for attempt in range(5):
                try:
                    con.execute(f"ATTACH '{_sql_literal(target)}' AS kpi_lake{options}")
                    break
                except duckdb.Error as exc:
                    if attempt == 4 or _unavailable(str(exc)) or "data_path" in str(exc).lower():
                        raise
                    import time
                    time.sleep(0.2 * (attempt + 1))
        except duckdb.Error as exc:
            con.close()
            text = str(exc)
            if "data_path is not set" in text.lower():
                raise StoreError("新しい共有データベースには、データフォルダの指定が必要です。",
                                 hint="KPI_DATA_PATH（または --data-path）に、すべてのサーバーから見える共有フォルダを指定してください") from exc
            if "DATA_PATH" in text:
                raise StoreError("共有データベース（DuckLake）のデータフォルダが、作成時のものと違います。",
                                 hint="KPI_DATA_PATH（--data-path）を作成時と同じフォルダにするか、指定を外してください"
                                      f"（詳細: {_detail(text)}）") from exc
            raise StoreUnavailable(f"共有データベース（DuckLake）を開けません: {_detail(text)}",
                                   hint="接続先の設定（KPI_DB）と、PostgreSQL が動いているかを確かめてください") from exc
        store = cls(con, Path(target))
        store.target = target
        store._catalog = "kpi_lake"
        store.migrate()
        return store

    def maintain(self) -> str:
        """Housekeeping for a store that has taken many uploads; safe while servers run.

        On a shared catalog every write adds small Parquet files (one per table it touched), and
        reads open them all: merging them keeps pages fast after years of uploads. The replaced
        files stay on disk (a backup taken earlier still finds them). A file database is
        checkpointed instead.
        """
        with self._read() as cur:
            if not self.is_shared:
                cur.execute("CHECKPOINT")
                return "データベースファイルを整理しました（CHECKPOINT）。"
            before = self._data_files(cur)
            cur.execute(f"CALL ducklake_merge_adjacent_files('{self._catalog}')")
            return f"共有データベースの表のファイルをまとめました: {before} 個 → {self._data_files(cur)} 個。"

    def _data_files(self, cur: duckdb.DuckDBPyConnection) -> int:
        tables = [r[0] for r in cur.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_catalog = current_database()").fetchall()]
        return sum(cur.execute("SELECT count(*) FROM ducklake_list_files(?, ?)", [self._catalog, t]).fetchone()[0]
                   for t in tables)

    @property
    def is_shared(self) -> bool:
        """A DuckLake catalog that several servers may write to at once."""
        return self._catalog is not None

    def close(self) -> None:
        self._end_pinned()
        self._con.close()

    # ------------------------------------------------------------ pinned reads
    def pin_reads(self) -> None:
        """From now on this thread's reads share one read transaction, so one snapshot of the shared
        catalog: a page run (ui.frame.page calls this first) pays DuckLake's snapshot check once,
        not once per query, and every read of the run sees the same data version.

        The transaction begins with the run's first read and ends when this thread pins again (the
        next run on it), writes (the run's later reads see its own write), hits an error, or ends
        (Streamlit runs each page run on a script thread of its own). So the next page run always
        sees what other servers wrote meanwhile. A file store needs none of it: each query there
        sees the latest data at no cost, and reads stay as they are.
        """
        self._end_pinned()
        self._pin.on = self.is_shared

    def unpin_reads(self) -> None:
        """Back to one transaction per read on this thread (the end of pin_reads)."""
        self._end_pinned()
        self._pin.on = False

    def _snapshot_memo(self, key: str, read):
        """read(), kept by the catalog snapshot of this thread's pinned transaction.

        A snapshot never changes (every commit on any server makes a new one), so what was read at
        it holds for every later run that finds the same snapshot: a warm page run asks the catalog
        for its snapshot id (one round trip) instead of scanning a table per read (each scan fetches
        the table's file list). Without a pin (a file store, the CLI) read() runs as it is."""
        pin = self._pin
        if not pin.on or pin.lent:
            return read()
        snap = self._pinned_snapshot()
        kept, memo = self._by_snapshot
        if kept == snap and key in memo:
            return memo[key]
        value = read()
        if pin.snapshot == snap:  # read inside the same transaction, so at that snapshot
            if kept != snap:
                self._by_snapshot = kept, memo = snap, {}
            memo[key] = value
        return value

    def _pinned_snapshot(self) -> int:
        """The snapshot id of this thread's pinned transaction (begun here when there is none yet)."""
        pin = self._pin
        if pin.snapshot is None:
            with self._read() as cur:
                pin.snapshot = int(cur.execute(f"SELECT id FROM {self._catalog}.current_snapshot()").fetchone()[0])
        return pin.snapshot

    def _end_pinned(self) -> None:
        self._pin.snapshot = None
        cur, self._pin.cursor = self._pin.cursor, None
        if cur is not None:
            try:
                cur.execute("ROLLBACK")  # it only read: nothing to keep
            except duckdb.Error:
                pass
            cur.close()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        cur = self._con.cursor()
        if self._catalog is not None:
            # USE belongs to one connection; a cursor is a new one and would start in 'memory'.
            # It asks the catalog for its latest snapshot, so it is also where a server that went
            # away and came back shows: each pooled connection to it fails once ("server closed
            # the connection") and is replaced, so a few tries get a live one.
            for attempt in range(8):
                try:
                    cur.execute(f"USE {self._catalog}")
                    break
                except duckdb.Error as exc:
                    if attempt < 7 and "server closed the connection" in str(exc):
                        continue
                    cur.close()
                    raise _wrap_duckdb(exc, self.path) from exc
        return cur

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            yield cur
            _fault_pause_before_commit()
            cur.execute("COMMIT")
        except BaseException as exc:
            try:
                cur.execute("ROLLBACK")
            except duckdb.Error:
                pass
            if isinstance(exc, duckdb.Error):
                raise _wrap_duckdb(exc, self.path) from exc
            raise
        finally:
            cur.close()
            # A pinned read transaction began before this write and would not see it.
            self._end_pinned()

    @contextmanager
    def _read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        pin = self._pin
        if pin.on and not pin.lent:
            if pin.cursor is None:
                cur = self.cursor()
                try:
                    cur.execute("BEGIN TRANSACTION")
                except duckdb.Error as exc:
                    cur.close()
                    raise _wrap_duckdb(exc, self.path) from exc
                pin.cursor = cur
            pin.lent = True
            try:
                yield pin.cursor
            except duckdb.Error as exc:
                # A failed statement spoils a DuckDB transaction: the next read begins a new one.
                self._end_pinned()
                raise _wrap_duckdb(exc, self.path) from exc
            finally:
                pin.lent = False
            return
        cur = self.cursor()
        try:
            yield cur
        except duckdb.Error as exc:
            raise _wrap_duckdb(exc, self.path) from exc
        finally:
            cur.close()
