"""Numbers as city halls write them in their sheets.

'1,090', '930(見込み)', '930（見込み）', '５１８', '22.8%', '△5' (minus),
'―' or '－' (no value) and blank cells. A missing value is None, never 0.
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
_NUMBER_RE = re.compile(r"^(?P<sign>[+\-△▲]?)\s*(?P<int>\d{1,3}(?:,\d{3})+|\d+)?(?P<frac>\.\d+)?$")


@dataclass(frozen=True)
class ParsedNumber:
    kind: Kind
    value: float | None = None
    estimate: bool = False
    percent: bool = False
    raw: str = ""
    unit: str | None = None

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
    number = float((m.group("int") or "0").replace(",", "") + (m.group("frac") or ""))
    if m.group("sign") in ("-", "△", "▲"):
        number = -number
    return ParsedNumber("number", number, estimate, percent, raw=text, unit=found_unit)


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
