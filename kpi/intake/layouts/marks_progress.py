"""推進計画の進捗状況 with marks: 推進項目 → 施策 → 実行計画, as Tomisato City publishes it (seed 003).

Read by content: the header row names 実行計画 and 進捗状況 (and, to its left,
the upper levels: 推進項目, 施策 — their header texts become the level names).
Upper levels are merged down over their rows; a blank, unmerged cell repeats
the level above it. Each row is one 実行計画 = one item.

Item numbers: '{推進項目}-{施策}-{実行計画}' from the markers each cell starts
with, e.g. '1 環境づくり' / '(1)活動拠点の整備' / '①市民活動ブースの設置' →
'1-(1)-①' (a cell without a marker gets its position: '2', '(3)', '4'); the
item's title is the 実行計画 text without its marker. A cell listing several
plans ('①… ②…') gives one item each, paired with the marked lines of the
進捗状況 cell when their counts match.

The mark at the start of 進捗状況 gives the status (kpi.rules.model.STATUS_MARKS:
✓ 完了, ◇ 完了の目途, ・ 継続中; a legend on the sheet such as '○ =完了' adds
or overrides marks); item_status.mark is the mark and note the cell text as
written. fiscal_year is the report year when the sheet states one (a year in
the 進捗状況 header or a '…年度末時点' in the title), else NULL. A period in
the title ('（H23～H32）') sets the plan's start and end.

今後の方向性, when filled, is kept in the same item_status row: appended to
the note after a line '【今後の方向性】', so the status, its evidence and the
next step stay together (the sheet states them as one row, often without a
year, and evaluations need a year).
"""

from __future__ import annotations

import json
import re
import unicodedata

from kpi.errors import FiscalYearError
from kpi.intake.cells import Reporter, layout_sheets, plan_name_from_title
from kpi.intake.keys import header_key, header_keys, item_number
from kpi.intake.workbook import Sheet, Workbook, tidy_text
from kpi.rules.fiscal import find_fiscal_years
from kpi.rules.model import STATUS_MARKS, STATUSES
from kpi.rules.numbers import NO_VALUE_MARKS
from kpi.store.journal import Batch

LAYOUT = "marks_progress"
LAYOUT_LABEL = "推進計画の進捗状況（✓ ◇ ・ の記号つき）"

NEXT_LABEL = "【今後の方向性】"
_PLAN_HEADERS = ("実行計画", "実施計画", "具体的な取組", "事業", "取組")
_STATUS_HEADERS = ("進捗状況", "進捗", "実施状況")
_NEXT_HEADERS = ("今後の方向性", "今後の方向", "今後の予定", "今後の取組")
_CIRCLED = "".join(chr(c) for c in range(0x2460, 0x2474)) + "".join(chr(c) for c in range(0x3251, 0x3260))
_RANGE_SEP_RE = re.compile(r"^\s*(?:~|〜|～|-|‐|–|―|ー|−|から)\s*$")
_LEGEND_RE = re.compile(r"(\S)\s*[=＝:：]\s*(" + "|".join(sorted(STATUSES, key=len, reverse=True)) + ")")


def _header(sheet: Sheet) -> tuple[int, dict[str, int]] | None:
    for r in range(1, min(sheet.max_row, 30) + 1):
        cols: dict[str, int] = {}
        for c in range(1, sheet.max_col + 1):
            key = header_key(sheet.raw(r, c))
            if not key:
                continue
            if "plan" not in cols and key in header_keys(_PLAN_HEADERS):
                cols["plan"] = c
            elif "status" not in cols and (key in header_keys(_STATUS_HEADERS) or key.startswith("進捗状況")):
                cols["status"] = c
            elif "next" not in cols and key in header_keys(_NEXT_HEADERS):
                cols["next"] = c
        if "plan" in cols and "status" in cols and cols["status"] > cols["plan"]:
            return r, cols
    return None


def detect(sheet: Sheet) -> float:
    found = _header(sheet)
    if found is None:
        return 0.0
    r, cols = found
    score = 0.6
    if header_key(sheet.raw(r, cols["plan"])) == "実行計画":
        score += 0.1
    if any(sheet.text(r, c) for c in range(1, cols["plan"])):
        score += 0.1  # upper levels (推進項目, 施策) to the left
    marks = sum(1 for rr in range(r + 1, min(sheet.max_row, r + 40) + 1)
                if sheet.text(rr, cols["status"])[:1] in STATUS_MARKS)
    if marks:
        score += 0.2
    return min(1.0, score)


def _marker(raw: str, level: int) -> tuple[str | None, str]:
    """('①', '市民活動ブースの設置') from '①市民活動ブースの設置'; (None, text) without a marker."""
    t = raw.strip()
    if t and t[0] in _CIRCLED:
        return t[0], t[1:].strip()
    n = unicodedata.normalize("NFKC", t)
    m = re.match(r"^\(\s*(\d+)\s*\)\s*", n)
    if m:
        return f"({m.group(1)})", n[m.end():].strip() if level == 2 else t
    m = re.match(r"^(\d+)(?:[\s.、]+|(?=\D))", n)
    if m and not re.match(r"^\d+年", n):
        return m.group(1), n[m.end():].strip()
    return None, t


def _split_plans(text: str) -> list[str]:
    """'①活動事例集の作成 ②協働PRリーフレットの作成' → two plans (one when no second marker)."""
    parts = [p.strip() for p in re.split(rf"(?=[{_CIRCLED}])", text) if p.strip()]
    return parts if len(parts) > 1 and all(p[0] in _CIRCLED for p in parts) else [text.strip()]


def _split_status(text: str, marks: dict[str, str]) -> list[str]:
    """Lines of a 進捗状況 cell that each start with a mark."""
    lines = [ln.strip() for ln in re.split(r"\n|(?<=\S)\s+(?=[" + re.escape("".join(marks)) + r"]\s)", text) if ln.strip()]
    return lines


def _period_and_report_year(texts: list[str]) -> tuple[tuple[int, int] | None, int | None]:
    period, report = None, None
    for text in texts:
        s = unicodedata.normalize("NFKC", text)
        try:
            found = find_fiscal_years(s)
        except FiscalYearError:
            continue
        used: set[int] = set()
        for a, b in zip(found, found[1:]):
            if _RANGE_SEP_RE.match(s[a.end:b.start]):
                period = period or (a.year, b.year)
                used.update((id(a), id(b)))
        for f in found:
            if id(f) not in used and re.match(r"\s*(度)?\s*(末|時点|現在|の進捗|実績|までの)", s[f.end:]):
                report = f.year
    return period, report


def parse(wb: Workbook, plan_name: str | None) -> Batch:
    batch = Batch(plan_name=plan_name or "", layout=LAYOUT, source=wb.file_name)
    level_names: list[str] = []
    sort = 0
    seen: dict[str, int] = {}
    seen_nodes: set[str] = set()
    for sheet in layout_sheets(wb, detect, batch):
        header_row, cols = _header(sheet)  # type: ignore[misc]
        rep = Reporter(wb.file_name, sheet.name, batch)
        above = [tidy_text(sheet.raw(r, c)) for r in range(1, header_row) for c in range(1, sheet.max_col + 1)
                 if sheet.raw(r, c) is not None]
        if not batch.plan_name:
            batch.plan_name = next((n for n in map(plan_name_from_title, above) if n), "")
        marks = dict(STATUS_MARKS)
        for t in above:
            for m in _LEGEND_RE.finditer(t):
                marks[m.group(1)] = m.group(2)
        period, report_fy = _period_and_report_year(above + [sheet.text(header_row, cols["status"])])
        if period:
            batch.plan["start_fy"], batch.plan["end_fy"] = period
        level_cols = [c for c in range(1, cols["plan"]) if sheet.text(header_row, c)]
        names = [sheet.text(header_row, c) for c in level_cols] + [sheet.text(header_row, cols["plan"])]
        if len(names) - 1 > len(level_names):
            level_names[:] = names[:-1]
        carried: dict[int, str] = {}
        positions: dict[tuple, list[str]] = {}
        for r in range(header_row + 1, sheet.max_row + 1):
            if header_key(sheet.raw(r, cols["plan"])) in header_keys(_PLAN_HEADERS):
                continue  # header repeated at a page break
            path, nos = [], []
            for depth, c in enumerate(level_cols, start=1):
                v = sheet.value(r, c)
                text = tidy_text(v) if v is not None else ""
                if text:
                    if carried.get(c) != text:
                        for lower in [k for k in carried if k > c]:
                            carried.pop(lower)
                    carried[c] = text
                text = carried.get(c, "")
                if not text:
                    continue
                marker, _rest = _marker(text, depth)
                if marker is None:  # numbered by its place under its parent
                    seen_here = positions.setdefault(tuple(nos), [])
                    if text not in seen_here:
                        seen_here.append(text)
                    n = seen_here.index(text) + 1
                    marker = f"({n})" if depth == 2 else str(n)
                path.append(text)
                nos.append(marker)
            plan_v = sheet.value(r, cols["plan"]) if sheet.is_merge_anchor_or_single(r, cols["plan"]) else None
            if plan_v is None or not str(plan_v).strip():
                continue
            status_v = sheet.raw(r, cols["status"])
            status_text = str(status_v).strip() if status_v is not None else ""
            if status_text in NO_VALUE_MARKS or status_text in ("―", "－"):
                status_text = ""
            next_v = sheet.raw(r, cols["next"]) if "next" in cols else None
            next_text = str(next_v).strip() if next_v is not None and str(next_v).strip() not in NO_VALUE_MARKS | {"―", "－", ""} else ""
            for depth in range(1, len(path) + 1):
                key = json.dumps(path[:depth], ensure_ascii=False)
                if key not in seen_nodes:
                    seen_nodes.add(key)
                    batch.add("nodes", path=key, depth=depth,
                              level_name=names[depth - 1] if depth - 1 < len(names) - 1 else None,
                              title=path[depth - 1], sort=r)
            plans = _split_plans(str(plan_v))
            statuses = _split_status(status_text, marks) if status_text else []
            paired = len(plans) > 1 and len(statuses) == len(plans)
            if len(plans) > 1 and status_text and not paired:
                rep.warning(r, cols["status"], f"実行計画が{len(plans)}件ありますが、進捗状況の記号つきの行は{len(statuses)}件です。"
                            "進捗状況はそれぞれの実行計画に同じ文を記録します", code="status_count")
            for i, plan_text in enumerate(plans):
                marker, title = _marker(plan_text, 3)
                if marker is None:
                    plans_here = positions.setdefault(("item",) + tuple(nos), [])
                    plans_here.append(plan_text)
                    marker = str(len(plans_here))
                item_no = item_number("-".join(nos + [marker]))
                if item_no in seen:
                    rep.error(r, cols["plan"], f"実行計画の番号 {item_no} が2回出てきます（{seen[item_no]}行目と{r}行目）",
                              "番号（①など）を確かめてください", code="duplicate")
                    continue
                seen[item_no] = r
                sort += 1
                batch.add("items", item_no=item_no, title=tidy_text(title or plan_text),
                          node_path=json.dumps(path, ensure_ascii=False), sort=sort, **rep.where(r, cols["plan"]))
                text = statuses[i] if paired else status_text
                if not text and not next_text:
                    continue
                mark = text[:1] if text[:1] in marks else None
                if text and mark is None:
                    rep.warning(r, cols["status"], f"{item_no} の進捗状況に記号（{' '.join(marks)}）がないため、状況を空欄にします",
                                code="no_mark")
                note = "\n".join(p for p in (text, f"{NEXT_LABEL}\n{next_text}" if next_text else "") if p)
                batch.add("item_status", item_no=item_no, fiscal_year=report_fy, status=marks.get(mark) if mark else None,
                          mark=mark, note=note or None, **rep.where(r, cols["status"]))
    if level_names:
        batch.plan["level_names"] = json.dumps(level_names, ensure_ascii=False)
    return batch
