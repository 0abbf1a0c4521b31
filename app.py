"""計画進捗ダッシュボード: the router and the shared frame.

Run with `streamlit run app.py`. On first start with no database, data/kpi.duckdb
is created and filled with the demo plans from data/samples/.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from kpi.errors import KpiError, StoreUnavailable
from ui import frame

ROOT = Path(__file__).resolve().parent

# (section, page file, title, icon). A page is listed once its file exists.
PAGES: list[tuple[str, str, str, str]] = [
    ("ダッシュボード", "pages/home.py", "ホーム", ":material/home:"),
    ("ダッシュボード", "pages/hierarchy.py", "計画の体系", ":material/account_tree:"),
    ("ダッシュボード", "pages/item_detail.py", "取組・指標の詳細", ":material/query_stats:"),
    ("ダッシュボード", "pages/lagging.py", "遅れている取組", ":material/warning:"),
    ("ダッシュボード", "pages/departments.py", "担当課別", ":material/groups:"),
    ("ダッシュボード", "pages/qualitative.py", "進捗状況・実施状況", ":material/checklist:"),
    ("ダッシュボード", "pages/plan.py", "計画の概要", ":material/description:"),
    ("データ", "pages/upload.py", "データ取込", ":material/upload_file:"),
    ("データ", "pages/history.py", "取込履歴", ":material/history:"),
    ("データ", "pages/cycle.py", "照会と提出", ":material/assignment:"),  # issue 20
    ("データ", "pages/downloads.py", "ダウンロード", ":material/download:"),
    ("会議", "pages/meeting.py", "会議モード", ":material/slideshow:"),
    ("会議", "pages/pack.py", "会議資料", ":material/picture_as_pdf:"),
    ("会議", "pages/opinions.py", "委員意見", ":material/forum:"),
    ("設定", "pages/settings.py", "評価ルール", ":material/tune:"),
    ("設定", "pages/users.py", "ユーザー", ":material/manage_accounts:"),
]

st.set_page_config(page_title="計画進捗ダッシュボード", page_icon=":material/monitoring:", layout="wide")

# A shared store whose server is down raises StoreUnavailable from any query of the frame:
# the page says so with a retry button, and the next run works once the server is back.
try:
    # The pages in router order, home first: the sign-in form keeps the page a link names (frame).
    store = frame.get_store(pages=[(path, title, icon) for _s, path, title, icon in PAGES])
    # Sign-in (kpi/access/auth.py): stops here with the sign-in form until someone is signed in, unless
    # sign-in is off (no users, no OIDC), when everyone is the local administrator as before.
    actor = frame.sign_in_gate(store)

    # Pages a role has no use for are not listed; each page and every write still checks on its own.
    HIDDEN_FROM_PUBLIC = {"pages/upload.py", "pages/history.py", "pages/settings.py", "pages/users.py"}
    ADMIN_ONLY = {"pages/users.py"}

    sections: dict[str, list] = {}
    for section, path, title, icon in PAGES:
        if (actor.public_only and path in HIDDEN_FROM_PUBLIC) or (not actor.is_admin and path in ADMIN_ONLY):
            continue
        if (ROOT / path).exists():
            sections.setdefault(section, []).append(
                st.Page(path, title=title, icon=icon, default=path == "pages/home.py"))
    # expanded: every page listed (a folded list shows Streamlit's English 'View N more').
    page = st.navigation(sections, expanded=True)

    with st.sidebar:
        st.markdown("### 計画進捗ダッシュボード")
    frame.sidebar(store)
    frame.user_box(actor)
except StoreUnavailable as exc:
    frame.show_error(exc)
    st.stop()

try:
    page.run()
except KpiError as exc:
    frame.show_error(exc)
