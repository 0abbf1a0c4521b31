"""The committee pack without the app: one plan, one fiscal year, one file (python -m kpi pack).

The night before a meeting the secretariat builds the pack in a batch job; the file is the
one the 会議資料 page gives for the same choices (same deck, same writers, same file name).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from kpi.access.permissions import Actor, readable_plan
from kpi.cycle.shown import as_shown
from kpi.errors import KpiError
from kpi.outputs.opinions import Meeting, load_opinions
from kpi.outputs.pack import FORMATS, PackFile, pack_file
from kpi.outputs.pack.appendix import cycle_appendix
from kpi.outputs.pack.slides import SORTS, Deck, build_deck
from kpi.rules.assess import default_as_of
from kpi.rules.fiscal import Style, format_fiscal_year, parse_fiscal_year
from kpi.store.store import Store


class PackError(KpiError):
    title = "会議資料を作れません"


@dataclass(frozen=True)
class BatchPack:
    deck: Deck
    file: PackFile

    @property
    def description(self) -> str:
        d = self.deck
        return (f"{d.plan_name}　{d.as_of_label}までの状況　取組 {len(d.items)} 件"
                + (f"　{d.meeting.label}" if d.meeting else ""))


def format_of(fmt: str | None, file_name: str | None) -> str:
    """The format asked for, or the one the output file's extension names."""
    if fmt:
        return fmt
    ext = (file_name or "").rsplit(".", 1)[-1].lower() if file_name and "." in file_name else ""
    if ext in FORMATS:
        return ext
    raise PackError("資料の形式がわかりません",
                    hint="--format pptx / pdf / xlsx を指定するか、出力ファイル名を .pptx・.pdf・.xlsx で終えてください")


def build_pack(store: Store, actor: Actor, plan: str, fmt: str, *, year: object | None = None,
               style: Style = "wareki", today: date | None = None, sort: str = "plan",
               lagging_only: bool = False, meeting: str | None = None,
               meeting_date: date | None = None) -> BatchPack:
    """The pack file of plan for the year (its latest year with data when none is given).

    meeting: the meeting the pack is for; its slides carry the opinions of the meetings before
    it (all recorded ones when no meeting is named), as on the page."""
    if fmt not in FORMATS:
        raise PackError(f"資料の形式「{fmt}」は作れません", hint="pptx / pdf / xlsx のどれかを指定してください")
    if sort not in SORTS or sort == "custom":
        raise PackError(f"並べ方「{sort}」はありません",
                        hint="plan（計画の順）/ lagging_first（遅れている取組を先に）/ worst_first（評価の低い順）")
    today = today or date.today()
    info = readable_plan(actor, store.plans(), store.require_plan(plan).plan_id)
    # As the page's pack: values awaiting review and the grading target as the plan's cycle settings say.
    data = as_shown(store, store.load_plan(info.plan_id))
    if year is None or str(year).strip() == "":
        fy = default_as_of(data, today)
    else:
        fy = parse_fiscal_year(year)
        known = set(data.plan.years) | set(data.data_years)
        if known and fy not in known:
            listed = "、".join(format_fiscal_year(y, style) for y in sorted(known))
            raise PackError(f"計画「{info.name}」に{format_fiscal_year(fy, style)}の値はありません",
                            hint=f"この計画の年度: {listed}")
    from kpi.views.extras import load_extras
    deck = build_deck(data, store.rule(info.plan_id), as_of_fy=fy, today=today, style=style, sort=sort,
                      lagging_only=lagging_only, opinions=load_opinions(store, info.plan_id),
                      meeting=Meeting(meeting.strip(), meeting_date) if meeting and meeting.strip() else None,
                      narratives=load_extras(store, info.plan_id).narratives)
    # The page's appendix too: the status board of the year's call and the revised targets (当初・修正).
    deck = replace(deck, appendix=cycle_appendix(store, info.plan_id, today, style))
    return BatchPack(deck, pack_file(deck, fmt))
