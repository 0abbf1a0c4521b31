"""Issue 16: the rule said as one Japanese sentence per label, with the formula naming the measure."""

from __future__ import annotations

import pytest

from kpi.rules.grading import PRESETS
from kpi.rules.scheme import rule_sentences


@pytest.mark.parametrize("key, expected", [
    ("abc", ["A（目標を達成）: 達成率が100%以上のとき（上の区分から順に判定）。達成率 = 実績 ÷ 計画（低いほど良い指標は 計画 ÷ 実績）",
             "C（努力を要する）: 上のどの区分の条件にも当たらないとき。", "取組の評価: 最も低い指標の評価。"]),
    ("target_baseline", ["B（基準値を上回る）: 基準値からの変化率が0%超のとき（上の区分から順に判定）。変化率 = (実績 − 基準値) ÷ |基準値|",
                         "C（基準値程度（10%減まで））: 基準値からの変化率が-10%以上のとき",
                         "−: 実績がない、または値はあるが算出できない（基準値が0・基準値がない など）とき（評価せず、この表示にします）。",
                         "評価なし: 目標（計画値）がないとき"]),
    ("with_hand_only", ["D（外部要因により進められない）: 自動では付けず、担当課・推進課が付けます（自己評価で選べます）。"]),
    ("self_vs_plan", ["S（計画以上に進んだ）: 自動では付けず、担当課・推進課が付けます。",
                      "取組の評価: 担当課が付けます（指標の評価からは決めません）。"]),
    ("points_average", ["取組の評価: 指標の評価の点数（S=4・A=3・B=2・C=1）の平均を四捨五入した点の区分。"]),
])
def test_one_sentence_per_label(key, expected):
    rule = PRESETS[key]
    sentences = rule_sentences(rule)
    for e in expected:
        assert any(s.startswith(e) for s in sentences), (e, sentences)
    for label in rule.labels:  # every label has its sentence
        assert sum(s.startswith(f"{label}（") or s.startswith(f"{label}:") for s in sentences) == 1
