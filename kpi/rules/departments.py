"""Departments as sheets write them.

'市民協働課● 中央公民館': ● (or ◎) marks the main department.
'産業振興課\\n(学務課)': a department in parentheses is related (関連課).
'文化スポーツ課、防災危機管理課、…': several; the first leads when none is marked.
"""

from __future__ import annotations

import re
import unicodedata

from kpi.rules.model import Department

_MARKS = "●◎◉"
# A name with an optional main mark before or after it ('●市民協働課', '市民協働課●').
_TOKEN = re.compile(rf"([{_MARKS}]?)\s*([^{_MARKS}、,，;；/／\s]+)\s*([{_MARKS}]?)")


def parse_departments(text: object) -> tuple[Department, ...]:
    if text is None:
        return ()
    s = unicodedata.normalize("NFKC", str(text)).strip()
    s = s.replace("(主)", "●").replace("【主】", "●")
    if not s or s in ("-", "―", "ー"):
        return ()
    found: list[tuple[str, bool, bool]] = []  # (name, main, related)
    for m in re.finditer(r"\(([^()]*)\)|([^()]+)", s):
        related = m.group(1) is not None
        chunk = m.group(1) if related else m.group(2)
        for t in _TOKEN.finditer(chunk):
            name = t.group(2).strip()
            if name:
                found.append((name, bool(t.group(1) or t.group(3)), related))
    any_main = any(main for _n, main, _r in found)
    seen: set[str] = set()
    result: list[Department] = []
    for i, (name, main, related) in enumerate(found):
        if name in seen:
            continue
        seen.add(name)
        is_main = main if any_main else (i == 0 and not related)
        result.append(Department(name, is_main, "関連" if related else "担当"))
    return tuple(result)


def format_departments(depts: tuple[Department, ...] | list[Department]) -> str:
    """Names joined by '、', main first (the export's departments column)."""
    ordered = sorted(depts, key=lambda d: (not d.is_main, d.role != "担当"))
    return "、".join(d.name for d in ordered)
