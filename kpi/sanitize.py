"""File names that come from people, made harmless before they are stored or offered back.

An uploaded file's name is chosen by whoever uploads it: it may carry a path
('../../etc/passwd', 'C:\\Users\\…'), control characters, characters Windows
refuses, a reserved device name (CON, NUL…), or a right-to-left override that
makes 'xslx.exe' look like 'exe.xlsx'. Stored names and download names keep
the readable part (Japanese included) and drop the rest.
"""

from __future__ import annotations

import re
import unicodedata

MAX_NAME_CHARS = 120
_FORBIDDEN = set('<>:"/\\|?*')
# Bidirectional controls and zero-width characters: they change how a name reads, not what it says.
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff",
              *(chr(c) for c in range(0x202A, 0x202F)), *(chr(c) for c in range(0x2066, 0x206A))}
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}


def safe_file_name(name: object, default: str = "upload.xlsx") -> str:
    """The last path component of name, with only characters safe on every file system.

    >>> safe_file_name("..\\\\..\\\\進捗管理シート<No.28>.xlsx")
    '進捗管理シート_No.28_.xlsx'
    """
    text = unicodedata.normalize("NFC", str(name or ""))
    text = re.split(r"[\\/]", text)[-1]  # a browser or a person may send a whole path
    out = []
    for ch in text:
        if ch in _INVISIBLE:
            continue
        cat = unicodedata.category(ch)
        if cat.startswith("C"):  # control, format, unassigned, private use, surrogates
            continue
        out.append("_" if ch in _FORBIDDEN else " " if cat.startswith("Z") else ch)
    text = re.sub(r"\s+", " ", "".join(out)).strip()
    text = text.strip(". ")  # Windows drops trailing dots/spaces; a leading dot hides the file
    if not text or set(text) <= {"_", " ", "."}:
        return default
    stem, dot, ext = text.rpartition(".")
    if not dot:
        stem, ext = text, ""
    if stem.split(".")[0].strip().upper() in _RESERVED:
        stem = "_" + stem
    ext = ext[:10]
    room = MAX_NAME_CHARS - (len(ext) + 1 if ext else 0)
    stem = stem[:room].rstrip(". ") or "file"
    return f"{stem}.{ext}" if ext else stem


def download_name(*parts: object, ext: str) -> str:
    """A download's file name built from plan names and labels, e.g. ('新潟市…', '年度値') → '新潟市…_年度値.csv'."""
    stem = "_".join(str(p) for p in parts if p not in (None, ""))
    ext = re.sub(r"[^0-9A-Za-z]", "", ext)[:10] or "bin"
    return safe_file_name(f"{stem}.{ext}", default=f"download.{ext}")
