"""Text in the 計画/実績 cells of qualitative indicators (issue 16 item 8: 把握 → 実施).

The 年度値 sheet of a department sheet does not carry the 指標 sheet (it is there for reference
only), so whether an indicator is 定性 is known only once the file's plan is: the reader
(kpi/intake/layouts/canonical.py) refuses text in a number cell as always, and marks the row it
would have been. Here, with the plan's stored indicators, that refusal is withdrawn for an
indicator the plan (or the file's own 指標 sheet) has as 定性; for any other indicator it stands,
naming the sheet and cell, and nothing of the row is kept.
"""

from __future__ import annotations

from kpi.errors import KpiError
from kpi.store.intake_reads import PlanContext
from kpi.store.journal import Batch

_GONE = object()  # never a row's _words


def stored_qualitative(batch: Batch, ctx: PlanContext) -> set[tuple[str, str]]:
    """(item No., indicator) of the plan's indicators stored as 定性 ({} for a new plan)."""
    try:
        plan = ctx.plan_named(batch.plan_name)
    except KpiError:
        return set()  # a name several plans fit: the plan's resolution says so
    if plan is None:
        return set()
    return {key for key, row in ctx.existing(plan.plan_id, "indicators").items() if row.get("qualitative")}


def accept_text_values(batch: Batch, qualitative: set[tuple[str, str]]) -> None:
    """Keep words for 定性 indicators (qualitative: the plan's stored ones; the file's 指標 sheet,
    when it marks an indicator ○ or ×, decides for that one). A number typed for a 定性 indicator
    is kept as the words it is, so that all its values read alike."""
    marks = {(r["item_no"], r["indicator"]): bool(r["qualitative"]) for r in batch.table("indicators")
             if r.get("qualitative") is not None}

    def is_qualitative(key: tuple[str, str]) -> bool:
        return marks.get(key, key in qualitative)

    if not marks and not qualitative and "indicator_values" in batch.rows:
        # No 定性 indicator anywhere (most files): every refusal stands; one pass, no questions per row.
        # one visit per row: a row that goes loses its _words with the rest of it
        kept = [row for row in batch.rows["indicator_values"]
                if row.pop("_words", None) is not _GONE and row.pop("_unless_qualitative", None) is None]
        batch.rows["indicator_values"] = kept
        return
    withdrawn: set[int] = set()
    kept = []
    for row in batch.table("indicator_values"):
        key = (row["item_no"], row["indicator"])
        refusal = row.pop("_unless_qualitative", None)
        words = row.pop("_words", None)
        if refusal is not None:
            if is_qualitative(key):
                withdrawn.add(id(refusal))
                kept.append(row)
            continue  # not 定性: the refusal stands and the row goes
        if words is not None and row.get("value") is not None and is_qualitative(key):
            row.update(value=None, is_estimate=None, text_value=words, raw_text=words)
        kept.append(row)
    if "indicator_values" in batch.rows:
        batch.rows["indicator_values"] = kept
    if withdrawn:
        batch.problems = [p for p in batch.problems if id(p) not in withdrawn]
