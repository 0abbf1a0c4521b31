"""Automatic grades from a plan's own rule set, and how they compare with self-grades.

Cities grade differently: A/B/C, S–D, ◎○△×, 順調/おおむね順調/努力を要する;
against the target (達成率), against progress from the baseline (進捗率), or
against the baseline itself (改善/横ばい/悪化); some only ever by hand. So the
labels, thresholds and the measure belong to the plan (stored as JSON) and
every grade carries what explains it: the code of why and the numbers, made into a
sentence (describe_grade) when the grade is shown.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from typing import Literal, Sequence

from kpi.rules.frozen import quick_init
from kpi.rules.numbers import format_number, format_percent
from kpi.rules.rates import Direction, Rate, achievement_rate, change_from_baseline, progress_rate
from kpi.vocabulary import (UNGRADED, UNGRADED_HAND_HEADLINE, UNGRADED_HAND_MEANING, UNGRADED_HEADLINE,
                            UNGRADED_MEANING, UNGRADED_STATES)

Measure = Literal["achievement", "progress", "baseline", "manual"]

MEASURE_LABELS: dict[str, str] = {
    "achievement": "達成率（実績 ÷ 計画）",
    "progress": "進捗率（基準値から目標への進み具合）",
    "baseline": "基準値との比較（改善・横ばい・悪化）",
    "manual": "自動評価なし（担当課・推進課が評価）",
}

_MEASURE_CHOICES = "・".join(f"{k}（{v.split('（')[0]}）" for k, v in MEASURE_LABELS.items())


# The version to_json writes. Version 1 (no "version" key, before issue 16) had one measure for every
# label and nothing else; it reads as version 2 with the new fields at their defaults, which grade
# exactly as version 1 did (migration 1600_rule_versions marks stored rules as version 1).
RULE_VERSION = 2

# Conditions under which an indicator stays ungraded, each of which a plan may name (評価なし, −…).
STATE_CONDITIONS: dict[str, str] = {
    "no_target": "目標（計画値）がない",
    "no_actual": "実績がない",
    "not_measurable": "値はあるが算出できない（基準値が0・基準値がない など）",
}

# How an item's grade comes from its indicators' grades.
ITEM_GRADES: dict[str, str] = {
    "worst": "最も低い指標の評価",
    "average": "指標の評価の点数の平均",
    "manual": "取組の評価は手で付ける",
}
ROUNDINGS: dict[str, str] = {"half_up": "四捨五入", "down": "切り捨て", "up": "切り上げ"}


@dataclass(frozen=True)
class Band:
    label: str
    min_rate: float  # lower bound, as a fraction (1.0 = 100%); inclusive unless strict
    meaning: str = ""
    # The measure this label is judged on; "" = the rule's measure (all of version 1).
    measure: str = ""
    # An upper bound too (a band such as 横ばい: −10%〜+10%), inclusive.
    max_rate: float | None = None
    # True: the value must be beyond min_rate (基準値を上回る), not merely reach it.
    strict: bool = False
    # Never computed: only a person sets it (D = 外部要因待ち). Its threshold is not used.
    hand_only: bool = False

    def measure_of(self, rule_measure: str) -> str:
        return self.measure or rule_measure

    def holds(self, value: float) -> bool:
        low = value > self.min_rate + 1e-12 if self.strict else value >= self.min_rate - 1e-12
        return low and (self.max_rate is None or value <= self.max_rate + 1e-12)


@dataclass(frozen=True)
class GradingRule:
    name: str = "A・B・C（達成率）"
    measure: Measure = "achievement"
    bands: tuple[Band, ...] = (Band("A", 1.0, "目標を達成"), Band("B", 0.8, "おおむね順調"))
    default_label: str = "C"
    default_meaning: str = "努力を要する"
    # States a person may record that are not grades and are never ranked.
    ungraded: tuple[str, ...] = UNGRADED_STATES
    # An automatic grade or a self-grade worse than this marks the item as lagging.
    lagging_below: str = "B"
    # 上半期 entries that mean "behind schedule".
    first_half_lagging: tuple[str, ...] = ("進捗に遅れあり", "遅れあり", "遅れている", "努力を要する", "やや遅れ")
    # Months after a fiscal year ends before a missing actual counts as overdue.
    actual_grace_months: int = 0
    # Extra labels accepted as self-grades besides the scheme (e.g. '―').
    extra_self_labels: tuple[str, ...] = ()
    # Labels only people set, ranked below default_label (D 外部要因待ち, × 進捗なし・終了).
    hand_labels: tuple[Band, ...] = ()
    # (condition, label): what an indicator shows when it cannot be graded, per STATE_CONDITIONS
    # ('no_target', '評価なし'); a condition not named shows as 未評価 as before.
    auto_states: tuple[tuple[str, str], ...] = ()
    # How an item's grade comes from its indicators (ITEM_GRADES) and, for the average, how it rounds.
    item_grade: str = "worst"
    rounding: str = "half_up"
    # (words, label): a qualitative indicator's 実績 in words and the grade the plan gives it
    # (('実施', '達成'), ('実施済', 'A')); words no pair names are graded by hand. Empty (every rule
    # stored before issue 16 item 8): every qualitative indicator is graded by hand.
    text_grades: tuple[tuple[str, str], ...] = ()
    # Set only on the default rule standing in for a stored rule that could not be read:
    # what was wrong, in Japanese, for the page or export to show. Never stored, never compared.
    notice: str = field(default="", compare=False, repr=False)

    @cached_property
    def labels(self) -> tuple[str, ...]:
        """Best first, hand-only labels included (they rank like any other)."""
        return tuple(b.label for b in self.bands) + (self.default_label,) + tuple(b.label for b in self.hand_labels)

    @cached_property
    def computed_labels(self) -> tuple[str, ...]:
        """The labels an automatic grade can have, best first."""
        return tuple(b.label for b in self.bands if not b.hand_only) + (self.default_label,)

    @cached_property
    def hand_only_labels(self) -> tuple[str, ...]:
        return tuple(b.label for b in self.bands if b.hand_only) + tuple(b.label for b in self.hand_labels)

    @property
    def computed_bands(self) -> tuple[Band, ...]:
        return tuple(b for b in self.bands if not b.hand_only)

    @property
    def state_labels(self) -> tuple[str, ...]:
        """Every named ungraded state: the plan's conditions' names, then the ones people set."""
        out: list[str] = []
        for _c, label in self.auto_states:
            if label not in out:
                out.append(label)
        return tuple(out) + tuple(s for s in self.ungraded if s not in out)

    def state_for(self, condition: str) -> str | None:
        for c, label in self.auto_states:
            if c == condition:
                return label
        return None

    @property
    def measures(self) -> tuple[str, ...]:
        """The measures the computed labels use (one for a version-1 rule)."""
        out: list[str] = []
        for b in self.computed_bands:
            m = b.measure_of(self.measure)
            if m not in out:
                out.append(m)
        return tuple(out) or (self.measure,)

    @property
    def mixed(self) -> bool:
        return self.measure != "manual" and len(self.measures) > 1

    @property
    def hand_graded(self) -> bool:
        """Items are graded by people: self-grades are what the summaries count."""
        return self.measure == "manual" or self.item_grade == "manual"

    @property
    def self_grade_labels(self) -> tuple[str, ...]:
        out: list[str] = []
        for label in self.labels + self.state_labels + self.extra_self_labels:
            if label not in out:
                out.append(label)
        return tuple(out)

    def rank(self, label: str | None) -> int | None:
        """0 is the best grade; None for ungraded states and unknown labels."""
        if label is None:
            return None
        label = normalize_label(label)
        return self.labels.index(label) if label in self.labels else None

    def is_worse_than(self, label: str | None, threshold: str) -> bool:
        r, t = self.rank(label), self.rank(threshold)
        return r is not None and t is not None and r > t

    def text_label(self, words: str | None) -> str | None:
        """The label the rule gives a 実績 written in words, or None when no pair names them."""
        if not words:
            return None
        key = text_key(words)
        for w, label in self.text_grades:
            if text_key(w) == key:
                return label
        return None

    def meaning(self, label: str) -> str:
        for b in self.bands + self.hand_labels:
            if b.label == label:
                return b.meaning
        return self.default_meaning if label == self.default_label else ""

    def describe(self) -> str:
        """The scheme in one line: 'A: 100%以上 / B: 80%以上 / C: それ以外（達成率）'."""
        if self.measure == "manual":
            text = f"{' / '.join(self.labels)}（{MEASURE_LABELS['manual']}）"
        else:
            parts = []
            for b in self.bands:
                if b.hand_only:
                    parts.append(f"{b.label}: 手動のみ")
                elif self.mixed:
                    parts.append(f"{b.label}: {MEASURE_NAMES.get(b.measure_of(self.measure), '')} {condition_text(b, self.measure)}")
                else:
                    parts.append(f"{b.label}: {condition_text(b, self.measure)}")
            parts.append(f"{self.default_label}: それ以外")
            parts += [f"{b.label}: 手動のみ" for b in self.hand_labels]
            tail = "評価値は区分ごと" if self.mixed else MEASURE_LABELS.get(self.measure, self.measure)
            text = " / ".join(parts) + f"（{tail}）"
        extras = [f"{label}: {STATE_CONDITIONS.get(c, c)}とき" for c, label in self.auto_states]
        if self.text_grades:
            extras.append("文章の実績: " + "・".join(f"「{w}」→{label}" for w, label in self.text_grades))
        if self.item_grade != "worst":
            extras.append(f"取組の評価: {ITEM_GRADES.get(self.item_grade, self.item_grade)}"
                          + (f"（{ROUNDINGS.get(self.rounding, self.rounding)}）" if self.item_grade == "average" else ""))
        return text + ("　" + " / ".join(extras) if extras else "")

    def validate(self) -> list[str]:
        """Problems with a rule set someone is about to save, in Japanese."""
        problems = []
        labels = self.labels
        if len(set(labels)) != len(labels):
            problems.append("評価の区分名が重複しています")
        if any(not str(l).strip() for l in labels):
            problems.append("空の区分名があります")
        for m in self.measures:
            mins = [b.min_rate for b in self.computed_bands if b.measure_of(self.measure) == m and b.max_rate is None]
            if any(a <= b for a, b in zip(mins, mins[1:])):
                problems.append("しきい値は上の区分ほど大きくしてください"
                                + (f"（{MEASURE_NAMES.get(m, m)}の区分どうし）" if self.mixed else ""))
        for b in self.computed_bands:
            if b.max_rate is not None and b.max_rate < b.min_rate:
                problems.append(f"区分「{b.label}」の上限が下限より小さくなっています")
            if b.measure and b.measure not in MEASURE_NAMES:
                problems.append(f"区分「{b.label}」の評価に使う値「{b.measure[:20]}」はありません")
        if self.measure != "manual" and not self.computed_bands:
            problems.append("自動評価には少なくとも1つのしきい値が必要です")
        states = self.state_labels
        if set(states) & set(labels):
            if set(self.ungraded) & set(labels):
                problems.append("評価外の状態と評価の区分に同じ名前があります")
            else:
                problems.append("評価できないときの表示と評価の区分に同じ名前があります")
        for c, label in self.auto_states:
            if c not in STATE_CONDITIONS:
                problems.append(f"評価できないときの条件「{c[:20]}」はありません（{'・'.join(STATE_CONDITIONS)} のいずれか）")
            if not str(label).strip():
                problems.append("評価できないときの表示が空です")
        if len({c for c, _l in self.auto_states}) != len(self.auto_states):
            problems.append("評価できないときの条件が重複しています")
        if self.item_grade not in ITEM_GRADES:
            problems.append(f"取組の評価の決め方「{str(self.item_grade)[:20]}」はありません（{'・'.join(ITEM_GRADES)} のいずれか）")
        if self.rounding not in ROUNDINGS:
            problems.append(f"端数の扱い「{str(self.rounding)[:20]}」はありません（{'・'.join(ROUNDINGS)} のいずれか）")
        texts = [text_key(w) for w, _l in self.text_grades]
        if any(not t for t in texts):
            problems.append("文章の実績の評価に、空の文章があります")
        if len(set(texts)) != len(texts):
            problems.append("文章の実績の評価に、同じ文章が2回あります")
        for w, label in self.text_grades:
            if label not in labels:
                problems.append(f"文章の実績「{w[:20]}」の評価「{label[:20]}」が区分にありません（{'・'.join(labels)}）")
        if self.lagging_below not in labels:
            problems.append(f"「遅れ」とみなす基準の区分「{self.lagging_below}」が区分にありません")
        if self.measure not in MEASURE_LABELS:
            problems.append(f"測り方「{str(self.measure)[:20]}」はありません（{_MEASURE_CHOICES} のいずれか）")
        return problems

    def to_json(self) -> str:
        data = {"version": RULE_VERSION, **asdict(self)}
        data.pop("notice", None)
        return json.dumps(data, ensure_ascii=False)

    @staticmethod
    def parse_json(text: object) -> tuple["GradingRule | None", tuple[str, ...]]:
        """A rule from JSON that anyone may have written (a file's 評価方式 cell, a stored value):
        the rule, or None and every problem with its shape, in Japanese. Whether the rule makes
        sense (labels, thresholds in order) is kpi.rules.rule_form.check_rule's job, as on the page."""
        from kpi.rules.bounds import MAX_NAME, number_problem, text_problem
        if not isinstance(text, str) or not text.strip():
            return None, ("評価ルールが空です",)
        if len(text) > 20_000:
            return None, ("評価ルールが長すぎます（20,000文字まで）",)
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return None, ("評価ルールを JSON として読めません",)
        if not isinstance(data, dict):
            return None, ("評価ルールは {…} の形の JSON で書いてください",)
        problems: list[str] = []

        def label(v: object, what: str) -> str:
            if not isinstance(v, str):
                problems.append(f"{what}は文字で書いてください")
                return ""
            why = text_problem(v, MAX_NAME)
            if why:
                problems.append(f"{what}: {why}")
            return v

        def labels(v: object, what: str) -> tuple[str, ...]:
            if not isinstance(v, list) or len(v) > 50:
                problems.append(f"{what}は50個までの文字の並び（[\"…\", …]）で書いてください")
                return ()
            return tuple(label(x, what) for x in v)

        kw: dict = {}
        if "name" in data:
            kw["name"] = label(data["name"], "ルールの名前")
        if "measure" in data:
            kw["measure"] = label(data["measure"], "測り方")
            if kw["measure"] and kw["measure"] not in MEASURE_LABELS:
                problems.append(f"測り方「{kw['measure'][:20]}」はありません（{_MEASURE_CHOICES} のいずれか）")
        if "version" in data:
            v = data["version"]
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= RULE_VERSION:
                problems.append(f"評価ルールの版（version）「{str(v)[:10]}」は読めません（1〜{RULE_VERSION}）")

        def read_bands(raw: object, key: str, what: str) -> tuple[Band, ...]:
            if not isinstance(raw, list) or len(raw) > 20:
                problems.append(f"{what}（{key}）は20個までの並びで書いてください")
                raw = []
            bands = []
            for i, b in enumerate(raw, start=1):
                if not isinstance(b, dict):
                    problems.append(f"{i}番目の区分は {{\"label\": …, \"min_rate\": …}} の形で書いてください")
                    continue

                def rate_of(k: str, default: float | None) -> float | None:
                    rate = b.get(k, default)
                    if rate is None and default is None:
                        return None
                    if isinstance(rate, bool) or not isinstance(rate, (int, float)):
                        problems.append(f"{i}番目の区分のしきい値（{k}）は数値で書いてください")
                        return 0.0
                    if number_problem(rate) or abs(rate) > 1e6:
                        problems.append(f"{i}番目の区分のしきい値（{k}）が大きすぎます")
                        return 0.0
                    return float(rate)

                rate = b.get("min_rate")
                if key == "hand_labels" and rate is None:
                    rate = 0.0
                elif isinstance(rate, bool) or not isinstance(rate, (int, float)):
                    problems.append(f"{i}番目の区分のしきい値（min_rate）は数値で書いてください")
                    rate = 0.0
                elif number_problem(rate) or abs(rate) > 1e6:
                    problems.append(f"{i}番目の区分のしきい値（min_rate）が大きすぎます")
                    rate = 0.0
                measure = label(b.get("measure", ""), f"{i}番目の区分の評価に使う値")
                if measure and measure not in MEASURE_NAMES:
                    problems.append(f"{i}番目の区分の評価に使う値「{measure[:20]}」はありません（{'・'.join(MEASURE_NAMES)} のいずれか）")
                flags = {}
                for flag in ("strict", "hand_only"):
                    if flag in b:
                        if not isinstance(b[flag], bool):
                            problems.append(f"{i}番目の区分の {flag} は true か false で書いてください")
                        else:
                            flags[flag] = b[flag]
                if key == "hand_labels":
                    flags["hand_only"] = True
                bands.append(Band(label(b.get("label"), f"{i}番目の区分名"), float(rate),
                                  label(b.get("meaning", ""), f"{i}番目の区分の意味"), measure,
                                  rate_of("max_rate", None), **flags))
            return tuple(bands)

        if "bands" in data:
            kw["bands"] = read_bands(data["bands"], "bands", "区分")
        if "hand_labels" in data:
            kw["hand_labels"] = read_bands(data["hand_labels"], "hand_labels", "手動のみの区分")
        def pairs(key: str, most: int, shape: str, first: str, second: str) -> None:
            raw = data[key]
            if not isinstance(raw, list) or len(raw) > most or not all(isinstance(x, list) and len(x) == 2 for x in raw):
                problems.append(shape)
            else:
                kw[key] = tuple((label(a, first), label(b, second)) for a, b in raw)
        if "auto_states" in data:
            pairs("auto_states", 10, "評価できないときの表示（auto_states）は [[\"no_target\", \"評価なし\"], …] の形で書いてください",
                  "評価できないときの条件", "評価できないときの表示")
        if "text_grades" in data:
            pairs("text_grades", 50, "文章の実績の評価（text_grades）は [[\"実施\", \"達成\"], …] の形で50組まで書いてください",
                  "文章の実績", "文章の実績の評価")
        for key, what in (("item_grade", "取組の評価の決め方"), ("rounding", "端数の扱い")):
            if key in data:
                kw[key] = label(data[key], what)
        for key, what in (("default_label", "最後の区分名"), ("default_meaning", "最後の区分の意味"),
                          ("lagging_below", "「遅れ」とみなす基準の区分")):
            if key in data:
                kw[key] = label(data[key], what)
        for key, what in (("ungraded", "評価外の状態"), ("first_half_lagging", "上半期の遅れを表す言葉"),
                          ("extra_self_labels", "自己評価に使える追加の区分")):
            if key in data:
                kw[key] = labels(data[key], what)
        if "actual_grace_months" in data:
            m = data["actual_grace_months"]
            if isinstance(m, bool) or not isinstance(m, int) or not 0 <= m <= 24:
                problems.append("実績の報告を待つ月数（actual_grace_months）は0〜24の整数で書いてください")
            else:
                kw["actual_grace_months"] = m
        if problems:
            return None, tuple(problems)
        return GradingRule(**kw), ()

    @staticmethod
    def from_json(text: str | None) -> "GradingRule":
        """A stored rule. Never raises: a rule that cannot be read or makes no sense comes back as
        the default rule with notice saying why, so pages and exports still work and say so."""
        if not text:
            return DEFAULT_RULE
        rule, problems = GradingRule.parse_json(text)
        if rule is not None:
            problems = tuple(rule.validate())
        if problems:
            return replace(DEFAULT_RULE, notice=(
                f"保存されている評価ルールを読めないため、既定のルール「{DEFAULT_RULE.name}」で評価しています"
                f"（{'、'.join(problems[:3])}）。管理者は「評価ルール」画面で設定し直してください"))
        return rule


def _threshold(measure: Measure, min_rate: float) -> str:
    if measure == "baseline":
        sign = "+" if min_rate > 0 else ""
        return f"基準値から{sign}{min_rate * 100:g}%以上"
    return f"{min_rate * 100:g}%以上"


# The measures a label may be judged on, as the page and the sentences name them.
MEASURE_NAMES: dict[str, str] = {"achievement": "達成率", "progress": "進捗率", "baseline": "基準値からの変化率"}


def condition_text(band: Band, rule_measure: str) -> str:
    """A band's condition: '100%以上', '基準値から−10%以上+10%以下', '基準値から0%超'. A version-1 band
    (inclusive, no upper bound) reads exactly as before."""
    measure = band.measure_of(rule_measure)
    if band.max_rate is None and not band.strict:
        return _threshold(measure, band.min_rate)  # type: ignore[arg-type]

    def pct(v: float, signed: bool) -> str:
        sign = "+" if signed and v > 0 else ""
        return f"{sign}{v * 100:g}%"

    signed = measure == "baseline"
    text = ("基準値から" if signed else "") + pct(band.min_rate, signed) + ("超" if band.strict else "以上")
    if band.max_rate is not None:
        text += pct(band.max_rate, signed) + "以下"
    return text


DEFAULT_RULE = GradingRule()

PRESETS: dict[str, GradingRule] = {
    "abc": DEFAULT_RULE,
    "sabcd": GradingRule(
        name="S・A・B・C・D（達成率）",
        bands=(Band("S", 1.2, "目標を大きく上回る"), Band("A", 1.0, "目標を達成"),
               Band("B", 0.8, "おおむね順調"), Band("C", 0.6, "やや遅れ")),
        default_label="D", default_meaning="遅れ", lagging_below="B"),
    "marks": GradingRule(
        name="◎・○・△・×（達成率）",
        bands=(Band("◎", 1.0, "達成"), Band("○", 0.8, "おおむね達成"), Band("△", 0.5, "一部達成")),
        default_label="×", default_meaning="未達成", lagging_below="○"),
    "words": GradingRule(
        name="順調・おおむね順調・努力を要する（達成率）",
        bands=(Band("順調", 1.0), Band("おおむね順調", 0.8)),
        default_label="努力を要する", lagging_below="おおむね順調"),
    "progress": GradingRule(
        name="A・B・C（進捗率）", measure="progress",
        bands=(Band("A", 1.0, "目標に到達"), Band("B", 0.5, "半分以上進んだ")),
        default_label="C", default_meaning="進捗が半分未満"),
    "baseline": GradingRule(
        name="改善・横ばい・悪化（基準値との比較）", measure="baseline",
        bands=(Band("改善", 0.01), Band("横ばい", -0.01)),
        default_label="悪化", lagging_below="横ばい"),
    # Grades set by hand only: the bands just name the labels (their thresholds are not used).
    "manual": GradingRule(name="A・B・C（手動評価のみ）", measure="manual",
                          bands=(Band("A", 1.0, "順調"), Band("B", 0.8, "おおむね順調")),
                          default_label="C", default_meaning="努力を要する", lagging_below="B"),
    # The scheme classes of issue 16, with neutral labels. Each label on its own measure: the top
    # grade against the target, the next ones against the baseline (a tolerance of 10 % below
    # counts as 'at its level'); − when it cannot be measured, 評価なし without a target.
    "target_baseline": GradingRule(
        name="目標と基準値の併用（A〜D）", measure="achievement",
        bands=(Band("A", 1.0, "目標を達成"), Band("B", 0.0, "基準値を上回る", measure="baseline", strict=True),
               Band("C", -0.1, "基準値程度（10%減まで）", measure="baseline")),
        default_label="D", default_meaning="基準値を下回る", lagging_below="B",
        auto_states=(("no_target", "評価なし"), ("no_actual", "−"), ("not_measurable", "−"))),
    # Computed S–C with a hand-only D the computed grades never reach.
    "with_hand_only": GradingRule(
        name="S・A・B・C＋手動のみのD（達成率）",
        bands=(Band("S", 1.2, "目標を大きく上回る"), Band("A", 1.0, "目標を達成"), Band("B", 0.8, "おおむね順調")),
        default_label="C", default_meaning="遅れ", lagging_below="B",
        hand_labels=(Band("D", 0.0, "外部要因により進められない", hand_only=True),)),
    # Departments grade themselves against the yearly plan; items are graded by hand.
    "self_vs_plan": GradingRule(
        name="年度計画に対する自己評価（S〜C）", measure="manual",
        bands=(Band("S", 1.2, "計画以上に進んだ"), Band("A", 1.0, "計画どおり"), Band("B", 0.8, "やや遅れ")),
        default_label="C", default_meaning="ほとんど進まなかった", lagging_below="A", item_grade="manual",
        hand_labels=(Band("×", 0.0, "進捗なし・事業終了", hand_only=True),),
        auto_states=(("no_target", "評価なし"),), ungraded=("完了", "未着手", "評価対象外")),
    # The item's grade is the average of its indicators' points, rounded half up.
    "points_average": GradingRule(
        name="S・A・B・C（達成率、取組は点数の平均）",
        bands=(Band("S", 1.2, "目標を大きく上回る"), Band("A", 1.0, "目標を達成"), Band("B", 0.8, "おおむね順調")),
        default_label="C", default_meaning="努力を要する", lagging_below="B", item_grade="average",
        rounding="half_up", auto_states=(("no_target", "評価なし"),)),
}


def normalize_label(label: str) -> str:
    import unicodedata
    s = unicodedata.normalize("NFKC", str(label)).strip()
    return s.upper() if len(s) == 1 and s.isascii() else s


_DASHES = "-−－―‐ー—–"


def text_key(words: str) -> str:
    """Words as compared with the rule's text matches: full- and half-width, and spaces, do not count."""
    import unicodedata
    return "".join(unicodedata.normalize("NFKC", str(words)).split())


def match_self_label(rule: GradingRule, text: str | None) -> str | None:
    """The rule's own spelling of a self-grade someone typed, or None when the rule has no such
    label or state. Dashes are one mark (a city's − is typed as -, ー or ― just as often)."""
    if not text:
        return None
    t = normalize_label(text)
    labels = rule.self_grade_labels
    if t in labels:
        return t
    if len(t) == 1 and t in _DASHES:
        for label in labels:
            if len(label) == 1 and label in _DASHES:
                return label
    return None


@dataclass(frozen=True)
class Unjudged:
    """A label of a mixed rule passed over because its measure's value could not be computed:
    `why` is a GRADE_WHYS code when there is no rate at all (no_target, no_goal, no_target_set),
    else `rate` holds the rate and the code of why it has no value."""

    label: str
    measure: str
    why: str = ""
    rate: Rate | None = None

    @property
    def cause(self) -> str:
        """Why the value is missing, as a sentence: 'この年度の計画値がない…' or the rate's reason."""
        if self.rate is not None:
            return self.rate.reason
        return GRADE_WHYS.get(self.why) or self.why


@quick_init
@dataclass(frozen=True)
class Grade:
    """A grade as data: the label, the code of why (`why`) and the numbers behind it.

    describe_grade() (and the `reason` property) makes the sentence a manager can repeat from
    these, when the grade is shown: '達成率 83.3%（55 ÷ 66 = 83.3%）が B の基準（80%以上）を満たすため B'.
    """

    label: str | None  # None when not graded
    why: str = "band"  # a key of GRADE_WHYS
    rate: Rate | None = None  # the value that decided (its name and formula name the measure)
    status: Literal["graded", "ungraded"] = "graded"
    band: Band | None = None  # "band": the band met; "below": the last band, missed
    measure: str = "achievement"  # the rule's measure (a band without its own measure is read on it)
    indicator: str = ""  # an item's grade ("one", "worst"): the indicator that decided it
    basis: "Grade | None" = None  # … and that indicator's own grade
    named: tuple[tuple[str, "Grade"], ...] = ()  # "worst"/"average": the graded indicators; "none_gradable": every one
    # Ungraded: the plan's name for why (評価なし, −), or None (shown as 未評価).
    state: str | None = None
    # Ungraded: which STATE_CONDITIONS condition applied ('' when none of them).
    condition: str = ""
    # A mixed rule: the labels above the decision that could not be judged (and why).
    unjudged: tuple[Unjudged, ...] = ()
    # "average": the points of each computed label, best first, and how the mean was rounded.
    scale: tuple[tuple[str, int], ...] = ()
    rounding: str = "half_up"
    # "text" / "text_by_hand": the 実績 in words that decided (a qualitative indicator).
    words: str = ""

    @property
    def graded(self) -> bool:
        return self.label is not None

    @property
    def shown(self) -> str:
        """What a table shows: the grade, the plan's name for the ungraded state, or 未評価."""
        return self.label or self.state or UNGRADED

    @property
    def formula(self) -> str:
        return self.rate.formula if self.rate is not None else ""

    @property
    def reason(self) -> str:
        return describe_grade(self)


# Why a grade is what it is, each code with its fixed sentence (None: made from the grade's numbers).
GRADE_WHYS: dict[str, str | None] = {
    "band": None,  # the rate meets a band's threshold
    "below": None,  # the rate misses the last band: the scheme's last label
    "default_only": None,  # a scheme without bands: always its last label
    "no_rate": None,  # the rate cannot be computed
    "manual": "この計画は自動評価を行いません（手動評価のみ）",
    "no_target": "この年度の計画値がないため評価しません",
    "no_goal": "目標値がないため評価しません",
    "no_target_set": "目標が設定されていないため評価しません",
    "no_indicators": "数値目標のある指標がないため評価しません",
    "no_year_target": "この年度の計画値がある指標がないため評価しません",
    "none_gradable": None,  # an item none of whose indicators could be graded
    "one": None,  # an item graded by its one graded indicator
    "worst": None,  # an item graded by the worst of its indicators
    "no_measure": None,  # a mixed rule: no label's value can be computed
    "unjudged_below": None,  # a mixed rule: the computed labels missed, an unjudged one might have held
    "item_manual": "この計画では取組の評価を担当課が付けます（指標の評価から自動では決めません）",
    "average": None,  # an item graded by the mean of its indicators' points
    "text": None,  # a qualitative indicator: the 実績's words are one of the rule's text matches
    "text_by_hand": None,  # a qualitative indicator whose words the rule does not grade: graded by hand
    "text_no_actual": "文章の実績がまだないため評価しません",
}


def _plain(reason: str) -> str:
    """A reason in the plain form that goes before ため: '基準値がありません' → '基準値がない'."""
    reason = reason.rstrip("。").removesuffix("ため評価しません")
    for polite, plain in (("がありません", "がない"), ("されていません", "されていない"), ("出せません", "出せない"),
                          ("できません", "できない")):
        if reason.endswith(polite):
            return reason[: -len(polite)] + plain
    return reason


def _unjudged_text(unjudged: Sequence[Unjudged]) -> str:
    return "、".join(f"{u.label}（{MEASURE_NAMES.get(u.measure, u.measure)}）は{_plain(u.cause)}" for u in unjudged)


def describe_grade(grade: Grade) -> str:
    """The sentence that explains a grade (no fiscal year in it, so the same in every display style)."""
    why = grade.why
    fixed = GRADE_WHYS.get(why)
    if fixed is not None:
        return fixed
    rate = grade.rate
    if why == "no_rate" and rate is not None:
        return f"{rate.name}を算出できないため評価しません（{rate.reason}）"
    if why in ("band", "below", "default_only", "unjudged_below") and rate is not None:
        shown = f"{rate.name} {format_percent(rate.value)}（{rate.computation}）"
        if why == "default_only" or grade.band is None:
            return f"{shown}のため {grade.label}"
        threshold = condition_text(grade.band, grade.measure)
        if why == "band":
            note = f"（{_unjudged_text(grade.unjudged)}ため判定せず）" if grade.unjudged else ""
            return f"{shown}が {grade.band.label} の基準（{threshold}）を満たすため {grade.label}{note}"
        if why == "unjudged_below":
            return (f"{shown}は {grade.band.label} の基準（{threshold}）に届きませんが、"
                    f"{_unjudged_text(grade.unjudged)}ため判定できず、評価しません")
        return f"{shown}が {grade.band.label} の基準（{threshold}）に届かないため {grade.label}"
    if why == "text":
        return f"実績『{grade.words}』は評価ルールで『{grade.label}』"
    if why == "text_by_hand":
        return (f"実績『{grade.words}』は評価ルールの文章の評価にないため、自動では評価しません（担当課の評価によります）"
                if grade.words else "文章で書く指標のため、自動では評価しません（担当課の評価によります）")
    if why == "no_measure":
        causes = "、".join(dict.fromkeys(u.cause for u in grade.unjudged))
        return f"どの区分の値も算出できないため評価しません（{causes}）"
    if why == "none_gradable":
        reasons = "、".join(f"{n}: {describe_grade(g)}" for n, g in grade.named)
        return f"評価できる指標がありません（{reasons}）"
    if why in ("one", "worst") and grade.basis is not None:
        basis = f"{grade.indicator}: {describe_grade(grade.basis)}"
        if why == "one":
            return basis
        others = "、".join(f"{n} {g.label}" for n, g in grade.named)
        return f"指標のうち最も低い評価を取組の評価とします（{others}）。{basis}"
    if why == "average" and grade.scale:
        pts = dict(grade.scale)
        total = sum(pts.get(g.label or "", 0) for _n, g in grade.named)
        count = len(grade.named)
        scale = "・".join(f"{l}={v}" for l, v in grade.scale)
        each = "、".join(f"{n} {g.label}（{pts.get(g.label or '', 0)}点）" for n, g in grade.named)
        return (f"指標の評価の点数（{scale}）の平均 {format_number(total)} ÷ {count} = "
                f"{format_number(round(total / count, 2))} を{ROUNDINGS.get(grade.rounding, '四捨五入')}して "
                f"{pts.get(grade.label or '', 0)}点のため {grade.label}（{each}）")
    return why  # a code this module does not know reads as itself


def _ungraded(rule: GradingRule | None, why: str, condition: str = "", rate: Rate | None = None, **data) -> Grade:
    state = rule.state_for(condition) if rule is not None and condition else None
    return Grade(None, why, rate, "ungraded", state=state, condition=condition, **data)


def _rate_condition(rate: Rate) -> str:
    return "no_actual" if rate.missing == "no_actual" else "not_measurable"


def grade_rate(rule: GradingRule, rate: Rate) -> Grade:
    """Place a computed rate in the rule's bands (one measure for all of them)."""
    if rule.measure == "manual":
        return _ungraded(None, "manual", rate=rate)
    if rate.value is None:
        return _ungraded(rule, "no_rate", _rate_condition(rate), rate)
    bands = rule.computed_bands
    for band in bands:
        if band.holds(rate.value):
            return Grade(band.label, "band", rate, band=band, measure=rule.measure)
    if not bands:
        return Grade(rule.default_label, "default_only", rate, measure=rule.measure)
    return Grade(rule.default_label, "below", rate, band=bands[-1], measure=rule.measure)


def _measure_rate(measure: str, *, actual: float | None, target: float | None, direction: Direction,
                  baseline: float | None, final_target: float | None) -> tuple[Rate | None, str]:
    """The value one measure needs, or None and the code of why not (the reasons of version 1)."""
    if measure == "achievement":
        if target is None:
            return None, "no_target"
        return achievement_rate(actual, target, direction), ""
    if measure == "progress":
        goal, label = (final_target, "最終目標") if final_target is not None else (target, "計画値")
        if goal is None:
            return None, "no_goal"
        return progress_rate(actual, baseline, goal, label), ""
    # baseline comparison: no target needed, but an indicator with no target at all stays ungraded
    if target is None and final_target is None:
        return None, "no_target_set"
    return change_from_baseline(actual, baseline, direction), ""


def grade_indicator_year(rule: GradingRule, *, actual: float | None, target: float | None,
                         direction: Direction, baseline: float | None = None,
                         final_target: float | None = None) -> Grade:
    """The automatic grade of one indicator in one fiscal year."""
    if rule.measure == "manual":
        return _ungraded(None, "manual")
    values = dict(actual=actual, target=target, direction=direction, baseline=baseline, final_target=final_target)
    if not rule.mixed:
        rate, why = _measure_rate(rule.measures[0], **values)
        if rate is None:
            return _ungraded(rule, why, "no_target")
        return grade_rate(rule, rate)
    return _grade_mixed(rule, values)


def _grade_mixed(rule: GradingRule, values: dict) -> Grade:
    """Each label on its own measure, checked top-down; a label whose value cannot be computed is
    passed over (and said so), and when no label's value can be computed the indicator is ungraded."""
    rates: dict[str, tuple[Rate | None, str]] = {}
    passed: list[Unjudged] = []
    last: tuple[Band, Rate] | None = None
    for band in rule.computed_bands:
        m = band.measure_of(rule.measure)
        if m not in rates:
            rates[m] = _measure_rate(m, **values)
        rate, why = rates[m]
        if rate is None or rate.value is None:
            passed.append(Unjudged(band.label, m, why, rate))
            continue
        if band.holds(rate.value):
            return Grade(band.label, "band", rate, band=band, measure=rule.measure, unjudged=tuple(passed))
        last = (band, rate)
    if last is None:
        if all(r is None for r, _w in rates.values()):
            condition = "no_target"
        elif values["actual"] is None:
            condition = "no_actual"
        else:
            condition = "not_measurable"
        return _ungraded(rule, "no_measure", condition, unjudged=tuple(passed))
    band, rate = last
    if passed:
        # それ以外 means 'none of the above'; a label left unjudged may have held, so no grade.
        return _ungraded(rule, "unjudged_below", "no_actual" if values["actual"] is None else "not_measurable", rate,
                         band=band, measure=rule.measure, unjudged=tuple(passed))
    return Grade(rule.default_label, "below", rate, band=band, measure=rule.measure)


# The condition of a qualitative indicator the rule does not grade: a person does (counted_label).
BY_HAND = "by_hand"


def grade_text_year(rule: GradingRule, *, actual_words: str | None) -> Grade:
    """The grade of a qualitative indicator in one fiscal year: the rule's label for the 実績's words
    (実施 → 達成), else ungraded and left to the department's own grade."""
    if rule.measure == "manual":
        return _ungraded(None, "manual")
    if not actual_words:
        return _ungraded(rule, "text_no_actual", "no_actual")
    label = rule.text_label(actual_words)
    if label is None:
        return Grade(None, "text_by_hand", None, "ungraded", condition=BY_HAND, words=actual_words)
    return Grade(label, "text", words=actual_words)


def worst_grade(rule: GradingRule, named: Sequence[tuple[str, Grade]]) -> Grade:
    """An item's grade is the worst of its indicators' grades."""
    graded = [(n, g) for n, g in named if g.graded and rule.rank(g.label) is not None]
    if not graded:
        if not named:
            return _ungraded(None, "no_indicators")
        # every indicator in the same named state (評価なし, −): the item is too
        conditions = {g.condition for _n, g in named}
        condition = conditions.pop() if len(conditions) == 1 else ""
        return _ungraded(rule, "none_gradable", condition, named=tuple(named))
    name, worst = max(graded, key=lambda ng: rule.rank(ng[1].label))
    if len(graded) == 1:
        return Grade(worst.label, "one", worst.rate, indicator=name, basis=worst)
    return Grade(worst.label, "worst", worst.rate, indicator=name, basis=worst, named=tuple(graded))

def _round(x: float, how: str) -> int:
    eps = 1e-9  # 2.5 from (3 + 2) / 2 is exact, but 7 / 3 * 3 is not
    if how == "down":
        return math.floor(x + eps)
    if how == "up":
        return math.ceil(x - eps)
    return math.floor(x + 0.5 + eps)


def points(rule: GradingRule) -> dict[str, int]:
    """Points of the computed labels, best highest: S=4・A=3・B=2・C=1."""
    labels = rule.computed_labels
    return {label: len(labels) - i for i, label in enumerate(labels)}


def no_year_target_grade(rule: GradingRule) -> Grade:
    """An item with no indicator that has a plan value (or words) this year: not graded, in the
    plan's own word for a missing target when it names one."""
    return Grade(None, "no_year_target", None, "ungraded", state=rule.state_for("no_target"), condition="no_target")


def item_grade(rule: GradingRule, named: Sequence[tuple[str, Grade]]) -> Grade:
    """An item's grade from its indicators' grades, as the plan says (GradingRule.item_grade)."""
    if rule.item_grade == "manual":
        return _ungraded(None, "item_manual")
    if rule.item_grade != "average":
        return worst_grade(rule, named)
    pts = points(rule)
    graded = [(n, g) for n, g in named if g.graded and g.label in pts]
    if len(graded) <= 1:
        return worst_grade(rule, named)
    mean = sum(pts[g.label] for _n, g in graded) / len(graded)
    p = min(max(_round(mean, rule.rounding), 1), len(pts))
    label = next(l for l, v in pts.items() if v == p)
    return Grade(label, "average", named=tuple(graded), scale=tuple(pts.items()), rounding=rule.rounding)


def summary_labels(rule: GradingRule) -> tuple[str, ...]:
    """The columns of a summary, in order: the grades, the plan's named ungraded states (and on a
    hand-graded plan the states people set: 完了, 未着手 …), then 未評価. A version-1 rule has
    the grades and 未評価, as before."""
    out = list(rule.labels)
    states = [l for _c, l in rule.auto_states] + (list(rule.ungraded) if rule.hand_graded else [])
    for label in states:  # one column per name: − may stand for two conditions
        if label not in out and label != UNGRADED:
            out.append(label)
    return tuple(out) + (UNGRADED,)


def ungraded_meaning(rule: GradingRule, *, short: bool = False) -> str:
    """What 未評価 means on this plan: the headline for the tiles and tables that count it, or
    (short) the meaning beside the grades' own meanings."""
    if rule.hand_graded:
        return UNGRADED_HAND_MEANING if short else UNGRADED_HAND_HEADLINE
    return UNGRADED_MEANING if short else UNGRADED_HEADLINE


def auto_shown(auto: Grade | None) -> str:
    """What a 自動評価 cell shows: the grade, the plan's own name for why there is none (評価なし, −),
    or '' (a table shows ―) where the plan names none, as before named states."""
    if auto is None:
        return ""
    return auto.label or auto.state or ""


def counted_label(rule: GradingRule, auto: Grade | None, self_grade: str | None) -> str:
    """What an item counts as in a summary: on a hand-graded plan its self-grade (a grade or a named
    ungraded state); anywhere, a hand-only self-grade (never computed, so it cannot come from auto);
    else the automatic grade, its named ungraded state, or 未評価."""
    sg = normalize_label(self_grade) if self_grade else None
    if sg and (sg in rule.hand_only_labels or (rule.hand_graded and sg in rule.self_grade_labels)):
        return sg
    if sg and auto is not None and not auto.graded and auto.condition == BY_HAND and sg in rule.self_grade_labels:
        return sg  # qualitative indicators the rule leaves to people: the department's grade counts
    if rule.hand_graded:
        return UNGRADED  # nobody has graded it yet (ungraded_meaning says so)
    if auto is not None and auto.graded:
        return auto.label or UNGRADED
    if auto is not None and auto.state:
        return auto.state
    return UNGRADED


@dataclass(frozen=True)
class GradeGap:
    """How a self-grade compares with the automatic grade, as data (describe_gap says it in words)."""

    steps: int | None  # >0: the self-grade is kinder than the automatic grade
    why: str = "no_self"  # no_self / no_auto / unknown / same / kinder / stricter
    self_grade: str = ""
    auto_label: str = ""
    labels: tuple[str, ...] = ()  # the scheme's labels, for a self-grade that is not one of them

    @property
    def differs(self) -> bool:
        return bool(self.steps)

    @property
    def text(self) -> str:
        return describe_gap(self)


def describe_gap(gap: GradeGap) -> str:
    s, a = gap.self_grade, gap.auto_label
    if gap.why == "no_auto":
        return f"自己評価 {s}（自動評価なし）"
    if gap.why == "unknown":
        return f"自己評価「{s}」は評価区分（{'・'.join(gap.labels)}）にありません"
    if gap.why == "same":
        return f"自己評価 {s} と自動評価 {a} は一致"
    if gap.why == "kinder":
        return f"自己評価 {s} は自動評価 {a} より{gap.steps}段階高い（甘め）"
    if gap.why == "stricter":
        return f"自己評価 {s} は自動評価 {a} より{-(gap.steps or 0)}段階低い（厳しめ）"
    return "自己評価がありません"


def grade_gap(rule: GradingRule, self_grade: str | None, auto: Grade | None) -> GradeGap:
    if not self_grade:
        return GradeGap(None, "no_self")
    if auto is None or not auto.graded:
        return GradeGap(None, "no_auto", self_grade)
    s = rule.rank(self_grade)
    a = rule.rank(auto.label)
    if s is None:
        return GradeGap(None, "unknown", self_grade, auto.label or "", rule.labels)
    steps = a - s
    why = "same" if steps == 0 else "kinder" if steps > 0 else "stricter"
    return GradeGap(steps, why, self_grade, auto.label or "")
