"""The printed slides, composed once and drawn by either writer (PowerPoint or PDF).

draw(deck, surface) walks layout.pages(deck) and places text boxes, grade
badges, tables and chart pictures at fixed positions in inches; a Surface
(kpi/outputs/pack/powerpoint.py, kpi/outputs/pack/pdf.py) turns each primitive into its format.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol, Sequence

from kpi.outputs.pack import charts
from kpi.outputs.pack.layout import (
    HEIGHT_IN,
    LIST_GAP,
    LIST_HEADER_H,
    LIST_SECTION_H,
    LIST_SIZE,
    LIST_TOP,
    LIST_WIDTHS,
    MARGIN_IN,
    WIDTH_IN,
    Fitted,
    Page,
    Para,
    cell,
    fit,
    list_rows,
    pages,
    row_height,
)
from kpi.outputs.pack.slides import Deck, ItemSlide, ListSection, SummarySlide
from kpi.rules.fiscal import Style, format_fiscal_year
from kpi.views.colors import grade_colors
from kpi.views.common import IndicatorView

INK = "#1A1A1A"
MUTED = "#555555"
ACCENT = "#0072B2"
WARN = "#D55E00"
HEADER_FILL = "#E8EEF4"
TITLE_SIZES = (28, 26, 24, 22, 20, 18, 16)
ROW_H = 0.22  # table row height (inches)


class Surface(Protocol):
    def new_page(self) -> None: ...

    def text(self, x: float, y: float, w: float, h: float, fitted: Fitted, *, color: str = INK,
             align: str = "left") -> None: ...

    def box(self, x: float, y: float, w: float, h: float, *, fill: str | None, line: str | None,
            fitted: Fitted | None = None, color: str = INK) -> None: ...

    def table(self, x: float, y: float, widths: Sequence[float], row_h: float | Sequence[float],
              rows: Sequence[Sequence[str]],
              size: float, *, header_fill: str = HEADER_FILL, align_right_from: int = 1) -> None: ...

    def image(self, png: bytes, x: float, y: float, w: float, h: float) -> None: ...

    def finish(self) -> bytes: ...


@lru_cache(maxsize=1024)  # ~35 KB each: both files of a large deck share one rendering
def _chart(view: IndicatorView, w: float, h: float, style: Style, as_of: int) -> bytes:
    return charts.indicator_png(view, width_in=w, height_in=h, style=style, as_of_fy=as_of)


@lru_cache(maxsize=32)
def _mix(counts: tuple[tuple[str, int], ...], labels: tuple[str, ...], w: float, h: float) -> bytes:
    return charts.grade_mix_png(dict(counts), grade_colors(labels), width_in=w, height_in=h)


def _footer(s: Surface, deck: Deck, n: int, total: int) -> None:
    left = f"{deck.plan_name}　{deck.as_of_label}までの状況"
    if deck.meeting is not None:
        left = f"{deck.meeting.label_in(deck.style)}　" + left
    s.text(MARGIN_IN, HEIGHT_IN - 0.38, 10.5, 0.28, fit(left, 10.5, 0.28, (9, 8)), color=MUTED)
    s.text(WIDTH_IN - MARGIN_IN - 1.6, HEIGHT_IN - 0.38, 1.6, 0.28, fit(f"{n} / {total}", 1.6, 0.28, (9,)),
           color=MUTED, align="right")


def _title(s: Surface, text: str, sub: str | None = None) -> None:
    w = WIDTH_IN - 2 * MARGIN_IN
    s.text(MARGIN_IN, 0.25, w, 0.8, fit([Para(text, bold=True)], w, 0.8, TITLE_SIZES))
    if sub:
        s.text(MARGIN_IN, 1.05, w, 0.34, fit(sub, w, 0.34, (13, 12, 11, 10, 9)), color=MUTED)


def _rows(rows: Sequence[Sequence[str]], widths: Sequence[float], size: float, lines: int = 1) -> list[list[str]]:
    return [[cell(c, w, size, lines) for c, w in zip(r, widths)] for r in rows]


# ---------------------------------------------------------------- summary
def _summary(s: Surface, deck: Deck, sm: SummarySlide, page: Page) -> None:
    _title(s, sm.title, sm.subtitle)
    y = 1.55
    n = len(sm.headlines)
    gap = 0.2
    bw = (WIDTH_IN - 2 * MARGIN_IN - gap * (n - 1)) / max(n, 1)
    for i, h in enumerate(sm.headlines):
        x = MARGIN_IN + i * (bw + gap)
        s.box(x, y, bw, 1.15, fill="#F4F6F8", line="#C8D0D8")
        s.text(x + 0.12, y + 0.06, bw - 0.24, 0.3, fit(h.label, bw - 0.24, 0.3, (12, 11, 10)), color=MUTED)
        s.text(x + 0.12, y + 0.36, bw - 0.24, 0.5, fit([Para(h.value, bold=True)], bw - 0.24, 0.5, (26, 22, 18)))
        if h.delta:
            s.text(x + 0.12, y + 0.84, bw - 0.24, 0.26, fit(f"前年度比 {h.delta}", bw - 0.24, 0.26, (10, 9)),
                   color=MUTED)
    # grades, with last year's counts
    lw = 5.9
    y = 2.95
    s.text(MARGIN_IN, y, lw, 0.35, fit([Para(f"{deck.as_of_label}の評価（{sm.graded_by}）", bold=True)], lw, 0.35, (15, 14)))
    prev = sm.previous_label or "前年度"
    rows = [["評価", "意味", "取組数", prev, "増減"]]
    rows += [[g.label, g.meaning, f"{g.count}", "―" if g.previous is None else f"{g.previous}", g.change or "―"]
             for g in sm.grades]
    widths = [0.75, 2.75, 0.75, 1.0, 0.65]
    # A hand-graded plan counts its named states too (8 rows): the rows shrink to leave the grade
    # bar and the notes below them their room.
    room = HEIGHT_IN - 0.85 - (y + 0.4) - 0.95 - (0 if sm.has_indicators else 0.4)
    row_h = min(0.32, room / len(rows))
    size = 11 if row_h >= 0.3 else 10 if row_h >= 0.26 else 9
    s.table(MARGIN_IN, y + 0.4, widths, row_h, _rows(rows, widths, size), size, align_right_from=2)
    ty = y + 0.4 + row_h * len(rows) + 0.1
    counts = tuple((g.label, g.count) for g in sm.grades)
    if any(c for _l, c in counts):
        s.image(_mix(counts, deck.labels, lw, 0.7), MARGIN_IN, ty, lw, 0.7)
        ty += 0.8
    if not sm.has_indicators:
        s.text(MARGIN_IN, ty, lw, 0.35, fit("この計画には数値指標がないため、自動評価は行いません。", lw, 0.35, (11, 10)),
               color=MUTED)
    # lagging items
    x = MARGIN_IN + lw + 0.4
    rw = WIDTH_IN - MARGIN_IN - x
    s.text(x, y, rw, 0.35, fit([Para(f"遅れている取組（{len(sm.lagging)}件）", bold=True)], rw, 0.35, (15, 14)),
           color=WARN if sm.lagging else INK)
    if sm.lagging:
        _lag_table(s, sm, x, y + 0.4, rw, page.part)
    else:
        s.text(x, y + 0.45, rw, 0.4, fit("遅れている取組はありません。", rw, 0.4, (13, 12)))
    s.text(MARGIN_IN, HEIGHT_IN - 0.78, WIDTH_IN - 2 * MARGIN_IN, 0.34,
           fit(f"評価基準: {sm.rule_text}。取組の自動評価は指標のうち最も低い評価。", WIDTH_IN - 2 * MARGIN_IN, 0.34,
               (10, 9, 8)), color=MUTED)


def _lag_table(s: Surface, sm: SummarySlide, x: float, y: float, w: float, part: tuple[int, int]) -> None:
    rows = [["No.", "取組", "担当課", "自動", "自己", "遅れの理由"]]
    rows += [[e.item_no, e.title, e.department or "―", e.auto_grade or "―", e.self_grade or "―", e.reasons]
             for e in sm.lagging[part[0]:part[1]]]
    rest = w - (0.55 + 1.2 + 0.5 + 0.5)
    widths = [0.55, rest * 0.58, 1.2, 0.5, 0.5, rest * 0.42]
    body = _rows(rows[1:], widths, 10, lines=2)
    s.table(x, y, widths, 0.42, _rows(rows[:1], widths, 10) + body, 10, align_right_from=99)


def _lagging_more(s: Surface, deck: Deck, sm: SummarySlide, page: Page) -> None:
    _title(s, page.title, f"{deck.as_of_label}までの状況")
    _lag_table(s, sm, MARGIN_IN, 1.55, WIDTH_IN - 2 * MARGIN_IN, page.part)


# ---------------------------------------------------------------- items
def _badge(s: Surface, x: float, y: float, w: float, label: str, grade: str, colors: dict[str, str]) -> None:
    fill = colors.get(grade, "#FFFFFF") if grade else "#FFFFFF"
    ink = charts.text_color(fill) if grade and grade in colors else INK
    s.box(x, y, w, 0.9, fill=fill, line="#888888")
    s.text(x + 0.08, y + 0.04, w - 0.16, 0.26, fit(label, w - 0.16, 0.26, (11, 10, 9)), color=ink, align="center")
    s.text(x + 0.08, y + 0.3, w - 0.16, 0.56, fit([Para(grade or "―", bold=True)], w - 0.16, 0.56, (28, 22, 16, 12)),
           color=ink, align="center")


def _item_head(s: Surface, it: ItemSlide, title: str) -> None:
    sub = "　".join(t for t in (it.path, f"担当課: {it.departments}" if it.departments else "") if t)
    _title(s, title, sub or None)


def _reason_paras(it: ItemSlide) -> list[Para]:
    """Most important first, so that a cut drops supporting facts, not causes (the notes page
    repeats them all in full)."""
    paras = [Para(f"● {r.title}：{r.detail}", color=WARN) for r in it.causes]
    if it.status:
        paras.append(Para(it.status))
    if it.gap:
        paras.append(Para(it.gap, color=MUTED))
    # The automatic grade's reason, unless a cause above already says it in orange.
    if it.auto_reason and it.indicators and not any(it.auto_reason in r.detail for r in it.causes):
        paras.append(Para(f"自動評価の根拠：{it.auto_reason}", color=MUTED))
    paras += [Para(f"・{r.title}：{r.detail}") for r in it.notes]
    return paras


def _full_reasons(it: ItemSlide) -> list[Para]:
    if not it.causes:
        return []
    paras = [Para("遅れの理由", bold=True)]
    paras += [Para(f"● {r.title}：{r.detail}", color=WARN) for r in it.causes]
    paras += [Para(f"・{r.title}：{r.detail}") for r in it.notes]
    return paras


def _no_values(panel) -> bool:
    return len(panel.table.columns) <= 1


def _numbers(s: Surface, panel, x: float, y: float, w: float) -> float:
    s.text(x, y, w, ROW_H, fit([Para(panel.title, bold=True)], w, ROW_H, (11, 10, 9)))
    cols = len(panel.table.columns)
    if _no_values(panel):  # no yearly values yet: say so, with the target, instead of an empty grid
        h = ROW_H * 5
        s.text(x, y + ROW_H + 0.04, w, h, fit([Para("年度ごとの計画値・実績はまだ登録されていません。", color=MUTED),
                                                Para(panel.facts, color=MUTED)], w, h, (11, 10, 9)))
        return y + ROW_H + 0.04 + h
    first = 0.75
    widths = [first] + [(w - first) / max(cols - 1, 1)] * (cols - 1)
    rows = [list(panel.table.columns)] + [list(r) for r in panel.table.rows]
    size = 10 if cols <= 5 else 9
    s.table(x, y + ROW_H + 0.04, widths, ROW_H, _rows(rows, widths, size), size)
    return y + ROW_H + 0.04 + ROW_H * len(rows)


def _comment_paras(it: ItemSlide) -> list[Para]:
    paras: list[Para] = []
    for i, c in enumerate(it.comments):
        if i:
            paras.append(Para(""))
        paras.append(Para(c.heading, bold=True))
        if c.text:
            paras.append(Para(c.text))
        if c.issues:
            paras.append(Para("課題・今後の方針", bold=True, color=MUTED))
            paras.append(Para(c.issues))
    return paras


def _item(s: Surface, deck: Deck, it: ItemSlide, page: Page, style: Style) -> None:
    _item_head(s, it, page.title)
    colors = grade_colors(deck.labels)
    lx, lw = MARGIN_IN, 5.7
    y = 1.5
    if it.indicators:
        _badge(s, lx, y, 1.75, f"{it.year_label} 自動評価", it.auto_grade, colors)
    else:  # reported in words: the status stands where the automatic grade would
        _badge(s, lx, y, 1.75, "最新の状況", it.status_label, colors)
    _badge(s, lx + 1.9, y, 1.75, f"{it.year_label} 自己評価", it.self_grade, colors)
    if it.lagging:
        s.box(lx + 3.8, y, 1.9, 0.9, fill="#FFFFFF", line=WARN,
              fitted=fit([Para("遅れている取組", bold=True)], 1.7, 0.5, (14, 12)), color=WARN)
    y += 1.0
    panels = it.indicators[page.part[0]:page.part[1]]
    bottom = HEIGHT_IN - 0.45
    tables_h = sum(ROW_H * 6 + 0.04 + 0.08 for _p in panels)
    reasons_h = max(0.6, bottom - y - tables_h - 0.05) if panels else 1.6
    s.text(lx, y, lw, reasons_h, fit(_reason_paras(it), lw, reasons_h, (13, 12, 11, 10, 9)))
    y += reasons_h + 0.05
    for p in panels:
        y = _numbers(s, p, lx, y, lw) + 0.08
    rx = lx + lw + 0.3
    rw = WIDTH_IN - MARGIN_IN - rx
    if panels:
        _charts(s, panels, rx, 1.5, rw, bottom - 1.5, style, deck.as_of_fy)
    else:
        # No indicators: the department's words take the right-hand side (and what is left below).
        paras = _comment_paras(it) or [Para("この年度の所見は登録されていません。", color=MUTED)]
        s.text(rx, 1.5, rw, bottom - 1.5, fit(paras, rw, bottom - 1.5, (14, 13, 12, 11, 10, 9, 8)))


def _charts(s: Surface, panels, x: float, y: float, w: float, h: float, style: Style, as_of: int) -> None:
    # Only indicators with a yearly value are drawn (an empty frame says nothing; the table beside
    # it says that no values are registered yet).
    panels = [p for p in panels if any(pt.target is not None or pt.actual is not None for pt in p.view.points)]
    n = len(panels)
    if not n:
        return
    each = (h - 0.1 * (n - 1)) / n
    for i, p in enumerate(panels):
        ch = min(each, 3.9)
        s.image(_chart(p.view, round(w, 2), round(ch, 2), style, as_of), x, y + i * (each + 0.1), w, ch)
        if n == 1 and p.pace:
            s.text(x, y + ch + 0.1, w, 0.6, fit(p.pace, w, 0.6, (12, 11, 10, 9)),
                   color=INK if p.pace_reachable else WARN)


def _indicators_more(s: Surface, deck: Deck, it: ItemSlide, page: Page, style: Style) -> None:
    _item_head(s, it, page.title)
    panels = it.indicators[page.part[0]:page.part[1]]
    lx, lw = MARGIN_IN, 5.7
    y = 1.5
    for p in panels:
        y = _numbers(s, p, lx, y, lw) + 0.1
        if not _no_values(p):  # without values _numbers gave the facts already
            s.text(lx, y, lw, 0.5, fit(p.facts, lw, 0.5, (10, 9, 8)), color=MUTED)
            y += 0.6
        if p.pace:
            s.text(lx, y, lw, 0.55, fit(p.pace, lw, 0.55, (10, 9, 8)), color=INK if p.pace_reachable else WARN)
            y += 0.6
    rx = lx + lw + 0.3
    _charts(s, panels, rx, 1.5, WIDTH_IN - MARGIN_IN - rx, HEIGHT_IN - 0.45 - 1.5, style, deck.as_of_fy)


def _opinion_paras(it: ItemSlide, part: tuple[int, int], style: Style = "wareki") -> list[Para]:
    if not it.opinions:
        return [Para("これまでの委員意見はありません。", color=MUTED)]
    paras: list[Para] = []
    for i, op in enumerate(it.opinions[part[0]:part[1]]):
        if i:
            paras.append(Para(""))
        paras.append(Para(f"{op.meeting_label_in(style)}　意見{op.seq}", bold=True))
        paras.append(Para(f"意見：{op.opinion}"))
        if op.answered:
            who = f"（{op.response_department}）" if op.response_department else ""
            paras.append(Para(f"回答・対応{who}：{op.response}", color=ACCENT))
        else:
            paras.append(Para("回答・対応：未回答", color=WARN))
    return paras


def _notes(s: Surface, deck: Deck, it: ItemSlide, page: Page) -> None:
    _item_head(s, it, page.title)
    y, h = 1.5, HEIGHT_IN - 0.45 - 1.5
    lw = 6.0
    comments = _comment_paras(it)
    left = _full_reasons(it) + ([Para("")] if it.causes and comments else []) + (
        [Para("担当課の所見", bold=True)] + comments if comments else [])
    if left and page.part[0] == 0:
        s.text(MARGIN_IN, y, lw, h, fit(left, lw, h, (13, 12, 11, 10, 9, 8)))
        x = MARGIN_IN + lw + 0.4
    else:
        x = MARGIN_IN
    w = WIDTH_IN - MARGIN_IN - x
    s.text(x, y, w, 0.35, fit([Para("これまでの委員意見と回答", bold=True)], w, 0.35, (15, 14)))
    s.text(x, y + 0.42, w, h - 0.42, fit(_opinion_paras(it, page.part, deck.style), w, h - 0.42, (13, 12, 11, 10, 9, 8)))


def _list(s: Surface, deck: Deck, page: Page) -> None:
    """Items without a chart, one row each, by section (issue 18)."""
    chunks = page.slide
    if len(chunks) == 1:
        c = chunks[0]
        n = len(c.section.items)
        part = f"（{c.start + 1}〜{c.end}件目）" if c.end - c.start < n else ""
        _title(s, page.title, f"{deck.as_of_label}までの状況　{n}件の取組{part}")
    else:
        _title(s, page.title, f"{deck.as_of_label}までの状況　" + "、".join(
            f"{c.section.name or '取組'} {len(c.section.items)}件" for c in chunks))
    head = [cell(c, w, LIST_SIZE) for c, w in zip(ListSection.COLUMNS, LIST_WIDTHS)]
    w = WIDTH_IN - 2 * MARGIN_IN
    y = LIST_TOP
    for c in chunks:
        if len(chunks) > 1:
            s.text(MARGIN_IN, y, w, LIST_SECTION_H, fit([Para(c.heading, bold=True)], w, LIST_SECTION_H, (13, 12, 11)))
            y += LIST_SECTION_H
        body = list_rows(c.section)[c.start:c.end]
        heights = [LIST_HEADER_H] + [row_height(r) for r in body]
        s.table(MARGIN_IN, y, LIST_WIDTHS, heights, [head] + body, LIST_SIZE, align_right_from=99)
        y += sum(heights) + LIST_GAP


def _two_axis(s: Surface, deck: Deck, page: Page) -> None:
    """Implementation status × achievement: counts, shares, change from the year before (▲ for fewer), crossed."""
    t = deck.two_axis
    _title(s, f"{page.title}（{deck.as_of_label}）", f"取組 {t.total}件　実施状況（未着手・取組中・完了）と達成度（評価）の二つの軸で数えています。")
    prev = format_fiscal_year(t.fiscal_year - 1, deck.style)
    half = (WIDTH_IN - 2 * MARGIN_IN - 0.4) / 2

    def axis_table(x: float, heading: str, counts) -> float:
        s.text(x, 1.5, half, 0.35, fit([Para(heading, bold=True)], half, 0.35, (15, 14)))
        rows = [[heading, "件数", "割合", prev, "増減"]]
        rows += [[a.label, f"{a.count}", a.share_text, "―" if a.previous is None else f"{a.previous}",
                  a.change or "―"] for a in counts]
        widths = [half - 3.6, 0.8, 1.0, 1.0, 0.8]
        row_h = min(0.3, 2.7 / len(rows))
        s.table(x, 1.9, widths, row_h, _rows(rows, widths, 10), 10, align_right_from=1)
        return 1.9 + row_h * len(rows)

    bottom = max(axis_table(MARGIN_IN, "実施状況", t.status),
                 axis_table(MARGIN_IN + half + 0.4, "達成度", t.achievement))
    y = bottom + 0.25
    w = WIDTH_IN - 2 * MARGIN_IN
    s.text(MARGIN_IN, y, w, 0.35, fit([Para("実施状況 × 達成度（取組数）", bold=True)], w, 0.35, (15, 14)))
    labels = t.achievement_labels
    rows = [["実施状況＼達成度", *labels, "計"]]
    rows += [[status, *(f"{n}" for n in counts), f"{sum(counts)}"] for status, counts in t.cross]
    first = 1.8
    widths = [first] + [(w - first) / (len(labels) + 1)] * (len(labels) + 1)
    row_h = min(0.3, (HEIGHT_IN - 0.5 - y - 0.4) / len(rows))
    s.table(MARGIN_IN, y + 0.4, widths, row_h, _rows(rows, widths, 10), 10, align_right_from=1)


def _appendix(s: Surface, deck: Deck, page: Page) -> None:
    """An appendix table (kpi.outputs.pack.appendix): overdue departments marked 【期限切れ】 in the first column."""
    a = page.slide
    _title(s, page.title, a.note)
    w = WIDTH_IN - 2 * MARGIN_IN
    widths = [w * r / sum(a.widths) for r in a.widths]
    body = []
    for i in range(page.part[0], page.part[1]):
        row = list(a.rows[i])
        if a.flagged and a.flagged[i]:
            row[0] = f"【期限切れ】{row[0]}"
        body.append(row)
    if not body:
        s.text(MARGIN_IN, 1.6, w, 0.4, fit("記載する行はありません。", w, 0.4, (13, 12)))
        return
    s.table(MARGIN_IN, 1.55, widths, 0.42, _rows([a.headers], widths, 10) + _rows(body, widths, 10, lines=2), 10,
            align_right_from=99)


def draw(deck: Deck, surface: Surface) -> bytes:
    style = deck.style
    all_pages = pages(deck)
    for n, page in enumerate(all_pages, start=1):
        surface.new_page()
        if page.kind == "summary":
            _summary(surface, deck, page.slide, page)
        elif page.kind == "lagging":
            _lagging_more(surface, deck, page.slide, page)
        elif page.kind == "item":
            _item(surface, deck, page.slide, page, style)
        elif page.kind == "indicators":
            _indicators_more(surface, deck, page.slide, page, style)
        elif page.kind == "appendix":
            _appendix(surface, deck, page)
        elif page.kind == "list":
            _list(surface, deck, page)
        elif page.kind == "two_axis":
            _two_axis(surface, deck, page)
        else:
            _notes(surface, deck, page.slide, page)
        _footer(surface, deck, n, len(all_pages))
    return surface.finish()
