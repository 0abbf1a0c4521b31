"""Small builders for test workbooks (canonical layout and edited copies of the samples)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Iterable

from openpyxl import Workbook, load_workbook

from kpi.intake.layouts.canonical import (COLUMNS, SHEET_EVALS, SHEET_INDICATORS, SHEET_ITEMS, SHEET_PLAN, SHEET_STATUS,
                                          SHEET_VALUES)


def canonical_workbook(path: Path, *, plan: dict[str, Any] | None = None, items: Iterable[dict] = (),
                       indicators: Iterable[dict] = (), values: Iterable[dict] = (),
                       evaluations: Iterable[dict] = (), levels: int = 2, statuses: Iterable[dict] = ()) -> Path:
    """Rows are dicts keyed by the Japanese header text of each sheet."""
    wb = Workbook()
    wb.remove(wb.active)
    if plan is not None:
        ws = wb.create_sheet(SHEET_PLAN)
        ws.append(["項目", "内容"])
        for k, v in plan.items():
            ws.append([k, v])
    for name, rows, extra in ((SHEET_ITEMS, items, [f"体系{i}" for i in range(1, levels + 1)]),
                              (SHEET_INDICATORS, indicators, []), (SHEET_VALUES, values, []),
                              (SHEET_EVALS, evaluations, []), (SHEET_STATUS, statuses, [])):
        rows = list(rows)
        if not rows and name != SHEET_ITEMS:
            continue
        headers = extra + [aliases[0] for aliases in COLUMNS[name].values()]
        ws = wb.create_sheet(name)
        ws.append(headers)
        for row in rows:
            ws.append([row.get(h) for h in headers])
    wb.save(path)
    return path


def edited_copy(src: Path, dst: Path, edits: dict[tuple[str, str], Any]) -> Path:
    """Copy a workbook and change cells: {(sheet, 'E14'): value}."""
    shutil.copy(src, dst)
    wb = load_workbook(dst)
    for (sheet, cell), value in edits.items():
        wb[sheet][cell].value = value
    wb.save(dst)
    return dst


DEPARTMENTS = ("市民協働課", "財政課")
DEPT_PLAN = "協働テスト市行政改革プラン"


def department_plan(path: Path, *, n_items: int = 3, years: Iterable[int] = (2020, 2021, 2022),
                    actual: dict[tuple[int, int], Any] | None = None, titles: dict[int, str] | None = None,
                    plan_name: str = DEPT_PLAN, municipality: str = "協働テスト市",
                    only: Iterable[int] | None = None) -> Path:
    """A canonical workbook whose items belong to different departments (for permission tests).

    Item 1 is 市民協働課's, item 2 財政課's, item 3 both; further items alternate. Each item has
    one indicator「指標{n}」with a plan value and an actual per year; actual[(item, year)]
    overrides an actual, titles[item] a title; only=[…] keeps just those items (one department's file).
    """
    years = list(years)
    owners = {1: "市民協働課", 2: "財政課", 3: "市民協働課、財政課"}
    items, indicators, values = [], [], []
    for n in range(1, n_items + 1):
        if only is not None and n not in set(only):
            continue
        items.append({"体系1": "基本方針1", "体系2": f"施策{(n - 1) // 10 + 1}", "No.": n,
                      "取組名": (titles or {}).get(n, f"取組{n}"),
                      "担当課": owners.get(n, DEPARTMENTS[(n - 1) % 2])})
        indicators.append({"No.": n, "指標名": f"指標{n}", "単位": "件", "基準年度": f"{years[0] - 1}年度",
                           "基準値": 10, "最終目標年度": f"{years[-1]}年度", "最終目標値": 10 + 10 * len(years)})
        for i, fy in enumerate(years):
            values.append({"No.": n, "指標名": f"指標{n}", "年度": f"{fy}年度", "計画": 20 + 10 * i,
                           "実績": (actual or {}).get((n, fy), 19 + 10 * i)})
    plan = {"計画名": plan_name, "自治体": municipality, "開始年度": f"{years[0]}年度", "終了年度": f"{years[-1]}年度"}
    return canonical_workbook(path, plan=plan, items=items, indicators=indicators, values=values)


def sql(store, statement: str, params: list[Any] | None = None) -> list[tuple]:
    """Raw SQL on a test database, for what a test sets up or checks below the store's named reads.

    The app has no raw-SQL door (only kpi/store runs SQL, tests/test_architecture.py); tests may
    look straight at the tables, so they use the store's own cursor here."""
    with store._read() as cur:
        return cur.execute(statement, params or []).fetchall()


def run_kpi(*args: str, env: dict[str, str] | None = None, stdin: str = "", text: bool = False,
            keep_kpi_db: bool = False):
    """`python -m kpi ARGS` run in this process (kpi.cli.main), answered like subprocess.run(capture_output=True).

    A new interpreter costs a second or more of imports per command; the commands' behaviour is the
    same in-process. What only a real process shows (exit status of `python -m kpi`, a crash, two
    processes at once) stays in subprocess tests (test_crash.py, test_samples_cli.py, test_cli.py).
    An exception that main() lets through is reported as the interpreter would: a traceback on stderr
    and exit status 1, so tests that check "no traceback" still can fail. KPI_DB is taken out of the
    environment unless keep_kpi_db (as the subprocess helpers did), env is added for the run only."""
    import io
    import os
    import subprocess
    import sys
    import traceback

    from kpi import cli

    out_bytes, err_bytes = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(out_bytes, encoding="utf-8", write_through=True)
    err = io.TextIOWrapper(err_bytes, encoding="utf-8", errors="backslashreplace", write_through=True)
    saved_env = dict(os.environ)
    saved = sys.stdin, sys.stdout, sys.stderr
    if not keep_kpi_db:
        os.environ.pop("KPI_DB", None)
    os.environ.update(env or {})
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin), out, err
    try:
        code = cli.main(list(args))
    except SystemExit as exc:  # argparse: usage errors
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception:  # noqa: BLE001 - shown as the interpreter would show it
        traceback.print_exc(file=err)
        code = 1
    finally:
        out.flush()
        err.flush()
        sys.stdin, sys.stdout, sys.stderr = saved
        os.environ.clear()
        os.environ.update(saved_env)
    stdout, stderr = out_bytes.getvalue(), err_bytes.getvalue()
    if text:
        stdout, stderr = stdout.decode("utf-8"), stderr.decode("utf-8")
    return subprocess.CompletedProcess(["python", "-m", "kpi", *args], code, stdout, stderr)
