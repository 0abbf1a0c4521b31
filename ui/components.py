"""Small pieces of page drawn the same way on several pages."""

from __future__ import annotations

from typing import Sequence

import streamlit as st

from kpi.rules.lagging import ShownReason
from ui import frame


def lag_details(department: str, auto_grade: str, self_grade: str, reasons: Sequence[ShownReason],
                last_comment: str = "") -> None:
    """A lagging item's grades, every reason (● causes, ・ supporting facts) and its last comment, in one block."""
    text = (f"**担当課**　{frame.md(department or '―')}　　**自動評価**　{frame.md(auto_grade or '―')}"
            f"　　**自己評価**　{frame.md(self_grade or '―')}")
    # One block for the grades and all reasons (a paragraph each): a page lists ten lagging items a
    # time, and every element is built, hashed and sent on every run.
    if reasons:
        text += "\n\n" + "  \n".join(f"{'●' if r.lagging else '・'} **{frame.md(r.title)}**：{frame.md(r.detail)}"
                                        for r in reasons)
    if last_comment:  # in the same block, small and grey as a caption: one element less per item
        text += f"\n\n:gray[:small[最新のコメント: {frame.md(last_comment)}]]"
    st.markdown(text)


def paged(rows: Sequence, key: str, size: int, where=st) -> Sequence:
    """The rows of the page chosen in a 「ページ」 picker (size rows a page; no picker for one page).

    Every element a run draws is built, hashed and sent, closed expanders too; a long list shows
    one page of it, and the rest is a click away."""
    pages = max(1, -(-len(rows) // size))
    if pages == 1:
        return rows
    if st.session_state.get(key, 1) not in range(1, pages + 1):
        st.session_state[key] = 1  # a shorter list since (another plan, year or filter)
    page = where.selectbox("ページ", list(range(1, pages + 1)), format_func=lambda p: f"{p} / {pages}", key=key,
                           help=f"{len(rows):,} 件を {size} 件ずつ表示します")
    return rows[(page - 1) * size: page * size]


def go_to_item(titles: dict[str, str], key: str) -> None:
    """Pick one of the listed items and open its detail page."""
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    pick = c1.selectbox("取組", list(titles), format_func=lambda n: f"No.{n}　{titles[n]}", key=f"{key}_item")
    if c2.button("取組の詳細を見る", key=f"{key}_go", type="primary"):
        st.session_state["item_no"] = pick
        st.switch_page("pages/item_detail.py")


def kind_filter(options: Sequence[str], key: str, help_text: str, where=st) -> None:
    """The filter by indicator kind (活動 / 対象 / 成果), drawn only when the plan's indicators have kinds.
    The choice is read back from st.session_state[key] by the page before it asks for its view; a choice
    left over from another plan is dropped first (a multiselect refuses values it does not offer)."""
    if key in st.session_state:
        st.session_state[key] = [v for v in st.session_state[key] if v in options]
    if options:
        where.multiselect("指標の種類", list(options), key=key, placeholder="すべて", help=help_text)
