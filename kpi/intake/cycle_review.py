"""The 推進課's review of a department's submission (issue 20): what it changed, then 確認 or 差し戻し.

A submission is an upload (kpi.cycle.submissions); what it changed is the history's own account of
that upload (changes_of, the preview's words). 確認 makes its values count (kpi.cycle.calls.confirm).
差し戻し undoes the waiting uploads through the one undo (newest first, each in the history), then
records the return with its comment, so a returned value never counts and never stays in the
dashboards; the department fixes its sheet and uploads it again. The undo comes first: if it is
refused (a later upload changed the same rows), nothing is recorded and the reason is shown.
"""

from __future__ import annotations

from kpi.access.permissions import Actor, require
from kpi.cycle.calls import Call, CycleError, confirm, record_return, statuses_of
from kpi.cycle.review import Submission, waiting
from kpi.cycle.rules import PENDING
from kpi.intake.history import later_conflicts, undo
from kpi.store.store import Store


def accept(store: Store, actor: Actor, call: Call, department: str, comment: str | None = None):
    return confirm(store, actor, call, department, comment)


def send_back(store: Store, actor: Actor, call: Call, department: str, comment: str) -> tuple[int, ...]:
    """差し戻し: undo the department's waiting uploads and record the comment. Returns the undo records."""
    require(actor, "cycle")
    comment = (comment or "").strip()
    if not comment:
        raise CycleError("差し戻すときは、直してほしいことをコメントに書いてください",
                         hint="コメントは担当課の画面とメールの催促に表示されます")
    status = next((s for s in statuses_of(store, call) if s.department == department), None)
    if status is None or status.status != PENDING:
        raise CycleError(f"{department}には確認待ちの提出がありません（{status.label if status else '照会の対象外'}）")
    # Refuse before undoing anything when a later upload (not one of these) changed the same rows.
    recs = {r.upload_id: r for r in store.uploads(plan_id=call.plan_id)}
    mine = set(status.pending)
    for uid in status.pending:
        later = [(r, store.change_log(r.upload_id)) for r in sorted(recs.values(), key=lambda r: r.upload_id)
                 if r.upload_id > uid and r.upload_id not in mine]
        conflicts = later_conflicts(recs[uid], store.change_log(uid), later)
        if conflicts:
            rec = conflicts[0][0]
            raise CycleError(f"取込番号 {uid} のあとに、同じ値を変えた取込番号 {rec.upload_id}（{rec.uploaded_by}）が"
                             "あります。差し戻していません",
                             hint=f"先に取込番号 {rec.upload_id} を「取込履歴」で取り消すか、確認してから修正してください")
    undone = []
    for uid in sorted(status.pending, reverse=True):
        undone.append(undo(store, uid, actor, note=f"差し戻し（{department}）: {comment}").upload_id)
    record_return(store, actor, call, department, comment, status.pending)
    return tuple(undone)


__all__ = ["Submission", "waiting", "accept", "send_back"]
