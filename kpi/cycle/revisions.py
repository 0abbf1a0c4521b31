"""Target revisions (当初 → 修正): a year's 計画値 or an indicator's final target changed after it was set.

The change log keeps every old value (kpi/store/store.py), and the upload that changed a target was
asked for its reason (the upload's note, kpi.intake.validate.target_change_problems). So the original
target is the old value of the first standing change, the revised one the new value of the last, with
the date, who and why. Undone uploads (a 差し戻し, a withdrawn file) are not revisions.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Iterable, Sequence

from kpi.rules.fiscal import Style, format_fiscal_year
from kpi.rules.model import PlanData
from kpi.rules.numbers import format_number
from kpi.store import cycle as db
from kpi.store.store import Store

FIELD_WHAT = {"value": "計画値", "text_value": "計画（文章）", "final_target": "最終目標", "final_target_fy": "最終目標の年度"}


@dataclass(frozen=True)
class Step:
    at: datetime
    by: str
    old: Any
    new: Any
    reason: str
    upload_id: int


@dataclass(frozen=True)
class Revision:
    item_no: str
    indicator: str
    fiscal_year: int | None  # the year of a 計画値; None for a final target
    field: str  # value / text_value (a qualitative 計画 in words) / final_target / final_target_fy
    steps: tuple[Step, ...]  # oldest first

    @property
    def original(self) -> Any:
        return self.steps[0].old

    @property
    def revised(self) -> Any:
        return self.steps[-1].new

    @property
    def last(self) -> Step:
        return self.steps[-1]

    @property
    def what(self) -> str:
        return FIELD_WHAT.get(self.field, self.field)

    def shown(self, v: Any, style: Style = "wareki") -> str:
        if v is None:
            return "（空）"
        if self.field == "final_target_fy":
            return format_fiscal_year(int(v), style)
        if self.field == "text_value":
            return f"「{v}」"
        return format_number(float(v)) if isinstance(v, (int, float)) else str(v)

    def label(self, style: Style = "wareki") -> str:
        """'指標1 令和6年度の計画値' / '指標1 の最終目標'."""
        when = f" {format_fiscal_year(self.fiscal_year, style)}の" if self.fiscal_year is not None else " の"
        return f"{self.indicator}{when}{self.what}"

    def text(self, style: Style = "wareki") -> str:
        """'当初 100 → 修正 120（2025-06-01 山田: 事業見直しのため）'."""
        reason = self.last.reason or "理由の記録なし"
        more = f"、修正 {len(self.steps)} 回" if len(self.steps) > 1 else ""
        return (f"当初 {self.shown(self.original, style)} → 修正 {self.shown(self.revised, style)}"
                f"（{self.last.at:%Y-%m-%d} {self.last.by}: {reason}{more}）")


def revisions_from(rows: Iterable[dict]) -> tuple[Revision, ...]:
    """Group target changes (kpi.store.cycle.target_changes rows, oldest first) into revisions.
    Setting a target that was empty is not a revision; a target changed back to the original is none either."""
    steps: dict[tuple, list[Step]] = {}
    for r in rows:
        key = r["key"]
        if r["table"] == "indicator_values":
            fields = ["value", "text_value"] if key.get("kind") == "target" else []
            where = (str(key.get("item_no")), key.get("indicator"), key.get("fiscal_year"))
        else:
            fields = ["final_target", "final_target_fy"]
            where = (str(key.get("item_no")), key.get("indicator"), None)
        for f in fields:
            if f not in r["new"]:
                continue
            old = r["old"].get(f)
            chain = steps.get((*where, f))
            if old is None and not chain:
                continue  # a first target, not a revision
            steps.setdefault((*where, f), []).append(
                Step(r["at"], r["by"] or "", old, r["new"][f], (r["note"] or "").strip(), r["upload_id"]))
    out = []
    for (item_no, indicator, fy, f), chain in steps.items():
        if _same(chain[0].old, chain[-1].new):
            continue
        out.append(Revision(item_no, indicator, fy, f, tuple(chain)))
    return tuple(sorted(out, key=lambda r: (r.item_no, r.indicator, r.fiscal_year or 0, r.field)))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) < 1e-12
    return a == b


def revisions_of(store: Store, plan_id: int) -> tuple[Revision, ...]:
    return revisions_from(db.target_changes(store, plan_id))


def for_item(revisions: Sequence[Revision], item_no: str) -> tuple[Revision, ...]:
    return tuple(r for r in revisions if r.item_no == str(item_no))


def _original_year(y, item_no: str, indicator: str, by_key: dict) -> Any:
    if (item_no, indicator, y.fiscal_year, "value") in by_key:
        y = replace(y, target=by_key[(item_no, indicator, y.fiscal_year, "value")], target_text=None)
    if (item_no, indicator, y.fiscal_year, "text_value") in by_key:
        y = replace(y, target_words=by_key[(item_no, indicator, y.fiscal_year, "text_value")])
    return y


def with_original_targets(data: PlanData, revisions: Sequence[Revision]) -> PlanData:
    """The plan as it would be graded against the original targets (the plan setting 当初の目標)."""
    if not revisions:
        return data
    by_key = {(r.item_no, r.indicator, r.fiscal_year, r.field): r.original for r in revisions}
    items = []
    for it in data.items:
        inds = []
        for ind in it.indicators:
            years = tuple(_original_year(y, it.item_no, ind.name, by_key) for y in ind.years)
            changes: dict[str, Any] = {"years": years}
            for f in ("final_target", "final_target_fy"):
                if (it.item_no, ind.name, None, f) in by_key:
                    changes[f] = by_key[(it.item_no, ind.name, None, f)]
            inds.append(replace(ind, **changes))
        items.append(replace(it, indicators=tuple(inds)))
    return replace(data, items=tuple(items))
