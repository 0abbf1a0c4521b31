"""A large, seeded plan for tests and benchmarks, written through the one write path.

300 items × 3 indicators × 8 fiscal years by default, with a four-level
hierarchy, several departments per item, estimates, unreported actuals,
self-grades that sometimes disagree with the automatic grade, 上半期 checks,
qualitative statuses, schedules, narratives and plan notes: every kind of row
the pages read, in the quantities a large city's plan has.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from kpi.rules.grading import PRESETS
from kpi.store.journal import Batch
from kpi.store.store import Store, UploadMeta

SYNTHETIC_PLAN = "合成データ計画（大規模テスト用）"
GOALS = ("基本目標1 安心して暮らせるまち", "基本目標2 活力あるまち", "基本目標3 人が育つまち",
         "基本目標4 環境にやさしいまち", "基本目標5 行政経営の改革")
DEPARTMENTS = ("企画政策課", "財政課", "市民協働課", "産業振興課", "福祉総務課", "子育て支援課", "健康推進課",
               "環境政策課", "都市計画課", "道路課", "学務課", "文化スポーツ課", "防災危機管理課", "情報政策課")
INDICATOR_NAMES = ("参加者数", "実施件数", "利用者満足度", "登録団体数", "処理日数", "相談件数", "開催回数",
                   "認定件数", "事故件数", "待機児童数")
UNITS = {"参加者数": "人", "実施件数": "件", "利用者満足度": "%", "登録団体数": "団体", "処理日数": "日",
         "相談件数": "件", "開催回数": "回", "認定件数": "件", "事故件数": "件", "待機児童数": "人"}
LOWER_IS_BETTER = {"処理日数", "事故件数", "待機児童数"}
ACTIVITIES = ("制度の検討", "モデル事業の実施", "全市展開", "効果検証")


@dataclass(frozen=True)
class SyntheticSpec:
    items: int = 300
    indicators_per_item: int = 3
    years: int = 8
    start_fy: int = 2019
    seed: int = 20261123
    plan_name: str = SYNTHETIC_PLAN
    municipality: str = "合成市"
    kind: str = "総合戦略"
    # Total indicators of the plan, spread over the items (the first ones get one more);
    # 0 = indicators_per_item each. A real plan has 400 indicators for 150 items, not a multiple.
    indicators: int = 0

    def indicators_of(self, i: int) -> int:
        if not self.indicators:
            return self.indicators_per_item
        base, extra = divmod(self.indicators, self.items)
        return base + (1 if i < extra else 0)


def synthetic_batch(spec: SyntheticSpec = SyntheticSpec()) -> Batch:
    rnd = random.Random(spec.seed)
    start, end = spec.start_fy, spec.start_fy + spec.years - 1
    # The last year is under way: targets and a 上半期 check only, no actuals yet.
    reported_until = end - 1
    b = Batch(plan_name=spec.plan_name, layout="synthetic", source="synthetic")
    b.plan.update(municipality=spec.municipality, kind=spec.kind, start_fy=start, end_fy=end,
                  level_names=json.dumps(["基本目標", "施策", "取組"], ensure_ascii=False),
                  grading_rule=PRESETS["abc"].to_json(),
                  description="テストと性能測定のための合成データ（乱数の種で再現可能）。")
    per_policy = 15
    n_policies = max(1, -(-spec.items // per_policy))
    policies: list[list[str]] = []
    for p in range(n_policies):
        goal = GOALS[p % len(GOALS)]
        policy = f"施策{p % len(GOALS) + 1}-{p // len(GOALS) + 1} 重点施策{p + 1}"
        policies.append([goal, policy])
    sort = 0
    for goal in dict.fromkeys(g for g, _ in policies):
        sort += 1
        b.add("nodes", path=json.dumps([goal], ensure_ascii=False), depth=1, level_name="基本目標", title=goal, sort=sort)
    for goal, policy in policies:
        sort += 1
        b.add("nodes", path=json.dumps([goal, policy], ensure_ascii=False), depth=2, level_name="施策", title=policy,
              sort=sort)

    for i in range(spec.items):
        no = str(i + 1)
        path = policies[i // per_policy]
        b.add("items", item_no=no, title=f"取組{no} {rnd.choice(('推進', '充実', '見直し', '強化', '支援'))}事業",
              node_path=json.dumps(path, ensure_ascii=False), current_issues="現状と課題（合成データ）",
              purpose="目的（合成データ）", content="取組の内容（合成データ）", effect=None, qualitative_target=None,
              sort=i + 1)
        depts = rnd.sample(DEPARTMENTS, rnd.choice((1, 1, 2, 3)))
        for k, d in enumerate(depts):
            b.add("item_departments", item_no=no, department=d, is_main=k == 0, role="担当" if k < 2 else "関連", sort=k)
        # How well this item does overall: most near target, some clearly behind.
        form = rnd.gauss(1.01, 0.09)
        grades: dict[int, str] = {}
        for j in range(spec.indicators_of(i)):
            name = INDICATOR_NAMES[(i + j * 3) % len(INDICATOR_NAMES)]
            lower = name in LOWER_IS_BETTER
            unit = UNITS[name]
            base = float(rnd.randrange(20, 2000))
            change = base * rnd.uniform(0.15, 0.6)
            goal_value = base - change if lower else base + change
            textual = rnd.random() < 0.04
            b.add("indicators", item_no=no, indicator=name, unit=unit, direction="lower" if lower else "higher",
                  direction_source="sheet", cumulative=False, baseline=round(base), baseline_fy=start - 1,
                  baseline_estimated=rnd.random() < 0.2,
                  final_target=None if textual else round(goal_value), final_target_fy=None if textual else end,
                  final_target_text="継続実施" if textual else None, sort=j)
            unreported = rnd.random() < 0.03
            for k, fy in enumerate(range(start, end + 1)):
                target = round(base + (goal_value - base) * (k + 1) / spec.years)
                b.add("indicator_values", item_no=no, indicator=name, fiscal_year=fy, kind="target",
                      value=float(target), is_estimate=False, raw_text=None)
                if fy > reported_until or (unreported and fy == reported_until):
                    continue
                ratio = max(0.3, form + rnd.gauss(0, 0.05))
                actual = target / ratio if lower else target * ratio
                est = fy == reported_until and rnd.random() < 0.1
                b.add("indicator_values", item_no=no, indicator=name, fiscal_year=fy, kind="actual",
                      value=float(round(actual)), is_estimate=est, raw_text=None)
                grade = "A" if ratio >= 1 else "B" if ratio >= 0.8 else "C"
                grades[fy] = max(grades.get(fy, "A"), grade)  # 'C' > 'B' > 'A': the worst
        for fy in range(start, end + 1):
            behind = form < 0.9 and rnd.random() < 0.7
            b.add("evaluations", item_no=no, fiscal_year=fy, stage="上半期",
                  grade="進捗に遅れあり" if behind else "順調",
                  status_text=f"{fy}年度上半期の取組状況（合成）", issues_text=None, next_text=None)
            if fy > reported_until:
                continue
            auto = grades.get(fy, "B")
            own = auto
            if rnd.random() < 0.25:  # a kinder (or now and then stricter) self-grade
                own = {"A": "A", "B": "A", "C": "B"}[auto] if rnd.random() < 0.8 else {"A": "B", "B": "C", "C": "C"}[auto]
            b.add("evaluations", item_no=no, fiscal_year=fy, stage="年度", grade=own,
                  status_text=f"{fy}年度の取組の状況。計画どおり実施した事業と、未実施の事業がある（合成）。",
                  issues_text="課題：参加者の固定化。今後の方針：周知方法を見直す。" if own != "A" else None,
                  next_text=None)
        mid = start + spec.years // 2 - 1
        b.add("evaluations", item_no=no, fiscal_year=mid, stage="中間", grade=grades.get(mid, "B"),
              status_text="中間評価の所見（合成）", issues_text=None, next_text="後期も継続する")
        for a, activity in enumerate(rnd.sample(ACTIVITIES, 2)):
            first = start + rnd.randrange(0, 3)
            for fy in range(first, end + 1):
                b.add("schedules", item_no=no, activity=activity, fiscal_year=fy, mark="実施" if fy == first else "→",
                      sort=a)
        if i % 3 == 0:
            status = rnd.choice(("完了", "完了の目途", "継続中", "実施中", "未着手"))
            mark = {"完了": "✓", "完了の目途": "◇", "継続中": "・"}.get(status)
            b.add("item_status", item_no=no, fiscal_year=reported_until, status=status, mark=mark,
                  note=f"{status}（合成）")
        for fy in range(start, reported_until + 1):
            b.add("narratives", item_no=no, fiscal_year=fy,
                  text=f"{fy}年度：説明会を{rnd.randrange(1, 12)}回開催し、{rnd.randrange(10, 500)}人が参加した。"
                       f"{rnd.choice(('協働', '地域', 'デジタル', '子育て', '防災'))}分野の連携を進めた。")
    for k in range(5):
        fy = start + k * 2
        b.add("plan_notes", section="milestone", seq=k + 1, period_text=f"{fy}年度", fiscal_year=fy,
              title=f"節目{k + 1}（合成）", body=None)
    for k in range(3):
        b.add("plan_notes", section="positioning", seq=k + 1, period_text=f"{start + k}年3月", fiscal_year=None,
              title=f"関連計画{k + 1}", body="位置付けの説明（合成）")
    return b


def build_synthetic(store: Store, spec: SyntheticSpec = SyntheticSpec()) -> int:
    """Write the synthetic plan into a store; returns its plan_id."""
    res = store.apply(synthetic_batch(spec), UploadMeta(user="合成データ", kind="demo", note="大規模テストデータ"))
    assert res.plan_id is not None
    return res.plan_id
