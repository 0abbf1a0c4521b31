"""The domain (kpi/) never imports the UI: Streamlit, ui/ or pages/."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("streamlit", "ui", "pages", "app")


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_domain_does_not_import_the_ui():
    offenders = {str(p.relative_to(ROOT)): sorted(imports(p) & set(FORBIDDEN))
                 for p in (ROOT / "kpi").rglob("*.py") if imports(p) & set(FORBIDDEN)}
    assert offenders == {}


def test_the_rule_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import streamlit as st\nfrom ui import frame\n", encoding="utf-8")
    assert imports(bad) & set(FORBIDDEN) == {"streamlit", "ui"}


def test_pages_hold_no_sql():
    for p in list((ROOT / "pages").glob("*.py")) + [ROOT / "app.py"]:
        text = p.read_text(encoding="utf-8")
        assert "SELECT " not in text and "execute(" not in text, p
