"""The review committee's material: the deck (slides.py) and its files (PowerPoint, PDF, Excel).

slides.build_deck() says what each slide holds; render.py places it on a
16:9 page; powerpoint.py and pdf.py draw those pages; workbook.py writes the
tables. The writers are imported only when a file is asked for (matplotlib and
reportlab are not needed to show the meeting mode).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kpi.outputs.pack.slides import Deck

FORMATS: dict[str, tuple[str, str, str]] = {
    # key: (label, extension, MIME type)
    "pptx": ("PowerPoint", "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "pdf": ("PDF", "pdf", "application/pdf"),
    "xlsx": ("Excel（表）", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


@dataclass(frozen=True)
class PackFile:
    format: str
    label: str
    file_name: str
    mime: str
    data: bytes


def file_stem(deck: Deck) -> str:
    """'新潟市行政改革プラン2015_平成30年度_会議資料' without characters file systems refuse."""
    parts = [deck.plan_name, deck.as_of_label] + ([deck.meeting.name] if deck.meeting else []) + ["会議資料"]
    return re.sub(r'[\\/:*?"<>|\s]+', "_", "_".join(parts)).strip("_")


def file_bytes(deck: Deck, fmt: str) -> bytes:
    if fmt == "pptx":
        from kpi.outputs.pack.powerpoint import to_pptx
        return to_pptx(deck)
    if fmt == "pdf":
        from kpi.outputs.pack.pdf import to_pdf
        return to_pdf(deck)
    if fmt == "xlsx":
        from kpi.outputs.pack.workbook import to_xlsx
        return to_xlsx(deck)
    raise ValueError(fmt)


def pack_file(deck: Deck, fmt: str) -> PackFile:
    label, ext, mime = FORMATS[fmt]
    return PackFile(fmt, label, f"{file_stem(deck)}.{ext}", mime, file_bytes(deck, fmt))
