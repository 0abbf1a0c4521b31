"""An import from file to database, shared by the CLI and the upload page.

prepare() reads, detects, parses and validates a file and computes what would
change, writing nothing; commit() writes prepared imports that have no errors,
all of them in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from kpi.batch import Batch, ChangeSet
from kpi.errors import BadWorkbook, ImportRefused, Problem
from kpi.importers import detect_layout, layout_label, parse_workbook, read_workbook, resolve_plan_name
from kpi.permissions import Actor, write_check
from kpi.store import ApplyResult, Store, UploadMeta
from kpi.validate import validate_batch


@dataclass
class PreparedImport:
    file_name: str
    sha256: str | None = None
    layout: str | None = None
    batch: Batch | None = None
    changes: ChangeSet | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    @property
    def ok(self) -> bool:
        return self.batch is not None and not self.errors

    @property
    def layout_label(self) -> str:
        return layout_label(self.layout)


def prepare(store: Store, source: bytes | str | Path, file_name: str | None = None, *,
            plan_name: str | None = None, today: date | None = None) -> PreparedImport:
    name = file_name or (Path(source).name if isinstance(source, (str, Path)) else "upload.xlsx")
    prep = PreparedImport(name)
    try:
        wb = read_workbook(source, name)
        prep.sha256 = wb.sha256
        layout = detect_layout(wb)
        prep.layout = layout.key
        batch = parse_workbook(wb, plan_name, layout)
    except BadWorkbook as exc:
        prep.problems.append(Problem("error", exc.message, file=name, hint=exc.hint, code="bad_file"))
        return prep
    known = {p.name: {r[0] for r in store.query("SELECT item_no FROM items WHERE plan_id = ?", [p.plan_id])}
             for p in store.plans()}
    resolve_plan_name(batch, known, name)
    if not batch.errors:
        validate_batch(batch, store, today)
    prep.batch = batch
    prep.problems = list(batch.problems)
    if not batch.errors:
        prep.changes = store.diff(batch)
    return prep


def commit(store: Store, prepared: list[PreparedImport], actor: Actor | str, *, note: str | None = None,
           check=None) -> list[ApplyResult]:
    """Write every prepared import in one transaction, or nothing if any has an error.

    actor is who uploads; their permissions are checked inside the transaction. A plain
    name stands for a trusted local administrator (the CLI, the demo loader).
    """
    if isinstance(actor, str):
        actor = Actor(actor, "admin")
    problems = [p for prep in prepared for p in prep.errors]
    if problems or any(prep.batch is None for prep in prepared):
        raise ImportRefused(problems or [Problem("error", "読み込めなかったファイルがあります")])
    metas = [UploadMeta(user=actor.name, file_name=prep.file_name, sha256=prep.sha256, layout=prep.layout, note=note)
             for prep in prepared]
    allowed = write_check(actor, store.item_departments)

    def both(changes, plan_id):
        allowed(changes, plan_id)
        if check is not None:
            check(changes, plan_id)

    return store.apply_many([prep.batch for prep in prepared], metas, check=both)
