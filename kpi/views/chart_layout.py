"""Where an indicator chart puts its numbers so that nothing is drawn over anything else.

Plotly places bar labels and line annotations where it is told and lets them collide: a
最終目標 line through the label on top of a bar ("58 B"), the 基準値 label over the bars,
0.5 / 1.5 ticks for a number of centres. These rules decide instead, from the values alone.
"""

from __future__ import annotations

from typing import Iterable, Sequence

STEPS = (1, 2, 5)  # ticks at 1, 2, 5, 10, 20, 50, … (never 0.5 of a whole thing)
HEADROOM = 1.18  # the axis runs this much past the largest value, so labels above bars stay inside


def whole_step(values: Iterable[float | None], max_ticks: int = 8) -> int | None:
    """The y-axis step for an indicator counted in whole units (centres, people, events).

    None when any value has a fraction (a rate, an average): plotly's own ticks are right there.
    Otherwise the smallest of 1, 2, 5, 10, 20, 50, … that gives at most max_ticks steps from 0
    to the largest value."""
    vs = [float(v) for v in values if v is not None]
    if not vs or any(not v.is_integer() for v in vs):
        return None
    top = max(max(abs(v) for v in vs), 1.0)
    scale = 1
    while True:
        for s in STEPS:
            if top / (s * scale) <= max_ticks:
                return s * scale
        scale *= 10


def axis_top(values: Iterable[float | None]) -> float:
    """Where the y axis ends: room above the tallest bar or line for its label."""
    vs = [float(v) for v in values if v is not None]
    top = max(vs, default=0.0)
    return top * HEADROOM if top > 0 else 1.0


def label_inside(tops: Sequence[float | None], lines: Sequence[float], top: float, label_share: float) -> list[bool]:
    """For each bar, whether its value label goes inside the bar, below its top.

    A label sits just above its bar, from the bar's top to label_share of the axis (top) higher.
    When a horizontal line (最終目標, 基準値) runs through that band, the label moves inside the
    bar, where the line passes above it. A bar too short to hold its label keeps it outside."""
    band = top * label_share
    out = []
    for t in tops:
        if t is None:
            out.append(False)
            continue
        crossed = any(t <= y <= t + band for y in lines)
        out.append(crossed and t >= band)
    return out


def side_label_shifts(lines: Sequence[float], top: float, plot_px: float, label_px: float) -> list[float]:
    """Vertical shifts (px, up positive) for labels written beside the plot at each line's height,
    so that two lines close together (基準値 and 最終目標) keep their labels apart."""
    if not lines:
        return []
    px = [y / top * plot_px for y in lines]
    order = sorted(range(len(px)), key=lambda i: px[i])
    placed: dict[int, float] = {}
    floor = None
    for i in order:
        at = px[i] if floor is None else max(px[i], floor + label_px)
        placed[i] = at
        floor = at
    return [placed[i] - px[i] for i in range(len(px))]
