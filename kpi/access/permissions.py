"""Who may do what. Checked inside the write transaction, never only by hiding buttons.

viewer: reads only. editor: writes items of their own departments (an item belongs to
every department listed on it) and may undo their own uploads. admin: everything
(plans, rules, public view, users, backups, undo of any upload). A visitor who has not
signed in sees only the plans an administrator made public, read-only.

Every writer calls one of these before it writes, inside kpi/ (pages only hide buttons):
- imports: kpi.intake.pipeline.commit (write_check inside the transaction);
- any other Batch (settings, edits, opinions, undo): apply_as(store, actor, batch, kind=…),
  or Store.apply(..., check=apply_check(actor, store, action));
- anything else: require(actor, action, departments=…, owner=…) raises PermissionDenied.
decide() gives the same answer with its reason, for pages that explain a hidden button.

Every read that can reach a visitor asks visible_plans() (readable_plans / readable_plan).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable, Literal

from kpi.errors import PermissionDenied
from kpi.store.journal import CYCLE_TABLES, ChangeSet

if TYPE_CHECKING:  # kpi.store.store imports nothing from here; keep it that way at run time too
    from kpi.store.journal import Batch
    from kpi.store.store import ApplyResult, Store

Role = Literal["viewer", "editor", "admin"]
ROLES: tuple[str, ...] = ("viewer", "editor", "admin")
ROLE_LABELS: dict[str, str] = {"viewer": "閲覧", "editor": "担当課（入力）", "admin": "管理者"}

Action = Literal["read", "import", "edit", "opinion", "undo", "settings", "public", "plan", "users", "backup", "cycle"]
ACTION_LABELS: dict[str, str] = {
    "read": "閲覧・ダウンロード",
    "import": "Excelの取り込み",
    "edit": "値・評価の修正",
    "opinion": "委員意見・回答の入力",
    "undo": "取り込みの取り消し",
    "settings": "評価ルール・計画の設定",
    "public": "計画の公開設定",
    "plan": "計画の作成・削除",
    "users": "ユーザーの管理",
    "backup": "バックアップ・復元",
    "cycle": "照会の管理（開始・確認・差し戻し・確定・解除・催促）",  # issue 20: the 推進課's part of the cycle
}
# Actions an editor may do for the items of their own departments.
DEPARTMENT_ACTIONS = frozenset({"import", "edit", "opinion"})
ADMIN_ACTIONS = frozenset({"settings", "public", "plan", "users", "backup", "cycle"})


@dataclass(frozen=True)
class Actor:
    name: str
    role: Role = "viewer"
    departments: tuple[str, ...] = field(default=())
    public_only: bool = False  # not signed in: only public plans, read-only

    @property
    def can_write(self) -> bool:
        return self.role in ("editor", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def label(self) -> str:
        if self.public_only:
            return self.name
        depts = f"・{'、'.join(self.departments)}" if self.departments and self.role != "admin" else ""
        return f"{self.name}（{ROLE_LABELS.get(self.role, self.role)}{depts}）"


# When no sign-in is configured the app runs for one trusted desktop user (the embedded default).
LOCAL_ADMIN = Actor("ローカル管理者", "admin")
# A visitor without sign-in, once sign-in is configured: public plans only.
PUBLIC_VISITOR = Actor("一般公開（サインインなし）", "viewer", public_only=True)


@dataclass(frozen=True)
class Decision:
    """Whether an actor may do an action, and why (shown next to a disabled button)."""

    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def decide(actor: Actor, action: str, *, departments: Iterable[str] | None = None, owner: str | None = None,
           plan_public: bool | None = None) -> Decision:
    """The role rule for one action.

    departments: the departments owning the target item (None: the action in general, e.g.
    whether to show the upload page at all). owner: who made the upload (for undo).
    plan_public: whether the plan being read is public (for visitors without sign-in).
    """
    what = ACTION_LABELS.get(action)
    if what is None:
        raise ValueError(f"unknown action {action!r}")
    role = ROLE_LABELS.get(actor.role, actor.role)
    if action == "read":
        if actor.public_only and plan_public is False:
            return Decision(False, "この計画は公開されていません。見るにはサインインしてください。")
        return Decision(True, "閲覧はすべての利用者ができます")
    if actor.public_only:
        return Decision(False, f"{what}にはサインインが必要です。")
    if actor.role == "admin":
        return Decision(True, f"管理者は{what}ができます")
    if action in ADMIN_ACTIONS:
        return Decision(False, f"{what}は管理者だけができます（{actor.name}さんは「{role}」）。")
    if actor.role != "editor":
        return Decision(False, f"{actor.name}さんは「{role}」の権限のため、{what}はできません。"
                               "入力が必要な場合は管理者に「担当課（入力）」の権限を依頼してください。")
    if action == "undo":
        if owner is not None and owner != actor.name:
            return Decision(False, f"ほかの人（{owner}）の取り込みを取り消せるのは管理者だけです。")
        return Decision(True, "自分の取り込みは取り消せます")
    if departments is not None:
        owners = set(departments)
        mine = set(actor.departments)
        if not owners & mine:
            theirs = "・".join(sorted(owners)) or "担当課なし"
            return Decision(False, f"この取組の担当（{theirs}）は{'・'.join(actor.departments) or '（所属なし）'}"
                                   f"ではないため、{what}はできません。")
    if not actor.departments:
        return Decision(False, f"{actor.name}さんには所属課が登録されていないため、{what}はできません。")
    return Decision(True, f"自分の課（{'・'.join(actor.departments)}）の取組は{what}ができます")


def require(actor: Actor, action: str, **kw) -> None:
    """Raise PermissionDenied (with the reason) unless the actor may do the action."""
    d = decide(actor, action, **kw)
    if not d.allowed:
        raise PermissionDenied(d.reason, hint="権限の変更は管理者に依頼してください")


def can_see_plan(actor: Actor, plan) -> bool:
    return decide(actor, "read", plan_public=bool(getattr(plan, "public", False))).allowed


def visible_plans(actor: Actor, plans: Iterable) -> list:
    """The plans an actor may open: all of them once signed in, public ones otherwise.

    This is the one visibility decision. Every read that can reach a visitor goes through it:
    the pages (ui.frame.sidebar and context(), which every page reads its plan from — so the
    meeting mode, the pack, opinions and the department sheet too) and the exports
    (readable_plans below, which kpi.outputs.export.build requires an actor for)."""
    return [p for p in plans if can_see_plan(actor, p)]


def readable_plans(store: "Store", actor: Actor) -> list:
    """The stored plans (PlanInfo) this actor may read, in the store's order."""
    return visible_plans(actor, store.plans())


def readable_plan(actor: Actor, plans: Iterable, plan_id: int | None):
    """The plan with this id among plans, if the actor may read it; PermissionDenied otherwise.

    A plan that exists but is not public gets the same answer as one that does not exist, so a
    visitor cannot probe for the names or ids of plans that are not public."""
    for p in plans:
        if p.plan_id == plan_id and can_see_plan(actor, p):
            return p
    raise PermissionDenied(no_plan_message(actor, any_plan=True) if actor.public_only
                           else "この計画は見つかりません。", hint="左の「計画」から選び直してください")


def no_plan_message(actor: Actor, *, any_plan: bool) -> str:
    """What to say when there is no plan to show, for who is asking (never sends a visitor or a
    reader to 「データ取込」, which they cannot use)."""
    if actor.public_only:
        return "公開されている計画はありません。ほかの計画を見るにはサインインしてください。"
    if any_plan:
        return "表示できる計画がありません。"
    return "計画がまだ登録されていません。" + upload_hint(actor)


def upload_hint(actor: Actor) -> str:
    """How a filled-in workbook gets into the dashboard, for this actor."""
    if decide(actor, "import"):
        return "「データ取込」からExcelを取り込んでください。"
    if actor.public_only:
        return "取り込みは、担当課・管理者がサインインして行います。"
    return "取り込みは担当課（入力）または管理者が行います。必要な場合は管理者に依頼してください。"


def write_check(actor: Actor, item_departments: Callable[[int | None, str], set[str]]) -> Callable[[ChangeSet, int | None], None]:
    """A check for Store.apply: raises PermissionDenied before anything is written.

    item_departments(plan_id, item_no) returns the departments stored for an item (empty for
    new items: an editor cannot add items, only an administrator can).
    """

    def check(changes: ChangeSet, plan_id: int | None) -> None:
        if actor.role == "admin" and not actor.public_only:
            return
        if actor.role != "editor" or actor.public_only:
            raise PermissionDenied(f"{actor.name}さんは閲覧のみの権限です。書き込みはできません。",
                                   hint="入力が必要な場合は管理者に権限を依頼してください")
        if changes.plan_is_new or changes.plan_changes:
            raise PermissionDenied("計画の作成・設定の変更は管理者だけができます。")
        mine = set(actor.departments)
        denied = set()
        for c in changes.inserts + changes.updates:
            if c.table in CYCLE_TABLES:  # issue 20: the cycle's rows belong to no item
                _own_submission(c, mine)
                continue
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


def _own_submission(c, mine: set[str]) -> None:
    """Among the cycle's rows an editor writes only the record of their own department's submission,
    which kpi.cycle.submissions adds to their upload during an open call."""
    if c.table == "cycle_events" and c.action == "insert" and c.new.get("action") == "submit" \
            and c.new.get("department") in mine:
        return
    raise PermissionDenied("照会の開始・確認・差し戻し・確定は管理者だけができます。")


def apply_check(actor: Actor, store: "Store", action: str = "edit", **rule) -> Callable[[ChangeSet, int | None], None]:
    """The check for Store.apply/apply_many: the action's role rule (rule: owner=… for undo),
    then every changed row's department."""
    rows = write_check(actor, store.item_departments)

    def check(changes: ChangeSet, plan_id: int | None) -> None:
        require(actor, action, **rule)
        if action in DEPARTMENT_ACTIONS or action == "undo":
            rows(changes, plan_id)

    return check


def apply_as(store: "Store", actor: Actor, batch: "Batch", *, kind: str, action: str | None = None,
             note: str | None = None, file_name: str | None = None, **rule) -> "ApplyResult":
    """Write a Batch made by a form (settings, edits, opinions) as this actor, checked in the transaction.

    The upload row records actor.name. action defaults from kind: settings → "settings",
    opinion → "opinion", undo → "undo" (pass owner=the undone upload's uploaded_by), anything else → "edit".
    """
    from kpi.store.store import UploadMeta
    action = action or {"settings": "settings", "opinion": "opinion", "undo": "undo"}.get(kind, "edit")
    meta = UploadMeta(user=actor.name, file_name=file_name, kind=kind, note=note)
    return store.apply(batch, meta, check=apply_check(actor, store, action, **rule))
