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
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from typing import Literal, Sequence

from kpi.rules.numbers import format_percent
from kpi.rules.rates import Direction, Rate, achievement_rate, change_from_baseline, progress_rate
from kpi.vocabulary import UNGRADED_STATES

Measure = Literal["achievement", "progress", "baseline", "manual"]

MEASURE_LABELS: dict[str, str] = {
    "achievement": "達成率（実績 ÷ 計画）",
    "progress": "進捗率（基準値から目標への進み具合）",
    "baseline": "基準値との比較（改善・横ばい・悪化）",
    "manual": "自動評価なし（担当課・推進課が評価）",
}

_MEASURE_CHOICES = "・".join(f"{k}（{v.split('（')[0]}）" for k, v in MEASURE_LABELS.items())


@dataclass(frozen=True)
class Band:
    label: str
    min_rate: float  # inclusive lower bound, as a fraction (1.0 = 100%)
    meaning: str = ""


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
    # Set only on the default rule standing in for a stored rule that could not be read:
    # what was wrong, in Japanese, for the page or export to show. Never stored, never compared.
    notice: str = field(default="", compare=False, repr=False)

    @cached_property
    def labels(self) -> tuple[str, ...]:
        """Best first."""
        return tuple(b.label for b in self.bands) + (self.default_label,)

    @property
    def self_grade_labels(self) -> tuple[str, ...]:
        return self.labels + self.ungraded + self.extra_self_labels

    def rank(self, label: str | None) -> int | None:
        """0 is the best grade; None for ungraded states and unknown labels."""
        if label is None:
            return None
        label = normalize_label(label)
        return self.labels.index(label) if label in self.labels else None

    def is_worse_than(self, label: str | None, threshold: str) -> bool:
        r, t = self.rank(label), self.rank(threshold)
        return r is not None and t is not None and r > t

    def meaning(self, label: str) -> str:
        for b in self.bands:
            if b.label == label:
                return b.meaning
        return self.default_meaning if label == self.default_label else ""

    def describe(self) -> str:
        """The scheme in one line: 'A: 100%以上 / B: 80%以上 / C: それ以外（達成率）'."""
        if self.measure == "manual":
            return f"{' / '.join(self.labels)}（{MEASURE_LABELS['manual']}）"
        parts = [f"{b.label}: {_threshold(self.measure, b.min_rate)}" for b in self.bands]
        parts.append(f"{self.default_label}: それ以外")
        return " / ".join(parts) + f"（{MEASURE_LABELS[self.measure]}）"

    def validate(self) -> list[str]:
        """Problems with a rule set someone is about to save, in Japanese."""
        problems = []
        labels = self.labels
        if len(set(labels)) != len(labels):
            problems.append("評価の区分名が重複しています")
        if any(not str(l).strip() for l in labels):
            problems.append("空の区分名があります")
        mins = [b.min_rate for b in self.bands]
        if any(a <= b for a, b in zip(mins, mins[1:])):
            problems.append("しきい値は上の区分ほど大きくしてください")
        if self.measure != "manual" and not self.bands:
            problems.append("自動評価には少なくとも1つのしきい値が必要です")
        if self.lagging_below not in labels:
            problems.append(f"「遅れ」とみなす基準の区分「{self.lagging_below}」が区分にありません")
        if set(self.ungraded) & set(labels):
            problems.append("評価外の状態と評価の区分に同じ名前があります")
        if self.measure not in MEASURE_LABELS:
            problems.append(f"測り方「{str(self.measure)[:20]}」はありません（{_MEASURE_CHOICES} のいずれか）")
        return problems

    def to_json(self) -> str:
        data = asdict(self)
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
        if "bands" in data:
            raw = data["bands"]
            if not isinstance(raw, list) or len(raw) > 20:
                problems.append("区分（bands）は20個までの並びで書いてください")
                raw = []
            bands = []
            for i, b in enumerate(raw, start=1):
                if not isinstance(b, dict):
                    problems.append(f"{i}番目の区分は {{\"label\": …, \"min_rate\": …}} の形で書いてください")
                    continue
                rate = b.get("min_rate")
                if isinstance(rate, bool) or not isinstance(rate, (int, float)):
                    problems.append(f"{i}番目の区分のしきい値（min_rate）は数値で書いてください")
                    rate = 0.0
                elif number_problem(rate) or abs(rate) > 1e6:
                    problems.append(f"{i}番目の区分のしきい値（min_rate）が大きすぎます")
                    rate = 0.0
                bands.append(Band(label(b.get("label"), f"{i}番目の区分名"), float(rate),
                                  label(b.get("meaning", ""), f"{i}番目の区分の意味")))
            kw["bands"] = tuple(bands)
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
}


def normalize_label(label: str) -> str:
    import unicodedata
    s = unicodedata.normalize("NFKC", str(label)).strip()
    return s.upper() if len(s) == 1 and s.isascii() else s


@dataclass(frozen=True)
class Grade:
    """A grade as data: the label, the code of why (`why`) and the numbers behind it.

    describe_grade() (and the `reason` property) makes the sentence a manager can repeat from
    these, when the grade is shown: '達成率 83.3%（55 ÷ 66 = 83.3%）が B の基準（80%以上）を満たすため B'.
    """

    label: str | None  # None when not graded
    why: str = "band"  # a key of GRADE_WHYS
    rate: Rate | None = None
    status: Literal["graded", "ungraded"] = "graded"
    band: Band | None = None  # "band": the band met; "below": the last band, missed
    measure: str = "achievement"  # how the band's threshold reads (達成率 % or change from the baseline)
    indicator: str = ""  # an item's grade ("one", "worst"): the indicator that decided it
    basis: "Grade | None" = None  # … and that indicator's own grade
    named: tuple[tuple[str, "Grade"], ...] = ()  # "worst": the graded indicators; "none_gradable": every one

    @property
    def graded(self) -> bool:
        return self.label is not None

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
}


def describe_grade(grade: Grade) -> str:
    """The sentence that explains a grade (no fiscal year in it, so the same in every display style)."""
    why = grade.why
    fixed = GRADE_WHYS.get(why)
    if fixed is not None:
        return fixed
    rate = grade.rate
    if why == "no_rate" and rate is not None:
        return f"{rate.name}を算出できないため評価しません（{rate.reason}）"
    if why in ("band", "below", "default_only") and rate is not None:
        shown = f"{rate.name} {format_percent(rate.value)}（{rate.computation}）"
        if why == "default_only" or grade.band is None:
            return f"{shown}のため {grade.label}"
        threshold = _threshold(grade.measure, grade.band.min_rate)
        if why == "band":
            return f"{shown}が {grade.band.label} の基準（{threshold}）を満たすため {grade.label}"
        return f"{shown}が {grade.band.label} の基準（{threshold}）に届かないため {grade.label}"
    if why == "none_gradable":
        reasons = "、".join(f"{n}: {describe_grade(g)}" for n, g in grade.named)
        return f"評価できる指標がありません（{reasons}）"
    if why in ("one", "worst") and grade.basis is not None:
        basis = f"{grade.indicator}: {describe_grade(grade.basis)}"
        if why == "one":
            return basis
        others = "、".join(f"{n} {g.label}" for n, g in grade.named)
        return f"指標のうち最も低い評価を取組の評価とします（{others}）。{basis}"
    return why  # a code this module does not know reads as itself


def _ungraded(why: str, rate: Rate | None = None) -> Grade:
    return Grade(None, why, rate, "ungraded")


def grade_rate(rule: GradingRule, rate: Rate) -> Grade:
    """Place a computed rate in the rule's bands."""
    if rule.measure == "manual":
        return _ungraded("manual", rate)
    if rate.value is None:
        return _ungraded("no_rate", rate)
    for band in rule.bands:
        if rate.value >= band.min_rate - 1e-12:
            return Grade(band.label, "band", rate, band=band, measure=rule.measure)
    if not rule.bands:
        return Grade(rule.default_label, "default_only", rate, measure=rule.measure)
    return Grade(rule.default_label, "below", rate, band=rule.bands[-1], measure=rule.measure)


def grade_indicator_year(rule: GradingRule, *, actual: float | None, target: float | None,
                         direction: Direction, baseline: float | None = None,
                         final_target: float | None = None) -> Grade:
    """The automatic grade of one indicator in one fiscal year."""
    if rule.measure == "manual":
        return _ungraded("manual")
    if rule.measure == "achievement":
        if target is None:
            return _ungraded("no_target")
        return grade_rate(rule, achievement_rate(actual, target, direction))
    if rule.measure == "progress":
        goal, label = (final_target, "最終目標") if final_target is not None else (target, "計画値")
        if goal is None:
            return _ungraded("no_goal")
        return grade_rate(rule, progress_rate(actual, baseline, goal, label))
    # baseline comparison: no target needed, but an indicator with no target at all stays ungraded
    if target is None and final_target is None:
        return _ungraded("no_target_set")
    return grade_rate(rule, change_from_baseline(actual, baseline, direction))


def worst_grade(rule: GradingRule, named: Sequence[tuple[str, Grade]]) -> Grade:
    """An item's grade is the worst of its indicators' grades."""
    graded = [(n, g) for n, g in named if g.graded and rule.rank(g.label) is not None]
    if not graded:
        if not named:
            return _ungraded("no_indicators")
        return Grade(None, "none_gradable", None, "ungraded", named=tuple(named))
    name, worst = max(graded, key=lambda ng: rule.rank(ng[1].label))
    if len(graded) == 1:
        return Grade(worst.label, "one", worst.rate, indicator=name, basis=worst)
    return Grade(worst.label, "worst", worst.rate, indicator=name, basis=worst, named=tuple(graded))


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
