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
from dataclasses import dataclass
from typing import Sequence

from kpi.outputs.pack.slides import Deck, ItemSlide, SummarySlide

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

def char_width(ch: str) -> float:
    """Width in em: full-width (CJK, full-width forms) 1, others 0.6."""
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 0.6


def text_width(text: str) -> float:
    return sum(char_width(c) for c in text)


_NO_LINE_START = set("、。，．・：；？！）」』】〕｝〉》ー々ぁぃぅぇぉっゃゅょァィゥェォッャュョ,.)]}%")


def wrap(text: str, width_em: float) -> list[str]:
    """Lines of at most width_em; Japanese breaks between any characters (not before 、。）)."""
    out: list[str] = []
    for para in (text or "").replace("\r\n", "\n").split("\n"):
        line, w = "", 0.0
        for ch in para:
            cw = char_width(ch)
            if line and w + cw > width_em and ch not in _NO_LINE_START:
                out.append(line)
                line, w = "", 0.0
            line += ch
            w += cw
        out.append(line)
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
    # department's comments (on the main page already when there are no indicators) and the opinions.
    has_text = (bool(s.comments) and bool(s.indicators)) or bool(s.causes)
    if has_text or s.opinions:
        n = len(s.opinions)
        starts = list(range(0, n, OPINIONS_PER_PAGE)) or [0]
        for i, start in enumerate(starts):
            title = f"{s.heading}（所見・委員意見{'' if i == 0 else ' 続き'}）"
            pages.append(Page("notes", s, title, (start, min(start + OPINIONS_PER_PAGE, n))))
    return pages


def pages(deck: Deck) -> tuple[Page, ...]:
    """Every printed page of the deck, in order."""
    summary = deck.summary
    out = [Page("summary", summary, summary.title, (0, min(LAG_ROWS_FIRST, len(summary.lagging))))]
    for start in range(LAG_ROWS_FIRST, len(summary.lagging), LAG_ROWS_MORE):
        out.append(Page("lagging", summary, "遅れている取組（続き）",
                        (start, min(start + LAG_ROWS_MORE, len(summary.lagging)))))
    for s in deck.items:
        out.extend(item_pages(s))
    from kpi.outputs.pack.appendix import ROWS_PER_PAGE
    for a in deck.appendix:  # issue 20: the status board and the revised targets
        for start in range(0, max(len(a.rows), 1), ROWS_PER_PAGE):
            out.append(Page("appendix", a, a.title + ("（続き）" if start else ""),
                            (start, min(start + ROWS_PER_PAGE, len(a.rows)))))
    return tuple(out)
