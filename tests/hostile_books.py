"""Small hostile workbooks (a few KB each), written byte by byte: every form of cell reference, count or
part that makes python-calamine allocate from the file's own numbers, and the package tricks of issue 14.

HOSTILE maps a file name to (what it is, a fragment of the refusal the person must see, its bytes).
ALLOCATES names the ones calamine alone would abort on (tests/test_hostile_books.py shows it does).
Write them to a folder to try them by hand:  .venv/bin/python tests/hostile_books.py OUT_DIR
"""

from __future__ import annotations

import io
import sys
import warnings
import zipfile
from pathlib import Path
from typing import Callable

FIXED_TIME = (2026, 11, 1, 9, 0, 0)
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
A1 = '<row r="1"><c r="A1" t="inlineStr"><is><t>No.</t></is></c></row>'
FAR = '<c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c>'


def book(sheet_data: str, *, head: str = "", tail: str = "", sheets: list[tuple[str, str]] | None = None,
         rels: list[tuple[str, str, str]] | None = None, types: str = "", extra: dict[str, bytes | str] | None = None,
         shared_strings: str | None = None, entries: list[tuple[str, bytes | str]] | None = None,
         worksheet: str | None = None) -> bytes:
    """A minimal .xlsx: one worksheet part with sheet_data (inside <sheetData>), head/tail around it
    (or the whole worksheet element as given)."""
    sheets = sheets or [("年度値", "rId1")]
    rels = rels or [("rId1", f"{REL}/worksheet", "worksheets/sheet1.xml")]
    parts: list[tuple[str, bytes | str]] = [
        ("[Content_Types].xml",
         '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
         '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
         '<Default Extension="xml" ContentType="application/xml"/>'
         '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
         '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
         f"{types}</Types>"),
        ("_rels/.rels", f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}">'
                        f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        ("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
                            + "".join(f'<sheet name="{n}" sheetId="{i + 1}" r:id="{rid}"/>' for i, (n, rid) in enumerate(sheets))
                            + "</sheets></workbook>"),
        ("xl/_rels/workbook.xml.rels", f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}">'
                                       + "".join(f'<Relationship Id="{i}" Type="{t}" Target="{g}"/>' for i, t, g in rels)
                                       + "</Relationships>"),
        ("xl/worksheets/sheet1.xml", '<?xml version="1.0" encoding="UTF-8"?>' +
         (worksheet or f'<worksheet xmlns="{MAIN}">{head}<sheetData>{sheet_data}</sheetData>{tail}</worksheet>')),
    ]
    if shared_strings is not None:
        parts.append(("xl/sharedStrings.xml", shared_strings))
    parts += list((extra or {}).items()) + list(entries or [])
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        warnings.simplefilter("ignore")  # a duplicate entry is the point of one of these files
        for name, body in parts:
            z.writestr(zipfile.ZipInfo(name, FIXED_TIME), body.encode("utf-8") if isinstance(body, str) else body,
                       zipfile.ZIP_DEFLATED)
    return out.getvalue()


def far_cell(cell: str) -> bytes:
    return book(A1 + f'<row r="1048576">{cell}</row>')


def sst(attrs: str) -> bytes:
    return book('<row r="1"><c r="A1" t="s"><v>0</v></c></row>',
                shared_strings=f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" {attrs}><si><t>No.</t></si></sst>')


def _ole_vba() -> bytes:
    # An OLE container whose directory names a VBA storage (only its presence matters; never run).
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "_VBA_PROJECT".encode("utf-16-le") + b"\x00" * 64


def _embedded_xlsm() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(zipfile.ZipInfo("xl/vbaProject.bin", FIXED_TIME), _ole_vba())
    return out.getvalue()


_HUGE = "XFD1048576 まで使われていて大きすぎる"
_MACRO = "マクロ付きブック（.xlsm）です"
# name → (what it is, message fragment, builder)
_BUILD: dict[str, tuple[str, str, Callable[[], bytes]]] = {
    "ref_lower_case.xlsx": ("小文字の番地 r=\"xfd1048576\"", _HUGE,
                            lambda: far_cell('<c r="xfd1048576" t="inlineStr"><is><t>x</t></is></c>')),
    "ref_single_quotes.xlsx": ("一重引用符の番地 r='XFD1048576'", _HUGE,
                               lambda: far_cell("<c r='XFD1048576' t='inlineStr'><is><t>x</t></is></c>")),
    "ref_spaces_around_equals.xlsx": ("= の前後に空白 r = \"XFD1048576\"", _HUGE,
                                      lambda: far_cell('<c r = "XFD1048576" t="inlineStr"><is><t>x</t></is></c>')),
    "ref_newline_before.xlsx": ("改行とタブで区切った属性", _HUGE,
                                lambda: far_cell('<c\n\tr="XFD1048576"\tt="inlineStr"><is><t>x</t></is></c>')),
    "ref_leading_zeros.xlsx": ("先頭に0を並べた行番号 XFD0001048576", _HUGE,
                               lambda: far_cell('<c r="XFD0001048576" t="inlineStr"><is><t>x</t></is></c>')),
    "ref_angle_in_value.xlsx": ("番地の前の属性値に >", _HUGE,
                                lambda: far_cell('<c t="inlineStr" ph=">" r="XFD1048576"><is><t>x</t></is></c>')),
    "ref_upper_case_attribute.xlsx": ("属性名が大文字 R=（calamineは無視して次の位置に置く）", _HUGE,
                                      lambda: far_cell('<c R="XFD1048576" t="inlineStr"><is><t>x</t></is></c>')),
    "ref_namespace_prefix.xlsx": ("名前空間の接頭辞つき <x:c>", _HUGE,
                                  lambda: book("", worksheet=f'<worksheet xmlns="{MAIN}"><x:sheetData xmlns:x="{MAIN}">'
                                                                   '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>No.</x:t></x:is></x:c></x:row>'
                                                                   '<x:row r="1048576">'
                                                                   f'<x:c r="XFD1048576" t="inlineStr"><x:is><x:t>x</x:t></x:is>'
                                                                   "</x:c></x:row></x:sheetData></worksheet>")),
    "ref_four_letter_column.xlsx": ("4文字の列 AAAA（XFDより右）", "列 AAAA（18,279 列目）",
                                    lambda: book(A1 + '<row r="2"><c r="AAAA2" t="inlineStr"><is><t>x</t></is></c></row>')),
    "ref_seven_letter_column.xlsx": ("7文字の列（calamineの32ビット計算があふれる）", "列 ZZZZZZZ",
                                     lambda: book(A1 + '<row r="2"><c r="ZZZZZZZ2" t="inlineStr"><is><t>x</t></is></c></row>')),
    "ref_eight_digit_row.xlsx": ("8桁の行番号 B99999999", "99,999,999 行目",
                                 lambda: book(A1 + '<row r="99999999"><c r="B99999999" t="inlineStr"><is><t>x</t></is></c></row>')),
    "cells_without_address.xlsx": ("番地のないセル（前のセルの右に並ぶ）3,000個と最終行", "まで使われていて大きすぎる",
                                   lambda: book(A1 + '<row r="1048576"><c t="inlineStr"><is><t>x</t></is></c></row><row r="2">'
                                                + '<c t="inlineStr"><is><t>y</t></is></c>' * 3000 + "</row>")),
    "dimension_huge.xlsx": ("宣言された範囲 <dimension ref=\"A1:XFD1048576\">", _HUGE,
                            lambda: book(A1, head='<dimension ref="A1:XFD1048576"/>')),
    "shared_strings_unique_count.xlsx": ("共有文字列 uniqueCount=\"4294967295\"", "共有文字列",
                                         lambda: sst('count="1" uniqueCount="4294967295"')),
    "shared_strings_count.xlsx": ("共有文字列 count=\"4294967295\"", "共有文字列", lambda: sst('count="4294967295"')),
    "shared_strings_quoted_padded.xlsx": ("共有文字列 uniqueCount = '0004294967295'", "共有文字列",
                                          lambda: sst("uniqueCount = '0004294967295'")),
    "merged_whole_sheet.xlsx": ("シート全体の結合セル A1:XFD1048576", "結合セル",
                                lambda: book(A1, tail='<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>')),
    "sheets_share_a_part.xlsx": ("3枚のシートが同じシートXMLを指す", "同じ中身",
                                 lambda: book(A1, sheets=[("年度値", "rId1"), ("年度値2", "rId1"), ("年度値3", "rId1")])),
    "sheet_names_duplicate.xlsx": ("同じ名前のシートが2枚", "同じ名前のシートが2枚",
                                   lambda: book(A1, sheets=[("年度値", "rId1"), ("年度値", "rId2")],
                                                rels=[("rId1", f"{REL}/worksheet", "worksheets/sheet1.xml"),
                                                      ("rId2", f"{REL}/worksheet", "worksheets/sheet2.xml")],
                                                extra={"xl/worksheets/sheet2.xml": f'<worksheet xmlns="{MAIN}"><sheetData>{A1}</sheetData></worksheet>'})),
    "sheet_names_differ_in_case.xlsx": ("大文字・小文字だけが違うシート名 Data と DATA", "同じ名前のシートが2枚",
                                        lambda: book(A1, sheets=[("Data", "rId1"), ("DATA", "rId2")],
                                                     rels=[("rId1", f"{REL}/worksheet", "worksheets/sheet1.xml"),
                                                           ("rId2", f"{REL}/worksheet", "worksheets/sheet2.xml")],
                                                     extra={"xl/worksheets/sheet2.xml": f'<worksheet xmlns="{MAIN}"><sheetData>{A1}</sheetData></worksheet>'})),
    "zip_members_duplicate.xlsx": ("同じ名前の部品（シートXML）が2つ", "同じ名前の部品が2つ",
                                   lambda: book(A1, entries=[("xl/worksheets/sheet1.xml", f'<worksheet xmlns="{MAIN}"><sheetData>'
                                                                                          f"{A1}<row r=\"2\">{FAR}</row></sheetData></worksheet>")])),
    "zip_members_differ_in_case.xlsx": ("大文字・小文字だけが違う部品名（calamineは大文字小文字を区別せずに探す）",
                                        "大文字・小文字だけが違う名前の部品",
                                        lambda: book(A1, extra={"xl/Worksheets/Sheet1.XML": f'<worksheet xmlns="{MAIN}"><sheetData>{A1}</sheetData></worksheet>'})),
    "vba_in_image_part.xlsx": ("VBAプロジェクトを画像の名前（xl/media/image1.png）で入れたもの", _MACRO,
                               lambda: book(A1, extra={"xl/media/image1.png": _ole_vba()})),
    "vba_content_type.xlsx": ("別名の部品を vbaProject の ContentType で登録", _MACRO,
                              lambda: book(A1, types='<Override PartName="/xl/data.bin" ContentType="application/vnd.ms-office.vbaProject"/>',
                                           extra={"xl/data.bin": b"\x00" * 64})),
    "vba_relationship.xlsx": ("別名の部品を vbaProject の関係で参照", _MACRO,
                              lambda: book(A1, rels=[("rId1", f"{REL}/worksheet", "worksheets/sheet1.xml"),
                                                     ("rId9", "http://schemas.microsoft.com/office/2006/relationships/vbaProject", "data.bin")],
                                           extra={"xl/data.bin": b"\x00" * 64})),
    "macro_sheet_content_type.xlsx": ("XLMマクロシートを別の場所に置き ContentType で登録", _MACRO,
                                      lambda: book(A1, types='<Override PartName="/xl/sheets/m1.xml" ContentType="application/vnd.ms-excel.macrosheet+xml"/>',
                                                   extra={"xl/sheets/m1.xml": '<xm:macrosheet xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"/>'})),
    "embedded_macro_document.xlsx": ("マクロ付きブックを埋め込みオブジェクトとして入れたもの", _MACRO,
                                     lambda: book(A1, extra={"xl/embeddings/Microsoft_Excel_Worksheet1.bin": _embedded_xlsm()})),
}

HOSTILE: dict[str, tuple[str, str]] = {name: (what, msg) for name, (what, msg, _b) in _BUILD.items()}
# The ones calamine 0.37 alone would allocate tens of GB for (and abort the process), or the reader's
# own merged-cell expansion would.
ALLOCATES = ("ref_lower_case.xlsx", "ref_single_quotes.xlsx", "ref_spaces_around_equals.xlsx", "ref_newline_before.xlsx",
             "ref_leading_zeros.xlsx", "ref_namespace_prefix.xlsx", "ref_seven_letter_column.xlsx", "ref_eight_digit_row.xlsx", "cells_without_address.xlsx",
             "shared_strings_unique_count.xlsx", "shared_strings_quoted_padded.xlsx")


def build(name: str) -> bytes:
    return _BUILD[name][2]()


def write_all(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name in _BUILD:
        (folder / name).write_bytes(build(name))
        out.append(folder / name)
    return out


if __name__ == "__main__":
    for p in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "hostile_books")):
        print(f"{p} ({p.stat().st_size:,} bytes) — {HOSTILE[p.name][0]}")
