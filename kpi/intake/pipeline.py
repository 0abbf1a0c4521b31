"""An import from file to database, shared by the CLI and the upload page.

prepare() is the one pipeline: read → detect and parse → apply a person's edits (data:
kpi.intake.edits.IndicatorEdit) → check against the plans (a PlanContext read once for the
whole upload: kpi.store.intake_reads) → diff. It writes nothing; commit() writes prepared
imports that have no errors, all of them in one transaction, reading the stored rows again
inside it.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Mapping

from kpi.access.permissions import Actor, write_check
from kpi.errors import BadWorkbook, ImportRefused, Problem
from kpi.intake.edits import (DirectionChoice, IndicatorEdit, TextIndicator, apply_indicator_edits, as_edits,
                              direction_choices, text_indicators)
from kpi.intake.layouts import (detect_layout, layout_label, parse_workbook, profile_layout, read_workbook,
                                resolve_plan_name)
from kpi.intake.layouts.profile import Profile, ProfileError, load_profile
from kpi.intake.text_values import accept_text_values, stored_qualitative
from kpi.intake.validate import check_bounds, cross_file_problems, target_change_problems, validate_batch
from kpi.sanitize import safe_file_name
from kpi.store.intake_reads import PlanContext, load_plan_context
from kpi.store.journal import PLAN_FIELD_LABELS, Batch, ChangeSet
from kpi.store.store import ApplyResult, PreparedDiff, Store, UploadMeta

Edits = Iterable[IndicatorEdit | Mapping[str, Any]]

_gc_lock = threading.Lock()
_gc_paused = 0  # imports running in this process with the cycle collector paused
_gc_was_enabled = False


@contextmanager
def _cycles_collected_after():
    """The cycle collector paused while an import runs. A 100,000-row file makes about a million
    cells and row dicts that all live until the import ends; the collector walked them again and
    again (a fifth of the import's time) and found nothing, since they are freed by their counts.
    Process-wide: other sessions' cycles wait those seconds too, and nested or concurrent imports
    keep it paused until the last one ends."""
    global _gc_paused, _gc_was_enabled
    with _gc_lock:
        if _gc_paused == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_paused += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_paused -= 1
            if _gc_paused == 0 and _gc_was_enabled:
                gc.enable()


@dataclass
class PreparedImport:
    file_name: str
    sha256: str | None = None
    layout: str | None = None
    batch: Batch | None = None
    changes: ChangeSet | None = None
    problems: list[Problem] = field(default_factory=list)
    text_indicators: tuple[TextIndicator, ...] = ()  # as the file says them, before any edit
    # Directions the importer decided (推定 / 判断できず), before any edit, for a person to confirm;
    # not those the plan already holds as written or chosen (an import keeps them).
    directions: tuple[DirectionChoice, ...] = ()
    same_file_before: str | None = None  # '取込番号 12（…）' when a file with these bytes was taken in
    # item No. → 取組名, the file's own else the stored plan's (a file of values names no item): the preview's 取組
    titles: dict[str, str] = field(default_factory=dict)
    # The preview's diff with what writing it needs: commit() writes it without comparing again when
    # nothing was written since (kpi.store.store.PreparedDiff).
    prepared: PreparedDiff | None = field(default=None, repr=False)

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


@_cycles_collected_after()
def prepare(store: Store, source: bytes | str | Path, file_name: str | None = None, *,
            plan_name: str | None = None, today: date | None = None,
            edits: Edits = (), actor: Actor | None = None,
            context: PlanContext | None = None,
            layout_profile: str | Profile | None = None) -> PreparedImport:
    """layout_profile names a taught layout (or is one) to read the file with; otherwise the taught
    layouts stored in the database are tried by their header fingerprints before the known ones.

    edits (kpi.intake.edits.IndicatorEdit, or their plain form), when given, change the parsed
    rows before they are checked (the upload page's corrections of indicators read from 成果指標
    text); their mistakes land in the problems. context: what the plans hold, read once for all
    files of one upload (prepare_many); without it this file reads its own.

    actor is who uploads (the upload page passes the signed-in user); None stands for a trusted
    local administrator (the CLI, the demo loader), as in commit(). It decides whether the
    plan settings a file carries (評価方式, 階層名 …) may change an existing plan (see
    _plan_settings_policy)."""
    name = safe_file_name(file_name or (Path(source).name if isinstance(source, (str, Path)) else "upload.xlsx"))
    prep = PreparedImport(name)
    ctx = context or load_plan_context(store)
    try:
        wb = read_workbook(source, name)
        prep.sha256 = wb.sha256
        if layout_profile is not None:
            chosen = layout_profile if isinstance(layout_profile, Profile) else \
                named_profile(ctx.layouts, layout_profile, _context_profiles(ctx))
            layout = profile_layout(chosen)
        else:
            layout = detect_layout(wb, [p for p in _context_profiles(ctx).values() if p is not None])
        prep.layout = layout.key
        batch = parse_workbook(wb, plan_name, layout)
        if not batch.count() and not batch.errors and layout.key not in ("canonical",) and not layout_profile \
                and not layout.key.startswith("profile:"):
            # A published layout that found nothing to read was a guess from a few header words (a
            # 事務事業評価 sheet has 担当課, 指標, 計画 and 実績 too): the workbook is one no layout reads.
            prep.layout = None
            raise BadWorkbook(
                f"「{name}」は「{layout.label}」に似た見出しがありますが、読み取れる取組がありませんでした。"
                "どの様式にも当てはまりませんでした",
                hint="標準テンプレートで提出するか、管理者がこの画面で様式を登録してください")
    except BadWorkbook as exc:
        prep.problems.append(Problem("error", exc.message, file=name, hint=exc.hint, code="bad_file"))
        if isinstance(exc, ProfileError):
            prep.problems.extend(exc.problems)
        return prep
    prep.text_indicators = text_indicators(batch)  # the page's editor always starts from what the file says
    choices = direction_choices(batch)
    edits = as_edits(edits)
    if edits:
        apply_indicator_edits(batch, edits)
    prep.same_file_before = ctx.same_file_before(prep.sha256)
    resolve_plan_name(batch, ctx.plans, ctx.item_nos, name, chosen=plan_name is not None, fed=ctx.fed(layout.key))
    accept_text_values(batch, stored_qualitative(batch, ctx))
    if not batch.errors:
        _plan_settings_policy(batch, ctx, actor)
    check_bounds(batch, wb)
    if not batch.errors:
        validate_batch(batch, ctx, today)
    prep.batch = batch
    prep.problems = list(batch.problems)
    if not batch.errors:
        plan_row = ctx.plan_row(batch.plan_name)
        stored = ctx.existing(plan_row[0], "indicators") if plan_row else {}
        prep.directions = tuple(c for c in choices if (stored.get((c.item_no, c.indicator)) or {}).get(
            "direction_source") in (None, "inferred", "default"))
        prep.prepared = store.prepared_diff(batch, ctx)
        prep.changes = prep.prepared.changes
        prep.titles = {**ctx.item_titles(batch.plan_name),
                       **{str(r["item_no"]): r["title"] for r in batch.table("items") if r.get("title")}}
        prep.problems += target_change_problems(batch, prep.changes)
        prep.problems += rule_change_problems(batch, prep.changes)
        # Issue 20: a change to a 確定 (locked) period is refused already in the preview (kpi/cycle).
        from kpi.cycle.submissions import preview_problems
        prep.problems += preview_problems(store, batch, prep.changes)
    return prep


def _loaded(body: str) -> Profile | None:
    try:
        return load_profile(body)
    except ProfileError:
        return None


def _context_profiles(ctx: PlanContext) -> dict[str, Profile | None]:
    """The taught layouts of the upload's context, each loaded once for all its files (None: a stored
    text that no longer loads, left out of detection; `python -m kpi layout list` names it)."""
    return ctx.made("layout_profiles", lambda: {n: _loaded(body) for n, body in ctx.layouts})


def named_profile(rows, name: str, loaded: dict[str, Profile | None] | None = None) -> Profile:
    """The stored layout of that name from rows (name, body); one that does not load says why."""
    for stored_name, body in rows:
        if stored_name == name:
            got = (loaded or {}).get(name)
            return got if got is not None else load_profile(body)
    names = "、".join(f"「{n}」" for n, _b in rows) or "（まだありません）"
    raise ProfileError(f"様式「{name}」は登録されていません。登録済みの様式: {names}",
                       hint="python -m kpi layout list で名前を確かめるか、layout import で設定ファイルを登録してください")


def stored_profile(store: Store, name: str) -> Profile:
    return named_profile(store.layout_profiles(), name)


def save_profile(store: Store, profile: Profile, user: str) -> int | None:
    """Store a taught layout (journalled: kpi/store/store.py save_layout_profile)."""
    return store.save_layout_profile(profile.name, profile.to_json(), user)


def _plan_settings_policy(batch: Batch, ctx: PlanContext, actor: Actor | None) -> None:
    """What a file may say about an existing plan's settings.

    A file carries settings (the template's 計画 sheet: 評価方式, 階層名, 自治体 …), and the blank
    template carries a 評価方式 whether or not anyone meant to change it. They are applied when
    the file creates the plan, or when an administrator uploads it (the preview then shows a
    rule change before → after and asks for confirmation: rule_change_problems). Anyone else's
    settings are left out, with a notice naming them, and the rest of the file is taken in
    (writing settings is the administrator's: kpi.access.permissions). A rule equal to the plan's is
    no change, however it is written.
    """
    if not batch.plan:
        return
    plan = ctx.plan_named(batch.plan_name)
    if plan is None:
        return
    text = batch.plan.get("grading_rule")
    if text is not None:
        from kpi.rules.rule_form import check_rule
        file_rule, _problems = check_rule(text)
        stored = ctx.rule(plan.plan_id)
        if file_rule is not None and file_rule == stored and not stored.notice:
            del batch.plan["grading_rule"]
    if actor is None or (actor.is_admin and not actor.public_only):
        return
    changed = [f for f in ctx.store.diff(Batch(batch.plan_name, plan=dict(batch.plan)), ctx).plan_changes]
    if not changed:
        return
    for f in changed:
        batch.plan.pop(f, None)
    first = batch.plan_where.get(changed[0], {})
    labels = "、".join(PLAN_FIELD_LABELS.get(f, f) for f in changed)
    rule_note = ""
    if "grading_rule" in changed:
        rule_note = f"この計画の評価方式「{ctx.rule(plan.plan_id).name}」のまま取り込みます。"
    batch.problems.append(Problem(
        "warning", f"ファイルにある計画の設定（{labels}）は反映しません。{rule_note}"
                   f"計画の設定を変えられるのは管理者だけです",
        first.get("_sheet"), first.get("_cell"), first.get("_file") or batch.source,
        "設定を変える必要があれば、管理者に依頼してください", "settings_ignored"))


def rule_change_problems(batch: Batch, changes: ChangeSet) -> list[Problem]:
    """A file that changes an existing plan's grading rule: a warning showing the rule before → after.
    The upload page asks for its own confirmation (kpi.intake.review.UploadReview.rule_changes)."""
    if changes.plan_is_new or "grading_rule" not in changes.plan_changes:
        return []
    from kpi.rules.grading import GradingRule
    old, new = (GradingRule.from_json(v) for v in changes.plan_changes["grading_rule"])
    where = batch.plan_where.get("grading_rule", {})
    return [Problem("warning", f"この計画の評価方式が変わります: 「{old.name}」（{old.describe()}）→ "
                               f"「{new.name}」（{new.describe()}）。計画のすべての自動評価が新しいルールで決まります",
                    where.get("_sheet"), where.get("_cell"), where.get("_file") or batch.source,
                    "変えないときは「計画」シートの評価方式の欄を消すか、今の評価方式と同じにしてから取り込んでください",
                    "rule_changed")]


def prepare_many(store: Store, sources: list[tuple[str, bytes | str | Path]], *, plan_name: str | None = None,
                 today: date | None = None, edits: Mapping[str, Edits] | None = None,
                 actor: Actor | None = None, layout_profile: str | Profile | None = None) -> list[PreparedImport]:
    """prepare() for every file of one upload against one PlanContext, then the checks across
    them (the same value twice). edits: per file name, that file's edits."""
    ctx = load_plan_context(store)
    preps = [prepare(store, src, name, plan_name=plan_name, today=today, edits=(edits or {}).get(name, ()),
                     actor=actor, context=ctx, layout_profile=layout_profile)
             for name, src in sources]
    by_file = {prep.file_name: prep for prep in preps}
    for p in cross_file_problems([prep.batch for prep in preps if prep.batch is not None]):
        target = by_file.get(p.file or "")
        if target is not None:
            target.problems.append(p)
    return preps


@_cycles_collected_after()
def commit(store: Store, prepared: list[PreparedImport], actor: Actor | str, *, note: str | None = None,
           check=None, backup: bool = True) -> list[ApplyResult]:
    """Write every prepared import in one transaction, or nothing if any has an error.

    actor is who uploads; their permissions are checked inside the transaction. A plain
    name stands for a trusted local administrator (the CLI, the demo loader). Before
    anything is written, a backup of the database is taken (kpi/intake/backup.py) unless the
    files change nothing or backup=False.
    """
    if isinstance(actor, str):
        actor = Actor(actor, "admin")
    problems = [p for prep in prepared for p in prep.errors]
    # Guard for callers that prepared files one by one: two files must not disagree on a value.
    problems += [p for p in cross_file_problems([prep.batch for prep in prepared if prep.batch is not None])
                 if p.level == "error" and p not in problems]
    if problems or any(prep.batch is None for prep in prepared):
        raise ImportRefused(problems or [Problem("error", "読み込めなかったファイルがあります")])
    metas = [UploadMeta(user=actor.name, file_name=prep.file_name, sha256=prep.sha256, layout=prep.layout, note=note)
             for prep in prepared]
    allowed = write_check(actor, store.item_departments)
    if backup and any(prep.changes is None or not prep.changes.is_empty for prep in prepared):
        allowed(ChangeSet("", False, {}, ()), None)  # a viewer is refused before a backup is even taken
        from kpi.intake.backup import before_import
        before_import(store)

    # Issue 20 (kpi/cycle): during an open call an editor's upload is their department's submission
    # (its record is written with it), and no upload may change a 確定 (locked) period.
    from kpi.cycle.submissions import lock_check, with_submissions
    batches = with_submissions(store, [prep.batch for prep in prepared], [prep.changes for prep in prepared], actor)
    locked = lock_check(store, batches)

    def both(changes, plan_id):
        allowed(changes, plan_id)
        locked(changes, plan_id)
        if check is not None:
            check(changes, plan_id)

    return store.apply_many(batches, metas, check=both, prepared=[prep.prepared for prep in prepared])
