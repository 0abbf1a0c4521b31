"""A table as data: what a view shows in rows and columns, and what a download writes (kpi/outputs/export.py
turns it into CSV or XLSX; ui/tables.py draws it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Table:
    what: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
