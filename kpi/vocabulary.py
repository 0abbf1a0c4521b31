"""The words the screens, the files and the rules share, spelled once.

A manager reads 未評価 on the home page, in the committee pack and in a CSV; the stage 上半期 is
written by a department, read by the importer, ranked by the rules and shown as a column head.
When one of these words changes, it changes here (and only here) for every page and file.
Nothing here imports anything: this is the ground every layer of kpi/ and ui/ stands on.
"""

from __future__ import annotations

# --------------------------------------------------------------------------- grade states
UNGRADED = "未評価"  # an item or indicator without an automatic grade (no target, no actual, graded by hand)
UNGRADED_MEANING = "計画値・実績がなく評価できない"  # what 未評価 means, beside the grades' own meanings
UNGRADED_HEADLINE = "計画値・実績がなく自動評価できない取組"
# On a plan graded by hand (no automatic grades), 未評価 means nobody has graded the item yet.
UNGRADED_HAND_MEANING = "担当課の評価（自己評価）がまだ記入されていない"
UNGRADED_HAND_HEADLINE = UNGRADED_HAND_MEANING + "取組"
# States a department may record instead of a grade; never ranked (GradingRule.ungraded's default).
UNGRADED_STATES: tuple[str, ...] = ("完了", "未着手", "評価困難", "評価対象外")
LAGGING = "遅れ"  # the mark of a lagging item in a table cell
LAGGING_ITEMS = "遅れている取組"
OVERDUE = "期限切れ"
NOT_REPORTED = "未報告"
# A value or grade from a submission still awaiting the 推進課's review (kpi.cycle.shown), and the column
# that counts such items apart in a summary table.
UNCONFIRMED = "未確定"
UNCONFIRMED_COUNT = "うち未確定"

# --------------------------------------------------------------------------- stages of an evaluation
FIRST_HALF = "上半期"  # the check in the autumn (April–September)
YEAR = "年度"  # the year-end evaluation, the department's own grade
MIDTERM = "中間"
PLAN_PERIOD = "計画期間"
STAGES: tuple[str, ...] = (FIRST_HALF, YEAR, MIDTERM, PLAN_PERIOD)
# What each stage's evaluation is called where it is shown (committee slides, comment headings).
STAGE_TITLES: dict[str, str] = {FIRST_HALF: "上半期の進捗管理", YEAR: "年度評価", MIDTERM: "中間評価",
                                PLAN_PERIOD: "計画期間の評価"}

# --------------------------------------------------------------------------- indicator kinds
# 事務事業評価 sheets group a row's indicators as 活動指標 / 対象指標 / 成果指標 (issue 19).
INDICATOR_KINDS: tuple[str, ...] = ("活動", "対象", "成果")

# --------------------------------------------------------------------------- directions
HIGHER, LOWER = "higher", "lower"
DIRECTION_LABELS: dict[str, str] = {HIGHER: "高いほど良い", LOWER: "低いほど良い"}


def direction_label(direction: str) -> str:
    """'高いほど良い' / '低いほど良い' (anything but 'lower' reads as higher is better, as the rules do)."""
    return DIRECTION_LABELS[LOWER] if direction == LOWER else DIRECTION_LABELS[HIGHER]


# --------------------------------------------------------------------------- lagging reasons
# The title of each reason an item lags (kpi/rules/lagging.py holds the reasons themselves).
REASON_TITLES: dict[str, str] = {
    "auto_grade": "自動評価が基準未満",
    "self_grade": "自己評価が基準未満",
    "first_half": "上半期の進捗に遅れ",
    "actual_missing": "実績が未報告",
    "pace": "このペースでは目標に届かない",
    "below_target": "計画値を下回った年度",
}

# --------------------------------------------------------------------------- statuses of qualitative plans
STATUSES: tuple[str, ...] = ("完了", "完了の目途", "継続中", "実施中", "取組中", "未着手", "中止", "見直し")
# The marks the sheets use for a status, and the mark shown for each status.
STATUS_MARKS: dict[str, str] = {"✓": "完了", "✔": "完了", "◇": "完了の目途", "・": "継続中"}
MARK_OF_STATUS: dict[str, str] = {"完了": "✓", "完了の目途": "◇", "継続中": "・"}
NO_STATUS = "未記入"
