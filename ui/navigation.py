"""The app's pages and its menu: which pages there are, in which section, and who may open each.

Streamlit serves the pages/ folder itself (its pages/ folder mode): app.py is "/", pages/x.py is "/x".
Its own page list is switched off (client.showSidebarNavigation = false in .streamlit/config.toml);
the frame draws this menu instead, with st.page_link, in sections and with only the pages the person
may open. A page left out of someone's menu is not reachable by its URL either: the frame sends them
to ホーム before the page draws anything (ui.frame.page), and the page still checks on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import streamlit as st
from streamlit.errors import StreamlitAPIException

from kpi.access.permissions import Actor

ROOT = Path(__file__).resolve().parent.parent
HOME_FILE = "pages/home.py"
HOME_LINK = "app.py"  # "/": app.py runs pages/home.py, so ホーム keeps the bare address

# Who sees a page: everyone (the public visitor too), whoever has signed in, or administrators.
Audience = Literal["everyone", "signed_in", "admins"]


@dataclass(frozen=True)
class PageEntry:
    section: str
    file: str  # the page file, relative to the app's folder
    title: str
    icon: str
    audience: Audience = "everyone"

    @property
    def link(self) -> str:
        """What st.page_link opens: ホーム is the entry page app.py ("/"), every other page its file."""
        return HOME_LINK if self.file == HOME_FILE else self.file


# The menu, in order. Every file in pages/ is here (tests/test_navigation.py checks it).
PAGES: tuple[PageEntry, ...] = (
    PageEntry("ダッシュボード", "pages/home.py", "ホーム", ":material/home:"),
    PageEntry("ダッシュボード", "pages/hierarchy.py", "計画の体系", ":material/account_tree:"),
    PageEntry("ダッシュボード", "pages/item_detail.py", "取組・指標の詳細", ":material/query_stats:"),
    PageEntry("ダッシュボード", "pages/lagging.py", "遅れている取組", ":material/warning:"),
    PageEntry("ダッシュボード", "pages/departments.py", "担当課別", ":material/groups:"),
    PageEntry("ダッシュボード", "pages/qualitative.py", "進捗状況・実施状況", ":material/checklist:"),
    PageEntry("ダッシュボード", "pages/plan.py", "計画の概要", ":material/description:"),
    PageEntry("データ", "pages/upload.py", "データ取込", ":material/upload_file:", "signed_in"),
    PageEntry("データ", "pages/history.py", "取込履歴", ":material/history:", "signed_in"),
    PageEntry("データ", "pages/cycle.py", "照会と提出", ":material/assignment:", "signed_in"),
    PageEntry("データ", "pages/downloads.py", "ダウンロード", ":material/download:"),
    PageEntry("会議", "pages/meeting.py", "会議モード", ":material/slideshow:"),
    PageEntry("会議", "pages/pack.py", "会議資料", ":material/picture_as_pdf:"),
    PageEntry("会議", "pages/opinions.py", "委員意見", ":material/forum:"),
    PageEntry("設定", "pages/settings.py", "評価ルール", ":material/tune:", "signed_in"),
    PageEntry("設定", "pages/users.py", "ユーザー", ":material/manage_accounts:", "admins"),
)
_BY_FILE = {p.file: p for p in PAGES}


def entry(file: str | Path) -> PageEntry | None:
    """The menu entry of a page file (its __file__), or None for a file the menu does not list."""
    path = Path(file).resolve()
    try:
        key = path.relative_to(ROOT).as_posix()
    except ValueError:
        return None
    return _BY_FILE.get(key)


def may_open(actor: Actor, page: PageEntry | None) -> bool:
    """Whether this person's menu lists the page, and so whether its URL opens it.

    Pages a role has no use for are left out: the public visitor (not signed in) sees no upload,
    history, rule settings or users; only administrators see the users page. What a page lets
    someone do is still checked by the page and inside every write (kpi.access.permissions)."""
    if page is None:
        return False
    if page.audience == "admins":
        return actor.is_admin
    if page.audience == "signed_in":
        return not actor.public_only
    return True


def menu_for(actor: Actor) -> dict[str, list[PageEntry]]:
    """The sections of this person's menu, each with its pages in order."""
    sections: dict[str, list[PageEntry]] = {}
    for p in PAGES:
        if may_open(actor, p) and (ROOT / p.file).exists():
            sections.setdefault(p.section, []).append(p)
    return sections


def draw_menu(actor: Actor) -> None:
    """The menu at the top of the sidebar: a caption per section and a link per page (the page being
    shown is highlighted by st.page_link itself)."""
    slot = st.sidebar.empty()
    try:
        with slot.container(key="menu"):
            for section, pages in menu_for(actor).items():
                st.caption(section)
                for p in pages:
                    st.page_link(p.link, label=p.title, icon=p.icon)
            st.divider()
    except StreamlitAPIException:
        # st.page_link refuses a page this app does not serve: the page file is running as an app
        # of its own (AppTest.from_file("pages/x.py")), with no other page to link to.
        slot.empty()


def go_home() -> None:
    """Open ホーム instead of the page asked for (st.switch_page ends this run)."""
    try:
        st.switch_page(HOME_LINK)
    except StreamlitAPIException:
        # A page file running as an app of its own has no ホーム to go to: the page's own check answers.
        return


_COMPILED: dict[str, tuple[int, object]] = {}


def run_as_script(file: Path) -> None:
    """Run a page file as this run's script (app.py runs ホーム so), as runpy.run_path(run_name="__main__")
    did, but compiled once per change of the file: Streamlit keeps the bytecode of the script it runs,
    runpy compiled ホーム afresh on every run (over 10 ms, as much as a whole reference page)."""
    key = str(file)
    stamp = file.stat().st_mtime_ns
    hit = _COMPILED.get(key)
    if hit is None or hit[0] != stamp:
        hit = _COMPILED[key] = (stamp, compile(file.read_bytes(), key, "exec"))
    exec(hit[1], {"__name__": "__main__", "__file__": key, "__package__": None, "__spec__": None})
