"""会議モード: the deck on a projector, one screen at a time, moved with ← → or the buttons.

The screens come from kpi.outputs.meeting.meeting_slides: the deck of kpi.outputs.pack.slides
(the same one the 会議資料 page writes to PowerPoint and PDF) cut into what one screen holds,
long items continued on 続き screens. The order, the lagging-only switch and the meeting are kept
in st.session_state["deck_options"], shared with that page. While presenting, every size is in
vh, so a 1366×768 projector shows the same screen as a 1920×1080 one.
"""


import pandas as pd
import streamlit as st

from kpi.outputs.meeting import item_sub, meeting_slides
from kpi.outputs.opinions import load_opinions
from kpi.rules.fiscal import format_fiscal_year
from ui import charts, components, frame, presenter

ctx = frame.plan_page(__file__)

state = st.session_state
opts = presenter.options()
recorded = frame.store_view(ctx.store, load_opinions, version=ctx.version, plan_id=ctx.plan_id)
CHART_TEXT = 20  # px: chart ticks, legends and labels read from the back of the room (at least 18)
# The chart's share of the screen's height (CSS below), and its height on a 1366×768 screen.
CHART_VH = 50  # the CSS below says 50vh: a literal, so no text from data ever reaches st.html
SMALLEST_PX = int(768 * CHART_VH / 100)
LIST_PAGE = 50  # slide titles listed a page at a time before presenting


def _settings() -> None:
    presenter.choose("mt", ctx, recorded, order_label="スライドの順番",
                     pick_label="映す取組（選んだ順にスライドになります）",
                     meeting_label="会議（これより前の会議の委員意見をスライドに表示します）")


def _slides():
    # Kept until the data or a choice changes: every slide change reruns this page.
    return frame.view(ctx, meeting_slides, sort=opts["sort"], pick=opts["pick"], lagging_only=opts["lagging_only"],
                      meeting=opts["meeting"],
                      read=dict(opinions=recorded, narratives=ctx.extras.narratives))


def _go(i: int) -> None:
    state["meeting_slide"] = i


def _present(on: bool) -> None:
    state["meeting_on"] = on
    state["meeting_slide"] = 0 if on else state.get("meeting_slide", 0)


def _table(df: pd.DataFrame) -> None:
    """st.table renders Markdown: every cell is escaped so sheet text shows as typed."""
    st.table(df.map(frame.md).rename(columns=frame.md), hide_index=True)


def _summary(deck, sc) -> None:
    sm = sc.slide
    st.title(frame.md(sm.title), anchor=False)
    st.markdown(f"#### {frame.md(sm.subtitle)}")
    for col, h in zip(st.columns(len(sm.headlines)), sm.headlines):
        unchanged = not getattr(h, "changed", True)
        col.metric(h.label, h.value, h.delta, delta_color="off" if unchanged else
                   ("inverse" if h.label == "遅れている取組" else "normal"),
                   delta_arrow="off" if unchanged else "auto", border=True)
    left, right = st.columns([2, 3], gap="large")
    with left:
        st.subheader(f"{deck.as_of_label}の評価（{sm.graded_by}）", anchor=False)
        if any(sm.grade_counts.values()):
            st.plotly_chart(frame.figure(ctx, "meet_mix", _mix_chart, sm.grade_counts, **_deck_key()), key="meet_mix",
                            config={"displayModeBar": False})
        prev = sm.previous_label or "前年度"
        _table(pd.DataFrame([{"評価": g.label, "意味": g.meaning, "取組数": g.count,
                              prev: "―" if g.previous is None else g.previous, "増減": g.change or "―"}
                             for g in sm.grades]))
    with right:
        st.subheader(f"遅れている取組（{len(sm.lagging)}件）", anchor=False)
        if sm.lagging:
            _lag_rows(sm, sc.rows)
            if sc.rows[1] < len(sm.lagging):
                st.caption(f"ほか {len(sm.lagging) - sc.rows[1]} 件は次のスライドに続きます。")
        else:
            st.success("遅れている取組はありません。")
    st.caption(f"評価基準: {frame.md(sm.rule_text)}")


def _two_axis(deck, ta) -> None:
    """Implementation status × achievement (kpi/rules/two_axis.py): counts, shares, the change, the cross."""
    st.title(frame.md(f"{deck.plan_name}　実施状況と達成状況"), anchor=False)
    st.markdown(f"##### {deck.as_of_label}までの状況（取組 {ta.total} 件）")
    prev = format_fiscal_year(ta.fiscal_year - 1, ctx.style)

    def rows(axis, name):
        return pd.DataFrame([{name: a.label, "取組数": a.count, "割合": a.share_text,
                              prev: "―" if a.previous is None else a.previous, "増減": a.change or "―"} for a in axis])

    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("実施状況", anchor=False)
        _table(rows(ta.status, "実施状況"))
    with right:
        st.subheader("達成状況（評価）", anchor=False)
        _table(rows([a for a in ta.achievement if a.count or a.previous], "評価"))
    st.subheader("実施状況 × 達成状況（取組数）", anchor=False)
    shown = [i for i, a in enumerate(ta.achievement) if a.count]
    _table(pd.DataFrame([{"実施状況": s, **{ta.achievement[i].label: counts[i] for i in shown}, "計": sum(counts)}
                         for s, counts in ta.cross]))
    st.caption("▲は前年度より減った数。実施状況は各年度の最新の状況を 未着手・取組中・完了 の3段階にまとめたもの"
               "（実施中・継続中・完了の目途・見直しは取組中、中止は完了）。")


def _lag_rows(sm, rows) -> None:
    _table(pd.DataFrame([{"No.": e.item_no, "取組": e.title, "担当課": e.department or "―",
                          "自動評価": e.auto_grade or "―", "自己評価": e.self_grade or "―",
                          "遅れの理由": e.reasons} for e in sm.lagging[rows[0]:rows[1]]]))


def _head(sc) -> None:
    st.title(frame.md(sc.title), anchor=False)
    sub = item_sub(sc.slide)
    if sub:
        st.markdown(f"**{frame.md(sub)}**")


def _deck_key() -> dict:
    """The choices that shape the deck, for the key of a figure drawn from it (ui.frame.figure)."""
    return dict(sort=opts["sort"], pick=opts["pick"], lagging_only=opts["lagging_only"], meeting=opts["meeting"])


def _mix_chart(counts):
    return charts.grade_mix_chart(counts, ctx.rule, height=90, text_size=CHART_TEXT)


def _indicator_chart(view):
    return charts.indicator_chart(view, ctx.style, height=SMALLEST_PX, text_size=CHART_TEXT, smallest_px=SMALLEST_PX)


def _chart(p, key: str) -> None:
    # Built once per screen of this deck (a slide change reruns the page), as the other pages' figures.
    with st.container(key=f"mt_chart_{key}"):
        st.plotly_chart(frame.figure(ctx, "meet_chart", _indicator_chart, p.view, screen=i, **_deck_key()),
                        key=f"meet_chart_{key}", height="stretch", config={"displayModeBar": False})


def _numbers(p) -> None:
    """An indicator's numbers and its facts (direction, baseline, final target), each said once."""
    _table(pd.DataFrame([list(r) for r in p.table.rows], columns=list(p.table.columns)))
    st.caption(frame.md(p.facts))
    if p.pace:
        st.markdown(frame.md(p.pace) if p.pace_reachable else f":orange[{frame.md(p.pace)}]")


def _listed(panels) -> None:
    for p in panels:
        st.markdown(f"**{frame.md(p.title)}**")
        st.caption(f"年度ごとの計画値・実績はまだ登録されていません。{frame.md(p.facts)}")


def _reasons(sc) -> None:
    causes = [r for r in sc.reasons if r.lagging]
    if causes:
        st.error("**遅れている取組です**\n\n" + "\n".join(f"- **{frame.md(r.title)}**：{frame.md(r.detail)}"
                                                         for r in causes), icon=":material/warning:")


def _item(deck, sc) -> None:
    it = sc.slide
    _head(sc)
    main = sc.title == it.heading
    left, right = st.columns([2, 3], gap="large")
    with left:
        if main:
            g1, g2 = st.columns(2)
            if it.indicators:
                g1.metric(f"{it.year_label} 自動評価", it.auto_grade or "―", border=True)
            else:  # reported in words: the status stands where the automatic grade would
                g1.metric("最新の状況", it.status_label or "―", border=True)
            g2.metric(f"{it.year_label} 自己評価", it.self_grade or "―", border=True)
            _reasons(sc)
            if it.status:
                st.info(frame.md(it.status))
            if it.gap:
                st.markdown(frame.md(it.gap))
            if sc.auto_reason:
                st.caption(f"自動評価の根拠: {frame.md(sc.auto_reason)}")
            for r in sc.reasons:
                if not r.lagging:
                    st.caption(f"・{frame.md(r.title)}：{frame.md(r.detail)}")
        if sc.chart is not None:
            _listed(sc.listed)
    with right:
        if sc.chart is not None:
            _chart(sc.chart, "0")
            _numbers(sc.chart)
        else:
            if sc.listed:
                st.subheader("指標と目標", anchor=False)
                _listed(sc.listed)
            if sc.comments or (main and not sc.listed):
                _comments(sc.comments, main)


def _indicator_more(deck, sc) -> None:
    """A further indicator: its grade and numbers on the left, its chart (titled with its name) on the right."""
    _head(sc)
    if sc.chart is None:
        _listed(sc.listed)
        return
    p = sc.chart
    left, right = st.columns([2, 3], gap="large")
    with left:
        if len(p.table.columns) > 1:
            st.metric(f"{p.table.columns[-1]} 指標の評価", p.table.row("評価")[-1], border=True)
        _numbers(p)
    with right:
        _chart(p, "0")


def _notes(deck, sc) -> None:
    _head(sc)
    left, right = st.columns(2, gap="large")
    with left:
        if sc.reasons:
            st.subheader("そのほかの事実", anchor=False)
            for r in sc.reasons:
                st.markdown(f"・**{frame.md(r.title)}**：{frame.md(r.detail)}")
        if sc.comments:
            _comments(sc.comments, True)
    with right:
        if sc.opinions is not None:
            _opinions(sc.opinions)


def _opinions(opinions) -> None:
    st.subheader("これまでの委員意見と回答", anchor=False)
    if not opinions:
        st.caption("これまでの委員意見はありません。")
    for op in opinions:
        with st.container(border=True):
            st.markdown(f"**{frame.md(op.meeting_label_in(ctx.style))}　意見{op.seq}**")
            st.markdown(frame.md(op.opinion))
            if op.answered:
                who = f"（{op.response_department}）" if op.response_department else ""
                st.markdown(f":blue[**回答・対応{frame.md(who)}**]　{frame.md(op.response)}")
            else:
                st.markdown(":orange[**回答・対応：未回答**]")


def _comments(comments, headed: bool) -> None:
    if headed:
        st.subheader("担当課の所見", anchor=False)
    if not comments:
        st.caption("この年度の所見は登録されていません。")
    for c in comments:
        st.markdown(f"**{frame.md(c.heading)}**")
        if c.text:
            st.markdown(frame.md(c.text))
        if c.issues:
            st.caption("課題・今後の方針")
            st.markdown(frame.md(c.issues))


def _title(sc) -> str:
    return "概要" if sc.kind == "summary" else ("実施状況と達成状況" if sc.kind == "two_axis" else sc.title)


if not state.get("meeting_on"):
    st.title("会議モード", anchor=False)
    st.caption("プロジェクターに映すスライドです。概要のあと、取組ごとに表示します（1画面に収まらない取組は"
               "「続き」のスライドに分けます）。開始後は ← → キー（またはボタン）で移動し、Esc キーで終了します。")
    _settings()
    slides = _slides()
    st.markdown(f"**スライド {len(slides.screens)} 枚**（取組 {len(slides.deck.items)} 件）")
    if not slides.deck.items:
        st.info("条件に合う取組がありません。概要のスライドだけを表示します。")
    listed = list(enumerate(slides.screens, start=1))  # a prefecture plan's deck runs to hundreds of screens
    st.text("\n".join(f"{k}. {_title(sc)}" for k, sc in components.paged(listed, "mt_list_page", LIST_PAGE)))
    st.button("スライドを開始", type="primary", icon=":material/slideshow:", on_click=_present, args=(True,),
              key="mt_start")
    st.page_link("pages/pack.py", label="同じスライドを PowerPoint・PDF でダウンロード（会議資料）",
                 icon=":material/download:")
    st.stop()

# Presenting: the app's chrome is hidden so the slide fills the projector (layout CSS only). Sizes are
# in vh (kpi/outputs/meeting.py counts lines at these sizes): body text 1.9vh, 20 px at 1080.
st.html("""<style>
[data-testid="stSidebar"], [data-testid="stExpandSidebarButton"], [data-testid="stHeader"],
[data-testid="stToolbar"] { display: none !important; }
[data-testid="stMainBlockContainer"] { max-width: 100% !important; padding: 1.2vh 2vw 1vh !important; }
[data-testid="stMain"] [data-testid="stVerticalBlock"] { gap: 1vh; }
[data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stTable"] td, [data-testid="stTable"] th,
[data-testid="stMain"] button p { font-size: 1.9vh !important; line-height: 1.5; }
[data-testid="stTable"] td, [data-testid="stTable"] th { padding: 0.35vh 0.6vw !important; }
[data-testid="stMain"] [data-testid="stCaptionContainer"] p { font-size: 1.75vh !important; }
[data-testid="stMain"] [data-testid="stMetricLabel"] p { font-size: 1.9vh !important; }
[data-testid="stMain"] [data-testid="stMetricValue"], [data-testid="stMain"] [data-testid="stMetricValue"] *
  { font-size: 5vh !important; line-height: 1.15; font-weight: 700; }
[data-testid="stMain"] [data-testid="stMetric"] { padding: 0.8vh 0.8vw !important; }
[data-testid="stMain"] h1 { font-size: 3.3vh !important; line-height: 1.3; padding: 0.4vh 0 !important; }
[data-testid="stMain"] h3 { font-size: 2.4vh !important; padding: 0.3vh 0 !important; }
[data-testid="stMain"] h4 { font-size: 2.2vh !important; padding: 0.2vh 0 !important; }
[data-testid="stMain"] h5 { font-size: 1.9vh !important; }
[data-testid="stMain"] [data-testid="stAlert"] > div { padding: 0.8vh 0.8vw !important; }
[data-testid="stMain"] button { min-height: 4vh !important; padding: 0.3vh 0.8vw !important; }
[data-testid="stMain"] [data-testid="stHeading"] [data-testid="stMarkdownContainer"],
[data-testid="stMain"] [data-testid="stMarkdownContainer"]:has(h4) { margin-bottom: 0 !important; }
[class*="st-key-mt_chart_"] { flex: 0 0 50vh !important; height: 50vh !important; }
</style>""")
slides = _slides()
deck = slides.deck
n = len(slides.screens)
i = min(max(int(state.get("meeting_slide", 0)), 0), n - 1)
nav = st.columns([1.2, 1.2, 6, 1.2], vertical_alignment="center")
nav[0].button("前へ", icon=":material/arrow_back:", shortcut="Left", on_click=_go, args=(i - 1,), disabled=i == 0,
              key="mt_prev", width="stretch")
nav[1].button("次へ", icon=":material/arrow_forward:", shortcut="Right", on_click=_go, args=(i + 1,),
              disabled=i >= n - 1, key="mt_next", width="stretch")
nav[2].markdown(f"**{i + 1} / {n}**　{frame.md(deck.plan_name)}　{deck.as_of_label}までの状況")
nav[3].button("終了", icon=":material/close:", shortcut="Esc", on_click=_present, args=(False,), key="mt_stop",
              width="stretch")
screen = slides.screens[i]
if screen.kind == "summary":
    _summary(deck, screen)
elif screen.kind == "lagging":
    st.title(frame.md(screen.title), anchor=False)
    _lag_rows(screen.slide, screen.rows)
elif screen.kind == "two_axis":
    _two_axis(deck, slides.two_axis)
elif screen.kind == "indicator":
    _indicator_more(deck, screen)
elif screen.kind == "notes":
    _notes(deck, screen)
else:
    _item(deck, screen)
