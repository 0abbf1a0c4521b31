"""The one HTTP route the app adds to Streamlit's server: it sets and clears the sign-in cookie.

Streamlit 1.67 reads cookies (st.context.cookies, sent with the page's connection) but has no API
to set one. Its documented ASGI entry point, st.App (serve.py), takes extra Starlette routes, and a
cookie set by an HTTP response can be HttpOnly, out of reach of any script in the page. So:

1. a page run that has just signed someone in offers the cookie value here under a one-time code
   (kept in this process for a minute);
2. a small component in the page (st.components.v2, fixed code; ui.frame._cookie_script) posts
   that code to this route in a custom header (a cross-site page cannot send one without the
   browser asking first, which this route never allows);
3. the response sets the cookie: HttpOnly, SameSite=Lax, Secure when the page came over https.

Signing out asks the same route to clear the cookie (DELETE). The code never leaves the server
process that made it: behind the README's proxy the same browser reaches the same server (ip_hash).
Without this route (the app started as `streamlit run app.py`) sign-in simply lasts one page load.
"""

from __future__ import annotations

import os
import secrets
import threading
import time

from kpi.access.auth import SESSION_COOKIE

ROUTE_ENV = "KPI_SESSION_ROUTE"  # set by routes(): the page scripts know the route is there
HEADER = "X-KPI-Session"
CODE_SECONDS = 120

_pending: dict[str, tuple[str, int, float]] = {}  # code → (cookie value, max-age, deadline)
_lock = threading.Lock()


def route_path() -> str | None:
    """The route's path on this server, or None when the app runs without it."""
    return os.environ.get(ROUTE_ENV) or None


def offer(token: str, max_age: int, *, now: float | None = None) -> str:
    """Keep a cookie value for the page to fetch; returns the one-time code."""
    now = time.time() if now is None else now
    code = secrets.token_urlsafe(24)
    with _lock:
        for c in [c for c, (_t, _m, deadline) in _pending.items() if deadline < now]:
            _pending.pop(c, None)
        _pending[code] = (token, max_age, now + CODE_SECONDS)
    return code


def pending(code: str | None) -> bool:
    """Whether the page has yet to fetch this code's cookie (and still may)."""
    with _lock:
        got = _pending.get(code or "")
    return got is not None and got[2] >= time.time()


def take(code: str | None, *, now: float | None = None) -> tuple[str, int] | None:
    now = time.time() if now is None else now
    with _lock:
        got = _pending.pop(code or "", None)
    if got is None or got[2] < now:
        return None
    return got[0], got[1]


def routes() -> list:
    """The route for st.App(routes=…), at the server's base path."""
    import streamlit as st
    from starlette.responses import Response
    from starlette.routing import Route

    base = "/" + (st.get_option("server.baseUrlPath") or "").strip("/")
    path = base.rstrip("/") + "/_kpi/session"
    cookie_path = base if base != "/" else "/"

    async def session(request):
        code = request.headers.get(HEADER)
        if not code:
            return Response(status_code=400)
        secure = request.url.scheme == "https"
        if request.method == "DELETE":
            response = Response(status_code=204, headers={"Cache-Control": "no-store"})
            response.delete_cookie(SESSION_COOKIE, path=cookie_path, httponly=True, samesite="lax", secure=secure)
            return response
        got = take(code)
        if got is None:
            return Response(status_code=404, headers={"Cache-Control": "no-store"})
        token, max_age = got
        response = Response(status_code=204, headers={"Cache-Control": "no-store"})
        response.set_cookie(SESSION_COOKIE, token, max_age=max_age, path=cookie_path, httponly=True, samesite="lax",
                            secure=secure)
        return response

    os.environ[ROUTE_ENV] = path
    return [Route(path, session, methods=["POST", "DELETE"])]
