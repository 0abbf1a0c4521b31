"""Checks of a parsed batch against what the plan already holds.

Parsing finds what is wrong inside a sheet (text in a number cell, a year that
cannot be read); these checks find what is wrong against the plan: values for
an item or indicator nobody defined, grades outside the plan's scheme, actuals
for years that have not happened yet. Every problem names its sheet and cell.
"""

from __future__ import annotations

import json
import re
from datetime import date
from itertools import repeat
from operator import itemgetter
from typing import Any

from kpi.errors import Problem
from kpi.rules.bounds import (
    MAX_ABS_NUMBER,
    MAX_ITEM_NO,
    MAX_NAME,
    MAX_TEXT,
    MAX_TITLE,
    bad_character,
    number_problem,
    shown,
    text_problem,
)
from kpi.rules.fiscal import MAX_YEAR, MIN_YEAR, fiscal_year_of, format_fiscal_year
from kpi.rules.grading import GradingRule, match_self_label
from kpi.store.intake_reads import PlanContext
from kpi.store.change_words import key_words
from kpi.store.journal import FIELD_LABELS, TABLES, Batch, ChangeSet


def _problem(batch: Batch, row: dict, level: str, message: str, hint: str | None = None, code: str = "") -> None:
    batch.problems.append(Problem(level, message, row.get("_sheet"), row.get("_cell"), row.get("_file") or batch.source,
                                  hint, code))


def validate_batch(batch: Batch, plans: PlanContext | None, today: date | None = None) -> None:
    """Checks against the plan, as the upload's PlanContext holds it (None: a plan not yet stored).
    Run after check_bounds, so a file's grading rule (when it is to be applied at all) has been
    checked and stored in batch.plan in its canonical form."""
    today = today or date.today()
    plan = plans.plan_named(batch.plan_name) if plans is not None else None
    known_items: set[str] = set()
    known_inds: set[tuple[str, str]] = set()
    # The grades are checked against the rule the plan will have after this file: its own, or the
    # file's when the file is allowed to set it (a new plan, an administrator's upload).
    file_rule = GradingRule.from_json(batch.plan["grading_rule"]) if batch.plan.get("grading_rule") else None
    stored_rule = None
    if plan is not None and plans is not None:
        known_items = plans.item_nos(plan.plan_id)
        known_inds = plans.indicators(plan.plan_id)
        stored_rule = plans.rule(plan.plan_id)
    rule = file_rule or stored_rule or GradingRule()
    items = known_items | {r["item_no"] for r in batch.table("items")}
    inds = known_inds | {(r["item_no"], r["indicator"]) for r in batch.table("indicators")}

    for table in ("indicators", "evaluations", "item_status", "schedules", "narratives", "item_departments"):
        for row in batch.table(table):
            if row["item_no"] not in items:
                _problem(batch, row, "error", f"No.{row['item_no']} という取組は、この計画にもファイルの取組シートにもありません",
                         "取組番号を確かめるか、取組シートに行を追加してください", "unknown_item")
    reported_missing: set[tuple[str, str]] = set()
    valued = batch.table("indicator_values") + batch.table("value_notes")
    # the rows are told one by one only when some (No., indicator) is not known: one look per row otherwise
    for row in valued if not set(map(itemgetter("item_no", "indicator"), valued)) <= inds else ():
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
    for row in batch.table("indicator_values") if _years_after(batch.table("indicator_values"), current) else ():
        if row["kind"] == "actual" and row["fiscal_year"] > current:
            _problem(batch, row, "error",
                     f"{row['fiscal_year']}年度はまだ始まっていないのに実績が入っています（今日は{today:%Y年%m月%d日}）",
                     "年度を確かめてください。見込み値なら計画の欄に書いてください", "future_actual")

    grades = [row for row in batch.table("evaluations") if row.get("grade") and row["stage"] != "上半期"]
    if (file_rule is not None and stored_rule is not None and file_rule != stored_rule and grades
            and any(match_self_label(file_rule, r["grade"]) is None for r in grades)
            and all(match_self_label(stored_rule, r["grade"]) is not None for r in grades)):
        # The self-grades follow the plan's own rule, not the file's 評価方式 cell (the blank template
        # carries one): keep the plan's rule and take the grades in, saying so.
        where = batch.plan_where.get("grading_rule", {})
        batch.plan.pop("grading_rule", None)
        batch.problems.append(Problem(
            "warning", f"評価がこの計画の評価区分（{'・'.join(stored_rule.labels)}）で書かれているため、"
                       f"ファイルの評価方式「{file_rule.name}」は反映せず、この計画の評価方式「{stored_rule.name}」のまま取り込みます",
            where.get("_sheet"), where.get("_cell"), where.get("_file") or batch.source,
            "評価方式を変えるときは、評価も新しい区分で書いてください", "settings_ignored"))
        file_rule, rule = None, stored_rule
    if file_rule is not None and stored_rule is not None and file_rule != stored_rule:
        # The file changes the plan's rule (an administrator's upload): say which scheme refuses the grade.
        scheme = (f"ファイルの評価方式「{file_rule.name}」の区分（{'・'.join(file_rule.labels)}）にありません"
                  f"（この計画の今の区分は {'・'.join(stored_rule.labels)}）")
        hint = (f"{'・'.join(rule.self_grade_labels)} のいずれかで書くか、評価方式を今のままにするなら"
                f"「計画」シートの評価方式を消してください")
    else:
        scheme = f"この計画の評価区分（{'・'.join(rule.labels)}）にありません"
        hint = f"{'・'.join(rule.self_grade_labels)} のいずれかで書いてください"
    for row in batch.table("evaluations"):
        grade = row.get("grade")
        if not grade or row["stage"] == "上半期":
            continue
        label = match_self_label(rule, grade)
        if label is None:
            _problem(batch, row, "error", f"評価「{shown(grade)}」は{scheme}", hint, "bad_grade")
        else:
            row["grade"] = label


# ------------------------------------------------------------------ bounds of every field a file brings

# Text fields by how long they may be (kpi/rules/bounds.py says why); any other text field is prose (MAX_TEXT).
_ITEM_NO_FIELDS = ("item_no",)
_NAME_FIELDS = ("indicator", "unit", "department", "role", "activity", "stage", "kind", "grade", "status", "mark",
                "level_name", "section", "meeting", "response_department", "direction", "direction_source",
                "period_text")
_TITLE_FIELDS = ("title",)
_YEAR_FIELDS = ("fiscal_year", "baseline_fy", "final_target_fy")
_JSON_LISTS = ("path", "node_path")  # hierarchy paths: JSON lists of titles
_PLAN_TEXT = {"municipality": MAX_NAME, "kind": MAX_NAME, "description": MAX_TEXT}
_LABELS = {**FIELD_LABELS, "item_no": "No.", "indicator": "指標名", "department": "担当課", "activity": "実施内容",
           "stage": "段階", "kind": "種類", "raw_text": "値", "section": "区分", "meeting": "会議", "seq": "番号",
           "path": "体系", "sort": "順番"}
_PLAN_LABELS = {"name": "計画名", "municipality": "自治体", "kind": "種類", "description": "説明",
                "level_names": "階層名", "start_fy": "開始年度", "end_fy": "終了年度", "grading_rule": "評価方式"}


def _max_len(field: str) -> int:
    if field in _ITEM_NO_FIELDS:
        return MAX_ITEM_NO
    if field in _NAME_FIELDS:
        return MAX_NAME
    if field in _TITLE_FIELDS:
        return MAX_TITLE
    return MAX_TEXT


def _same_text(raw: Any, value: str) -> bool:
    if not isinstance(raw, str):
        return False
    from kpi.intake.keys import item_number
    from kpi.intake.workbook import clean_text, tidy_text
    return value in (raw, raw.strip(), tidy_text(raw), clean_text(raw), item_number(raw)) or value in raw


def _same_number(raw: Any, value: float) -> bool:
    from kpi.rules.numbers import parse_number
    p = parse_number(raw)
    if not p.is_number or p.value is None:
        return False
    return p.value == value or (number_problem(p.value) is not None and number_problem(value) is not None)


def _cell_of(wb, row: dict, match, budget: list[int]) -> str | None:
    """The cell a bad value came from: a row keeps one cell (its No. or its value), so the
    row it names is searched first, then (for the first few problems: a hostile file may bring
    thousands) the whole sheet; else the row's own cell."""
    anchor = row.get("_cell")
    sheet = wb.sheet(row["_sheet"]) if wb is not None and row.get("_sheet") else None
    if sheet is None:
        return anchor
    from kpi.intake.workbook import coord
    m = re.fullmatch(r"[A-Z]+(\d+)", anchor or "")
    if m:
        r = int(m.group(1))
        for c in range(1, sheet.max_col + 1):
            if match(sheet.raw(r, c)):
                return coord(r, c)
    if budget[0] <= 0:
        return anchor
    budget[0] -= 1
    for r, c, v in sheet.iter_nonempty():
        if match(v):
            return coord(r, c)
    return anchor


def _subject(table: str, row: dict) -> str:
    """'No.1「件数」2021年度の' : whose field it is, before the field's name."""
    parts = [f"No.{shown(row['item_no'])}" if row.get("item_no") is not None else ""]
    if row.get("indicator") and table in ("indicators", "indicator_values"):
        parts.append(f"「{shown(row['indicator'])}」")
    if isinstance(row.get("fiscal_year"), int) and table != "indicators":
        parts.append(f"{row['fiscal_year']}年度")
    text = "".join(p for p in parts if p)
    if not text:
        return ""
    return f"{text} の" if text[-1].isascii() else f"{text}の"


_TABLE_LABELS = {("items", "title"): "取組名", ("nodes", "title"): "体系", ("plan_notes", "title"): "見出し",
                 ("evaluations", "grade"): "評価"}


def _label(table: str, row: dict, field: str) -> str:
    if table == "indicator_values" and field in ("value", "raw_text"):
        return {"target": "計画", "actual": "実績"}.get(row.get("kind"), "値")
    return _TABLE_LABELS.get((table, field)) or _LABELS.get(field, field)


def check_bounds(batch: Batch, wb=None) -> None:
    """Refuse, naming sheet and cell, every field of the batch outside the bounds of kpi/rules/bounds.py,
    and check the plan settings the file brings with the settings page's own code. Run by
    kpi.intake.pipeline.prepare on every batch of every layout, before anything is compared."""
    budget = [20]  # whole-sheet searches for a cell
    for table, rows in batch.rows.items():
        for row, field in _to_look_at(rows):
            v = row[field]
            why = None
            if isinstance(v, str):
                texts = [v]
                if field in _JSON_LISTS:
                    try:
                        texts = [str(t) for t in json.loads(v)]
                    except (ValueError, TypeError):
                        texts = [v]
                for t in texts:
                    why = text_problem(t, MAX_TITLE if field in _JSON_LISTS else _max_len(field))
                    if why:
                        cell = _cell_of(wb, row, lambda raw, t=t: _same_text(raw, t), budget)
                        break
            elif isinstance(v, (int, float)):
                if field in _YEAR_FIELDS:
                    if not (isinstance(v, int) and MIN_YEAR <= v <= MAX_YEAR):
                        why, cell = f"年度として扱えません（{MIN_YEAR}〜{MAX_YEAR}年度）", row.get("_cell")
                else:
                    why = number_problem(v)
                    if why:
                        cell = _cell_of(wb, row, lambda raw, v=v: _same_number(raw, v), budget)
            if why:
                batch.problems.append(Problem(
                    "error", f"{_subject(table, row)}{_label(table, row, field)}: {why}", row.get("_sheet"), cell,
                    row.get("_file") or batch.source, _bound_hint(why), "out_of_bounds"))
    _check_plan_settings(batch)


def _plain(field: str, v: Any) -> bool:
    """A value check_bounds need not look at twice: none, a flag, the usual short text, a number of
    ordinary size (nan fails the comparison), a year in range, a date."""
    if v is None or isinstance(v, bool):
        return True
    if isinstance(v, str):
        return field not in _JSON_LISTS and len(v) <= MAX_ITEM_NO and not bad_character(v)
    if isinstance(v, (int, float)):
        if field in _YEAR_FIELDS:
            return isinstance(v, int) and MIN_YEAR <= v <= MAX_YEAR
        return -MAX_ABS_NUMBER < v < MAX_ABS_NUMBER
    return True  # dates and the like have no bounds here


def _to_look_at(rows: list[dict]) -> list[tuple[dict, str]]:
    """(row, field) of every public field whose value is not _plain, in row order and each row's field
    order (the order its problems are told in). Column by column: each distinct value of a field is
    judged once, so a 100,000-row table costs a pass per column, not a check per cell."""
    found: list[tuple[int, int, dict, str]] = []
    for field in set().union(*rows):
        if field.startswith("_"):
            continue
        column = [row.get(field) for row in rows]
        kinds = set(map(type, column))
        # one type (or text and blanks): the values themselves; else by type and value, as 2016 and
        # 2016.0 (or True and 1) are judged apart
        by_value = len(kinds) == 1 or kinds <= {str, type(None)}
        try:
            if by_value:
                bad = {v for v in set(column) if not _plain(field, v)}
            else:
                bad = {k for k in set(zip(map(type, column), column)) if not _plain(field, k[1])}
        except TypeError:  # an unhashable value: judged one by one
            bad = None
        if bad is not None and not bad:
            continue
        for i, v in enumerate(column):
            if bad is None:
                hit = not _plain(field, v)
            else:
                hit = (v in bad) if by_value else ((v.__class__, v) in bad)
            if hit and field in rows[i]:
                found.append((i, list(rows[i]).index(field), rows[i], field))
    found.sort(key=lambda f: (f[0], f[1]))
    return [(row, field) for _i, _pos, row, field in found]


def _bound_hint(why: str) -> str:
    if "文字（U+" in why:
        return "見えない文字が入っています。セルの内容を消して、打ち直してください"
    if "長すぎます" in why:
        return "短くしてください（長い説明は「取組の内容」などの欄に書けます）"
    return "数値を確かめてください（単位を千円・万人などに変えると桁が減ります）"


def _check_plan_settings(batch: Batch) -> None:
    def problem(key: str, message: str, hint: str | None = None, code: str = "out_of_bounds") -> None:
        where = batch.plan_where.get(key, {})
        batch.problems.append(Problem("error", message, where.get("_sheet"), where.get("_cell"),
                                      where.get("_file") or batch.source, hint, code))

    why = text_problem(batch.plan_name or "", MAX_TITLE)
    if why:
        problem("name", f"計画名: {why}", _bound_hint(why))
    for key, limit in _PLAN_TEXT.items():
        v = batch.plan.get(key)
        why = text_problem(str(v), limit) if v is not None else None
        if why:
            problem(key, f"{_PLAN_LABELS[key]}: {why}", _bound_hint(why))
    for key in ("start_fy", "end_fy"):
        v = batch.plan.get(key)
        if v is not None and not (isinstance(v, int) and MIN_YEAR <= v <= MAX_YEAR):
            problem(key, f"{_PLAN_LABELS[key]}: 年度として扱えません（{MIN_YEAR}〜{MAX_YEAR}年度）")
    if batch.plan.get("level_names") is not None:
        try:
            names = [str(n) for n in json.loads(batch.plan["level_names"])]
        except (ValueError, TypeError):
            names = [str(batch.plan["level_names"])]
        for n in names:
            why = text_problem(n, MAX_NAME)
            if why:
                problem("level_names", f"階層名「{shown(n)}」: {why}", _bound_hint(why))
                break
    text = batch.plan.get("grading_rule")
    if text is not None:
        from kpi.rules.rule_form import check_rule
        rule, problems = check_rule(text)
        if rule is None:
            problem("grading_rule", "評価方式の設定に問題があります: " + "、".join(problems[:5]),
                    "評価ルールの画面で作ったルールの名前（例: A・B・C（達成率））を書くか、評価方式の欄を消してください",
                    "bad_grading")
            del batch.plan["grading_rule"]
        else:
            batch.plan["grading_rule"] = rule.to_json()


# Tables whose rows belong to one fiscal year of the plan. Narratives (the 現状 before the plan starts)
# and plan_notes (the plan's history) may precede it.
_YEAR_TABLES = ("indicator_values", "value_notes", "evaluations", "item_status", "schedules")


def _years_after(rows: list[dict], year: int, before: int | None = None) -> bool:
    """Whether a row's fiscal_year may be after year (or before before): each distinct year looked at
    once. A year that does not compare (none of the layouts makes one) says yes, for the rows to be
    looked at one by one as always."""
    try:
        years = set(map(dict.get, rows, repeat("fiscal_year")))
        years.discard(None)
        return any(fy > year or (before is not None and fy < before) for fy in years)
    except TypeError:
        return True


def _fy(fy: int) -> str:
    return f"{format_fiscal_year(fy)}（{fy}年度）"


def _check_period(batch: Batch, start: int, end: int) -> None:
    """A value for a year outside the stored plan period is almost always a typo in the year column."""
    for table in _YEAR_TABLES:
        for row in batch.table(table) if _years_after(batch.table(table), end, start) else ():
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
    from kpi.rules.numbers import format_number
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
        elif c.table == "indicator_values" and c.key[3] == "target" and "text_value" in c.new \
                and (c.old or {}).get("text_value") is not None:
            item_no, indicator, fy, _kind = c.key  # a qualitative indicator's words: 把握 → 検討
            text = (f"No.{item_no}「{indicator}」{_fy(fy)}の計画が「{c.old['text_value']}」→"
                    f"「{c.new['text_value']}」に変わります")
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
    if len(batches) < 2:
        return out  # within one file the importer reports a key twice, naming both rows
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
                what = " ".join(key_words(table, key[2:]))
                if same:
                    out.append(Problem("warning", f"{label}（{what}）は {where} にも同じ値があります", row.get("_sheet"),
                                       row.get("_cell"), row.get("_file") or batch.source,
                                       "同じファイルを2回選んでいないか確かめてください", "duplicate_across_files"))
                else:
                    out.append(Problem("error", f"{label}（{what}）が {where} と違う値で2回あります", row.get("_sheet"),
                                       row.get("_cell"), row.get("_file") or batch.source,
                                       "どちらが正しいか確かめ、片方のファイルから消してください", "duplicate_across_files"))
    return out
