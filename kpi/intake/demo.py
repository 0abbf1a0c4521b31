"""The demo plans: the published sample workbooks in data/samples/, loaded on first start.

The workbooks do not say everything a plan needs (its municipality, period,
grading scheme), so this manifest adds what the source documents state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from kpi.intake.pipeline import commit, prepare
from kpi.rules.grading import PRESETS
from kpi.store.store import PROJECT_ROOT, Store

SAMPLES_DIR = PROJECT_ROOT / "data" / "samples"
DEMO_USER = "デモデータ"


@dataclass(frozen=True)
class DemoPlan:
    file: str
    plan: str
    municipality: str
    kind: str
    start_fy: int
    end_fy: int
    grading: str = "abc"
    description: str = ""


DEMO_PLANS: tuple[DemoPlan, ...] = (
    DemoPlan("niigata_kaikaku_no28.xlsx", "新潟市行政改革プラン2015", "新潟市", "行政改革プラン", 2015, 2018, "abc",
             "進捗管理シート（取組ごと）。年度評価A・B・C、上半期の進捗管理、中間評価・計画期間の評価。"),
    DemoPlan("kodaira_plan3_actions.xlsx", "小平市第3次行財政再構築プラン", "小平市", "行財政再構築プラン", 2017, 2020, "abc",
             "実行プログラム（案）方針I 地域協働の推進。成果指標と平成29〜32年度の工程。"),
    DemoPlan("kodaira_sousei_progress_h29.xlsx", "小平市まち・ひと・しごと創生総合戦略", "小平市",
             "まち・ひと・しごと創生総合戦略", 2015, 2019, "manual",
             "進捗状況一覧表（平成29年度まで）。施策ごとの進捗状況と年度ごとの実施状況。"),
    DemoPlan("tomisato_kyodo_progress.xlsx", "富里市協働のまちづくり推進計画", "富里市", "協働推進計画", 2011, 2020, "manual",
             "推進項目と実行計画の進捗状況（✓ 完了 / ◇ 完了の目途 / ・ 継続中）。"),
    DemoPlan("kodaira_kyodo_guideline_tables.xlsx", "小平市協働の推進に関する指針", "小平市", "協働推進計画", 2008, 2018,
             "manual", "協働の取組経過と協働の政策的位置付け（平成20年10月制定、平成30年12月改定）。"),
)


@dataclass(frozen=True)
class DemoReport:
    loaded: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]  # (file, reason)


def load_demo(store: Store, samples: Path = SAMPLES_DIR, today: date | None = None) -> DemoReport:
    """Import every sample workbook whose layout is supported, each into its demo plan."""
    loaded, skipped = [], []
    for demo in DEMO_PLANS:
        path = samples / demo.file
        if not path.exists():
            skipped.append((demo.file, "ファイルがありません"))
            continue
        prep = prepare(store, path, demo.file, plan_name=demo.plan, today=today)
        if prep.batch is None or prep.errors:
            skipped.append((demo.file, "; ".join(str(p) for p in prep.errors) or "読み込めません"))
            continue
        prep.batch.plan_name = demo.plan
        prep.batch.plan.update(municipality=demo.municipality, kind=demo.kind, start_fy=demo.start_fy,
                               end_fy=demo.end_fy, grading_rule=PRESETS[demo.grading].to_json(),
                               description=demo.description)
        commit(store, [prep], DEMO_USER, note="デモデータの読み込み", backup=False)  # rebuilt from data/samples at will
        loaded.append(demo.plan)
    return DemoReport(tuple(loaded), tuple(skipped))


def ensure_demo(store: Store) -> DemoReport | None:
    """On first start (no plans at all), fill the database with the demo plans."""
    if store.is_empty():
        return load_demo(store)
    return None
