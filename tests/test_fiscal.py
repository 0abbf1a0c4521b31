"""Fiscal years and eras, both ways (table-driven)."""

from datetime import date

import pytest

from kpi.errors import FiscalYearError
from kpi.rules.fiscal import (
    find_fiscal_years,
    fiscal_year_has_ended,
    fiscal_year_of,
    format_fiscal_year,
    format_fiscal_year_short,
    parse_fiscal_year,
)


@pytest.mark.parametrize("text, year", [
    ("平成27年度", 2015),
    ("平成２７年度", 2015),
    ("平成31年度", 2019),
    ("令和元年度", 2019),
    ("令和1年度", 2019),
    ("平成32年度", 2020),
    ("平成34年度", 2022),
    ("R3", 2021),
    ("r3", 2021),
    ("R3年度", 2021),
    ("H29", 2017),
    ("H.29", 2017),
    ("h29年度", 2017),
    ("2021年度", 2021),
    ("２０２１年度", 2021),
    ("2021", 2021),
    ("FY2021", 2021),
    (2021, 2021),
    (2021.0, 2021),
    ("令和3年度", 2021),
    ("昭和63年度", 1988),
    ("平成元年度", 1989),
    ("平成27年度（2015年度）", 2015),
    ("㍻27年度", 2015),
    (" 平成 27 年度 ", 2015),
])
def test_parse_fiscal_year(text, year):
    assert parse_fiscal_year(text) == year


@pytest.mark.parametrize("text, era, year", [
    ("29年度", "平成", 2017),
    ("元年度", "令和", 2019),
    (29, "平成", 2017),
])
def test_parse_bare_year_needs_era(text, era, year):
    assert parse_fiscal_year(text, default_era=era) == year


@pytest.mark.parametrize("text", ["", None, "来年度", "平成", "abc", "27年度", "平成27年度（2016年度）", True, 12.5, "R"])
def test_parse_fiscal_year_rejects(text):
    with pytest.raises(FiscalYearError) as exc:
        parse_fiscal_year(text)
    assert exc.value.message  # a Japanese message a person can read


@pytest.mark.parametrize("fy, wareki, seireki, short", [
    (2014, "平成26年度", "2014年度", "H26"),
    (2015, "平成27年度", "2015年度", "H27"),
    (2018, "平成30年度", "2018年度", "H30"),
    (2019, "令和元年度", "2019年度", "R1"),
    (2020, "令和2年度", "2020年度", "R2"),
    (2025, "令和7年度", "2025年度", "R7"),
    (1989, "平成元年度", "1989年度", "H1"),
    (1988, "昭和63年度", "1988年度", "S63"),
])
def test_format_fiscal_year(fy, wareki, seireki, short):
    assert format_fiscal_year(fy, "wareki") == wareki
    assert format_fiscal_year(fy, "seireki") == seireki
    assert format_fiscal_year_short(fy, "wareki") == short
    # and back again
    assert parse_fiscal_year(wareki) == fy


@pytest.mark.parametrize("header, era, years", [
    ("現状\n(平成26年度)", None, [2014]),
    ("中間目標/\n29年度以降", "平成", [2017]),
    ("中間目標/\n29年度以降", None, []),
    ("最終目標/31年度以降", "平成", [2019]),
    ("平成27年度", None, [2015]),
    ("R2〜R4年度", None, [2020, 2022]),
    ("計画", None, []),
])
def test_find_fiscal_years_in_headers(header, era, years):
    assert [f.year for f in find_fiscal_years(header, era)] == years


@pytest.mark.parametrize("day, fy", [
    (date(2019, 3, 31), 2018),
    (date(2019, 4, 1), 2019),
    (date(2026, 11, 23), 2026),
    (date(2027, 1, 5), 2026),
])
def test_fiscal_year_of(day, fy):
    assert fiscal_year_of(day) == fy


@pytest.mark.parametrize("fy, today, grace, ended", [
    (2018, date(2019, 3, 31), 0, False),
    (2018, date(2019, 4, 1), 0, True),
    (2018, date(2019, 5, 31), 2, False),
    (2018, date(2019, 6, 1), 2, True),
    (2025, date(2026, 11, 23), 0, True),
    (2026, date(2026, 11, 23), 0, False),
])
def test_fiscal_year_has_ended(fy, today, grace, ended):
    assert fiscal_year_has_ended(fy, today, grace) is ended


@pytest.mark.parametrize("text, years", [
    ("参加者2000人", []),
    ("2021", [2021]),
    ("FY2021", [2021]),
    ("2021年度実績", [2021]),
    ("令和0年度", []),
])
def test_find_fiscal_years_ignores_counts_and_impossible_years(text, years):
    assert [f.year for f in find_fiscal_years(text)] == years


# Issue 14: an era year past the era's end is not a year. 平成 and 令和 go on (plans written before
# May 2019 count 平成32年度 = 2020).
@pytest.mark.parametrize("text, year", [
    ("明治45年", 1912), ("M45", 1912), ("大正15年度", 1926), ("T15", 1926), ("昭和64年", 1989), ("昭和64年度", 1989),
    ("S64", 1989), ("s64年度", 1989), ("昭和６４年度", 1989), ("平成31年度", 2019), ("平成40年度", 2028), ("令和30年度", 2048),
])
def test_the_last_year_of_each_era_is_read(text, year):
    assert parse_fiscal_year(text) == year


@pytest.mark.parametrize("text, era, last", [
    ("明治46年", "明治", 45), ("M46", "明治", 45), ("大正16年度", "大正", 15), ("T16", "大正", 15),
    ("昭和65年度", "昭和", 64), ("S65", "昭和", 64), ("ｓ65年度", "昭和", 64), ("昭和６５年度", "昭和", 64),
    ("昭和99年度", "昭和", 64), ("昭和65年度（1990年度）", "昭和", 64),
])
def test_a_year_past_the_end_of_its_era_is_refused(text, era, last):
    with pytest.raises(FiscalYearError) as exc:
        parse_fiscal_year(text)
    assert f"{era}は{last}年まで" in exc.value.message or "年度として読めません" in exc.value.message
    assert parse_fiscal_year(text.replace("65", "64").replace("６５", "６４").replace("46", "45").replace("16", "15")
                             .replace("99", "64").replace("（1990年度）", "")) is not None


def test_a_year_past_the_end_of_its_era_is_not_a_year_in_a_header():
    assert [f.year for f in find_fiscal_years("昭和63年度 昭和64年度 昭和65年度")] == [1988, 1989]
