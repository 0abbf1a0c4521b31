"""Hostile input: file names, SQL in cells, formulas, markup — stored and shown as typed, never run.

(The browser side — that the pages show such text literally and run no script — is in
tests/browser/test_hostile.py.)
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from conftest import NIIGATA, ROOT, TODAY
from helpers import canonical_workbook, sql

from kpi.access.permissions import LOCAL_ADMIN
from kpi.intake.pipeline import commit, prepare
from kpi.outputs import export
from kpi.sanitize import download_name, safe_file_name

# ------------------------------------------------------------ the workbook
SCRIPT = "<script>window.__pwned = 1</script>"
IMG = '<img src=x onerror="window.__pwned = 2">'
LINK = "[ここをクリック](https://evil.example.jp/login)"
JS_LINK = "[詳細](javascript:window.__pwned=3)"
FORMULA = "=cmd|' /C calc'!A0"
SQL_QUOTE = "x'); DROP TABLE items; --"
SQL_OR = "' OR '1'='1"
HOSTILE_PLAN = "攻撃テスト<b>計画</b>'; DROP TABLE plans; --"
TITLES = {1: f"取組{SCRIPT}", 2: f"広報{IMG}", 3: f"案内{LINK}{JS_LINK}", 4: FORMULA, 5: SQL_QUOTE}
HOSTILE_TEXTS = (SCRIPT, IMG, LINK, JS_LINK, FORMULA, SQL_QUOTE, SQL_OR)


def hostile_workbook(path: Path) -> Path:
    items = [{"体系1": f"方針{SCRIPT}", "体系2": f"施策{LINK}", "No.": n, "取組名": t,
              "担当課": "市民協働課" if n != 2 else "財政課<script>",
              "取組の内容": f"内容 {IMG} {SQL_OR}"} for n, t in TITLES.items()]
    indicators = [{"No.": n, "指標名": f"指標{n}{'<b>太字</b>' if n == 1 else ''}{SQL_OR if n == 5 else ''}",
                   "単位": "件", "基準値": 1, "基準年度": "2019年度", "最終目標値": 10, "最終目標年度": "2022年度"}
                  for n in TITLES]
    values = [{"No.": n, "指標名": ind["指標名"], "年度": f"{fy}年度", "計画": 5, "実績": 3 if n == 1 else 6}
              for n, ind in zip(TITLES, indicators) for fy in (2020, 2021, 2022)]
    evals = [{"No.": n, "年度": "2022年度", "段階": "年度", "評価": "C" if n == 1 else "A",
              "取組の状況": f"状況 {SCRIPT} {IMG} {LINK} {FORMULA}",
              "課題・今後の方針": f"{JS_LINK} {SQL_QUOTE}"} for n in TITLES]
    plan = {"計画名": HOSTILE_PLAN, "自治体": f"攻撃市{IMG}", "開始年度": "2020年度", "終了年度": "2022年度",
            "説明": f"説明 {SCRIPT} {LINK}"}
    canonical_workbook(path, plan=plan, items=items, indicators=indicators, values=values, evaluations=evals)
    # openpyxl writes any text starting with '=' as a formula; a person types it into a text cell.
    from openpyxl import load_workbook
    wb = load_workbook(path)
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.startswith("="):
                    c.data_type = "s"
    wb.save(path)
    return path


@pytest.fixture
def hostile_store(store, tmp_path):
    prep = prepare(store, hostile_workbook(tmp_path / "hostile.xlsx"), today=TODAY)
    assert not prep.errors, prep.errors
    commit(store, [prep], "テスト")
    return store


def test_sql_in_cells_is_stored_as_text_and_harms_nothing(hostile_store):
    s = hostile_store
    tables = {r[0] for r in sql(s, "SELECT table_name FROM information_schema.tables")}
    assert {"items", "plans", "uploads", "indicator_values"} <= tables  # nothing dropped
    assert [p.name for p in s.plans()] == [HOSTILE_PLAN]
    titles = dict(sql(s, "SELECT item_no, title FROM items"))
    assert titles == {str(n): t for n, t in TITLES.items()}
    assert sql(s, "SELECT count(*) FROM items WHERE title = ?", [SQL_OR]) == [(0,)]  # ' OR '1'='1 matched nothing
    content = sql(s, "SELECT content FROM items WHERE item_no = '1'")[0][0]
    assert content == f"内容 {IMG} {SQL_OR}"
    depts = {r[0] for r in sql(s, "SELECT department FROM item_departments")}
    assert "財政課<script>" in depts


def test_export_keeps_text_but_defuses_formulas(hostile_store):
    csv_text = export.to_csv(export.build(hostile_store, "values", today=TODAY, actor=LOCAL_ADMIN)).decode("utf-8-sig")
    assert SCRIPT in csv_text and SQL_QUOTE in csv_text
    assert "'" + FORMULA in csv_text  # Excel shows it as text instead of running it
    assert "\n" + FORMULA not in csv_text and "," + FORMULA not in csv_text
    from io import BytesIO

    from openpyxl import load_workbook
    xlsx = export.to_xlsx([export.build(hostile_store, "values", today=TODAY, actor=LOCAL_ADMIN)])
    ws = load_workbook(BytesIO(xlsx)).active
    cells = [c for row in ws.iter_rows() for c in row if c.value and "cmd" in str(c.value)]
    assert cells and all(c.data_type == "s" for c in cells)


# -------------------------------------------------------------- file names
@pytest.mark.parametrize("given, stored", [
    ("進捗管理シート.xlsx", "進捗管理シート.xlsx"),
    ("../../etc/passwd", "passwd"),
    ("..\\..\\Windows\\System32\\評価.xlsx", "評価.xlsx"),
    ("C:\\Users\\tanaka\\Desktop\\No.28 進捗.xlsx", "No.28 進捗.xlsx"),
    ("report\u202exslx.exe", "reportxslx.exe"),  # right-to-left override: would read 'reportexe.xlsx'
    ("a<b>c:d\"e|f?g*.xlsx", "a_b_c_d_e_f_g_.xlsx"),
    ("line\nbreak\tand\x00nul.xlsx", "linebreakandnul.xlsx"),
    ("CON.xlsx", "_CON.xlsx"),
    ("nul", "_nul"),
    ("...", "upload.xlsx"),
    ("", "upload.xlsx"),
    (".hidden.xlsx", "hidden.xlsx"),
    ("trailing. . .", "trailing"),
    ("ｆｕｌｌ　ｗｉｄｔｈ.xlsx", "ｆｕｌｌ ｗｉｄｔｈ.xlsx"),
    ("<script>alert(1)</script>.xlsx", "script_.xlsx"),  # the '/' in '</script>' ends a path component
    ("長" * 300 + ".xlsx", "長" * 115 + ".xlsx"),
])
def test_file_names_are_sanitised(given, stored):
    assert safe_file_name(given) == stored
    assert len(safe_file_name(given)) <= 120


def test_download_names():
    assert download_name("新潟市行政改革プラン2015", "年度値", ext="csv") == "新潟市行政改革プラン2015_年度値.csv"
    assert download_name("計画/../..", "<会議>", ext=".xlsx") == "計画_.._.._会議_.xlsx" or \
        "/" not in download_name("計画/../..", "<会議>", ext=".xlsx")
    assert download_name(HOSTILE_PLAN, ext="c;s\nv") == safe_file_name(HOSTILE_PLAN + ".csv")


def test_uploaded_file_name_is_stored_sanitised(store):
    name = "..\\..\\secret\\進捗\u202e.xlsx"
    prep = prepare(store, NIIGATA.read_bytes(), name, plan_name="新潟市行政改革プラン2015", today=TODAY)
    assert prep.file_name == "進捗.xlsx"
    commit(store, [prep], "テスト")
    assert store.uploads()[0].file_name == "進捗.xlsx"


# ------------------------------------------------------- SQL is parameterised
SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|WHERE|VALUES|ATTACH|COPY|CREATE|ALTER|DROP)\b")
# Text just before an interpolation that puts it where a value goes (not a table or column name).
VALUE_POSITION = re.compile(r"('|=|<|>|\bLIKE|\bIN\s*\(|\bVALUES\s*\(|\bLIMIT|\bOFFSET|\bIS)\s*$", re.I)
# Interpolations reviewed by hand: the only values DuckDB cannot take as parameters (ATTACH paths, SET).
REVIEWED = {"_sql_literal"}


def _placeholders(tree: ast.AST) -> set[str]:
    """Names only ever assigned a list of '?' marks, e.g. marks = ", ".join("?" for _ in ids)."""
    seen: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    seen.setdefault(t.id, []).append(ast.unparse(node.value))
    return {name for name, values in seen.items()
            if all(re.fullmatch(r"""(['"]), ?\1\.join\(\(?(['"])\?\2 for \w+ in [^()]+\)?\)""", v) for v in values)}


def _sql_problems(source: str, where: str) -> list[str]:
    out = []
    tree = ast.parse(source)
    marks = _placeholders(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
            if not SQL_WORDS.search(text):
                continue
            before = ""
            for v in node.values:
                if isinstance(v, ast.Constant):
                    before += str(v.value)
                    continue
                expr = v.value
                reviewed = (isinstance(expr, ast.Call) and getattr(expr.func, "id", getattr(expr.func, "attr", ""))
                            in REVIEWED) or (isinstance(expr, ast.Name) and expr.id in marks)
                if VALUE_POSITION.search(before) and not reviewed:
                    out.append(f"{where}:{node.lineno}: {ast.unparse(expr)} is put into SQL as a value")
                before += "{}"
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("execute", "query", "query_df",
                                                                             "executemany", "sql"):
            if node.args and isinstance(node.args[0], ast.BinOp) and isinstance(node.args[0].op, (ast.Mod, ast.Add)):
                out.append(f"{where}:{node.lineno}: SQL built with % or + ({ast.unparse(node.args[0])[:60]})")
            if node.args and isinstance(node.args[0], ast.Call) and getattr(node.args[0].func, "attr", "") == "format":
                out.append(f"{where}:{node.lineno}: SQL built with .format()")
    return out


def test_every_sql_statement_takes_values_as_parameters():
    problems = []
    for p in sorted((ROOT / "kpi").rglob("*.py")):
        problems += _sql_problems(p.read_text(encoding="utf-8"), str(p.relative_to(ROOT)))
    for p in sorted((ROOT / "pages").glob("*.py")) + [ROOT / "app.py"] + sorted((ROOT / "ui").glob("*.py")):
        problems += _sql_problems(p.read_text(encoding="utf-8"), str(p.relative_to(ROOT)))
    assert problems == []


@pytest.mark.parametrize("snippet", [
    "cur.execute(f\"SELECT * FROM items WHERE title = '{title}'\")",
    "cur.execute(f'SELECT * FROM uploads WHERE upload_id = {uid}')",
    "cur.execute(f'DELETE FROM items WHERE item_no IN ({nos})')",
    "store.query('SELECT * FROM items WHERE title = ' + title)",
    "cur.execute('SELECT * FROM items WHERE title = %s' % title)",
    "cur.execute('SELECT * FROM items WHERE title = {}'.format(title))",
    "sql = f\"UPDATE users SET role = '{role}' WHERE name = ?\"",
    "marks = ', '.join(ids)\ncur.execute(f'SELECT * FROM t WHERE id IN ({marks})')",
])
def test_the_sql_check_catches_values_in_sql(snippet):
    assert _sql_problems(snippet, "x.py")


@pytest.mark.parametrize("snippet", [
    "cur.execute(f'SELECT {cols} FROM {table} WHERE plan_id = ?', [pid])",
    "cur.execute(f\"ATTACH '{_sql_literal(path)}' AS bk\")",
    "cur.execute(f'UPDATE {table} AS t SET {sets} FROM u WHERE t.{k} IS NOT DISTINCT FROM u.{k}')",
    "marks = ', '.join('?' for _ in ids)\ncur.execute(f'SELECT * FROM t WHERE id IN ({marks})', ids)",
])
def test_the_sql_check_allows_identifiers_and_reviewed_literals(snippet):
    assert _sql_problems(snippet, "x.py") == []


# ------------------------------------------------------- no HTML from pages
def _raw_html_calls(source: str, where: str) -> list[str]:
    """st.html / components.html / unsafe_allow_html=True with anything but a fixed string."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = ast.unparse(node.func)
        unsafe = any(k.arg == "unsafe_allow_html" and not (isinstance(k.value, ast.Constant) and not k.value.value)
                     for k in node.keywords)
        raw = name in ("st.html", "html") or name.endswith(("components.html", "components.v1.html", ".iframe"))
        if (raw or unsafe) and not (node.args and isinstance(node.args[0], ast.Constant)
                                    and isinstance(node.args[0].value, str)):
            out.append(f"{where}:{node.lineno}: {ast.unparse(node)[:80]}")
    return out


def test_pages_never_render_user_text_as_html():
    offenders = []
    for p in sorted((ROOT / "pages").glob("*.py")) + sorted((ROOT / "ui").glob("*.py")) + [ROOT / "app.py"]:
        offenders += _raw_html_calls(p.read_text(encoding="utf-8"), str(p.relative_to(ROOT)))
    assert offenders == []


@pytest.mark.parametrize("snippet, bad", [
    ("st.html(f'<b>{title}</b>')", True),
    ("st.markdown(text, unsafe_allow_html=True)", True),
    ("st.markdown(f'<div>{x}</div>', unsafe_allow_html=True)", True),
    ("components.html(page)", True),
    ("st.html('<style>.x { display: none }</style>')", False),  # fixed CSS, no user text
    ("st.markdown(frame.md(text))", False),
    ("st.markdown(x, unsafe_allow_html=False)", False),
])
def test_the_html_check_can_fail(snippet, bad):
    assert bool(_raw_html_calls(snippet, "x.py")) is bad


def test_md_escapes_markdown_and_html():
    from ui.frame import md
    for text in HOSTILE_TEXTS + ("**太字**", "# 見出し", "1. 番号", "- 箇条", "`code`", "$x$", "~~消~~"):
        out = md(text)
        # every markup character is escaped, so nothing of it is interpreted
        assert not re.search(r"(?<!\\)[*_`\[\]<>#$~|]", out), (text, out)
