"""Named reads of the intake pipeline: what the plans already hold, read once per upload.

An upload is checked against the plans in three places (which plan a file goes into, the
checks of its rows against the plan, and the diff the preview shows). They all ask the one
PlanContext loaded by load_plan_context(), so every fact is read from the database once for the
whole upload, however many files and checks ask for it. Nothing here writes; a write reads the
rows again inside its own transaction (Store.apply_many), so a preview that is out of date
never decides what is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from kpi.rules.grading import GradingRule
from kpi.rules.model import PlanInfo
from kpi.store.store import PLAN_ROW_COLS, Held, Store, match_plans, one_plan, rule_of

_INFO_COLS = "plan_id, name, municipality, kind, start_fy, end_fy, level_names, description, public"


@dataclass
class PlanContext(Held):
    """The registered plans and, per plan asked about, its stored rows (loaded on first use, then kept)."""

    store: Store
    plans: tuple[PlanInfo, ...]
    _rows: list[tuple]  # (plan_id, *PLAN_ROW_COLS) per plan
    _rules: dict[int, str | None]
    _fed: dict[str, frozenset[int]]
    layouts: tuple[tuple[str, str], ...] = ()  # the taught layouts (name, body), kpi/intake/layouts/profile.py
    # The data version, read before any row: a write since changes it, so a diff made from these rows
    # is still true at commit when the version is the same (Store.prepared_diff, apply_many).
    version: int | None = None
    _existing: dict[tuple[int, str], dict[tuple, dict[str, Any]]] = field(default_factory=dict)
    _same_file: dict[str, str | None] = field(default_factory=dict)
    _made: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ plans
    def plan_named(self, name: str | None) -> PlanInfo | None:
        """Store.plan_by_name from what was loaded: AmbiguousPlan when several fit and none is written so."""
        if not name:
            return None
        row = one_plan(match_plans([(p.plan_id, p.name) for p in self.plans], name), name)
        return next(p for p in self.plans if p.plan_id == row[0]) if row else None

    def plan_row(self, name: str) -> tuple | None:
        return one_plan(match_plans(self._rows, name), name)

    def rule(self, plan_id: int) -> GradingRule:
        """Store.rule of a registered plan."""
        name = next(p.name for p in self.plans if p.plan_id == plan_id)
        return rule_of(self._rules.get(plan_id), name)

    def fed(self, layout: str) -> frozenset[int]:
        """The plans a file of this layout was ever taken into."""
        return self._fed.get(layout, frozenset())

    # ------------------------------------------------------------------ a plan's rows
    def existing(self, plan_id: int, table: str) -> dict[tuple, dict[str, Any]]:
        """The stored rows of one table of a plan, by natural key (what the diff compares with)."""
        if (plan_id, table) not in self._existing:
            with self.store._read() as cur:
                self._existing[(plan_id, table)] = self.store._existing(cur, table, plan_id)
        return self._existing[(plan_id, table)]

    def item_nos(self, plan_id: int) -> set[str]:
        return {key[0] for key in self.existing(plan_id, "items")}

    def item_titles(self, plan_name: str | None) -> dict[str, str]:
        """Item No. → 取組名 of the stored plan of that name ({} for a new plan)."""
        row = self.plan_row(plan_name) if plan_name else None
        if row is None:
            return {}
        return {key[0]: r["title"] for key, r in self.existing(row[0], "items").items() if r.get("title")}

    def indicators(self, plan_id: int) -> set[tuple[str, str]]:
        return {(key[0], key[1]) for key in self.existing(plan_id, "indicators")}

    def made(self, what: str, make: Callable[[], Any]) -> Any:
        """What the intake makes from these rows (the taught layouts loaded as profiles), made once per
        upload like the rows are read once: every file of an upload asks for the same."""
        if what not in self._made:
            self._made[what] = make()
        return self._made[what]

    # ------------------------------------------------------------------ uploads
    def same_file_before(self, sha256: str | None) -> str | None:
        """'取込番号 12（2026-11-20 10:00 山田）' when a file with these bytes was taken in and not undone."""
        if not sha256:
            return None
        if sha256 not in self._same_file:
            with self.store._read() as cur:
                row = cur.execute(
                    "SELECT upload_id, uploaded_at, uploaded_by FROM uploads WHERE sha256 = ? AND status = 'applied' "
                    "ORDER BY upload_id DESC LIMIT 1", [sha256]).fetchone()
            self._same_file[sha256] = f"取込番号 {row[0]}（{row[1]:%Y-%m-%d %H:%M} {row[2]}）" if row else None
        return self._same_file[sha256]


def load_plan_context(store: Store) -> PlanContext:
    """The plans, their rules, which layouts fed them and the taught layouts: one read for a whole upload."""
    version = store.data_version()
    with store._read() as cur:
        rows = cur.execute(f"SELECT {_INFO_COLS}, grading_rule, {PLAN_ROW_COLS} FROM plans ORDER BY plan_id").fetchall()
        fed_rows = cur.execute("SELECT DISTINCT layout, plan_id FROM uploads WHERE plan_id IS NOT NULL").fetchall()
    n = len(_INFO_COLS.split(","))
    fed: dict[str, set[int]] = {}
    for layout, plan_id in fed_rows:
        fed.setdefault(layout, set()).add(plan_id)
    return PlanContext(
        store=store,
        plans=tuple(store._plan_from_row(r[:n]) for r in rows),
        _rows=[(r[0], *r[n + 1:]) for r in rows],
        _rules={r[0]: r[n] for r in rows},
        _fed={k: frozenset(v) for k, v in fed.items()},
        layouts=tuple(store.layout_profiles()),
        version=version,
    )


__all__ = ["PlanContext", "load_plan_context"]
