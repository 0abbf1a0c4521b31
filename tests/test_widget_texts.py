"""Japanese in every widget the app configures (issue 18 item 7): no English placeholder or help text
that the app could have set. What Streamlit fixes in English itself is listed in the README."""

from __future__ import annotations

import re

import pytest
from test_upload_page import open_page

ENGLISH = re.compile(r"\b(Choose|Select|Type|Upload|option|options|Enter a)\b")


def _widgets(at):
    for kind in ("multiselect", "selectbox", "text_input", "text_area", "file_uploader", "date_input"):
        yield from ((kind, w) for w in at.get(kind))


@pytest.mark.parametrize("page, state", [
    ("pages/users.py", {}),
    ("pages/upload.py", {}),
    ("pages/lagging.py", {}),
    ("pages/meeting.py", {"mt_sort": "custom"}),
    ("pages/opinions.py", {}),
])
def test_no_english_placeholder_or_help_on_a_page(app_env, page, state):
    at = open_page(page, **state)
    seen = 0
    for kind, w in _widgets(at):
        seen += 1
        placeholder = getattr(w.proto, "placeholder", "")
        if kind == "multiselect":  # left empty, Streamlit's own 「Choose options」 shows in the box
            assert placeholder, (page, w.proto.label)
        assert not ENGLISH.search(placeholder or ""), (page, kind, w.proto.label, placeholder)
        assert not ENGLISH.search(w.proto.help or ""), (page, kind, w.proto.label, w.proto.help)
    assert seen


def test_the_department_box_and_the_uploader_say_what_to_do_in_japanese(app_env):
    users = open_page("pages/users.py")
    (box,) = [m for m in users.multiselect if m.proto.label.startswith("所属課")]
    assert box.proto.placeholder == "選ぶか、課名を入力して Enter"
    assert "名前を入力して Enter で追加" in box.proto.help
    up = open_page("pages/upload.py").get("file_uploader")[0]
    assert "ドラッグ" in up.proto.help and "20MB" in up.proto.help
