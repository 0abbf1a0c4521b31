"""What an upload would change, in rows a person can check before anything is written.

The upload page shows, per file, the detected layout, every problem at once and
one row per value: 新規 (new), 変更 (old → new) or 変更なし, by item, indicator and
fiscal year. Indicators read out of 成果指標 prose (rows marked `_from_text` by
the importer) are listed separately so the person confirms or corrects name,
value, unit and year before they are saved; apply_indicator_edits() puts those
corrections into the parsed rows before they are checked and compared.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable

from kpi.errors import FiscalYearError, Problem
from kpi.intake.pipeline import PreparedImport, prepare_many
from kpi.rules.direction import parse_direction
from kpi.rules.fiscal import Style, format_fiscal_year, parse_fiscal_year
from kpi.rules.grading import GradingRule
from kpi.rules.numbers import format_number, parse_number
from kpi.sanitize import safe_file_name
from kpi.store.journal import FIELD_LABELS, PLAN_FIELD_LABELS, TABLES, Batch, ChangeSet
from kpi.store.store import Store, natural_key

STATUS_LABELS: dict[str, str] = {"insert": "新規", "update": "変更", "unchanged": "変更なし"}
KIND_LABELS = {"target": "計画", "actual": "実績"}
DIRECTION_LABELS = {"higher": "高いほど良い", "lower": "低いほど良い"}


@dataclass(frozen=True)
class PreviewRow:
    status: str  # 新規 / 変更 / 変更なし
    what: str  # 年度値 / 評価 / 指標 / 取組 …
    item_no: str
    indicator: str
    fiscal_year: int | None
    field: str  # 計画 / 実績 / 年度評価 / 年度評価（取組の状況）/ 単位 …
    old: str
    new: str
    # The item's name, so a row reads without the No. looked up; shown, not part of what changed.
    title: str = field(default="", compare=False)


def _text(v: Any, field_name: str = "", style: Style = "wareki") -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "はい" if v else "いいえ"
    if field_name in ("fiscal_year", "start_fy", "end_fy", "baseline_fy", "final_target_fy") and isinstance(v, int):
        return format_fiscal_year(v, style)
    if field_name == "direction":
        return DIRECTION_LABELS.get(v, str(v))
    if field_name == "level_names" and isinstance(v, str):
        try:
            return "／".join(str(n) for n in json.loads(v))
        except (ValueError, TypeError):
            pass
    if isinstance(v, (int, float)):
        return format_number(float(v))
    s = str(v).replace("\n", " ")
    return s if len(s) <= 60 else s[:59] + "…"


def _value(row: dict[str, Any]) -> str:
    text = _text(row.get("value"))
    return f"{text}（見込み）" if text and row.get("is_estimate") else text


def _parts(table: str, key: tuple) -> tuple[str, str, int | None, str]:
    """item_no, indicator, fiscal year and the rest of the key (stage, kind, department…) as words."""
    spec = TABLES[table]
    named = dict(zip(spec.key, key))
    rest = []
    for col, v in named.items():
        if col in ("item_no", "indicator", "fiscal_year") or v is None:
            continue
        if col == "kind":
            rest.append(KIND_LABELS.get(v, str(v)))
        elif table == "evaluations" and col == "stage":
            rest.append(f"{v}評価")  # 年度評価 / 中間評価: the same words on a new and a changed row
        elif col == "path":
            rest.append(" > ".join(re.findall(r'"((?:[^"\\]|\\.)*)"', str(v))) or str(v))
        else:
            rest.append(str(v))
    return (str(named.get("item_no") or ""), str(named.get("indicator") or ""), named.get("fiscal_year"),
            " ".join(rest))


def _insert_text(table: str, new: dict[str, Any], style: Style = "wareki") -> str:
    if table == "nodes":
        return _text(new.get("level_name"))
    if table == "item_departments":
        return "主担当" if new.get("is_main") else _text(new.get("role"))
    if table == "plan_notes":
        return _text(new.get("title")) or _text(new.get("body")) or _text(new.get("period_text"))
    if table == "indicator_values":
        return _value(new)
    if table == "evaluations":  # the grade and what the department wrote with it
        return "　".join(t for t in (_text(new.get(f)) for f in ("grade", "status_text", "issues_text", "next_text")) if t)
    if table == "items":
        return _text(new.get("title"))
    if table == "indicators":
        if new.get("final_target") is not None:
            fy = f"（{format_fiscal_year(new['final_target_fy'], style)}）" if new.get("final_target_fy") else ""
            return f"目標 {_text(new['final_target'])}{new.get('unit') or ''}{fy}"
        return _text(new.get("final_target_text"))
    for f in TABLES[table].fields:
        if new.get(f) not in (None, ""):
            return _text(new[f], f, style)
    return ""


def preview_rows(changes: ChangeSet, *, include_unchanged: bool = True, style: Style = "wareki",
                 titles: dict[str, str] | None = None) -> tuple[PreviewRow, ...]:
    """One row per new value, per changed field (old → new) and per unchanged row.

    style: the era the reader chose, for years in values; titles: item No. → 取組名 (the file's,
    else the stored plan's), shown on every row of the item."""
    titles = titles or {}
    out: list[PreviewRow] = []
    if changes.plan_is_new:
        out.append(PreviewRow("新規", "計画", "", "", None, "計画", "", changes.plan_name))
    for f, (old, new) in changes.plan_changes.items():
        if changes.plan_is_new:
            continue
        if f == "grading_rule":
            old_rule, new_rule = GradingRule.from_json(old), GradingRule.from_json(new)
            out.append(PreviewRow("変更", "計画", "", "", None, PLAN_FIELD_LABELS[f],
                                  f"{old_rule.name}（{old_rule.describe()}）", f"{new_rule.name}（{new_rule.describe()}）"))
            continue
        out.append(PreviewRow("変更", "計画", "", "", None, PLAN_FIELD_LABELS.get(f, f), _text(old, f, style),
                              _text(new, f, style)))
    body: list[tuple[tuple, PreviewRow]] = []
    for c in changes.changes:
        if c.action == "unchanged" and not include_unchanged:
            continue
        label = TABLES[c.table].label or c.table
        item_no, indicator, fy, rest = _parts(c.table, c.key)
        status = STATUS_LABELS[c.action]
        order = (natural_key(item_no), indicator, fy or 0, list(TABLES).index(c.table), rest)
        title = titles.get(item_no, "")
        if c.action == "insert":
            body.append((order, PreviewRow(status, label, item_no, indicator, fy, rest or label, "",
                                           _insert_text(c.table, c.new, style), title)))
        elif c.action == "unchanged":
            body.append((order, PreviewRow(status, label, item_no, indicator, fy, rest or label, "", "", title)))
        else:
            carry = TABLES[c.table].carry
            if c.table == "indicator_values":
                if "value" not in c.new:  # only the 見込み mark changed; the value itself is the same
                    def mark(v):
                        return "見込み" if v else "確定"
                    body.append((order, PreviewRow(status, label, item_no, indicator, fy, rest,
                                                   mark((c.old or {}).get("is_estimate")), mark(c.new.get("is_estimate")),
                                                   title)))
                    continue
                old = {"value": (c.old or {}).get("value"), "is_estimate": (c.old or {}).get("is_estimate")}
                new = {"value": c.new["value"], "is_estimate": c.new.get("is_estimate", old["is_estimate"])}
                body.append((order, PreviewRow(status, label, item_no, indicator, fy, rest, _value(old), _value(new),
                                               title)))
                continue
            for f, v in c.new.items():
                if f in carry:
                    continue
                name = FIELD_LABELS.get(f, f)
                body.append((order, PreviewRow(status, label, item_no, indicator, fy,
                                               f"{rest}（{name}）" if rest else name, _text((c.old or {}).get(f), f, style),
                                               _text(v, f, style), title)))
    body.sort(key=lambda t: t[0])
    return tuple(out) + tuple(r for _o, r in body)


# ------------------------------------------------------------------ indicators read from 成果指標 text

@dataclass(frozen=True)
class TextIndicator:
    """An indicator the importer read out of prose; shown for confirmation before it is saved."""

    item_no: str
    original: str  # the name as read (identifies the row while it is being edited)
    source: str  # the 成果指標 text it came from
    name: str
    value: float | None
    unit: str
    fiscal_year: int | None
    direction: str  # higher / lower
    sheet: str | None = None
    cell: str | None = None


def text_indicators(batch: Batch | None) -> tuple[TextIndicator, ...]:
    if batch is None:
        return ()
    out = []
    for row in batch.table("indicators"):
        src = row.get("_from_text")
        if not src:
            continue
        out.append(TextIndicator(
            item_no=str(row["item_no"]), original=row["indicator"],
            source=src if isinstance(src, str) else (row.get("final_target_text") or ""),
            name=row["indicator"], value=row.get("final_target"), unit=row.get("unit") or "",
            fiscal_year=row.get("final_target_fy"), direction=row.get("direction") or "higher",
            sheet=row.get("_sheet"), cell=row.get("_cell")))
    return tuple(out)


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip())


def apply_indicator_edits(batch: Batch, edits: Iterable[dict[str, Any]]) -> None:
    """Put a person's corrections into the parsed indicator rows (and the values that name them).

    Each edit: item_no, original (the name as read) and any of name, value, unit, fiscal_year
    (a year in any form people write: 令和4年度, H34, 2022), direction (higher/lower or
    高いほど良い/低いほど良い), keep (False drops the indicator). Mistakes become problems
    naming the sheet and cell the indicator was read from.
    """
    rows = {(str(r["item_no"]), r["indicator"]): r for r in batch.table("indicators") if r.get("_from_text")}
    dropped: set[tuple[str, str]] = set()
    renamed: dict[tuple[str, str], str] = {}
    for e in edits:
        key = (str(e["item_no"]), e["original"])
        row = rows.get(key)
        if row is None:
            continue

        def problem(message: str, hint: str | None = None) -> None:
            batch.problems.append(Problem("error", message, row.get("_sheet"), row.get("_cell"),
                                          row.get("_file") or batch.source, hint, "bad_edit"))

        if e.get("keep") is False:
            dropped.add(key)
            continue
        if "name" in e:
            name = "" if _blank(e["name"]) else re.sub(r"\s+", " ", str(e["name"])).strip()
            if not name:
                problem(f"No.{key[0]} の指標「{key[1]}」の指標名が空欄です", "指標名を入れるか、「取り込む」を外してください")
            elif name != key[1]:
                if (key[0], name) in rows or any(r["indicator"] == name and str(r["item_no"]) == key[0]
                                                 for r in batch.table("indicators")):
                    problem(f"No.{key[0]} に指標「{name}」がすでにあります", "別の名前にしてください")
                else:
                    renamed[key] = name
                    row["indicator"] = name
        if "value" in e:
            v = e["value"]
            if _blank(v):
                row["final_target"] = None
            else:
                p = parse_number(v, row.get("unit"))
                if p.is_number:
                    row["final_target"] = p.value
                else:
                    problem(f"No.{key[0]}「{row['indicator']}」の目標値「{v}」は数値として読めません", "数字で入力してください")
        if "unit" in e:
            row["unit"] = None if _blank(e["unit"]) else str(e["unit"]).strip()
        if "fiscal_year" in e:
            v = e["fiscal_year"]
            if _blank(v):
                row["final_target_fy"] = None
            else:
                try:
                    row["final_target_fy"] = parse_fiscal_year(int(v) if isinstance(v, float) else v)
                except (FiscalYearError, ValueError) as exc:
                    problem(f"No.{key[0]}「{row['indicator']}」の目標年度「{v}」は年度として読めません",
                            getattr(exc, "hint", None) or "例: 令和4年度、H34、2022")
        if "direction" in e and not _blank(e["direction"]):
            d = e["direction"] if e["direction"] in ("higher", "lower") else parse_direction(e["direction"])
            if d is None:
                problem(f"方向「{e['direction']}」が分かりません", "「高いほど良い」か「低いほど良い」を選んでください")
            elif d != row.get("direction"):
                row["direction"] = d
                row["direction_source"] = "manual"
    if dropped:
        batch.rows["indicators"] = [r for r in batch.table("indicators")
                                    if (str(r["item_no"]), r["indicator"]) not in dropped]
    if "indicator_values" in batch.rows:
        kept = []
        for r in batch.table("indicator_values"):
            key = (str(r["item_no"]), r["indicator"])
            if key in dropped:
                continue
            if key in renamed:
                r["indicator"] = renamed[key]
            kept.append(r)
        batch.rows["indicator_values"] = kept


# The upload page's editor for TextIndicator rows: column → edit key.
EDITOR_COLUMNS: dict[str, str] = {"取り込む": "keep", "指標名": "name", "目標値": "value", "単位": "unit",
                                  "目標年度": "fiscal_year", "方向": "direction"}


def editor_rows(items: tuple[TextIndicator, ...]) -> list[dict[str, Any]]:
    """The rows the page's table shows, from what the file says (the editor's fixed base)."""
    return [{"取り込む": True, "No.": t.item_no, "元の文章": t.source, "指標名": t.name, "目標値": t.value,
             "単位": t.unit, "目標年度": format_fiscal_year(t.fiscal_year) if t.fiscal_year else "",
             "方向": DIRECTION_LABELS.get(t.direction, t.direction)} for t in items]


def edits_from_editor(items: tuple[TextIndicator, ...], edited_rows: dict[Any, dict[str, Any]] | None) -> list[dict[str, Any]]:
    """st.data_editor's edited_rows ({row position: {column: value}}) → edits for apply_indicator_edits."""
    out = []
    for pos, change in (edited_rows or {}).items():
        i = int(pos)
        if not 0 <= i < len(items) or not change:
            continue
        t = items[i]
        e: dict[str, Any] = {"item_no": t.item_no, "original": t.original}
        for col, v in change.items():
            if col in EDITOR_COLUMNS:
                e[EDITOR_COLUMNS[col]] = v
        out.append(e)
    return out


# ------------------------------------------------------------------ the upload page's one call

@dataclass(frozen=True)
class FileReview:
    file_name: str
    layout_label: str
    plan_name: str | None
    plan_is_new: bool
    problems: tuple[Problem, ...]
    rows: tuple[PreviewRow, ...]
    n_insert: int
    n_update: int
    n_unchanged: int
    text_indicators: tuple[TextIndicator, ...]
    same_file_before: str | None  # 'No.12（2026-11-20 山田）' when this exact file was taken in already

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.level == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.level == "warning")

    @property
    def changes_nothing(self) -> bool:
        return not self.errors and not self.plan_is_new and self.n_insert == 0 and self.n_update == 0

    @property
    def summary(self) -> str:
        if self.errors:
            return f"エラー {len(self.errors)} 件のため取り込めません"
        if self.changes_nothing:
            return "変更はありません（同じ内容が登録済みです）"
        return (f"計画「{self.plan_name}」{'（新規）' if self.plan_is_new else ''}: 新規 {self.n_insert} 件、"
                f"変更 {self.n_update} 件、変更なし {self.n_unchanged} 件")


@dataclass(frozen=True)
class UploadReview:
    files: tuple[FileReview, ...]
    preps: tuple[PreparedImport, ...] = field(repr=False, default=())  # what commit() writes

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for f in self.files for p in f.errors)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for f in self.files for p in f.warnings)

    @property
    def target_changes(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.warnings if p.code == "target_changed")

    @property
    def rule_changes(self) -> tuple[Problem, ...]:
        """Files that change an existing plan's grading rule (an administrator's upload), before → after."""
        return tuple(p for p in self.warnings if p.code == "rule_changed")

    @property
    def other_warnings(self) -> tuple[Problem, ...]:
        """The warnings the general checkbox confirms (a rule change has a confirmation of its own)."""
        return tuple(p for p in self.warnings if p.code != "rule_changed")

    @property
    def changes_nothing(self) -> bool:
        return bool(self.files) and all(f.changes_nothing for f in self.files)

    def blocker(self, *, warnings_accepted: bool, reason: str = "", rule_change_accepted: bool = False) -> str | None:
        """Why the confirm button may not write yet (None when it may)."""
        if not self.files:
            return "ファイルを選んでください"
        if self.errors:
            return f"エラーが {len(self.errors)} 件あります。ファイルを直してから、もう一度アップロードしてください"
        if self.changes_nothing:
            return "変更はありません（同じ内容が登録済みです）"
        if self.rule_changes and not rule_change_accepted:
            return "計画の評価方式が変わります。変更前と変更後を確かめ、「評価方式の変更を確認した」にチェックを入れてください"
        if self.other_warnings and not warnings_accepted:
            return "注意の内容を確かめ、「注意を確認した」にチェックを入れてください"
        if self.target_changes and not reason.strip():
            return "一度決めた目標（計画値）を変更します。変更の理由を書いてください"
        return None


def _same_file(store: Store, sha256: str | None) -> str | None:
    if not sha256:
        return None
    rows = store.query("SELECT upload_id, uploaded_at, uploaded_by FROM uploads WHERE sha256 = ? AND status = 'applied' "
                       "ORDER BY upload_id DESC LIMIT 1", [sha256])
    if not rows:
        return None
    uid, at, by = rows[0]
    return f"取込番号 {uid}（{at:%Y-%m-%d %H:%M} {by}）"


def _titles(store: Store, batch: Batch | None) -> dict[str, str]:
    """Item No. → 取組名: the file's own, else the stored plan's (a file of values names no item)."""
    if batch is None:
        return {}
    out: dict[str, str] = {}
    info = store.plan_by_name(batch.plan_name) if batch.plan_name else None
    if info is not None:
        out.update({it.item_no: it.title for it in store.load_plan(info.plan_id).items})
    out.update({str(r["item_no"]): r["title"] for r in batch.table("items") if r.get("title")})
    return out


def review_upload(store: Store, files: list[tuple[str, bytes]], *, plan_name: str | None = None,
                  edits: dict[str, list[dict[str, Any]]] | None = None, today: date | None = None,
                  actor=None, style: Style = "wareki") -> UploadReview:
    """Read, check and compare every file of one upload; nothing is written. actor: who uploads
    (kpi.access.permissions.Actor; None is a trusted local administrator), see kpi.intake.pipeline.prepare."""
    # Keys are the names the page shows (already made safe); safe_file_name is idempotent.
    as_read: dict[str, tuple[TextIndicator, ...]] = {}

    def hook(name: str, e: list[dict[str, Any]]):
        def run(batch: Batch) -> None:
            as_read[name] = text_indicators(batch)  # the editor always starts from what the file says
            apply_indicator_edits(batch, e)
        return run

    hooks = {safe_file_name(name): hook(safe_file_name(name), e) for name, e in (edits or {}).items() if e}
    preps = prepare_many(store, [(safe_file_name(name), data) for name, data in files], plan_name=plan_name,
                         today=today, edits=hooks, actor=actor)
    out = []
    for prep in preps:
        cs = prep.changes
        out.append(FileReview(
            file_name=prep.file_name, layout_label=prep.layout_label or "様式不明",
            plan_name=prep.batch.plan_name if prep.batch is not None else None,
            plan_is_new=bool(cs and cs.plan_is_new), problems=tuple(prep.problems),
            rows=preview_rows(cs, style=style, titles=_titles(store, prep.batch)) if cs is not None else (),
            n_insert=len(cs.inserts) if cs else 0, n_update=cs.n_updates if cs else 0,
            n_unchanged=len(cs.unchanged) if cs else 0,
            text_indicators=as_read.get(prep.file_name, text_indicators(prep.batch)), same_file_before=_same_file(store, prep.sha256)))
    return UploadReview(tuple(out), tuple(preps))


__all__ = ["PreviewRow", "preview_rows", "TextIndicator", "text_indicators", "apply_indicator_edits",
           "editor_rows", "edits_from_editor", "EDITOR_COLUMNS",
           "FileReview", "UploadReview", "review_upload", "STATUS_LABELS"]
