"""会議モード: the deck on a projector, one slide at a time, moved with ← → or the buttons.

The slides come from kpi.outputs.pack.slides.build_deck, the same deck the 会議資料 page writes
to PowerPoint and PDF. The order, the lagging-only switch and the meeting are kept in
st.session_state["deck_options"], shared with that page.
"""


import pandas as pd
import streamlit as st

from kpi.outputs.opinions import load_opinions
from kpi.outputs.pack.slides import build_deck
from ui import charts, frame, presenter

ctx = frame.plan_page(__file__)

state = st.session_state
opts = presenter.options()
recorded = load_opinions(ctx.store, ctx.plan_id)


def _settings() -> None:
    presenter.choose("mt", ctx, recorded, order_label="スライドの順番",
                     pick_label="映す取組（選んだ順にスライドになります）",
                     meeting_label="会議（これより前の会議の委員意見をスライドに表示します）")


def _deck():
    # Kept until the data or a choice changes: every slide change reruns this page.
    return frame.view(ctx, build_deck, sort=opts["sort"], pick=opts["pick"], lagging_only=opts["lagging_only"],
                      opinions=recorded, meeting=opts["meeting"], narratives=ctx.extras.narratives)


def _go(i: int) -> None:
    state["meeting_slide"] = i


def _present(on: bool) -> None:
    state["meeting_on"] = on
    state["meeting_slide"] = 0 if on else state.get("meeting_slide", 0)


def _table(df: pd.DataFrame) -> None:
    """st.table renders Markdown: every cell is escaped so sheet text shows as typed."""
    st.table(df.map(frame.md).rename(columns=frame.md), hide_index=True)


def _summary(deck, sm) -> None:
    st.title(frame.md(sm.title), anchor=False)
    st.markdown(f"#### {frame.md(sm.subtitle)}")
    for col, h in zip(st.columns(len(sm.headlines)), sm.headlines):
        unchanged = not getattr(h, "changed", True)
        col.metric(h.label, h.value, h.delta, delta_color="off" if unchanged else
                   ("inverse" if h.label == "遅れている取組" else "normal"),
                   delta_arrow="off" if unchanged else "auto", border=True)
    left, right = st.columns([2, 3], gap="large")
    with left:
        st.subheader(f"{deck.as_of_label}の評価（自動評価）", anchor=False)
        if any(sm.grade_counts.values()):
            st.plotly_chart(charts.grade_mix_chart(sm.grade_counts, ctx.rule, height=120), key="meet_mix",
                            config={"displayModeBar": False})
        prev = sm.previous_label or "前年度"
        _table(pd.DataFrame([{"評価": g.label, "意味": g.meaning, "取組数": g.count,
                              prev: "―" if g.previous is None else g.previous, "増減": g.change or "―"}
                             for g in sm.grades]))
    with right:
        st.subheader(f"遅れている取組（{len(sm.lagging)}件）", anchor=False)
        if sm.lagging:
            _table(pd.DataFrame([{"No.": e.item_no, "取組": e.title, "担当課": e.department or "―",
                                  "自動評価": e.auto_grade or "―", "自己評価": e.self_grade or "―",
                                  "遅れの理由": e.reasons} for e in sm.lagging]))
        else:
            st.success("遅れている取組はありません。")
    st.caption(f"評価基準: {frame.md(sm.rule_text)}")


def _item(deck, it) -> None:
    st.title(frame.md(it.heading), anchor=False)
    sub = "　".join(t for t in (it.path, f"担当課: {it.departments}" if it.departments else "") if t)
    if sub:
        st.markdown(f"##### {frame.md(sub)}")
    left, right = st.columns([2, 3], gap="large")
    with left:
        g1, g2 = st.columns(2)
        if it.indicators:
            g1.metric(f"{it.year_label} 自動評価", it.auto_grade or "―", border=True)
        else:  # reported in words: the status stands where the automatic grade would
            g1.metric("最新の状況", it.status_label or "―", border=True)
        g2.metric(f"{it.year_label} 自己評価", it.self_grade or "―", border=True)
        if it.causes:
            st.error("**遅れている取組です**\n\n" + "\n".join(f"- **{frame.md(r.title)}**：{frame.md(r.detail)}"
                                                         for r in it.causes), icon=":material/warning:")
        if it.status:
            st.info(frame.md(it.status))
        if it.gap:
            st.markdown(frame.md(it.gap))
        if it.auto_reason and it.indicators:
            st.caption(f"自動評価の根拠: {frame.md(it.auto_reason)}")
        for r in it.notes:
            st.caption(f"・{frame.md(r.title)}：{frame.md(r.detail)}")
        for p in it.indicators:
            st.markdown(f"**{frame.md(p.title)}**")
            _table(pd.DataFrame([list(r) for r in p.table.rows], columns=list(p.table.columns)))
    with right:
        for i, p in enumerate(it.indicators):
            st.plotly_chart(charts.indicator_chart(p.view, ctx.style, height=400 if len(it.indicators) > 1 else 560),
                            key=f"meet_chart_{i}", config={"displayModeBar": False})
        if not it.indicators:
            _comments(it)
    if it.indicators and it.comments:
        _comments(it)
    st.subheader("これまでの委員意見と回答", anchor=False)
    if not it.opinions:
        st.caption("これまでの委員意見はありません。")
    for op in it.opinions:
        with st.container(border=True):
            st.markdown(f"**{frame.md(op.meeting_label_in(ctx.style))}　意見{op.seq}**")
            st.markdown(frame.md(op.opinion))
            if op.answered:
                who = f"（{op.response_department}）" if op.response_department else ""
                st.markdown(f":blue[**回答・対応{frame.md(who)}**]　{frame.md(op.response)}")
            else:
                st.markdown(":orange[**回答・対応：未回答**]")


def _comments(it) -> None:
    st.subheader("担当課の所見", anchor=False)
    if not it.comments:
        st.caption("この年度の所見は登録されていません。")
    for c in it.comments:
        st.markdown(f"**{frame.md(c.heading)}**")
        if c.text:
            st.markdown(frame.md(c.text))
        if c.issues:
            st.caption("課題・今後の方針")
            st.markdown(frame.md(c.issues))


if not state.get("meeting_on"):
    st.title("会議モード", anchor=False)
    st.caption("プロジェクターに映すスライドです。概要のあと、取組ごとに1枚ずつ表示します。"
               "開始後は ← → キー（またはボタン）で移動し、Esc キーで終了します。")
    _settings()
    deck = _deck()
    st.markdown(f"**スライド {len(deck.slides)} 枚**（概要 1 枚 + 取組 {len(deck.items)} 件）")
    if not deck.items:
        st.info("条件に合う取組がありません。概要のスライドだけを表示します。")
    st.text("\n".join(f"{i + 1}. {'概要' if s.kind == 'summary' else s.heading}" for i, s in enumerate(deck.slides)))
    st.button("スライドを開始", type="primary", icon=":material/slideshow:", on_click=_present, args=(True,),
              key="mt_start")
    st.page_link("pages/pack.py", label="同じスライドを PowerPoint・PDF でダウンロード（会議資料）",
                 icon=":material/download:")
    st.stop()

# Presenting: the app's chrome is hidden so the slide fills the projector (layout CSS only).
st.html("""<style>
[data-testid="stSidebar"], [data-testid="stExpandSidebarButton"], [data-testid="stHeader"],
[data-testid="stToolbar"] { display: none !important; }
[data-testid="stMainBlockContainer"] { max-width: 100% !important; padding: 1.2rem 2.5rem 2rem !important; }
[data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stTable"] td, [data-testid="stTable"] th
  { font-size: 1.3rem !important; line-height: 1.6; }
[data-testid="stMain"] [data-testid="stMetricValue"], [data-testid="stMain"] [data-testid="stMetricValue"] *
  { font-size: 3.6rem !important; line-height: 1.2; font-weight: 700; }
[data-testid="stMain"] h1 { font-size: 2.6rem !important; }
</style>""")
deck = _deck()
n = len(deck.slides)
i = min(max(int(state.get("meeting_slide", 0)), 0), n - 1)
nav = st.columns([1.2, 1.2, 6, 1.2], vertical_alignment="center")
nav[0].button("前へ", icon=":material/arrow_back:", shortcut="Left", on_click=_go, args=(i - 1,), disabled=i == 0,
              key="mt_prev", width="stretch")
nav[1].button("次へ", icon=":material/arrow_forward:", shortcut="Right", on_click=_go, args=(i + 1,),
              disabled=i >= n - 1, key="mt_next", width="stretch")
nav[2].markdown(f"**{i + 1} / {n}**　{frame.md(deck.plan_name)}　{deck.as_of_label}までの状況")
nav[3].button("終了", icon=":material/close:", shortcut="Esc", on_click=_present, args=(False,), key="mt_stop",
              width="stretch")
slide = deck.slides[i]
if slide.kind == "summary":
    _summary(deck, slide)
else:
    _item(deck, slide)
