"""A change in words: the one description of what an import, an edit or an undo changes.

describe() turns one Change into its words (status, what, key, the value of a new row, old →
new per field) and describe_plan() does the same for a plan's settings. Every reader of a change
renders those words, never the change itself: the CLI's and the history's sentence
(Change.describe, kpi.intake.history), and the upload page's table (kpi.intake.review.preview_rows).

Fiscal years are written by one function, format_fiscal_year, in the reader's era style: a
sentence (the CLI, the change history) says 2016年度, the form a log is searched by; the upload
page passes the era the user picked (和暦 by default: 平成28年度). A value's text is the same in
every renderer; only how much of a long text is shown depends on the room (a sentence 30
characters, a table cell 60).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from kpi.rules.fiscal import Style, format_fiscal_year
from kpi.store.journal import FIELD_LABELS, PLAN_FIELD_LABELS, SECTION_LABELS, TABLES, Change

STATUS_WORDS: dict[str, str] = {"insert": "新規", "update": "変更", "unchanged": "変更なし", "delete": "削除"}
KIND_WORDS: dict[str, str] = {"target": "計画", "actual": "実績"}
DIRECTION_WORDS: dict[str, str] = {"higher": "高いほど良い", "lower": "低いほど良い"}
# Where an indicator's direction came from, as people say it (never 'default → sheet').
DIRECTION_SOURCE_WORDS: dict[str, str] = {"default": "既定（判断材料なし）", "inferred": "計画値・名称から判断",
                                          "sheet": "シートの記載", "manual": "画面で指定"}
FISCAL_YEAR_FIELDS = ("fiscal_year", "start_fy", "end_fy", "baseline_fy", "final_target_fy")
SENTENCE_WIDTH, TABLE_WIDTH = 30, 60


def value_text(field: str, v: Any, *, style: Style = "wareki", width: int = TABLE_WIDTH) -> str:
    """A stored value as people read it ('' for none): はい/いいえ, 1,345, 令和4年度, 高いほど良い …"""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "はい" if v else "いいえ"
    if field in FISCAL_YEAR_FIELDS and isinstance(v, int):
        return format_fiscal_year(v, style)
    if field == "direction":
        return DIRECTION_WORDS.get(v, str(v))
    if field == "direction_source":
        return DIRECTION_SOURCE_WORDS.get(v, str(v))
    if field == "grading_rule" and isinstance(v, str):
        from kpi.rules.grading import GradingRule
        rule = GradingRule.from_json(v)
        # a sentence (the history) names the rule; a table row (the upload preview) also states it
        return rule.name if width <= SENTENCE_WIDTH else f"{rule.name}（{rule.describe()}）"
    if field == "level_names" and isinstance(v, str):
        try:
            return "／".join(str(n) for n in json.loads(v))
        except (ValueError, TypeError):
            pass
    if isinstance(v, (int, float)):
        from kpi.rules.numbers import format_number
        return format_number(float(v))
    s = str(v).replace("\n", " ")
    return s if len(s) <= width else s[: width - 1] + "…"


def _estimate_text(value: Any, is_estimate: Any, width: int) -> str:
    text = value_text("value", value, width=width)
    return f"{text}（見込み）" if text and is_estimate else text


@dataclass(frozen=True)
class FieldChange:
    label: str  # 値 / 評価 / 単位 …
    old: str
    new: str

    def text(self) -> str:
        """'値: 48 → 49' (a sentence's part; an empty side says so)."""
        return f"{self.label}: {self.old or '（空）'} → {self.new or '（空）'}"


@dataclass(frozen=True)
class ChangeWords:
    """One change in words. key: the words that name the row (No.28 受講者数 2016年度 実績);
    item_no, indicator, fiscal_year and rest are the same key in parts, for a table."""

    status: str  # 新規 / 変更 / 変更なし / 削除
    what: str  # the table's label: 年度値 / 評価 / 取組 …
    key: tuple[str, ...]
    item_no: str
    indicator: str
    fiscal_year: int | None
    rest: str  # the key's other parts (stage, kind, department …)
    value: str  # a new row's value, the one thing that says what it holds
    fields: tuple[FieldChange, ...]  # an update's fields, old → new
    value_in_sentence: bool = False  # see sentence()

    def sentence(self) -> str:
        """'変更 年度値 No.28 受講者数 2016年度 実績（値: 48 → 49）' (the CLI, the change history).

        A new row is named by its key, with its value for the yearly values and the grades only: a
        log lists many rows, and those are what people look for in it."""
        head = " ".join((self.status, self.what, *self.key))
        if self.status == "変更" and self.fields:
            parts = "、".join(f.text() for f in self.fields)
            return f"{head}（{parts}）"
        if self.status == "新規" and self.value_in_sentence:
            return f"{head}: {self.value or '（空）'}"
        return head


def key_words(table: str, key: tuple[Any, ...], *, style: Style = "seireki") -> tuple[str, ...]:
    spec = TABLES[table]
    out = []
    for col, v in zip(spec.key, key):
        if col == "item_no":
            out.append(f"No.{v}")
        elif col == "fiscal_year" and v is not None:
            out.append(format_fiscal_year(v, style))
        elif col == "section":
            out.append(SECTION_LABELS.get(v, str(v)))
        elif col == "kind":
            out.append(KIND_WORDS.get(v, str(v)))
        elif col == "event_id":
            continue  # a record's own id (kpi/cycle): nothing a person reads
        elif col == "path":
            out.append(_path_text(v))
        elif v is not None:
            out.append(str(v))
    return tuple(out)


def _path_text(v: Any) -> str:
    try:
        return " > ".join(str(t) for t in json.loads(v))
    except (TypeError, ValueError):
        return " > ".join(re.findall(r'"((?:[^"\\]|\\.)*)"', str(v))) or str(v)


def _rest(table: str, key: tuple[Any, ...]) -> str:
    named = dict(zip(TABLES[table].key, key))
    rest = []
    for col, v in named.items():
        if col in ("item_no", "indicator", "fiscal_year", "event_id") or v is None:
            continue
        if col == "kind":
            rest.append(KIND_WORDS.get(v, str(v)))
        elif table == "evaluations" and col == "stage":
            rest.append(f"{v}評価")  # 年度評価 / 中間評価: the same words on a new and a changed row
        elif col == "path":
            rest.append(_path_text(v))
        else:
            rest.append(str(v))
    return " ".join(rest)


def _new_value(table: str, new: dict[str, Any], style: Style, width: int) -> str:
    def text(f: str) -> str:
        return value_text(f, new.get(f), style=style, width=width)

    if table == "nodes":
        return text("level_name")
    if table == "item_departments":
        return "主担当" if new.get("is_main") else text("role")
    if table == "plan_notes":
        return text("title") or text("body") or text("period_text")
    if table == "indicator_values":
        if new.get("text_value") and new.get("value") is None:
            return text("text_value")  # a qualitative indicator's words: 実施
        return _estimate_text(new.get("value"), new.get("is_estimate"), width)
    if table == "evaluations":
        if width <= SENTENCE_WIDTH:  # a log line names the grade (what people look for in it)
            return text("grade") or text("status_text")
        # a table row (the upload preview) shows the grade and what the department wrote with it
        return "　".join(t for t in (text(f) for f in ("grade", "status_text", "issues_text", "next_text")) if t)
    if table == "items":
        return text("title")
    if table == "cycle_events" and new.get("action"):
        from kpi.store.journal import CYCLE_ACTION_LABELS
        return CYCLE_ACTION_LABELS.get(new["action"], str(new["action"]))
    if table == "indicators":
        if new.get("final_target") is not None:
            fy = f"（{format_fiscal_year(new['final_target_fy'], style)}）" if new.get("final_target_fy") else ""
            return f"目標 {value_text('final_target', new['final_target'])}{new.get('unit') or ''}{fy}"
        return text("final_target_text")
    for f in TABLES[table].fields:
        if new.get(f) not in (None, ""):
            return text(f)
    return ""


def _field_changes(c: Change, style: Style, width: int) -> tuple[FieldChange, ...]:
    old_row = c.old or {}
    if c.table == "indicator_values":
        # The value and its 見込み mark are one thing to a reader: '930（見込み）' → '1,454'.
        if "text_value" in c.new:  # a qualitative indicator's words: 検討 → 実施
            old = value_text("text_value", old_row.get("text_value"), style=style, width=width) \
                or _estimate_text(old_row.get("value"), old_row.get("is_estimate"), width)
            return (FieldChange(FIELD_LABELS["value"], old, value_text("text_value", c.new["text_value"], style=style,
                                                                    width=width)),)
        if "value" not in c.new:  # only the mark changed; the value itself is the same
            def mark(v: Any) -> str:
                return "見込み" if v else "確定"
            return (FieldChange("見込み", mark(old_row.get("is_estimate")), mark(c.new.get("is_estimate"))),)
        old = _estimate_text(old_row.get("value"), old_row.get("is_estimate"), width)
        new = _estimate_text(c.new["value"], c.new.get("is_estimate", old_row.get("is_estimate")), width)
        return (FieldChange(FIELD_LABELS["value"], old, new),)
    carry = TABLES[c.table].carry
    return tuple(FieldChange(FIELD_LABELS.get(f, f), value_text(f, old_row.get(f), style=style, width=width),
                             value_text(f, v, style=style, width=width))
                 for f, v in c.new.items() if f not in carry)


def describe(c: Change, *, style: Style = "seireki", width: int = SENTENCE_WIDTH) -> ChangeWords:
    """The words of one change, fiscal years in style (see the module docstring)."""
    named = dict(zip(TABLES[c.table].key, c.key))
    fy = named.get("fiscal_year")
    return ChangeWords(
        status=STATUS_WORDS[c.action], what=TABLES[c.table].label or c.table,
        key=key_words(c.table, c.key, style=style), item_no=str(named.get("item_no") or ""),
        indicator=str(named.get("indicator") or ""), fiscal_year=fy if isinstance(fy, int) else None,
        rest=_rest(c.table, c.key),
        value=_new_value(c.table, c.new, style, width) if c.action == "insert" else "",
        fields=_field_changes(c, style, width) if c.action == "update" else (),
        value_in_sentence=c.table in ("indicator_values", "cycle_events")
        or (c.table == "evaluations" and bool(c.new.get("grade"))))


def describe_plan(field: str, old: Any, new: Any, *, style: Style = "seireki",
                  width: int = SENTENCE_WIDTH) -> FieldChange:
    """One changed setting of a plan (評価方式, 終了年度 …), old → new."""
    return FieldChange(PLAN_FIELD_LABELS.get(field, field), value_text(field, old, style=style, width=width),
                       value_text(field, new, style=style, width=width))


__all__ = ["ChangeWords", "FieldChange", "describe", "describe_plan", "key_words", "value_text",
           "STATUS_WORDS", "KIND_WORDS", "DIRECTION_WORDS",
           "DIRECTION_SOURCE_WORDS"]
