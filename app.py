"""計画進捗ダッシュボード: the entry page "/", which is ホーム.

Run with `streamlit run serve.py` (scripts/run.sh; `streamlit run app.py` works too, without the
remembered sign-in). On first start with no database, data/kpi.duckdb is created and filled with the
demo plans from data/samples/.

Streamlit serves the pages/ folder itself: this file is "/", pages/x.py is "/x", and each page file
starts with the frame call (ui.frame.page) that draws the sign-in, the menu and the pickers. "/" shows
ホーム under its bare address, as it always has: this file runs pages/home.py, frame call and all.
"""

from pathlib import Path

from ui.navigation import run_as_script

run_as_script(Path(__file__).resolve().parent / "pages" / "home.py")
