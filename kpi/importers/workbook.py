"""Reading an uploaded file into plain cells, safely.

The file is checked before any parser sees it: its real type (a PDF, CSV or
web page renamed .xlsx, an old .xls or a password-protected container), a
broken zip, a macro workbook, zip bombs (declared sizes and ratios; a part that
lies about its size fails its CRC while it is streamed), XML with a DTD anywhere
in a part (entity bombs), and sheets whose used range is too large: every
worksheet's XML is streamed once to find its last cell before python-calamine
is handed the file, because calamine allocates the whole range from A1 to that
cell. Then calamine reads the values and merged ranges; nothing is evaluated or
executed. Peak memory of refusing each file in tests/data/bad stays near the
interpreter's own (see tests/test_bad_files.py).
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from zlib import error as zlib_error
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from kpi.errors import BadWorkbook

MAX_FILE_BYTES = 20 * 1024 * 1024  # also server.maxUploadSize in .streamlit/config.toml
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200  # uncompressed ÷ compressed for any large part
MAX_PART_BYTES = 150 * 1024 * 1024  # any one part, whatever its ratio
MAX_CELLS_PER_SHEET = 2_000_000  # the rectangle A1 → last used cell, as calamine allocates it
MAX_CELLS_TOTAL = 5_000_000
# A 進捗管理シート book has one sheet per item and period: 150 items × 2 periods is 300 (issue 9).
MAX_SHEETS = 400
MAX_ZIP_ENTRIES = 5_000

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def column_letter(col: int) -> str:
    s = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        s = chr(65 + rem) + s
    return s


def coord(row: int, col: int) -> str:
    """(13, 2) → 'B13' (1-based)."""
    return f"{column_letter(col)}{row}"


def clean_text(v: Any) -> str:
    """Cell text for matching: NFKC, no line breaks or repeated spaces."""
    if v is None:
        return ""
    s = unicodedata.normalize("NFKC", str(v))
    return re.sub(r"\s+", " ", s).strip()


def tidy_text(v: Any) -> str:
    """Cell text to store: the characters as written, whitespace runs collapsed."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return re.sub(r"\s+", " ", str(v)).strip()


@dataclass
class Sheet:
    name: str
    rows: list[list[Any]]  # 0-based grid as read
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # 1-based r0, c0, r1, c1
    visible: bool = True
    _anchor: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # Computed once: parsers ask for it in every row loop.
        self._max_col = max((len(r) for r in self.rows), default=0)
        for r0, c0, r1, c1 in self.merged:
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    if (r, c) != (r0, c0):
                        self._anchor[(r, c)] = (r0, c0)

    @property
    def max_row(self) -> int:
        return len(self.rows)

    @property
    def max_col(self) -> int:
        return self._max_col

    def raw(self, row: int, col: int) -> Any:
        """The value stored in exactly this cell ('' and None both mean empty)."""
        if row < 1 or col < 1 or row > len(self.rows):
            return None
        r = self.rows[row - 1]
        if col > len(r):
            return None
        v = r[col - 1]
        return None if v == "" else v

    def value(self, row: int, col: int) -> Any:
        """The value shown in the cell: a merged range shows its top-left value everywhere."""
        anchor = self._anchor.get((row, col))
        if anchor:
            return self.raw(*anchor)
        return self.raw(row, col)

    def text(self, row: int, col: int) -> str:
        return clean_text(self.value(row, col))

    def merge_of(self, row: int, col: int) -> tuple[int, int, int, int] | None:
        for m in self.merged:
            if m[0] <= row <= m[2] and m[1] <= col <= m[3]:
                return m
        return None

    def is_merge_anchor_or_single(self, row: int, col: int) -> bool:
        return (row, col) not in self._anchor

    def row_texts(self, row: int) -> list[str]:
        return [self.text(row, c) for c in range(1, self.max_col + 1)]

    def iter_nonempty(self, max_row: int | None = None) -> Iterator[tuple[int, int, Any]]:
        for ri, r in enumerate(self.rows if max_row is None else self.rows[:max_row], start=1):
            for ci, v in enumerate(r, start=1):
                if v not in (None, ""):
                    yield ri, ci, v

    def find(self, predicate) -> list[tuple[int, int]]:
        return [(r, c) for r, c, v in self.iter_nonempty() if predicate(clean_text(v))]


@dataclass
class Workbook:
    file_name: str
    sha256: str
    sheets: list[Sheet]
    size: int = 0

    def sheet(self, name: str) -> Sheet | None:
        for s in self.sheets:
            if s.name == name:
                return s
        return None


_ENCRYPTED_MARKERS = (
    "EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"), b"EncryptedPackage",
)


def _sniff(data: bytes, file_name: str) -> None:
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


def _broken(file_name: str, exc: BaseException | None = None, part: str | None = None) -> BadWorkbook:
    what = f"（{part} を読めません）" if part else "（ZIPとして読めません）"
    return BadWorkbook(f"「{file_name}」は壊れているため開けません{what}。",
                       hint="元のファイルをExcelで開き直して保存し、もう一度アップロードしてください")


def _bomb(file_name: str) -> BadWorkbook:
    return BadWorkbook(f"「{file_name}」は展開すると異常に大きくなるファイル（圧縮爆弾の疑い）のため読み込みません。",
                       hint="通常のExcelファイルを作り直してください")


def _dtd(file_name: str) -> BadWorkbook:
    return BadWorkbook(f"「{file_name}」には、Excelが作らない定義（DTD・エンティティ）が含まれているため読み込みません。",
                       hint="Excelで開いて保存し直したファイルをアップロードしてください")


_CHUNK = 1 << 20
_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY", b"<!doctype", b"<!entity")
# A cell's or a row's address inside sheet XML, with or without a namespace prefix.
# Addresses inside sheet XML: r="XFD1048576" on a cell, r="12" on a row (no other element in a
# worksheet has an attribute named exactly r). Only maxima are kept, so the scan stays in C.
_REF_COL = re.compile(rb"\sr=\"([A-Z]{1,3})[0-9]")
_REF_ROW = re.compile(rb"\sr=\"[A-Z]{0,3}([0-9]{1,7})\"")
_PREFIXED_CELL = re.compile(rb"<\w+:c[\s>/]")


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


@dataclass
class _Extent:
    rows: int = 0
    cols: int = 0
    cells: int = 0

    @property
    def area(self) -> int:
        return self.rows * self.cols


def _scan_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo, file_name: str, is_sheet: bool) -> _Extent:
    """Stream one XML part once: refuse DTDs anywhere, and measure a sheet's extent before calamine.

    calamine allocates the whole rectangle from A1 to the last used cell, so one value in XFD1048576
    would ask for hundreds of GB; the extent has to be known before it is handed the file. zipfile
    stops at the declared size, so a part that lies about its size fails its CRC here.
    """
    ext = _Extent()
    tail = b""
    row_elements = 0
    try:
        with zf.open(info) as fh:
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                buf = tail + chunk
                if any(m in buf for m in _DTD_MARKERS):
                    raise _dtd(file_name)
                if is_sheet:
                    # Count complete tags only: keep the last partial tag for the next round.
                    cut = buf.rfind(b"<")
                    if cut <= 0 or len(buf) - cut > 4096:
                        cut = len(buf)
                    body, tail = buf[:cut], buf[cut:]
                    cols = set(_REF_COL.findall(body))
                    if cols:
                        ext.cols = max(ext.cols, max(_col_number(c) for c in cols))
                    rows = _REF_ROW.findall(body)
                    if rows:
                        ext.rows = max(ext.rows, max(map(int, rows)))
                    ext.cells += body.count(b"<c ") + body.count(b"<c>") + body.count(b"<c/>")
                    if b":c" in body:
                        ext.cells += len(_PREFIXED_CELL.findall(body))
                    row_elements += body.count(b"<row") + body.count(b":row")
                    if ext.cells > MAX_CELLS_PER_SHEET:
                        break  # enough to refuse
                else:
                    tail = buf[-16:]
    except BadWorkbook:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError,
            zlib_error) as exc:
        raise _broken(file_name, exc, info.filename) from exc
    # Cells written without an address are placed one after another: count them as columns.
    ext.rows = max(ext.rows, row_elements)
    ext.cols = max(ext.cols, 1 if ext.cells else 0)
    return ext


def _sheet_parts(zf: zipfile.ZipFile, names: set[str]) -> set[str]:
    parts = {n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")}
    if "[Content_Types].xml" in names:
        info = zf.getinfo("[Content_Types].xml")
        if info.file_size <= 1024 * 1024:
            try:
                ct = zf.read(info)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, zlib_error):
                ct = b""
            for m in re.finditer(rb"PartName=\"/?([^\"]+)\"[^>]*ContentType=\"[^\"]*(?:worksheet|macrosheet)[^\"]*\"", ct):
                parts.add(m.group(1).decode("utf-8", "replace"))
    return parts


def _check_zip(data: bytes, file_name: str) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError) as exc:
        raise _broken(file_name, exc) from exc
    if len(infos) > MAX_ZIP_ENTRIES:
        raise BadWorkbook(f"「{file_name}」には部品が {len(infos):,} 個あり、Excelのブックとしては多すぎるため読み込みません。",
                          hint="Excelで開いて保存し直してください")
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
        kind = "Word文書" if any(n.startswith("word/") for n in names) else \
            "PowerPoint資料" if any(n.startswith("ppt/") for n in names) else "Excelブックではないファイル"
        raise BadWorkbook(f"「{file_name}」は{kind}です（Excelのブックが入っていません）。",
                          hint="提出用のExcelファイル（.xlsx）を選んでください")
    if "xl/workbook.bin" in names:
        raise BadWorkbook(f"「{file_name}」はバイナリ形式（.xlsb）のブックです。",
                          hint="Excelで .xlsx 形式で保存し直してください")
    if any(n.lower().endswith("vbaproject.bin") for n in names) or any(n.startswith("xl/macrosheets/") for n in names):
        raise BadWorkbook(f"「{file_name}」はマクロ付きブック（.xlsm）です。安全のためマクロ付きのファイルは受け付けません。",
                          hint="Excelで「名前を付けて保存」から「Excelブック（.xlsx）」を選び、マクロなしで保存し直してください")
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
    sheets = _sheet_parts(zf, names)
    total_cells = 0
    for i in infos:
        if not i.filename.endswith((".xml", ".rels", ".vml")):
            continue
        ext = _scan_part(zf, i, file_name, i.filename in sheets)
        if i.filename not in sheets:
            continue
        if ext.cells > MAX_CELLS_PER_SHEET or ext.area > MAX_CELLS_PER_SHEET:
            where = f"{coord(ext.rows, ext.cols)} まで使われていて" if ext.rows and ext.cols else "セルが多すぎて"
            raise BadWorkbook(f"「{file_name}」のシート（{i.filename.rsplit('/', 1)[-1]}）は{where}大きすぎるため読み込みません"
                              f"（上限 {MAX_CELLS_PER_SHEET:,} セル）。",
                              hint="Excelで Ctrl+End を押して最後のセルを確かめ、使っていない行や列を削除して保存し直してください")
        total_cells += ext.area
        if total_cells > MAX_CELLS_TOTAL:
            raise BadWorkbook(f"「{file_name}」は全シートのセルが {MAX_CELLS_TOTAL:,} を超えるため読み込みません。",
                              hint="不要なシートを削除するか、ファイルを分けてください")


def read_workbook(source: bytes | str | Path, file_name: str | None = None) -> Workbook:
    """Load a workbook after the safety checks. Raises BadWorkbook with a message for people."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        file_name = file_name or path.name
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise BadWorkbook(f"ファイル「{file_name}」が見つかりません。") from exc
        if size > MAX_FILE_BYTES:
            raise BadWorkbook(f"「{file_name}」は {size / 1024 / 1024:.1f} MB あり、上限（{MAX_FILE_BYTES // (1024 * 1024)} MB）を超えています。",
                              hint="ファイルを分けてアップロードしてください")
        data = path.read_bytes()
    else:
        data = bytes(source)
        file_name = file_name or "upload.xlsx"
    if len(data) > MAX_FILE_BYTES:
        raise BadWorkbook(f"「{file_name}」は {len(data) / 1024 / 1024:.1f} MB あり、上限（{MAX_FILE_BYTES // (1024 * 1024)} MB）を超えています。",
                          hint="ファイルを分けてアップロードしてください")
    if not data:
        raise BadWorkbook(f"「{file_name}」は空のファイルです。")
    _sniff(data, file_name)
    _check_zip(data, file_name)
    import python_calamine as pc
    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        metas = {m.name: m for m in wb.sheets_metadata}
        names = list(wb.sheet_names)
        if len(names) > MAX_SHEETS:
            raise BadWorkbook(f"「{file_name}」にはシートが {len(names)} 枚あり、上限（{MAX_SHEETS} 枚）を超えています。")
        sheets = []
        for name in names:
            meta = metas.get(name)
            if meta is not None and "WorkSheet" not in str(meta.typ):
                continue  # chart sheets and macro sheets hold no cells to read
            ws = wb.get_sheet_by_name(name)
            if ws.height * ws.width > MAX_CELLS_PER_SHEET:
                raise BadWorkbook(f"シート「{name}」は {ws.height:,} 行 × {ws.width:,} 列あり、大きすぎるため読み込みません。",
                                  hint="使っていない行や列を削除して保存し直してください")
            # skip_empty_area=False keeps row 1 / column A at index 0, so addresses match Excel.
            rows = ws.to_python(skip_empty_area=False)
            merged = [(a[0] + 1, a[1] + 1, b[0] + 1, b[1] + 1) for a, b in (ws.merged_cell_ranges or [])]
            visible = meta is None or str(meta.visible).endswith("Visible") and "Hidden" not in str(meta.visible)
            sheets.append(Sheet(name, [list(r) for r in rows], merged, visible))
    except BadWorkbook:
        raise
    except (KeyboardInterrupt, SystemExit):
        raise
    # calamine raises its own types for every kind of broken part, and a Rust panic (pyo3's
    # PanicException is a BaseException) for some, e.g. a date cell holding 10**15 (found by tests/test_fuzz.py).
    except BaseException as exc:
        raise BadWorkbook(f"「{file_name}」を読み込めませんでした（ファイルが壊れているか、対応していない形式です）。",
                          hint=f"Excelで開いて保存し直してください（詳細: {type(exc).__name__}: {str(exc)[:160]}）") from exc
    return Workbook(file_name, hashlib.sha256(data).hexdigest(), sheets, len(data))
