"""The one way into the database: opening, migrating, reading, and the write path.

Every write goes through Store.apply(): it compares a Batch with what is
stored, writes only what changed inside one transaction, records the upload
(who, when, file, sha256) and keeps the previous value of anything it
overwrites in change_log. A refused or failed write leaves nothing behind.

Threads: one Store (one DuckDB connection) is shared; every query and every
transaction runs on its own cursor(), as DuckDB requires across threads.
"""

from __future__ import annotations

import json
import math
import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterator

import duckdb
import pyarrow as pa

from kpi.errors import AmbiguousPlan, NotFound, StoreBusyError, StoreConflictError, StoreError, StoreUnavailable
from kpi.rules.bounds import MAX_ABS_NUMBER
from kpi.rules.grading import GradingRule
from kpi.rules.model import Department, Evaluation, Indicator, Item, PlanData, PlanInfo, YearValue
from kpi.rules.plan_names import normalize_plan_name
from kpi.store.journal import PLAN_FIELDS, TABLE_ORDER, TABLES, Batch, Change, ChangeSet
from kpi.store.schema import MIGRATIONS

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # kpi/store/store.py → the repository
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


class Store:
    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path):
        self._con = con
        self.path = path
        self._catalog: str | None = None
        self.target = str(path)  # what --db / KPI_DB said: a file path or a 'ducklake:…' target
        self._columns: dict[str, list[tuple[str, str]]] = {}

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
        Store.open(src_path).close()  # brings the file to the same schema version as this store
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
        self._con.close()

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

    # ------------------------------------------------------------- migrations
    def migrate(self) -> list[str]:
        """Bring an existing database up to date in place; returns what was applied.

        Servers starting together on one shared catalog race to apply the same migration;
        the loser's transaction is refused as a conflict and it starts over, finding the
        migration done.
        """
        import time
        for attempt in range(8):
            try:
                return self._migrate_once()
            except (StoreError, duckdb.Error) as exc:
                text = str(exc).lower()
                if attempt == 7 or not ("conflict" in text or "already exists" in text or "duplicate" in text):
                    raise
                time.sleep(0.1 * (attempt + 1))
        raise AssertionError("unreachable")

    def _migrate_once(self) -> list[str]:
        cur = self.cursor()
        try:
            cur.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR, applied_at TIMESTAMP)")
            done = {r[0] for r in cur.execute("SELECT name FROM schema_migrations").fetchall()}
            applied = []
            for name, sql in MIGRATIONS:
                if name in done:
                    continue
                cur.execute("BEGIN TRANSACTION")
                try:
                    for stmt in [s.strip() for s in sql.split(";") if s.strip()]:
                        cur.execute(stmt)
                    # Seeded in the transaction that creates the tables: on a shared catalog two
                    # servers racing here conflict on CREATE TABLE, so only one seeds.
                    self._seed_counters(cur)
                    cur.execute("INSERT INTO schema_migrations VALUES (?, ?)", [name, datetime.now()])
                    cur.execute("COMMIT")
                except duckdb.Error as exc:
                    try:
                        cur.execute("ROLLBACK")
                    except duckdb.Error:
                        pass  # a refused COMMIT has rolled back already
                    raise StoreError(f"データベースの更新（{name}）に失敗しました: {exc}",
                                     hint="データベースのバックアップから戻してください") from exc
                applied.append(name)
            if not applied:
                self._seed_counters(cur)  # a database from before counters existed
            self._columns.clear()
            return applied
        finally:
            cur.close()

    @staticmethod
    def _seed_counters(cur: duckdb.DuckDBPyConnection) -> None:
        tables = {r[0] for r in cur.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_catalog = current_database()").fetchall()}
        if not {"counters", "uploads", "plans"} <= tables:
            return
        for counter, source in (("upload", "SELECT coalesce(max(upload_id), 0) FROM uploads"),
                                ("plan", "SELECT coalesce(max(plan_id), 0) FROM plans")):
            if not cur.execute("SELECT 1 FROM counters WHERE name = ?", [counter]).fetchone():
                cur.execute("INSERT INTO counters VALUES (?, ?)", [counter, cur.execute(source).fetchone()[0]])

    def applied_migrations(self) -> list[str]:
        with self._read() as cur:
            return [r[0] for r in cur.execute("SELECT name FROM schema_migrations ORDER BY applied_at, name").fetchall()]

    def columns(self, table: str) -> list[tuple[str, str]]:
        if table not in self._columns:
            with self._read() as cur:
                rows = cur.execute(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_name = ? AND table_catalog = current_database() ORDER BY ordinal_position",
                    [table]).fetchall()
            self._columns[table] = [(r[0], r[1]) for r in rows]
        return self._columns[table]

    @contextmanager
    def _read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self.cursor()
        try:
            yield cur
        except duckdb.Error as exc:
            raise _wrap_duckdb(exc, self.path) from exc
        finally:
            cur.close()

    # ------------------------------------------------------------------ reads
    def is_empty(self) -> bool:
        with self._read() as cur:
            return cur.execute("SELECT count(*) FROM plans").fetchone()[0] == 0

    def _plan_from_row(self, r: tuple) -> PlanInfo:
        return PlanInfo(plan_id=r[0], name=r[1], municipality=r[2] or "", kind=r[3] or "", start_fy=r[4], end_fy=r[5],
                        level_names=tuple(json.loads(r[6])) if r[6] else (), description=r[7] or "",
                        public=bool(r[8]))

    _PLAN_COLS = "plan_id, name, municipality, kind, start_fy, end_fy, level_names, description, public"

    def plans(self) -> list[PlanInfo]:
        with self._read() as cur:
            rows = cur.execute(f"SELECT {self._PLAN_COLS} FROM plans ORDER BY plan_id").fetchall()
        return [self._plan_from_row(r) for r in rows]

    def plan(self, plan_id: int) -> PlanInfo:
        with self._read() as cur:
            r = cur.execute(f"SELECT {self._PLAN_COLS} FROM plans WHERE plan_id = ?", [plan_id]).fetchone()
        if r is None:
            raise NotFound(f"計画（ID {plan_id}）はありません")
        return self._plan_from_row(r)

    def plans_named(self, name: str) -> list[PlanInfo]:
        """Every plan whose name is the same as name once both are normalised (kpi/rules/plan_names.py);
        one written exactly so comes first. More than one only in a database that stored two
        look-alike names before names were normalised."""
        with self._read() as cur:
            return [self._plan_from_row(r) for r in _plans_named(cur, self._PLAN_COLS, name)]

    def plan_by_name(self, name: str) -> PlanInfo | None:
        """The plan a person means by name (a sheet's 計画名, --plan, the upload page), or None.

        Raises AmbiguousPlan, naming the candidates, when several plans fit and none is written
        exactly as given."""
        with self._read() as cur:
            r = _one_plan_named(cur, self._PLAN_COLS, name)
        return self._plan_from_row(r) if r else None

    def require_plan(self, name: str) -> PlanInfo:
        """plan_by_name, or NotFound listing the registered plans."""
        info = self.plan_by_name(name)
        if info is None:
            names = "、".join(f"「{p.name}」" for p in self.plans()[:10]) or "（まだありません）"
            raise NotFound(f"計画「{name}」はありません", hint=f"登録されている計画: {names}")
        return info

    def rule(self, plan_id: int) -> GradingRule:
        """The plan's grading rule. A stored rule that cannot be read (written by hand or by an
        older version) never stops a page or an export: the default rule is used and
        GradingRule.notice says so, naming the plan."""
        with self._read() as cur:
            r = cur.execute("SELECT grading_rule, name FROM plans WHERE plan_id = ?", [plan_id]).fetchone()
        if r is None:
            raise NotFound(f"計画（ID {plan_id}）はありません")
        return rule_of(r[0], r[1])

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        """A parameterised read for pages and exports (never string-built values)."""
        with self._read() as cur:
            return cur.execute(sql, params or []).fetchall()

    def query_df(self, sql: str, params: list[Any] | None = None):
        with self._read() as cur:
            return cur.execute(sql, params or []).df()

    def load_plan(self, plan_id: int) -> PlanData:
        info = self.plan(plan_id)
        with self._read() as cur:
            p = [plan_id]
            nodes = cur.execute("SELECT path FROM nodes WHERE plan_id = ? ORDER BY depth, sort, path", p).fetchall()
            items = cur.execute(
                "SELECT item_no, title, node_path, current_issues, purpose, content, effect, qualitative_target, sort "
                "FROM items WHERE plan_id = ?", p).fetchall()
            depts = cur.execute(
                "SELECT item_no, department, is_main, role FROM item_departments WHERE plan_id = ? ORDER BY item_no, sort",
                p).fetchall()
            inds = cur.execute(
                "SELECT item_no, indicator, unit, direction, direction_source, cumulative, baseline, baseline_fy, "
                "baseline_estimated, final_target, final_target_fy, final_target_text, sort "
                "FROM indicators WHERE plan_id = ? ORDER BY item_no, sort", p).fetchall()
            vals = cur.execute(
                "SELECT item_no, indicator, fiscal_year, kind, value, is_estimate, raw_text "
                "FROM indicator_values WHERE plan_id = ?", p).fetchall()
            notes = cur.execute("SELECT item_no, indicator, fiscal_year, note FROM value_notes WHERE plan_id = ?",
                                p).fetchall()
            evals = cur.execute(
                "SELECT item_no, fiscal_year, stage, grade, status_text, issues_text, next_text "
                "FROM evaluations WHERE plan_id = ? ORDER BY fiscal_year", p).fetchall()
            stats = cur.execute(
                "SELECT item_no, fiscal_year, status, note FROM item_status WHERE plan_id = ? ORDER BY fiscal_year",
                p).fetchall()

        notices: list[str] = []

        def number(v: Any, what: str) -> float | None:
            # A value stored before values were bounded (inf, nan, 1e308) must not become 達成率 inf %
            # or an export of nan: it is shown as missing, and the page says which record it is.
            if v is None or (isinstance(v, (int, float)) and math.isfinite(v) and abs(v) < MAX_ABS_NUMBER):
                return v
            if len(notices) < 20:
                notices.append(f"{what}に保存されている値（{v:g}）は扱える数値ではないため、空欄として扱います")
            return None

        def where(item_no: str, ind: str, fy: int | None = None) -> str:
            no = item_no if len(item_no) <= 20 else f"{item_no[:20]}…"
            return f"No.{no}「{ind}」" + (f"{fy}年度の" if fy is not None else "の")

        vals = [(i, n, fy, k, number(v, where(i, n, fy) + ("計画" if k == "target" else "実績")), e, raw)
                for i, n, fy, k, v, e, raw in vals]
        inds = [(*r[:6], number(r[6], where(r[0], r[1]) + "基準値"), *r[7:9],
                 number(r[9], where(r[0], r[1]) + "最終目標"), *r[10:]) for r in inds]
        by_item_depts: dict[str, list[Department]] = {}
        for item_no, dept, is_main, role in depts:
            by_item_depts.setdefault(item_no, []).append(Department(dept, bool(is_main), role or "担当"))
        values: dict[tuple[str, str], dict[int, dict[str, Any]]] = {}
        for item_no, ind, fy, kind, value, est, raw in vals:
            slot = values.setdefault((item_no, ind), {}).setdefault(fy, {})
            slot[kind] = (value, bool(est), raw)
        for item_no, ind, fy, note in notes:
            values.setdefault((item_no, ind), {}).setdefault(fy, {})["note"] = note
        by_item_inds: dict[str, list[Indicator]] = {}
        for r in inds:
            item_no, name = r[0], r[1]
            years = []
            for fy, kinds in sorted(values.get((item_no, name), {}).items()):
                t = kinds.get("target", (None, False, None))
                a = kinds.get("actual", (None, False, None))
                years.append(YearValue(fy, t[0], a[0], t[1], a[1], t[2], a[2], kinds.get("note")))
            by_item_inds.setdefault(item_no, []).append(Indicator(
                name=name, unit=r[2] or "", direction=r[3] or "higher", direction_source=r[4] or "default",
                cumulative=bool(r[5]), baseline=r[6], baseline_fy=r[7], baseline_estimated=bool(r[8]),
                final_target=r[9], final_target_fy=r[10], final_target_text=r[11], years=tuple(years),
                sort=r[12] or 0))
        by_item_evals: dict[str, list[Evaluation]] = {}
        for item_no, fy, stage, grade, st, iss, nxt in evals:
            by_item_evals.setdefault(item_no, []).append(Evaluation(fy, stage, grade, st, iss, nxt))
        by_item_status: dict[str, list[tuple[int | None, str, str | None]]] = {}
        for item_no, fy, status, note in stats:
            by_item_status.setdefault(item_no, []).append((fy, status, note))
        out = []
        for r in items:
            item_no = r[0]
            out.append(Item(
                item_no=item_no, title=r[1] or "", node_path=tuple(json.loads(r[2])) if r[2] else (),
                departments=tuple(by_item_depts.get(item_no, ())), current_issues=r[3], purpose=r[4], content=r[5],
                effect=r[6], qualitative_target=r[7], indicators=tuple(by_item_inds.get(item_no, ())),
                evaluations=tuple(by_item_evals.get(item_no, ())), statuses=tuple(by_item_status.get(item_no, ())),
                sort=r[8] or 0))
        out.sort(key=lambda it: (it.sort, natural_key(it.item_no)))
        return PlanData(info, tuple(out), tuple(tuple(json.loads(n[0])) for n in nodes), tuple(notices))

    def item_departments(self, plan_id: int | None, item_no: str) -> set[str]:
        if plan_id is None:
            return set()
        with self._read() as cur:
            rows = cur.execute("SELECT department FROM item_departments WHERE plan_id = ? AND item_no = ?",
                               [plan_id, item_no]).fetchall()
        return {r[0] for r in rows}

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

    def change_log(self, upload_id: int) -> list[dict[str, Any]]:
        with self._read() as cur:
            rows = cur.execute(
                "SELECT seq, table_name, plan_id, key_json, action, old_json, new_json FROM change_log "
                "WHERE upload_id = ? ORDER BY seq", [upload_id]).fetchall()
        return [{"seq": r[0], "table": r[1], "plan_id": r[2], "key": json.loads(r[3]), "action": r[4],
                 "old": json.loads(r[5]) if r[5] else None, "new": json.loads(r[6]) if r[6] else None} for r in rows]

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
        changes: list[Change] = []
        ops: dict[str, dict[str, list]] = {}
        for table in TABLE_ORDER:
            rows = batch.table(table)
            if not rows:
                continue
            spec = TABLES[table]
            if plan_id is None:
                existing = {}
            elif held is not None:
                existing = held.existing(plan_id, table)
            else:
                existing = self._existing(cur, table, plan_id)
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
            ops[table] = {"insert": list(inserts.values()),
                          "update": [(key, old, new, existing[key]) for key, (old, new) in updates.items()]}
        cs = ChangeSet(plan_name, plan_id is None, plan_changes, tuple(changes))
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
                   check: Callable[[ChangeSet, int | None], None] | None = None) -> list[ApplyResult]:
        """Write several batches (one upload record each) in a single transaction: all or nothing."""
        from kpi.errors import ImportRefused
        for batch in batches:
            if batch.errors:
                raise ImportRefused(batch.problems)

        def write() -> list[ApplyResult]:
            with self.transaction() as cur:
                return [self._apply_in(cur, batch, meta, check) for batch, meta in zip(batches, metas)]
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
                  check: Callable[[ChangeSet, int | None], None] | None) -> ApplyResult:
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
        for table in TABLE_ORDER:
            if table not in ops:
                continue
            spec = TABLES[table]
            ins = [{**r, "plan_id": plan_id, "upload_id": upload_id} for r in ops[table]["insert"]]
            self._insert_rows(cur, table, ins)
            for r in ops[table]["insert"]:
                log.append({"table_name": table, "key": {k: r.get(k) for k in spec.key}, "action": "insert",
                            "old": None, "new": {k: v for k, v in r.items() if k not in spec.key}})
            self._update_rows(cur, table, plan_id, upload_id, ops[table]["update"])
            for key, old, new, _existing in ops[table]["update"]:
                log.append({"table_name": table, "key": dict(zip(spec.key, key)), "action": "update",
                            "old": old, "new": new})
        self._insert_rows(cur, "change_log", [
            {"upload_id": upload_id, "seq": i, "table_name": e["table_name"], "plan_id": plan_id,
             "key_json": _dumps(e["key"]), "action": e["action"], "old_json": _dumps(e["old"]),
             "new_json": _dumps(e["new"])}
            for i, e in enumerate(log)])
        self._insert_rows(cur, "uploads", [{
            "upload_id": upload_id, "kind": meta.kind, "uploaded_by": meta.user, "uploaded_at": now,
            "file_name": meta.file_name, "sha256": meta.sha256, "layout": meta.layout or batch.layout,
            "plan_id": plan_id, "plan_name": cs.plan_name, "n_insert": len(cs.inserts),
            "n_update": cs.n_updates, "n_unchanged": len(cs.unchanged), "note": meta.note,
            "status": "applied"}])
        return ApplyResult(upload_id, cs, plan_id)


# A plan as the diff compares it: plan_id, then PLAN_ROW_COLS.
PLAN_ROW_COLS = f"name, {', '.join(PLAN_FIELDS)}"


class Held:
    """What a diff compares with, when it was read beforehand (kpi.store.intake_reads.PlanContext)."""

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
        log: list[dict[str, Any]] = []
        deleted = restored = 0
        for e in reversed(entries):  # children before parents, the plan row last
            table, key, plan_id = e["table"], e["key"], e["plan_id"]
            types = dict(store.columns(table))
            if table == "plans":
                where, params = "plan_id = ?", [plan_id]
            else:
                spec = TABLES[table]
                where = " AND ".join(["plan_id = ?"] + [f"{k} IS NOT DISTINCT FROM CAST(? AS {types[k]})" for k in spec.key])
                params = [plan_id] + [key.get(k) for k in spec.key]
            cols = [c for c in types if c not in ("upload_id",)]
            current = cur.execute(f"SELECT {', '.join(cols)} FROM {table} WHERE {where}", params).fetchone()
            if e["action"] == "insert":
                cur.execute(f"DELETE FROM {table} WHERE {where}", params)
                deleted += 1
                log.append({"table_name": table, "key": key, "action": "delete",
                            "old": dict(zip(cols, current)) if current else None, "new": None})
            elif e["action"] == "update" and e["old"]:
                fields = [f for f in e["old"] if f in types]
                sets = ", ".join(f"{f} = CAST(? AS {types[f]})" for f in fields)
                cur.execute(f"UPDATE {table} SET {sets}, upload_id = ? WHERE {where}",
                            [e["old"][f] for f in fields] + [new_id] + params)
                restored += 1
                now_vals = dict(zip(cols, current)) if current else {}
                log.append({"table_name": table, "key": key, "action": "update",
                            "old": {f: now_vals.get(f) for f in fields}, "new": {f: e["old"][f] for f in fields}})
        store._insert_rows(cur, "change_log", [
            {"upload_id": new_id, "seq": i, "table_name": e["table_name"], "plan_id": rec.plan_id,
             "key_json": _dumps(e["key"]), "action": e["action"], "old_json": _dumps(e["old"]),
             "new_json": _dumps(e["new"])} for i, e in enumerate(log)])
        store._insert_rows(cur, "uploads", [{
            "upload_id": new_id, "kind": meta.kind, "uploaded_by": meta.user, "uploaded_at": now,
            "file_name": rec.file_name, "sha256": None, "layout": rec.layout, "plan_id": rec.plan_id,
            "plan_name": rec.plan_name, "n_insert": 0, "n_update": restored, "n_unchanged": 0, "note": meta.note,
            "status": "applied", "undo_of": upload_id}])
        cur.execute("UPDATE uploads SET status = 'undone', undone_at = ?, undone_by = ? WHERE upload_id = ?",
                    [now, meta.user, upload_id])
    return RevertResult(new_id, upload_id, deleted, restored)


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


def rule_of(text: str | None, plan_name: str) -> GradingRule:
    """A stored grading rule; one that cannot be read is the default, with a notice naming the plan."""
    rule = GradingRule.from_json(text)
    if rule.notice:
        from dataclasses import replace
        rule = replace(rule, notice=f"計画「{plan_name}」: {rule.notice}")
    return rule


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
