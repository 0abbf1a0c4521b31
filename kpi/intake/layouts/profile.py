"""Layout profiles: a city's own sheet, taught once as a readable mapping (JSON), read from then on.

A profile names the header row(s), the columns of 取組番号 / 取組名 / 担当課, the indicator groups
side by side on a row (活動指標 ア–ウ, 成果指標 サ–ス …) with their kind, and the columns of each
year's 計画 / 実績, either one by one or as repeated yearly blocks shifted by a number of columns.

It is recognised by its header fingerprint (the header cells' text at their addresses, never the file
name). A sheet whose headers are like the profile's but not the same (a column inserted, a header
renamed) is reported with the differing cells and never read with the profile.

The file format (version 1), by example:

    {"format": "kpi-layout-profile", "version": 1, "name": "…", "plan_name": "…",
     "header_rows": [2], "first_data_row": 3,
     "item": {"item_no": "H", "title": "I", "department": "U", "department_from_sheet": false},
     "skip": {"rows": [], "when_contains": ["小計", "合計"]},
     "year_blocks": [{"fiscal_year": 2020, "kind": "actual", "shift": 0}, …],
     "indicators": [{"kind": "成果", "label": "サ", "name": "BN", "unit": "BO", "value": "CJ",
                     "baseline": null, "final_target": null,
                     "values": [{"fiscal_year": 2024, "kind": "target", "column": "X"}]}],
     "evaluation": {"fiscal_year": 2025, "grade": "GW", "comment": "HB"},

A yearly figure the sheet keeps without a name or unit beside it (事業費 in each yearly block) is an
indicator with a fixed name and unit: {"kind": "", "name_text": "事業費", "unit_text": "千円", "value": "BY"}.
     "fingerprint": [["H2", "事務事業ID"], …]}
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from kpi.errors import BadWorkbook, Problem
from kpi.intake.keys import header_key
from kpi.intake.workbook import clean_text


def header_text(v) -> str:
    """A header cell as people read it, without the spaces that fill wide cells ('取 組 内 容'): what a
    profile stores and shows. Two header texts are the same when their header_key is (kpi.intake.keys)."""
    return re.sub(r"\s+", "", clean_text(v))
from kpi.intake.workbook import Sheet, Workbook, column_letter
from kpi.vocabulary import INDICATOR_KINDS as KINDS

FORMAT = "kpi-layout-profile"
VERSION = 1
KEY_PREFIX = "profile:"
INDICATOR_KINDS = (*KINDS, "")
VALUE_KINDS = {"target": "計画", "actual": "実績"}
ITEM_FIELDS = {"item_no": "取組番号", "title": "取組名", "department": "担当課"}
# Share of the profile's header texts found in a sheet for it to count as "this layout, changed".
NEAR_SHARE = 0.6


class ProfileError(BadWorkbook):
    """A profile file that cannot be used, or a sheet whose headers no longer match its profile."""

    title = "様式の設定を使えません"

    def __init__(self, message: str, *, hint: str | None = None, problems: list[Problem] | None = None):
        super().__init__(message, hint=hint)
        self.problems = problems or []


_COL_RE = re.compile(r"^[A-Za-z]{1,3}$")
_CELL_RE = re.compile(r"^([A-Za-z]{1,3})([1-9][0-9]*)$")


def col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def _col(value: Any, what: str, problems: list[str]) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    if isinstance(value, str) and _COL_RE.match(value.strip()):
        return col_index(value.strip())
    problems.append(f"{what}の列「{value}」は列の記号（例: H、BN）ではありません")
    return None


@dataclass(frozen=True)
class YearColumn:
    fiscal_year: int
    kind: str  # 'target' | 'actual'
    col: int


@dataclass(frozen=True)
class IndicatorGroup:
    kind: str
    label: str
    name_col: int | None
    unit_col: int | None
    baseline_col: int | None
    final_target_col: int | None
    values: tuple[YearColumn, ...]
    name_text: str = ""  # a fixed name when the sheet has no name column (one indicator per sheet, a cost)
    unit_text: str = ""  # a fixed unit when the sheet has no unit column (a cost in 千円)


@dataclass(frozen=True)
class Profile:
    name: str
    header_rows: tuple[int, ...]
    first_data_row: int
    item_no_col: int
    title_col: int | None
    department_col: int | None
    department_from_sheet: bool
    indicators: tuple[IndicatorGroup, ...]
    fingerprint: tuple[tuple[str, str], ...]
    plan_name: str = ""
    skip_rows: frozenset[int] = frozenset()
    skip_words: tuple[str, ...] = ()
    eval_year: int | None = None
    grade_col: int | None = None
    comment_col: int | None = None
    body: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def key(self) -> str:
        return KEY_PREFIX + self.name

    @property
    def label(self) -> str:
        return f"登録した様式「{self.name}」"

    def to_json(self) -> str:
        return json.dumps(self.body, ensure_ascii=False, indent=2)


def _int(value: Any, what: str, problems: list[str], *, low: int = 1) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        problems.append(f"{what}「{value}」は{low}以上の整数で書いてください")
        return None
    return value


def load_profile(data: dict | str | bytes) -> Profile:
    """A profile from its file (JSON text or the parsed dict); every mistake is named in one error."""
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ProfileError(f"様式の設定ファイルを JSON として読めません（{exc}）",
                               hint="書き出した設定ファイルをそのまま読み込んでください") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ProfileError("様式の設定ファイルではありません（\"format\": \"kpi-layout-profile\" がありません）")
    if data.get("version") != VERSION:
        raise ProfileError(f"様式の設定ファイルの版「{data.get('version')}」には対応していません（対応: {VERSION}）")
    errs: list[str] = []
    name = str(data.get("name") or "").strip()
    if not name:
        errs.append("様式の名前（name）がありません")
    header_rows = data.get("header_rows") or []
    if not isinstance(header_rows, list) or not header_rows:
        errs.append("見出し行（header_rows）がありません")
        header_rows = []
    header_rows = [r for r in (_int(r, "見出し行", errs) for r in header_rows) if r]
    first = _int(data.get("first_data_row"), "データの最初の行（first_data_row）", errs) or 1
    if header_rows and first <= max(header_rows):
        errs.append(f"データの最初の行 {first} が見出し行より上にあります")
    item = data.get("item") or {}
    item_no = _col(item.get("item_no"), "取組番号", errs)
    if item_no is None:
        errs.append("取組番号の列（item.item_no）がありません")
    blocks = data.get("year_blocks") or []
    groups = []
    for i, g in enumerate(data.get("indicators") or [], start=1):
        what = f"指標 {i} 番目（{g.get('kind', '')}{g.get('label', '')}）"
        kind = str(g.get("kind") or "")
        if kind not in INDICATOR_KINDS:
            errs.append(f"{what}の種類「{kind}」は 活動・対象・成果 のどれかにしてください")
        values = []
        base = _col(g.get("value"), f"{what}の値", errs)
        if base is not None:
            for b in blocks:
                fy = _int(b.get("fiscal_year"), f"{what}の年度", errs, low=1900)
                shift = b.get("shift", 0)
                if b.get("kind") not in VALUE_KINDS:
                    errs.append(f"年度ブロックの種類「{b.get('kind')}」は target（計画）か actual（実績）にしてください")
                elif fy and isinstance(shift, int) and shift >= 0:
                    values.append(YearColumn(fy, b["kind"], base + shift))
        for v in g.get("values") or []:
            fy = _int(v.get("fiscal_year"), f"{what}の年度", errs, low=1900)
            col = _col(v.get("column"), f"{what}の{v.get('fiscal_year')}年度", errs)
            if v.get("kind") not in VALUE_KINDS:
                errs.append(f"{what}の値の種類「{v.get('kind')}」は target（計画）か actual（実績）にしてください")
            elif fy and col:
                values.append(YearColumn(fy, v["kind"], col))
        name_col = _col(g.get("name"), f"{what}の名称", errs)
        if name_col is None and not g.get("name_text"):
            errs.append(f"{what}の名称の列（name）か名称（name_text）がありません")
        groups.append(IndicatorGroup(kind, str(g.get("label") or ""), name_col, _col(g.get("unit"), f"{what}の単位", errs),
                                     _col(g.get("baseline"), f"{what}の基準値", errs),
                                     _col(g.get("final_target"), f"{what}の目標値", errs), tuple(values),
                                     str(g.get("name_text") or ""), str(g.get("unit_text") or "")))
    fingerprint = []
    for pair in data.get("fingerprint") or []:
        if (not isinstance(pair, list) or len(pair) != 2 or not isinstance(pair[0], str)
                or not _CELL_RE.match(pair[0])):
            errs.append(f"見出しの照合（fingerprint）の「{pair}」は [\"H2\", \"見出し\"] の形で書いてください")
            continue
        fingerprint.append((pair[0].upper(), str(pair[1])))
    if not fingerprint:
        errs.append("見出しの照合（fingerprint）がありません。様式を登録し直してください")
    skip = data.get("skip") or {}
    ev = data.get("evaluation") or {}
    title_col = _col(item.get("title"), "取組名", errs)
    department_col = _col(item.get("department"), "担当課", errs)
    grade_col = _col(ev.get("grade"), "自己評価", errs)
    comment_col = _col(ev.get("comment"), "コメント", errs)
    if errs:
        raise ProfileError(f"様式の設定「{name or '（名前なし）'}」に誤りがあります: " + "。".join(errs),
                           hint="設定ファイルを直すか、アップロード画面で様式を登録し直してください")
    return Profile(
        name=name, header_rows=tuple(header_rows), first_data_row=first, item_no_col=item_no,
        title_col=title_col, department_col=department_col,
        department_from_sheet=bool(item.get("department_from_sheet")), indicators=tuple(groups),
        fingerprint=tuple(fingerprint), plan_name=str(data.get("plan_name") or "").strip(),
        skip_rows=frozenset(r for r in skip.get("rows") or [] if isinstance(r, int)),
        skip_words=tuple(str(w) for w in skip.get("when_contains") or [] if str(w).strip()),
        eval_year=ev.get("fiscal_year") if isinstance(ev.get("fiscal_year"), int) else None,
        grade_col=grade_col, comment_col=comment_col,
        body=data)


def header_fingerprint(sheet: Sheet, header_rows: list[int] | tuple[int, ...]) -> list[list[str]]:
    """Every non-empty header cell of the header rows, as [address, text]: what a profile recognises."""
    out = []
    for r in header_rows:
        for c in range(1, sheet.max_col + 1):
            if not sheet.is_merge_anchor_or_single(r, c):
                continue
            text = header_text(sheet.raw(r, c))
            if text:
                out.append([f"{column_letter(c)}{r}", text])
    return out


def _cell_rc(address: str) -> tuple[int, int]:
    m = _CELL_RE.match(address)
    return int(m.group(2)), col_index(m.group(1))


@dataclass(frozen=True)
class Match:
    exact: bool
    share: float  # of the profile's header texts found in the sheet's header rows
    differences: tuple[tuple[str, str, str], ...]  # (cell, expected, found)


def match_sheet(profile: Profile, sheet: Sheet) -> Match:
    diffs = []
    for address, expected in profile.fingerprint:
        r, c = _cell_rc(address)
        found = header_text(sheet.value(r, c))
        if header_key(found) != header_key(expected):
            diffs.append((address, expected, found))
    if not diffs:
        return Match(True, 1.0, ())
    present: dict[str, int] = {}
    for r in profile.header_rows:
        for c in range(1, sheet.max_col + 1):
            k = header_key(sheet.raw(r, c))
            if k:
                present[k] = present.get(k, 0) + 1
    hits = 0
    for _a, expected in profile.fingerprint:
        if present.get(header_key(expected), 0) > 0:
            present[header_key(expected)] -= 1
            hits += 1
    return Match(False, hits / len(profile.fingerprint), tuple(diffs))


def matching_sheets(profile: Profile, wb: Workbook) -> tuple[list[Sheet], list[tuple[Sheet, Match]]]:
    """The sheets a profile reads exactly, and the ones that look like it but differ."""
    exact, near = [], []
    for sheet in wb.sheets:
        m = match_sheet(profile, sheet)
        if m.exact:
            exact.append(sheet)
        elif m.share >= NEAR_SHARE:
            near.append((sheet, m))
    return exact, near


def mismatch_problems(profile: Profile, wb: Workbook, near: list[tuple[Sheet, Match]]) -> list[Problem]:
    out = []
    for sheet, m in near:
        for cell, expected, found in m.differences[:20]:
            out.append(Problem(
                "error", f"様式「{profile.name}」では見出しが「{expected}」のはずですが、「{found or '（空欄）'}」になっています",
                sheet.name, cell, wb.file_name,
                "列や行が挿入・削除されたか、見出しが変わっています。様式を登録し直してください", "layout_changed"))
        if len(m.differences) > 20:
            out.append(Problem("error", f"ほかにも見出しの違いが {len(m.differences) - 20} か所あります", sheet.name,
                               None, wb.file_name, code="layout_changed"))
    return out


def profile_from_file(path) -> Profile:
    from pathlib import Path
    return load_profile(Path(path).read_text(encoding="utf-8"))


def teach(name: str, sheet: Sheet, *, header_rows: list[int], first_data_row: int, item: dict[str, Any],
          indicators: list[dict[str, Any]], year_blocks: list[dict[str, Any]] | None = None,
          plan_name: str = "", skip: dict[str, Any] | None = None, evaluation: dict[str, Any] | None = None,
          description: str = "") -> Profile:
    """A profile from what a person mapped on a sheet of theirs: the mapping plus the sheet's header
    cells as its fingerprint. Checked by load_profile like any imported file."""
    body: dict[str, Any] = {"format": FORMAT, "version": VERSION, "name": name.strip(), "description": description,
                            "plan_name": plan_name.strip(), "header_rows": list(header_rows),
                            "first_data_row": first_data_row, "item": item, "skip": skip or {},
                            "year_blocks": year_blocks or [], "indicators": indicators,
                            "evaluation": evaluation or {},
                            "fingerprint": header_fingerprint(sheet, header_rows)}
    return load_profile(body)


_PLAN_WORDS = ("計画", "目標", "見込")
_ACTUAL_WORDS = ("実績", "結果", "現状")


def year_columns(sheet: Sheet, header_rows: list[int] | tuple[int, ...],
                 default_era: str | None = None) -> list[tuple[int, int, str]]:
    """(column, fiscal year, 'target'|'actual') read from header text: '令和3年度' over '計画' / '実績'
    (a merged year cell above two columns), 'R4実績', '2023年度 目標'. Columns whose headers name no
    year, or no 計画/実績, are left for the person to assign."""
    from kpi.intake.cells import years_in
    out = []
    for c in range(1, sheet.max_col + 1):
        text = " ".join(header_text(sheet.value(r, c)) for r in header_rows)
        ys = years_in(text, default_era)
        if len(ys) != 1:
            continue
        if any(w in text for w in _ACTUAL_WORDS):
            out.append((c, ys[0], "actual"))
        elif any(w in text for w in _PLAN_WORDS):
            out.append((c, ys[0], "target"))
    return out


_KIND_WORDS = {"活動": "活動", "対象": "対象", "成果": "成果"}
_VALUE_WORDS = {"計画": "target", "目標": "target", "見込": "target", "見込み": "target", "実績": "actual"}


def _letters(token: str) -> str | None:
    t = token.strip()
    return None if t in ("", "-", "－", "―", "なし") else t.upper()


def profile_from_form(sheet: Sheet, *, name: str, plan_name: str = "", header_rows: str, first_data_row: int,
                      item_no: str, title: str = "", department: str = "", department_from_sheet: bool = False,
                      skip_words: str = "", skip_rows: str = "", groups: str, years: str = "",
                      years_from_headers: bool = False, grade: str = "", comment: str = "", eval_year: str = "",
                      default_era: str | None = None) -> Profile:
    """A profile from the upload page's teaching form, whose fields are plain text a person types:

    header_rows '2' or '3,4'; groups one indicator group a line, 'kind label name unit value
    [baseline target]' ('成果 サ BN BO CJ'; '-' for a column the sheet has not); years one block a
    line, 'year 計画|実績 shift' ('R2 実績 0', '令和7年度 計画 95'), the shift in columns from each
    group's value column. years_from_headers reads the years from the header text instead (one group).
    Every mistake is named in one ProfileError."""
    from kpi.errors import FiscalYearError
    from kpi.rules.fiscal import parse_fiscal_year
    errs: list[str] = []
    rows = [t for t in re.split(r"[,、\s]+", unicodedata_nfkc(header_rows)) if t]
    if not rows or not all(t.isdigit() and int(t) >= 1 for t in rows):
        errs.append(f"見出し行「{header_rows}」は行番号（例: 2 や 3,4）で書いてください")
        rows = []
    head = [int(t) for t in rows]
    indicator_rows = []
    for n, line in enumerate([ln for ln in unicodedata_nfkc(groups).splitlines() if ln.strip()], start=1):
        tok = re.split(r"[,、\s]+", line.strip())
        kind = next((v for k, v in _KIND_WORDS.items() if tok[0].startswith(k)), None)
        if kind is None or len(tok) < 5:
            errs.append(f"指標の{n}行目「{line.strip()}」は「種類 記号 名称の列 単位の列 値の列」"
                        "（例: 成果 サ BN BO CJ）で書いてください")
            continue
        g: dict[str, Any] = {"kind": kind, "label": "" if _letters(tok[1]) is None else tok[1], "name": _letters(tok[2]), "unit": _letters(tok[3]),
                             "value": _letters(tok[4])}
        if len(tok) > 5:
            g["baseline"] = _letters(tok[5])
        if len(tok) > 6:
            g["final_target"] = _letters(tok[6])
        indicator_rows.append(g)
    if not indicator_rows and not errs:
        errs.append("指標を1行以上書いてください（例: 成果 サ BN BO CJ）")
    blocks = []
    if years_from_headers:
        if len(indicator_rows) > 1:
            errs.append("指標が複数あるときは、年度を手で割り当ててください（どの列がどの指標か見出しからは分かりません）")
        elif indicator_rows and head:
            found = year_columns(sheet, head, default_era)
            if not found:
                errs.append("見出しに年度（例: 令和5年度 計画、R4実績、2023年度目標）が見つかりません。年度を手で割り当ててください")
            indicator_rows[0]["values"] = [{"fiscal_year": fy, "kind": kind, "column": column_letter(c)}
                                           for c, fy, kind in found]
            indicator_rows[0].pop("value", None)
    else:
        for n, line in enumerate([ln for ln in unicodedata_nfkc(years).splitlines() if ln.strip()], start=1):
            tok = re.split(r"[,、\s]+", line.strip())
            kind = _VALUE_WORDS.get(tok[1]) if len(tok) > 1 else None
            try:
                fy = parse_fiscal_year(tok[0], default_era)
            except FiscalYearError as exc:
                errs.append(f"年度の{n}行目「{tok[0]}」: {exc.message}")
                continue
            shift = tok[2] if len(tok) > 2 else "0"
            if kind is None or not shift.isdigit():
                errs.append(f"年度の{n}行目「{line.strip()}」は「年度 計画か実績 ずらす列数」（例: R2 実績 19）で書いてください")
                continue
            blocks.append({"fiscal_year": fy, "kind": kind, "shift": int(shift)})
        if not blocks and not errs:
            errs.append("年度を1行以上割り当ててください（例: R2 実績 0）")
    skipped = [t for t in re.split(r"[,、\s]+", unicodedata_nfkc(skip_rows)) if t]
    if not all(t.isdigit() for t in skipped):
        errs.append(f"読み飛ばす行「{skip_rows}」は行番号（例: 10, 25）で書いてください")
        skipped = []
    evaluation: dict[str, Any] = {}
    if _letters(grade or "") or _letters(comment or ""):
        try:
            evaluation = {"fiscal_year": parse_fiscal_year(unicodedata_nfkc(eval_year).strip() or None, default_era),
                          "grade": _letters(grade or ""), "comment": _letters(comment or "")}
        except FiscalYearError as exc:
            errs.append(f"自己評価・コメントの年度「{eval_year}」: {exc.message}")
    if errs:
        raise ProfileError("様式の設定に誤りがあります: " + "。".join(errs),
                           hint="例にならって直してから、もう一度読んでみてください")
    return teach(name, sheet, header_rows=head, first_data_row=int(first_data_row), plan_name=plan_name,
                 item={"item_no": _letters(item_no), "title": _letters(title), "department": _letters(department),
                       "department_from_sheet": department_from_sheet},
                 skip={"when_contains": [w for w in re.split(r"[,、\s]+", skip_words) if w],
                       "rows": [int(t) for t in skipped]},
                 indicators=indicator_rows, year_blocks=blocks, evaluation=evaluation)


def unicodedata_nfkc(text: str) -> str:
    import unicodedata
    return unicodedata.normalize("NFKC", text or "")


def header_columns(sheet: Sheet, header_rows: list[int] | tuple[int, ...]) -> list[tuple[str, str]]:
    """(column letter, header text) of the header rows, for a person to pick columns from."""
    out = []
    for c in range(1, sheet.max_col + 1):
        text = " / ".join(t for t in (header_text(sheet.value(r, c)) for r in header_rows) if t)
        if text:
            out.append((column_letter(c), text))
    return out
