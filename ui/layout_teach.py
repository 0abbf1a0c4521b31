"""Teaching a layout on the upload page: an administrator maps a workbook no layout reads, tries the
mapping in the same 新規 / 変更 / 変更なし preview as every import, and saves it as a named profile.
The rules live in kpi/intake/layouts/profile.py (profile_from_form); this only gathers the fields."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from kpi.errors import KpiError
from kpi.intake.layouts.profile import header_columns, profile_from_form
from kpi.intake.pipeline import save_profile
from kpi.intake.review import review_upload
from kpi.intake.workbook import read_workbook
from ui import frame

GROUPS_HELP = ("1行に1つ: 種類 記号 名称の列 単位の列 値の列 [基準値の列 目標値の列]。"
               "例: 「成果 サ BN BO CJ」。ない列は「-」")
YEARS_HELP = ("1行に1つの年度ブロック: 年度 計画か実績 ずらす列数（各指標の「値の列」から何列右か）。"
              "例: 「R2 実績 0」「R3 実績 19」「令和7年度 計画 95」")


@st.cache_resource(max_entries=4, show_spinner=False)
def _workbook(digest: str, file_name: str, _data: bytes):
    """The workbook read once per file (by its SHA-256), or None for a file that is not one: every field
    typed below reruns the page, and a large sheet (or a hostile one) takes seconds to read."""
    try:
        return read_workbook(_data, file_name)
    except KpiError:
        return None


def teach_panel(store, file_name: str, data: bytes, key: str) -> None:
    """The form for one file; saving reruns the page, which then reads the file with the new profile."""
    k = f"teach_{key}"
    digest = hashlib.sha256(data).hexdigest()
    wb = _workbook(digest, file_name, data)
    if wb is None:
        return  # not a workbook at all (its refusal is shown above, once): nothing to teach
    with st.expander(f"「{file_name}」の様式を登録する（管理者）", expanded=True, icon=":material/schema:"):
        st.caption("シートの見出しと列を指定すると、この様式を名前を付けて保存し、次からは自動で読み込みます。"
                   "見出しが変わったファイルは読まずに、違うセルをお知らせします。")
        names = [s.name for s in wb.sheets]
        sheet_name = st.selectbox("シート", names, key=f"{k}_sheet")
        sheet = wb.sheets[names.index(sheet_name)]
        c1, c2 = st.columns(2)
        header_rows = c1.text_input("見出しの行（複数行は 3,4）", "1", key=f"{k}_head")
        first = c2.number_input("データの最初の行", min_value=1, value=2, step=1, key=f"{k}_first")
        rows = [int(t) for t in header_rows.replace("、", ",").split(",") if t.strip().isdigit()]
        if rows:
            cols = header_columns(sheet, rows)
            st.dataframe(pd.DataFrame(cols, columns=["列", "見出し"]), hide_index=True, height=200,
                         key=f"{k}_cols")
        c1, c2, c3 = st.columns(3)
        item_no = c1.text_input("取組番号の列", key=f"{k}_no")
        title = c2.text_input("取組名の列", key=f"{k}_title")
        dept = c3.text_input("担当課の列", key=f"{k}_dept")
        dept_sheet = st.checkbox("担当課はシート名（課ごとのシート）", key=f"{k}_dept_sheet")
        groups = st.text_area("指標（種類 記号 名称 単位 値 [基準値 目標値]）", key=f"{k}_groups", help=GROUPS_HELP,
                              placeholder="成果 サ BN BO CJ")
        auto_years = st.checkbox("年度と計画・実績を見出しから読む（指標が1つのとき）", key=f"{k}_auto")
        years = "" if auto_years else st.text_area("年度の割り当て", key=f"{k}_years", help=YEARS_HELP,
                                                   placeholder="R2 実績 0\nR3 実績 19")
        c1, c2 = st.columns(2)
        skip = c1.text_input("この語を含む行は読み飛ばす（例: 小計 合計）", key=f"{k}_skip")
        skip_rows = c2.text_input("読み飛ばす行の番号（例: 10, 25）", key=f"{k}_skip_rows",
                                  help="繰り返しの見出し行は自動で読み飛ばします")
        c1, c2, c3 = st.columns(3)
        grade = c1.text_input("自己評価の列", key=f"{k}_grade")
        comment = c2.text_input("コメントの列", key=f"{k}_comment")
        eval_year = c3.text_input("評価の年度（例: R6）", key=f"{k}_eval_year")
        c1, c2 = st.columns(2)
        name = c1.text_input("様式の名前", key=f"{k}_name")
        plan = c2.text_input("取り込み先の計画名", key=f"{k}_plan")
        if not (name.strip() and item_no.strip() and groups.strip()):
            st.caption("様式の名前・取組番号の列・指標を入れると、試しに読めます。")
            return
        try:
            profile = profile_from_form(sheet, name=name, plan_name=plan, header_rows=header_rows,
                                        first_data_row=int(first), item_no=item_no, title=title, department=dept,
                                        department_from_sheet=dept_sheet, skip_words=skip, skip_rows=skip_rows,
                                        groups=groups, years=years, years_from_headers=auto_years, grade=grade,
                                        comment=comment, eval_year=eval_year)
        except KpiError as exc:
            frame.show_error(exc)
            return
        if st.button("この設定で試しに読む", key=f"{k}_try", icon=":material/preview:"):
            st.session_state[f"{k}_trial"] = profile.to_json()
        if st.session_state.get(f"{k}_trial") != profile.to_json():
            return
        # The trial is read again only when the mapping, the file or the data changed (not on every rerun).
        trial_key = (profile.to_json(), digest, frame.data_version(store), frame.current_user().name)
        cached = st.session_state.get(f"{k}_review")
        if cached is None or cached[0] != trial_key:
            cached = (trial_key, review_upload(store, [(file_name, data)], layout_profile=profile,
                                               today=frame.today(), actor=frame.current_user()))
            st.session_state[f"{k}_review"] = cached
        review = cached[1]
        f = review.files[0]
        st.markdown(f"**様式**　{frame.md(f.layout_label)}　　**取り込み先**　{frame.md(f.plan_name or '―')}")
        frame.show_problems(f.problems)
        m1, m2, m3 = st.columns(3)
        m1.metric("新規", f.n_insert)
        m2.metric("変更", f.n_update)
        m3.metric("変更なし", f.n_unchanged)
        rows = list(f.rows)
        st.dataframe(pd.DataFrame([{"状況": r.status, "区分": r.what, "No.": r.item_no, "指標": r.indicator,
                                    "年度": frame.fy_label(r.fiscal_year), "項目": r.field, "変更後": r.new}
                                   for r in rows[:500]]), hide_index=True, key=f"{k}_preview")
        if st.button("様式として保存する", type="primary", key=f"{k}_save", icon=":material/save:",
                     disabled=bool(f.errors)):
            try:
                save_profile(store, profile, frame.current_user().name)
            except KpiError as exc:
                frame.show_error(exc)
                return
            st.session_state["upload_done"] = (f"様式「{profile.name}」を保存しました。下の内容を確かめて「取り込む」を"
                                               "押してください。次からはこの様式のファイルを自動で読み込みます。")
            st.rerun()
