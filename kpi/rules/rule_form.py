"""A plan's grading rule as the 評価ルール page edits it: the form's fields, turning a form into a rule
(with every problem in Japanese), and checking a rule that did not come from the page (a file's 評価方式
cell) with the same code."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Sequence

from kpi.errors import KpiError
from kpi.rules.grading import MEASURE_NAMES, PRESETS, Band, GradingRule

CURRENT = "current"

# What each row of the table is (the 種類 column): computed by its condition, the one that takes
# everything the rows above did not (それ以外), or set by people only.
KINDS: dict[str, str] = {"auto": "自動（条件）", "otherwise": "それ以外", "hand": "手動のみ"}
_KIND_OF_TEXT = {v: k for k, v in KINDS.items()} | {"自動": "auto", "条件": "auto", "手動": "hand"}
_MEASURE_OF_TEXT = {v: k for k, v in MEASURE_NAMES.items()} | {"変化率": "baseline", "基準値との比較": "baseline"}

Row = tuple  # (label, threshold %, meaning[, kind, measure, upper %, strict]); see _row


def _row(r: Sequence) -> tuple[str, float | None, str, str, str, float | None, bool]:
    """A row padded to its full form: rows of version 1 forms are (label, threshold, meaning) and
    the last of them is それ以外 (the kind '' means: decided by position)."""
    label, threshold, meaning = r[0], r[1], r[2]
    kind = r[3] if len(r) > 3 else ""
    measure = r[4] if len(r) > 4 else ""
    upper = r[5] if len(r) > 5 else None
    strict = bool(r[6]) if len(r) > 6 else False
    return label, threshold, meaning, kind, measure, upper, strict


class RuleInvalid(KpiError):
    title = "評価ルールに問題があります"


@dataclass(frozen=True)
class RuleForm:
    name: str
    measure: str
    rows: tuple[tuple[str, float | None, str], ...]  # (label, threshold in %, meaning), best first; last = それ以外
    lagging_below: str
    grace_months: int = 0
    first_half_lagging: str = ""  # words separated by 、 or ,
    ungraded: tuple[str, ...] = ()
    extra_self_labels: tuple[str, ...] = ()
    auto_states: tuple[tuple[str, str], ...] = ()  # (condition, label), see grading.STATE_CONDITIONS
    item_grade: str = "worst"
    rounding: str = "half_up"
    # The 実績 words of qualitative indicators and their grades, one '実施 = 達成' per line
    # (GradingRule.text_grades); empty: those indicators are graded by hand.
    text_grades: str = ""


def form_of(rule: GradingRule) -> RuleForm:
    def pct(v: float | None) -> float | None:
        return None if v is None else round(v * 100, 6)

    rows = tuple((b.label, pct(b.min_rate), b.meaning, "hand" if b.hand_only else "auto", b.measure,
                  pct(b.max_rate), b.strict) for b in rule.bands)
    rows += ((rule.default_label, None, rule.default_meaning, "otherwise", "", None, False),)
    rows += tuple((b.label, None, b.meaning, "hand", "", None, False) for b in rule.hand_labels)
    return RuleForm(rule.name, rule.measure, rows, rule.lagging_below, rule.actual_grace_months,
                    "、".join(rule.first_half_lagging), rule.ungraded, rule.extra_self_labels,
                    rule.auto_states, rule.item_grade, rule.rounding, text_grades_text(rule.text_grades))


def preset_of(rule: GradingRule) -> str:
    """The preset a rule equals, or CURRENT when it has been customised."""
    for key, preset in PRESETS.items():
        if preset == rule:
            return key
    return CURRENT


def _text(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v).strip()


def _percent(v: Any) -> float | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    try:
        f = float(str(v).replace("%", "").replace("％", "").strip())
    except ValueError:
        return None
    return None if math.isnan(f) else f


def rows_from_editor(records: Sequence[dict[str, Any]]) -> tuple[Row, ...]:
    """Rows of the page's table editor (区分 / 種類 / 評価に使う値 / しきい値 / 上限 / 超 / 意味); blank
    rows are dropped. Columns the editor does not show read as their defaults."""
    out = []
    for r in records:
        label = _text(r.get("区分"))
        threshold = _percent(r.get("しきい値（%以上）"))
        meaning = _text(r.get("意味"))
        kind_text = _text(r.get("種類"))
        kind = _KIND_OF_TEXT.get(kind_text, kind_text)
        measure_text = _text(r.get("評価に使う値"))
        measure = _MEASURE_OF_TEXT.get(measure_text, measure_text)
        upper = _percent(r.get("上限（%以下）"))
        strict = r.get("超（しきい値を含まない）") is True
        if label or threshold is not None or meaning:
            row = [label, threshold, meaning, kind, measure, upper, strict]
            while len(row) > 3 and (row[-1] is None or row[-1] is False or row[-1] == ""):
                row.pop()  # a version-1 row stays (label, threshold, meaning)
            out.append(tuple(row))
    return tuple(out)


def rule_from_form(form: RuleForm) -> tuple[GradingRule | None, tuple[str, ...]]:
    """The rule a form describes, or None with every problem found (in Japanese)."""
    problems: list[str] = []
    rows = [_row(r) for r in form.rows]
    # The それ以外 row: the one marked so, else the last row that is not hand-only.
    marked = [i for i, r in enumerate(rows) if r[3] == "otherwise"]
    if len(marked) > 1:
        problems.append("「それ以外」の区分は1つだけにしてください")
    computed = [i for i, r in enumerate(rows) if r[3] != "hand"]
    fallback = marked[0] if marked else (computed[-1] if computed else None)
    if len(rows) < 2 or fallback is None:
        problems.append("評価の区分は2つ以上必要です（最後の区分は「それ以外」として使います）")
        fallback = len(rows) - 1
    for i, (label, threshold, _m, kind, measure, upper, _s) in enumerate(rows[:fallback], start=1):
        if not label:
            problems.append(f"{i}行目: 区分名が空です")
        if threshold is None and form.measure != "manual" and kind != "hand":
            problems.append(f"{i}行目（{label or '区分名なし'}）: しきい値（%）を入れてください")
        if kind not in ("", "auto", "hand"):
            problems.append(f"{i}行目（{label or '区分名なし'}）: 種類「{kind[:20]}」はありません（{'・'.join(KINDS.values())} のいずれか）")
        if measure and measure not in MEASURE_NAMES:
            problems.append(f"{i}行目（{label or '区分名なし'}）: 評価に使う値「{measure[:20]}」はありません（{'・'.join(MEASURE_NAMES.values())} のいずれか）")
    if rows and fallback < len(rows) and not rows[fallback][0]:
        problems.append(f"{fallback + 1}行目: 最後の区分（それ以外）の名前が空です")
    for i, r in enumerate(rows[fallback + 1:], start=fallback + 2):
        if r[3] != "hand":
            problems.append(f"{i}行目（{r[0] or '区分名なし'}）: 「それ以外」より下に置けるのは「手動のみ」の区分です")
        if not r[0]:
            problems.append(f"{i}行目: 区分名が空です")
    if form.grace_months < 0 or form.grace_months > 24:
        problems.append("実績の報告を待つ月数は0〜24か月にしてください")
    text_grades, text_problems = text_grades_from_text(form.text_grades)
    problems += text_problems
    if problems:
        return None, tuple(problems)
    # A hand-graded plan needs no thresholds: the bands only name the labels, kept in order.
    n = fallback
    bands = tuple(Band(label, (threshold if threshold is not None else float((n - i) * 10)) / 100, meaning,
                       measure if form.measure != "manual" else "", None if upper is None else upper / 100,
                       strict, kind == "hand")
                  for i, (label, threshold, meaning, kind, measure, upper, strict) in enumerate(rows[:fallback]))
    hand = tuple(Band(r[0], 0.0, r[2], hand_only=True) for r in rows[fallback + 1:])
    words = tuple(w for w in (s.strip() for s in re.split(r"[、,，\n]", form.first_half_lagging)) if w)
    rule = GradingRule(name=form.name.strip() or "独自の評価ルール", measure=form.measure,  # type: ignore[arg-type]
                       bands=bands, default_label=rows[fallback][0], default_meaning=rows[fallback][2],
                       ungraded=form.ungraded or GradingRule().ungraded, lagging_below=form.lagging_below,
                       first_half_lagging=words or GradingRule().first_half_lagging,
                       actual_grace_months=int(form.grace_months), extra_self_labels=form.extra_self_labels,
                       hand_labels=hand, auto_states=tuple(form.auto_states), item_grade=form.item_grade,
                       rounding=form.rounding, text_grades=text_grades)
    problems = rule.validate()
    if problems:
        return None, tuple(problems)
    return rule, ()


_PAIR = re.compile(r"\s*(.+?)\s*(?:=|＝|→|->)\s*(.+?)\s*")


def text_grades_from_text(text: str) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """The page's box of text matches, one per line: '実施 = 達成' (or 実施 → 達成). Returns the pairs,
    and the lines that are not of that form, in Japanese."""
    pairs: list[tuple[str, str]] = []
    problems: list[str] = []
    for i, line in enumerate(str(text or "").splitlines(), start=1):
        if not line.strip():
            continue
        m = _PAIR.fullmatch(line)
        if m is None:
            problems.append(f"文章の実績の評価 {i}行目「{line.strip()[:20]}」は「実施 = 達成」の形で書いてください")
            continue
        pairs.append((m.group(1), m.group(2)))
    return tuple(pairs), tuple(problems)


def text_grades_text(pairs: Sequence[tuple[str, str]]) -> str:
    """The pairs as the page's box shows them (text_grades_from_text reads it back)."""
    return "\n".join(f"{w} = {label}" for w, label in pairs)


def check_rule(text: str) -> tuple[GradingRule | None, tuple[str, ...]]:
    """A rule that did not come from this page (a file's 評価方式 cell, JSON) checked by the page's
    own code: its shape first (GradingRule.parse_json), then the form the page would show for it
    through rule_from_form, exactly as if a person had typed it here. Returns the rule the page
    would save, or None and every problem in Japanese."""
    rule, problems = GradingRule.parse_json(text)
    if rule is None:
        return None, problems
    return rule_from_form(form_of(rule))
