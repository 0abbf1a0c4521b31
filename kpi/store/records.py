"""The history record of a write that is not a Batch (accounts, restore): one upload row and its change_log.

A Batch is recorded by Store.apply (kpi/store/store.py). Account changes and a restore write other
tables, but they are writes all the same: each takes the next upload number inside its own transaction
(which is what bumps the data version, Store.data_version) and says who did it, when, and what changed.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

    from kpi.store.store import Store, UploadMeta


def record(store: "Store", cur: "duckdb.DuckDBPyConnection", meta: "UploadMeta", log: list[dict[str, Any]], *,
           file_name: str | None = None, n_insert: int = 0, n_update: int = 0, now: datetime | None = None) -> int:
    """Write the upload row (kind meta.kind, no plan) and its change_log inside the caller's transaction.

    log: {"table_name", "key", "action", "old", "new"} per change, already stripped of anything that
    must never be kept (kpi/store/users.py leaves password hashes out). Returns the upload number."""
    from kpi.store.store import _dumps  # the journal's own JSON form of a change
    upload_id = store._next_id(cur, "upload")
    store._insert_rows(cur, "change_log", [
        {"upload_id": upload_id, "seq": i, "table_name": e["table_name"], "plan_id": None,
         "key_json": _dumps(e["key"]), "action": e["action"], "old_json": _dumps(e["old"]),
         "new_json": _dumps(e["new"])} for i, e in enumerate(log)])
    store._insert_rows(cur, "uploads", [{
        "upload_id": upload_id, "kind": meta.kind, "uploaded_by": meta.user, "uploaded_at": now or datetime.now(),
        "file_name": file_name if file_name is not None else meta.file_name, "n_insert": n_insert,
        "n_update": n_update, "n_unchanged": 0, "note": meta.note, "status": "applied"}])
    return upload_id
