"""Numbers as city halls write them in their sheets.

'1,090', '930(見込み)', '930（見込み）', '５１８', '22.8%', '△5' (minus),
'―' or '－' (no value) and blank cells. A missing value is None, never 0.
'29（4）' is a count with a sub-count: the main figure 29, the bracket kept as a note.
Every layout, known or taught, reads its cells through parse_number.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from kpi.errors import NumberFormatError

Kind = Literal["number", "blank", "none", "text"]

# Marks that mean "no value here" (not zero). NFKC has already turned '－' into '-'.
NO_VALUE_MARKS = frozenset({"-", "―", "—", "‐", "–", "−", "ー", "─", "━", "/", "／", "×", "*", "＊", "・"})
# Words that mean "not reported yet": also no value, but worth telling apart from a dash.
PENDING_WORDS = frozenset({"集計中", "未集計", "調査中", "未確定", "未報告", "確定前"})

_ESTIMATE_RE = re.compile(r"[\(（\[［【]?\s*(?:※\s*)?見込(?:み)?(?:値|み値)?\s*[\)）\]］】]?")
# A bracket holding a figure after the main one: '29（4）', '36 (うち新規1)'. NFKC made the brackets ASCII.
_SUBCOUNT_RE = re.compile(r"^(?P<main>[^()]+?)\s*\((?P<inner>[^()]*\d[^()]*)\)$")
_NUMBER_RE = re.compile(r"^(?P<sign>[+\-△▲]?)\s*(?P<int>\d{1,3}(?:,\d{3})+|\d+)?(?P<frac>\.\d+)?$")


@dataclass(frozen=True)
class ParsedNumber:
    kind: Kind
    value: float | None = None
    estimate: bool = False
    percent: bool = False
    raw: str = ""
    unit: str | None = None
    note: str | None = None  # '29（4）' → '（4）': a sub-count people wrote next to the figure

    @property
    def is_number(self) -> bool:
        return self.kind == "number"

    @property
    def is_missing(self) -> bool:
        return self.kind in ("blank", "none")


def _clean(text: str) -> str:
    s = unicodedata.normalize("NFKC", text)
    s = s.replace("，", ",").replace("、", ",") if re.search(r"\d[，、]\d{3}", s) else s
    return re.sub(r"\s+", " ", s).strip()


def parse_number(raw: object, unit: str | None = None) -> ParsedNumber:
    """Parse a cell. Never raises: text that is not a number has kind 'text'.

    A trailing unit is accepted when it is the indicator's own unit
    ('2,094人' with unit '人'), so sheets that repeat the unit still read.
    """
    if raw is None:
        return ParsedNumber("blank")
    if isinstance(raw, bool):
        return ParsedNumber("text", raw=str(raw))
    if isinstance(raw, (int, float)):
        if isinstance(raw, float) and (math.isnan(raw) or math.isinf(raw)):
            return ParsedNumber("text", raw=str(raw))
        return ParsedNumber("number", float(raw), raw=str(raw))
    if not isinstance(raw, str):
        return ParsedNumber("text", raw=str(raw))
    text = raw
    s = _clean(text)
    if not s:
        return ParsedNumber("blank", raw=text)
    if s in NO_VALUE_MARKS or re.fullmatch(r"[-―—‐–−ー─━]+", s):
        return ParsedNumber("none", raw=text)
    if s in PENDING_WORDS:
        return ParsedNumber("none", raw=text)

    estimate = False
    if _ESTIMATE_RE.search(s):
        estimate = True
        s = _ESTIMATE_RE.sub("", s).strip()
    note = None
    sub = _SUBCOUNT_RE.match(s)
    if sub and _NUMBER_RE.match(sub.group("main").strip()):
        note = f"（{sub.group('inner').strip()}）"
        s = sub.group("main").strip()
    percent = False
    if s.endswith("%"):
        percent = True
        s = s[:-1].strip()
    found_unit = None
    if unit:
        u = unicodedata.normalize("NFKC", unit).strip()
        if u and s.endswith(u) and s != u:
            s = s[: -len(u)].strip()
            found_unit = unit
        elif u == "%" and percent:
            found_unit = unit
    m = _NUMBER_RE.match(s)
    if not m or not (m.group("int") or m.group("frac")):
        return ParsedNumber("text", raw=text, estimate=estimate)
    if note is not None and not (m.group("int") or m.group("frac")):
        return ParsedNumber("text", raw=text, estimate=estimate)
    number = float((m.group("int") or "0").replace(",", "") + (m.group("frac") or ""))
    if m.group("sign") in ("-", "△", "▲"):
        number = -number
    return ParsedNumber("number", number, estimate, percent, raw=text, unit=found_unit, note=note)


def is_percent_unit(unit: str | None) -> bool:
    return bool(unit) and unicodedata.normalize("NFKC", unit).strip() in ("%", "パーセント")


FRACTION_RULE = ("単位が％で、数値として保存された値がすべて0〜1の間にあり、1未満の端数を含む系列は、"
                 "割合（0.35 = 35％）として保存されたものとみなし、100倍して百分率で読みます。"
                 "文字として入力された値や1を超える値がある系列はそのまま読みます")


def is_fraction_series(raws: list[object], unit: str | None) -> bool:
    """Whether an indicator's values under a ％ unit were stored as fractions (Excel's percent format
    keeps 35％ as 0.35). The whole series decides, never one cell: FRACTION_RULE says how."""
    if not is_percent_unit(unit):
        return False
    numbers = []
    for raw in raws:
        if isinstance(raw, str):
            p = parse_number(raw, unit)
            if p.kind == "number":
                return False  # typed as text: the digits are what the person wrote
            continue
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or math.isnan(raw) or math.isinf(raw):
            continue
        numbers.append(float(raw))
    return bool(numbers) and all(0 <= v <= 1 for v in numbers) and any(0 < v < 1 for v in numbers)


def require_number(raw: object, *, what: str = "数値", unit: str | None = None) -> ParsedNumber:
    """Like parse_number, but text that is not a number is an error."""
    p = parse_number(raw, unit)
    if p.kind == "text":
        raise NumberFormatError(
            f"{what}の欄に「{str(raw).strip()}」とあり、数値として読めません",
            hint="数字（例: 1,090 や 930(見込み)）で入力し、値がないときは空欄か「―」にしてください",
        )
    return p


def format_number(value: float | None, *, digits: int | None = None) -> str:
    """1090.0 → '1,090'; 22.75 → '22.75'; None → '―'."""
    if value is None:
        return "―"
    if digits is not None:
        return f"{value:,.{digits}f}"
    if float(value).is_integer():
        return f"{int(value):,}"
    text = f"{value:,.3f}".rstrip("0").rstrip(".")
    return text


def format_percent(rate: float | None, digits: int = 1) -> str:
    """A rate kept as a fraction (1.057) shown as '105.7%'."""
    if rate is None:
        return "―"
    return f"{rate * 100:.{digits}f}%"


def plain(value: float | None, decimals: int | None = None) -> str:
    """For CSV: no separators, integers without '.0', empty when unknown."""
    if value is None:
        return ""
    v = round(float(value), decimals) if decimals is not None else float(value)
    if v.is_integer():
        return str(int(v))
    return f"{v:.10f}".rstrip("0").rstrip(".")
