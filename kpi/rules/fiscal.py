"""Fiscal years (年度) and Japanese eras.

A fiscal year runs April–March and is named by the calendar year in which it
starts: 平成27年度 = FY2015. Plans written before May 2019 go on counting 平成
past its end (平成31年度 = 平成32年度 - 1 = 2019), so parsing accepts era years
beyond an era's last year, while display uses the era in force for that
fiscal year (2019 is shown as 令和元年度, the name used from May 2019 on).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

from kpi.errors import FiscalYearError


@dataclass(frozen=True)
class Era:
    name: str
    letter: str
    start_year: int  # calendar year whose part is era year 1 (元年)
    first_fiscal_year: int  # first fiscal year conventionally named in this era
    # The last era year that existed (明治45年, 大正15年, 昭和64年). None: plans go on counting past the
    # era's end (平成32年度 = 2020 in plans written before May 2019), or the era has not ended.
    last_year: int | None = None


ERAS: tuple[Era, ...] = (
    Era("明治", "M", 1868, 1868, last_year=45),  # until 1912-07-30
    Era("大正", "T", 1912, 1912, last_year=15),  # until 1926-12-25
    # 昭和 began on 1926-12-25: FY1926 is still 大正15年度. It ended on 1989-01-07 (昭和64年).
    Era("昭和", "S", 1926, 1927, last_year=64),
    Era("平成", "H", 1989, 1989),
    # 令和 began on 2019-05-01; FY2019 is called 令和元年度 (or 平成31年度 in older plans).
    Era("令和", "R", 2019, 2019),
)

_BY_NAME = {e.name: e for e in ERAS} | {e.letter: e for e in ERAS}

Style = Literal["wareki", "seireki"]

MIN_YEAR, MAX_YEAR = 1868, 2200

_ERA_RE = re.compile(
    r"(明治|大正|昭和|平成|令和|(?<![A-Za-z])[MTSHR](?![A-Za-z]))\s*\.?\s*(元|\d{1,2})\s*(年度|年)?",
    re.IGNORECASE,
)
_WESTERN_RE = re.compile(r"(?<!\d)(\d{4})\s*(年度|年)?(?!\d)")
_BARE_RE = re.compile(r"(?<![\d年])(元|\d{1,2})\s*年度")


def normalize(text: str) -> str:
    """NFKC turns full-width digits and ㍻/㋿ into plain forms."""
    return unicodedata.normalize("NFKC", text).strip()


def era_year_to_western(era: str, year: int | str) -> int:
    e = _BY_NAME.get(era.upper() if len(era) == 1 else era)
    if e is None:
        raise FiscalYearError(f"元号「{era}」は扱えません")
    n = 1 if year == "元" else int(year)
    if n < 1:
        raise FiscalYearError(f"{e.name}{n}年度は存在しません")
    if e.last_year is not None and n > e.last_year:
        raise FiscalYearError(f"{e.name}{n}年度は存在しません（{e.name}は{e.last_year}年まで）",
                              hint="元号と年を確かめてください（例: 昭和64年 = 1989年、平成元年度 = 1989年度）")
    return e.start_year + n - 1


@dataclass(frozen=True)
class FoundYear:
    year: int
    text: str
    start: int
    end: int
    explicit_era: bool


def find_fiscal_years(text: str, default_era: str | None = None) -> list[FoundYear]:
    """Every fiscal year mentioned in a header text such as '現状\\n(平成26年度)'.

    Era-less forms like '29年度以降' are read in default_era (the era used by
    the other headers of the same table); without it they are skipped.
    """
    s = normalize(str(text))
    found: list[FoundYear] = []
    taken: list[tuple[int, int]] = []
    for m in _ERA_RE.finditer(s):
        era, n = m.group(1), m.group(2)
        try:
            year = era_year_to_western(era, n)
        except FiscalYearError:  # 令和0年度 and the like: not a year, not a crash
            continue
        found.append(FoundYear(year, m.group(0), m.start(), m.end(), True))
        taken.append((m.start(), m.end()))
    for m in _WESTERN_RE.finditer(s):
        if any(a <= m.start() < b for a, b in taken):
            continue
        # Inside a longer text a Western year needs 年度/年 ('2000人' is a count, not a year).
        if not m.group(2) and s.strip() != m.group(0).strip() and not s[:m.start()].rstrip().upper().endswith("FY"):
            continue
        y = int(m.group(1))
        if MIN_YEAR <= y <= MAX_YEAR:
            found.append(FoundYear(y, m.group(0), m.start(), m.end(), True))
            taken.append((m.start(), m.end()))
    if default_era:
        for m in _BARE_RE.finditer(s):
            if any(a <= m.start() < b for a, b in taken):
                continue
            found.append(FoundYear(era_year_to_western(default_era, m.group(1)), m.group(0), m.start(), m.end(), False))
    found.sort(key=lambda f: f.start)
    return found


_EXACT_RE = re.compile(
    r"^(?:FY\s*)?(?:"
    r"(?P<era>明治|大正|昭和|平成|令和|[MTSHR])\s*\.?\s*(?P<n>元|\d{1,2})"
    r"|(?P<west>\d{4})"
    r"|(?P<bare>元|\d{1,2})"
    r")\s*(?:年度|年)?\s*$",
    re.IGNORECASE,
)


def parse_fiscal_year(value: object, default_era: str | None = None) -> int:
    """Read a fiscal year written in any of the forms city halls use.

    Accepts 2015, '2015', '2015年度', 'FY2015', '平成27年度', 'H27', 'h27年度',
    '令和元年度', 'R3', full-width digits, and '平成27年度（2015年度）' when both
    agree. A bare '27年度' needs default_era.
    """
    if value is None:
        raise FiscalYearError("年度が空欄です")
    if isinstance(value, bool):
        raise FiscalYearError(f"「{value}」は年度として読めません")
    if isinstance(value, (int, float)):
        if float(value).is_integer() and MIN_YEAR <= int(value) <= MAX_YEAR:
            return int(value)
        if default_era and float(value).is_integer() and 1 <= int(value) <= 99:
            return era_year_to_western(default_era, int(value))
        raise FiscalYearError(f"「{value}」は年度として読めません", hint="例: 平成27年度、R3、2021年度")
    s = normalize(str(value))
    if not s:
        raise FiscalYearError("年度が空欄です")
    m = _EXACT_RE.match(s)
    if m:
        if m.group("era"):
            return era_year_to_western(m.group("era"), m.group("n"))
        if m.group("west"):
            y = int(m.group("west"))
            if MIN_YEAR <= y <= MAX_YEAR:
                return y
        elif m.group("bare") and default_era:
            return era_year_to_western(default_era, m.group("bare"))
        elif m.group("bare"):
            raise FiscalYearError(f"「{value}」は元号がないため年度を決められません", hint="平成27年度、R3、2021年度のように元号か西暦で書いてください")
    # '平成27年度（2015年度）': accept when every year mentioned is the same, and is a year at all.
    for m in _ERA_RE.finditer(s):
        era_year_to_western(m.group(1), m.group(2))
    years = {f.year for f in find_fiscal_years(s, default_era)}
    rest = _ERA_RE.sub("", s)
    rest = _WESTERN_RE.sub("", rest)
    rest = re.sub(r"[\s()（）/・]|年度|FY", "", rest, flags=re.I)
    if len(years) == 1 and not rest:
        return years.pop()
    if len(years) > 1 and not rest:
        raise FiscalYearError(f"「{value}」には異なる年度が書かれています（{'、'.join(map(str, sorted(years)))}）")
    raise FiscalYearError(f"「{value}」は年度として読めません", hint="例: 平成27年度、R3、2021年度")


def era_for_fiscal_year(fy: int) -> Era:
    for era in reversed(ERAS):
        if fy >= era.first_fiscal_year:
            return era
    raise FiscalYearError(f"{fy}年度は和暦で表せません")


def format_fiscal_year(fy: int | None, style: Style = "wareki", *, suffix: bool = True) -> str:
    """2015 → '平成27年度' (wareki) or '2015年度' (seireki); 2019 → '令和元年度'."""
    if fy is None:
        return ""
    tail = "年度" if suffix else ""
    if style == "seireki":
        return f"{fy}{tail}"
    era = era_for_fiscal_year(fy)
    n = fy - era.start_year + 1
    return f"{era.name}{'元' if n == 1 else n}{tail}"


def format_fiscal_year_short(fy: int | None, style: Style = "wareki") -> str:
    """Compact labels for chart axes: 'H27' / 'R1' or '2015'."""
    if fy is None:
        return ""
    if style == "seireki":
        return str(fy)
    era = era_for_fiscal_year(fy)
    return f"{era.letter}{fy - era.start_year + 1}"


# The day each era began (its 元年 starts there, not on 1 January).
_ERA_START_DAYS: tuple[tuple[date, str], ...] = (
    (date(2019, 5, 1), "令和"), (date(1989, 1, 8), "平成"), (date(1926, 12, 25), "昭和"),
    (date(1912, 7, 30), "大正"), (date(1868, 10, 23), "明治"),
)


def format_date(day: date | None, style: Style = "wareki") -> str:
    """date(2026, 12, 1) → '令和8年12月1日' (wareki) or '2026年12月1日' (seireki); 2019-05-01 → '令和元年5月1日'."""
    if day is None:
        return ""
    if style == "wareki":
        for start, name in _ERA_START_DAYS:
            if day >= start:
                n = day.year - start.year + 1
                return f"{name}{'元' if n == 1 else n}年{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"


def fiscal_year_of(day: date) -> int:
    """The fiscal year a calendar date falls in (April starts a new one)."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_has_ended(fy: int, today: date, grace_months: int = 0) -> bool:
    """True once the fiscal year (plus the plan's reporting grace) is over."""
    month = 4 + grace_months
    year = fy + 1 + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return today >= date(year, month, 1)


def dominant_era(texts: list[str]) -> str | None:
    """The era most headers of a table are written in, for reading '29年度以降'."""
    counts: dict[str, int] = {}
    for t in texts:
        for m in _ERA_RE.finditer(normalize(str(t))):
            era = m.group(1)
            e = _BY_NAME.get(era.upper() if len(era) == 1 else era)
            if e:
                counts[e.name] = counts.get(e.name, 0) + 1
    return max(counts, key=counts.get) if counts else None
