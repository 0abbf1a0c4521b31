"""Issue 14, item 5: 50,000 problems draw in seconds: the first 200, counts per kind, the rest as a CSV."""

from __future__ import annotations

import csv
import io
import time

import pytest
from conftest import ROOT
from problem_books import many_problems_book
from streamlit.testing.v1 import AppTest

from kpi.errors import Problem
from kpi.intake.problem_report import CSV_HEADERS, SHOWN, problems_csv, summarize


def _p(level: str, code: str, n: int = 0) -> Problem:
    return Problem(level, f"問題 {n}", "年度値", f"D{n + 2}", "f.xlsx", "直してください", code)


@pytest.mark.parametrize("n_errors, n_warnings, shown_errors, shown_warnings", [
    (0, 0, 0, 0), (3, 2, 3, 2), (SHOWN, 5, SHOWN, 0), (150, 100, 150, 50), (50_000, 10, SHOWN, 0), (0, 300, 0, SHOWN),
])
def test_the_first_problems_are_shown_errors_first(n_errors, n_warnings, shown_errors, shown_warnings):
    problems = [_p("warning", "hidden_sheet", k) for k in range(n_warnings)] + [_p("error", "not_a_number", k) for k in range(n_errors)]
    s = summarize(problems)
    assert (len(s.errors), len(s.warnings), s.n_errors, s.n_warnings) == (shown_errors, shown_warnings, n_errors, n_warnings)
    assert s.truncated == (n_errors + n_warnings > SHOWN)
    assert s.errors == [p for p in problems if p.level == "error"][:shown_errors]


def test_kinds_are_counted_by_code_with_their_japanese_names():
    problems = ([_p("error", "not_a_number")] * 7 + [_p("error", "duplicate")] * 3 + [_p("warning", "error_cell")] * 9
                + [_p("error", "")] * 2)
    kinds = [(k.level, k.label, k.count) for k in summarize(problems).kinds]
    assert kinds == [("error", "数値として読めない値", 7), ("error", "重複", 3), ("error", "その他", 2),
                     ("warning", "エラー値のセル（#DIV/0! など）", 9)]


def test_the_csv_holds_every_problem_for_excel():
    problems = [_p("error", "not_a_number", k) for k in range(3)] + [
        Problem("warning", "=1+2 と書かれています", "=シート", "A1", "-f.xlsx", "@直す", "x")]
    data = problems_csv(problems)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == CSV_HEADERS == ("ファイル", "シート", "セル", "区分", "内容", "対処")
    assert rows[1] == ["f.xlsx", "年度値", "D2", "エラー", "問題 0", "直してください"]
    assert rows[4] == ["'-f.xlsx", "'=シート", "A1", "注意", "'=1+2 と書かれています", "'@直す"]  # never a live formula
    assert len(rows) == 5


def test_an_upload_with_50000_problems_draws_in_seconds(app_env, tmp_path):
    book = many_problems_book(tmp_path / "問題だらけ.xlsx")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.switch_page("pages/upload.py")
    at.run()
    at.file_uploader[0].set_value([(book.name, book.read_bytes(), "application/octet-stream")])
    t0 = time.perf_counter()
    at.run()
    took = time.perf_counter() - t0
    print(f"50,000 件の問題のある取り込み: {took:.1f} 秒で表示")
    assert not at.exception, at.exception
    (box,) = [e for e in at.error if "エラー 50,000 件" in e.value]
    assert box.value.count("\n- ") == SHOWN
    assert any("全 50,000 件のうち最初の 200 件" in m.value and "数値として読めない値: " in m.value.replace("\\", "")
               for m in at.markdown)
    assert [b for b in at.get("download_button") if "全 50,000 件" in b.proto.label]
