"""The layering is a contract checked in every test run (import-linter, configured in pyproject.toml):
each package of kpi/ imports only the layers below it, and the domain never imports the UI."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
        "sys.exit(lint_imports_command())"]


def lint(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*LINT, "--no-cache", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_every_layering_contract_is_kept():
    r = lint(ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "BROKEN" not in r.stdout and r.stdout.count("KEPT") >= 2, r.stdout


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
