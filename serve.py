"""The app server: `streamlit run serve.py` (scripts/run.sh does this).

Runs app.py exactly as `streamlit run app.py` would, through Streamlit's own ASGI app (st.App,
Streamlit ≥ 1.53), plus
- one route of ours: /_kpi/session, which sets and clears the HttpOnly cookie that keeps a password
  sign-in across reloads and opened links (ui/session_route.py);
- on_script_error: an error for people (kpi.errors.KpiError) that a page did not catch is shown as
  every other one is (ui.frame.show_error), not as Streamlit's generic message.
Started as `streamlit run app.py`, everything works the same except that a reload asks to sign in
again and such an uncaught error shows Streamlit's own message.
"""

import streamlit as st

from ui import frame, session_route

app = st.App("app.py", routes=session_route.routes(), on_script_error=frame.script_error)
