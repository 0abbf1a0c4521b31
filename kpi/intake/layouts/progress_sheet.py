"""進捗管理シート: one item per sheet (or several stacked), as Niigata City publishes them (seed 004).

Read by content, not by fixed addresses: labels such as 取組項目(中項目), No.,
担当課 are searched for; the value table is found from its 計画/実績 header row
with fiscal years in the (merged) cells above; evaluation sections (進捗管理,
年度評価, 中間評価, 計画期間の評価) are found from their labels, each year block
from its merged header. The text of a block comes first, the grade last.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache

from kpi.intake.cells import Reporter, find_label, guess_unit, label_rows, read_number, right_value, years_in
from kpi.intake.keys import item_number
from kpi.intake.workbook import Sheet, Workbook, clean_text, tidy_text
from kpi.rules.departments import parse_departments
from kpi.rules.direction import infer_direction, is_cumulative_name
from kpi.rules.fiscal import dominant_era
from kpi.store.journal import Batch

LAYOUT = "progress_sheet"
LAYOUT_LABEL = "進捗管理シート（取組ごとのシート）"

_SECTION_WORDS = (("中間評価", "中間"), ("計画期間", "計画期間"), ("年度評価", "年度"), ("進捗管理", "上半期"))


@lru_cache(maxsize=1 << 14)  # 300 item sheets ask it of the same few hundred texts, 60,000 times
def _is_no_label(t: str) -> bool:
    return t.replace(" ", "") in ("No.", "No", "NO.", "番号", "No.:", "項目番号") or bool(_NO_IN_CELL_RE.fullmatch(t))


# 'No.28' in one cell instead of a label and a value cell.
_NO_IN_CELL_RE = re.compile(r"(?:No|NO)\s*[.:：]\s*(\d+(?:[-‐－]\d+)*)")
_INDEX_SHEET_NAMES = ("目次", "索引", "一覧", "index", "INDEX", "Index", "表紙")


def is_index_sheet(sheet: Sheet) -> bool:
    """A table of contents (目次) or list of items: ignored, never read as item sheets.

    Its No. label heads a column of item numbers, where an item sheet has other labels
    (担当課…) or nothing below its No.
    """
    if sheet.name.strip() in _INDEX_SHEET_NAMES or any(w in sheet.name for w in ("目次", "索引")):
        return True
    for r, c, v in sheet.iter_nonempty():
        if not _is_no_label(clean_text(v)) or _NO_IN_CELL_RE.fullmatch(clean_text(v)):
            continue
        below = [sheet.raw(r + k, c) for k in range(1, 4)]
        numbers = [b for b in below if b is not None and re.fullmatch(r"\d+(\.0)?", clean_text(b))]
        headers = [t for t in sheet.row_texts(r) if t]
        if len(numbers) >= 2 and len(headers) >= 3:
            return True
    return False


DETECT_ROWS = 200


def detect(sheet: Sheet) -> float:
    """How sure we are that this sheet is a 進捗管理シート (0–1)."""
    # The labels sit in the sheet's first rows (25 in the published sheet); a sheet of another
    # layout may have 100,000 data rows that say nothing about it.
    texts = {clean_text(v) for r, _c, v in sheet.iter_nonempty(max_row=DETECT_ROWS)
             if isinstance(v, str) and len(v) < 40}
    score = 0.0
    if any(_is_no_label(t) for t in texts):
        score += 0.2
    if any("担当課" in t or "所管課" in t for t in texts):
        score += 0.2
    if "指標" in texts:
        score += 0.2
    if "計画" in texts and "実績" in texts:
        score += 0.2
    if any("年度評価" in t or "進捗管理" in t or "中間評価" in t for t in texts):
        score += 0.2
    return score


@dataclass
class _Segment:
    start: int
    end: int  # inclusive
    no_row: int
    no_col: int


def _segments(sheet: Sheet) -> list[_Segment]:
    anchors = sorted({(r, c) for r, c, v in sheet.iter_nonempty() if _is_no_label(clean_text(v))})
    segs: list[_Segment] = []
    for i, (r, c) in enumerate(anchors):
        start = r
        # A title row (重点改革項目…) may sit a few rows above the No. row.
        for up in range(r - 1, max(r - 4, 0), -1):
            texts = [t for t in sheet.row_texts(up) if t]
            if not texts:
                continue
            if len(set(texts)) == 1 and not any(_is_no_label(t) for t in texts):
                start = up
            break
        segs.append(_Segment(start, 0, r, c))
    for i, seg in enumerate(segs):
        seg.end = (segs[i + 1].start - 1) if i + 1 < len(segs) else sheet.max_row
    return segs


def _level_name(title: str) -> str:
    m = re.match(r"^(重点改革項目|重点項目|基本方針|方針|基本目標|施策の柱|改革の柱|推進項目)", title)
    return m.group(1) if m else "第1階層"


@dataclass
class _Table:
    header_row: int
    name_col: int
    base_col: int | None
    base_fy: int | None
    final_col: int | None
    final_fy: int | None
    final_kind: str  # '最終目標' / '中間目標' / ''
    year_cols: dict[int, tuple[int, str]] = field(default_factory=dict)  # col → (fy, 'target'|'actual')


def _find_table(sheet: Sheet, seg: _Segment, rep: Reporter) -> _Table | None:
    for r in range(seg.start, seg.end + 1):
        texts = {c: sheet.text(r, c) for c in range(1, sheet.max_col + 1)}
        plan_cols = [c for c, t in texts.items() if t in ("計画", "目標値", "計画値") and sheet.is_merge_anchor_or_single(r, c)]
        actual_cols = [c for c, t in texts.items() if t in ("実績", "実績値") and sheet.is_merge_anchor_or_single(r, c)]
        if not plan_cols or not actual_cols:
            continue
        above = r - 1
        header_texts = [sheet.text(above, c) for c in range(1, sheet.max_col + 1)]
        era = dominant_era(header_texts)
        table = _Table(r, 2, None, None, None, None, "")
        for c in sorted(plan_cols + actual_cols):
            head = sheet.text(above, c)
            left = c
            # An unmerged year header covers the columns to its right up to the next header.
            while not head and left > 1 and (left - 1) in plan_cols + actual_cols:
                left -= 1
                head = sheet.text(above, left)
            ys = years_in(head, era)
            if not ys:
                rep.error(above, c, f"「{texts[c]}」の列の上に年度が書かれていません（「{head}」）",
                          "見出しに 平成27年度 や R3 のように年度を書いてください", code="bad_year")
                continue
            table.year_cols[c] = (ys[0], "target" if c in plan_cols else "actual")
        for c in range(1, sheet.max_col + 1):
            if c in table.year_cols or not sheet.is_merge_anchor_or_single(above, c):
                continue
            head = sheet.text(above, c)
            if not head:
                continue
            if "現状" in head or "基準" in head:
                table.base_col = c
                ys = years_in(head, era)
                table.base_fy = ys[0] if ys else None
            elif "目標" in head or "以降" in head:
                table.final_col = c
                ys = years_in(head, era)
                table.final_fy = ys[0] if ys else None
                table.final_kind = "最終目標" if "最終" in head else "中間目標" if "中間" in head else "目標"
        first_value_col = min([table.base_col or 99] + list(table.year_cols))
        table.name_col = max(first_value_col - 1, 2)
        return table
    return None


def _block_cells(sheet: Sheet, row: int, c0: int, c1: int) -> list[tuple[int, str]]:
    out = []
    for c in range(c0, c1 + 1):
        if not sheet.is_merge_anchor_or_single(row, c):
            continue
        v = sheet.raw(row, c)
        if v is not None and str(v).strip():
            out.append((c, str(v).strip()))
    return out


def _text_and_grade(cells: list[tuple[int, str]], c0: int | None = None, c1: int | None = None
                    ) -> tuple[str | None, str | None]:
    if not cells:
        return None, None
    if len(cells) == 1:
        t = cells[0][1]
        # Alone in the block's first (text) column of a wider block: a comment whose grade is not given yet.
        if c0 is not None and c1 is not None and c1 > c0 and cells[0][0] == c0 and len(t) > 3:
            return t, None
        # A block holding only a short mark is a grade with no comment.
        if len(t) <= 12 and "\n" not in t and not t.startswith("・"):
            return None, t
        return t, None
    last = cells[-1][1]
    text = "\n".join(t for _c, t in cells[:-1])
    if len(last) <= 15 and "\n" not in last:
        return text, last
    return "\n".join(t for _c, t in cells), None


def parse(wb: Workbook, plan_name: str, *, include_hidden: bool = False) -> Batch:
    batch = Batch(plan_name=plan_name, layout=LAYOUT, source=wb.file_name)
    level_names: list[str] = []
    years_seen: set[int] = set()
    final_seen: dict[tuple[str, str], str] = {}  # (item, indicator) → kind of final target already taken
    sheets = [s for s in wb.sheets if detect(s) >= 0.6 and not is_index_sheet(s)]
    # by identity: a sheet equal to another has the same content and name, so the same answer, and
    # comparing 300 sheets field by field with each other was a tenth of the reading
    chosen = {id(s) for s in sheets}
    for sheet in wb.sheets:
        if id(sheet) in chosen and not sheet.visible and not include_hidden:
            rep = Reporter(wb.file_name, sheet.name, batch)
            rep.warning(None, None, "非表示のシートは読み込みませんでした", "取り込む場合はシートを再表示して保存してください",
                        code="hidden_sheet")
    sheets = [s for s in sheets if s.visible or include_hidden]

    # Sheets are read in the order of the years they cover, so a later period's final target wins.
    def last_year(s: Sheet) -> int:
        ys = [y for _r, _c, v in s.iter_nonempty() if isinstance(v, str) and len(v) < 30 for y in years_in(v)]
        return max(ys) if ys else 0

    item_sort = 0
    for sheet in sorted(sheets, key=last_year):
        rep = Reporter(wb.file_name, sheet.name, batch)
        for seg in _segments(sheet):
            item_sort += 1
            _parse_segment(sheet, seg, rep, batch, level_names, years_seen, final_seen, item_sort)
    if years_seen:
        batch.plan["start_fy"] = min(years_seen)
        batch.plan["end_fy"] = max(years_seen)
    if level_names:
        batch.plan["level_names"] = json.dumps(level_names, ensure_ascii=False)
    return batch


def _parse_segment(sheet: Sheet, seg: _Segment, rep: Reporter, batch: Batch, level_names: list[str],
                   years_seen: set[int], final_seen: dict, item_sort: int) -> None:
    rows = range(seg.start, seg.end + 1)
    in_cell = _NO_IN_CELL_RE.fullmatch(sheet.text(seg.no_row, seg.no_col))
    no = (in_cell.group(1), seg.no_col) if in_cell else right_value(sheet, seg.no_row, seg.no_col)
    if no is None:
        rep.error(seg.no_row, seg.no_col, "取組の No. が空欄です", "No. の右のセルに番号を入力してください", code="missing_no")
        return
    item_no = item_number(no[0])

    path: list[str] = []
    names: list[str] = []
    title_cell = None
    for r in range(seg.start, seg.no_row):
        texts = [t for t in sheet.row_texts(r) if t]
        if len(set(texts)) == 1 and not any(_is_no_label(t) for t in texts):
            title_cell = tidy_text(next(sheet.raw(r, c) for c in range(1, sheet.max_col + 1) if sheet.raw(r, c) is not None))
            break
    if title_cell:
        path.append(title_cell)
        names.append(_level_name(title_cell))

    def labelled(pred) -> tuple[str | None, tuple[int, int] | None, tuple[int, int] | None]:
        pos = find_label(sheet, pred, rows=rows)
        if pos is None:
            return None, None, None
        parts = []
        where = None
        for r in label_rows(sheet, *pos):
            rv = right_value(sheet, r, pos[1])
            if rv is not None:
                parts.append(str(rv[0]).strip())
                where = where or (r, rv[1])
        return ("\n".join(parts) if parts else None), pos, where

    mid, mid_pos, _ = labelled(lambda t: "中項目" in t)
    small, _, _ = labelled(lambda t: "小項目" in t)
    title, _, _ = labelled(lambda t: "細項目" in t or "実施項目名" in t or t in ("取組名", "項目名", "事業名"))
    if mid:
        path.append(tidy_text(mid))
        names.append(re.sub(r"\(.*?\)", "", sheet.text(*mid_pos)).strip() + "（中項目）" if mid_pos else "中項目")
    if small:
        path.append(tidy_text(small))
        names.append("具体的な取組項目（小項目）")
    if not title:
        rep.error(seg.no_row, seg.no_col, f"No.{item_no} の取組名（改革実施項目名称）が見つかりません", code="missing_title")
        return
    if len(names) > len(level_names):
        level_names[:] = names
    depts_text, dept_pos, _ = labelled(lambda t: t in ("担当課", "所管課", "担当部署", "担当課名"))
    issues, _, _ = labelled(lambda t: "現状と課題" in t)
    purpose, _, _ = labelled(lambda t: "目標・目的" in t or t.startswith("事業の目的") or t == "目的")
    content, _, _ = labelled(lambda t: t.startswith("取組の内容") or t.startswith("取組内容"))

    for depth in range(1, len(path) + 1):
        batch.add("nodes", path=json.dumps(path[:depth], ensure_ascii=False), depth=depth,
                  level_name=names[depth - 1] if depth - 1 < len(names) else None, title=path[depth - 1], sort=item_sort)
    table = _find_table(sheet, seg, rep)
    batch.add("items", item_no=item_no, title=tidy_text(title), node_path=json.dumps(path, ensure_ascii=False),
              current_issues=issues, purpose=purpose, content=content, sort=item_sort, **rep.where(seg.no_row, seg.no_col))
    for i, d in enumerate(parse_departments(depts_text)):
        batch.add("item_departments", item_no=item_no, department=d.name, is_main=d.is_main, role=d.role, sort=i)
    if table is None:
        rep.warning(seg.no_row, seg.no_col, f"No.{item_no} に計画・実績の表が見つかりませんでした", code="no_table")
    else:
        _parse_table(sheet, seg, rep, batch, table, item_no, years_seen, final_seen)
    _parse_evaluations(sheet, seg, rep, batch, item_no, table)


def _parse_table(sheet: Sheet, seg: _Segment, rep: Reporter, batch: Batch, table: _Table, item_no: str,
                 years_seen: set[int], final_seen: dict) -> None:
    years_seen.update(fy for fy, _k in table.year_cols.values())
    label_col = 1
    ind_sort = 0
    for r in range(table.header_row + 1, seg.end + 1):
        label = sheet.text(r, label_col)
        if any(w in label for w, _s in _SECTION_WORDS):
            break
        name = sheet.text(r, table.name_col)
        if label.startswith("取組工程"):
            _parse_schedule_row(sheet, r, rep, batch, table, item_no)
            continue
        if label != "指標" and not (label == "" and name and ind_sort):
            continue
        if not name:
            has_values = any(sheet.raw(r, c) is not None for c in table.year_cols)
            if has_values:
                rep.error(r, table.name_col, "指標名が空欄なのに数値が入っています", code="missing_indicator")
            continue
        ind_sort += 1
        unit = guess_unit(name)
        base = None
        if table.base_col:
            base = read_number(rep, sheet, r, table.base_col, f"指標「{name}」の基準値（現状）", unit)
        final_num, final_text = None, None
        if table.final_col and sheet.raw(r, table.final_col) is not None:
            fp = read_number(rep, sheet, r, table.final_col, "", unit, allow_text=True)
            if fp.is_number:
                final_num = fp.value
            elif fp.kind == "text":
                final_text = str(sheet.raw(r, table.final_col)).strip()
        targets = []
        for c, (fy, kind) in sorted(table.year_cols.items()):
            p = read_number(rep, sheet, r, c, f"指標「{name}」の{fy}年度の{'計画' if kind == 'target' else '実績'}", unit)
            if p.is_number:
                if p.percent and not unit:
                    unit = "%"
                batch.add("indicator_values", item_no=item_no, indicator=name, fiscal_year=fy, kind=kind,
                          value=p.value, is_estimate=p.estimate, raw_text=p.raw, **rep.where(r, c))
                if kind == "target":
                    targets.append((fy, p.value))
        decision = infer_direction(baseline=base.value if base and base.is_number else None, final_target=final_num,
                                   yearly_targets=targets, name=name, target_text=final_text or "")
        if decision.source == "default":
            rep.warning(r, table.name_col, f"No.{item_no}「{name}」: 良い方向を数値からも指標名からも判断できないため、"
                        "「高いほど良い」として達成率を計算します",
                        "違うときは、この画面の「指標の良い方向」で直してください", code="direction_unknown")
        row = dict(item_no=item_no, indicator=name, unit=unit or None, direction=decision.direction,
                   direction_source=decision.source, _direction_reason=decision.reason,
                   cumulative=is_cumulative_name(name), sort=ind_sort,
                   **rep.where(r, table.name_col))
        if base is not None and base.is_number:
            row.update(baseline=base.value, baseline_fy=table.base_fy, baseline_estimated=base.estimate)
        # A mid-term target column does not replace a final target read from a later sheet.
        key = (item_no, name)
        if (final_num is not None or final_text) and not (final_seen.get(key) == "最終目標" and table.final_kind != "最終目標"):
            row.update(final_target=final_num, final_target_fy=table.final_fy if final_num is not None else None,
                       final_target_text=final_text)
            final_seen[key] = table.final_kind
        batch.add("indicators", **row)


def _parse_schedule_row(sheet: Sheet, r: int, rep: Reporter, batch: Batch, table: _Table, item_no: str) -> None:
    slots: list[tuple[int, str]] = []  # (col, role)
    if table.base_col:
        slots.append((table.base_col, "base"))
    slots += [(c, kind) for c, (_fy, kind) in sorted(table.year_cols.items())]
    if table.final_col:
        slots.append((table.final_col, "final"))
    cols = [c for c, _ in slots]
    # Published sheets sometimes start this row one column early (under the name column).
    shift = 0
    if sheet.raw(r, table.name_col) is not None and cols and sheet.raw(r, cols[-1]) is None:
        shift = -1
    by_year: dict[int, list[str]] = {}
    for c, role in slots:
        v = sheet.raw(r, c + shift)
        if v is None or not str(v).strip():
            continue
        text = str(v).strip()
        if role == "base":
            if table.base_fy:
                by_year.setdefault(table.base_fy, []).append(f"【現状】\n{text}")
        elif role == "final":
            batch.add("items", item_no=item_no, qualitative_target=text)
        else:
            fy, kind = table.year_cols[c]
            by_year.setdefault(fy, []).append(f"【{'計画' if kind == 'target' else '実績'}】\n{text}")
    for fy, parts in by_year.items():
        batch.add("narratives", item_no=item_no, fiscal_year=fy, text="\n".join(parts), **rep.where(r, table.name_col))


def _parse_evaluations(sheet: Sheet, seg: _Segment, rep: Reporter, batch: Batch, item_no: str,
                       table: _Table | None) -> None:
    start = (table.header_row + 1) if table else seg.no_row + 1
    last_year = max((fy for fy, _k in table.year_cols.values()), default=None) if table else None
    headers: list[tuple[int, str, list[tuple[int, int, str]]]] = []  # (row, stage, blocks (c0, c1, text))
    era = None
    for r in range(start, seg.end + 1):
        label = sheet.text(r, 1)
        stage = next((s for w, s in _SECTION_WORDS if w in label), None)
        if stage is None:
            continue
        kind_text = sheet.text(r, 2)
        if any(w in kind_text for w in ("評価", "課題", "上半期", "方針")):
            continue  # a content row of the section, not its header
        blocks = []
        for c in range(3, sheet.max_col + 1):
            if not sheet.is_merge_anchor_or_single(r, c):
                continue
            t = sheet.text(r, c)
            if not t or len(t) > 30:
                continue
            if years_in(t) or years_in(t, era or "平成") or t.startswith("中間評価") or "計画期間" in t:
                m = sheet.merge_of(r, c)
                blocks.append((c, m[3] if m else c, t))
        if not blocks:
            continue
        era = era or dominant_era([b[2] for b in blocks])
        # Blocks without a merge reach to the next block.
        fixed = []
        for i, (c0, c1, t) in enumerate(blocks):
            if c1 == c0 and i + 1 < len(blocks):
                c1 = blocks[i + 1][0] - 1
            elif c1 == c0:
                c1 = sheet.max_col
            fixed.append((c0, c1, t))
        headers.append((r, stage, fixed))
    for i, (hr, stage, blocks) in enumerate(headers):
        end = headers[i + 1][0] - 1 if i + 1 < len(headers) else seg.end
        label_text = sheet.text(hr, 1)
        for r in range(hr + 1, end + 1):
            kind_text = sheet.text(r, 2)
            if "課題" in kind_text or "方針" in kind_text and "評価" not in kind_text:
                kind = "issues"
            elif "上半期" in kind_text or stage == "上半期":
                kind = "half"
            elif "評価" in kind_text:
                kind = "eval"
            else:
                continue
            eval_fy = None
            for c0, c1, head in blocks:
                cells = _block_cells(sheet, r, c0, c1)
                if not cells:
                    continue
                where = rep.where(r, cells[0][0])
                if stage in ("上半期", "年度"):
                    ys = years_in(head, era)
                    if not ys:
                        continue
                    fy = ys[0]
                    text, grade = _text_and_grade(cells, c0, c1)
                    if kind == "issues":
                        batch.add("evaluations", item_no=item_no, fiscal_year=fy, stage=stage,
                                  issues_text="\n".join(t for _c, t in cells), **where)
                    else:
                        batch.add("evaluations", item_no=item_no, fiscal_year=fy,
                                  stage="上半期" if kind == "half" or stage == "上半期" else "年度",
                                  grade=grade, status_text=text, **where)
                else:
                    if "以降" in head:
                        if eval_fy is not None and kind == "eval":
                            batch.add("evaluations", item_no=item_no, fiscal_year=eval_fy, stage=stage,
                                      next_text="\n".join(t for _c, t in cells), **where)
                        continue
                    ys = years_in(head, era) or years_in(label_text, era)
                    eval_fy = ys[0] if ys and stage == "中間" else (last_year or (ys[0] if ys else None))
                    if eval_fy is None:
                        rep.error(hr, c0, f"{stage}評価の年度が分かりません", code="bad_year")
                        continue
                    if kind == "issues":
                        batch.add("evaluations", item_no=item_no, fiscal_year=eval_fy, stage=stage,
                                  issues_text="\n".join(t for _c, t in cells), **where)
                    else:
                        text, grade = _text_and_grade(cells, c0, c1)
                        batch.add("evaluations", item_no=item_no, fiscal_year=eval_fy, stage=stage,
                                  grade=grade, status_text=text, **where)
