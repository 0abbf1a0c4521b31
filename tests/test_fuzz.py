"""Fuzzing the importers: random cells and workbooks through kpi.intake.pipeline.prepare (every registered
layout), expecting a clean import or a clean error — a Problem or a KpiError, never another exception.

Three sources of bad input: template-like workbooks with random sheets, headers and cells; the
sample workbook of every layout with random cells overwritten; and bytes that are not a
workbook at all (random, truncated, damaged zips). Whatever prepare() accepts is committed and
exported, so a value that parses but breaks the rules or the export is found too.

The run prints how many bad inputs were tried. Budget: KPI_FUZZ_EXAMPLES (default 80 per
source, derandomised so CI is repeatable); KPI_FUZZ_RANDOM=1 explores new examples.
"""

from __future__ import annotations

import io
import os
import random
import zipfile
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import SAMPLES, TODAY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from kpi.access.permissions import LOCAL_ADMIN, Actor
from kpi.errors import KpiError, Problem
from kpi.intake.layouts import LAYOUTS
from kpi.intake.layouts.canonical import COLUMNS, PLAN_KEYS, SHEET_PLAN
from kpi.intake.pipeline import commit, prepare
from kpi.outputs import export
from kpi.store.store import Store

EXAMPLES = int(os.environ.get("KPI_FUZZ_EXAMPLES", "80"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                derandomize=os.environ.get("KPI_FUZZ_RANDOM") != "1",
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])
ADMIN = Actor("ファズ", "admin")
TALLY: Counter = Counter()

# Values city-hall sheets really hold, and their near misses.
TOKENS = [
    "平成27年度", "H27", "H32", "平成31年度", "令和元年度", "R3", "令和2年度", "2021年度", "２０２１", "2021", "昭和64年度",
    "平成0年度", "R99", "9999年度", "年度", "1,090", "930(見込み)", "930（見込）", "５１８", "―", "－", "-", "△5", "▲3",
    "1e308", "-1e308", "NaN", "inf", "0", "0.0", "100%", "55箇所?", "約10", "10～20", "A", "B", "C", "S", "D", "a", "◎",
    "○", "△", "×", "順調", "おおむね順調", "努力を要する", "進捗に遅れあり", "上半期", "年度", "中間", "計画期間", "最終",
    "高い", "低い", "高いほど良い", "累計", "単年度", "✓", "◇", "・", "完了", "継続中", "未着手", "No.1", "1", "１", "1-①",
    "28", "No.28", "市民協働課", "市民協働課●、(財政課)", "中央公民館", "=SUM(A1:A3)", "=cmd|' /C calc'!A0", "@SUM(1)",
    "'); DROP TABLE items; --", "<script>alert(1)</script>", "[x](javascript:alert(1))", "", " ", "\u3000", "\n",
    "\u202eexe.xlsx", "🚀", "𠮷野家", "ｱｲｳ", "a" * 300, "計画値", "実績", "目標", "計画", "指標名", "取組名", "No.",
]
SHEET_NAMES = [SHEET_PLAN, *COLUMNS, "記入方法", "Sheet1", "進捗", "データ"]
HEADERS = sorted({alias for spec in COLUMNS.values() for aliases in spec.values() for alias in aliases}
                 | {alias for aliases in PLAN_KEYS.values() for alias in aliases} | {"体系1", "体系2", "体系3", "項目", "内容"})


def _clean(v):
    return ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v


cells = st.one_of(
    st.none(),
    st.sampled_from(TOKENS),
    st.text(max_size=40).map(_clean),
    st.integers(min_value=-10**15, max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.booleans(),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 12, 31)),
)


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory, request):
    """A database that already holds a plan of every sample layout, so updates are fuzzed too."""
    s = Store.open(tmp_path_factory.mktemp("fuzz") / "kpi.duckdb")
    from kpi.intake.demo import load_demo
    load_demo(s)
    yield s
    s.close()
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    total = sum(v for k, v in TALLY.items() if k.startswith("tried"))
    line = (f"ファズテスト: 不正・乱雑な入力を {total} 件試しました（様式どおりの乱数ブック {TALLY['tried canonical']}、"
            f"見本の改変 {TALLY['tried sample']}、ブックでないファイル {TALLY['tried bytes']}）: "
            f"取り込み {TALLY['imported']} 件、エラーとして報告 {TALLY['refused']} 件、想定外の例外 0 件")
    capman = request.config.pluginmanager.getplugin("capturemanager")
    if reporter is not None and capman is not None:
        with capman.global_and_fixture_disabled():
            reporter.write_line("\n" + line)
    else:
        print(line)


def check(store: Store, data: bytes, name: str, source: str) -> None:
    """The property: prepare never raises; problems are well-formed; what is accepted commits and exports."""
    TALLY[f"tried {source}"] += 1
    prep = prepare(store, data, name, today=TODAY)
    for p in prep.problems:
        assert isinstance(p, Problem) and p.level in ("error", "warning")
        assert isinstance(p.message, str) and p.message.strip()
        assert p.cell is None or isinstance(p.cell, str)
        str(p)  # printable for the CLI
    if not prep.ok:
        assert prep.errors or prep.batch is None
        TALLY["refused"] += 1
        return
    try:
        commit(store, [prep], ADMIN)
    except KpiError as exc:  # refused with a message for people (e.g. a conflict between files)
        assert exc.message.strip()
        TALLY["refused"] += 1
        return
    TALLY["imported"] += 1
    export.build(store, "values", plan=prep.batch.plan_name, today=TODAY, actor=LOCAL_ADMIN)
    export.build(store, "evaluations", plan=prep.batch.plan_name, today=TODAY, actor=LOCAL_ADMIN)


# ------------------------------------------------- template-like workbooks
@st.composite
def canonical_like(draw) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    names = draw(st.lists(st.sampled_from(SHEET_NAMES), min_size=1, max_size=6, unique=True))
    for name in names:
        ws = wb.create_sheet(name)
        if name == SHEET_PLAN:
            keys = draw(st.lists(st.sampled_from(sorted(HEADERS)), max_size=8))
            for k in keys:
                ws.append([k, _clean(draw(cells))])
            continue
        spec = COLUMNS.get(name, {})
        headers = [aliases[0] for aliases in spec.values()]
        headers = draw(st.permutations(headers)) if headers else []
        headers = headers[: draw(st.integers(0, len(headers)))] + draw(st.lists(st.sampled_from(HEADERS), max_size=3))
        if draw(st.booleans()):
            ws.append([_clean(draw(cells)) for _ in range(draw(st.integers(0, 4)))])  # a title row above
        ws.append(headers)
        for _ in range(draw(st.integers(0, 6))):
            ws.append([_clean(draw(cells)) for _ in range(len(headers) + draw(st.integers(0, 2)))])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@FUZZ
@given(data=canonical_like())
def test_random_template_workbooks_import_or_fail_cleanly(fuzz_store, data):
    check(fuzz_store, data, "乱数テンプレート.xlsx", "canonical")


# ----------------------------------------------- every layout's sample, damaged
SAMPLE_FILES = sorted(SAMPLES.glob("*.xlsx"))


def test_every_registered_layout_has_a_sample_to_damage():
    from kpi.intake.layouts import detect_layout, read_workbook
    covered = {detect_layout(read_workbook(p)).key for p in SAMPLE_FILES}
    template = "canonical"  # fuzzed by the generator above
    assert {lay.key for lay in LAYOUTS} <= covered | {template}


@st.composite
def damaged_sample(draw) -> tuple[str, bytes]:
    path = draw(st.sampled_from(SAMPLE_FILES))
    wb = load_workbook(io.BytesIO(path.read_bytes()))
    sheets = wb.worksheets
    for _ in range(draw(st.integers(1, 12))):
        ws = draw(st.sampled_from(sheets))
        filled = [(c.row, c.column) for row in ws.iter_rows() for c in row if c.value is not None]
        if filled and draw(st.booleans()):
            r, c = draw(st.sampled_from(filled))  # change a cell that means something
        else:
            r, c = draw(st.integers(1, max(ws.max_row, 1) + 3)), draw(st.integers(1, max(ws.max_column, 1) + 3))
        cell = ws.cell(r, c)
        if type(cell).__name__ == "MergedCell":
            continue
        cell.value = _clean(draw(cells))
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"  # typed as text, as a person would
    if draw(st.integers(0, 9)) == 0 and len(sheets) > 0:
        sheets[0].delete_rows(draw(st.integers(1, 20)), draw(st.integers(1, 5)))
    buf = io.BytesIO()
    wb.save(buf)
    return path.name, buf.getvalue()


@FUZZ
@given(sample=damaged_sample())
def test_damaged_samples_of_every_layout_import_or_fail_cleanly(fuzz_store, sample):
    name, data = sample
    check(fuzz_store, data, name, "sample")


# ------------------------------------------------------ not a workbook at all
def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, b in members.items():
            z.writestr(n, b)
    return buf.getvalue()


@st.composite
def not_a_workbook(draw) -> bytes:
    good = SAMPLE_FILES[0].read_bytes()
    kind = draw(st.sampled_from(["random", "truncated", "flipped", "zip", "xml"]))
    if kind == "random":
        return draw(st.binary(max_size=2000))
    if kind == "truncated":
        return good[: draw(st.integers(0, len(good) - 1))]
    if kind == "flipped":
        b = bytearray(good)
        rnd = random.Random(draw(st.integers(0, 2**32)))
        for _ in range(draw(st.integers(1, 50))):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        return bytes(b)
    if kind == "zip":
        names = draw(st.lists(st.sampled_from(["xl/workbook.xml", "xl/worksheets/sheet1.xml", "[Content_Types].xml",
                                               "xl/_rels/workbook.xml.rels", "word/document.xml", "a.txt"]),
                              max_size=5, unique=True))
        return _zip({n: draw(st.binary(max_size=200)) for n in names})
    # a real workbook whose sheet XML is replaced by random text
    with zipfile.ZipFile(io.BytesIO(good)) as z:
        members = {n: z.read(n) for n in z.namelist()}
    target = draw(st.sampled_from([n for n in members if n.endswith(".xml")]))
    members[target] = draw(st.text(max_size=300)).encode("utf-8")
    return _zip(members)


@FUZZ
@given(data=not_a_workbook())
def test_files_that_are_not_workbooks_fail_cleanly(fuzz_store, data):
    check(fuzz_store, data, "壊れた.xlsx", "bytes")
    prep = prepare(fuzz_store, data, "壊れた.xlsx", today=TODAY)
    if prep.batch is None:
        assert [p.code for p in prep.errors] == ["bad_file"]


def test_fuzzing_really_ran(fuzz_store):
    # The counters above are what the summary line prints; make sure each source was exercised.
    if EXAMPLES >= 20:
        for source in ("canonical", "sample", "bytes"):
            assert TALLY[f"tried {source}"] >= min(EXAMPLES, 20), dict(TALLY)
        assert TALLY["imported"] > 0 and TALLY["refused"] > 0, dict(TALLY)
    assert Path(fuzz_store.path).exists()
