"""The presenter's choices for a committee deck, shared by 会議モード and 会議資料.

Order, lagging-only switch and meeting live in st.session_state["deck_options"], so what is
projected and what is handed out are the same deck. Each page keeps its own widget keys
(prefix), seeded from the shared options and written back to them.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from kpi.outputs.opinions import Meeting, meetings, suggest_meeting_name
from kpi.outputs.pack.slides import SORTS
from ui import frame

NO_MEETING, NEW_MEETING = "（指定しない）", "（新しい会議）"


def options() -> dict:
    return st.session_state.setdefault("deck_options",
                                       {"sort": "plan", "pick": [], "lagging_only": False, "meeting": None})


def choose(prefix: str, ctx, recorded, *, order_label: str, pick_label: str, meeting_label: str) -> dict:
    """Draw the choices; returns the shared options after this run's changes."""
    state = st.session_state
    opts = options()
    titles = {it.item_no: it.title for it in ctx.data.items}
    known = {m.name: m for m in meetings(recorded)}
    m = opts["meeting"]
    seeds = {f"{prefix}_sort": opts["sort"], f"{prefix}_lagging": opts["lagging_only"],
             f"{prefix}_pick": [n for n in opts["pick"] if n in titles],
             f"{prefix}_meeting": NO_MEETING if m is None else (m.name if m.name in known else NEW_MEETING)}
    for k, v in seeds.items():
        state.setdefault(k, v)
    c1, c2 = st.columns([3, 2])
    sort = c1.radio(order_label, list(SORTS), format_func=SORTS.get, key=f"{prefix}_sort", horizontal=True)
    lagging_only = c2.toggle("遅れている取組だけ", key=f"{prefix}_lagging")
    pick = opts["pick"]
    if sort == "custom":
        pick = st.multiselect(pick_label, list(titles), key=f"{prefix}_pick", placeholder="取組を選んでください",
                              format_func=lambda n: f"No.{n}　{titles[n]}")
    choice = st.selectbox(meeting_label, [NO_MEETING] + list(known) + [NEW_MEETING], key=f"{prefix}_meeting")
    meeting = known.get(choice)
    if choice == NEW_MEETING:
        n1, n2 = st.columns(2)
        state.setdefault(f"{prefix}_new_name",
                         m.name if m else suggest_meeting_name(frame.today(), list(known.values())))
        state.setdefault(f"{prefix}_new_date", m.held_on if m and m.held_on else frame.today())
        name = n1.text_input("会議名", key=f"{prefix}_new_name").strip()
        held = n2.date_input("開催日", key=f"{prefix}_new_date")
        meeting = Meeting(name, held if isinstance(held, date) else None) if name else None
    opts.update(sort=sort, pick=list(pick), lagging_only=lagging_only, meeting=meeting)
    return opts
