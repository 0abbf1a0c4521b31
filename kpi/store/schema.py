"""The database schema and its migrations.

No PRIMARY KEY, UNIQUE or FOREIGN KEY constraints and no sequences: the same
schema must later live in a DuckLake catalog on PostgreSQL, which has none of
them. Natural keys are kept unique by the one write path (kpi/store/store.py), and
ids come from the `counters` table, updated inside the writing transaction so
that two concurrent writers conflict instead of sharing an id.

Migrations are named, applied once each, in list order, and never edited after
they land: add a new one instead. Names (not numbers) let parallel work add
migrations without colliding. Migrations (the Store's part that applies them) runs them at open.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from kpi.errors import StoreError

MIGRATIONS: list[tuple[str, str]] = [
    ("0001_core", """
    CREATE TABLE IF NOT EXISTS counters (name VARCHAR, value BIGINT);
    CREATE TABLE IF NOT EXISTS uploads (
        upload_id BIGINT, kind VARCHAR, uploaded_by VARCHAR, uploaded_at TIMESTAMP,
        file_name VARCHAR, sha256 VARCHAR, layout VARCHAR, plan_id BIGINT, plan_name VARCHAR,
        n_insert INTEGER, n_update INTEGER, n_unchanged INTEGER, note VARCHAR,
        status VARCHAR, undone_at TIMESTAMP, undone_by VARCHAR, undo_of BIGINT);
    CREATE TABLE IF NOT EXISTS change_log (
        upload_id BIGINT, seq INTEGER, table_name VARCHAR, plan_id BIGINT, key_json VARCHAR,
        action VARCHAR, old_json VARCHAR, new_json VARCHAR);
    CREATE TABLE IF NOT EXISTS plans (
        plan_id BIGINT, name VARCHAR, municipality VARCHAR, kind VARCHAR, start_fy INTEGER, end_fy INTEGER,
        level_names VARCHAR, grading_rule VARCHAR, description VARCHAR, public BOOLEAN,
        created_at TIMESTAMP, upload_id BIGINT);
    CREATE TABLE IF NOT EXISTS nodes (
        plan_id BIGINT, path VARCHAR, depth INTEGER, level_name VARCHAR, title VARCHAR, sort INTEGER,
        upload_id BIGINT);
    CREATE TABLE IF NOT EXISTS items (
        plan_id BIGINT, item_no VARCHAR, title VARCHAR, node_path VARCHAR, current_issues VARCHAR,
        purpose VARCHAR, content VARCHAR, effect VARCHAR, qualitative_target VARCHAR, sort INTEGER,
        upload_id BIGINT);
    CREATE TABLE IF NOT EXISTS item_departments (
        plan_id BIGINT, item_no VARCHAR, department VARCHAR, is_main BOOLEAN, role VARCHAR, sort INTEGER,
        upload_id BIGINT);
    CREATE TABLE IF NOT EXISTS indicators (
        plan_id BIGINT, item_no VARCHAR, indicator VARCHAR, unit VARCHAR, direction VARCHAR,
        direction_source VARCHAR, cumulative BOOLEAN, baseline DOUBLE, baseline_fy INTEGER,
        baseline_estimated BOOLEAN, final_target DOUBLE, final_target_fy INTEGER, final_target_text VARCHAR,
        sort INTEGER, upload_id BIGINT);
    CREATE TABLE IF NOT EXISTS indicator_values (
        plan_id BIGINT, item_no VARCHAR, indicator VARCHAR, fiscal_year INTEGER, kind VARCHAR,
        value DOUBLE, is_estimate BOOLEAN, raw_text VARCHAR, upload_id BIGINT);
    CREATE TABLE IF NOT EXISTS evaluations (
        plan_id BIGINT, item_no VARCHAR, fiscal_year INTEGER, stage VARCHAR, grade VARCHAR,
        status_text VARCHAR, issues_text VARCHAR, next_text VARCHAR, upload_id BIGINT);
    CREATE TABLE IF NOT EXISTS item_status (
        plan_id BIGINT, item_no VARCHAR, fiscal_year INTEGER, status VARCHAR, mark VARCHAR, note VARCHAR,
        upload_id BIGINT);
    CREATE TABLE IF NOT EXISTS schedules (
        plan_id BIGINT, item_no VARCHAR, activity VARCHAR, fiscal_year INTEGER, mark VARCHAR, sort INTEGER,
        upload_id BIGINT);
    CREATE TABLE IF NOT EXISTS narratives (
        plan_id BIGINT, item_no VARCHAR, fiscal_year INTEGER, text VARCHAR, upload_id BIGINT);
    CREATE TABLE IF NOT EXISTS plan_notes (
        plan_id BIGINT, section VARCHAR, seq INTEGER, period_text VARCHAR, fiscal_year INTEGER,
        title VARCHAR, body VARCHAR, upload_id BIGINT);
    CREATE TABLE IF NOT EXISTS committee_opinions (
        plan_id BIGINT, item_no VARCHAR, meeting VARCHAR, seq INTEGER, meeting_date DATE,
        opinion VARCHAR, response VARCHAR, response_department VARCHAR, upload_id BIGINT);
    """),
    # Sign-in (kpi/access/auth.py): local users with argon2 password hashes; OIDC users are matched by email.
    ("0600_users", """
    CREATE TABLE IF NOT EXISTS users (
        name VARCHAR, email VARCHAR, role VARCHAR, departments VARCHAR, password_hash VARCHAR,
        active BOOLEAN, created_at TIMESTAMP, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR);
    """),
    # The 備考 of a 年度値 row (one indicator, one fiscal year), typed into the department sheet.
    # Its own table: indicator_values has a row per 計画/実績, and a note may come without a value.
    ("1400_value_notes", """
    CREATE TABLE IF NOT EXISTS value_notes (
        plan_id BIGINT, item_no VARCHAR, indicator VARCHAR, fiscal_year INTEGER, note VARCHAR, upload_id BIGINT);
    """),
    # Sign-in state shared by every server (kpi/access/auth.py): kind 'cookie_secret' (the key that signs
    # the remembered sign-in cookie), 'signed_out' (a sign-in cookie revoked by signing out, until it
    # would expire anyway), 'unlock' (an administrator cleared a name's failed sign-ins).
    ("1400_auth_state", """
    CREATE TABLE IF NOT EXISTS auth_state (
        kind VARCHAR, name VARCHAR, value VARCHAR, created_at TIMESTAMP, created_by VARCHAR, expires_at TIMESTAMP);
    """),
    # The grading rule is versioned data (kpi/rules/grading.py RULE_VERSION): mark every rule stored
    # before issue 16 as version 1, which reads with the new fields at defaults that grade exactly as
    # before. Plain string functions, the same on DuckDB and on a DuckLake catalog in PostgreSQL; a
    # rule that is not a JSON object starting '{"' is left as it is (it reads as the default rule and
    # says why, as before).
    ("1600_rule_versions", """
    UPDATE plans SET grading_rule = '{"version": 1, ' || substr(grading_rule, 2)
    WHERE grading_rule LIKE '{"%' AND grading_rule NOT LIKE '%"version":%'
    """),
    # Taught layouts (kpi/intake/layouts/profile.py): one row per named profile, its JSON as written.
    # The kind of an indicator (活動 / 対象 / 成果) as the sheet groups them; empty for the other layouts.
    ("1900_layout_profiles", """
    CREATE TABLE IF NOT EXISTS layout_profiles (
        name VARCHAR, body VARCHAR, saved_at TIMESTAMP, saved_by VARCHAR, upload_id BIGINT);
    ALTER TABLE indicators ADD COLUMN IF NOT EXISTS indicator_kind VARCHAR;
    """),
    # The yearly cycle (issue 20, kpi/cycle): a call (照会) per plan, fiscal year and stages; what each
    # department did in it (提出・確認・差し戻し・催促); period locks once a call is 確定; the plan's cycle
    # settings (show unconfirmed values, grade against the original or the revised target). Journal
    # tables (kpi/store/journal.py). The SMTP settings are the server's, not a plan's: written directly.
    ("2000_cycle", """
    CREATE TABLE IF NOT EXISTS cycle_calls (
        plan_id BIGINT, fiscal_year INTEGER, stages VARCHAR, deadline DATE, instructions VARCHAR, departments VARCHAR,
        status VARCHAR, remind_before INTEGER, remind_every INTEGER, opened_at TIMESTAMP, opened_by VARCHAR,
        closed_at TIMESTAMP, closed_by VARCHAR, upload_id BIGINT);
    CREATE TABLE IF NOT EXISTS cycle_events (
        plan_id BIGINT, fiscal_year INTEGER, stages VARCHAR, department VARCHAR, event_id VARCHAR, action VARCHAR,
        acted_at TIMESTAMP, actor VARCHAR, comment VARCHAR, refs VARCHAR, upload_id BIGINT);
    CREATE TABLE IF NOT EXISTS period_locks (
        plan_id BIGINT, fiscal_year INTEGER, stage VARCHAR, locked BOOLEAN, locked_at TIMESTAMP, locked_by VARCHAR,
        reason VARCHAR, changed_at TIMESTAMP, changed_by VARCHAR, upload_id BIGINT);
    CREATE TABLE IF NOT EXISTS plan_settings (plan_id BIGINT, name VARCHAR, value VARCHAR, upload_id BIGINT);
    CREATE TABLE IF NOT EXISTS mail_settings (name VARCHAR, value VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR);
    """),
    # Qualitative indicators (issue 16 item 8): an indicator marked 定性 has its yearly 計画/実績 as
    # words (把握 → 実施), kept in the same row per 計画/実績 as a number is, so that diff, undo, the
    # cycle's holds and period locks treat them alike. Existing rows: NULL, read as numeric, as before.
    ("2100_text_values", """
    ALTER TABLE indicators ADD COLUMN IF NOT EXISTS qualitative BOOLEAN;
    ALTER TABLE indicator_values ADD COLUMN IF NOT EXISTS text_value VARCHAR;
    """),
    # The mail settings are journalled (an upload in the history, undo puts a setting back): each row
    # knows the upload that wrote it. Rows written before keep an empty upload_id and read as before.
    ("2200_mail_journal", """
    ALTER TABLE mail_settings ADD COLUMN IF NOT EXISTS upload_id BIGINT;
    """),
]


class Migrations:
    """The Store's part that brings a database to the schema above (kpi/store/store.py composes it)."""

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
