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


def indicator_png(view: IndicatorView, *, width_in: float = 6.6, height_in: float = 2.8, dpi: int = 130,
                  style: Style = "wareki", as_of_fy: int | None = None) -> bytes:
    """Target and actual per year as bars (estimates hatched), baseline, final target and the pace line.

    A year up to as_of_fy with a target and no actual is marked 未報告; later years are not due yet."""
    _setup()
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    with _LOCK, matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(width_in, height_in))
        ax = fig.add_subplot(1, 1, 1)
        pts = view.points
        xs = list(range(len(pts)))
        labels = [format_fiscal_year_short(p.fiscal_year, style) for p in pts]
        w = 0.38
        top = max([v for p in pts for v in (p.target, p.actual) if v is not None]
                  + [v for v in (view.baseline, view.final_target) if v is not None] + [0])
        for x, p in zip(xs, pts):
            if p.target is not None:
                ax.bar(x - w / 2, p.target, w, color="white", edgecolor="#555555", linewidth=1.2,
                       hatch="//" if p.target_estimate else None)
                ax.text(x - w / 2, p.target, format_number(p.target), ha="center", va="bottom", fontsize=8,
                        color="#333333")
            if p.actual is not None:
                ax.bar(x + w / 2, p.actual, w, color="#0072B2", edgecolor="#0072B2", linewidth=1.2,
                       hatch="xx" if p.actual_estimate else None)
                ax.text(x + w / 2, p.actual, format_number(p.actual) + (f" {p.grade}" if p.grade else ""),
                        ha="center", va="bottom", fontsize=8, color="#0072B2", fontweight="bold")
            elif p.target is not None and (as_of_fy is None or p.fiscal_year <= as_of_fy):
                ax.text(x + w / 2, 0, "未報告", ha="center", va="bottom", fontsize=8, color="#D55E00")
        handles = [Patch(facecolor="white", edgecolor="#555555", label="計画"),
                   Patch(facecolor="#0072B2", edgecolor="#0072B2", label="実績")]
        if any(p.target_estimate or p.actual_estimate for p in pts):
            handles.append(Patch(facecolor="white", edgecolor="#555555", hatch="xx", label="見込み"))
        pos = {p.fiscal_year: x for x, p in zip(xs, pts)}
        if view.baseline is not None:
            ax.axhline(view.baseline, color="#009E73", linestyle=":", linewidth=1.8)
            label = f"基準値 {format_number(view.baseline)}"
            if view.baseline_fy:
                label += f"（{format_fiscal_year(view.baseline_fy, style)}{'・見込み' if view.baseline_estimated else ''}）"
            ax.text(-0.45, view.baseline, label, ha="left", va="top", fontsize=8, color="#007A5A", zorder=5,
                    bbox=dict(boxstyle="square,pad=0.15", facecolor="white", edgecolor="none", alpha=0.85))
        if view.final_target is not None:
            ax.axhline(view.final_target, color="#D55E00", linestyle="--", linewidth=1.8)
            label = f"最終目標 {format_number(view.final_target)}"
            if view.final_target_fy:
                label += f"（{format_fiscal_year(view.final_target_fy, style)}）"
            ax.text(-0.45, view.final_target, label, ha="left", va="bottom", fontsize=8, color="#B34700", zorder=5,
                    bbox=dict(boxstyle="square,pad=0.15", facecolor="white", edgecolor="none", alpha=0.85))
        trend = [(pos[fy], v) for fy, v in view.trend if fy in pos]
        if len(trend) > 1:
            ax.plot([t[0] + w / 2 for t in trend], [t[1] for t in trend], color="#CC79A7", linestyle="--",
                    marker="D", markersize=4, linewidth=1.6)
            from matplotlib.lines import Line2D
            handles.append(Line2D([0], [0], color="#CC79A7", linestyle="--", marker="D", markersize=4,
                                  label="これまでのペースでの見込み"))
            top = max(top, max(t[1] for t in trend))
        ax.set_xticks(xs, labels)
        ax.set_xlim(-0.6, len(pts) - 0.4)
        ax.set_ylim(0, top * 1.18 if top > 0 else 1)
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _p: format_number(v)))
        ax.grid(axis="y", color="#E5E5E5")
        ax.set_axisbelow(True)
        ax.set_title(view.name + (f"（{view.unit}）" if view.unit else ""), fontsize=11, loc="left")
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=len(handles),
                  frameon=False, fontsize=8)
        # Fixed margins (in inches, so any chart size works) instead of tight_layout, which draws twice.
        fig.subplots_adjust(left=0.75 / width_in, right=1 - 0.1 / width_in, top=1 - 0.36 / height_in,
                            bottom=0.62 / height_in)
        return _png(fig, dpi)


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
