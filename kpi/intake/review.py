"""What an upload would change, in rows a person can check before anything is written.

The upload page shows, per file, the detected layout, every problem at once and
one row per value: 新規 (new), 変更 (old → new) or 変更なし, by item, indicator and
fiscal year. Indicators read out of 成果指標 prose (rows marked `_from_text` by
the importer) are listed separately so the person confirms or corrects name,
value, unit and year before they are saved; those corrections are data
(kpi.intake.edits.IndicatorEdit) that the pipeline applies before the rows are
checked and compared.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping

from kpi.errors import Problem
from kpi.intake.edits import (
    DirectionChoice,
    IndicatorEdit,
    TextIndicator,
    apply_indicator_edits,
    as_edits,
    text_indicators,
)
from kpi.intake.layouts.profile import KEY_PREFIX
from kpi.intake.pipeline import PreparedImport, prepare_many
from kpi.rules.fiscal import Style, format_fiscal_year
from kpi.sanitize import safe_file_name
from kpi.store.change_words import DIRECTION_WORDS, STATUS_WORDS, TABLE_WIDTH, describe, describe_plan
from kpi.store.journal import TABLES, ChangeSet
from kpi.store.store import Store, natural_key

STATUS_LABELS: dict[str, str] = {k: v for k, v in STATUS_WORDS.items() if k != "delete"}


@dataclass(frozen=True)
class PreviewRow:
    status: str  # 新規 / 変更 / 変更なし
    what: str  # 年度値 / 評価 / 指標 / 取組 …
    item_no: str
    indicator: str
    fiscal_year: int | None  # the page shows it in the user's era style
    field: str  # 計画 / 実績 / 年度評価 / 年度評価（取組の状況）/ 単位 …
    old: str
    new: str
    # The item's name, so a row reads without the No. looked up; shown, not part of what changed.
    title: str = field(default="", compare=False)


def preview_rows(changes: ChangeSet, *, include_unchanged: bool = True, style: Style = "wareki",
                 titles: Mapping[str, str] | None = None) -> tuple[PreviewRow, ...]:
    """One row per new value, per changed field (old → new) and per unchanged row: the words of
    kpi.store.change_words laid out as a table, fiscal years in the page's era style. titles:
    item No. → 取組名 (PreparedImport.titles), shown on every row of the item."""
    titles = titles or {}
    out: list[PreviewRow] = []
    if changes.plan_is_new:
        out.append(PreviewRow("新規", "計画", "", "", None, "計画", "", changes.plan_name))
    for f, (old, new) in changes.plan_changes.items():
        if changes.plan_is_new:
            continue
        fc = describe_plan(f, old, new, style=style, width=TABLE_WIDTH)
        out.append(PreviewRow("変更", "計画", "", "", None, fc.label, fc.old, fc.new))
    body: list[tuple[tuple, PreviewRow]] = []
    for c in changes.changes:
        if c.action == "unchanged" and not include_unchanged:
            continue
        w = describe(c, style=style, width=TABLE_WIDTH)
        order = (natural_key(w.item_no), w.indicator, w.fiscal_year or 0, list(TABLES).index(c.table), w.rest)
        title = titles.get(w.item_no, "")
        if c.action == "insert":
            body.append((order, PreviewRow(w.status, w.what, w.item_no, w.indicator, w.fiscal_year, w.rest or w.what,
                                           "", w.value, title)))
        elif c.action == "unchanged":
            body.append((order, PreviewRow(w.status, w.what, w.item_no, w.indicator, w.fiscal_year, w.rest or w.what,
                                           "", "", title)))
        else:
            for fc in w.fields:
                # A yearly value's row is named by its kind (計画 / 実績): the value is the row. Other
                # rows name the key's rest and the field in it (年度評価（取組の状況）), as a new row does.
                if c.table == "indicator_values":
                    name = w.rest
                else:
                    name = f"{w.rest}（{fc.label}）" if w.rest else fc.label
                body.append((order, PreviewRow(w.status, w.what, w.item_no, w.indicator, w.fiscal_year, name,
                                               fc.old, fc.new, title)))
    body.sort(key=lambda t: t[0])
    return tuple(out) + tuple(r for _o, r in body)


# The upload page's editor for TextIndicator rows: column → edit key.
EDITOR_COLUMNS: dict[str, str] = {"取り込む": "keep", "指標名": "name", "目標値": "value", "単位": "unit",
                                  "目標年度": "fiscal_year", "方向": "direction"}


def editor_rows(items: tuple[TextIndicator, ...]) -> list[dict[str, Any]]:
    """The rows the page's table shows, from what the file says (the editor's fixed base)."""
    return [{"取り込む": True, "No.": t.item_no, "元の文章": t.source, "指標名": t.name, "目標値": t.value,
             "単位": t.unit, "目標年度": format_fiscal_year(t.fiscal_year) if t.fiscal_year else "",
             "方向": DIRECTION_WORDS.get(t.direction, t.direction)} for t in items]


def _edited(rows: tuple, edited_rows: dict[Any, dict[str, Any]] | None):
    """(row, its change) for each row st.data_editor reports changed; positions outside the rows the
    page drew (a stale widget state after the file changed) are passed over."""
    for pos, change in (edited_rows or {}).items():
        i = int(pos)
        if 0 <= i < len(rows) and change:
            yield rows[i], change


def edits_from_editor(items: tuple[TextIndicator, ...], edited_rows: dict[Any, dict[str, Any]] | None) -> list[dict[str, Any]]:
    """st.data_editor's edited_rows ({row position: {column: value}}) → edits for apply_indicator_edits."""
    out = []
    for t, change in _edited(items, edited_rows):
        e: dict[str, Any] = {"item_no": t.item_no, "original": t.original}
        for col, v in change.items():
            if col in EDITOR_COLUMNS:
                e[EDITOR_COLUMNS[col]] = v
        out.append(e)
    return out


# The upload page's 方向の確認 table for DirectionChoice rows.
DIRECTION_SHOWN: dict[str, str] = {"inferred": "推定", "default": "判断できず"}


def direction_rows(choices: tuple[DirectionChoice, ...]) -> list[dict[str, Any]]:
    """The rows the page's 方向 table shows, from what the importer decided (the editor's fixed base)."""
    return [{"確認": False, "No.": c.item_no, "指標": c.indicator, "方向": DIRECTION_WORDS.get(c.direction, c.direction),
             "根拠": f"{DIRECTION_SHOWN.get(c.source, c.source)}: {c.reason}" if c.reason else DIRECTION_SHOWN.get(c.source, c.source)}
            for c in choices]


def direction_edits(choices: tuple[DirectionChoice, ...], edited_rows: dict[Any, dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The 方向 table's edited_rows → edits: a row whose direction was changed, or ticked 確認, is the
    person's choice (the direction shown in the row)."""
    out = []
    for c, change in _edited(choices, edited_rows):
        shown = DIRECTION_WORDS.get(c.direction, c.direction)
        direction = change.get("方向") or shown
        if change.get("確認") or direction != shown:
            out.append({"item_no": c.item_no, "original": c.indicator, "direction": direction})
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
    # Read by a published layout recognised from a few header words (not the template, not a taught
    # layout): such a guess can be wrong for a city's own sheet, so an administrator may teach it instead.
    teachable: bool = False
    directions: tuple[DirectionChoice, ...] = ()  # directions the importer decided, to confirm (before edits)

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


def review_key(files: list[tuple[str, bytes]], *, plan_name: str | None = None, edits: Mapping[str, Any] | None = None,
               version: int = 0, today: date | None = None, actor=None, style: Style = "wareki") -> str:
    """What a review depends on, as one key: the files' names and SHA-256, the edits, the data
    version (every write bumps it) and the reader (who, which day, which era style). The upload
    page keeps its review under this key, so a rerun for a widget (a toggle, a checkbox) shows
    the same review without reading the files again."""
    parts = {
        "files": [(safe_file_name(name), hashlib.sha256(data).hexdigest()) for name, data in files],
        "plan": plan_name,
        "edits": {safe_file_name(name): [repr(e) for e in as_edits(es)] for name, es in (edits or {}).items() if es},
        "version": version, "today": str(today), "actor": repr(actor), "style": style,
    }
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def review_upload(store: Store, files: list[tuple[str, bytes]], *, plan_name: str | None = None,
                  edits: Mapping[str, Any] | None = None, today: date | None = None,
                  actor=None, style: Style = "wareki", layout_profile=None) -> UploadReview:
    """Read, check and compare every file of one upload; nothing is written. edits: per file name,
    IndicatorEdit (or their plain form) for that file. actor: who uploads
    (kpi.access.permissions.Actor; None is a trusted local administrator), see kpi.intake.pipeline.prepare.
    style: the era the preview writes fiscal years in (kpi.store.change_words). layout_profile: a taught
    layout to read the files with (the teaching form's trial)."""
    # Keys are the names the page shows (already made safe); safe_file_name is idempotent.
    by_file = {safe_file_name(name): as_edits(e) for name, e in (edits or {}).items() if e}
    preps = prepare_many(store, [(safe_file_name(name), data) for name, data in files], plan_name=plan_name,
                         today=today, edits=by_file, actor=actor, layout_profile=layout_profile)
    out = []
    for prep in preps:
        cs = prep.changes
        out.append(FileReview(
            file_name=prep.file_name, layout_label=prep.layout_label or "様式不明",
            plan_name=prep.batch.plan_name if prep.batch is not None else None,
            plan_is_new=bool(cs and cs.plan_is_new), problems=tuple(prep.problems),
            rows=preview_rows(cs, style=style, titles=prep.titles) if cs is not None else (),
            n_insert=cs.n_inserts if cs else 0, n_update=cs.n_updates if cs else 0,
            n_unchanged=cs.n_unchanged if cs else 0,
            text_indicators=prep.text_indicators, same_file_before=prep.same_file_before,
            teachable=bool(prep.layout) and prep.layout != "canonical" and not prep.layout.startswith(KEY_PREFIX),
            directions=prep.directions))
    return UploadReview(tuple(out), tuple(preps))


__all__ = ["DirectionChoice", "direction_rows", "direction_edits", "DIRECTION_SHOWN", "PreviewRow", "preview_rows", "TextIndicator", "text_indicators", "apply_indicator_edits", "IndicatorEdit",
           "editor_rows", "edits_from_editor", "EDITOR_COLUMNS",
           "FileReview", "UploadReview", "review_upload", "review_key", "STATUS_LABELS"]
