"""The problems of an upload, for people: the first few on the page, counts per kind, every one in a CSV.

A file with 50,000 bad cells has 50,000 problems; drawing them all took the page 55 s. The page shows
the first SHOWN (errors first), how many there are of each kind (Problem.code), and offers the whole
list as a CSV for Excel (UTF-8 with BOM, Japanese headers), where they can be sorted and filtered.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from kpi.errors import Problem

SHOWN = 200
CSV_HEADERS = ("ファイル", "シート", "セル", "区分", "内容", "対処")
LEVEL_LABELS = {"error": "エラー", "warning": "注意"}
# Problem.code → what people call that kind of problem.
KIND_LABELS = {
    "bad_file": "読めないファイル", "bad_year": "年度の誤り", "not_a_number": "数値として読めない値",
    "duplicate": "重複", "missing_no": "No. の空欄", "missing_title": "名称の空欄", "missing_indicator": "指標名の空欄",
    "missing_column": "必要な列がない", "no_header": "見出しがない", "no_table": "表が見つからない", "empty": "空のシート",
    "hidden_sheet": "非表示のシート", "error_cell": "エラー値のセル（#DIV/0! など）", "bad_stage": "段階の誤り",
    "bad_status": "進捗状況の誤り", "bad_direction": "方向の誤り", "bad_flag": "○の誤り", "bad_grading": "評価方式の誤り",
    "no_mark": "記号がない", "status_count": "進捗状況の数", "no_plan": "計画名がない", "plan_mismatch": "計画名の不一致",
    "plan_guessed": "取り込み先の推定", "plan_from_file": "ファイル名を計画名に",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class KindCount:
    level: str
    code: str
    label: str
    count: int


@dataclass(frozen=True)
class ProblemSummary:
    errors: list[Problem]  # the ones to show, errors first, at most SHOWN in all
    warnings: list[Problem]
    n_errors: int
    n_warnings: int
    kinds: list[KindCount]  # most frequent first

    @property
    def total(self) -> int:
        return self.n_errors + self.n_warnings

    @property
    def shown(self) -> int:
        return len(self.errors) + len(self.warnings)

    @property
    def truncated(self) -> bool:
        return self.shown < self.total


def kind_label(code: str) -> str:
    return KIND_LABELS.get(code, f"その他（{code}）" if code else "その他")


def summarize(problems: Iterable[Problem], limit: int = SHOWN) -> ProblemSummary:
    problems = list(problems)
    errors = [p for p in problems if p.level == "error"]
    warnings = [p for p in problems if p.level != "error"]
    counts = Counter((p.level, p.code) for p in problems)
    kinds = sorted((KindCount(level, code, kind_label(code), n) for (level, code), n in counts.items()),
                   key=lambda k: (k.level != "error", -k.count, k.label))
    shown_errors = errors[:limit]
    return ProblemSummary(shown_errors, warnings[:max(0, limit - len(shown_errors))], len(errors), len(warnings), kinds)


def _cell_text(value: str | None) -> str:
    # The messages quote cell text from the file: never a live formula when Excel opens the CSV.
    text = value or ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def problems_csv(problems: Iterable[Problem]) -> bytes:
    """Every problem, one per row, for Excel: UTF-8 with BOM, headers ファイル・シート・セル・区分・内容・対処."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_HEADERS)
    for p in problems:
        w.writerow([_cell_text(p.file), _cell_text(p.sheet), p.cell or "", LEVEL_LABELS.get(p.level, p.level),
                    _cell_text(p.message), _cell_text(p.hint)])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
