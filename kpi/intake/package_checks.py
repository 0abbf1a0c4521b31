"""What an uploaded .xlsx is checked for before python-calamine sees it.

These checks run inside the reader's child process (kpi/intake/isolated_reader.py), which has its own memory and
time limits; they are there to refuse a hostile or broken file with a message that says why, the child's
limits are there for whatever they miss.

- The real type: a PDF, CSV or web page renamed .xlsx, an old .xls, a password-protected container.
- The zip: broken, encrypted entries, too many entries, two entries with the same name (also when they
  differ only in case: calamine looks parts up case-insensitively, so which one it reads is a guess),
  declared sizes and ratios (zip bombs; a part that lies about its size fails its CRC when read).
- Macros, whatever the part is called: a VBA project or macro sheet named by a content type or a
  relationship, an OLE part holding a VBA storage, an embedded package holding vbaProject.bin.
- XML with a DTD anywhere in a part (entity bombs).
- What calamine allocates from the file's own numbers (calamine 0.37, measured in
  tests/test_hostile_books.py): the whole rectangle from A1 to the last cell of each sheet, for every
  sheet entry of workbook.xml (two entries may name the same part), and a vector of uniqueCount strings
  for sharedStrings.xml. One cell at XFD1048576, or uniqueCount="4294967295", asks for tens of GB and
  Rust aborts the process. So every cell address is read as calamine reads it: any case, single or
  double quotes, spaces around '=', any number of column letters or row digits, cells without an
  address placed after the previous one; plus the sheet's declared <dimension ref>. Columns beyond XFD
  and rows beyond 1048576 are refused outright: Excel cannot have them.
Each refusal is a BadWorkbook with a Japanese message and what to do.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass, field
from zlib import error as zlib_error

from kpi.errors import BadWorkbook

MAX_FILE_BYTES = 20 * 1024 * 1024  # also server.maxUploadSize in .streamlit/config.toml
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200  # uncompressed ÷ compressed for any large part
MAX_PART_BYTES = 150 * 1024 * 1024  # any one part, whatever its ratio
MAX_CELLS_PER_SHEET = 2_000_000  # the rectangle A1 → last used cell, as calamine allocates it
MAX_CELLS_TOTAL = 5_000_000
MAX_MERGED_CELLS_PER_SHEET = MAX_CELLS_PER_SHEET  # the reader expands every merged range cell by cell
MAX_SHARED_STRINGS = MAX_CELLS_TOTAL  # a string per cell at most; calamine reserves uniqueCount of them
# A 進捗管理シート book has one sheet per item and period: 150 items × 2 periods is 300 (issue 9).
MAX_SHEETS = 400
MAX_ZIP_ENTRIES = 5_000
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLS = 16_384  # XFD

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_ERRORS = (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError, zlib_error)


def column_letter(col: int) -> str:
    s = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        s = chr(65 + rem) + s
    return s


def coord(row: int, col: int) -> str:
    """(13, 2) → 'B13' (1-based)."""
    return f"{column_letter(col)}{row}"


def column_number(letters: bytes | str) -> int:
    """'XFD' → 16384, any case, any length (as calamine reads it, without its u32 wrap-around)."""
    n = 0
    for ch in (letters.encode() if isinstance(letters, str) else letters).upper():
        n = n * 26 + (ch - 64)
    return n


# ------------------------------------------------------------------ messages

def _broken(file_name: str, part: str | None = None) -> BadWorkbook:
    what = f"（{part} を読めません）" if part else "（ZIPとして読めません）"
    return BadWorkbook(f"「{file_name}」は壊れているため開けません{what}。",
                       hint="元のファイルをExcelで開き直して保存し、もう一度アップロードしてください")


def _bomb(file_name: str) -> BadWorkbook:
    return BadWorkbook(f"「{file_name}」は展開すると異常に大きくなるファイル（圧縮爆弾の疑い）のため読み込みません。",
                       hint="通常のExcelファイルを作り直してください")


def _dtd(file_name: str) -> BadWorkbook:
    return BadWorkbook(f"「{file_name}」には、Excelが作らない定義（DTD・エンティティ）が含まれているため読み込みません。",
                       hint="Excelで開いて保存し直したファイルをアップロードしてください")


def _macro(file_name: str, part: str) -> BadWorkbook:
    return BadWorkbook(f"「{file_name}」はマクロ付きブック（.xlsm）です。安全のためマクロ付きのファイルは受け付けません"
                       f"（マクロの部品: {part}）。",
                       hint="Excelで「名前を付けて保存」から「Excelブック（.xlsx）」を選び、マクロなしで保存し直してください")


_RESAVE = "Excelで Ctrl+End を押して最後のセルを確かめ、使っていない行や列を削除して保存し直してください"


def _too_big(file_name: str, sheet: str, rows: int, cols: int) -> BadWorkbook:
    if cols > EXCEL_MAX_COLS or rows > EXCEL_MAX_ROWS:
        beyond = (f"列 {column_letter(cols)}（{cols:,} 列目）" if cols > EXCEL_MAX_COLS else f"{rows:,} 行目")
        return BadWorkbook(f"「{file_name}」のシート{sheet}には {beyond} のセルがあり、Excelの最大の範囲"
                           f"（XFD{EXCEL_MAX_ROWS}）を超えているため読み込みません。",
                           hint="Excelで作り直したファイルをアップロードしてください")
    where = f"{coord(rows, cols)} まで使われていて" if rows and cols else "セルが多すぎて"
    return BadWorkbook(f"「{file_name}」のシート{sheet}は{where}大きすぎるため読み込みません"
                       f"（上限 {MAX_CELLS_PER_SHEET:,} セル）。", hint=_RESAVE)


# ------------------------------------------------------------------ file type

_ENCRYPTED_MARKERS = (
    "EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"), b"EncryptedPackage",
)


def sniff(data: bytes, file_name: str) -> None:
    """Refuse what is not an .xlsx at all, naming what it is."""
    head = data[:8]
    if head.startswith(b"%PDF"):
        raise BadWorkbook(f"「{file_name}」はPDFファイルです（拡張子だけが .xlsx になっています）。",
                          hint="Excel（.xlsx）のファイルを選んでください")
    if head == OLE_MAGIC:
        # An encrypted .xlsx is an OLE container with these two streams (MS-OFFCRYPTO); the stream
        # names live in the directory sectors, which may be anywhere in the file.
        if any(m in data for m in _ENCRYPTED_MARKERS):
            raise BadWorkbook(f"「{file_name}」はパスワードで保護されたブックです。パスワード付きのファイルは読み込めません。",
                              hint="Excelで開き、「ファイル」→「情報」→「ブックの保護」→「パスワードを使用して暗号化」で"
                                   "パスワードを消して保存し直してから、もう一度アップロードしてください")
        raise BadWorkbook(f"「{file_name}」は古い形式（.xls）のファイルです。",
                          hint="Excelで「名前を付けて保存」から .xlsx 形式を選んで保存し直してください")
    if not head.startswith(b"PK"):
        sample = data[:4096]
        lowered = sample.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if lowered.startswith((b"<!doctype html", b"<html", b"<?xml", b"<table", b"mime-version")):
            raise BadWorkbook(f"「{file_name}」はWebページ（HTML/XML）形式のファイルです（拡張子だけが .xlsx になっています）。",
                              hint="Excelで開いて「名前を付けて保存」から .xlsx 形式を選んで保存し直してください")
        for enc in ("utf-8-sig", "cp932"):
            try:
                text = sample.decode(enc)
            except UnicodeDecodeError:
                if enc == "utf-8-sig" and len(sample) == 4096:
                    try:  # the sample may end inside a multi-byte character
                        text = sample[:-3].decode(enc)
                    except UnicodeDecodeError:
                        continue
                else:
                    continue
            if text and ("," in text or "\t" in text or "\n" in text):
                raise BadWorkbook(f"「{file_name}」はCSV・テキストファイルです（拡張子だけが .xlsx になっています）。",
                                  hint="Excelで開いて「名前を付けて保存」から .xlsx 形式を選んで保存し直してください")
        raise BadWorkbook(f"「{file_name}」はExcelのファイル（.xlsx）ではありません。",
                          hint="提出用のExcelファイルを選び直してください")


# ------------------------------------------------------------------ XML patterns
# Every pattern runs over a whole part (the parts are at most MAX_PART_BYTES, and this runs in the
# limited child), so nothing can hide across a chunk boundary. Names may carry a namespace prefix
# (<x:c>), as calamine matches local names. A start tag's attributes are matched quote-aware: '>' is
# allowed inside an attribute value.
_P = rb"(?:[\w.\-]+:)?"  # an element's namespace prefix
_ATTRS = rb"""((?:[^>"']|"[^"]*"|'[^']*')*)"""
_NOT_NAME = rb"(?<![\w:.\-])"  # an attribute's own name starts here (calamine ignores prefixed ones)

_DTD = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.I)
# Any r attribute of any element (rows r="12", cells r="B12"): column letters and row digits as calamine
# reads them. The attribute name is matched in any case and the value may be padded: wider than calamine.
_REF_COLS = re.compile(_NOT_NAME + rb"""r\s*=\s*["']\s*([A-Za-z]+)""", re.I)
_REF_ROWS = re.compile(_NOT_NAME + rb"""r\s*=\s*["']\s*[A-Za-z]*0*(\d+)""", re.I)
_CELL = re.compile(rb"<" + _P + rb"c(?=[\s/>])")
_CELL_NO_REF = re.compile(rb"<" + _P + rb"c(?=[\s/>])(?!" + rb"""(?:[^>"']|"[^"]*"|'[^']*')*?""" + _NOT_NAME +
                          rb"r\s*=)", re.I)
_TAG_ROW_OR_CELL = re.compile(rb"<(/?)" + _P + rb"(row|c)(?=[\s/>])" + _ATTRS + rb">")
_REF_ATTR = re.compile(_NOT_NAME + rb"""r\s*=\s*["']\s*([A-Za-z]*)0*(\d*)""", re.I)
_SHEET_DATA = re.compile(rb"<" + _P + rb"sheetData(?=[\s/>])")
_DIMENSION = re.compile(rb"<" + _P + rb"dimension(?=[\s/>])" + _ATTRS + rb">")
_REF_RANGE = re.compile(_NOT_NAME + rb"""ref\s*=\s*["']\s*([A-Za-z]*)0*(\d*)(?:\s*:\s*([A-Za-z]*)0*(\d*))?""", re.I)
_SST = re.compile(rb"<" + _P + rb"sst(?=[\s/>])" + _ATTRS + rb">")
_SST_COUNT = re.compile(_NOT_NAME + rb"""(uniqueCount|count)\s*=\s*["']\s*\+?0*(\d+)""", re.I)
_SI = re.compile(rb"<" + _P + rb"si(?=[\s/>])")
_ERROR_CELL_TYPE = re.compile(_NOT_NAME + rb"""t\s*=\s*["']e["']""")
# workbook.xml's sheet entries and workbook.xml.rels' targets, to know which part each sheet reads.
_SHEET_ENTRY = re.compile(rb"<" + _P + rb"sheet(?=[\s/>])" + _ATTRS + rb">")
_ATTR = re.compile(rb"""([\w:.\-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_RELATIONSHIP = re.compile(rb"<" + _P + rb"Relationship(?=[\s/>])" + _ATTRS + rb">")
# Macros named in the package's own directory, whatever the part is called.
_MACRO_CONTENT_TYPE = re.compile(rb"vbaProject|macroEnabled|macrosheet|vbaData", re.I)
_MACRO_RELATIONSHIP = re.compile(rb"vbaProject|macrosheet|vbaData", re.I)
_VBA_STORAGE = ("_VBA_PROJECT".encode("utf-16-le"), b"_VBA_PROJECT", b"Attribute VB_")


def _attrs(text: bytes) -> dict[str, str]:
    out = {}
    for m in _ATTR.finditer(text):
        key = m.group(1).decode("utf-8", "replace")
        out[key] = (m.group(2) if m.group(2) is not None else m.group(3)).decode("utf-8", "replace")
    return out


def _int(digits: bytes) -> int:
    return int(digits) if digits else 0


@dataclass
class Extent:
    """Where calamine would place the last cell of a sheet part (1-based), and how many cells it holds."""

    rows: int = 0
    cols: int = 0
    cells: int = 0
    canonical: bool = False  # written as Excel writes it (see _canonical_extent)

    @property
    def area(self) -> int:
        return self.rows * self.cols


_WS = bytes.maketrans(b"\t\r\n", b"   ")
_FAST_REF_COLS = re.compile(rb' r="([A-Z]+)')
_FAST_REF_ROWS = re.compile(rb' r="[A-Z]*0*(\d+)')


def sheet_extent(xml: bytes) -> Extent:
    """The rectangle calamine allocates for this sheet XML, or more (never less).

    With every cell addressed (as Excel, LibreOffice and openpyxl write them), the last cell is the
    largest address. Cells without an address go after the previous cell of their row, and rows
    without one after the previous row, so then the sheet is walked tag by tag as calamine does.
    """
    flat = xml.translate(_WS)
    ext = _canonical_extent(flat) or _any_extent(xml)
    at = flat.find(b"dimension")
    while at != -1:
        tag = _DIMENSION.match(flat, flat.rfind(b"<", 0, at)) if at > 0 else None
        r = _REF_RANGE.search(tag.group(1)) if tag else None
        if r:
            for letters, digits in ((r.group(1), r.group(2)), (r.group(3), r.group(4))):
                if letters:
                    ext.cols = max(ext.cols, column_number(letters))
                if digits:
                    ext.rows = max(ext.rows, int(digits))
        at = flat.find(b"dimension", at + 9)
    return ext


def _canonical_extent(flat: bytes) -> Extent | None:
    """The extent of a sheet written the way Excel, LibreOffice and openpyxl write one: every cell
    opens with <c r=" and its address in capitals, attributes are name="value" without spaces. Then
    plain byte counts and two patterns with a literal start find every address (fast: a 100,000-row
    sheet in a fraction of a second). Anything else returns None, for the general reading."""
    cells = flat.count(b"<c ") + flat.count(b"<c>") + flat.count(b"<c/")
    if cells != flat.count(b'<c r="') or b":c " in flat or b":c>" in flat or b":c/" in flat:
        return None  # a cell without an address first, or with a namespace prefix
    if any(s in flat for s in (b" =", b"= ", b"='", b" R=")):
        return None  # spaces around '=', single quotes, an upper-case R attribute
    rows = _FAST_REF_ROWS.findall(flat)
    if len(rows) != flat.count(b' r="'):
        return None  # an address in lower case, padded, or without digits
    ext = Extent(cells=cells, canonical=True)
    if rows:
        ext.rows = max(map(int, set(rows)))
    cols = set(_FAST_REF_COLS.findall(flat))
    if cols:
        ext.cols = max(column_number(c) for c in cols)
    return ext


def _any_extent(xml: bytes) -> Extent:
    """The extent read with patterns for every form calamine accepts (slower)."""
    ext = Extent(cells=len(_CELL.findall(xml)))
    cols = set(_REF_COLS.findall(xml))
    if cols:
        ext.cols = max(column_number(c) for c in cols)
    rows = set(_REF_ROWS.findall(xml))
    if rows:
        ext.rows = max(map(int, rows))
    if _CELL_NO_REF.search(xml):
        walked = _walk(xml)
        ext.rows, ext.cols = max(ext.rows, walked.rows), max(ext.cols, walked.cols)
    return ext


def _walk(xml: bytes) -> Extent:
    """calamine's own placement (xlsx/cells_reader.rs): a row's r sets the row, every </row> moves one
    row down, a cell's r sets the column, and every cell moves one column right."""
    row = col = 0  # 0-based, as calamine counts
    last_row = last_col = -1
    for m in _TAG_ROW_OR_CELL.finditer(xml):
        closing, name, attrs = m.group(1), m.group(2), m.group(3)
        self_closing = attrs.endswith(b"/")
        if name == b"row":
            if closing:
                row, col = row + 1, 0
                continue
            ref = _REF_ATTR.search(attrs)
            if ref and ref.group(2):
                row = int(ref.group(2)) - 1
            if self_closing:
                row, col = row + 1, 0
            continue
        if closing:
            continue
        ref = _REF_ATTR.search(attrs)
        if ref and ref.group(1):
            col = column_number(ref.group(1)) - 1
            here = (int(ref.group(2)) - 1 if ref.group(2) else row, col)
        else:
            here = (row, col)
        last_row, last_col = max(last_row, here[0]), max(last_col, here[1])
        col += 1
    return Extent(last_row + 1, last_col + 1)


def shared_string_counts(xml: bytes) -> tuple[int, int]:
    """(largest count the <sst> element declares, <si> elements present)."""
    if b"sst" not in xml:
        return 0, 0
    declared = 0
    for m in _SST.finditer(xml):
        for c in _SST_COUNT.finditer(m.group(1)):
            declared = max(declared, int(c.group(2)))
    return declared, len(_SI.findall(xml))


# ------------------------------------------------------------------ the package

def _norm(name: str) -> str:
    """A part name as calamine finds it: ASCII case ignored, '\\' as '/', no leading '/'."""
    return name.replace("\\", "/").lstrip("/").lower()


def _resolve_target(target: str) -> str:
    # calamine: a target starting "/xl/" or "xl/" is taken from the root, anything else under xl/.
    t = target.replace("\\", "/")
    if t.startswith("/xl/"):
        return t[1:]
    if t.startswith("xl/"):
        return t
    if t.startswith("/"):
        return t[1:]
    return "xl/" + t


@dataclass
class Package:
    """A checked package: its parts by name (read once), which are sheets, and how many sheet entries
    of workbook.xml name each part."""

    parts: dict[str, bytes] = field(default_factory=dict)
    sheet_parts: set[str] = field(default_factory=set)
    readers: dict[str, list[str]] = field(default_factory=dict)  # part → names of the sheet entries reading it
    error_cell_parts: set[str] = field(default_factory=set)  # sheets holding cells of type e (#DIV/0! …)


def _read_parts(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], file_name: str) -> dict[str, bytes]:
    parts = {}
    for i in infos:
        if i.is_dir():
            continue
        try:
            parts[i.filename] = zf.read(i)
        except ZIP_ERRORS as exc:
            raise _broken(file_name, i.filename) from exc
    return parts


def _check_zip_directory(infos: list[zipfile.ZipInfo], file_name: str) -> None:
    if len(infos) > MAX_ZIP_ENTRIES:
        raise BadWorkbook(f"「{file_name}」には部品が {len(infos):,} 個あり、Excelのブックとしては多すぎるため読み込みません。",
                          hint="Excelで開いて保存し直してください")
    seen: dict[str, str] = {}
    for i in infos:
        key = _norm(i.filename)
        if key in seen:
            same = "同じ名前" if seen[key] == i.filename else "大文字・小文字だけが違う名前"
            raise BadWorkbook(f"「{file_name}」には{same}の部品が2つあります（{seen[key]} と {i.filename}）。"
                              "どちらを読むかが決まらないため読み込みません。",
                              hint="Excelで開いて保存し直したファイルをアップロードしてください")
        seen[key] = i.filename
    names = set(seen)
    if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
        kind = "Word文書" if any(n.startswith("word/") for n in names) else \
            "PowerPoint資料" if any(n.startswith("ppt/") for n in names) else "Excelブックではないファイル"
        raise BadWorkbook(f"「{file_name}」は{kind}です（Excelのブックが入っていません）。",
                          hint="提出用のExcelファイル（.xlsx）を選んでください")
    if "xl/workbook.bin" in names:
        raise BadWorkbook(f"「{file_name}」はバイナリ形式（.xlsb）のブックです。",
                          hint="Excelで .xlsx 形式で保存し直してください")
    total = 0
    for i in infos:
        if i.flag_bits & 0x1:
            raise BadWorkbook(f"「{file_name}」は中身が暗号化されています。パスワード付きのファイルは読み込めません。",
                              hint="パスワードを外して保存し直してから、もう一度アップロードしてください")
        total += i.file_size
        ratio = i.file_size / i.compress_size if i.compress_size else (float("inf") if i.file_size else 0)
        if i.file_size > MAX_PART_BYTES or (i.file_size > 10 * 1024 * 1024 and ratio > MAX_RATIO):
            raise _bomb(file_name)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise BadWorkbook(f"「{file_name}」は展開後の大きさが {total // (1024 * 1024)} MB あり、上限（{MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB）を超えています。",
                          hint="不要なシートや書式を削除するか、ファイルを分けてください")


def _is_xml(name: str, body: bytes) -> bool:
    return name.lower().endswith((".xml", ".rels", ".vml")) or body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"


def _check_macros(parts: dict[str, bytes], file_name: str) -> None:
    for name, body in parts.items():
        low = _norm(name)
        if "vbaproject" in low or low.startswith("xl/macrosheets/"):
            raise _macro(file_name, name)
        if low == "[content_types].xml" and _MACRO_CONTENT_TYPE.search(body):
            raise _macro(file_name, name)
        if low.endswith(".rels"):
            for m in _RELATIONSHIP.finditer(body):
                a = _attrs(m.group(1))
                if _MACRO_RELATIONSHIP.search(a.get("Type", "").encode()):
                    raise _macro(file_name, a.get("Target") or name)
        if body.startswith(OLE_MAGIC) and any(m in body for m in _VBA_STORAGE):
            raise _macro(file_name, name)  # a VBA storage under another name (an OLE object, an image…)
        if body.startswith(b"PK") and b"vbaProject" in body:
            raise _macro(file_name, name)  # an embedded macro-enabled document


def _sheet_readers(parts: dict[str, bytes], file_name: str) -> dict[str, list[str]]:
    """The part each sheet entry of workbook.xml reads (as calamine resolves it), with the sheets' names."""
    by_norm = {_norm(n): n for n in parts}
    wb = parts.get(by_norm.get("xl/workbook.xml", ""), b"")
    rels = parts.get(by_norm.get("xl/_rels/workbook.xml.rels", ""), b"")
    targets = {}
    for m in _RELATIONSHIP.finditer(rels):
        a = _attrs(m.group(1))
        if "Id" in a:
            targets[a["Id"]] = a.get("Target", "")
    readers: dict[str, list[str]] = {}
    entries = _SHEET_ENTRY.findall(wb)
    if len(entries) > MAX_SHEETS:
        raise BadWorkbook(f"「{file_name}」にはシートが {len(entries)} 枚あり、上限（{MAX_SHEETS} 枚）を超えています。")
    for attrs in entries:
        a = _attrs(attrs)
        rid = next((v for k, v in a.items() if k == "r:id" or k.endswith(":id")), None)
        target = targets.get(rid or "")
        part = by_norm.get(_norm(_resolve_target(target))) if target else None
        if part is not None:
            readers.setdefault(part, []).append(html.unescape(a.get("name", "")))
    return readers


def check_package(data: bytes, file_name: str) -> Package:
    """Every check that needs the zip's contents. Returns the parts read, for the reader."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except ZIP_ERRORS as exc:
        raise _broken(file_name) from exc
    _check_zip_directory(infos, file_name)
    parts = _read_parts(zf, infos, file_name)
    _check_macros(parts, file_name)
    pkg = Package(parts)
    for name, body in parts.items():
        if _is_xml(name, body) and _DTD.search(body):
            raise _dtd(file_name)
    pkg.readers = _sheet_readers(parts, file_name)
    for name, sheets in pkg.readers.items():
        if len(sheets) > 1:
            raise BadWorkbook(f"「{file_name}」ではシート{'・'.join(f'「{s}」' for s in sheets)}が同じ中身（{name}）を指しています。"
                              "Excelはこのようなブックを作らないため読み込みません。",
                              hint="Excelで開いて保存し直したファイルをアップロードしてください")
    total_cells = 0
    for name, body in parts.items():
        if not _is_xml(name, body):
            continue
        declared, strings = shared_string_counts(body)
        if max(declared, strings) > MAX_SHARED_STRINGS:
            raise BadWorkbook(f"「{file_name}」の共有文字列（{name}）は {max(declared, strings):,} 個と宣言されていて、"
                              f"上限（{MAX_SHARED_STRINGS:,} 個）を超えるため読み込みません。",
                              hint="Excelで開いて保存し直したファイルをアップロードしてください")
        if name not in pkg.readers and b"sheetData" not in body:
            continue
        pkg.sheet_parts.add(name)
        ext = sheet_extent(body)
        sheet = f"「{pkg.readers[name][0]}」" if pkg.readers.get(name) else f"（{name}）"
        if ext.cols > EXCEL_MAX_COLS or ext.rows > EXCEL_MAX_ROWS:
            raise _too_big(file_name, sheet, ext.rows, ext.cols)
        if ext.cells > MAX_CELLS_PER_SHEET or ext.area > MAX_CELLS_PER_SHEET:
            raise _too_big(file_name, sheet, ext.rows, ext.cols)
        total_cells += ext.area
        if total_cells > MAX_CELLS_TOTAL:
            raise BadWorkbook(f"「{file_name}」は全シートのセルが {MAX_CELLS_TOTAL:,} を超えるため読み込みません。",
                              hint="不要なシートを削除するか、ファイルを分けてください")
        if (b' t="e"' in body) if ext.canonical else _ERROR_CELL_TYPE.search(body):
            pkg.error_cell_parts.add(name)
    return pkg
