"""Today, for the cycle's deadlines, and the time its records are stamped with.

KPI_TODAY=YYYY-MM-DD (tests only, like KPI_FAULT_PAUSE_BEFORE_COMMIT) runs a server as if it were that
day: the browser test restarts its server ten days later to see a department fall behind and be
reminded. Unset in normal use."""

from __future__ import annotations

import os
from datetime import date, datetime


def today() -> date:
    fixed = os.environ.get("KPI_TODAY")
    return date.fromisoformat(fixed) if fixed else date.today()


def now() -> datetime:
    """The time now, on today()'s date (so a record and the deadline it is judged against agree)."""
    return datetime.combine(today(), datetime.now().time()).replace(microsecond=0)
