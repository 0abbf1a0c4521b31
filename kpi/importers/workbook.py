"""Reading an uploaded file into plain cells, safely.

The file is checked before any parser sees it: its real type (a PDF or CSV
renamed .xlsx, an old or password-protected .xls container), a broken zip, a
macro workbook, zip bombs (uncompressed size and ratio), XML with a DTD
(entity bombs) and sheets too large to hold. Then python-calamine reads the
values and merged ranges; nothing is ever evaluated or executed.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from kpi.errors import BadWorkbook

MAX_FILE_BYTES = 20 * 1024 * 1024  # also server.maxUploadSize in .streamlit/config.toml
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200  # uncompressed ÷ compressed for any large part
MAX_CELLS_PER_SHEET = 2_000_000
MAX_SHEETS = 200

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
        return max((len(r) for r in self.rows), default=0)

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

    def iter_nonempty(self) -> Iterator[tuple[int, int, Any]]:
        for ri, r in enumerate(self.rows, start=1):
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


def _sniff(data: bytes, file_name: str) -> None:
    head = data[:8]
    if head.startswith(b"%PDF"):
        raise BadWorkbook(f"「{file_name}」はPDFファイルです（拡張子だけが .xlsx になっています）。",
                          hint="Excel（.xlsx）のファイルを選んでください")
    if head == OLE_MAGIC:
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00I\x00n\x00f\x00o" in data[:1024 * 1024] or \
                b"EncryptedPackage" in data or b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P" in data:
            raise BadWorkbook(f"「{file_name}」はパスワードで保護されたブックです。",
                              hint="Excelでパスワードを解除してから保存し直し、もう一度アップロードしてください")
        raise BadWorkbook(f"「{file_name}」は古い形式（.xls）のファイルです。",
                          hint="Excelで「名前を付けて保存」から .xlsx 形式を選んで保存し直してください")
    if not head.startswith(b"PK"):
        sample = data[:4096]
        for enc in ("utf-8", "cp932"):
            try:
                text = sample.decode(enc)
            except UnicodeDecodeError:
                continue
            if text and ("," in text or "\t" in text or "\n" in text):
                raise BadWorkbook(f"「{file_name}」はCSV・テキストファイルです（拡張子だけが .xlsx になっています）。",
                                  hint="Excelで開いて .xlsx 形式で保存し直してください")
        raise BadWorkbook(f"「{file_name}」はExcelのファイル（.xlsx）ではありません。",
                          hint="提出用のExcelファイルを選び直してください")


def _check_zip(data: bytes, file_name: str) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise BadWorkbook(f"「{file_name}」は壊れているため開けません（ZIPとして読めません）。",
                          hint="元のファイルをExcelで開き直して保存し、もう一度アップロードしてください") from exc
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
        kind = "Word文書" if any(n.startswith("word/") for n in names) else \
            "PowerPoint資料" if any(n.startswith("ppt/") for n in names) else "Excelブックではないファイル"
        raise BadWorkbook(f"「{file_name}」は{kind}です（Excelのブックが入っていません）。",
                          hint="提出用のExcelファイル（.xlsx）を選んでください")
    if "xl/workbook.bin" in names:
        raise BadWorkbook(f"「{file_name}」はバイナリ形式（.xlsb）のブックです。",
                          hint="Excelで .xlsx 形式で保存し直してください")
    if "xl/vbaProject.bin" in names or any(n.lower().endswith("vbaproject.bin") for n in names):
        raise BadWorkbook(f"「{file_name}」はマクロ付きブック（.xlsm）です。安全のためマクロ付きのファイルは受け付けません。",
                          hint="Excelで「名前を付けて保存」から「Excelブック（.xlsx）」を選び、マクロなしで保存し直してください")
    total = 0
    for i in infos:
        total += i.file_size
        if i.file_size > 10 * 1024 * 1024 and i.compress_size and i.file_size / i.compress_size > MAX_RATIO:
            raise BadWorkbook(f"「{file_name}」は展開すると異常に大きくなるファイル（圧縮爆弾の疑い）のため読み込みません。",
                              hint="通常のExcelファイルを作り直してください")
    if total > MAX_UNCOMPRESSED_BYTES:
        raise BadWorkbook(f"「{file_name}」は展開後の大きさが {total // (1024 * 1024)} MB あり、上限（{MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB）を超えています。",
                          hint="不要なシートや書式を削除するか、ファイルを分けてください")
    for i in infos:
        if not i.filename.endswith((".xml", ".rels")):
            continue
        try:
            with zf.open(i) as fh:
                head = fh.read(4096)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError) as exc:
            raise BadWorkbook(f"「{file_name}」は壊れているため開けません（{i.filename} を読めません）。",
                              hint="元のファイルをExcelで開き直して保存してください") from exc
        if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
            raise BadWorkbook(f"「{file_name}」には、Excelが作らない定義（DTD・エンティティ）が含まれているため読み込みません。",
                              hint="Excelで開いて保存し直したファイルをアップロードしてください")


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
    except Exception as exc:  # calamine raises its own types for every kind of broken part
        raise BadWorkbook(f"「{file_name}」を読み込めませんでした（ファイルが壊れているか、対応していない形式です）。",
                          hint=f"Excelで開いて保存し直してください（詳細: {type(exc).__name__}: {str(exc)[:160]}）") from exc
    return Workbook(file_name, hashlib.sha256(data).hexdigest(), sheets, len(data))
