"""成果指標 text → indicators with final targets (kpi/rules/target_text.py): what a person reads in the text."""

from __future__ import annotations

import pytest

from kpi.rules.target_text import parse_target_text

# (text, default year, [(name, value, unit, year, direction)], qualitative text left over)
CASES = [
    # --- the seven texts of the Kodaira action list (seed 000) ---
    ("ボランティア参加者数 2,094 人 総合防災訓練参加者数 1,300 人 振り込め詐欺被害防止キャンペーン参加者数 1,750 人 "
     "防犯講座参加者数 50 人", 2020,
     [("ボランティア参加者数", 2094, "人", 2020, "higher"), ("総合防災訓練参加者数", 1300, "人", 2020, "higher"),
      ("振り込め詐欺被害防止キャンペーン参加者数", 1750, "人", 2020, "higher"), ("防犯講座参加者数", 50, "人", 2020, "higher")],
     None),
    ("市民活動支援センター来場者数 協働事業数 (市との協働事業数：60) (大学との協働事業数：25) "
     "(市民活動支援公募事業応募数：5) (いきいき協働公募事業応募数：2)", 2020,
     [("市との協働事業数", 60, "事業", 2020, "higher"), ("大学との協働事業数", 25, "事業", 2020, "higher"),
      ("市民活動支援公募事業応募数", 5, "件", 2020, "higher"), ("いきいき協働公募事業応募数", 2, "件", 2020, "higher")],
     "市民活動支援センター来場者数 協働事業数"),
    ("480g/人日 (市民一人1日当たりごみ量 平成34年度目標値)", 2020,
     [("市民一人1日当たりごみ量", 480, "g/人日", 2022, "lower")], None),
    ("参加団体数 10団体", 2020, [("参加団体数", 10, "団体", 2020, "higher")], None),
    ("協議会開催回数目標 94 回／年 学校支援ボランティア養成講座数目標 85 回／年", 2020,
     [("協議会開催回数", 94, "回/年", 2020, "higher"), ("学校支援ボランティア養成講座数", 85, "回/年", 2020, "higher")], None),
    ("地域連携のための会議を4地区以上で実施", 2020,
     [("地域連携のための会議を実施した地区数", 4, "地区", 2020, "higher")], None),
    ("小平市観光まちづくり振興プラン達成状況", 2020, [], "小平市観光まちづくり振興プラン達成状況"),
    # --- other ways city halls write targets ---
    ("講座受講者数 ３００人（令和７年度目標）", 2024, [("講座受講者数", 300, "人", 2025, "higher")], None),
    ("オンライン申請件数 １２，０００件 窓口待ち時間 15分以下", 2024,
     [("オンライン申請件数", 12000, "件", 2024, "higher"), ("窓口待ち時間", 15, "分", 2024, "lower")], None),
    ("相談件数 年間１２０件", 2024, [("相談件数", 120, "件", 2024, "higher")], None),
    ("市税収納率 ９８．５％以上", 2024, [("市税収納率", 98.5, "%", 2024, "higher")], None),
    ("満足度80%以上", 2024, [("満足度", 80, "%", 2024, "higher")], None),
    ("公共施設の延床面積 ５％削減（令和１２年度）", 2024, [("公共施設の延床面積の削減率", 5, "%", 2030, "higher")], None),
    ("参加者数1,000人", None, [("参加者数", 1000, "人", None, "higher")], None),
    ("待機児童数 0人", 2024, [("待機児童数", 0, "人", 2024, "lower")], None),
    ("年間来場者数 1.5万人", 2024, [("年間来場者数", 15000, "人", 2024, "higher")], None),
    ("令和5年度までに登録団体数を50団体に増やす", 2024, [("登録団体数", 50, "団体", 2023, "higher")], None),
    ("10講座", 2024, [("講座数", 10, "講座", 2024, "higher")], None),
    ("不法投棄件数 20件以下", 2024, [("不法投棄件数", 20, "件", 2024, "lower")], None),
    ("R7年度 利用者数 ３，０００人", 2024, [("利用者数", 3000, "人", 2025, "higher")], None),
    ("参加者数 2000人（2025年度）", 2024, [("参加者数", 2000, "人", 2025, "higher")], None),  # 2000 is no year
    ("2030年までに 100件", 2024, [("件数", 100, "件", 2030, "higher")], None),
    # --- numbers that are not targets ---
    ("3Rの推進", 2020, [], "3Rの推進"),
    ("第2次計画の策定", 2020, [], "第2次計画の策定"),
    ("平成30年度までに制度を見直す", 2020, [], "平成30年度までに制度を見直す"),
    ("", 2020, [], None),
]


@pytest.mark.parametrize("text, default_fy, expected, qualitative", CASES, ids=[c[0][:24] or "empty" for c in CASES])
def test_targets_read_from_text(text, default_fy, expected, qualitative):
    got = parse_target_text(text, default_fy)
    assert [(t.name, t.value, t.unit, t.fiscal_year, t.direction) for t in got.indicators] == \
        [(n, float(v), u, y, d) for n, v, u, y, d in expected]
    assert got.qualitative == qualitative
    assert got.source == text.strip()


def test_year_source_and_per_year_flag_say_where_they_came_from():
    (t,) = parse_target_text("480g/人日 (市民一人1日当たりごみ量 平成34年度目標値)", 2020).indicators
    assert (t.year_source, t.direction_source, t.per_year) == ("text", "inferred", False)
    assert "ごみ量" in t.direction_reason
    a, _b = parse_target_text("協議会開催回数目標 94 回／年 学校支援ボランティア養成講座数目標 85 回／年", 2020).indicators
    assert (a.year_source, a.per_year) == ("default", True)
    (c,) = parse_target_text("地域連携のための会議を4地区以上で実施", 2020).indicators
    assert (c.direction_source, c.direction_reason) == ("sheet", "「以上」とあるため高いほど良い")
    assert c.text == "地域連携のための会議を4地区以上で実施"


def test_every_reading_explains_itself_in_japanese():
    got = parse_target_text("市民活動支援センター来場者数 (市との協働事業数：60)", 2020)
    text = got.describe()
    assert "「市との協働事業数:60」→ 指標「市との協働事業数」最終目標 60事業" in text
    assert "2020年度（計画の最終年度）" in text
    assert "数値のない部分「市民活動支援センター来場者数」は定性的な目標として残します" in text
    assert "定性的な目標" in parse_target_text("達成状況", 2020).describe()


def test_two_targets_with_one_name_are_both_kept():
    got = parse_target_text("参加者数 100人 参加者数 200人", 2020)
    assert [(t.name, t.value) for t in got.indicators] == [("参加者数", 100.0), ("参加者数(2)", 200.0)]


@pytest.mark.parametrize("text", ["令和0年度 10人", "(((", "：：5", "1" * 400, "平成99年度以上", "✓―①%%%"])
def test_odd_text_never_raises(text):
    parse_target_text(text, 2020)
