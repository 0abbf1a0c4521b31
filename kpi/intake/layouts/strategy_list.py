"""総合戦略 進捗状況一覧表: a list of 施策 under section rows, as Kodaira City publishes it (seed 001).

Read by content: the header row names 施策番号, 名称, 内容, 所管課 (関連課),
進捗状況 and the narrative column ('平成29年度までの実施等状況'); the same header
repeated at page breaks is skipped. A row with text only in its first cell is a
section: '基本目標1「…」' opens a goal, '① …' a 施策の方向 under it.

Item numbers are unique within the plan: '{goal}-{section}-{施策番号}', e.g.
'1-①-1' = 基本目標1, section ①, 施策番号 1 (a missing goal or section part
is left out: '①-1', '1'). 所管課 with related departments in parentheses
('産業振興課\\n(学務課)') goes through parse_departments. 進捗状況 (実施中 /
未着手 …) becomes item_status for the fiscal year the narrative column's
header names ('平成29年度までの…' → 2017); the narrative is split at its
【平成28年度】 markers into one text per fiscal year (text before the first
marker belongs to the first year; a narrative with no marker belongs to the
header's year).
"""

from __future__ import annotations

import json
import re
import unicodedata

from kpi.errors import FiscalYearError
from kpi.intake.cells import Reporter, layout_sheets, named_columns, plan_name_from_title, years_in
from kpi.intake.keys import header_key, header_keys, item_number
from kpi.intake.workbook import Sheet, Workbook, clean_text, tidy_text
from kpi.rules.departments import parse_departments
from kpi.rules.fiscal import dominant_era, parse_fiscal_year
from kpi.rules.numbers import NO_VALUE_MARKS
from kpi.store.journal import Batch

LAYOUT = "strategy_list"
LAYOUT_LABEL = "総合戦略 進捗状況一覧表（施策ごとの行・年度ごとの実施状況）"

HEADERS: dict[str, tuple[str, ...]] = {
    "no": ("施策番号", "番号", "No.", "No"),
    "title": ("名称", "施策名", "事業名", "施策・事業名"),
    "content": ("内容", "施策の内容", "事業内容", "概要"),
    "departments": ("所管課(関連課)", "所管課", "担当課", "担当課(関連課)", "所管部署"),
    "status": ("進捗状況", "進捗", "実施状況の区分"),
}
_NARRATIVE_RE = re.compile(r"実施(等)?状況|取組状況|実績")
_MARKER_RE = re.compile(r"[【\[［<＜〈]\s*([^】\]］>＞〉\n]{1,14}?年度?)\s*[】\]］>＞〉]")
_GOAL_RE = re.compile(r"^基本目標\s*([0-9０-９]+|[IVXⅠ-Ⅻ]+|[一二三四五六七八九十]+)?")
_CIRCLED = "".join(chr(c) for c in range(0x2460, 0x2474))  # ①…⑳
_NOTE_PREFIXES = ("※", "注", "(注", "（注", "＊", "*")


def _columns(sheet: Sheet, row: int) -> dict[str, int]:
    cols, rest = named_columns(sheet, row, HEADERS)
    for c, key in rest:
        if "narrative" not in cols and _NARRATIVE_RE.search(key) and "進捗状況" != key:
            cols["narrative"] = c
    return cols


def _header_row(sheet: Sheet) -> tuple[int, dict[str, int]] | None:
    for r in range(1, min(sheet.max_row, 30) + 1):
        cols = _columns(sheet, r)
        if {"no", "title", "status"} <= set(cols) and ("content" in cols or "narrative" in cols):
            return r, cols
    return None


def detect(sheet: Sheet) -> float:
    found = _header_row(sheet)
    if found is None:
        return 0.0
    _r, cols = found
    return min(1.0, 0.65 + 0.1 * sum(k in cols for k in ("content", "departments", "narrative")))


def _is_header_again(sheet: Sheet, r: int, cols: dict[str, int]) -> bool:
    return header_key(sheet.raw(r, cols["no"])) in header_keys(HEADERS["no"]) and \
        header_key(sheet.raw(r, cols["title"])) in header_keys(HEADERS["title"])


def _section_text(sheet: Sheet, r: int) -> str | None:
    """The text of a section row: one text in the row (often merged across), no item number."""
    texts = {sheet.raw(r, c) for c in range(1, sheet.max_col + 1)
             if sheet.is_merge_anchor_or_single(r, c) and sheet.raw(r, c) is not None}
    if len(texts) != 1:
        return None
    (v,) = texts
    if isinstance(v, (int, float)):
        return None
    t = tidy_text(v)
    return t or None


def _goal_number(text: str, seen: int) -> str:
    m = _GOAL_RE.match(unicodedata.normalize("NFKC", text))
    if m and m.group(1):
        return m.group(1)
    return str(seen)


def _section_marker(text: str, seen: int) -> str:
    t = text.strip()
    if t and t[0] in _CIRCLED:
        return t[0]
    m = re.match(r"^[\(（]\s*([0-9０-９]+)\s*[\)）]", t)
    if m:
        return f"({unicodedata.normalize('NFKC', m.group(1))})"
    m = re.match(r"^([0-9０-９]+)[\s.．、]", t)
    if m:
        return unicodedata.normalize("NFKC", m.group(1))
    return str(seen)


def split_narrative(text: str, default_fy: int | None, era: str | None = None) -> list[tuple[int | None, str]]:
    """'【平成28年度】…【平成29年度】…' → [(2016, '…'), (2017, '…')] (texts as written, trimmed)."""
    marks = []
    for m in _MARKER_RE.finditer(text):
        try:
            fy = parse_fiscal_year(m.group(1), era)
        except FiscalYearError:
            continue
        marks.append((m.start(), m.end(), fy))
    if not marks:
        body = text.strip()
        return [(default_fy, body)] if body else []
    out: dict[int | None, list[str]] = {}
    lead = text[: marks[0][0]].strip()
    for i, (_s, e, fy) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else len(text)
        body = text[e:end].strip()
        if i == 0 and lead:
            body = f"{lead}\n{body}".strip()
        if body:
            out.setdefault(fy, []).append(body)
    return [(fy, "\n".join(parts)) for fy, parts in out.items()]


def parse(wb: Workbook, plan_name: str | None) -> Batch:
    batch = Batch(plan_name=plan_name or "", layout=LAYOUT, source=wb.file_name)
    sort = 0
    seen_nodes: set[str] = set()
    seen_items: dict[str, str] = {}
    for sheet in layout_sheets(wb, detect, batch):
        header_row, cols = _header_row(sheet)  # type: ignore[misc]
        rep = Reporter(wb.file_name, sheet.name, batch)
        if not batch.plan_name:
            for r in range(1, header_row):
                name = _section_text(sheet, r)
                name = plan_name_from_title(name) if name else None
                if name:
                    batch.plan_name = name
                    break
        head = sheet.text(header_row, cols["narrative"]) if "narrative" in cols else ""
        era = dominant_era([head]) or "平成"
        head_years = years_in(head, era) if head else []
        report_fy = head_years[-1] if head_years else None
        goal, goal_no, section, section_no = None, None, None, None
        goals_seen = sections_seen = in_section = 0
        for r in range(header_row + 1, sheet.max_row + 1):
            if _is_header_again(sheet, r, cols):
                continue
            raw_no = sheet.raw(r, cols["no"])
            title_v = sheet.raw(r, cols["title"])
            if title_v is None:
                text = _section_text(sheet, r)
                if text is None or re.fullmatch(r"[0-9.]+", item_number(text)) or text.startswith(_NOTE_PREFIXES):
                    if raw_no is not None and not str(raw_no).startswith(_NOTE_PREFIXES):
                        rep.error(r, cols["title"], f"施策番号「{clean_text(raw_no)}」の名称が空欄です",
                                  "名称の欄に施策の名前を入力してください", code="missing_title")
                    continue
                if _GOAL_RE.match(unicodedata.normalize("NFKC", text)):
                    goals_seen += 1
                    goal, goal_no = text, _goal_number(text, goals_seen)
                    section, section_no, sections_seen, in_section = None, None, 0, 0
                    _node(batch, seen_nodes, [goal], "基本目標", r)
                else:
                    sections_seen += 1
                    section, section_no, in_section = text, _section_marker(text, sections_seen), 0
                    _node(batch, seen_nodes, [p for p in (goal, section) if p], "施策の方向", r)
                continue
            in_section += 1
            no = item_number(raw_no) if raw_no is not None else ""
            if not no:  # numbered by its place in the section, and said so
                no = str(in_section)
                item_no = "-".join(p for p in (goal_no, section_no, no) if p)
                rep.warning(r, cols["no"], f"「{tidy_text(title_v)}」に施策番号がないため、番号を「{item_no}」とします",
                            code="missing_no")
            item_no = item_number("-".join(p for p in (goal_no, section_no, no) if p))
            if item_no in seen_items:
                rep.error(r, cols["no"], f"施策番号 {item_no} が2回出てきます（「{seen_items[item_no]}」と「{tidy_text(title_v)}」）",
                          "施策番号を確かめてください", code="duplicate")
                continue
            seen_items[item_no] = tidy_text(title_v)
            sort += 1
            path = [p for p in (goal, section) if p]
            batch.add("items", item_no=item_no, title=tidy_text(title_v), node_path=json.dumps(path, ensure_ascii=False),
                      content=_text(sheet, r, cols.get("content")), sort=sort, **rep.where(r, cols["no"]))
            depts = _text(sheet, r, cols.get("departments"))
            for i, d in enumerate(parse_departments(depts)):
                batch.add("item_departments", item_no=item_no, department=d.name, is_main=d.is_main, role=d.role,
                          sort=i)
            status = _text(sheet, r, cols["status"])
            if status:
                batch.add("item_status", item_no=item_no, fiscal_year=report_fy, status=tidy_text(status), mark=None,
                          note=None, **rep.where(r, cols["status"]))
            narrative = _text(sheet, r, cols.get("narrative"))
            if narrative:
                for fy, text in split_narrative(narrative, report_fy, era):
                    if fy is None:
                        rep.warning(r, cols["narrative"], f"施策 {item_no} の実施状況の年度が分かりません",
                                    "【令和3年度】のように年度を書いてください", code="bad_year")
                        continue
                    batch.add("narratives", item_no=item_no, fiscal_year=fy, text=text, **rep.where(r, cols["narrative"]))
    return batch


def _node(batch: Batch, seen: set[str], path: list[str], level_name: str, sort: int) -> None:
    key = json.dumps(path, ensure_ascii=False)
    if key in seen:
        return
    seen.add(key)
    levels = json.loads(batch.plan.get("level_names") or "[]")
    if len(path) > len(levels):
        batch.plan["level_names"] = json.dumps(["基本目標", "施策の方向"][-len(path):] if level_name != "基本目標"
                                               else ["基本目標"], ensure_ascii=False)
    batch.add("nodes", path=key, depth=len(path), level_name=level_name, title=path[-1], sort=sort)


def _text(sheet: Sheet, r: int, c: int | None) -> str | None:
    if c is None:
        return None
    v = sheet.value(r, c)
    if v is None:
        return None
    t = str(v).strip()
    if not t or t in NO_VALUE_MARKS or t in ("―", "－"):
        return None
    return t
