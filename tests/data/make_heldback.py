"""Build the held-back workbooks: the published layouts with other items, 令和 years, full-width digits,
blanks, '―', repeated headers and extra or hidden sheets (tests/test_heldback.py asserts what they hold).

Run from the project root:  .venv/bin/python tests/data/make_heldback.py
The .xlsx files are checked in under tests/data/heldback/; rerun this script after changing it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

OUT = Path(__file__).resolve().parent / "heldback"
FIXED_TIME = datetime(2026, 11, 1, 9, 0, 0)  # so a rebuild gives the same files


def _new() -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "heldback"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    return wb


def _save(wb: Workbook, name: str) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / name
    wb.save(path)
    return path


def action_list() -> Path:
    """行政改革プラン 実施計画 (seed 000 layout): columns in another order, 令和 years, an unmerged block."""
    wb = _new()
    note = wb.create_sheet("注意事項")
    note.append(["この計画は令和３年度から令和６年度までの４年間の実施計画です。"])
    ws = wb.create_sheet("実施計画")
    ws.append(["みどり市第２次行政改革プラン　実施計画（令和３年度～令和６年度）"])
    ws.merge_cells("A1:N1")
    ws.append([])
    header = ["基本方針", "推進項目", "No.", "項目", "実施目的", "取組概要", "見込まれる効果", "担当課", "成果指標",
              "実施内容", "令和３年度", "令和４年度", "令和５年度", "令和６年度"]
    ws.append(header)
    # No.1: two schedule rows, No. and the item columns merged down.
    ws.append(["Ⅰ 市民サービスの向上", "(1) 窓口サービスの改善", "１", "窓口のオンライン化", "来庁せずに手続きできるようにする",
               "電子申請の対象手続きを広げる\nキャッシュレス決済を導入する", "市民の利便性の向上", "●市民課、情報政策課",
               "オンライン申請件数 １２，０００件 窓口待ち時間 15分以下",
               "・電子申請システムの導入", "検討", "実施", "→", "→"])
    ws.append([None, None, None, None, None, None, None, None, None, "・キャッシュレス決済の導入", "―", None, "実施", "→"])
    for col in "CDEFGHI":
        ws.merge_cells(f"{col}4:{col}5")
    # No.2: 推進項目 left blank (the one above applies), one row.
    ws.append([None, None, 2, "証明書コンビニ交付の拡大", "窓口の混雑を緩和する", "マイナンバーカードでの交付を周知する",
               "待ち時間の短縮", "市民課", "コンビニ交付率 ３０％（令和６年度目標）",
               "・利用促進の広報", "実施", "→", "→", "→"])
    ws.merge_cells("A4:A6")
    # The header repeated at a page break.
    ws.append(header)
    # No.3: continuation rows with a blank No. (no merges at all).
    ws.append(["Ⅱ 持続可能な財政運営", "(1) 歳入の確保", "３", "市税の収納率向上", "公平な負担を確保する",
               "口座振替を勧奨し、滞納整理を強化する", None, "納税課", "市税収納率 ９８．５％以上",
               "・口座振替の勧奨", "実施", "→", "→", "→"])
    ws.append([None, None, None, None, None, None, None, None, None, "・滞納整理の強化", None, "実施", "→", "→"])
    ws.append([None, "(2) 資産の適正管理", "４", "公共施設の再編", "施設の総量を適正にする", "個別施設計画に沿って統廃合を進める",
               "維持管理費の削減", "資産活用課\n（企画課）", "公共施設の延床面積 ５％削減（令和１２年度）",
               "・個別施設計画の推進", None, "実施", "→", "→"])
    ws.append([None, None, "５", "職員の働き方改革", None, "業務の見直しとテレワークを進める", "―", "人事課",
               "職員の意識改革と業務の効率化", "・業務量調査", "実施", None, None, None])
    hidden = wb.create_sheet("旧計画")
    hidden.append(header)
    hidden.append(["Ⅰ 旧方針", "(1) 旧項目", 9, "廃止した取組", None, None, None, "総務課", "参加者数 10人", "・旧工程",
                   "実施", None, None, None])
    hidden.sheet_state = "hidden"
    return _save(wb, "heldback_action_list.xlsx")


def strategy_list() -> Path:
    """総合戦略 進捗状況一覧表 (seed 001 layout) for 令和 years."""
    wb = _new()
    ws = wb.create_sheet("一覧")
    ws.append(["あおば市まち・ひと・しごと創生総合戦略　進捗状況一覧表"])
    ws.merge_cells("A1:F1")
    header = ["施策番号", "名称", "内容", "所管課\n（関連課）", "進捗状況", "令和３年度までの実施等状況"]
    ws.append(header)
    ws.append(["基本目標１　「しごとをつくる」"])
    ws.merge_cells("A3:F3")
    ws.append(["① 地域産業の振興"])
    ws.merge_cells("A4:F4")
    ws.append(["１", "創業支援の充実", "創業セミナーと相談窓口を設けます。", "商工観光課\n（企画課）", "実施中",
               "【令和２年度】\n・創業セミナーを３回開催し、４２人が参加しました。\n【令和３年度】\n・オンライン相談を始め、１８件の相談がありました。"])
    ws.append([2, "地場産品のブランド化", "特産品の認証制度をつくります。", "商工観光課", "実施中",
               "【令和元年度】\n・認証制度を検討しました。\n【令和２年度】\n・５品目を認証しました。\n【令和３年度】\n・８品目を認証しました。"])
    ws.append(header)
    ws.append(["② 観光の振興"])
    ws.merge_cells("A8:F8")
    ws.append(["１", "観光案内所の運営", "駅前に観光案内所を置きます。", "商工観光課\n（都市計画課）", "実施中",
               "・駅前の観光案内所に年間３，２００人が来所しました。"])
    ws.append(["基本目標２「ひとの流れをつくる」"])
    ws.merge_cells("A10:F10")
    ws.append(["① 移住・定住の促進"])
    ws.merge_cells("A11:F11")
    ws.append(["1", "お試し移住住宅の整備", "空き家を改修し、お試し住宅にします。", "企画課", "未着手", None])
    ws.append(["2", "移住相談会の開催", "都内で移住相談会を開きます。", "企画課", "実施中",
               "【令和３年度】\n・相談会を２回開催し、延べ６０組が来場しました。"])
    hidden = wb.create_sheet("作業用")
    hidden.append(header)
    hidden.append(["基本目標９"])
    hidden.append([1, "作業中の施策", "-", "企画課", "実施中", "【令和３年度】作業中"])
    hidden.sheet_state = "hidden"
    return _save(wb, "heldback_strategy_list.xlsx")


def marks_progress() -> Path:
    """推進計画の進捗状況 (seed 003 layout): no merges, a report year, ✔ as the done mark, 今後の方向性 filled."""
    wb = _new()
    ws = wb.create_sheet("進捗")
    ws.append(["さくら市協働推進計画（R3～R12）　実行計画の進捗状況（令和５年度末時点）"])
    ws.append(["記号の意味　✔ =完了　◇ =完了の目途　・ =継続中"])
    ws.append(["推進項目", "施策", "実行計画", "進捗状況", "今後の方向性"])
    ws.append(["１ 人づくり", "(1) 担い手の育成", "①地域リーダー研修の実施", "✔ 令和４年度に実施し完了", None])
    ws.append([None, None, "②若者の参加促進", "・ＳＮＳで参加者を募集中", "令和６年度から対象を高校生に広げる"])
    ws.append([None, "(2) 交流の場づくり", "①交流サロンの開設", "◇ 令和６年４月開設予定", None])
    ws.append(["２ 仕組みづくり", "(1) 協働提案制度", "①提案制度の創設", None, None])
    ws.append([None, None, "②提案事業の検証", "―", "検証方法を検討する"])
    ws.merge_cells("A7:A8")
    ws.merge_cells("B7:B8")
    hidden = wb.create_sheet("前回")
    hidden.append(["推進項目", "施策", "実行計画", "進捗状況", "今後の方向性"])
    hidden.append(["１ 人づくり", "(1) 担い手の育成", "①地域リーダー研修の実施", "・研修を準備中", None])
    hidden.sheet_state = "hidden"
    return _save(wb, "heldback_marks_progress.xlsx")


def guideline_tables() -> Path:
    """協働の取組経過 / 位置付け (seed 002 layout) with 令和 dates, a blank row and a '―' period."""
    wb = _new()
    ws = wb.create_sheet("取組の経過")
    ws.append(["年　度", "取　組　内　容"])
    ws.append(["令和元年度", "協働推進条例の制定"])
    ws.append(["Ｒ２年度", "協働コーディネーターの配置"])
    ws.append([None, None])
    ws.append(["令和３年度", "協働推進計画の策定"])
    ws.append(["―", "市民活動センターの移転（時期未定）"])
    ws2 = wb.create_sheet("計画の位置付け")
    ws2.append(["時　期", "計画・条例等", "内　容"])
    ws2.append(["令和２年３月", "さくら市第五次総合計画", "基本目標３「市民とともにつくるまち」"])
    ws2.append(["令和３年４月", "さくら市協働推進条例", "協働の基本原則を定める。"])
    ws2.append(["2022年10月", "さくら市協働推進計画", "条例に基づく具体的な施策を定める。"])
    hidden = wb.create_sheet("メモ")
    hidden.append(["年度", "取組内容"])
    hidden.append(["令和４年度", "内部メモ"])
    hidden.sheet_state = "hidden"
    return _save(wb, "heldback_guideline_tables.xlsx")


def _progress_item(ws, *, title, no, item, dept, years, values, half, grades):
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=8)
    ws.append([])
    ws.append(["取組項目(中項目)", "2 行政運営の効率化", None, None, None, None, "No.", no])
    ws.append(["具体的な取組項目(小項目)", "1 事務の見直し", None, None, None, None, "担当課", dept])
    ws.append(["改革実施項目名称(細項目)", item])
    ws.append(["取組の内容", "・" + item + "を進める。"])
    y1, y2 = years
    ws.append(["改革実施概要", None, "現状\n(令和元年度)", y1, None, y2, None, "最終目標/\n令和７年度"])
    ws.merge_cells("D7:E7")
    ws.merge_cells("F7:G7")
    ws.append([None, "取組工程\n(具体的な内容)", None, "計画", "実績", "計画", "実績"])
    for name, row in values:
        ws.append(["指標", name] + row)
    ws.append([])
    ws.append(["進捗管理", "(各年度10月に実施)", y1, None, None, y2])
    ws.append(["取組の状況", "上半期\n(4~9月)", "上半期の状況", None, half[0], "上半期の状況", None, half[1]])
    ws.append([])
    ws.append(["年度評価", "(年度終了後に実施)", y1, None, None, y2])
    ws.append(["年度評価", "取組工程、指標に対する評価", "評価の文", None, grades[0], "評価の文", None, grades[1]])
    ws.append([None, "課題、今後の方針、改善事項など", "課題の文", None, None, "課題の文"])


def progress_sheet() -> Path:
    """進捗管理シート (seed 004 layout): an index sheet, one sheet per item, a hidden sheet, 令和, full-width digits."""
    wb = _new()
    index = wb.create_sheet("目次")
    index.append(["No.", "取組名", "担当課", "指標", "進捗管理"])
    index.append([1, "電子申請の拡大", "情報政策課", "電子申請件数", "上半期・年度"])
    index.append([2, "ペーパーレス会議の推進", "総務課", "タブレット配備台数", "上半期・年度"])
    index.append([3, "施設予約のオンライン化", "資産活用課", "オンライン予約率", "上半期・年度"])
    years = ("令和２年度", "令和３年度")
    _progress_item(wb.create_sheet("No.１"), title="重点項目Ⅰ 効率的な行政運営", no="１", item="電子申請の拡大",
                   dept="情報政策課●", years=years,
                   values=[("電子申請件数", ["１２０(見込み)", "１５０", "１６２", "２００", "―", "５００"]),
                           ("窓口待ち時間(分)", ["30", "25", "27", "20", None, "10"])],
                   half=("順調", "進捗に遅れあり"), grades=("A", "Ｂ"))
    _progress_item(wb.create_sheet("No.２"), title="重点項目Ⅰ 効率的な行政運営", no="２", item="ペーパーレス会議の推進",
                   dept="総務課● 情報政策課", years=years,
                   values=[("タブレット配備台数", ["０", "１００", "９０", "２００", "―", "３００"])],
                   half=("進捗に遅れあり", "順調"), grades=("Ｃ", "B"))
    _progress_item(wb.create_sheet("No.３"), title="重点項目Ⅱ 公共施設の最適化", no=3, item="施設予約のオンライン化",
                   dept="資産活用課", years=years,
                   values=[("オンライン予約率", ["１０％", "２０％", "２２％", "３０％", "集計中", "５０％"])],
                   half=("順調", "順調"), grades=("A", None))
    hidden = wb.create_sheet("No.４(廃止)")
    _progress_item(hidden, title="重点項目Ⅰ", no="４", item="廃止した取組", dept="総務課", years=years,
                   values=[("件数", ["1", "2", "3", "4", "5", "6"])], half=("順調", "順調"), grades=("A", "A"))
    hidden.sheet_state = "hidden"
    return _save(wb, "heldback_progress_sheet.xlsx")


BUILDERS = (action_list, strategy_list, marks_progress, guideline_tables, progress_sheet)

if __name__ == "__main__":
    for build in BUILDERS:
        print(build())
