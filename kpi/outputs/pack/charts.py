"""Charts for the printed pack, drawn on the server with the Japanese font the app ships.

The pack's charts are pictures (PNG), so they look the same in PowerPoint,
LibreOffice and the PDF whatever fonts the reader's machine has. The font is
IPAexGothic from the pinned matplotlib-fontja package, loaded by path: it never
depends on system fonts and nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
import io
import threading
from functools import lru_cache
from pathlib import Path

from kpi.rules.fiscal import Style, format_fiscal_year, format_fiscal_year_short
from kpi.rules.numbers import format_number
from kpi.views.common import IndicatorView

FONT_FAMILY = "IPAexGothic"
_LOCK = threading.Lock()  # matplotlib's rc settings are process-wide; draw one chart at a time


@lru_cache(maxsize=1)
def japanese_font_path() -> Path:
    """The TrueType file of IPAexGothic bundled in matplotlib-fontja (found without importing it,
    because importing it changes matplotlib's global settings)."""
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("matplotlib-fontja がインストールされていません（requirements.txt）")
    path = Path(list(spec.submodule_search_locations)[0]) / "fonts" / "ipaexg.ttf"
    if not path.exists():
        raise RuntimeError(f"日本語フォントが見つかりません: {path}")
    return path


@lru_cache(maxsize=1)
def _setup() -> None:
    import matplotlib
    matplotlib.use("Agg", force=False)
    from matplotlib import font_manager
    font_manager.fontManager.addfont(str(japanese_font_path()))


def _rc() -> dict:
    return {"font.family": FONT_FAMILY, "font.size": 11, "axes.spines.top": False, "axes.spines.right": False,
            "pdf.fonttype": 42, "svg.fonttype": "none", "axes.unicode_minus": False,
            # Titles, units and grade labels are user text: '$…$' in them is characters, not mathtext
            # (which draws them as formulas, and fails the whole pack on a '$\frac{$').
            "text.parse_math": False}


def text_color(background: str) -> str:
    """Black on light colours (orange, sky blue, grey), white on dark ones, for contrast."""
    r, g, b = (int(background.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return "#000000" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45 else "#FFFFFF"


def _png(fig, dpi: int) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()


VALUE_LABEL = "value"  # the gid of the value labels over the bars (the tests find them by it)


def indicator_png(view: IndicatorView, *, width_in: float = 6.6, height_in: float = 2.8, dpi: int = 130,
                  style: Style = "wareki", as_of_fy: int | None = None) -> bytes:
    """The indicator's chart (indicator_figure) as a picture."""
    with _LOCK:
        fig = indicator_figure(view, width_in=width_in, height_in=height_in, style=style, as_of_fy=as_of_fy)
        return _png(fig, dpi)


def _integral(values: list[float]) -> bool:
    return all(abs(v - round(v)) < 1e-9 for v in values)


def indicator_figure(view: IndicatorView, *, width_in: float = 6.6, height_in: float = 2.8,
                     style: Style = "wareki", as_of_fy: int | None = None):
    """Target and actual per year as bars (estimates hatched), baseline, final target and the pace line.

    A year up to as_of_fy with a target and no actual is marked 未報告; later years are not due yet.
    The baseline and the final target are named in the legend, not on the plot, where their labels
    sat on the bars; the value labels are moved clear of the lines and of each other (issue 18)."""
    _setup()
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(width_in, height_in))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        pts = view.points
        xs = list(range(len(pts)))
        labels = [format_fiscal_year_short(p.fiscal_year, style) for p in pts]
        w = 0.38
        values = ([v for p in pts for v in (p.target, p.actual) if v is not None]
                  + [v for v in (view.baseline, view.final_target) if v is not None])
        top = max(values + [0])
        value_labels = []
        for x, p in zip(xs, pts):
            if p.target is not None:
                ax.bar(x - w / 2, p.target, w, color="white", edgecolor="#555555", linewidth=1.2,
                       hatch="//" if p.target_estimate else None)
                value_labels.append(ax.text(x - w / 2, p.target, format_number(p.target), ha="center", va="bottom",
                                            fontsize=8, color="#333333", zorder=6, gid=VALUE_LABEL))
            if p.actual is not None:
                ax.bar(x + w / 2, p.actual, w, color="#0072B2", edgecolor="#0072B2", linewidth=1.2,
                       hatch="xx" if p.actual_estimate else None)
                value_labels.append(ax.text(x + w / 2, p.actual, format_number(p.actual) + (f" {p.grade}" if p.grade else ""),
                                            ha="center", va="bottom", fontsize=8, color="#0072B2", fontweight="bold",
                                            zorder=6, gid=VALUE_LABEL))
            elif p.target is not None and (as_of_fy is None or p.fiscal_year <= as_of_fy):
                value_labels.append(ax.text(x + w / 2, 0, "未報告", ha="center", va="bottom", fontsize=8,
                                            color="#D55E00", zorder=6, gid=VALUE_LABEL))
        handles = [Patch(facecolor="white", edgecolor="#555555", label="計画"),
                   Patch(facecolor="#0072B2", edgecolor="#0072B2", label="実績")]
        if any(p.target_estimate or p.actual_estimate for p in pts):
            handles.append(Patch(facecolor="white", edgecolor="#555555", hatch="xx", label="見込み"))
        pos = {p.fiscal_year: x for x, p in zip(xs, pts)}
        lines = []
        if view.baseline is not None:
            ax.axhline(view.baseline, color="#009E73", linestyle=":", linewidth=1.8, zorder=4)
            label = f"基準値 {format_number(view.baseline)}"
            if view.baseline_fy:
                label += f"（{format_fiscal_year(view.baseline_fy, style)}{'・見込み' if view.baseline_estimated else ''}）"
            handles.append(Line2D([0], [0], color="#009E73", linestyle=":", linewidth=1.8, label=label))
            lines.append(view.baseline)
        if view.final_target is not None:
            ax.axhline(view.final_target, color="#D55E00", linestyle="--", linewidth=1.8, zorder=4)
            label = f"最終目標 {format_number(view.final_target)}"
            if view.final_target_fy:
                label += f"（{format_fiscal_year(view.final_target_fy, style)}）"
            handles.append(Line2D([0], [0], color="#D55E00", linestyle="--", linewidth=1.8, label=label))
            lines.append(view.final_target)
        trend = [(pos[fy], v) for fy, v in view.trend if fy in pos]
        if len(trend) > 1:
            ax.plot([t[0] + w / 2 for t in trend], [t[1] for t in trend], color="#CC79A7", linestyle="--",
                    marker="D", markersize=4, linewidth=1.6)
            handles.append(Line2D([0], [0], color="#CC79A7", linestyle="--", marker="D", markersize=4,
                                  label="これまでのペースでの見込み"))
            top = max(top, max(t[1] for t in trend))
            values += [t[1] for t in trend]
        ax.set_xticks(xs, labels)
        ax.set_xlim(-0.6, len(pts) - 0.4)
        ax.set_ylim(0, top * 1.25 if top > 0 else 1)
        if _integral(values):  # counts (件, 人, 事業…): no 0.5 / 1.5 ticks
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _p: format_number(v)))
        ax.grid(axis="y", color="#E5E5E5")
        ax.set_axisbelow(True)
        ax.set_title(view.name + (f"（{view.unit}）" if view.unit else ""), fontsize=11, loc="left")
        rows = 1 if len(handles) <= 4 else 2
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=-(-len(handles) // rows),
                  frameon=False, fontsize=8, handlelength=2.4, columnspacing=1.2)
        # Fixed margins (in inches, so any chart size works) instead of tight_layout, which draws twice.
        fig.subplots_adjust(left=0.75 / width_in, right=1 - 0.1 / width_in, top=1 - 0.36 / height_in,
                            bottom=(0.62 + 0.17 * (rows - 1)) / height_in)
        _clear_labels(fig, ax, value_labels, lines)
        return fig


def _clear_labels(fig, ax, texts, lines: list[float]) -> None:
    """Move value labels up until none crosses a reference line or overlaps another label; when the
    lifted labels leave the plot, give it more room and place them again."""
    renderer = fig.canvas.get_renderer()
    home = [t.get_position() for t in texts]
    for _attempt in range(3):
        for t, xy in zip(texts, home):
            t.set_position(xy)
        to_px = ax.transData.transform
        from_px = ax.transData.inverted().transform
        line_px = [to_px((0, v))[1] for v in lines]
        placed = []
        for t in sorted(texts, key=lambda t: t.get_position()[1]):
            for _ in range(12):
                bb = t.get_window_extent(renderer)
                lift = 0.0
                for y in line_px:
                    if bb.y0 - 2 <= y <= bb.y1 + 2:
                        lift = max(lift, y + 3 - bb.y0)
                for other in placed:
                    if bb.x0 < other.x1 + 1 and other.x0 < bb.x1 + 1 and bb.y0 < other.y1 + 1 and other.y0 < bb.y1 + 1:
                        lift = max(lift, other.y1 + 2 - bb.y0)
                if lift <= 0:
                    break
                x, y = t.get_position()
                t.set_position((x, from_px((0, to_px((0, y))[1] + lift))[1]))
            placed.append(t.get_window_extent(renderer))
        lo, hi = ax.get_ylim()
        highest = max((from_px((0, b.y1))[1] for b in placed), default=lo)
        if highest <= hi:
            return
        ax.set_ylim(lo, lo + (highest - lo) * 1.08)


def grade_mix_png(counts: dict[str, int], colors: dict[str, str], *, width_in: float = 6.0,
                  height_in: float = 0.9, dpi: int = 130) -> bytes:
    """One stacked bar of items per grade, each part labelled (colour is never the only cue)."""
    _setup()
    import matplotlib
    from matplotlib.figure import Figure

    with _LOCK, matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(width_in, height_in))
        ax = fig.add_axes((0.01, 0.05, 0.98, 0.9))
        total = sum(counts.values()) or 1
        left = 0
        for label, n in counts.items():
            if not n:
                continue
            color = colors.get(label, "#BBBBBB")
            ax.barh(0, n, left=left, color=color, edgecolor="white", height=0.8)
            ax.text(left + n / 2, 0, f"{label} {n}件", ha="center", va="center", fontsize=12,
                    color=text_color(color), fontweight="bold")
            left += n
        ax.set_xlim(0, total)
        ax.set_ylim(-0.5, 0.5)
        ax.axis("off")
        return _png(fig, dpi)
