"""A grading rule said in Japanese, one sentence per label with its formula (the 評価ルール page
and the plan page show these), so that a person can check the rule against the city's own text."""

from __future__ import annotations

from kpi.rules.grading import (ITEM_GRADES, MEASURE_NAMES, ROUNDINGS, STATE_CONDITIONS, GradingRule, condition_text,
                               points)
from kpi.vocabulary import UNGRADED

FORMULAS: dict[str, str] = {
    "achievement": "達成率 = 実績 ÷ 計画（低いほど良い指標は 計画 ÷ 実績）",
    "progress": "進捗率 = (実績 − 基準値) ÷ (最終目標 − 基準値)（最終目標がなければその年度の計画値。低いほど良い指標も同じ式）",
    "baseline": "変化率 = (実績 − 基準値) ÷ |基準値|（低いほど良い指標は符号を反転し、良くなるほど大きい）",
}


def _meaning(text: str) -> str:
    return f"（{text}）" if text else ""


def rule_sentences(rule: GradingRule) -> tuple[str, ...]:
    """Best label first; then the ungraded states; then how the item's grade is made."""
    out: list[str] = []
    if rule.measure == "manual":
        for label in rule.labels:
            out.append(f"{label}{_meaning(rule.meaning(label))}: 自動では付けず、担当課・推進課が付けます。")
    else:
        for b in rule.bands:
            if b.hand_only:
                out.append(f"{b.label}{_meaning(b.meaning)}: 自動では付けず、担当課・推進課が付けます（自己評価で選べます）。")
                continue
            m = b.measure_of(rule.measure)
            out.append(f"{b.label}{_meaning(b.meaning)}: {MEASURE_NAMES[m]}が{condition_text(b, rule.measure).removeprefix('基準値から')}のとき"
                       f"（上の区分から順に判定）。{FORMULAS[m]}")
        out.append(f"{rule.default_label}{_meaning(rule.default_meaning)}: 上のどの区分の条件にも当たらないとき。")
        for b in rule.hand_labels:
            out.append(f"{b.label}{_meaning(b.meaning)}: 自動では付けず、担当課・推進課が付けます（自己評価で選べます）。")
    named = {c for c, _l in rule.auto_states}
    by_label: dict[str, list[str]] = {}
    for c, label in rule.auto_states:
        by_label.setdefault(label, []).append(STATE_CONDITIONS.get(c, c))
    for label, whens in by_label.items():
        out.append(f"{label}: {'、または'.join(whens)}とき（評価せず、この表示にします）。")
    rest = [STATE_CONDITIONS[c] for c in STATE_CONDITIONS if c not in named]
    if rule.measure != "manual" and rest:
        out.append(f"{UNGRADED}: {'・'.join(rest)}とき。")
    if rule.ungraded:
        out.append(f"{'・'.join(rule.ungraded)}: 担当課が記入する状態（順位をつけず、評価の件数とは別に数えます）。")
    for w, label in rule.text_grades:
        out.append(f"{label}: 定性の指標の実績が「{w}」のとき（文章の実績の評価）。")
    if rule.item_grade == "average":
        scale = "・".join(f"{l}={p}" for l, p in points(rule).items())
        out.append(f"取組の評価: 指標の評価の点数（{scale}）の平均を{ROUNDINGS[rule.rounding]}した点の区分。")
    elif rule.item_grade == "manual":
        out.append("取組の評価: 担当課が付けます（指標の評価からは決めません）。")
    else:
        out.append(f"取組の評価: {ITEM_GRADES['worst']}。")
    return tuple(out)
