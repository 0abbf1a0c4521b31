"""成果指標 written as free text → indicators with final targets, or a qualitative target.

Action lists (seed 000) state their outcome indicators as prose:

    'ボランティア参加者数 2,094 人 総合防災訓練参加者数 1,300 人 …'      name value unit, repeated
    '(市との協働事業数：60) (大学との協働事業数：25)'                    name：value in parentheses
    '480g/人日 (市民一人1日当たりごみ量 平成34年度目標値)'               value first, named by the parenthesis
    '協議会開催回数目標 94 回／年'                                      a per-year target
    '地域連携のための会議を4地区以上で実施'                              a number inside a sentence
    '小平市観光まちづくり振興プラン達成状況'                             no number: a qualitative target

parse_target_text() reads every target it can and keeps the rest as text. The
decisions, so a person can check them:

* A number counts as a target only where it stands on its own: after a space,
  a particle, '：' or a word that ends a measure name (…数, …率, …量, 目標);
  never inside a word ('一人1日当たり', '第2次', '3R'). Fiscal years
  ('平成34年度') are read as the target year, never as values.
* Names written WITHOUT a number (the '市民活動支援センター来場者数 協働事業数'
  before the four parentheses) do not become indicators: the sheet sets no
  target for them, and '協働事業数' is only the heading of the counts in the
  parentheses. They are kept, as written, in `qualitative` (the importer stores
  it as the item's qualitative target), so nothing on the sheet is lost.
* The target year is the fiscal year written next to the indicator; else the
  one year the whole text names; else `default_fy` (the importer passes the
  plan's last schedule year).
* A unit ending in '/年' (or a name with 年間) is a per-year target
  (`per_year`); the value is still the target for the final year.
* Direction: '以上'/'超'/'増' after the value → higher is better, '以下'/'未満'/
  '減'/'削減' → lower (both 'sheet': written on the sheet); otherwise words in
  the name decide (kpi.rules.direction: ごみ量 → lower), after dropping
  '…防止'/'…対策' phrases, which name what an activity fights, not what is
  counted ('振り込め詐欺被害防止キャンペーン参加者数' is a count of participants).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kpi.errors import FiscalYearError
from kpi.rules.direction import infer_direction, is_cumulative_name
from kpi.rules.fiscal import dominant_era, find_fiscal_years

# Units city halls write after a target value (longest first when matching).
UNITS: tuple[str, ...] = (
    "ポイント", "か所", "カ所", "ヵ所", "ヶ所", "ケ所", "箇所", "団体", "地区", "事業", "世帯", "店舗", "時間", "組織",
    "人日", "千円", "万円", "億円", "トン", "講座", "教室", "施設", "路線", "件", "人", "回", "校", "社", "園", "館",
    "本", "冊", "部", "戸", "台", "日", "分", "倍", "点", "歳", "円", "名", "%", "kg", "km", "ha", "t", "g", "m",
)
_UNITS_SORTED = sorted(UNITS, key=len, reverse=True)
# '回/年', 'g/人日': a unit per person, day or year.
_PER_RE = re.compile(r"/\s*(人・日|人日|年度|年|月|日|人|回|週)")
# A known unit followed by these is part of a phrase, not a unit ('1日当たり', '10日間').
_NOT_AFTER_UNIT = ("当たり", "あたり", "当り", "間", "目", "以内", "程度", "後", "前")
_GENERIC_UNIT_RE = re.compile(r"[\u4e00-\u9fff\u30a1-\u30fa\u30fc]{1,3}")
_NUMBER_RE = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\d,]*\d)")

_HIGHER_CMP = ("以上", "超", "増加", "増")
_LOWER_CMP = ("以下", "未満", "削減", "減少", "減")
_CMP = tuple(sorted(_HIGHER_CMP + _LOWER_CMP, key=len, reverse=True))

_PARTICLES = "をはがでにとのへも"
_PUNCT = "()、。,.:;/・「」『』【】"
# A number right after these words is a value, not part of a word.
_VALUE_AFTER_WORDS = ("目標値", "目標", "数", "率", "量", "額", "値", "度", "約", "計", "間", "当たり", "あたり", "当り",
                      "延べ", "最大", "最低", "概ね", "おおむね")
# Words around a name that are not part of it.
_NAME_TRIM_END = ("目標値", "目標", "見込み", "見込", ":", "は", "を", "が", "の", "約", "年間", "計", "延べ", "合計")
_NAME_TRIM_START = ("までに", "まで", "時点で", "時点", "において", "に", "の", "で", "目標値", "目標")
# Standalone words before a value that belong to it ('相談件数 年間 120件').
_VALUE_PREFIXES = ("年間", "約", "計", "合計", "延べ", "目標", "目標値")
# A parenthesis holding only a year and these words dates the value before it: '(令和7年度目標)'.
_ANNOTATION_ONLY_RE = re.compile(r"[\s]*(目標値|目標|見込み|見込|まで|までに|時点|末|の)*[\s]*")
# Units for names that carry none ('(市との協働事業数：60)'); only where the name makes it plain.
_UNIT_BY_SUFFIX = (("者数", "人"), ("人数", "人"), ("件数", "件"), ("回数", "回"), ("団体数", "団体"),
                   ("事業数", "事業"), ("応募数", "件"), ("校数", "校"), ("地区数", "地区"), ("箇所数", "箇所"),
                   ("世帯数", "世帯"), ("率", "%"))
# '…被害防止', '…事故対策' name what an activity fights, not what is counted.
_COUNTERED_RE = re.compile(r"[^\s、・]{0,12}?(?:防止|対策|撲滅|根絶)")


@dataclass(frozen=True)
class TextTarget:
    """One indicator read out of a 成果指標 text."""

    name: str
    value: float
    unit: str
    fiscal_year: int | None
    year_source: str  # 'text' (written next to it or once in the text), 'default' (plan's last year), 'none'
    per_year: bool
    direction: str  # 'higher' / 'lower'
    direction_source: str  # 'sheet' (以上/以下 written), 'inferred' (words), 'default'
    direction_reason: str
    cumulative: bool
    text: str  # the part of the text it was read from

    def describe(self) -> str:
        from kpi.rules.numbers import format_number
        year = f"{self.fiscal_year}年度" if self.fiscal_year else "年度なし"
        how = {"text": "文中の年度", "default": "計画の最終年度", "none": "不明"}[self.year_source]
        per = "（毎年度の目標）" if self.per_year else ""
        return (f"「{self.text}」→ 指標「{self.name}」最終目標 {format_number(self.value)}{self.unit}{per}、"
                f"{year}（{how}）、{self.direction_reason}")


@dataclass(frozen=True)
class TargetText:
    source: str
    indicators: tuple[TextTarget, ...]
    qualitative: str | None  # what is not a target with a number, kept as written

    @property
    def is_qualitative(self) -> bool:
        return not self.indicators

    def describe(self) -> str:
        if not self.indicators:
            return f"「{self.source}」には数値の目標がないため、定性的な目標として扱います"
        lines = [t.describe() for t in self.indicators]
        if self.qualitative:
            lines.append(f"数値のない部分「{self.qualitative}」は定性的な目標として残します")
        return "\n".join(lines)


@dataclass
class _Value:
    start: int
    end: int
    value: float
    unit: str
    per_year: bool
    cmp: str


def _normalize(text: str) -> str:
    s = unicodedata.normalize("NFKC", str(text))
    s = s.replace("〜", "~")
    return re.sub(r"\s+", " ", s).strip()


def _value_allowed_before(s: str, i: int, lo: int) -> bool:
    if i <= lo:
        return True
    ch = s[i - 1]
    if ch.isspace() or ch in _PUNCT or ch in _PARTICLES:
        return True
    before = s[lo:i]
    return any(before.endswith(w) for w in _VALUE_AFTER_WORDS)


def _boundary(s: str, j: int) -> bool:
    return j >= len(s) or s[j].isspace() or s[j] in _PUNCT or s[j] in _PARTICLES or s.startswith(_CMP, j)


def _read_unit(s: str, j: int) -> tuple[str, int] | None:
    """A unit starting at j (spaces allowed before known units) → (unit, end)."""
    k = j
    while k < len(s) and s[k] == " ":
        k += 1
    for u in _UNITS_SORTED:
        if s.startswith(u, k):
            end = k + len(u)
            if s.startswith(_NOT_AFTER_UNIT, end):
                continue
            return u, end
    m = _GENERIC_UNIT_RE.match(s, j)  # an unlisted unit must touch the number and end at a boundary
    if m:
        for n in range(len(m.group(0)), 0, -1):
            if _boundary(s, j + n) and not s.startswith(_CMP, j):
                return s[j:j + n], j + n
    return None


def _find_values(s: str, lo: int, hi: int) -> list[_Value]:
    out: list[_Value] = []
    for m in _NUMBER_RE.finditer(s, lo, hi):
        if not _value_allowed_before(s, m.start(), lo):
            continue
        if s[m.end():m.end() + 1].isascii() and s[m.end():m.end() + 1].isalpha() and not _read_unit(s, m.end()):
            continue
        value = float(m.group(1).replace(",", ""))
        j = m.end()
        if s.startswith("万", j) and not s.startswith("万円", j):
            value, j = value * 10_000, j + 1
        unit, per_year = "", False
        got = _read_unit(s, j)
        if got:
            unit, j = got
            per = _PER_RE.match(s, j)
            if per:
                unit += "/" + per.group(1)
                per_year = per.group(1) in ("年", "年度")
                j = per.end()
        k = j
        while k < hi and s[k] == " ":
            k += 1
        cmp = next((c for c in _CMP if s.startswith(c, k)), "")
        if cmp:
            j = k + len(cmp)
        if j > hi or not _boundary(s, j) and j < hi:
            continue
        out.append(_Value(m.start(), j, value, unit, per_year, cmp))
    return out


def _trim_name(name: str) -> str:
    name = name.strip(" :")
    changed = True
    while changed and name:
        changed = False
        for w in _NAME_TRIM_END:
            if name.endswith(w):
                name, changed = name[: -len(w)].rstrip(" :"), True
        for w in _NAME_TRIM_START:
            if name.startswith(w):
                name, changed = name[len(w):].lstrip(" :"), True
    return name.strip()


def format_value(v: float) -> str:
    from kpi.rules.numbers import format_number
    return format_number(v)


def _unit_from_name(name: str) -> str:
    for suffix, unit in _UNIT_BY_SUFFIX:
        if name.endswith(suffix):
            return unit
    return ""


def _direction(name: str, cmp: str) -> tuple[str, str, str]:
    if cmp in _HIGHER_CMP:
        return "higher", "sheet", f"「{cmp}」とあるため高いほど良い"
    if cmp in _LOWER_CMP:
        return "lower", "sheet", f"「{cmp}」とあるため低いほど良い"
    words = _COUNTERED_RE.sub(" ", name)
    d = infer_direction(name=words)
    return d.direction, d.source, d.reason


def _sentence_name(obj: str, tail: str, unit: str) -> str:
    """'地域連携のための会議を' + 'で実施' + 地区 → '地域連携のための会議を実施した地区数'.

    When the words before the value already name a measure ('登録団体数を50団体に増やす'), that is the name.
    """
    named = _trim_name(obj)
    if re.search(r"(数|率|量|額)$", named):
        return named
    verb = tail.lstrip(_PARTICLES + " ")
    verb = re.sub(r"(する|します|。|を目指す|を目標とする)$", "", verb).strip()
    obj = _trim_name(obj.rstrip(_PARTICLES + " ")) if obj.strip() else ""
    head = f"{obj}を" if obj else ""
    if not verb:
        return f"{obj}の{unit}数" if unit else obj
    if re.search(r"[\u4e00-\u9fff]$", verb):
        verb += "した"
    return f"{head}{verb}{unit}数" if unit else f"{head}{verb}"


def _groups(s: str) -> list[tuple[int, int, bool]]:
    """Top-level stretches of s: (start, end, inside_parentheses), parentheses excluded."""
    out: list[tuple[int, int, bool]] = []
    depth, start = 0, 0
    for i, ch in enumerate(s):
        if ch == "(":
            if depth == 0 and i > start:
                out.append((start, i, False))
            if depth == 0:
                start = i + 1
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
            if depth == 0:
                out.append((start, i, True))
                start = i + 1
    if start < len(s):
        out.append((start, len(s), depth > 0))
    return out


def parse_target_text(text: object, default_fy: int | None = None) -> TargetText:
    """Read the targets in one 成果指標 text (see the module docstring for the rules)."""
    source = re.sub(r"\s+", " ", str(text or "")).strip()
    s = _normalize(source)
    if not s:
        return TargetText(source, (), None)
    try:
        years = find_fiscal_years(s, dominant_era([s]))
    except FiscalYearError:  # an impossible year ('令和0年度'): read no years rather than fail
        years = []
    # A bare four-digit number is a count ('2000人'), not a year: a year here says 年 or names its era.
    years = [y for y in years if not re.fullmatch(r"\d{4}", y.text.strip())]
    # Blank out year mentions (same length, so positions stay valid) so their digits are never values.
    chars = list(s)
    for y in years:
        for i in range(y.start, y.end):
            chars[i] = " "
    masked = "".join(chars)

    raw: list[dict] = []  # found targets, in order
    leftovers: list[str] = []
    pending: dict | None = None  # a value with no name yet, waiting for the parenthesis after it
    for lo, hi, in_paren in _groups(masked):
        values = _find_values(masked, lo, hi)
        chunk = masked[lo:hi].strip()
        if not values:
            follows = raw[-1] if raw and in_paren and not masked[raw[-1]["region"][1]:lo - 1].strip() else None
            if follows is not None and _ANNOTATION_ONLY_RE.fullmatch(chunk):
                follows["region"] = (follows["region"][0], hi + 1)  # '(令和7年度目標)': the year of that value
            elif follows is not None and pending is follows and chunk:
                follows.update(name=_trim_name(chunk), region=(follows["region"][0], hi + 1))
            elif chunk:
                leftovers.append(f"({chunk})" if in_paren else chunk)
            pending = None
            continue
        prev = lo
        for idx, v in enumerate(values):
            part = masked[prev:v.start]
            spans = [(m.start(), m.group(0)) for m in re.finditer(r"\S+", part)]
            # '相談件数 年間 120件': a standalone 年間/約/計 belongs to the value, the word before it is the name.
            if len(spans) > 1 and spans[-1][1] in _VALUE_PREFIXES:
                spans[-2:] = [(spans[-2][0], spans[-2][1] + spans[-1][1])]
            # Earlier space-separated words with no number of their own are names without a target.
            if len(spans) > 1:
                leftovers.append(" ".join(t for _i, t in spans[:-1]))
            name_raw = spans[-1][1] if spans else ""
            region_start = prev + spans[-1][0] if spans else v.start
            entry = dict(name=_trim_name(name_raw), value=v, region=(region_start, v.end), year_per=False,
                         raw_name=name_raw)
            if "年間" in name_raw:
                entry["year_per"] = True
            last = idx == len(values) - 1
            if last:
                tail = masked[v.end:hi]
                if tail and not tail[0].isspace() and tail.strip() and tail[0] in _PARTICLES:
                    entry["name"] = _sentence_name(name_raw, tail.strip(), v.unit)
                    entry["region"] = (region_start, hi)
                    if not v.cmp:
                        v.cmp = "増" if "増" in tail else "減" if "減" in tail else ""
                elif tail.strip():
                    leftovers.append(tail.strip())
            raw.append(entry)
            pending = entry if not entry["name"] else None
            prev = v.end

    all_years = sorted({y.year for y in years})
    targets: list[TextTarget] = []
    seen: dict[str, int] = {}
    for e in raw:
        v: _Value = e["value"]
        name = e["name"] or (f"{v.unit}数" if v.unit and v.unit not in ("%",) and "/" not in v.unit else "成果指標")
        unit = v.unit or _unit_from_name(name)
        a, b = e["region"]
        own = [y.year for y in years if a <= y.start < b]
        if own:
            fy, how = own[-1], "text"
        elif len(all_years) == 1:
            fy, how = all_years[0], "text"
        elif default_fy is not None:
            fy, how = default_fy, "default"
        else:
            fy, how = None, "none"
        if unit == "%" and v.cmp in ("削減", "減少", "減", "増加", "増") and not name.endswith("率"):
            # '5%削減' is a target for the rate of change: the more reduction, the better.
            rate = "削減率" if v.cmp in _LOWER_CMP else "増加率"
            name = f"{name}の{rate}"
            direction, dsource, reason = "higher", "sheet", f"「{format_value(v.value)}%{v.cmp}」は{rate}の目標のため高いほど良い"
        else:
            direction, dsource, reason = _direction(name, v.cmp)
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:  # two targets with one name in one text: keep both
            name = f"{name}({seen[name]})"
        snippet = s[a:min(b, len(s))].strip()
        targets.append(TextTarget(
            name=name, value=v.value, unit=unit, fiscal_year=fy, year_source=how,
            per_year=v.per_year or e["year_per"], direction=direction, direction_source=dsource,
            direction_reason=reason, cumulative=is_cumulative_name(name), text=snippet))
    if not targets:
        return TargetText(source, (), source)
    rest = " ".join(t for t in leftovers if t.strip(" ()"))
    return TargetText(source, tuple(targets), rest or None)
