"""会議資料: the meeting's slides as PowerPoint and PDF, and its tables as Excel, for the committee.

The files are the deck of kpi.outputs.pack.slides.build_deck (the one 会議モード shows), drawn by
kpi.outputs.pack; they are made when a download button is pressed. The order, the lagging-only
switch and the meeting are shared with 会議モード (st.session_state["deck_options"]).
"""

from dataclasses import replace

import streamlit as st

from kpi.cycle import clock
from kpi.outputs.opinions import load_opinions
from kpi.outputs.pack import FORMATS, file_stem, pack_file
from kpi.outputs.pack.appendix import cycle_appendix
from kpi.outputs.pack.layout import pages
from kpi.outputs.pack.slides import build_deck
from ui import components, frame, presenter

ctx = frame.plan_page(__file__)

recorded = frame.store_view(ctx.store, load_opinions, version=ctx.version, plan_id=ctx.plan_id)

st.title("会議資料", anchor=False)
st.caption("推進委員会に配る資料です。概要（評価の内訳と前年度からの増減、遅れている取組）のあと、取組ごとに"
           "評価と理由・計画と実績・グラフ・これまでの委員意見と回答を載せます。グラフにする年度の値がない取組は、"
           "体系（基本目標・推進項目）ごとの一覧表に1行ずつ載せます。実施状況のある計画には実施状況×達成度の集計が入ります。")

# The same choices as 会議モード, seeded from and saved to the shared options.
opts = presenter.choose("pk", ctx, recorded, order_label="取組の順番", pick_label="載せる取組（選んだ順に並びます）",
                        meeting_label="会議（これより前の会議の委員意見を載せます）")
sort, pick, lagging_only, meeting = opts["sort"], opts["pick"], opts["lagging_only"], opts["meeting"]

deck = frame.view(ctx, build_deck, sort=sort, pick=pick, lagging_only=lagging_only, meeting=meeting,
                  read=dict(opinions=recorded, narratives=ctx.extras.narratives))
# issue 20: the status board of the year's call and the revised targets, as the pack's appendix
deck = replace(deck, appendix=frame.store_view(ctx.store, cycle_appendix, version=ctx.version, plan_id=ctx.plan_id, today=clock.today(),
                                               style=ctx.style))
printed = pages(deck)
st.markdown(f"**{frame.md(deck.title)}**　{deck.as_of_label}までの状況"
            + (f"　{frame.md(meeting.label_in(ctx.style))}" if meeting else ""))
listed = len(deck.items) - len(deck.charted)
st.markdown(f"取組 {len(deck.items)} 件、スライド {len(printed)} 枚（概要"
            + ("、実施状況×達成度" if deck.two_axis is not None else "")
            + (f"、一覧表に {listed} 件" if listed else "")
            + (f"、グラフのある取組 {len(deck.charted)} 件は1枚ずつ" if deck.charted else "")
            + "、必要に応じて理由・所見・委員意見のページ）")
if not deck.items:
    st.info("条件に合う取組がありません。概要のページだけの資料になります。")

cols = st.columns(len(FORMATS))
icons = {"pptx": ":material/slideshow:", "pdf": ":material/picture_as_pdf:", "xlsx": ":material/table:"}
for col, (fmt, (label, ext, mime)) in zip(cols, FORMATS.items()):
    col.download_button(f"{label}をダウンロード", data=lambda fmt=fmt: pack_file(deck, fmt).data,
                        file_name=f"{file_stem(deck)}.{ext}", mime=mime, key=f"pk_dl_{fmt}", icon=icons[fmt],
                        on_click="ignore", type="primary" if fmt == "pptx" else "secondary", width="stretch")
st.caption("Excel には グレード一覧・遅れ一覧・指標の年度値・委員意見 の表が入ります（載せた取組のみ）。"
           "PowerPoint の文字は メイリオ を指定しています（ない環境では日本語の標準フォントで表示）。"
           "グラフは画像で、どの環境でも同じに見えます。")

with st.expander(f"ページの一覧（{len(printed)} 枚）"):
    numbered = list(enumerate(printed, start=1))  # hundreds of pages for a prefecture plan: 50 at a time
    st.text("\n".join(f"{i}. {p.title}" for i, p in components.paged(numbered, "pk_list_page", 50)))
st.page_link("pages/meeting.py", label="会議モードで映す", icon=":material/slideshow:")
