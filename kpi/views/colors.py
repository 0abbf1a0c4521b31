"""Grade colours shared by the screen and the committee pack.

Okabe–Ito colours read in black-and-white print and for colour-blind readers: the best
grade blue, the worst vermillion, the others in between, '未評価' grey. A colour never
stands alone: every chart and table also prints the grade's label.
"""

from __future__ import annotations

from typing import Sequence

from kpi.vocabulary import UNGRADED as UNGRADED_LABEL

PALETTE = ("#0072B2", "#56B4E9", "#E69F00", "#D55E00", "#CC79A7", "#000000")
UNGRADED = "#BBBBBB"


def grade_colors(labels: Sequence[str]) -> dict[str, str]:
    """Colour per grade label, best first as the plan's scheme lists them."""
    n = len(labels)
    picks = {1: [PALETTE[0]], 2: [PALETTE[0], PALETTE[3]], 3: [PALETTE[0], PALETTE[2], PALETTE[3]],
             4: list(PALETTE[:4])}.get(n) or (list(PALETTE[:5]) + [PALETTE[5]] * (n - 5))
    colors = dict(zip(labels, picks))
    colors[UNGRADED_LABEL] = UNGRADED
    colors[""] = UNGRADED
    return colors
