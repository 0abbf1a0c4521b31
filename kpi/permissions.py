"""Who may write what. Checked inside the write transaction, never only by hiding buttons.

viewer: reads only. editor: writes items of their own departments (an item belongs to
every department listed on it). admin: everything (plans, rules, users, undo).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal

from kpi.batch import ChangeSet
from kpi.errors import PermissionDenied

Role = Literal["viewer", "editor", "admin"]
ROLE_LABELS: dict[str, str] = {"viewer": "閲覧", "editor": "担当課（入力）", "admin": "管理者"}


@dataclass(frozen=True)
class Actor:
    name: str
    role: Role = "viewer"
    departments: tuple[str, ...] = field(default=())

    @property
    def can_write(self) -> bool:
        return self.role in ("editor", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


# When no sign-in is configured the app runs for one trusted desktop user (the embedded default).
LOCAL_ADMIN = Actor("ローカル管理者", "admin")


def write_check(actor: Actor, item_departments: Callable[[int | None, str], set[str]]) -> Callable[[ChangeSet, int | None], None]:
    """A check for Store.apply: raises PermissionDenied before anything is written.

    item_departments(plan_id, item_no) returns the departments stored for an item (empty for
    new items, whose departments come from the batch and are checked by the caller).
    """

    def check(changes: ChangeSet, plan_id: int | None) -> None:
        if actor.role == "admin":
            return
        if actor.role != "editor":
            raise PermissionDenied(f"{actor.name}さんは閲覧のみの権限です。取り込みはできません。",
                                   hint="入力が必要な場合は管理者に権限を依頼してください")
        if changes.plan_is_new or changes.plan_changes:
            raise PermissionDenied("計画の作成・設定の変更は管理者だけができます。")
        mine = set(actor.departments)
        denied = set()
        for c in changes.inserts + changes.updates:
            item_no = c.key[0] if c.table not in ("nodes", "plan_notes") else None
            if item_no is None:
                if c.table in ("nodes", "plan_notes"):
                    raise PermissionDenied("計画の体系・経過の変更は管理者だけができます。")
                continue
            owners = item_departments(plan_id, str(item_no))
            if not owners or not (owners & mine):
                denied.add(str(item_no))
        if denied:
            nos = "、".join(f"No.{n}" for n in sorted(denied))
            raise PermissionDenied(f"{nos} は{'・'.join(mine) or '（所属なし）'}の担当ではないため更新できません。",
                                   hint="自分の課の取組だけを含むファイルにするか、担当課に依頼してください")

    return check
