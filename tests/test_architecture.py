"""The layering is a contract checked in every test run (import-linter, configured in pyproject.toml):
each package of kpi/ imports only the layers below it, and the domain never imports the UI. Beside it,
the database's one door: no module outside kpi/store runs SQL (a scan of the source, below)."""

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
        "sys.exit(lint_imports_command())"]


def lint(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*LINT, "--no-cache", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_every_layering_contract_is_kept():
    r = lint(ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "BROKEN" not in r.stdout and r.stdout.count("KEPT") >= 2, r.stdout


def test_no_unused_or_undefined_names():
    """pyflakes' checks (ruff --select F): an unused import or an undefined name is a slip, not style."""
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "--select", "F", "--no-cache", "--output-format",
                        "concise", "kpi", "ui", "pages", "tests", "bench", "app.py", "serve.py"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_contracts_can_fail(tmp_path):
    """The same contracts on a copy of the tree where a rule imports the store and the domain imports ui."""
    import shutil
    shutil.copytree(ROOT / "kpi", tmp_path / "kpi", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "ui", tmp_path / "ui", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with open(tmp_path / "kpi" / "rules" / "fiscal.py", "a", encoding="utf-8") as f:
        f.write("\nfrom kpi.store import store as _store  # noqa\nfrom ui import frame as _frame  # noqa\n")
    r = lint(tmp_path)
    assert r.returncode != 0
    assert "kpi.rules is not allowed to import kpi.store" in r.stdout, r.stdout
    assert "kpi.rules.fiscal -> ui.frame" in r.stdout, r.stdout


def test_pages_hold_no_sql():
    for p in list((ROOT / "pages").glob("*.py")) + [ROOT / "app.py"]:
        text = p.read_text(encoding="utf-8")
        assert "SELECT " not in text and "execute(" not in text, p


# ------------------------------------------------------------- the database has one door
# Only kpi/store runs SQL. Everywhere else (the other packages of kpi/, ui/, pages/, app.py, bench/)
# a statement, a cursor or the driver is a finding: those modules call the store's named reads and writes.

# TEMPORARY, removed by the lead when t15-intake is merged: issue 15 item 3 (branch t15-intake) moves
# the reads of these three files into kpi/store/intake_reads.py. Until then they still call the
# closing door Store.query; nothing else may. test_the_allow_list_is_still_needed fails once a file
# here is clean, so the entry (and, with the last one, Store.query itself) goes at the merge.

SQL_TEXT = re.compile(r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
                      r"|\b(CREATE|DROP|ALTER)\s+(TABLE|VIEW|INDEX|SCHEMA)\b|\bATTACH\s+'|\bDETACH\s+\w"
                      r"|\bCOPY\s+FROM\s+DATABASE\b|\bBEGIN\s+TRANSACTION\b|\bCOUNT\(\*\)|\bCHECKPOINT\b")
# The store's own machinery and the DB-API: a module that calls these holds SQL, whatever it names it.
DB_CALLS = {"execute", "executemany", "fetchone", "fetchall", "fetchdf", "query", "query_df", "sql", "cursor",
            "transaction", "_read", "_next_id", "_insert_rows", "_update_rows", "_existing", "_diff"}
DRIVERS = {"duckdb", "sqlite3", "psycopg", "psycopg2", "sqlalchemy"}


def sql_outside_store(source: str, where: str) -> list[str]:
    """What in one module's source talks to the database directly (docstrings are documentation, not SQL)."""
    tree = ast.parse(source)
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                  and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            if SQL_TEXT.search(node.value):
                out.append(f"{where}:{node.lineno}: SQL text {node.value[:50]!r}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in DB_CALLS:
            out.append(f"{where}:{node.lineno}: .{node.func.attr}(…)")
        elif isinstance(node, ast.Import):
            out += [f"{where}:{node.lineno}: import {a.name}" for a in node.names if a.name.split(".")[0] in DRIVERS]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in DRIVERS:
            out.append(f"{where}:{node.lineno}: from {node.module} import …")
    return out


def _outside_store(root: Path) -> list[Path]:
    files = [p for p in (root / "kpi").rglob("*.py") if (root / "kpi" / "store") not in p.parents]
    for folder in ("ui", "pages", "bench"):
        files += (root / folder).rglob("*.py")
    return sorted(files + [root / "app.py"])


def _findings(root: Path = ROOT) -> dict[str, list[str]]:
    found = {}
    for p in _outside_store(root):
        rel = p.relative_to(root).as_posix()
        text = p.read_text(encoding="utf-8")
        if rel == "bench/benchmark.py":  # reports the driver's version next to the results: no SQL
            text = text.replace("    import duckdb\n", "    pass\n", 1)
        problems = sql_outside_store(text, rel)
        if problems:
            found[rel] = problems
    return found


def test_only_the_store_runs_sql():
    found = _findings()
    assert found == {}, "SQL outside kpi/store (call a named read or write of kpi/store instead):\n" + "\n".join(
        line for lines in found.values() for line in lines)


def test_the_raw_sql_door_is_closed():
    from kpi.store.store import Store
    assert not hasattr(Store, "query")
    assert not hasattr(Store, "query_df")


@pytest.mark.parametrize("planted", [
    "store.query('SELECT 1')",
    "rows = s.query_df(q)",
    "cur.execute(stmt, [1])",
    "with store.transaction() as cur:\n    pass",
    "with store._read() as cur:\n    pass",
    "n = store._next_id(cur, 'upload')",
    "import duckdb",
    "from duckdb import connect",
    "import sqlite3",
    "Q = 'SELECT value FROM counters WHERE name = ?'",
    "Q = f\"DELETE FROM {table}\"",
    "Q = ('INSERT INTO users (name) '\n     'VALUES (?)')",
    "Q = \"UPDATE users SET role = ? WHERE name = ?\"",
    "Q = f\"ATTACH '{path}' AS bk\"",
    "def f():\n    '''Reads the plans.'''\n    return db.fetchall()",
])
def test_the_sql_boundary_check_finds_planted_sql(planted):
    assert sql_outside_store(planted, "planted.py")


@pytest.mark.parametrize("clean", [
    "rows = store.schedules(plan_id)",
    "def f():\n    '''Used to run SELECT … FROM schedules here; now store.schedules().'''\n    return 1",
    "label = '選択してください（SELECT の意味ではありません）'",
    "msg = 'データベースの処理に失敗しました'",
    "v = store.data_version()",
])
def test_the_sql_boundary_check_lets_named_calls_through(clean):
    assert sql_outside_store(clean, "clean.py") == []


def test_the_sql_boundary_check_fails_on_the_tree_with_a_planted_module(tmp_path):
    """The whole scan on a copy of the tree, not just the function: a module under kpi/views that reads a table
    itself is found; the same module under kpi/store is not."""
    for folder in ("kpi", "ui", "pages", "bench"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "app.py", tmp_path / "app.py")
    assert _findings(tmp_path) == _findings()
    probe = ("def marks(store, pid):\n"
             "    with store._read() as cur:\n"
             "        return cur.execute('SELECT mark FROM item_status WHERE plan_id = ?', [pid]).fetchall()\n")
    (tmp_path / "kpi" / "store" / "probe.py").write_text(probe, encoding="utf-8")
    assert "kpi/store/probe.py" not in _findings(tmp_path)
    (tmp_path / "kpi" / "views" / "probe.py").write_text(probe, encoding="utf-8")
    found = _findings(tmp_path)
    assert len(found.get("kpi/views/probe.py", [])) == 4, found
