"""What an import wants to write, and what that would change.

Every importer turns a workbook into a Batch: rows per table, keyed by the
natural keys people use (item No., indicator name, fiscal year), for one plan.
The store compares a Batch with what it holds and produces a ChangeSet, which
the upload page previews and the store then applies, recording every old value.

A None in a batch row means "the sheet says nothing here": it never erases a
value already stored (a blank cell is not a request to delete data).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import repeat
from typing import Any, Iterator, Literal, Sequence

from kpi.errors import Problem


@dataclass(frozen=True)
class TableSpec:
    name: str
    key: tuple[str, ...]  # natural key, after plan_id
    fields: tuple[str, ...]  # compared and updated
    carry: tuple[str, ...] = ()  # stored, updated only together with a compared field
    insert_only: tuple[str, ...] = ()  # set when the row is new, never changed by an import
    label: str = ""


TABLES: dict[str, TableSpec] = {t.name: t for t in (
    TableSpec("nodes", ("path",), ("depth", "level_name", "title"), insert_only=("sort",), label="体系"),
    TableSpec("items", ("item_no",), ("title", "node_path", "current_issues", "purpose", "content", "effect",
                                      "qualitative_target"), insert_only=("sort",), label="取組"),
    TableSpec("item_departments", ("item_no", "department"), ("is_main", "role"), insert_only=("sort",), label="担当課"),
    TableSpec("indicators", ("item_no", "indicator"),
              ("unit", "direction", "direction_source", "cumulative", "baseline", "baseline_fy", "baseline_estimated",
               "final_target", "final_target_fy", "final_target_text", "indicator_kind", "qualitative"), insert_only=("sort",),
              label="指標"),
    TableSpec("indicator_values", ("item_no", "indicator", "fiscal_year", "kind"), ("value", "is_estimate", "text_value"),
              carry=("raw_text",), label="年度値"),
    TableSpec("value_notes", ("item_no", "indicator", "fiscal_year"), ("note",), label="年度値の備考"),
    TableSpec("evaluations", ("item_no", "fiscal_year", "stage"), ("grade", "status_text", "issues_text", "next_text"),
              label="評価"),
    TableSpec("item_status", ("item_no", "fiscal_year"), ("status", "mark", "note"), label="進捗状況"),
    TableSpec("schedules", ("item_no", "activity", "fiscal_year"), ("mark",), insert_only=("sort",), label="工程"),
    TableSpec("narratives", ("item_no", "fiscal_year"), ("text",), label="実施状況"),
    TableSpec("plan_notes", ("section", "seq"), ("period_text", "fiscal_year", "title", "body"), label="計画の経過・位置付け"),
    TableSpec("committee_opinions", ("item_no", "meeting", "seq"),
              ("meeting_date", "opinion", "response", "response_department"), label="委員意見"),
    # The yearly cycle (issue 20, kpi/cycle): calls, what each department did, period locks and the
    # plan's cycle settings. Journal tables like the rest, so every step is an upload in the history
    # with its old values in change_log, and undo works on them.
    TableSpec("cycle_calls", ("fiscal_year", "stages"),
              ("deadline", "instructions", "departments", "status", "remind_before", "remind_every",
               "closed_at", "closed_by"), insert_only=("opened_at", "opened_by"), label="照会"),
    TableSpec("cycle_events", ("fiscal_year", "stages", "department", "event_id"),
              ("action", "acted_at", "actor", "comment", "refs"), label="照会の記録"),
    TableSpec("period_locks", ("fiscal_year", "stage"),
              ("locked", "locked_at", "locked_by", "reason", "changed_at", "changed_by"), label="期間の確定"),
    TableSpec("plan_settings", ("name",), ("value",), label="計画の設定"),
)}

# The cycle's own tables: their rows are no item's, so the department check (kpi.access.permissions)
# lets an editor write only the submission record of their own department among them.
CYCLE_TABLES: tuple[str, ...] = ("cycle_calls", "cycle_events", "period_locks", "plan_settings")

# Order of application: parents before children (no foreign keys, but readers expect it).
TABLE_ORDER: tuple[str, ...] = tuple(TABLES)

PLAN_FIELDS: tuple[str, ...] = ("municipality", "kind", "start_fy", "end_fy", "level_names", "grading_rule",
                                "description", "public")
PLAN_FIELD_LABELS: dict[str, str] = {
    "municipality": "自治体", "kind": "種類", "start_fy": "開始年度", "end_fy": "終了年度", "level_names": "階層名",
    "grading_rule": "評価方式", "description": "説明", "public": "公開",
}


@dataclass
class Batch:
    """Rows one workbook (or one form) wants to write into one plan."""

    plan_name: str
    plan: dict[str, Any] = field(default_factory=dict)  # PLAN_FIELDS, None = not given
    # Where a plan setting (or 'name', the plan's name) was read: {'_sheet': …, '_cell': …}, for problems.
    plan_where: dict[str, dict[str, str]] = field(default_factory=dict)
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    layout: str = ""
    source: str = ""  # file name or form

    def add(self, table: str, **row: Any) -> dict[str, Any]:
        if table not in TABLES:
            raise KeyError(table)
        self.rows.setdefault(table, []).append(row)
        return row

    def table(self, table: str) -> list[dict[str, Any]]:
        return self.rows.get(table, [])

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    def count(self) -> int:
        return sum(len(v) for v in self.rows.values())


Action = Literal["insert", "update", "unchanged"]


@dataclass(frozen=True)
class Change:
    table: str
    key: tuple[Any, ...]
    action: Action
    old: dict[str, Any] | None  # changed fields' old values (update) or None
    new: dict[str, Any]  # changed fields' new values (update) or the whole row (insert)

    def describe(self, style: str = "seireki") -> str:
        """This change as one sentence (the CLI, the change history): kpi.store.change_words."""
        from kpi.store.change_words import describe
        return describe(self, style=style).sentence()


FIELD_LABELS: dict[str, str] = {
    "value": "値", "is_estimate": "見込み", "grade": "評価", "status_text": "取組の状況", "issues_text": "課題・今後の方針",
    "next_text": "次期の方向", "title": "名称", "unit": "単位", "direction": "方向", "direction_source": "方向の根拠",
    "cumulative": "累計", "baseline": "基準値", "baseline_fy": "基準年度", "baseline_estimated": "基準値見込み",
    "final_target": "最終目標", "final_target_fy": "目標年度", "final_target_text": "最終目標（文章）",
    "status": "状況", "mark": "記号", "note": "備考", "text": "本文", "is_main": "主担当", "role": "役割",
    "current_issues": "現状と課題", "purpose": "目的", "content": "取組の内容", "effect": "見込まれる効果",
    "qualitative_target": "定性目標", "node_path": "体系", "depth": "階層", "level_name": "階層名",
    "opinion": "委員意見", "response": "回答・対応", "response_department": "回答課", "meeting_date": "開催日",
    "period_text": "時期", "fiscal_year": "年度", "body": "内容", "indicator_kind": "指標の種類",
    "qualitative": "定性", "text_value": "値（文章）",
    # the cycle (issue 20)
    "deadline": "期限", "instructions": "依頼内容", "departments": "対象の課", "remind_before": "期限前の催促（日前）",
    "remind_every": "期限後の催促（日ごと）", "closed_at": "確定日時", "closed_by": "確定した人", "action": "操作",
    "acted_at": "日時", "actor": "操作した人", "comment": "コメント", "refs": "対象の取込番号", "locked": "確定",
    "locked_at": "確定日時", "locked_by": "確定した人", "reason": "理由", "changed_at": "変更日時",
    "changed_by": "変更した人",
}


# plan_notes sections (kpi/intake/layouts/guideline_tables.py) as people call them.
SECTION_LABELS: dict[str, str] = {"milestone": "これまでの経過", "positioning": "計画の位置付け"}


CYCLE_ACTION_LABELS: dict[str, str] = {"submit": "提出", "confirm": "確認", "return": "差し戻し", "remind": "催促"}


class NewRows:
    """A table's rows as the diff read them, one list per column (NewRows.of: the whole batch table,
    before the diff splits it); in a diff, rows that are all new (none stored under their keys, no key
    twice in the batch). A 100,000-row file into an empty plan is written from these columns
    (Store._insert_logged) without a dict or a Change per row; the Change objects are made only when
    something looks at them (a preview), each the same as the row-by-row diff made."""

    action = "insert"

    def __init__(self, table: str, names: tuple[str, ...], columns: list[list[Any]], keys: list[tuple]):
        self.table = table
        self.names = names  # TableSpec key, fields, carry, insert_only: the diff's full row
        self.columns = columns
        self.keys = keys
        self._changes: tuple[Change, ...] | None = None

    @classmethod
    def of(cls, table: str, rows: list[dict[str, Any]]) -> "NewRows | None":
        """The rows as columns, or None when a key comes twice (those rows merge: the row-by-row diff)."""
        spec = TABLES[table]
        names = spec.key + spec.fields + spec.carry + spec.insert_only
        get = dict.get
        columns = [list(map(get, rows, repeat(c))) for c in names]
        keys = list(zip(*columns[:len(spec.key)]))
        if len(set(keys)) != len(keys):
            return None
        return cls(table, names, columns, keys)

    def __len__(self) -> int:
        return len(self.keys)

    def only(self, at: list[int]) -> "NewRows":
        """The rows at those positions (in that order)."""
        return NewRows(self.table, self.names, [[col[i] for i in at] for col in self.columns],
                       [self.keys[i] for i in at])

    def rows(self) -> list[dict[str, Any]]:
        """The full rows as the row-by-row diff makes them ({column: value or None})."""
        names = self.names
        return [dict(zip(names, vals)) for vals in zip(*self.columns)]

    def changes(self) -> tuple[Change, ...]:
        if self._changes is None:
            table = self.table
            self._changes = tuple(Change(table, key, "insert", None, full) for key, full in zip(self.keys, self.rows()))
        return self._changes


class SameRows:
    """A table's rows that change nothing, by key: their Change objects made when first looked at."""

    action = "unchanged"

    def __init__(self, table: str, keys: list[tuple]):
        self.table = table
        self.keys = keys
        self._changes: tuple[Change, ...] | None = None

    def __len__(self) -> int:
        return len(self.keys)

    def changes(self) -> tuple[Change, ...]:
        if self._changes is None:
            table = self.table
            self._changes = tuple(Change(table, key, "unchanged", None, {}) for key in self.keys)
        return self._changes


Part = "tuple[Change, ...] | NewRows | SameRows"


class ChangeRows(Sequence):
    """A diff's changes in their order (table by table: unchanged, inserts, updates), as parts: Change
    objects, or rows of one action kept by key (NewRows, SameRows) that become Change objects when
    first looked at. Counting them (ChangeSet.n_inserts, is_empty, the upload record) looks at none."""

    def __init__(self, parts: list[Part]):
        self._parts = parts
        self._all: tuple[Change, ...] | None = None

    def _tuple(self) -> tuple[Change, ...]:
        if self._all is None:
            self._all = tuple(c for part in self._parts for c in _part_changes(part))
        return self._all

    def __len__(self) -> int:
        return sum(len(part) for part in self._parts)

    def __getitem__(self, i):  # type: ignore[override]
        return self._tuple()[i]

    def __iter__(self) -> Iterator[Change]:
        return iter(self._tuple())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (tuple, ChangeRows)):
            return self._tuple() == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __add__(self, other):
        return self._tuple() + tuple(other)

    def __repr__(self) -> str:
        return repr(self._tuple())

    def of(self, action: str) -> tuple[Change, ...]:
        """The changes of one action, in order, making Change objects only of the parts that can hold it."""
        return tuple(c for part in self._parts if getattr(part, "action", action) == action
                     for c in _part_changes(part) if c.action == action)

    def n_of(self, action: str) -> int:
        return sum(sum(1 for c in part if c.action == action) if isinstance(part, tuple) else len(part)
                   for part in self._parts if getattr(part, "action", action) == action)


def _part_changes(part: Part) -> tuple[Change, ...]:
    return part if isinstance(part, tuple) else part.changes()


@dataclass(frozen=True)
class ChangeSet:
    plan_name: str
    plan_is_new: bool
    plan_changes: dict[str, tuple[Any, Any]]  # field → (old, new)
    changes: Sequence[Change]  # a tuple, or the store's diff's ChangeRows (Change objects made when looked at)

    def _of(self, action: str) -> tuple[Change, ...]:
        if isinstance(self.changes, ChangeRows):
            return self.changes.of(action)
        return tuple(c for c in self.changes if c.action == action)

    def _count(self, action: str) -> int:
        if isinstance(self.changes, ChangeRows):
            return self.changes.n_of(action)
        return sum(1 for c in self.changes if c.action == action)

    @property
    def inserts(self) -> tuple[Change, ...]:
        return self._of("insert")

    @property
    def updates(self) -> tuple[Change, ...]:
        return self._of("update")

    @property
    def unchanged(self) -> tuple[Change, ...]:
        return self._of("unchanged")

    @property
    def n_inserts(self) -> int:
        return self._count("insert")

    @property
    def n_unchanged(self) -> int:
        return self._count("unchanged")

    @property
    def is_empty(self) -> bool:
        return not self.plan_is_new and not self.plan_changes and not self.n_inserts and not self._count("update")

    @property
    def n_updates(self) -> int:
        """Changed rows plus changed settings of an existing plan (評価方式, 階層名 …): a file that
        changes only the plan's rule changes something and must not say 変更 0 件."""
        return self._count("update") + (0 if self.plan_is_new else len(self.plan_changes))

    def summary(self) -> str:
        return (f"計画「{self.plan_name}」{'（新規）' if self.plan_is_new else ''}: "
                f"新規 {self.n_inserts} 件、変更 {self.n_updates} 件、変更なし {self.n_unchanged} 件")
