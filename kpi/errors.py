"""One error hierarchy for everything a person may be shown.

Every error has a short title and a message in Japanese; problems found in a
workbook also name the sheet and the cell, so department staff can go straight
to the cell that is wrong. Driver errors (DuckDB, openpyxl, zipfile) are
wrapped at the boundary, never shown as tracebacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal


class KpiError(Exception):
    """Base of all errors meant for people."""

    title: str = "エラー"

    def __init__(self, message: str, *, title: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title
        self.hint = hint

    def __str__(self) -> str:  # what the CLI prints and the UI shows
        text = f"{self.title}: {self.message}"
        if self.hint:
            text += f"\n  → {self.hint}"
        return text


class FiscalYearError(KpiError, ValueError):
    title = "年度の形式エラー"


class NumberFormatError(KpiError, ValueError):
    title = "数値の形式エラー"


class StoreError(KpiError):
    title = "データベースのエラー"


class StoreBusyError(StoreError):
    title = "データベースは使用中です"


class StoreConflictError(StoreError):
    title = "同時に更新されました"


class StoreUnavailable(StoreError):
    """The shared store's server cannot be reached; reads and writes resume when it returns."""
    title = "データベースに接続できません"


class PermissionDenied(KpiError):
    title = "権限がありません"


class NotFound(KpiError):
    title = "見つかりません"


class AmbiguousPlan(KpiError):
    """A plan name that fits more than one registered plan (names that look the same)."""

    title = "取り込み先の計画を決められません"

    def __init__(self, name: str, candidates: Iterable[str], *, hint: str | None = None):
        """candidates: how each plan is named to the person, e.g. '「…(環境局)」（計画ID 3）'."""
        self.name = name
        self.candidates = tuple(candidates)
        listed = "、".join(self.candidates)
        super().__init__(f"計画名「{name}」に当てはまる計画が{len(self.candidates)}つあります: {listed}",
                         hint=hint or "取り込み先の計画を一覧から選んでください。同じ名前に見える計画は、"
                                      "管理者がどちらかの名前を変えてください")


Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or doubtful) in an uploaded workbook."""

    level: Level
    message: str
    sheet: str | None = None
    cell: str | None = None
    file: str | None = None
    hint: str | None = None
    code: str = ""

    @property
    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(f"ファイル「{self.file}」")
        if self.sheet:
            parts.append(f"シート「{self.sheet}」")
        if self.cell:
            parts.append(f"セル {self.cell}")
        return " ".join(parts)

    def __str__(self) -> str:
        label = "エラー" if self.level == "error" else "注意"
        where = self.where
        text = f"[{label}] {where}: {self.message}" if where else f"[{label}] {self.message}"
        if self.hint:
            text += f"（{self.hint}）"
        return text


class ImportRefused(KpiError):
    """A workbook was refused; nothing was written. Carries every problem found."""

    title = "取り込めませんでした"

    def __init__(self, problems: Iterable[Problem], message: str | None = None):
        self.problems = list(problems)
        errors = [p for p in self.problems if p.level == "error"]
        if message is None:
            message = f"{len(errors)} 件のエラーがあります。データベースは変更していません。"
        super().__init__(message)

    def __str__(self) -> str:
        lines = [f"{self.title}: {self.message}"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


class BadWorkbook(KpiError):
    """The file itself cannot be read as a workbook (wrong type, broken, encrypted…)."""

    title = "ファイルを読み込めません"
