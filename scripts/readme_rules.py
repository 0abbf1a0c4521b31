"""Write the README's lagging rules (評価のルール) from kpi/rules/lagging.py's LAG_RULES.

The rules a user reads must be the rules that are checked: the section between the two markers
is generated, never edited by hand. `python scripts/readme_rules.py` rewrites it;
`--check` only says whether it is current (tests/test_lagging_rules_text.py runs the check).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kpi.rules.lagging import rules_markdown  # noqa: E402

README = ROOT / "README.md"
START = "<!-- 遅れの理由: kpi/rules/lagging.py の LAG_RULES から scripts/readme_rules.py が書きます（手で直さない） -->"
END = "<!-- /遅れの理由 -->"


def section() -> str:
    return f"{START}\n{rules_markdown()}\n{END}"


def current(text: str) -> str | None:
    """The generated section as it stands in the README text (None without both markers)."""
    start, end = text.find(START), text.find(END)
    return None if start < 0 or end < start else text[start:end + len(END)]


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    found = current(text)
    if found is None:
        print(f"README.md に目印がありません: {START} … {END}", file=sys.stderr)
        return 2
    if found == section():
        return 0
    if "--check" in argv:
        print("README.md の遅れの理由が kpi/rules/lagging.py と違います。"
              "python scripts/readme_rules.py で書き直してください。", file=sys.stderr)
        return 1
    README.write_text(text.replace(found, section()), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
