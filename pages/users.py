"""ユーザー: administrators register users, change roles and departments, and choose which plans
anyone may read without signing in. Every action is checked again in kpi.access.auth (admins only)."""

import pandas as pd
import streamlit as st

from kpi.access import auth
from kpi.access.permissions import ROLE_LABELS, ROLES
from kpi.errors import KpiError
from ui import components, frame

PLANS_PAGE = 30
store, actor, _ = frame.page(__file__)
# Kept until the next write (every change of a user or of the public view bumps the data version).
view = frame.store_view(store, auth.users_view, actor=actor, oidc_configured=frame.oidc_configured())

st.title("ユーザーと公開設定", anchor=False)
if not view.allowed:
    st.warning(frame.md(view.reason), icon=":material/lock:")
    st.stop()

st.caption(f"サインインの方式: {view.mode_text}")
if view.first_user_note:
    st.info(view.first_user_note, icon=":material/info:")

flash = st.session_state.pop("_users_flash", None)
if flash:
    st.success(frame.md(flash), icon=":material/check_circle:")


def done(message: str) -> None:
    st.session_state["_users_flash"] = message
    st.rerun()


st.subheader("ユーザー一覧", anchor=False)
if view.users:
    st.dataframe(pd.DataFrame([{
        "ユーザー名": u.name, "役割": u.role_label, "所属課": "、".join(u.departments),
        "メール": u.email or "", "状態": "有効" if u.active else "停止中",
        "パスワード": "設定済み" if u.has_password else "なし（OIDCのみ）",
        "登録": f"{u.created_at:%Y-%m-%d} {u.created_by or ''}" if u.created_at else "",
        "最終変更": f"{u.updated_at:%Y-%m-%d %H:%M} {u.updated_by or ''}" if u.updated_at else "",
    } for u in view.users]), hide_index=True, width="stretch")
else:
    st.write("まだ登録されていません。")

st.subheader("ユーザーを登録", anchor=False)
with st.form("add_user", clear_on_submit=False):
    c1, c2 = st.columns(2)
    name = c1.text_input("ユーザー名（サインインに使う名前）", max_chars=auth.MAX_NAME_CHARS, placeholder="例: yamada")
    role = c2.selectbox("役割", ROLES, index=2 if not view.users else 1, format_func=ROLE_LABELS.get)
    depts = st.multiselect("所属課（担当課（入力）は必須）", view.departments, accept_new_options=True,
                           placeholder="選ぶか、課名を入力して Enter", help="一覧にない課は、名前を入力して Enter で追加できます")
    email = st.text_input("メールアドレス（組織のアカウントでサインインするときの照合用、任意）",
                          placeholder="例: yamada@city.example.lg.jp")
    c3, c4 = st.columns(2)
    pw1 = c3.text_input(f"パスワード（{auth.MIN_PASSWORD_CHARS}文字以上）", type="password")
    pw2 = c4.text_input("パスワード（確認）", type="password")
    add = st.form_submit_button("登録する", type="primary")
if add:
    try:
        if pw1 != pw2:
            raise auth.UserError("確認用のパスワードが一致しません。")
        u = auth.add_user(store, actor, name, role, depts, password=pw1 or None, email=email or None)
    except KpiError as exc:
        frame.show_error(exc)
    else:
        if not view.users:  # the first user: sign-in starts now, and this session continues as them
            frame.sign_in_as(u.name)
        done(f"「{u.name}」を{u.role_label}として登録しました。" +
             ("これからはサインインが必要です（この画面はこのままお使いいただけます）。" if not view.users else ""))

if view.users:
    st.subheader("登録内容の変更・停止", anchor=False)
    names = [u.name for u in view.users]
    who = st.selectbox("ユーザー", names, key="_users_edit_who")
    u = next(x for x in view.users if x.name == who)
    with st.form("edit_user"):
        c1, c2 = st.columns(2)
        new_role = c1.selectbox("役割", ROLES, index=ROLES.index(u.role) if u.role in ROLES else 0,
                                format_func=ROLE_LABELS.get)
        active = c2.checkbox("有効（停止するとサインインできません）", value=u.active)
        new_depts = st.multiselect("所属課", sorted(set(view.departments) | set(u.departments)),
                                   default=list(u.departments), accept_new_options=True,
                                   placeholder="選ぶか、課名を入力して Enter", help="一覧にない課は、名前を入力して Enter で追加できます")
        new_email = st.text_input("メールアドレス", value=u.email or "")
        c3, c4 = st.columns(2)
        npw1 = c3.text_input("新しいパスワード（変えるときだけ）", type="password")
        npw2 = c4.text_input("新しいパスワード（確認）", type="password")
        save = st.form_submit_button("変更を保存", type="primary")
    if save:
        try:
            if npw1 != npw2:
                raise auth.UserError("確認用のパスワードが一致しません。")
            auth.update_user(store, actor, who, role=new_role, departments=new_depts, email=new_email,
                             password=npw1 or None, active=active)
        except KpiError as exc:
            frame.show_error(exc)
        else:
            done(f"「{who}」の登録内容を変更しました。")

st.subheader("公開設定（サインインなしで閲覧できる計画）", anchor=False)
st.caption("公開にした計画は、サインインしていない人も閲覧できます（書き込みはできません）。"
           "ユーザーが1人もいない間は、すべての計画をだれでも操作できます。")
if view.plans:
    # A prefecture's 180 plans are 180 checkboxes: one page of them at a time (saving changes the
    # plans on the page shown, and leaves the others as they are).
    shown = components.paged(view.plans, "_public_page", PLANS_PAGE)
    if len(shown) < len(view.plans):
        st.caption(f"全 {len(view.plans):,} 計画を {PLANS_PAGE} 件ずつ表示しています。保存するのは表示中のページの設定です。")
    with st.form("public_plans"):
        wanted = {p.plan_id: st.checkbox(frame.md(p.name), value=p.public, key=f"_public_{p.plan_id}")
                  for p in shown}
        publish = st.form_submit_button("公開設定を保存")
    if publish:
        try:
            results = auth.set_public(store, actor, wanted)
        except KpiError as exc:
            frame.show_error(exc)
        else:
            done(f"公開設定を保存しました（変更 {len(results)} 件）。")
else:
    st.write("計画がまだありません。")
