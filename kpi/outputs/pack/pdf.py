"""The committee pack as a PDF (reportlab), one Surface for render.draw.

The Japanese font (IPAexGothic, bundled with the pinned matplotlib-fontja) is
embedded as a subset with its Unicode map, so the PDF prints and can be
searched and copied on any machine. Bold is drawn as fill plus a thin stroke,
as the font has no bold face.
"""

from __future__ import annotations

import io
from functools import lru_cache

from kpi.outputs.pack.charts import japanese_font_path
from kpi.outputs.pack.layout import HEIGHT_IN, LINE, PT_PER_IN, SAFETY, WIDTH_IN, Fitted, wrap
from kpi.outputs.pack.render import HEADER_FILL, INK, draw
from kpi.outputs.pack.slides import Deck

FONT = "IPAexGothic"
ASCENT = 0.88  # of the font size, from the top of a line to its baseline


@lru_cache(maxsize=1)
def _register() -> None:
    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    # Binary (Flate only) image streams: reportlab's pure-Python ASCII85 step took most of the time.
    rl_config.useA85 = 0
    pdfmetrics.registerFont(TTFont(FONT, str(japanese_font_path())))


def _pt(v: float) -> float:
    return v * PT_PER_IN


class PdfSurface:
    def __init__(self, title: str):
        _register()
        from reportlab.pdfgen import canvas
        self.buf = io.BytesIO()
        self.c = canvas.Canvas(self.buf, pagesize=(_pt(WIDTH_IN), _pt(HEIGHT_IN)), pageCompression=1,
                               initialFontName=FONT)  # no unembedded Helvetica in the resources
        self.c.setTitle(title)
        self.c.setCreator("計画進捗ダッシュボード")
        self.started = False

    def _y(self, y_in: float) -> float:
        """Inches from the top → points from the bottom."""
        return _pt(HEIGHT_IN - y_in)

    def new_page(self) -> None:
        if self.started:
            self.c.showPage()
        self.started = True

    def _line(self, text: str, x: float, baseline: float, size: float, bold: bool, color: str, align: str,
              w: float) -> None:
        from reportlab.lib.colors import HexColor
        c = self.c
        width = c.stringWidth(text, FONT, size)
        if align == "right":
            x = x + w - width
        elif align == "center":
            x = x + (w - width) / 2
        # The text render mode outlives BT/ET: keep it inside a saved graphics state.
        c.saveState()
        c.setFillColor(HexColor(color))
        c.setStrokeColor(HexColor(color))
        c.setLineWidth(size * 0.04)
        t = c.beginText()
        t.setFont(FONT, size)
        t.setTextRenderMode(2 if bold else 0)
        t.setTextOrigin(x, baseline)
        t.textOut(text)
        c.drawText(t)
        c.restoreState()

    def _paras(self, x_in, y_in, w_in, fitted: Fitted, color: str, align: str, h_in: float | None = None) -> None:
        size = fitted.size
        em = _pt(w_in) * SAFETY / size
        lines = [(line, p) for p in fitted.paras for line in wrap(p.text, em)]
        top = self._y(y_in)
        if h_in is not None:  # vertically centred (boxes)
            top -= max(0.0, (_pt(h_in) - len(lines) * size * LINE) / 2)
        for i, (line, p) in enumerate(lines):
            baseline = top - i * size * LINE - size * ASCENT - size * (LINE - 1) / 2
            self._line(line, _pt(x_in), baseline, size, p.bold, p.color or color, align, _pt(w_in))

    def text(self, x, y, w, h, fitted: Fitted, *, color: str = INK, align: str = "left") -> None:
        self._paras(x, y, w, fitted, color, align)

    def box(self, x, y, w, h, *, fill, line, fitted: Fitted | None = None, color: str = INK) -> None:
        from reportlab.lib.colors import HexColor
        c = self.c
        if fill:
            c.setFillColor(HexColor(fill))
        if line:
            c.setStrokeColor(HexColor(line))
            c.setLineWidth(1)
        c.rect(_pt(x), self._y(y + h), _pt(w), _pt(h), stroke=1 if line else 0, fill=1 if fill else 0)
        if fitted is not None:
            self._paras(x + 0.08, y, w - 0.16, fitted, color, "center", h)

    def table(self, x, y, widths, row_h, rows, size, *, header_fill: str = HEADER_FILL,
              align_right_from: int = 1) -> None:
        from reportlab.lib.colors import HexColor
        c = self.c
        total = sum(widths)
        heights = list(row_h) if isinstance(row_h, (list, tuple)) else [row_h] * len(rows)
        top = y
        for i, row in enumerate(rows):
            if i:
                top += heights[i - 1]
            row_h = heights[i]
            c.setFillColor(HexColor(header_fill if i == 0 else "#FFFFFF"))
            c.setStrokeColor(HexColor("#A0A0A0"))
            c.setLineWidth(0.5)
            c.rect(_pt(x), self._y(top + row_h), _pt(total), _pt(row_h), stroke=1, fill=1)
            cx = x
            for j, (w, value) in enumerate(zip(widths, row)):
                if j:
                    c.line(_pt(cx), self._y(top), _pt(cx), self._y(top + row_h))
                align = "center" if i == 0 else ("right" if j >= align_right_from else "left")
                lines = str(value).split("\n")
                first = self._y(top + row_h / 2) + (len(lines) - 1) * size * 0.6 - size * 0.35
                for k, text in enumerate(lines):
                    self._line(text, _pt(cx + 0.04), first - k * size * 1.2, size, i == 0, INK, align,
                               _pt(w - 0.08))
                cx += w

    def image(self, png: bytes, x, y, w, h) -> None:
        from reportlab.lib.utils import ImageReader
        self.c.drawImage(ImageReader(io.BytesIO(png)), _pt(x), self._y(y + h), _pt(w), _pt(h))

    def finish(self) -> bytes:
        self.c.showPage()
        self.c.save()
        return self.buf.getvalue()


def to_pdf(deck: Deck) -> bytes:
    return draw(deck, PdfSurface(deck.title))
