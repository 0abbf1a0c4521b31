"""The one form of an item number and of a header, whatever layout a file arrived in.

An item number is the key every value of an item is stored under, so the same item written
the same way must get the same key in every layout (the template, a 進捗管理シート, an action
list …), or one upload would make a second item beside the first. item_number() is that form,
and every layout reads its numbers through it. What it decides, and why:

- Characters nobody can see (zero-width space, BOM, bidi marks …) are removed: "1" + U+200B is "1".
- Full-width and half-width forms are one form (NFKC): "１" is "1", "（１）" is "(1)", "Ⅰ" is "I"
  (a Roman numeral one typed from the IME and the letter I read the same, so "Ⅰ-1" is "I-1").
- Circled numbers and letters are kept as written: "①" stays "①". NFKC would make it "1", and
  plans number three levels with three notations ("1-(1)-①"), so "1-①" and "1-1" are two
  different items in the same plan; folding would merge them. Parenthesised and dotted forms
  ("⑴", "⒈") have a plain spelling that means the same ("(1)", "1.") and take it.
- Dashes that look alike are one hyphen: "1‐1", "1－1", "1−1", "1–1" and "1ー1" (the long-vowel
  mark, a common slip of the IME between digits) are "1-1".
- A leading "No." ("No.１", "NO ３", "№3", "No:3") says "number", not which one: "No.１" is "1".
- A number cell is its integer: 1.0 (Excel keeps numbers as floats) and the text "1.0" are "1".
- Runs of spaces are one space, none at the ends.

Header texts are matched the same way everywhere (header_key): "年 度" and "取 組 内 容" are
spaced out to fill wide cells, "Ｎｏ．" is "No.", and case does not matter.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any, Iterable

from kpi.intake.workbook import strip_invisible

# Kept as written (see above): circled digits and numbers (①…⑳, ㉑…㊿, ⓪, ⓫…⓴, ⓵…⓾, ⓿), circled
# letters (Ⓐ…ⓩ) and the dingbat circled digits (❶…➓). The parenthesised (⑴ ⒜) and full-stop (⒈)
# forms of the same block are not in this set: NFKC spells them "(1)", "(a)", "1.".
_CIRCLED = re.compile(r"[\u2460-\u2473\u24b6-\u24ff\u3251-\u325f\u32b1-\u32bf\u2776-\u2793]")
_DASHES = re.compile(r"[\u2010-\u2015\u2212\u2043\ufe58\ufe63\uff0d]")
_LONG_VOWEL_BETWEEN = re.compile(r"(?<=[0-9A-Za-z)\u2460-\u2473\u24b6-\u24ff\u3251-\u325f\u32b1-\u32bf\u2776-\u2793])"
                                 r"[\u30fc\uff70](?=[0-9A-Za-z(\u2460-\u2473\u24b6-\u24ff\u3251-\u325f\u32b1-\u32bf\u2776-\u2793])")
_NO_PREFIX = re.compile(r"^no(?:\s*[.:]\s*|\s*(?=[0-9]|[^\x00-\x7f]))", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=65536)  # every row of every layout asks; item numbers repeat a lot
def _item_text(s: str) -> str:
    s = strip_invisible(s)
    s = "".join(ch if _CIRCLED.match(ch) else unicodedata.normalize("NFKC", ch) for ch in s)
    s = _SPACES.sub(" ", s).strip()
    s = _DASHES.sub("-", s)
    s = _LONG_VOWEL_BETWEEN.sub("-", s)
    s = _NO_PREFIX.sub("", s).strip()
    if re.fullmatch(r"[0-9]+\.0+", s):
        s = s[: s.index(".")]
    return s


def item_number(v: Any) -> str:
    """The key of an item as people write its number (module docstring): '' when there is none."""
    if v is None or isinstance(v, bool):
        return ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else _item_text(repr(v))
    if isinstance(v, int):
        return str(v)
    return _item_text(str(v))


@lru_cache(maxsize=65536)  # called for header cells of every row; cell texts repeat a lot
def _header_text(s: str) -> str:
    return _SPACES.sub("", unicodedata.normalize("NFKC", strip_invisible(s))).casefold()


def header_key(v: Any) -> str:
    """A header (or a short label) for matching: NFKC, no spaces or invisible characters, any case."""
    return "" if v is None else _header_text(str(v))


@lru_cache(maxsize=1024)
def _keys(aliases: tuple[str, ...]) -> frozenset[str]:
    return frozenset(header_key(a) for a in aliases)


def header_keys(aliases: Iterable[str]) -> frozenset[str]:
    """The keys of a list of accepted header texts, to test header_key(cell) in header_keys(…)."""
    return _keys(tuple(aliases))


__all__ = ["item_number", "header_key", "header_keys"]
