"""Workbook layouts: detection from the sheet content (never the file name) and parsing.

Each layout module offers detect(...) → a score between 0 and 1, and
parse(workbook, plan_name) → Batch. A layout is chosen when its score is the
highest and at least MIN_SCORE.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Callable, Iterable, Sequence

from kpi.errors import BadWorkbook, Problem
from kpi.intake.layouts import action_list, canonical, guideline_tables, marks_progress, progress_sheet, strategy_list, taught
from kpi.intake.layouts.profile import KEY_PREFIX, Profile, ProfileError, matching_sheets, mismatch_problems
from kpi.intake.workbook import Workbook, cell_error_problems, read_workbook
from kpi.rules.model import PlanInfo
from kpi.rules.plan_names import normalize_plan_name
from kpi.store.journal import Batch

MIN_SCORE = 0.6


@dataclass(frozen=True)
class Layout:
    key: str
    label: str
    detect: Callable[[Workbook], float]
    parse: Callable[[Workbook, str | None], Batch]


def _sheetwise(detect_sheet: Callable) -> Callable[[Workbook], float]:
    def detect(wb: Workbook) -> float:
        best = 0.0
        for s in wb.sheets:
            best = max(best, detect_sheet(s))
            if best >= 1.0:
                break  # no sheet can score more: a 300-sheet book need not be scored 300 times
        return best
    return detect


LAYOUTS: list[Layout] = [
    Layout(canonical.LAYOUT, canonical.LAYOUT_LABEL, canonical.detect, canonical.parse),
    Layout(progress_sheet.LAYOUT, progress_sheet.LAYOUT_LABEL, _sheetwise(progress_sheet.detect),
           lambda wb, plan: progress_sheet.parse(wb, plan or "")),
    Layout(action_list.LAYOUT, action_list.LAYOUT_LABEL, _sheetwise(action_list.detect), action_list.parse),
    Layout(strategy_list.LAYOUT, strategy_list.LAYOUT_LABEL, _sheetwise(strategy_list.detect), strategy_list.parse),
    Layout(marks_progress.LAYOUT, marks_progress.LAYOUT_LABEL, _sheetwise(marks_progress.detect), marks_progress.parse),
    Layout(guideline_tables.LAYOUT, guideline_tables.LAYOUT_LABEL, _sheetwise(guideline_tables.detect),
           guideline_tables.parse),
]


def register(layout: Layout) -> None:
    """Add a layout (used by the modules for the other published formats)."""
    for i, existing in enumerate(LAYOUTS):
        if existing.key == layout.key:
            LAYOUTS[i] = layout
            return
    LAYOUTS.append(layout)


def profile_layout(profile: Profile) -> Layout:
    """A taught layout as a Layout: read by the generic reader with its profile."""
    return Layout(profile.key, profile.label, lambda wb: taught.detect(profile, wb),
                  lambda wb, plan: taught.parse(profile, wb, plan))


def layout_label(key: str | None) -> str:
    if key and key.startswith(KEY_PREFIX):
        return f"登録した様式「{key[len(KEY_PREFIX):]}」"
    for lay in LAYOUTS:
        if lay.key == key:
            return lay.label
    return key or ""


def detect_layout(wb: Workbook, profiles: Sequence[Profile] = ()) -> Layout:
    """A taught layout whose header fingerprint the workbook matches exactly comes first (the city
    taught it for this sheet). A workbook that looks like a taught layout (most of its header texts)
    but differs is refused with the differing header cells, never read with it nor with a known
    layout. Then the known layouts by score."""
    for profile in profiles:
        if taught.detect(profile, wb) >= 1.0:
            return profile_layout(profile)
    # Before the known layouts: a taught sheet with a column inserted can still look like a known
    # layout (a two-row year header is half a 進捗管理シート) and would be misread by it.
    for profile in profiles:
        _exact, near = matching_sheets(profile, wb)
        if near:
            raise ProfileError(
                f"「{wb.file_name}」は登録した様式「{profile.name}」に似ていますが、見出しが一致しません",
                hint="列や行が挿入・削除されたか、見出しが変わっています。様式を登録し直してください",
                problems=mismatch_problems(profile, wb, near))
    scored = []
    for i, lay in enumerate(LAYOUTS):
        scored.append((lay.detect(wb), i, lay))
        if scored[-1][0] >= 1.0:
            break  # scores end at 1 and a tie goes to the earlier layout: none after this one can win
    scored.sort(key=lambda t: (-t[0], t[1]))
    if not scored or scored[0][0] < MIN_SCORE:
        names = "、".join(f"「{s.name}」" for s in wb.sheets[:5])
        raise BadWorkbook(
            f"「{wb.file_name}」はどの様式にも当てはまりませんでした（シート: {names}）。",
            hint="標準テンプレート（画面の「テンプレートをダウンロード」）か、進捗管理シートなど公開されている様式で提出してください")
    return scored[0][2]


def parse_workbook(wb: Workbook, plan_name: str | None = None, layout: Layout | None = None) -> Batch:
    layout = layout or detect_layout(wb)
    batch = layout.parse(wb, plan_name)
    batch.problems.extend(cell_error_problems(wb))
    batch.layout = layout.key
    batch.source = wb.file_name
    return batch


def _nos_text(nos: set[str]) -> str:
    from kpi.store.store import natural_key
    shown = sorted(nos, key=natural_key)
    text = "、".join(f"No.{n}" for n in shown[:5])
    return text + (f" ほか{len(shown) - 5}件" if len(shown) > 5 else "")


def resolve_plan_name(batch: Batch, plans: Sequence[PlanInfo], items_of: Callable[[int], set[str]], file_name: str,
                      *, chosen: bool = False, fed: Iterable[int] = ()) -> None:
    """Decide the plan a parsed file goes into; problems say how it was decided.

    The plan's name decides. A name, the file's own (計画名, a title row) or the one chosen on the
    upload page or with --plan (chosen=True), is compared with the registered plans in the one
    normalised form (kpi/rules/plan_names.py): one match → that plan, under its stored name; none → a
    new plan (the preview says so; a warning names registered plans that hold the same item
    numbers, the usual sign of a mistyped name); several → refused, naming them.

    Item numbers place a file only when nothing names its plan: layouts whose sheets carry no
    plan name (one 進捗管理シート per item, the guideline tables) and titles without one. Then
    the one plan already fed with this layout (fed: plan ids) that holds every item number of the
    file is the target, or, for a layout without items, the one plan fed with it. That never
    merges two named plans: a name is never overridden by what the items look like, since two
    plans of one city often number their items the same way (1, 2, 3…). Several candidates are
    refused, naming them; none makes a new plan named after the file.
    """
    where = batch.plan_where.get("name", {})
    sheet, cell = where.get("_sheet"), where.get("_cell")
    nos = set(map(itemgetter("item_no"), batch.table("items"))) | set(map(itemgetter("item_no"), batch.table("indicator_values")))
    named = normalize_plan_name(batch.plan_name)
    if named:
        same = [p for p in plans if normalize_plan_name(p.name) == named]
        if len(same) > 1 and chosen:
            same = [p for p in same if p.name == batch.plan_name] or same
        if len(same) == 1:
            batch.plan_name = same[0].name
            return
        batch.plan_name = named
        if same:
            batch.problems.append(Problem(
                "error", f"計画名「{named}」に当てはまる計画が{len(same)}つあります: "
                         + "、".join(f"「{p.name}」（計画ID {p.plan_id}）" for p in same),
                sheet, cell, file_name, "取り込み先の計画を一覧から選んでください。同じ名前に見える計画は、"
                                       "管理者がどちらかの名前を変えてください", "plan_ambiguous"))
            return
        alike = [p.name for p in plans if nos and nos <= items_of(p.plan_id)] if not chosen else []
        if alike:
            names = "、".join(f"「{n}」" for n in alike[:3])
            batch.problems.append(Problem(
                "warning", f"計画「{named}」は登録されていないため、新しい計画として取り込みます。"
                           f"同じ取組番号（{_nos_text(nos)}）を持つ計画 {names} とは別の計画になります",
                sheet, cell, file_name,
                f"{names} に取り込む場合は、ファイルの計画名を登録済みの名前に直してください", "plan_new"))
        return
    fed = set(fed)
    if nos:
        candidates = [p for p in plans if p.plan_id in fed and nos <= items_of(p.plan_id)]
    else:
        candidates = [p for p in plans if p.plan_id in fed] if batch.count() else []
    what = f"同じ取組番号（{_nos_text(nos)}）を持つ" if nos else "同じ様式を取り込んだ"
    if len(candidates) == 1:
        batch.plan_name = candidates[0].name
        batch.problems.append(Problem("warning", f"計画名がシートにないため、{what}計画「{candidates[0].name}」に取り込みます",
                                      file=file_name, hint="別の計画に取り込むときは取り込み先の計画を指定してください",
                                      code="plan_guessed"))
        return
    if candidates:
        batch.problems.append(Problem(
            "error", f"計画名がシートにないため、取り込み先を決められません。{what}計画が{len(candidates)}つあります: "
                     + "、".join(f"「{p.name}」" for p in candidates),
            file=file_name, hint="取り込み先の計画を選んでください（画面の「取り込み先の計画」、コマンドでは --plan 計画名）",
            code="plan_ambiguous"))
        return
    stem = normalize_plan_name(Path(file_name).stem)
    batch.plan_name = stem
    known = [p for p in plans if normalize_plan_name(p.name) == stem]
    batch.problems.append(Problem(
        "warning", f"計画名がシートにないため、ファイル名「{stem}」を計画名にします"
                   + ("" if known else "（新しい計画になります）"),
        file=file_name, hint="別の計画に取り込むときは取り込み先の計画を指定してください", code="plan_from_file"))
    if len(known) > 1:
        resolve_plan_name(batch, plans, items_of, file_name, chosen=False)
    elif known:
        batch.plan_name = known[0].name


__all__ = ["LAYOUTS", "Layout", "MIN_SCORE", "Workbook", "detect_layout", "parse_workbook", "read_workbook",
           "register", "resolve_plan_name", "layout_label", "profile_layout"]
