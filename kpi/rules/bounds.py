"""How big and what shape a value from a file may be: one place for every layout and every setting.

A workbook is written by whoever sends it. Without bounds, one cell can make every later
page or export fail: a 5,000-digit item number (Python will not turn more than 4,300 digits
into a number), a 400-digit value read as infinity (達成率 inf %, graded A), a value near
1e308 whose rates overflow to nan, a NUL character that no XLSX file may hold. So every
field a file brings is checked against these bounds before anything is compared or
written (kpi/intake/validate.py: check_bounds, run by kpi/importing.prepare on every batch), and
each refusal names the sheet and the cell.

The bounds, and why:
- Numbers: finite, and less than 10^15 (千兆) in size. A city's or a prefecture's largest
  amounts (budgets in yen, population) are below 10^14; below 2^53 ≈ 9×10^15 every whole
  number is exact in a DOUBLE, so 1,000,000,000,000,000 leaves room and stays exact.
- Item numbers (No.): at most 50 characters ('1-(2)-③-ア' is 9).
- Names and labels (indicator, unit, department, grade, status, activity …): 200 characters.
- Titles (取組名, 体系, 経過の見出し) and the plan's name: 500 characters.
- Prose (現状と課題, 取組の状況 …): 32,767 characters, Excel's own limit for one cell, so
  every export and the department sheet open again in Excel.
- Text holds no control characters other than tab and line breaks, no Unicode
  non-characters (U+FFFE, U+FFFF) and no lone surrogates: XML 1.0, the format inside every
  .xlsx, cannot hold them, and they are never typed on purpose. They are refused with the
  cell named rather than silently removed, because what is stored must be what the person
  wrote (a NUL in the middle of a value is as likely a broken export from another system
  as a stray character, and only the person can tell which).
"""

from __future__ import annotations

import math
import re

MAX_ABS_NUMBER = 1e15
MAX_ITEM_NO = 50
MAX_NAME = 200
MAX_TITLE = 500
MAX_TEXT = 32_767

# C0 controls but tab, LF and CR; DEL and the C1 controls; non-characters; surrogates.
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


def bad_character(text: str) -> str | None:
    """'U+0000' for the first character no stored text may hold, or None."""
    m = _BAD_CHARS.search(text)
    return f"U+{ord(m.group()):04X}" if m else None


def text_problem(text: str, max_len: int) -> str | None:
    """Why text may not be stored (in Japanese), or None."""
    bad = bad_character(text)
    if bad:
        return f"制御文字など保存できない文字（{bad}）が含まれています"
    if len(text) > max_len:
        return f"長すぎます（{len(text):,}文字。{max_len:,}文字まで）"
    return None


def number_problem(value: float) -> str | None:
    """Why a number may not be stored (in Japanese), or None."""
    try:
        v = float(value)
    except (OverflowError, ValueError, TypeError):
        return "数値として扱えません"
    if not math.isfinite(v):
        return "大きすぎるか、数値ではありません（扱える数値は絶対値が1,000兆未満です）"
    if abs(v) >= MAX_ABS_NUMBER:
        return "大きすぎます（扱える数値は絶対値が1,000兆未満です）"
    return None


def xml_safe(text: str) -> str:
    """Text for a workbook cell: a character XML cannot hold (only in records stored before these
    bounds) becomes U+FFFD, visible as a replacement mark, so the export still opens."""
    return _BAD_CHARS.sub("\ufffd", text)


def shown(text: str, n: int = 20) -> str:
    """A long or odd value quoted in a message: short, with its control characters made visible."""
    s = _BAD_CHARS.sub(lambda m: f"<U+{ord(m.group()):04X}>", str(text))
    return s if len(s) <= n else f"{s[:n]}…（{len(s):,}文字）"


__all__ = ["MAX_ABS_NUMBER", "MAX_ITEM_NO", "MAX_NAME", "MAX_TITLE", "MAX_TEXT", "bad_character", "text_problem",
           "number_problem", "shown", "xml_safe"]
