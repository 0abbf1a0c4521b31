"""The committee pack as a PowerPoint deck (python-pptx), one Surface for render.draw.

Fonts: every run declares its Latin and East Asian typeface (a:latin / a:ea,
FONT_NAME) and the language ja-JP, so PowerPoint uses Meiryo, which every
Windows PC has, and other programs (LibreOffice, Keynote) fall back to their
Japanese font for ja-JP text. Charts are pictures drawn with the font bundled
in the app, so they never depend on the reader's fonts. Line spacing is fixed
in points, because Meiryo's own line height is half as tall again as its size
and would push text out of the boxes the layout measured.
"""

from __future__ import annotations

import io
from typing import Sequence
from xml.sax.saxutils import escape

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE
from pptx.oxml import parse_xml
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from kpi.outputs.pack.layout import HEIGHT_IN, WIDTH_IN, Fitted, Para
from kpi.outputs.pack.render import HEADER_FILL, INK, draw
from kpi.outputs.pack.slides import Deck

FONT_NAME = "Meiryo"  # declared as both a:latin and a:ea
LANG = "ja-JP"
LINE_SPACING = 1.2
BLANK_LAYOUT = 6
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
_ALGN = {"left": "l", "right": "r", "center": "ctr"}


def _rgb(hex_color: str) -> RGBColor:
    return RGBColor.from_string(hex_color.lstrip("#").upper())


def _hex(color: str) -> str:
    return color.lstrip("#").upper()


# Runs and cells are written as DrawingML directly: python-pptx's object API costs about
# 3 ms per cell, which made a 200-item deck take a minute.
def _para_xml(para: Para, size: float, color: str, align: str) -> str:
    font = escape(FONT_NAME, {'"': "&quot;"})
    return (f'<a:p><a:pPr algn="{_ALGN.get(align, "l")}"><a:lnSpc><a:spcPts val="{round(size * LINE_SPACING * 100)}"/>'
            f'</a:lnSpc><a:spcBef><a:spcPts val="0"/></a:spcBef><a:spcAft><a:spcPts val="0"/></a:spcAft></a:pPr>'
            f'<a:r><a:rPr lang="{LANG}" altLang="en-US" sz="{round(size * 100)}" b="{1 if para.bold else 0}" dirty="0">'
            f'<a:solidFill><a:srgbClr val="{_hex(para.color or color)}"/></a:solidFill>'
            f'<a:latin typeface="{font}"/><a:ea typeface="{font}"/><a:cs typeface="{font}"/></a:rPr>'
            f'<a:t>{escape(para.text)}</a:t></a:r>'
            # An empty run has no size of its own: readers then size the line by the paragraph's end
            # mark, 18 pt by default, and an empty table cell grew the row past the layout's height.
            f'<a:endParaRPr lang="{LANG}" sz="{round(size * 100)}" dirty="0"/></a:p>')


def _parse(inner: str, wrapper: str = "a:txBody") -> list:
    root = parse_xml(f'<{wrapper} xmlns:a="{A_NS}">{inner}</{wrapper}>')
    return list(root)


def _fill_frame(tf, paras: Sequence[Para], size: float, color: str, align: str) -> None:
    tf.word_wrap = True
    tf.auto_size = MSO_AUTO_SIZE.NONE
    tf.margin_left = tf.margin_right = tf.margin_top = tf.margin_bottom = Emu(0)
    body = tf._txBody
    for p in body.findall(qn("a:p")):
        body.remove(p)
    for el in _parse("".join(_para_xml(p, size, color, align) for p in paras)):
        body.append(el)


def _border_xml(color: str = "A0A0A0", width_emu: int = 6350) -> str:
    return "".join(f'<a:{side} w="{width_emu}" cap="flat" cmpd="sng" algn="ctr"><a:solidFill><a:srgbClr val="{color}"/>'
                   f'</a:solidFill><a:prstDash val="solid"/></a:{side}>' for side in ("lnL", "lnR", "lnT", "lnB"))


def _cell_xml(lines: Sequence[str], size: float, bold: bool, align: str, fill: str) -> str:
    paras = "".join(_para_xml(Para(line, bold=bold), size, INK, align) for line in lines)
    m = Inches(0.04)
    mv = Inches(0.01)
    return (f'<a:tc><a:txBody><a:bodyPr wrap="none"/><a:lstStyle/>{paras}</a:txBody>'
            f'<a:tcPr marL="{m}" marR="{m}" marT="{mv}" marB="{mv}" anchor="ctr">{_border_xml()}'
            f'<a:solidFill><a:srgbClr val="{_hex(fill)}"/></a:solidFill></a:tcPr></a:tc>')


class PptxSurface:
    def __init__(self, title: str):
        self.prs = Presentation()
        self.prs.slide_width = Inches(WIDTH_IN)
        self.prs.slide_height = Inches(HEIGHT_IN)
        self.prs.core_properties.title = title
        self.prs.core_properties.language = LANG
        self.slide = None

    def new_page(self) -> None:
        self.slide = self.prs.slides.add_slide(self.prs.slide_layouts[BLANK_LAYOUT])

    def text(self, x, y, w, h, fitted: Fitted, *, color: str = INK, align: str = "left") -> None:
        tb = self.slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
        tb.text_frame.vertical_anchor = MSO_ANCHOR.TOP
        _fill_frame(tb.text_frame, fitted.paras, fitted.size, color, align)

    def box(self, x, y, w, h, *, fill, line, fitted: Fitted | None = None, color: str = INK) -> None:
        shp = self.slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(x), Inches(y), Inches(w), Inches(h))
        shp.shadow.inherit = False
        if fill:
            shp.fill.solid()
            shp.fill.fore_color.rgb = _rgb(fill)
        else:
            shp.fill.background()
        if line:
            shp.line.color.rgb = _rgb(line)
            shp.line.width = Pt(1)
        else:
            shp.line.fill.background()
        tf = shp.text_frame
        tf.vertical_anchor = MSO_ANCHOR.MIDDLE
        if fitted is not None:
            _fill_frame(tf, fitted.paras, fitted.size, color, "center")

    def table(self, x, y, widths, row_h, rows, size, *, header_fill: str = HEADER_FILL,
              align_right_from: int = 1) -> None:
        n_rows, n_cols = len(rows), len(widths)
        heights = list(row_h) if isinstance(row_h, (list, tuple)) else [row_h] * n_rows
        frame = self.slide.shapes.add_table(n_rows, n_cols, Inches(x), Inches(y), Inches(sum(widths)),
                                            Inches(sum(heights)))
        tbl = frame.table
        tbl.first_row = False
        tbl.horz_banding = False
        for j, w in enumerate(widths):
            tbl.columns[j].width = Inches(w)
        el = tbl._tbl
        for tr in el.findall(qn("a:tr")):
            el.remove(tr)
        trs = []
        for i, row in enumerate(rows):
            cells = "".join(
                _cell_xml(str(row[j]).split("\n"), size, i == 0,
                          "center" if i == 0 else ("right" if j >= align_right_from else "left"),
                          header_fill if i == 0 else "#FFFFFF")
                for j in range(n_cols))
            trs.append(f'<a:tr h="{Inches(heights[i])}">{cells}</a:tr>')
        for tr in _parse("".join(trs), "a:tbl"):
            el.append(tr)

    def image(self, png: bytes, x, y, w, h) -> None:
        self.slide.shapes.add_picture(io.BytesIO(png), Inches(x), Inches(y), Inches(w), Inches(h))

    def finish(self) -> bytes:
        buf = io.BytesIO()
        self.prs.save(buf)
        return buf.getvalue()


def to_pptx(deck: Deck) -> bytes:
    return draw(deck, PptxSurface(deck.title))
