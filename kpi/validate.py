"""Checks of a parsed batch against what the plan already holds.

Parsing finds what is wrong inside a sheet (text in a number cell, a year that
cannot be read); these checks find what is wrong against the plan: values for
an item or indicator nobody defined, grades outside the plan's scheme, actuals
for years that have not happened yet. Every problem names its sheet and cell.
"""

from __future__ import annotations

from datetime import date

from kpi.batch import TABLES, Batch, ChangeSet, _key_text
from kpi.errors import Problem
from kpi.fiscal import fiscal_year_of, format_fiscal_year
from kpi.grading import GradingRule, normalize_label
from kpi.store import Store


def _problem(batch: Batch, row: dict, level: str, message: str, hint: str | None = None, code: str = "") -> None:
    batch.problems.append(Problem(level, message, row.get("_sheet"), row.get("_cell"), row.get("_file") or batch.source,
                                  hint, code))


def validate_batch(batch: Batch, store: Store | None, today: date | None = None) -> None:
    today = today or date.today()
    plan = store.plan_by_name(batch.plan_name) if store and batch.plan_name else None
    known_items: set[str] = set()
    known_inds: set[tuple[str, str]] = set()
    rule = GradingRule.from_json(batch.plan.get("grading_rule")) if batch.plan.get("grading_rule") else None
    if plan is not None and store is not None:
        known_items = {r[0] for r in store.query("SELECT item_no FROM items WHERE plan_id = ?", [plan.plan_id])}
        known_inds = {(r[0], r[1]) for r in store.query(
            "SELECT item_no, indicator FROM indicators WHERE plan_id = ?", [plan.plan_id])}
        rule = rule or store.rule(plan.plan_id)
    rule = rule or GradingRule()
    items = known_items | {r["item_no"] for r in batch.table("items")}
    inds = known_inds | {(r["item_no"], r["indicator"]) for r in batch.table("indicators")}

    for table in ("indicators", "evaluations", "item_status", "schedules", "narratives", "item_departments"):
        for row in batch.table(table):
            if row["item_no"] not in items:
                _problem(batch, row, "error", f"No.{row['item_no']} という取組は、この計画にもファイルの取組シートにもありません",
                         "取組番号を確かめるか、取組シートに行を追加してください", "unknown_item")
    reported_missing: set[tuple[str, str]] = set()
    for row in batch.table("indicator_values") + batch.table("value_notes"):
        key = (row["item_no"], row["indicator"])
        if key not in inds and key not in reported_missing:
            reported_missing.add(key)
            if row["item_no"] not in items:
                _problem(batch, row, "error", f"No.{row['item_no']} という取組は、この計画にもファイルにもありません",
                         "取組番号を確かめてください", "unknown_item")
            else:
                _problem(batch, row, "error", f"No.{row['item_no']} に指標「{row['indicator']}」はありません",
                         "指標名を登録済みの名前と同じにするか、指標シートに行を追加してください", "unknown_indicator")

    if plan is not None and plan.start_fy and plan.end_fy:
        _check_period(batch, plan.start_fy, plan.end_fy)

    current = fiscal_year_of(today)
    for row in batch.table("indicator_values"):
        if row["kind"] == "actual" and row["fiscal_year"] > current:
            _problem(batch, row, "error",
                     f"{row['fiscal_year']}年度はまだ始まっていないのに実績が入っています（今日は{today:%Y年%m月%d日}）",
                     "年度を確かめてください。見込み値なら計画の欄に書いてください", "future_actual")

    allowed = set(rule.self_grade_labels)
    for row in batch.table("evaluations"):
        grade = row.get("grade")
        if not grade or row["stage"] == "上半期":
            continue
        if normalize_label(grade) not in allowed:
            _problem(batch, row, "error", f"評価「{grade}」はこの計画の評価区分（{'・'.join(rule.labels)}）にありません",
                     f"{'・'.join(rule.self_grade_labels)} のいずれかで書いてください", "bad_grade")
        else:
            row["grade"] = normalize_label(grade)


# Tables whose rows belong to one fiscal year of the plan. Narratives (the 現状 before the plan starts)
# and plan_notes (the plan's history) may precede it.
_YEAR_TABLES = ("indicator_values", "value_notes", "evaluations", "item_status", "schedules")


def _fy(fy: int) -> str:
    return f"{format_fiscal_year(fy)}（{fy}年度）"


def _check_period(batch: Batch, start: int, end: int) -> None:
    """A value for a year outside the stored plan period is almost always a typo in the year column."""
    for table in _YEAR_TABLES:
        for row in batch.table(table):
            fy = row.get("fiscal_year")
            if fy is None or start <= fy <= end:
                continue
            _problem(batch, row, "error",
                     f"{_fy(fy)}は計画期間（{format_fiscal_year(start)}〜{format_fiscal_year(end)}）の外です",
                     "年度を確かめてください。計画期間を延ばす場合は、管理者が計画の設定を変えてから取り込んでください",
                     "outside_period")


def _row_of(batch: Batch, table: str, key: tuple) -> dict | None:
    spec = TABLES[table]
    for row in batch.table(table):
        if tuple(row.get(k) for k in spec.key) == key:
            return row
    return None


def _num(v) -> str:
    if v is None:
        return "（空）"
    from kpi.numbers import format_number
    return format_number(float(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)


def target_change_problems(batch: Batch, changes: ChangeSet) -> list[Problem]:
    """A target (計画) that was already set and is changed by this file: a warning that asks for a reason.

    Covers yearly targets (年度値の計画) and an indicator's final target. Setting a target that was
    empty is not a change of plan and passes silently.
    """
    out: list[Problem] = []
    for c in changes.updates:
        if c.table == "indicator_values" and c.key[3] == "target" and "value" in c.new \
                and (c.old or {}).get("value") is not None:
            item_no, indicator, fy, _kind = c.key
            text = (f"No.{item_no}「{indicator}」{_fy(fy)}の計画が {_num(c.old['value'])} → "
                    f"{_num(c.new['value'])} に変わります")
        elif c.table == "indicators" and any(
                f in c.new and (c.old or {}).get(f) is not None for f in ("final_target", "final_target_fy")):
            item_no, indicator = c.key
            parts = [f"{label} {_num(c.old.get(f)) if f == 'final_target' else format_fiscal_year(c.old.get(f))} → "
                     f"{_num(c.new[f]) if f == 'final_target' else format_fiscal_year(c.new[f])}"
                     for f, label in (("final_target", "最終目標"), ("final_target_fy", "目標年度"))
                     if f in c.new and (c.old or {}).get(f) is not None]
            text = f"No.{item_no}「{indicator}」の{'、'.join(parts)} に変わります"
        else:
            continue
        row = _row_of(batch, c.table, c.key) or {}
        out.append(Problem("warning", text + "（一度決めた目標の変更です）", row.get("_sheet"), row.get("_cell"),
                           row.get("_file") or batch.source, "変更してよければ、変更の理由を書いてから取り込んでください",
                           "target_changed"))
    return out


# Rows that one upload must not say twice: the same value reported by two files is ambiguous.
_ONCE_TABLES = ("indicator_values", "value_notes", "evaluations", "item_status", "narratives", "schedules")


def cross_file_problems(batches: list[Batch]) -> list[Problem]:
    """Duplicates across the files of one upload: the same plan, table and key in two files.

    Different values are an error (which file is right?); the same value twice is a warning.
    """
    out: list[Problem] = []
    seen: dict[tuple, tuple[Batch, dict]] = {}
    for batch in batches:
        for table in _ONCE_TABLES:
            spec = TABLES[table]
            for row in batch.table(table):
                key = (batch.plan_name, table) + tuple(row.get(k) for k in spec.key)
                if key not in seen:
                    seen[key] = (batch, row)
                    continue
                first_batch, first = seen[key]
                if first_batch is batch:
                    continue  # within one file: the importer reports it with both rows
                same = all(first.get(f) == row.get(f) for f in spec.fields)
                where = " ".join(p for p in (f"ファイル「{first.get('_file') or first_batch.source}」",
                                             f"シート「{first['_sheet']}」" if first.get("_sheet") else "",
                                             f"セル {first['_cell']}" if first.get("_cell") else "") if p)
                label = spec.label or table
                what = " ".join(_key_text(table, key[2:]))
                if same:
                    out.append(Problem("warning", f"{label}（{what}）は {where} にも同じ値があります", row.get("_sheet"),
                                       row.get("_cell"), row.get("_file") or batch.source,
                                       "同じファイルを2回選んでいないか確かめてください", "duplicate_across_files"))
                else:
                    out.append(Problem("error", f"{label}（{what}）が {where} と違う値で2回あります", row.get("_sheet"),
                                       row.get("_cell"), row.get("_file") or batch.source,
                                       "どちらが正しいか確かめ、片方のファイルから消してください", "duplicate_across_files"))
    return out
