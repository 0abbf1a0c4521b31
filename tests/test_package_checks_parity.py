"""Issue 17: sheet_extent reads a sheet with numpy (kpi/intake/package_checks.py:_canonical_scan) and must
decide exactly as the pattern reading it replaced. That reading is kept here, verbatim, as the reference:
the same Extent and error-cell flag for every sheet part, the same Package or the same refusal for every
workbook (the samples, the hostile, problem and layout books the tests build, the bench's big books), and
for made-up sheet XML, also cut into small scanning chunks so that every boundary case meets one."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES
from hostile_books import HOSTILE, book, build

from kpi.errors import BadWorkbook
from kpi.intake import package_checks as pc
from kpi.intake.package_checks import (
    _DIMENSION,
    _ERROR_CELL_TYPE,
    _FAST_REF_COLS,
    _FAST_REF_ROWS,
    _REF_RANGE,
    _WS,
    Extent,
    _any_extent,
    column_number,
)


# ------------------------------------------------------------------ the reference (before issue 17)

def old_sheet_extent(xml: bytes) -> Extent:
    flat = xml.translate(_WS)
    ext = old_canonical_extent(flat) or _any_extent(xml)
    at = flat.find(b"dimension")
    while at != -1:
        tag = _DIMENSION.match(flat, flat.rfind(b"<", 0, at)) if at > 0 else None
        r = _REF_RANGE.search(tag.group(1)) if tag else None
        if r:
            for letters, digits in ((r.group(1), r.group(2)), (r.group(3), r.group(4))):
                if letters:
                    ext.cols = max(ext.cols, column_number(letters))
                if digits:
                    ext.rows = max(ext.rows, int(digits))
        at = flat.find(b"dimension", at + 9)
    return ext


def old_canonical_extent(flat: bytes) -> Extent | None:
    cells = flat.count(b"<c ") + flat.count(b"<c>") + flat.count(b"<c/")
    if cells != flat.count(b'<c r="') or b":c " in flat or b":c>" in flat or b":c/" in flat:
        return None
    if any(s in flat for s in (b" =", b"= ", b"='", b" R=")):
        return None
    rows = _FAST_REF_ROWS.findall(flat)
    if len(rows) != flat.count(b' r="'):
        return None
    ext = Extent(cells=cells, canonical=True)
    if rows:
        ext.rows = max(map(int, set(rows)))
    cols = set(_FAST_REF_COLS.findall(flat))
    if cols:
        ext.cols = max(column_number(c) for c in cols)
    return ext


def old_extent_and_error_cells(xml: bytes) -> tuple[Extent, bool]:
    ext = old_sheet_extent(xml)
    return ext, bool((b' t="e"' in xml) if ext.canonical else _ERROR_CELL_TYPE.search(xml))


def outcome(data: bytes):
    try:
        pkg = pc.check_package(data, "比較.xlsx")
    except BadWorkbook as exc:
        return ("refused", str(exc), exc.hint)
    return ("read", pkg.parts, pkg.sheet_parts, pkg.readers, pkg.error_cell_parts)


def assert_same(data: bytes, monkeypatch) -> None:
    new = outcome(data)
    with monkeypatch.context() as m:
        m.setattr(pc, "_sheet_extent_and_error_cells", old_extent_and_error_cells)
        old = outcome(data)
    assert new == old
    try:
        parts = _parts(data)
    except pc.ZIP_ERRORS:
        return  # not a zip: refused before any sheet is read
    for xml in parts:
        assert pc._sheet_extent_and_error_cells(xml) == old_extent_and_error_cells(xml)


def _parts(data: bytes) -> list[bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        out = []
        for i in z.infolist():
            try:
                out.append(z.read(i))
            except pc.ZIP_ERRORS:
                pass  # a broken entry is the point of some books
        return [b for b in out if b"sheetData" in b]


# ------------------------------------------------------------------ workbooks

def _sample_paths() -> list[Path]:
    shared = ROOT.parent / "shared" / "samples"
    return sorted(SAMPLES.glob("*.xlsx")) + sorted(shared.glob("*.xlsx")) + sorted((shared / "real").glob("*.xlsx"))


@pytest.mark.parametrize("path", _sample_paths(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_samples(path, monkeypatch):
    assert_same(path.read_bytes(), monkeypatch)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_books(name, monkeypatch):
    assert_same(build(name), monkeypatch)


def test_layout_and_problem_books(tmp_path, monkeypatch):
    import layout_books as lb
    from problem_books import many_problems_book
    for data in (lb.two_row_header(), lb.two_row_header(insert_column=True), lb.wareki_header(),
                 lb.sheet_per_department(), lb.kinds_book()):
        assert_same(data, monkeypatch)
    assert_same(many_problems_book(tmp_path / "問題だらけ.xlsx", n=3_000).read_bytes(), monkeypatch)


BENCH = Path("/tmp/kpi-bench/books")


@pytest.mark.parametrize("name", ["canonical_1.xlsx", "canonical_100000.xlsx", "progress_1.xlsx", "progress_300.xlsx"])
def test_bench_books(name, monkeypatch):
    if not (BENCH / name).exists():
        pytest.skip("the bench's books are not generated here (bench/generate.py)")
    assert_same((BENCH / name).read_bytes(), monkeypatch)


# ------------------------------------------------------------------ made-up sheet XML

def _sheet(data: str, head: str = "", tail: str = "") -> bytes:
    return (f'<?xml version="1.0"?><worksheet xmlns="x">{head}<sheetData>{data}</sheetData>{tail}'
            "</worksheet>").encode()


EDGE = {
    "canonical": _sheet('<row r="1"><c r="A1" t="n"><v>1</v></c><c r="C1"/></row><row r="7"><c r="B7"><v>2</v></c></row>'),
    "no cells": _sheet(""),
    "rows only": _sheet('<row r="5"/><row r="12"></row>'),
    "cell without address": _sheet('<row r="1"><c r="A1"/><c t="n"><v>1</v></c></row>'),
    "bare c": _sheet('<row r="1"><c><v>1</v></c></row>'),
    "self-closing c": _sheet('<row r="1"><c/><c r="B1"/></row>'),
    "rows without r": _sheet('<row><c t="inlineStr"><is><t>a</t></is></c></row><row><c/></row>'),
    "inline strings": _sheet('<row r="2"><c r="D2" t="inlineStr"><is><t>文字 r="ZZZ99</t></is></c></row>'),
    "address in text": _sheet('<row r="1"><c r="A1" t="inlineStr"><is><t> r="XFE1</t></is></c></row>'),
    "huge address": _sheet('<row r="1048576"><c r="XFD1048576"/></row>'),
    "beyond excel": _sheet('<row r="1048577"><c r="XFE1048577"/></row>'),
    "12 letters": _sheet('<row r="1"><c r="ABCDEFGHIJKL1"/></row>'),
    "13 letters": _sheet('<row r="1"><c r="ABCDEFGHIJKLM1"/></row>'),
    "30 letters": _sheet('<row r="1"><c r="' + "Z" * 30 + '1"/></row>'),
    "18 digits": _sheet('<row r="1"><c r="A' + "9" * 18 + '"/></row>'),
    "19 digits": _sheet('<row r="1"><c r="A' + "9" * 19 + '"/></row>'),
    "40 digits": _sheet('<row r="1"><c r="A' + "1" * 40 + '"/></row>'),
    "leading zeros": _sheet('<row r="0000000000000000000000003"><c r="B00000000000000000000000000003"/></row>'),
    "zero row": _sheet('<row r="0"><c r="A0"/></row>'),
    "letters only": _sheet('<row r="1"><c r="AB"/></row>'),
    "lower case": _sheet('<row r="1"><c r="xfd1"/></row>'),
    "upper R": _sheet('<row R="1"><c R="B1"/></row>'),
    "single quotes": _sheet("<row r='1'><c r='C1'/></row>"),
    "spaces around =": _sheet('<row r = "1"><c r= "C1"/></row>'),
    "padded": _sheet('<row r="1"><c r=" C1"/></row>'),
    "tab before r": _sheet('<row\tr="3"><c\tr="E3"/></row>'),
    "newline before r": _sheet('<row\nr="3"><c\r\nr="E3"/></row>'),
    "tab after c": _sheet('<row r="3"><c\t r="E3"/></row>'),
    "namespace prefix": _sheet('<x:row r="1"><x:c r="F1"/></x:row>'),
    "namespace prefix c>": _sheet('<x:row r="1"><x:c>1</x:c></x:row>'),
    "prefixed attribute": _sheet('<row r="1"><c x:r="Q1" r="B1"/></row>'),
    "digits then junk": _sheet('<row r="1"><c r="B1x"/><c r="C2:D4"/></row>'),
    "error cell": _sheet('<row r="1"><c r="A1" t="e"><v>#DIV/0!</v></c></row>'),
    "error cell, tab": _sheet('<row r="1"><c r="A1"\tt="e"><v>#N/A</v></c></row>'),
    "error cell, general": _sheet("<row r='1'><c r='A1' t='e'><v>#N/A</v></c></row>"),
    "dimension": _sheet('<row r="1"><c r="A1"/></row>', head='<dimension ref="A1:K40"/>'),
    "dimension, prefixed": _sheet('<row r="1"><c r="A1"/></row>', head='<x:dimension\nref = "B2:Z9"/>'),
    "dimension, in text": _sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>dimension ref="A1:ZZ99"</t></is></c></row>'),
    "cols and cfRule": _sheet('<row r="1"><c r="A1"/></row>', head='<cols><col min="1" max="3"/></cols>'),
    "c at the end": b'<row r="1"><c r="A1"/></row><c',
    "r at the end": b'<row r="1"><c r="A1"/></row> r="',
    "address at the end": b'<row r="1"><c r="A1"/></row> r="B9',
    "= at the start": b'="1" <c r="A1"/>',
    "c at the start": b'<c r="A1"/>',
    "r at the start": b'r="A1"',
    "space r at the start": b' r="A1"',
    "only =": b"=" * 100,
    "empty": b"",
}


def _chunks(monkeypatch, size: int | None):
    if size:
        monkeypatch.setattr(pc, "_SCAN_CHUNK", size)


@pytest.mark.parametrize("chunk", [None, 1, 2, 3, 5, 8, 64])
@pytest.mark.parametrize("name", sorted(EDGE))
def test_made_up_sheets(name, chunk, monkeypatch):
    _chunks(monkeypatch, chunk)
    xml = EDGE[name]
    assert pc._sheet_extent_and_error_cells(xml) == old_extent_and_error_cells(xml)
    assert pc.sheet_extent(xml) == old_sheet_extent(xml)


@pytest.mark.parametrize("name", sorted(EDGE))
def test_made_up_sheets_in_a_book(name, monkeypatch):
    assert_same(book("", worksheet=EDGE[name].decode()), monkeypatch)


_TOKENS = ['<c', '<c ', '<c>', '<c/>', ' r="', 'r=', '="', '"', '=', ' ', '\t', '\n', ':c', ':', '>', '/', 'R', "'",
           '<row r="', '</row>', 'A', 'Z', 'XFD', '1', '0', '9', '1048576', 't="e"', ' t="e"', 'e', '<x:c ', 'dimension ref="',
           '<dimension ref="', 'B2:C3', '<']


_TYPES = ["", ' t="e"', ' t="n"']


@pytest.mark.parametrize("chunk", [None, 3, 7])
def test_random_sheets(chunk, monkeypatch):
    _chunks(monkeypatch, chunk)
    rnd = random.Random(17)
    for _ in range(3_000):
        xml = "".join(rnd.choice(_TOKENS) for _ in range(rnd.randint(0, 40))).encode()
        assert pc._sheet_extent_and_error_cells(xml) == old_extent_and_error_cells(xml), xml
    for _ in range(300):  # mostly canonical, now and then one odd byte
        cells = "".join(f'<c r="{pc.column_letter(rnd.randint(1, 20000))}{rnd.randint(0, 1_100_000)}"'
                        f'{rnd.choice(_TYPES)}/>' for _ in range(rnd.randint(1, 30)))
        xml = _sheet(f'<row r="{rnd.randint(1, 99)}">{cells}</row>')
        if rnd.random() < 0.5:
            at = rnd.randrange(len(xml))
            xml = xml[:at] + rnd.choice([b" ", b"=", b"'", b"<c ", b":c>", b"a", b"0", b"\t", b"R"]) + xml[at:]
        assert pc._sheet_extent_and_error_cells(xml) == old_extent_and_error_cells(xml), xml
