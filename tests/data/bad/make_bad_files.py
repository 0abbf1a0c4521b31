"""Files that are not what they claim, for tests/test_bad_files.py.

Run once to (re)generate the checked-in files:
    .venv/bin/python tests/data/bad/make_bad_files.py
The password-protected workbook needs msoffcrypto-tool (requirements-dev.txt); the
rest are built with the standard library and openpyxl. BAD_FILES is also read by the
tests: each file's expected message (a fragment of what the person is shown).
"""

from __future__ import annotations

import io
import re
import struct
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXED_TIME = (2026, 11, 1, 9, 0, 0)

# file → (what it is, a fragment of the message the person must see)
BAD_FILES: dict[str, tuple[str, str]] = {
    "csv_renamed.xlsx": ("CSV（UTF-8）の拡張子を .xlsx に変えたもの", "CSV・テキストファイルです"),
    "pdf_renamed.xlsx": ("PDFの拡張子を .xlsx に変えたもの", "PDFファイルです"),
    "broken_zip.xlsx": ("途中で切れたブック（ZIPの末尾がない）", "壊れているため開けません"),
    "password_protected.xlsx": ("パスワード「kpi」で暗号化したブック（OLEコンテナ）", "パスワードで保護されたブックです"),
    "macro.xlsm": ("VBAプロジェクト入りのブック", "マクロ付きブック（.xlsm）です"),
    "macro_renamed.xlsx": ("VBAプロジェクト入りのブックを .xlsx に改名したもの", "マクロ付きブック（.xlsm）です"),
    "huge_sheet.xlsx": ("A1 と XFD1048576 に値があるシート（170億セル分の範囲）", "XFD1048576 まで使われていて大きすぎる"),
    "entity_bomb.xlsx": ("シートXMLに入れ子のエンティティ（billion laughs）を持つブック", "DTD・エンティティ"),
    "zip_bomb.xlsx": ("展開すると256MBになるシート（圧縮率約1000倍）", "圧縮爆弾の疑い"),
    "zip_bomb_false_size.xlsx": ("展開後の大きさを偽って小さく書いた圧縮爆弾", "壊れているため開けません"),
}


def _workbook_bytes() -> bytes:
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "年度値"
    ws.append(["No.", "指標名", "年度", "計画", "実績"])
    ws.append([1, "受講者数", "令和7年度", 100, 90])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rezip(src: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """Copy a zip with fixed timestamps (stable bytes), replacing or adding parts."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = (replace or {}).get(info.filename, zin.read(info.filename))
            zout.writestr(zipfile.ZipInfo(info.filename, FIXED_TIME), data, zipfile.ZIP_DEFLATED)
        for name, data in (add or {}).items():
            zout.writestr(zipfile.ZipInfo(name, FIXED_TIME), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def csv_renamed() -> bytes:
    return "\ufeffNo.,指標名,年度,計画,実績\r\n1,受講者数,令和7年度,100,90\r\n".encode("utf-8")


def pdf_renamed() -> bytes:
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def broken_zip() -> bytes:
    data = _rezip(_workbook_bytes())
    return data[: len(data) * 3 // 5]


def password_protected() -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(_workbook_bytes())).encrypt("kpi", out)
    return out.getvalue()


def macro() -> bytes:
    src = _workbook_bytes()
    with zipfile.ZipFile(io.BytesIO(src)) as z:
        types = z.read("[Content_Types].xml")
    types = types.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                          b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    types = types.replace(b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    # Not a working VBA project: only its presence matters, it is never run or parsed.
    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + b"Attribute VB_Name = \"Module1\"\r\nSub AutoOpen()\r\nEnd Sub\r\n"
    return _rezip(src, replace={"[Content_Types].xml": types}, add={"xl/vbaProject.bin": vba})


def huge_sheet() -> bytes:
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws["A1"] = "No."
    ws["XFD1048576"] = "最後のセル"
    buf = io.BytesIO()
    wb.save(buf)
    return _rezip(buf.getvalue())


def entity_bomb() -> bytes:
    src = _workbook_bytes()
    levels = ['<!ENTITY lol0 "lollollollollollollollollollol">'] + [
        f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">' for i in range(1, 10)]
    # A long comment first: the DTD is not in the first few kilobytes of the part.
    sheet = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<!--' + " " * 16384 + "-->\n"
             "<!DOCTYPE worksheet [" + "".join(levels) + "]>\n"
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>')
    return _rezip(src, replace={"xl/worksheets/sheet1.xml": sheet.encode("utf-8")})


BOMB_BYTES = 256 * 1024 * 1024


def _bomb_sheet() -> bytes:
    head = b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    tail = b"</sheetData></worksheet>"
    return head + b" " * (BOMB_BYTES - len(head) - len(tail)) + tail


def zip_bomb() -> bytes:
    return _rezip(_workbook_bytes(), replace={"xl/worksheets/sheet1.xml": _bomb_sheet()})


def zip_bomb_false_size() -> bytes:
    data = bytearray(zip_bomb())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        real = z.getinfo("xl/worksheets/sheet1.xml").file_size
    # Rewrite the declared uncompressed size in the local header (offset 22) and the central
    # directory entry (offset 24) of that part: readers that trust it are fooled by 50 000×.
    patched = 0
    for sig, off in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        for m in re.finditer(re.escape(sig), bytes(data)):
            s = m.start()
            if data[s + off:s + off + 4] == struct.pack("<I", real):
                data[s + off:s + off + 4] = struct.pack("<I", 5000)
                patched += 1
    assert patched == 2, patched
    return bytes(data)


BUILDERS = {
    "csv_renamed.xlsx": csv_renamed, "pdf_renamed.xlsx": pdf_renamed, "broken_zip.xlsx": broken_zip,
    "password_protected.xlsx": password_protected, "macro.xlsm": macro, "macro_renamed.xlsx": macro,
    "huge_sheet.xlsx": huge_sheet, "entity_bomb.xlsx": entity_bomb, "zip_bomb.xlsx": zip_bomb,
    "zip_bomb_false_size.xlsx": zip_bomb_false_size,
}


def main(argv: list[str]) -> int:
    only = set(argv) or set(BUILDERS)
    for name, build in BUILDERS.items():
        if name in only:
            data = build()
            (HERE / name).write_bytes(data)
            print(f"{name}: {len(data):,} bytes — {BAD_FILES[name][0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
