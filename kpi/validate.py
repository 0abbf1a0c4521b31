"""Checks of a parsed batch against what the plan already holds.

Parsing finds what is wrong inside a sheet (text in a number cell, a year that
cannot be read); these checks find what is wrong against the plan: values for
an item or indicator nobody defined, grades outside the plan's scheme, actuals
for years that have not happened yet. Every problem names its sheet and cell.
"""

from __future__ import annotations

from datetime import date

from kpi.batch import Batch
from kpi.errors import Problem
from kpi.fiscal import fiscal_year_of
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
    for row in batch.table("indicator_values"):
        key = (row["item_no"], row["indicator"])
        if key not in inds and key not in reported_missing:
            reported_missing.add(key)
            if row["item_no"] not in items:
                _problem(batch, row, "error", f"No.{row['item_no']} という取組は、この計画にもファイルにもありません",
                         "取組番号を確かめてください", "unknown_item")
            else:
                _problem(batch, row, "error", f"No.{row['item_no']} に指標「{row['indicator']}」はありません",
                         "指標名を登録済みの名前と同じにするか、指標シートに行を追加してください", "unknown_indicator")

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
