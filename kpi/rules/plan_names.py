"""A plan's name in the one form every entry point compares and stores.

A plan name arrives from a sheet's 計画名 cell or title row, from the upload page (a
list choice or a typed new name) and from `python -m kpi … --plan`. People type the
same name in different widths and spacings: （環境局） in a sheet, (環境局) in a
terminal, an ideographic space, a zero-width space copied from a web page. Two names
that look the same must be the same plan, so every lookup and every new plan goes
through normalize_plan_name: NFKC (full-width letters, digits and brackets to their
ASCII forms), invisible and control characters removed, runs of whitespace made one
space, both ends trimmed. Nothing more: letter case, dashes and words are the name
as written (「第3次」 and 「第三次」 stay two names; the preview says when a file names a
plan that is not registered).
"""

from __future__ import annotations

import re
import unicodedata

# 〜 (WAVE DASH, Mac IME) and ～ (FULLWIDTH TILDE, Windows IME) are the same key on two keyboards;
# NFKC turns only the second into '~'.
_SAME = str.maketrans({"\u301c": "~"})


def normalize_plan_name(name: object) -> str:
    """'行政改革プラン（環境局）\u200b' → '行政改革プラン(環境局)'."""
    if name is None:
        return ""
    s = unicodedata.normalize("NFKC", str(name)).translate(_SAME)
    # Cc (controls other than whitespace) and Cf (zero-width, bidi marks, BOM) never belong to a name.
    s = "".join(ch for ch in s if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf"))
    return re.sub(r"\s+", " ", s).strip()


def same_plan_name(a: object, b: object) -> bool:
    return normalize_plan_name(a) == normalize_plan_name(b)


__all__ = ["normalize_plan_name", "same_plan_name"]
