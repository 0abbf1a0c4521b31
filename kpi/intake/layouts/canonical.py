"""The project's own template: sheets 計画, 取組, 指標, 年度値, 評価 (and optional 工程, 状況).

One row per thing, Japanese headers, columns found by their header text (in
any order; extra columns are ignored). 年度 accepts every form city halls use
(平成27年度, H27, R3, 令和元年度, 2021年度, 2021); numbers accept '1,090',
'930(見込み)', '５１８'; '―' or a blank means no value.
"""

from __future__ import annotations

import json
import re
from itertools import compress
from operator import itemgetter
from dataclasses import dataclass
from typing import Any, Sequence

from kpi.errors import Problem
from kpi.intake.cells import Reporter, read_column, read_column_distinct, read_number
from kpi.intake.keys import header_key as _key
from kpi.intake.keys import item_number
from kpi.intake.workbook import Sheet, Workbook, clean_text, column_letter, coord, tidy_text
from kpi.rules.departments import parse_departments
from kpi.rules.direction import (NO_EVIDENCE, DirectionDecision, infer_direction, is_cumulative_name,
                                 parse_direction)
from kpi.rules.fiscal import FiscalYearError, parse_fiscal_year
from kpi.rules.grading import PRESETS, GradingRule
from kpi.rules.numbers import parse_number
from kpi.rules.model import STAGES, STATUS_MARKS, STATUSES
from kpi.rules.plan_names import normalize_plan_name
from kpi.rules.rates import DIRECTION_LABELS
from kpi.store.journal import Batch

LAYOUT = "canonical"
LAYOUT_LABEL = "標準テンプレート（計画・取組・指標・年度値・評価）"

SHEET_PLAN, SHEET_ITEMS, SHEET_INDICATORS, SHEET_VALUES, SHEET_EVALS = "計画", "取組", "指標", "年度値", "評価"
SHEET_SCHEDULE, SHEET_STATUS, SHEET_HELP = "工程", "状況", "記入方法"

# column key → header texts accepted (first one is what the template writes)
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    SHEET_ITEMS: {
        "no": ("No.", "No", "番号", "取組番号"),
        "title": ("取組名", "取組項目", "項目名", "名称"),
        "departments": ("担当課", "所管課", "担当課（●主担当）"),
        "current_issues": ("現状と課題",),
        "purpose": ("目的", "実施目的", "事業の目標・目的"),
        "content": ("取組の内容", "取組内容", "取組概要"),
        "effect": ("見込まれる効果", "効果"),
        "qualitative_target": ("定性目標", "目標（文章）"),
    },
    SHEET_INDICATORS: {
        "no": ("No.", "No", "番号", "取組番号"),
        "indicator": ("指標名", "指標"),
        "unit": ("単位",),
        "direction": ("方向", "良い方向", "方向（高い/低い）"),
        "cumulative": ("累計",),
        "baseline_fy": ("基準年度", "現状年度"),
        "baseline": ("基準値", "現状値", "現状"),
        "final_fy": ("最終目標年度", "目標年度"),
        "final": ("最終目標値", "最終目標", "目標値"),
        "final_text": ("最終目標（文章）", "目標（文章）", "最終目標(文章)"),
        "qualitative": ("定性", "定性指標", "文章で記入"),
    },
    SHEET_VALUES: {
        "no": ("No.", "No", "番号", "取組番号"),
        "indicator": ("指標名", "指標"),
        "fy": ("年度",),
        "target": ("計画", "計画値", "目標"),
        "actual": ("実績", "実績値"),
        "note": ("備考",),
    },
    SHEET_EVALS: {
        "no": ("No.", "No", "番号", "取組番号"),
        "fy": ("年度",),
        "stage": ("段階", "評価段階", "時期"),
        "grade": ("評価", "自己評価", "評価（A/B/C）"),
        "status_text": ("取組の状況", "評価の内容", "取組の状況・評価"),
        "issues_text": ("課題・今後の方針", "課題、今後の方針、改善事項など", "課題"),
    },
    SHEET_SCHEDULE: {
        "no": ("No.", "No", "番号", "取組番号"),
        "activity": ("実施内容", "取組工程"),
        "fy": ("年度",),
        "mark": ("記号", "予定", "工程"),
    },
    SHEET_STATUS: {
        "no": ("No.", "No", "番号", "取組番号"),
        "fy": ("年度",),
        "status": ("状況", "進捗状況"),
        "note": ("説明", "備考", "今後の方向性"),
    },
}
REQUIRED: dict[str, tuple[str, ...]] = {
    SHEET_ITEMS: ("no", "title"),
    SHEET_INDICATORS: ("no", "indicator"),
    SHEET_VALUES: ("no", "indicator", "fy"),
    SHEET_EVALS: ("no", "fy", "stage"),
    SHEET_SCHEDULE: ("no", "activity", "fy"),
    SHEET_STATUS: ("no", "status"),
}
PLAN_KEYS: dict[str, tuple[str, ...]] = {
    "name": ("計画名",),
    "municipality": ("自治体", "自治体名", "市町村"),
    "kind": ("種類", "計画の種類"),
    "start_fy": ("開始年度", "計画期間（開始）"),
    "end_fy": ("終了年度", "計画期間（終了）"),
    "level_names": ("階層名", "体系の階層名"),
    "grading": ("評価方式", "評価基準"),
    "description": ("説明", "概要"),
}
STAGE_ALIASES: dict[str, str] = {
    "上半期": "上半期", "上期": "上半期", "上半期評価": "上半期", "中間報告": "上半期",
    "年度": "年度", "年度評価": "年度", "年間": "年度", "年度末": "年度",
    "中間": "中間", "中間評価": "中間",
    "計画期間": "計画期間", "計画期間の評価": "計画期間", "最終": "計画期間", "最終評価": "計画期間", "期末": "計画期間",
}
_TRUE = {"○", "〇", "◯", "はい", "累計", "true", "1", "✓", "✔", "有", "あり", "yes", "y"}
_FALSE = {"", "×", "いいえ", "false", "0", "無", "なし", "no", "n", "単年度", "各年度"}


def detect(wb: Workbook) -> float:
    names = {s.name for s in wb.sheets}
    core = {SHEET_ITEMS, SHEET_INDICATORS, SHEET_VALUES, SHEET_EVALS}
    hits = len(core & names)
    if hits == 0:
        return 0.0
    return 0.4 + 0.15 * hits


@dataclass
class _Table:
    sheet: Sheet
    header_row: int
    cols: dict[str, int]
    extra_levels: list[int]


def _find_header(sheet: Sheet, spec: dict[str, tuple[str, ...]]) -> _Table | None:
    wanted = {k: {_key(a) for a in aliases} for k, aliases in spec.items()}
    best = None
    for r in range(1, min(sheet.max_row, 15) + 1):
        cols: dict[str, int] = {}
        levels: list[tuple[int, int]] = []
        for c in range(1, sheet.max_col + 1):
            k = _key(sheet.raw(r, c))
            if not k:
                continue
            for name, aliases in wanted.items():
                if k in aliases and name not in cols:
                    cols[name] = c
                    break
            m = re.fullmatch(r"(?:体系|階層)(\d+)", k)
            if m:
                levels.append((int(m.group(1)), c))
        if "no" in cols and (best is None or len(cols) > len(best.cols)):
            best = _Table(sheet, r, cols, [c for _n, c in sorted(levels)])
    return best


def _cell(t: _Table, r: int, key: str) -> Any:
    c = t.cols.get(key)
    return t.sheet.raw(r, c) if c else None


def _text(t: _Table, r: int, key: str) -> str | None:
    return _text_of(_cell(t, r, key))


def _text_of(v: Any) -> str | None:
    if v is None:
        return None
    s = str(v).strip()
    return s or None


def _item_no(v: Any) -> str | None:
    return item_number(v) or None


def _rows(t: _Table):
    return (i + 1 for i in _kept(t))


def _blank(v: Any) -> bool:
    return v is None or v.__class__ is str and not v.strip()


def _kept(t: _Table, firsts: Sequence[Any] | None = None) -> list[int]:
    """The 0-based indexes into the sheet's rows of the data rows below the header: blank rows and a
    header repeated for printing left out. Only a row whose first cell is blank or reads as the
    header's first can be either, so the first column (firsts, when the caller has it: each row's
    first cell) picks the few rows looked at whole, each of its distinct values judged once."""
    rows, start, width = t.sheet.rows, t.header_row, t.sheet.max_col
    header = [_key(t.sheet.raw(t.header_row, c)) for c in range(1, width + 1)]
    first = header[0] if header else ""
    if not width:
        return []
    if firsts is None:
        firsts = [row[0] if row else None for row in rows[start:]]
    flags = read_column(firsts, lambda v: _blank(v) or _key(v) == first)
    if True not in flags:
        return list(range(start, len(rows)))
    kept = []
    at = start
    for i in compress(range(start, len(rows)), flags):
        kept.extend(range(at, i))
        at = i + 1
        vals = rows[i][:width]
        if "" in vals:
            vals = [None if v == "" else v for v in vals]
        v0 = vals[0] if vals else None
        if _blank(v0) and all(_blank(v) for v in vals):
            continue
        if _key(v0) == first and [_key(v) for v in vals] + [""] * (width - len(vals)) == header:
            continue  # a header repeated for printing
        kept.append(i)
    kept.extend(range(at, len(rows)))
    return kept


def _data_rows(t: _Table):
    """(row number, its values with '' as None) of the data rows below the header (_kept)."""
    width = t.sheet.max_col
    rows = t.sheet.rows
    for i in _kept(t):
        vals = rows[i][:width]
        if "" in vals:
            vals = [None if v == "" else v for v in vals]
        yield i + 1, vals


def _data_columns(t: _Table) -> tuple[list[int], list[Sequence[Any]]]:
    """The data rows (_data_rows) as (their row numbers, each column of the sheet's width with '' as
    None and a short row's missing cells as None)."""
    width = t.sheet.max_col
    below = t.sheet.rows[t.header_row:]
    if set(map(len, below)) - {width}:
        below = [vals if len(vals) == width else (vals + [None] * (width - len(vals)))[:width] for vals in below]
    columns: list[Sequence[Any]] = list(zip(*below)) if below and width else [() for _c in range(width)]
    kept = _kept(t, columns[0] if columns else ())
    if len(kept) < len(below):
        keep = set(kept)
        mask = [i in keep for i in range(t.header_row, t.header_row + len(below))]
        columns = [tuple(compress(col, mask)) for col in columns]
    columns = [[None if v == "" else v for v in col] if "" in col else col for col in columns]
    return [i + 1 for i in kept], columns


def _year(rep: Reporter, t: _Table, r: int, key: str = "fy", what: str = "年度") -> int | None:
    c = t.cols.get(key)
    if not c:
        return None
    raw = t.sheet.raw(r, c)
    if raw is None or str(raw).strip() == "":
        return None
    try:
        return parse_fiscal_year(raw)
    except FiscalYearError as exc:
        rep.error(r, c, f"{what}「{clean_text(raw)}」は年度として読めません", exc.hint or "例: 平成27年度、R3、2021年度",
                  code="bad_year")
        return None


def _read_plan_sheet(wb: Workbook) -> dict[str, tuple[Any, int, int]]:
    sheet = wb.sheet(SHEET_PLAN)
    out: dict[str, tuple[Any, int, int]] = {}
    if sheet is None:
        return out
    aliases = {k: {_key(a) for a in v} for k, v in PLAN_KEYS.items()}
    for r in range(1, sheet.max_row + 1):
        k = _key(sheet.raw(r, 1))
        for name, keys in aliases.items():
            if k in keys:
                v = sheet.raw(r, 2)
                if v is not None and str(v).strip():
                    out[name] = (v, r, 2)
    return out


def parse(wb: Workbook, plan_name: str | None = None) -> Batch:
    plan_meta = _read_plan_sheet(wb)
    file_plan = normalize_plan_name(plan_meta["name"][0]) if "name" in plan_meta else None
    batch = Batch(plan_name=file_plan or plan_name or "", layout=LAYOUT, source=wb.file_name)
    batch.plan_where = {key: {"_sheet": SHEET_PLAN, "_cell": coord(r, c), "_file": wb.file_name}
                        for key, (_v, r, c) in plan_meta.items()}
    batch.plan_where["grading_rule"] = batch.plan_where.pop("grading", {})
    rep_plan = Reporter(wb.file_name, SHEET_PLAN, batch)
    if file_plan and plan_name and file_plan != normalize_plan_name(plan_name):
        r, c = plan_meta["name"][1], plan_meta["name"][2]
        rep_plan.error(r, c, f"ファイルの計画名「{file_plan}」と、取り込み先の計画「{plan_name}」が違います",
                       "取り込み先の計画を選び直すか、ファイルの計画名を直してください", code="plan_mismatch")
    if not batch.plan_name:
        rep_plan.error(None, None, "計画名が分かりません", "「計画」シートの「計画名」に記入するか、取り込み先の計画を選んでください",
                       code="no_plan")
    for key in ("municipality", "kind", "description"):
        if key in plan_meta:
            batch.plan[key] = str(plan_meta[key][0]).strip()
    for key in ("start_fy", "end_fy"):
        if key in plan_meta:
            v, r, c = plan_meta[key]
            try:
                batch.plan[key] = parse_fiscal_year(v)
            except FiscalYearError as exc:
                rep_plan.error(r, c, f"{'開始' if key == 'start_fy' else '終了'}年度「{clean_text(v)}」: {exc.message}",
                               exc.hint, code="bad_year")
    if "level_names" in plan_meta:
        names = [n.strip() for n in re.split(r"[／/>＞→、,]", str(plan_meta["level_names"][0])) if n.strip()]
        batch.plan["level_names"] = json.dumps(names, ensure_ascii=False)
    if "grading" in plan_meta:
        v, r, c = plan_meta["grading"]
        text = str(v).strip()
        rule = _grading_from_text(text)
        if rule is not None:
            batch.plan["grading_rule"] = rule.to_json()
        elif text.startswith("{"):
            # A rule written out as JSON is checked with everything else a file sets, by the settings
            # page's own code (kpi/intake/validate.py: check_bounds → kpi.rules.rule_form.check_rule).
            batch.plan["grading_rule"] = text
        else:
            rep_plan.error(r, c, f"評価方式「{clean_text(v)[:40]}」が分かりません",
                           "次のいずれかを書いてください: " + "、".join(p.name for p in PRESETS.values()), code="bad_grading")

    found = False
    items_in_file: set[str] = set()
    indicators_in_file: set[tuple[str, str]] = set()
    t = _table(wb, SHEET_ITEMS, batch)
    if t:
        found = True
        _parse_items(t, Reporter(wb.file_name, t.sheet.name, batch), batch, items_in_file)
    t = _table(wb, SHEET_INDICATORS, batch)
    if t:
        found = True
        _parse_indicators(t, Reporter(wb.file_name, t.sheet.name, batch), batch, indicators_in_file)
    t = _table(wb, SHEET_VALUES, batch)
    targets: dict[tuple[str, str], list[tuple[int, float]]] = {}
    if t:
        found = True
        targets = _parse_values(t, Reporter(wb.file_name, t.sheet.name, batch), batch)
    _directions_from_values(batch, targets)
    t = _table(wb, SHEET_EVALS, batch)
    if t:
        found = True
        _parse_evaluations(t, Reporter(wb.file_name, t.sheet.name, batch), batch)
    t = _table(wb, SHEET_SCHEDULE, batch, optional=True)
    if t:
        _parse_schedule(t, Reporter(wb.file_name, t.sheet.name, batch), batch)
    t = _table(wb, SHEET_STATUS, batch, optional=True)
    if t:
        _parse_status(t, Reporter(wb.file_name, t.sheet.name, batch), batch)
    if not found:
        rep_plan.error(None, None, "取組・指標・年度値・評価のどのシートも見つかりません", code="empty")
    years = set(map(_FISCAL_YEAR, batch.table("indicator_values"))) | set(map(_FISCAL_YEAR, batch.table("evaluations")))
    if years and "start_fy" not in batch.plan:
        batch.plan["start_fy"] = min(years)
    if years and "end_fy" not in batch.plan:
        batch.plan["end_fy"] = max(years)
    return batch


_FISCAL_YEAR = itemgetter("fiscal_year")


def _grading_from_text(text: str) -> GradingRule | None:
    """A preset named by its key or its name (「A・B・C（達成率）」), else None."""
    k = _key(text)
    for key, rule in PRESETS.items():
        if k in (_key(key), _key(rule.name)):
            return rule
    return None


def _table(wb: Workbook, name: str, batch: Batch, optional: bool = False) -> _Table | None:
    sheet = wb.sheet(name)
    if sheet is None:
        return None
    t = _find_header(sheet, COLUMNS[name])
    rep = Reporter(wb.file_name, name, batch)
    if t is None:
        if not optional or sheet.max_row:
            rep.error(1, 1, "見出し行（No. など）が見つかりません", "テンプレートの見出し行を消さないでください", code="no_header")
        return None
    missing = [COLUMNS[name][k][0] for k in REQUIRED[name] if k not in t.cols]
    if missing:
        rep.error(t.header_row, 1, f"必要な列がありません: {'、'.join(missing)}", "テンプレートの見出しをそのまま使ってください",
                  code="missing_column")
        return None
    return t


def _parse_items(t: _Table, rep: Reporter, batch: Batch, seen: set[str]) -> None:
    """The 取組 sheet, by column: each column's distinct values read once (a hierarchy path's JSON
    once per path), the rows then in order, each problem told with its sheet and cell."""
    sort = 0
    cols = t.cols
    rnums, columns = _data_columns(t)
    n = len(rnums)

    def column(key: str, fn) -> list[Any]:
        return read_column(columns[cols[key] - 1], fn) if key in cols else [None] * n

    nos, titles = column("no", _item_no), column("title", _text_of)
    texts = {key: column(key, _text_of) for key in ("current_issues", "purpose", "content", "effect", "qualitative_target")}
    departments = column("departments", parse_departments)
    levels = [read_column(columns[c - 1], lambda v: None if v is None else tidy_text(v)) for c in t.extra_levels]
    paths: dict[tuple[str, ...], str] = {}

    def path_json(path: tuple[str, ...]) -> str:
        got = paths.get(path)
        if got is None:
            got = paths[path] = json.dumps(list(path), ensure_ascii=False)
        return got

    c_no = cols["no"]
    for i, r in enumerate(rnums):
        no = nos[i]
        title = titles[i]
        if not no:
            rep.error(r, c_no, "No. が空欄です", code="missing_no")
            continue
        if no in seen:
            rep.error(r, c_no, f"No.{no} が取組シートに2回あります", "1つの取組は1行にまとめてください", code="duplicate")
            continue
        seen.add(no)
        if not title:
            rep.error(r, cols["title"], f"No.{no} の取組名が空欄です", code="missing_title")
            continue
        sort += 1
        path = tuple(level[i] for level in levels if level[i] is not None)
        for depth in range(1, len(path) + 1):
            batch.add("nodes", path=path_json(path[:depth]), depth=depth, level_name=None,
                      title=path[depth - 1], sort=sort)
        batch.add("items", item_no=no, title=tidy_text(title), node_path=path_json(path),
                  current_issues=texts["current_issues"][i], purpose=texts["purpose"][i],
                  content=texts["content"][i], effect=texts["effect"][i],
                  qualitative_target=texts["qualitative_target"][i], sort=sort, **rep.where(r, c_no))
        for k, d in enumerate(departments[i] or ()):
            batch.add("item_departments", item_no=no, department=d.name, is_main=d.is_main, role=d.role, sort=k)


def _bool(rep: Reporter, t: _Table, r: int, key: str) -> bool | None:
    v = _cell(t, r, key)
    if v is None:
        return None
    k = _key(v)
    if k in _TRUE:
        return True
    if k in _FALSE:
        return False
    rep.error(r, t.cols[key], f"「{clean_text(v)}」は「○」か空欄で書いてください", code="bad_flag")
    return None


# A row whose direction _directions_from_values decides: its fields hold their place until then.
_UNDECIDED = DirectionDecision("higher", "default", NO_EVIDENCE)


def _flag(v: Any) -> bool | str | None:
    """_bool's reading of a cell: True, False, None (blank) or 'bad'."""
    if v is None:
        return None
    k = _key(v)
    return True if k in _TRUE else False if k in _FALSE else "bad"


def _parse_indicators(t: _Table, rep: Reporter, batch: Batch, seen: set[tuple[str, str]]) -> None:
    """The 指標 sheet, by column: each column's distinct values read once, the rows then in order,
    each problem told with its sheet and cell as the row-by-row reading did."""
    sort_by_item: dict[str, int] = {}
    cols = t.cols
    rnums, columns = _data_columns(t)
    n = len(rnums)

    def column(key: str, fn=None) -> list[Any]:
        if key not in cols:
            return [None] * n
        return read_column(columns[cols[key] - 1], fn) if fn else columns[cols[key] - 1]

    nos, names, units = column("no", _item_no), column("indicator", _text_of), column("unit", _text_of)
    final_texts, directions = column("final_text", _text_of), column("direction", parse_direction)
    raw_bases, raw_finals, raw_directions = column("baseline"), column("final"), column("direction")
    cumulatives, qualitatives = column("cumulative", _flag), column("qualitative", _flag)
    base_years, final_years = column("baseline_fy", _year_or_error), column("final_fy", _year_or_error)
    numbers: dict[tuple[type, Any, str], Any] = {}  # (type, cell, unit) → parse_number: a unit reads a cell anew

    def number(raw: Any, unit: str) -> Any:
        key = (raw.__class__, raw, unit)
        try:
            return numbers[key]
        except KeyError:
            got = numbers[key] = parse_number(raw, unit)
            return got
        except TypeError:
            return parse_number(raw, unit)

    def flag(i: int, key: str, got: list[Any]) -> bool | None:
        if got[i] == "bad":
            rep.error(rnums[i], cols[key], f"「{clean_text(column(key)[i])}」は「○」か空欄で書いてください", code="bad_flag")
            return None
        return got[i]

    def year(i: int, key: str, what: str, got: list[Any]) -> int | None:
        fy, exc = got[i] if key in cols else (None, None)
        if exc is not None:
            raw = column(key)[i]
            rep.error(rnums[i], cols[key], f"{what}「{clean_text(raw)}」は年度として読めません",
                      exc.hint or "例: 平成27年度、R3、2021年度", code="bad_year")
        return fy

    c_no, c_name = cols["no"], cols["indicator"]
    for i, r in enumerate(rnums):
        no, name = nos[i], names[i]
        if not no or not name:
            rep.error(r, c_no if not no else c_name, "No. と指標名は必ず記入してください", code="missing_indicator")
            continue
        name = tidy_text(name)
        if (no, name) in seen:
            rep.error(r, c_name, f"No.{no} の指標「{name}」が2回あります", code="duplicate")
            continue
        seen.add((no, name))
        unit = units[i] or ""
        base = None
        if "baseline" in cols:
            base = number(raw_bases[i], unit)
            if base.kind == "text":
                read_number(rep, t.sheet, r, cols["baseline"], f"指標「{name}」の基準値", unit)
        final = None
        final_text = final_texts[i]
        if raw_finals[i] is not None:
            fp = number(raw_finals[i], unit)
            if fp.is_number:
                final = fp
            elif fp.kind == "text":
                final_text = final_text or str(raw_finals[i]).strip()
        direction_raw = raw_directions[i]
        explicit = directions[i]
        if direction_raw is not None and str(direction_raw).strip() and explicit is None:
            rep.error(r, cols["direction"], f"方向「{clean_text(direction_raw)}」が分かりません",
                      "「高いほど良い」か「低いほど良い」と書くか、空欄にしてください（空欄なら基準値と目標から判断します）",
                      code="bad_direction")
        cumulative = flag(i, "cumulative", cumulatives) if "cumulative" in cols else None
        # Blank keeps what is stored (a sheet without the column says nothing); ○ marks it 定性, × numeric.
        qualitative = flag(i, "qualitative", qualitatives) if "qualitative" in cols else None
        if explicit is None and not qualitative:
            # decided again with the yearly targets (_directions_from_values), which always follows
            decision = _UNDECIDED
        else:
            decision = infer_direction(baseline=base.value if base and base.is_number else None,
                                       final_target=final.value if final else None, name=name,
                                       target_text=final_text or "", explicit=explicit)
        sort_by_item[no] = sort_by_item.get(no, 0) + 1
        row: dict[str, Any] = dict(item_no=no, indicator=name, unit=unit or None, direction=decision.direction,
                                   direction_source=decision.source, _direction_reason=decision.reason,
                                   cumulative=cumulative if cumulative is not None else is_cumulative_name(name),
                                   final_target_text=final_text, qualitative=qualitative, sort=sort_by_item[no],
                                   **rep.where(r, c_name))
        if base is not None and base.is_number:
            row.update(baseline=base.value, baseline_estimated=base.estimate,
                       baseline_fy=year(i, "baseline_fy", "基準年度", base_years))
        if final is not None:
            row.update(final_target=final.value, final_target_fy=year(i, "final_fy", "最終目標年度", final_years))
        batch.add("indicators", **row)


def _directions_from_values(batch: Batch, targets: dict[tuple[str, str], list[tuple[int, float]]]) -> None:
    """The directions nobody wrote, decided again with every number of the file (the yearly targets
    come after the 指標 sheet: targets, (No., indicator) → (year, value) of the 年度値 sheet's numbers),
    and said in the preview: 推定 with its reason, or a warning when nothing decides (issue 16: 焼却量
    with the final target below its yearly targets)."""
    for row in batch.table("indicators"):
        if row.get("direction_source") not in ("inferred", "default") or row.get("qualitative"):
            continue  # a 定性 indicator's words have no better direction to say
        d = infer_direction(baseline=row.get("baseline"), final_target=row.get("final_target"),
                            yearly_targets=targets.get((row["item_no"], row["indicator"]), ()),
                            name=row["indicator"], target_text=row.get("final_target_text") or "")
        row["direction"], row["direction_source"], row["_direction_reason"] = d.direction, d.source, d.reason
        where = (row.get("_sheet"), row.get("_cell"), row.get("_file") or batch.source)
        if d.source == "default":
            batch.problems.append(Problem(
                "warning", f"No.{row['item_no']}「{row['indicator']}」: 良い方向を数値からも指標名からも判断できないため、"
                           "「高いほど良い」として達成率を計算します", *where,
                "低いほど良い指標なら、指標シートの「方向」に「低いほど良い」と書いてください", "direction_unknown"))
        elif not _baseline_decides(row):
            # Baseline against final target is how a plan states its direction: taken silently as
            # before (the preview's 方向の根拠 says 推定). Weaker evidence is said, to be checked.
            batch.problems.append(Problem(
                "warning", f"No.{row['item_no']}「{row['indicator']}」: 方向は「{DIRECTION_LABELS[d.direction]}」（推定: {d.reason}）",
                *where, "違うときは、指標シートの「方向」に書いてください", "direction_inferred"))


def _baseline_decides(row: dict) -> bool:
    base, final = row.get("baseline"), row.get("final_target")
    return base is not None and final is not None and base != final


def _year_or_error(raw: Any) -> tuple[int | None, FiscalYearError | None]:
    """_year without the report: the year of a non-blank cell, or why it is none."""
    if raw is None or str(raw).strip() == "":
        return None, None
    try:
        return parse_fiscal_year(raw), None
    except FiscalYearError as exc:
        return None, exc


def _indicator_name(v: Any) -> str | None:
    s = _text_of(v)
    return tidy_text(s) if s else None


def _year_of(v: Any) -> int | None:
    return _year_or_error(v)[0]


_INF = float("inf")


def _value_cell(v: Any) -> tuple[str, float | None, bool, str, str | None]:
    """A 計画/実績 cell as the reader takes it: (parse_number's kind, value, estimate, raw) and its
    words (text_words). A float (what calamine gives for a number cell) is spelt out here: a column
    of measured values may hold as many distinct values as rows."""
    if v.__class__ is float and v == v and v != _INF and v != -_INF:
        s = str(v)
        return "number", v, False, s, (str(int(v)) if v.is_integer() else s)
    p = parse_number(v)
    return p.kind, p.value, p.estimate, p.raw, text_words(v)


def _parse_values(t: _Table, rep: Reporter, batch: Batch) -> dict[tuple[str, str], list[tuple[int, float]]]:
    """The 年度値 sheet, the biggest of a plan (a row per indicator and year), read by column: each
    column's distinct values are read once (read_column), the rows holding nothing but plain numbers
    become rows of the batch a column at a time, and any other row (a blank No., a year that does not
    read, a key twice, a text in a number cell, a 定性 indicator's words) is told one by one, in row
    order, with its sheet and cell, as the row-by-row reading always did."""
    marked = {(row["item_no"], row["indicator"]): row["qualitative"] for row in batch.table("indicators")
              if row.get("qualitative") is not None}
    cols = t.cols
    c_no, c_name, c_fy = cols["no"], cols["indicator"], cols["fy"]
    rnums, columns = _data_columns(t)
    n = len(rnums)
    nos = read_column(columns[c_no - 1], _item_no)
    names = read_column(columns[c_name - 1], _indicator_name)
    fys = read_column(columns[c_fy - 1], _year_of)
    kinds = []
    odd: set[int] = set()
    for kind, key, label in (("target", "target", "計画"), ("actual", "actual", "実績")):
        if key in cols:
            cells, distinct = read_column_distinct(columns[cols[key] - 1], _value_cell)
            kinds.append((kind, cols[key], label, column_letter(cols[key]), cells))
            if any(d[0] == "text" for d in distinct):
                odd.update(i for i, cell in enumerate(cells) if cell[0] == "text")
    notes = read_column(columns[cols["note"] - 1], _note) if "note" in cols else [None] * n
    had_values = "indicator_values" in batch.rows
    values = batch.rows.setdefault("indicator_values", [])
    where_file, where_sheet = rep.file, rep.sheet
    targets: dict[tuple[str, str], list[tuple[int, float]]] = {}

    unkeyed: set[int] = set()
    if None in nos or "" in nos or None in names or "" in names or None in fys:
        unkeyed = {i for i, (no, name, fy) in enumerate(zip(nos, names, fys)) if not no or not name or fy is None}
        odd |= unkeyed
    keyed = [i for i in range(n) if i not in unkeyed] if unkeyed else range(n)
    keys = [(nos[i], names[i], fys[i]) for i in keyed] if unkeyed else list(zip(nos, names, fys))
    # first row of each key (a key told twice keeps its first row's number, as the message says)
    seen = dict(zip(reversed(keys), (rnums[i] for i in reversed(keyed))))
    if len(seen) < len(keys):
        odd.update(i for i, key in zip(keyed, keys) if seen[key] != rnums[i])
    if marked and any(marked.values()):
        odd.update(i for i, key in enumerate(zip(nos, names)) if marked.get(key))

    def one_by_one(i: int) -> None:
        r = rnums[i]
        no, name = nos[i], names[i]
        if not no or not name:
            rep.error(r, c_no if not no else c_name, "No. と指標名は必ず記入してください",
                      code="missing_indicator")
            return
        fy = fys[i]
        if fy is None:
            raw_fy = columns[c_fy - 1][i]
            bad_year = _year_or_error(raw_fy)[1]
            if bad_year is not None:
                rep.error(r, c_fy, f"年度「{clean_text(raw_fy)}」は年度として読めません",
                          bad_year.hint or "例: 平成27年度、R3、2021年度", code="bad_year")
            elif raw_fy is None:
                rep.error(r, c_fy, "年度が空欄です", code="bad_year")
            return
        key = (no, name, fy)
        if seen[key] != r:
            rep.error(r, c_fy, f"No.{no}「{name}」の{fy}年度が2回あります（{seen[key]}行目と重複）",
                      "1つの年度は1行にまとめてください", code="duplicate")
            return
        for kind, c, label, letter, cells in kinds:
            p_kind, p_value, p_estimate, p_raw, words = cells[i]
            if words and marked.get((no, name)):
                batch.add("indicator_values", item_no=no, indicator=name, fiscal_year=fy, kind=kind,
                          text_value=words, raw_text=words, **rep.where(r, c))
                continue
            if p_kind == "number":
                if kind == "target":
                    targets.setdefault((no, name), []).append((fy, p_value))
                values.append({"item_no": no, "indicator": name, "fiscal_year": fy, "kind": kind, "value": p_value,
                               "is_estimate": p_estimate, "raw_text": p_raw, "_words": words,
                               "_sheet": where_sheet, "_cell": f"{letter}{r}", "_file": where_file})
            elif p_kind == "text":
                # An error as for any number cell, unless the plan has the indicator as 定性 (a department
                # sheet does not carry the 指標 sheet): kpi.intake.text_values decides once the plan is known.
                read_number(rep, t.sheet, r, c, f"「{name}」{fy}年度の{label}")
                if marked.get((no, name)) is None:
                    batch.add("indicator_values", item_no=no, indicator=name, fiscal_year=fy, kind=kind,
                              text_value=words, raw_text=words, _unless_qualitative=batch.problems[-1],
                              **rep.where(r, c))
        note = notes[i]
        if note:
            batch.add("value_notes", item_no=no, indicator=name, fiscal_year=fy, note=note,
                      **rep.where(r, t.cols["note"]))

    def plain(a: int, b: int) -> None:
        """Rows a … b-1, every one with its key and nothing but numbers or blanks to read."""
        whole = a == 0 and b == n
        part = (lambda col: col) if whole else (lambda col: col[a:b])
        no_s, name_s, fy_s, r_s = part(nos), part(names), part(fys), [str(r) for r in part(rnums)]
        for kind, _c, _label, _letter, cells in kinds:
            if kind == "target":
                for no, name, fy, (k, v, _e, _raw, _w) in zip(no_s, name_s, fy_s, part(cells)):
                    if k == "number":
                        targets.setdefault((no, name), []).append((fy, v))
        if len(kinds) == 2:
            # both kinds of a row made one after the other, as the rows are read: the later passes over
            # the rows (the checks, the diff) then walk memory in order
            (k1, _c1, _l1, t1, cells1), (k2, _c2, _l2, t2, cells2) = kinds
            values.extend(
                d for no, name, fy, r, (ka, va, ea, rawa, wa), (kb, vb, eb, rawb, wb) in zip(
                    no_s, name_s, fy_s, r_s, part(cells1), part(cells2))
                for d in ({"item_no": no, "indicator": name, "fiscal_year": fy, "kind": k1, "value": va,
                           "is_estimate": ea, "raw_text": rawa, "_words": wa, "_sheet": where_sheet,
                           "_cell": t1 + r, "_file": where_file} if ka == "number" else None,
                          {"item_no": no, "indicator": name, "fiscal_year": fy, "kind": k2, "value": vb,
                           "is_estimate": eb, "raw_text": rawb, "_words": wb, "_sheet": where_sheet,
                           "_cell": t2 + r, "_file": where_file} if kb == "number" else None)
                if d is not None)
        elif kinds:
            (k1, _c1, _l1, t1, cells1), = kinds
            values.extend({"item_no": no, "indicator": name, "fiscal_year": fy, "kind": k1, "value": v,
                           "is_estimate": e, "raw_text": raw, "_words": w, "_sheet": where_sheet,
                           "_cell": t1 + r, "_file": where_file}
                          for no, name, fy, r, (k, v, e, raw, w) in zip(no_s, name_s, fy_s, r_s, part(cells1))
                          if k == "number")
        note_s = part(notes)
        if any(note_s):
            c_note = t.cols["note"]
            letter = column_letter(c_note)
            batch.rows.setdefault("value_notes", []).extend(
                {"item_no": no, "indicator": name, "fiscal_year": fy, "note": note, "_sheet": where_sheet,
                 "_cell": letter + r, "_file": where_file}
                for no, name, fy, r, note in zip(no_s, name_s, fy_s, r_s, note_s) if note)

    at = 0
    for i in sorted(odd):
        if at < i:
            plain(at, i)
        one_by_one(i)
        at = i + 1
    if at < n:
        plain(at, n)
    if not values and not had_values:
        del batch.rows["indicator_values"]  # as if nothing was added (batch.add makes a table on its first row)
    return targets


_DASH_ONLY = frozenset("-―—‐–−ー─━－")


def text_words(v: Any) -> str | None:
    """A qualitative 計画/実績 as written (a number typed there is words too); a blank or a dash is none."""
    s = _note(v)
    if s is None or (len(s) == 1 and s in _DASH_ONLY):
        return None
    return s


def _note(v: Any) -> str | None:
    """備考 as written: a number typed there (5 → '5') is text too."""
    if v is None:
        return None
    s = tidy_text(v) if isinstance(v, (int, float)) else str(v).strip()
    return s or None


def _parse_evaluations(t: _Table, rep: Reporter, batch: Batch) -> None:
    seen: dict[tuple[str, int, str], int] = {}
    for r in _rows(t):
        no = _item_no(_cell(t, r, "no"))
        if not no:
            rep.error(r, t.cols["no"], "No. が空欄です", code="missing_no")
            continue
        fy = _year(rep, t, r)
        raw_stage = _cell(t, r, "stage")
        stage = STAGE_ALIASES.get(_key(raw_stage)) if raw_stage is not None else None
        if stage is None:
            rep.error(r, t.cols["stage"], f"段階「{clean_text(raw_stage)}」が分かりません",
                      f"{'・'.join(STAGES)} のいずれかを書いてください", code="bad_stage")
            continue
        if fy is None:
            if _cell(t, r, "fy") is None:
                rep.error(r, t.cols["fy"], "年度が空欄です", code="bad_year")
            continue
        key = (no, fy, stage)
        if key in seen:
            rep.error(r, t.cols["stage"], f"No.{no} の{fy}年度・{stage}が2回あります（{seen[key]}行目と重複）", code="duplicate")
            continue
        seen[key] = r
        grade = _text(t, r, "grade")
        if not grade and not _text(t, r, "status_text") and not _text(t, r, "issues_text"):
            continue  # a row left blank (the pre-filled sheet offers one per item) says nothing yet
        batch.add("evaluations", item_no=no, fiscal_year=fy, stage=stage,
                  grade=clean_text(grade) if grade else None, status_text=_text(t, r, "status_text"),
                  issues_text=_text(t, r, "issues_text"), **rep.where(r, t.cols.get("grade") or t.cols["stage"]))


def _parse_schedule(t: _Table, rep: Reporter, batch: Batch) -> None:
    sort = 0
    for r in _rows(t):
        no = _item_no(_cell(t, r, "no"))
        activity = _text(t, r, "activity")
        fy = _year(rep, t, r)
        if not no or not activity or fy is None:
            if not no or not activity:
                rep.error(r, t.cols["no"], "No. と実施内容は必ず記入してください", code="missing_no")
            continue
        sort += 1
        batch.add("schedules", item_no=no, activity=tidy_text(activity), fiscal_year=fy,
                  mark=_text(t, r, "mark") or "実施", sort=sort, **rep.where(r, t.cols["activity"]))


def _parse_status(t: _Table, rep: Reporter, batch: Batch) -> None:
    for r in _rows(t):
        no = _item_no(_cell(t, r, "no"))
        raw = _text(t, r, "status")
        if not no or not raw:
            continue
        mark = raw[0] if raw[0] in STATUS_MARKS else None
        status = STATUS_MARKS.get(mark) if mark else clean_text(raw)
        if status not in STATUSES:
            rep.error(r, t.cols["status"], f"状況「{raw}」が分かりません", f"{'・'.join(STATUSES)} か ✓ ◇ ・ で書いてください",
                      code="bad_status")
            continue
        batch.add("item_status", item_no=no, fiscal_year=_year(rep, t, r), status=status, mark=mark,
                  note=_text(t, r, "note"), **rep.where(r, t.cols["status"]))


__all__ = ["LAYOUT", "LAYOUT_LABEL", "detect", "parse", "coord"]
