"""Where things go on a printed slide, shared by the PowerPoint and the PDF writers.

A projector slide (13.33 × 7.5 inches, 16:9) holds less than a screen that
scrolls, so each deck slide becomes one or more pages: the summary (and the
rest of a long lagging list), each item's main page (grades, reasons, numbers,
charts for up to two indicators), further indicator pages, and a page with the
department's comments and the earlier opinions. Text is fitted by estimate
(full-width characters are 1 em, others about 0.6 em): the largest font size
at which it fits the box, else the smallest size with the end cut and marked.
Both writers use the same pages and font sizes, so the PPTX and the PDF agree.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from itertools import accumulate
from dataclasses import dataclass
from typing import Sequence

from kpi.outputs.pack.slides import Deck, ItemSlide, ListSection, SummarySlide

WIDTH_IN, HEIGHT_IN = 13.333, 7.5
MARGIN_IN = 0.4
PT_PER_IN = 72.0
LINE = 1.25  # line height as a multiple of the font size
SAFETY = 0.92  # fonts differ: leave room so a renderer that measures wider still fits
INDICATORS_PER_PAGE = 2
LAG_ROWS_FIRST = 6  # lagging rows on the summary page
LAG_ROWS_MORE = 12  # on each continuation page
OPINIONS_PER_PAGE = 4
CUT_MARK = "…（以下省略）"
# The list table of items without a chart (issue 18): column widths in inches, font size, the
# most lines a cell shows, and the room the rows have below the title.
LIST_WIDTHS = (0.75, 2.05, 1.35, 2.3, 2.7, 0.95, 2.43)
LIST_SIZE = 9.0
LIST_LINES = 4
LIST_HEADER_H = 0.3
LIST_TOP, LIST_BOTTOM = 1.5, HEIGHT_IN - 0.5
LIST_SECTION_H = 0.34  # a section's heading above its table, when a page holds several sections
LIST_GAP = 0.15

class _Widths(dict):
    """A character's width, looked up once per character: the meeting's screens and the deck's
    pages measure every text of a prefecture plan's deck (about 100 000 characters)."""

    def __missing__(self, ch: str) -> float:
        w = self[ch] = 1.0 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 0.6
        return w


_WIDTHS = _Widths()


def char_width(ch: str) -> float:
    """Width in em: full-width (CJK, full-width forms) 1, others 0.6."""
    return _WIDTHS[ch]


def text_width(text: str) -> float:
    return sum(map(_WIDTHS.__getitem__, text))


_NO_LINE_START = set("、。，．・：；？！）」』】〕｝〉》ー々ぁぃぅぇぉっゃゅょァィゥェォッャュョ,.)]}%")


def _in_word(ch: str) -> bool:
    """A character of a number or a Latin word (2,094 / 4.5 / 48/50 / km): a line does not break inside one."""
    return ch.isascii() and (ch.isalnum() or ch in ",./")


def _reach(width_em: float) -> int:
    """More characters than a line of width_em can hold (the narrowest character is 0.6 em)."""
    return int(width_em / 0.6) + 2


def wrap(text: str, width_em: float) -> list[str]:
    """Lines of at most width_em; Japanese breaks between any characters (not before 、。）), a number
    or a Latin word only where it is longer than a line ('2,0' / '94人' would misread the number)."""
    out: list[str] = []
    for para in (text or "").replace("\r\n", "\n").split("\n"):
        n = len(para)
        if n <= width_em:  # no character is wider than 1 em: it fits, there is no break to find
            out.append(para)
            continue
        # A line's width is the running sum of its characters' widths, added in order from the
        # line's start (accumulate adds them in the same order, so every comparison below is the
        # one a character-by-character loop makes, float rounding included); a line ends at the
        # first character that would take it past width_em and may start a line.
        ws = list(map(_WIDTHS.__getitem__, para))
        reach = _reach(width_em)
        s = 0  # where the current line starts
        w0 = 0.0  # the width it starts with (a word carried over from the line before)
        i = 0  # the next character to place
        while True:
            if i == s:  # an empty line takes its first character whatever its width
                if i >= n:
                    break
                w0 = w0 + ws[i]
                i += 1
            end = i + reach
            acc = list(accumulate(ws[i:end], initial=w0))
            k = bisect_right(acc, width_em, 1) - 1 + i  # the first character past the width
            if k == end < n:  # cannot happen (the slice holds more than a line), kept for safety
                acc = list(accumulate(ws[i:], initial=w0))
                k = bisect_right(acc, width_em, 1) - 1 + i
            if k >= n:
                break
            ch = para[k]
            while ch in _NO_LINE_START:
                k += 1
                if k == n:
                    break
                ch = para[k]
            if k >= n:
                break
            start = k
            if _in_word(ch):
                while start > s and _in_word(para[start - 1]):
                    start -= 1
            if start == k:  # no word to carry: the line ends before ch
                out.append(para[s:k])
                s, w0, i = k, 0.0, k
            else:
                word = para[start:k]
                ww = text_width(word)
                if s < start and ww + ws[k] <= width_em:
                    out.append(para[s:start])
                    s, w0, i = start, ww, k
                else:
                    out.append(para[s:k])
                    s, w0, i = k, 0.0, k
            if s == i and ch == " ":  # the space between two words ends a line; the next starts with the word
                s = i = k + 1
        out.append(para[s:])
    return out


@dataclass(frozen=True)
class Para:
    """One paragraph of a text box; the renderer wraps it."""

    text: str
    bold: bool = False
    color: str | None = None


@dataclass(frozen=True)
class Fitted:
    size: float  # points
    paras: tuple[Para, ...]
    cut: bool

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.paras)


_CONTROL = {i: None for i in range(32) if chr(i) not in "\n\t"} | {0x7F: None}


def clean(text: object) -> str:
    """Sheet text made safe for XML and PDF: control characters dropped, tabs as spaces."""
    return str(text or "").replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ").translate(_CONTROL)


def _lines(paras: Sequence[Para], em: float) -> int:
    return sum(len(wrap(p.text, em)) for p in paras)


def split(content: str | Sequence[Para]) -> list[Para]:
    """Paragraphs with the text cleaned and one paragraph per line of the source."""
    paras = [Para(content)] if isinstance(content, str) else list(content)
    return [Para(line, p.bold, p.color) for p in paras for line in clean(p.text).split("\n")]


def fit(content: str | Sequence[Para], width_in: float, height_in: float,
        sizes: Sequence[float] = (14, 12, 11, 10, 9)) -> Fitted:
    """The largest size at which the wrapped text fits the box; else the smallest, cut and marked."""
    paras = split(content)
    for size in sizes:
        if _lines(paras, width_in * PT_PER_IN * SAFETY / size) * size * LINE <= height_in * PT_PER_IN:
            return Fitted(size, tuple(paras), False)
    size = sizes[-1]
    em = width_in * PT_PER_IN * SAFETY / size
    room = max(1, int(height_in * PT_PER_IN // (size * LINE)))
    kept: list[Para] = []
    for p in paras:
        lines = wrap(p.text, em)
        if len(lines) <= room:
            kept.append(p)
            room -= len(lines)
            continue
        if room > 0:
            kept.append(Para("".join(lines[:room]), p.bold, p.color))
        break
    last = kept[-1]
    lines = wrap(last.text, em)
    tail = lines[-1]
    while tail and text_width(tail + CUT_MARK) > em:
        tail = tail[:-1]
    kept[-1] = Para("".join(lines[:-1]) + tail + CUT_MARK, last.bold, last.color)
    return Fitted(size, tuple(kept), True)


def cell(text: str, width_in: float, size: float, lines: int = 1) -> str:
    """A table cell's lines ('\n'-joined), at most `lines`; what would not fit is cut and marked '…'."""
    em = width_in * 72 * 0.9 / size - 0.4
    wrapped = wrap(clean(text).replace("\n", " "), em)
    if len(wrapped) <= lines:
        return "\n".join(wrapped)
    last = wrapped[lines - 1]
    while last and text_width(last + "…") > em:
        last = last[:-1]
    return "\n".join(wrapped[:lines - 1] + [last + "…"])


def list_rows(section: ListSection) -> list[list[str]]:
    """The section's rows as the table shows them, each cell wrapped to its column."""
    return [[cell(c, w, LIST_SIZE, LIST_LINES) for c, w in zip(r, LIST_WIDTHS)] for r in section.rows]


def row_height(row: Sequence[str], size: float = LIST_SIZE) -> float:
    lines = max(len(c.split("\n")) for c in row)
    return lines * size * 1.2 / PT_PER_IN + 0.08


def _list_parts(section: ListSection, heights: list[float] | None = None) -> list[tuple[int, int]]:
    """Rows per page: as many as fit, and no nearly blank last page. heights: the rows' (row_height), when known."""
    if heights is None:
        heights = [row_height(r) for r in list_rows(section)]
    room = LIST_BOTTOM - LIST_TOP - LIST_HEADER_H
    parts, start, used = [], 0, 0.0
    for i, h in enumerate(heights):
        if i > start and used + h > room:
            parts.append((start, i))
            start, used = i, 0.0
        used += h
    parts.append((start, len(heights)))
    if len(parts) > 1 and sum(heights[parts[-1][0]:]) < room / 3:
        # A short last page would be nearly blank: the last two pages share their rows.
        (a, _b), (_c, end) = parts[-2], parts[-1]
        half = sum(heights[a:end]) / 2
        mid, acc = a + 1, heights[a]
        while mid < end - 1 and acc + heights[mid] / 2 <= half:
            acc += heights[mid]
            mid += 1
        parts[-2:] = [(a, mid), (mid, end)]
    return parts


@dataclass(frozen=True)
class ListChunk:
    """Rows [start, end) of a section's list on a page; more: the section began on an earlier page."""

    section: ListSection
    start: int
    end: int
    more: bool = False

    @property
    def heading(self) -> str:
        return (self.section.name or "取組") + ("（続き）" if self.more else "")


def _list_pages(deck: Deck) -> list[Page]:
    """The sections' lists: a long section over pages of its own, short ones together on a page,
    each under its heading (a page of three rows and white space says less than a full page)."""
    chunks, heights = [], {}
    for sec in deck.sections:
        heights[id(sec)] = [row_height(r) for r in list_rows(sec)]
        chunks += [ListChunk(sec, a, b, i > 0) for i, (a, b) in enumerate(_list_parts(sec, heights[id(sec)]))]

    def height(c: ListChunk) -> float:
        return LIST_SECTION_H + LIST_HEADER_H + sum(heights[id(c.section)][c.start:c.end]) + LIST_GAP

    groups: list[list[ListChunk]] = []
    used = 0.0
    for c in chunks:
        if groups and used + height(c) <= LIST_BOTTOM - LIST_TOP + LIST_GAP:
            groups[-1].append(c)
            used += height(c)
        else:
            groups.append([c])
            used = height(c)
    out = []
    for g in groups:
        c = g[0]
        title = f"{c.section.name or '取組'}　取組の状況{'（続き）' if c.more else ''}" if len(g) == 1 else "取組の状況"
        out.append(Page("list", tuple(g), title))
    return out


# ---------------------------------------------------------------- pages
@dataclass(frozen=True)
class Page:
    kind: str  # summary / lagging / item / indicators / notes
    slide: SummarySlide | ItemSlide
    title: str
    part: tuple[int, int] = (0, 0)  # rows or indicators or opinions shown: [start, end)


def item_pages(s: ItemSlide) -> list[Page]:
    pages = [Page("item", s, s.heading, (0, min(INDICATORS_PER_PAGE, len(s.indicators))))]
    for start in range(INDICATORS_PER_PAGE, len(s.indicators), INDICATORS_PER_PAGE):
        end = min(start + INDICATORS_PER_PAGE, len(s.indicators))
        pages.append(Page("indicators", s, f"{s.heading}（指標 続き）", (start, end)))
    # The notes page gives the reasons in full (the main page may have to shorten them), the
    # department's comments and the opinions.
    if bool(s.comments) or s.causes or s.opinions:
        pages += notes_pages(s)
    return pages


def notes_pages(s: ItemSlide) -> list[Page]:
    n = len(s.opinions)
    starts = list(range(0, n, OPINIONS_PER_PAGE)) or [0]
    return [Page("notes", s, f"{s.heading}（所見・委員意見{'' if i == 0 else ' 続き'}）",
                 (start, min(start + OPINIONS_PER_PAGE, n))) for i, start in enumerate(starts)]


def pages(deck: Deck) -> tuple[Page, ...]:
    """Every printed page of the deck, in order."""
    summary = deck.summary
    out = [Page("summary", summary, summary.title, (0, min(LAG_ROWS_FIRST, len(summary.lagging))))]
    for start in range(LAG_ROWS_FIRST, len(summary.lagging), LAG_ROWS_MORE):
        out.append(Page("lagging", summary, "遅れている取組（続き）",
                        (start, min(start + LAG_ROWS_MORE, len(summary.lagging)))))
    if deck.two_axis is not None:
        out.append(Page("two_axis", summary, "実施状況と達成度"))
    out += _list_pages(deck)
    # A listed item the committee discussed, or one that is behind, keeps its page of reasons,
    # comments in full and earlier opinions with their answers.
    for s in deck.items:
        if not s.has_chart and (s.opinions or s.causes):
            out.extend(notes_pages(s))
    for s in deck.charted:
        out.extend(item_pages(s))
    from kpi.outputs.pack.appendix import ROWS_PER_PAGE
    for a in deck.appendix:  # issue 20: the status board and the revised targets
        for start in range(0, max(len(a.rows), 1), ROWS_PER_PAGE):
            out.append(Page("appendix", a, a.title + ("（続き）" if start else ""),
                            (start, min(start + ROWS_PER_PAGE, len(a.rows)))))
    return tuple(out)
