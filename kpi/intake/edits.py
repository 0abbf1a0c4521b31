"""A person's corrections of what the importer read, as data the pipeline applies.

Indicators read out of 成果指標 prose (rows marked `_from_text` by the importer) are shown on
the upload page for a person to confirm or correct name, value, unit, year and direction
before they are saved. Each correction is an IndicatorEdit; kpi.intake.pipeline.prepare puts
them into the parsed rows after parsing and before the rows are checked and compared, and
keeps the indicators as the file says them (PreparedImport.text_indicators), which the
page's editor always starts from.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields
from typing import Any, Iterable, Mapping

from kpi.errors import FiscalYearError, Problem
from kpi.rules.direction import NO_EVIDENCE, parse_direction
from kpi.rules.fiscal import parse_fiscal_year
from kpi.rules.numbers import parse_number
from kpi.store.journal import Batch


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"

    def __reduce__(self):  # one value, also after pickling (st.cache_data keys)
        return "UNCHANGED"


UNCHANGED: Any = _Unchanged()  # a field the person did not touch (None is a field they emptied)


@dataclass(frozen=True)
class IndicatorEdit:
    """One person's correction of one indicator read from text, named by item No. and the name as read.

    Fields left UNCHANGED keep what the file says; keep=False drops the indicator and its values.
    fiscal_year is a year in any form people write (令和4年度, H34, 2022), direction higher/lower
    or 高いほど良い/低いほど良い. A blank value empties the field (a name may not be blank)."""

    item_no: str
    original: str
    keep: bool = True
    name: Any = UNCHANGED
    value: Any = UNCHANGED
    unit: Any = UNCHANGED
    fiscal_year: Any = UNCHANGED
    direction: Any = UNCHANGED

    @classmethod
    def of(cls, e: "IndicatorEdit | Mapping[str, Any]") -> "IndicatorEdit":
        """An edit from its plain form (the upload page's editor, the CLI): {item_no, original, field: value…}."""
        if isinstance(e, IndicatorEdit):
            return e
        known = {f.name for f in fields(cls)}
        return cls(**{k: (str(v) if k == "item_no" else v) for k, v in e.items() if k in known})

    def given(self, name: str) -> bool:
        return getattr(self, name) is not UNCHANGED


def as_edits(edits: Iterable["IndicatorEdit | Mapping[str, Any]"] | None) -> tuple[IndicatorEdit, ...]:
    return tuple(IndicatorEdit.of(e) for e in edits or ())


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


@dataclass(frozen=True)
class DirectionChoice:
    """An indicator whose good direction nobody wrote: the importer decided it (推定, with its reason)
    or nothing decided it (判断できず). The upload page shows it for a person to confirm or change,
    as an IndicatorEdit with only the direction (item_no, original=indicator)."""

    item_no: str
    indicator: str
    direction: str  # higher / lower, as the importer decided
    source: str  # inferred / default
    reason: str
    sheet: str | None = None
    cell: str | None = None

    @property
    def decided(self) -> bool:
        return self.source == "inferred"


# The warnings that say a direction was decided without a person (kpi/intake/layouts/canonical.py);
# a person's choice on the upload page answers them.
DIRECTION_WARNINGS = ("direction_inferred", "direction_unknown")


def direction_choices(batch: Batch | None) -> tuple[DirectionChoice, ...]:
    """The indicators of a parsed batch whose direction the importer decided, one per indicator
    (those read from prose have their own editor: text_indicators)."""
    if batch is None:
        return ()
    out: dict[tuple[str, str], DirectionChoice] = {}
    for row in batch.table("indicators"):
        if row.get("_from_text") or row.get("direction_source") not in ("inferred", "default"):
            continue
        reason = row.get("_direction_reason") or (NO_EVIDENCE if row["direction_source"] == "default" else "")
        key = (str(row["item_no"]), row["indicator"])
        out[key] = DirectionChoice(key[0], key[1], row.get("direction") or "higher", row["direction_source"], reason,
                                   row.get("_sheet"), row.get("_cell"))
    return tuple(out.values())


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip())


def apply_indicator_edits(batch: Batch, edits: Iterable["IndicatorEdit | Mapping[str, Any]"]) -> None:
    """Put a person's corrections into the parsed indicator rows (and the values that name them).

    Each edit is an IndicatorEdit (or its plain form, IndicatorEdit.of). Mistakes become problems
    naming the sheet and cell the indicator was read from.
    """
    rows = {(str(r["item_no"]), r["indicator"]): r for r in batch.table("indicators") if r.get("_from_text")}
    # Any other indicator takes only a direction (the upload page's 方向の確認: DirectionChoice).
    others: dict[tuple[str, str], list[dict]] = {}
    for r in batch.table("indicators"):
        if not r.get("_from_text"):
            others.setdefault((str(r["item_no"]), r["indicator"]), []).append(r)
    dropped: set[tuple[str, str]] = set()
    renamed: dict[tuple[str, str], str] = {}
    for e in as_edits(edits):
        key = (e.item_no, e.original)
        row = rows.get(key)
        if row is None:
            if key in others and e.given("direction") and not _blank(e.direction):
                _choose_direction(batch, others[key], e.direction)
            continue

        def problem(message: str, hint: str | None = None) -> None:
            batch.problems.append(Problem("error", message, row.get("_sheet"), row.get("_cell"),
                                          row.get("_file") or batch.source, hint, "bad_edit"))

        if e.keep is False:
            dropped.add(key)
            continue
        if e.given("name"):
            name = "" if _blank(e.name) else re.sub(r"\s+", " ", str(e.name)).strip()
            if not name:
                problem(f"No.{key[0]} の指標「{key[1]}」の指標名が空欄です", "指標名を入れるか、「取り込む」を外してください")
            elif name != key[1]:
                if (key[0], name) in rows or any(r["indicator"] == name and str(r["item_no"]) == key[0]
                                                 for r in batch.table("indicators")):
                    problem(f"No.{key[0]} に指標「{name}」がすでにあります", "別の名前にしてください")
                else:
                    renamed[key] = name
                    row["indicator"] = name
        if e.given("value"):
            v = e.value
            if _blank(v):
                row["final_target"] = None
            else:
                p = parse_number(v, row.get("unit"))
                if p.is_number:
                    row["final_target"] = p.value
                else:
                    problem(f"No.{key[0]}「{row['indicator']}」の目標値「{v}」は数値として読めません", "数字で入力してください")
        if e.given("unit"):
            row["unit"] = None if _blank(e.unit) else str(e.unit).strip()
        if e.given("fiscal_year"):
            v = e.fiscal_year
            if _blank(v):
                row["final_target_fy"] = None
            else:
                try:
                    row["final_target_fy"] = parse_fiscal_year(int(v) if isinstance(v, float) else v)
                except (FiscalYearError, ValueError) as exc:
                    problem(f"No.{key[0]}「{row['indicator']}」の目標年度「{v}」は年度として読めません",
                            getattr(exc, "hint", None) or "例: 令和4年度、H34、2022")
        if e.given("direction") and not _blank(e.direction):
            d = e.direction if e.direction in ("higher", "lower") else parse_direction(e.direction)
            if d is None:
                problem(f"方向「{e.direction}」が分かりません", "「高いほど良い」か「低いほど良い」を選んでください")
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


def _choose_direction(batch: Batch, rows: list[dict], direction: Any) -> None:
    """A person's direction for an indicator (confirmed as inferred, or changed): stored as theirs
    ("manual", which no later import overwrites), and the warnings about the guess are answered."""
    first = rows[0]
    d = direction if direction in ("higher", "lower") else parse_direction(direction)
    if d is None:
        batch.problems.append(Problem("error", f"No.{first['item_no']}「{first['indicator']}」の方向「{direction}」が分かりません",
                                      first.get("_sheet"), first.get("_cell"), first.get("_file") or batch.source,
                                      "「高いほど良い」か「低いほど良い」を選んでください", "bad_edit"))
        return
    where = set()
    for row in rows:
        row["direction"], row["direction_source"] = d, "manual"
        where.add((row.get("_sheet"), row.get("_cell")))
    batch.problems[:] = [p for p in batch.problems if not (p.code in DIRECTION_WARNINGS and (p.sheet, p.cell) in where)]


__all__ = ["DirectionChoice", "direction_choices", "DIRECTION_WARNINGS", "IndicatorEdit", "UNCHANGED", "as_edits", "TextIndicator", "text_indicators", "apply_indicator_edits"]
