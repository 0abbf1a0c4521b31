"""The database schema and its migrations.

No PRIMARY KEY, UNIQUE or FOREIGN KEY constraints and no sequences: the same
schema must later live in a DuckLake catalog on PostgreSQL, which has none of
them. Natural keys are kept unique by the one write path (kpi/store/store.py), and
ids come from the `counters` table, updated inside the writing transaction so
that two concurrent writers conflict instead of sharing an id.

Migrations are named, applied once each, in list order, and never edited after
they land: add a new one instead. Names (not numbers) let parallel work add
migrations without colliding.
"""

from __future__ import annotations

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
]
