"""会議モード's screens: the committee deck cut into what one projected screen holds.

A screen does not scroll and, unlike a printed slide, cannot shrink its text to fit: text
must be read from the back of the room. So an item becomes several screens, as it becomes
several pages in the deck (kpi/outputs/pack/layout.py): the main screen (grades, reasons,
one indicator's chart and numbers), one 「指標 続き」 screen per further indicator with
values, and 「所見・委員意見」 screens for the full reasons, the department's comments and
the earlier opinions. What goes where is decided by counting lines of body text at the
projector's text size (layout.wrap: full-width characters 1 em, others 0.6 em) against
the lines a 16:9 screen holds; the page sizes everything in vh, so 1366×768 shows the same
screen as 1920×1080, smaller.

Indicators without yearly values are named with their target in words, never drawn as an
empty table or chart. Plans that report statuses get the two-axis summary (implementation
status × achievement, kpi/rules/two_axis.py) as a second overview screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Sequence

from kpi.outputs.opinions import Meeting, Opinion
from kpi.outputs.pack.layout import LAG_ROWS_FIRST, LAG_ROWS_MORE, wrap
from kpi.outputs.pack.slides import Comment, Deck, IndicatorPanel, ItemSlide, SummarySlide, build_deck
from kpi.rules.assess import Assessor, assessment
from kpi.rules.frozen import quick_init
from kpi.rules.grading import GradingRule
from kpi.rules.lagging import ShownReason
from kpi.rules.model import PlanData
from kpi.rules.two_axis import TwoAxisSummary

# Body text is 1.9vh with 1.5 line spacing; the screen below its title holds this many lines
# (the navigation row, the margins and one line each of title and subtitle taken off).
SCREEN_LINES = 26.0
TITLE_EM = 50  # characters per title line (the title is 1.7 × the body text)
TITLE_LINE = 1.9  # a title line, in body lines
SUB_EM = 88
# Characters per line (em) in each column at that size.
LEFT_EM, RIGHT_EM, HALF_EM = 33, 50, 42
TILES = 5.0  # the two grade tiles
BOX = 1.2  # a coloured box's padding and heading gap
HEADING = 1.5  # a subheading with its margin
CONTINUED = "（続き）"


def lines(text: str, em: float) -> int:
    """Lines the text takes in a column em characters wide (0 for no text)."""
    return len(wrap(text, em)) if text else 0


def has_values(p: IndicatorPanel) -> bool:
    """Whether the indicator has a yearly plan value or actual to chart and tabulate."""
    return any(pt.target is not None or pt.actual is not None for pt in p.view.points)


def shown_auto_reason(it: ItemSlide) -> str:
    """The automatic grade's reason, unless a listed reason already says it (the 自動評価 cause
    carries the same sentence): each text once on a screen."""
    if not (it.auto_reason and it.indicators):
        return ""
    if any(r.code == "auto_grade" or it.auto_reason in r.detail for r in it.reasons):
        return ""
    return it.auto_reason


@quick_init
@dataclass(frozen=True)
class Screen:
    """One projected screen. kind: summary / two_axis / lagging / item / indicator / notes."""

    kind: str
    slide: SummarySlide | ItemSlide
    title: str
    rows: tuple[int, int] = (0, 0)  # summary, lagging: the lagging rows shown
    chart: IndicatorPanel | None = None  # item, indicator: the indicator drawn with its numbers
    listed: tuple[IndicatorPanel, ...] = ()  # indicators without yearly values, named with their targets
    reasons: tuple[ShownReason, ...] = ()
    auto_reason: str = ""
    comments: tuple[Comment, ...] = ()
    opinions: tuple[Opinion, ...] | None = None  # notes: the opinions shown (None: no opinions section)


@dataclass(frozen=True)
class MeetingSlides:
    deck: Deck
    screens: tuple[Screen, ...]
    two_axis: TwoAxisSummary | None  # for plans that report implementation statuses


# ---------------------------------------------------------------- what each block costs
def _reason_lines(r: ShownReason, em: float) -> int:
    return lines(f"{r.title}：{r.detail}", em - 2)  # a bullet's indent


def _listed_lines(p: IndicatorPanel, em: float) -> float:
    return lines(p.title, em) + lines(p.facts, em) + 1 + 0.5


def _comment_lines(c: Comment, em: float) -> float:
    return lines(c.heading, em) + lines(c.text, em) + (1 + lines(c.issues, em) if c.issues else 0) + 0.4


def _opinion_lines(op: Opinion, em: float) -> float:
    answer = f"回答・対応（{op.response_department or ''}）　{op.response or ''}" if op.answered else "回答・対応：未回答"
    return 1 + lines(op.opinion, em) + lines(answer, em) + BOX


def _split_text(text: str, em: float, keep: int) -> tuple[str, str]:
    """The text's first `keep` lines and the rest, line breaks kept."""
    paras = (text or "").replace("\r\n", "\n").split("\n")
    head: list[str] = []
    n = 0
    for i, para in enumerate(paras):
        wrapped = wrap(para, em)
        if n + len(wrapped) <= keep:
            head.append(para)
            n += len(wrapped)
            continue
        k = keep - n
        if k > 0:
            return "\n".join(head + ["".join(wrapped[:k])]), "\n".join(["".join(wrapped[k:])] + paras[i + 1:])
        return "\n".join(head), "\n".join(paras[i:])
    return text, ""


def _cut(c: Comment, em: float, room: float) -> tuple[tuple, tuple]:
    """("comment", the comment's first `room` lines), ("comment", the rest, headed 「…（続き）」)."""
    keep = max(int(room - lines(c.heading, em) - 0.4), 1)
    if lines(c.text, em) > keep:
        head, rest = _split_text(c.text, em, keep)
        return ("comment", Comment(c.heading, head, "")), ("comment", Comment(c.heading + CONTINUED, rest, c.issues))
    head, rest = _split_text(c.issues, em, max(keep - lines(c.text, em) - 1, 0))
    return ("comment", Comment(c.heading, c.text, head)), ("comment", Comment(c.heading + CONTINUED, "", rest))


def _measures(other: str, lines, em: float):
    """(cost, cut) of a column's blocks: ('comment', c) or (other, x), x measured by lines(x, em); only
    a comment can be cut to continue on the next screen."""
    def cost(b) -> float:
        kind, x = b
        return lines(x, em) if kind == other else _comment_lines(x, em)

    def cut(b, left: float):
        kind, x = b
        return _cut(x, em, left) if kind == "comment" else None
    return cost, cut


def _pack(blocks: Sequence, cost, room_first: float, room: float, cut=None) -> list[list]:
    """Blocks in order into columns of the given room (lines). A block that does not fit moves to
    the next column; one that cut(block, lines) can cut (a comment) is cut at a line and continued
    there; one longer than a whole column stands alone in its column."""
    out: list[list] = [[]]
    left = room_first
    queue = list(blocks)
    while queue:
        b = queue.pop(0)
        need = cost(b)
        parts = cut(b, left) if cut is not None and need > left and left >= 3 else None
        if need <= left or (not out[-1] and parts is None):
            out[-1].append(b)
            left -= need
        elif parts is not None:  # worth starting here: at least a heading and two lines
            head, rest = parts
            out[-1].append(head)
            queue.insert(0, rest)
            out.append([])
            left = room
        else:
            out.append([])
            left = room
            queue.insert(0, b)
    return out if out[-1] else (out[:-1] or [[]])


def screen_lines(title: str, sub: str) -> float:
    """Lines of body text below a screen's title and subtitle."""
    return SCREEN_LINES - TITLE_LINE * (lines(title, TITLE_EM) - 1) - (max(lines(sub, SUB_EM), 1) - 1)


def item_sub(it: ItemSlide) -> str:
    return "　".join(t for t in (it.path, f"担当課: {it.departments}" if it.departments else "") if t)


# ---------------------------------------------------------------- the split
def item_screens(it: ItemSlide) -> list[Screen]:
    """The screens of one item, in order (see the module's docstring)."""
    sub = item_sub(it)
    room = screen_lines(it.heading + "（所見・委員意見 続き）", sub)
    charted = [p for p in it.indicators if has_values(p)]
    listed = [p for p in it.indicators if not has_values(p)]
    auto = shown_auto_reason(it)

    # The main screen's left column: the tiles, why the item lags, its status and the gap.
    used = TILES
    if it.causes:
        used += BOX + sum(_reason_lines(r, LEFT_EM) for r in it.causes)
    if it.status:
        used += BOX + lines(it.status, LEFT_EM - 2)
    used += lines(it.gap, LEFT_EM)
    extra = lines(auto, LEFT_EM) + sum(_reason_lines(r, LEFT_EM) for r in it.notes)
    notes_here = used + extra <= room
    if notes_here:
        used += extra
    main_reasons = it.causes + (it.notes if notes_here else ())
    # What did not fit goes to the notes screen; what the main screen shows is not repeated.
    full_reasons = () if notes_here else it.notes

    screens: list[Screen] = []
    right_blocks: list = []  # no chart: the right column takes the listed indicators and the comments
    left_listed: list[IndicatorPanel] = []
    if charted:
        # Indicators without values go under the reasons while they fit, else on their own screen.
        for p in listed:
            if used + _listed_lines(p, LEFT_EM) <= room:
                left_listed.append(p)
                used += _listed_lines(p, LEFT_EM)
        rest_listed = [p for p in listed if p not in left_listed]
    else:
        right_blocks = [("listed", p) for p in listed] + [("comment", c) for c in it.comments]
        rest_listed = []

    right_cost, right_cut = _measures("listed", _listed_lines, RIGHT_EM)
    # The right column's first block is headed (担当課の所見 / 指標): that heading is counted once.
    columns = _pack(right_blocks, right_cost, room - 2 * HEADING, room - 2 * HEADING, right_cut) if right_blocks else [[]]
    first = columns[0]
    screens.append(Screen("item", it, it.heading, chart=charted[0] if charted else None,
                          listed=tuple(left_listed) + tuple(x for k, x in first if k == "listed"),
                          reasons=main_reasons, auto_reason=auto if notes_here else "",
                          comments=tuple(x for k, x in first if k == "comment")))
    for col in columns[1:]:
        screens.append(Screen("item", it, f"{it.heading}{CONTINUED}",
                              listed=tuple(x for k, x in col if k == "listed"),
                              comments=tuple(x for k, x in col if k == "comment")))
    for p in charted[1:]:
        screens.append(Screen("indicator", it, f"{it.heading}（指標 続き）", chart=p))
    for col in _pack(rest_listed, lambda p: _listed_lines(p, HALF_EM * 2), room, room) if rest_listed else []:
        screens.append(Screen("indicator", it, f"{it.heading}（指標 続き）", listed=tuple(col)))

    # The notes screens: left the reasons in full and (with indicators) the comments, right the opinions.
    left_blocks: list = [("reasons", r) for r in full_reasons]
    if charted:  # otherwise the comments are on the main screen's right
        left_blocks += [("comment", c) for c in it.comments]
    if not left_blocks and not it.opinions:
        return screens

    left_cost, left_cut = _measures("reasons", _reason_lines, HALF_EM)
    heads = HEADING * ((1 if full_reasons else 0) + (1 if any(k == "comment" for k, _x in left_blocks) else 0))
    lefts = _pack(left_blocks, left_cost, room - heads, room - HEADING, left_cut) if left_blocks else [[]]
    rights = _pack(list(it.opinions), lambda op: _opinion_lines(op, HALF_EM), room - HEADING, room - HEADING) \
        if it.opinions else [[]]
    for i in range(max(len(lefts), len(rights))):
        left = lefts[i] if i < len(lefts) else []
        right = rights[i] if i < len(rights) else []
        title = f"{it.heading}（所見・委員意見{'' if i == 0 else ' 続き'}）"
        screens.append(Screen("notes", it, title,
                              reasons=tuple(x for k, x in left if k == "reasons"),
                              comments=tuple(x for k, x in left if k == "comment"),
                              opinions=tuple(right) if (i == 0 or right) else None))
    return screens


def screens(deck: Deck, two_axis: bool = False) -> tuple[Screen, ...]:
    """Every screen of the meeting, in order: the overview (and the rest of a long lagging list,
    as many rows per screen as the deck's pages hold), the two-axis summary, then the items."""
    sm = deck.summary
    out = [Screen("summary", sm, sm.title, rows=(0, min(LAG_ROWS_FIRST, len(sm.lagging))))]
    for start in range(LAG_ROWS_FIRST, len(sm.lagging), LAG_ROWS_MORE):
        out.append(Screen("lagging", sm, "遅れている取組（続き）", rows=(start, min(start + LAG_ROWS_MORE, len(sm.lagging)))))
    if two_axis:
        out.append(Screen("two_axis", sm, f"{deck.plan_name}　実施状況と達成状況"))
    for it in deck.items:
        out.extend(item_screens(it))
    return tuple(out)


def meeting_slides(data: PlanData, rule: GradingRule, *, as_of_fy: int | None = None, today: date | None = None,
                   style="wareki", assessed: Assessor | None = None, sort: str = "plan",
                   pick: Sequence[str] | None = None, lagging_only: bool = False, opinions: Sequence[Opinion] = (),
                   meeting: Meeting | None = None, narratives: Sequence = ()) -> MeetingSlides:
    """The deck of build_deck (the same one the pack writes), cut into screens, with the two-axis
    summary when the plan reports statuses."""
    result, assessed = assessment(data, rule, as_of_fy=as_of_fy, today=today, assessed=assessed)
    deck = build_deck(data, rule, as_of_fy=result.as_of_fy, today=today, style=style, sort=sort, pick=pick,
                      lagging_only=lagging_only, opinions=opinions, meeting=meeting, narratives=narratives,
                      assessed=assessed)
    two = deck.two_axis  # build_deck's two_axis_summary of the same assessment, for plans with statuses
    return MeetingSlides(deck, screens(deck, two is not None), two)

