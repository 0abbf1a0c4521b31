"""照会と提出: the yearly cycle (照会 → 提出 → 確認 → 確定), reminders, period locks and target revisions.

The 推進課 (administrator) opens a call, sees the board, confirms or returns each submission, sends
reminders and locks the year; a department sees its own status, the comment of a 差し戻し and its sheet."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from kpi.cycle import calls as cycle
from kpi.cycle import clock, mail
from kpi.cycle.board import COLUMNS
from kpi.cycle.reminders import send_due
from kpi.cycle.rules import STAGE_LABELS
from kpi.errors import KpiError
from kpi.intake.cycle_review import accept, send_back
from kpi.outputs.cycle_sheets import all_sheets_zip
from kpi.outputs.department_sheet import department_sheet, department_sheet_label
from kpi.rules.model import STAGES
from kpi.views.cycle import cycle_view
from ui import frame

store, actor, ctx = frame.page(__file__, plan=True)
if ctx is None:
    st.stop()
if actor.public_only:
    st.info("照会と提出は、サインインした職員だけが使えます。")
    st.stop()
# Kept until the next write (every step of the cycle is one): the board reads some fifteen tables.
view = frame.store_view(store, cycle_view, version=ctx.version, actor=actor, plan_id=ctx.plan_id, today=clock.today())

st.title("照会と提出", anchor=False)
st.caption("推進課が担当課に照会し（期限・依頼内容）、提出を確認または差し戻し、確定すると、その年度の値と評価は変更できなくなります。")
done = st.session_state.pop("cycle_done", None)
if done:
    st.success(frame.md(done), icon=":material/check_circle:")


def act(fn, message: str, *args, **kw) -> None:
    """Run one step of the cycle; on success reload with the message, else show why."""
    try:
        fn(*args, **kw)
    except KpiError as exc:
        frame.show_error(exc)
    else:
        st.session_state["cycle_done"] = message
        st.rerun()


call = view.call
if call is None:
    st.info("この計画にはまだ照会がありません。" + ("下の「照会を開始する」から始めてください。" if view.manage else ""))
else:
    st.subheader(frame.md(call.title), anchor=False)
    st.markdown(f"**{frame.md(view.board.progress)}**　期限 {call.deadline:%Y-%m-%d}　状態: {call.status_label}"
                f"（開始 {call.opened_at:%Y-%m-%d} {frame.md(call.opened_by)}）")
    if call.instructions:
        st.caption(f"依頼内容: {frame.md(call.instructions)}")
    board = pd.DataFrame(view.board.table(), columns=COLUMNS)
    overdue = [r.overdue for r in view.board.rows]
    st.dataframe(board.style.apply(lambda row: ["background-color: #fde2e1" if overdue[row.name] else ""] * len(row),
                                   axis=1),
                 hide_index=True, width="stretch", key="cycle_board")
    st.caption("赤い行は期限切れ（未提出・差し戻しのまま期限を過ぎた課）です。")

# ---------------------------------------------------------------- a department's own part
for s in view.mine:
    with st.container(border=True):
        st.markdown(f"**{frame.md(s.department)}の状況: {frame.md(s.state_text)}**")
        if s.status == "returned" and s.comment:
            st.warning(f"推進課からの差し戻し（{s.acted_at:%Y-%m-%d} {frame.md(s.acted_by)}）: {frame.md(s.comment)}。"
                       "シートを直して「データ取込」からもう一度提出してください。", icon=":material/undo:")
        elif s.status == "pending":
            st.info("提出を受け付けました。推進課の確認を待っています（それまで値は未確定です）。")
        if call is not None and call.is_open:
            name, desc = department_sheet_label(ctx.data, call.fiscal_year, s.department)
            st.download_button(f"{frame.md(s.department)}の記入用シート（{desc}）",
                               lambda d=s.department: department_sheet(store, ctx.plan_id, call.fiscal_year, d).data,
                               name, icon=":material/download:", key=f"cycle_sheet_{s.department}")

if not view.manage:
    st.stop()

# ---------------------------------------------------------------- the 推進課's part
if call is not None and call.is_open:
    st.download_button(
        f"全課の記入用シートをまとめてダウンロード（ZIP、{len(call.departments)} 課）",
        lambda: all_sheets_zip(store, ctx.plan_id, call.fiscal_year, call.departments).data,
        f"記入用シート_{call.fiscal_year}_全課.zip", "application/zip", icon=":material/folder_zip:", key="cycle_zip")

    st.subheader("確認待ちの提出", anchor=False)
    if not view.submissions:
        st.caption("確認待ちの提出はありません。")
    for sub in view.submissions:
        with st.container(border=True):
            st.markdown(f"**{frame.md(sub.department)}**　取込番号 {'、'.join(map(str, sub.upload_ids))}")
            st.dataframe(pd.DataFrame({"変更内容": list(sub.changes) or ["（値の変更なし）"]}), hide_index=True,
                         width="stretch", height=min(38 + 35 * max(len(sub.changes), 1), 300))
            comment = st.text_input("コメント（差し戻すときは必須）", key=f"cycle_comment_{sub.department}")
            c1, c2 = st.columns(2)
            if c1.button("確認する（値を確定）", key=f"cycle_confirm_{sub.department}", type="primary",
                         icon=":material/check:"):
                act(accept, f"{sub.department}の提出を確認しました。", store, actor, call, sub.department, comment or None)
            if c2.button("差し戻す", key=f"cycle_return_{sub.department}", icon=":material/undo:"):
                act(send_back, f"{sub.department}に差し戻しました（提出した値は取り消しました）。", store, actor, call,
                    sub.department, comment)

    st.subheader("催促", anchor=False)
    st.caption(f"メール: {frame.md(view.mail_text)}")
    if not view.reminders:
        st.caption("未提出・差し戻しの課はありません。")
    for r in view.reminders:
        due = "今日が催促の日です" if r.due else "今日は催促の日ではありません"
        with st.expander(f"{r.department}　{r.status.state_text}　（{due}: {r.due.reason}）"):
            st.text_input("宛先", "、".join(r.recipients) or "（メールアドレスの登録がありません）", disabled=True,
                          key=f"cycle_to_{r.department}")
            st.text_input("件名", r.subject, key=f"cycle_subject_{r.department}")
            st.text_area("本文（コピーして送ることもできます）", r.body, height=260, key=f"cycle_body_{r.department}")
            if view.mail_configured and st.button("この課にメールで催促する", key=f"cycle_send_{r.department}",
                                                  icon=":material/mail:"):
                act(send_due, f"{r.department}に催促のメールを送りました。", store, actor, plan_id=ctx.plan_id,
                    departments=[r.department], force=True)
    if view.mail_configured and any(r.due for r in view.reminders):
        if st.button("今日の催促をすべて送る", key="cycle_send_due", icon=":material/send:"):
            act(send_due, "今日の催促を送りました。", store, actor, plan_id=ctx.plan_id)

    st.subheader("確定", anchor=False)
    sure = st.checkbox(f"{call.title}を確定し、{frame.fy_label(call.fiscal_year)}の{call.stages}の値と評価を変更できなくします",
                       key="cycle_final_sure")
    if st.button("照会を確定する", disabled=not sure, type="primary", icon=":material/lock:", key="cycle_finalize"):
        act(cycle.finalize, f"{call.title}を確定しました。", store, actor, call)

if view.locks or view.unlocked:
    st.subheader("確定した期間", anchor=False)
    for _fy, _stage, text in view.locks:
        st.markdown(f"- :material/lock: {frame.md(text)}")
    for text in view.unlocked:
        st.markdown(f"- :material/lock_open: {frame.md(text)}")
    if view.locks:
        with st.form("cycle_unlock"):
            pick = st.selectbox("解除する期間", range(len(view.locks)), key="cycle_unlock_pick",
                                format_func=lambda i: f"{frame.fy_label(view.locks[i][0])} {view.locks[i][1]}")
            reason = st.text_input("解除する理由（取込履歴に残ります）", key="cycle_unlock_reason")
            if st.form_submit_button("確定を解除する", icon=":material/lock_open:"):
                fy, stage, _t = view.locks[pick]
                act(cycle.unlock, f"{frame.fy_label(fy)}の{stage}の確定を解除しました。", store, actor, ctx.plan_id, fy,
                    stage, reason)

if call is None or not call.is_open:
    st.subheader("照会を開始する", anchor=False)
    with st.form("cycle_open"):
        years = list(range(ctx.data.plan.start_fy or ctx.fy, (ctx.data.plan.end_fy or ctx.fy) + 1)) or [ctx.fy]
        fy = st.selectbox("報告する年度", years, index=years.index(ctx.fy) if ctx.fy in years else 0,
                          format_func=frame.fy_label, key="cycle_open_fy")
        stages = st.multiselect("集める段階", list(STAGES), default=["年度"], key="cycle_open_stages",
                                format_func=lambda s: STAGE_LABELS.get(s, s))
        deadline = st.date_input("提出期限", clock.today() + timedelta(days=30), key="cycle_open_deadline")
        departments = st.multiselect("照会する担当課", list(view.departments), default=list(view.departments),
                                     key="cycle_open_departments")
        instructions = st.text_area("依頼内容", key="cycle_open_instructions")
        if st.form_submit_button("照会を開始する", type="primary", icon=":material/campaign:"):
            act(cycle.open_new, "照会を開始しました。", store, actor, ctx.plan_id, fy, stages, deadline, instructions,
                departments)

with st.expander("メールの設定（催促メールの送信サーバー）", expanded=not view.mail_configured):
    ms = view.mail
    st.caption("庁内のメールサーバー（SMTP）を登録すると、催促をメールで送れます（登録するまで何も送りません）。"
               "パスワードは送信にだけ使い、画面には表示せず、取込履歴にも残しません。")
    # A typed password must not stay in the form once saved: its box takes a new key after each save,
    # so the old one's value is dropped with it.
    saved = st.session_state.get("cycle_mail_saves", 0)
    with st.form("cycle_mail"):
        c1, c2 = st.columns([3, 1])
        host = c1.text_input("送信サーバー（空にするとメールを送りません）", ms.host, key="cycle_mail_host",
                             placeholder="smtp.city.example.lg.jp")
        port = c2.number_input("ポート", 1, 65535, ms.port, key="cycle_mail_port")
        security = st.radio("暗号化（TLS）", list(mail.SECURITY), index=list(mail.SECURITY).index(ms.security)
                            if ms.security in mail.SECURITY else 0, format_func=mail.SECURITY.get,
                            key="cycle_mail_security", horizontal=True)
        c1, c2 = st.columns(2)
        sender = c1.text_input("差出人のメールアドレス", ms.sender, key="cycle_mail_sender",
                               placeholder="gyokaku@city.example.lg.jp")
        sender_name = c2.text_input("差出人の名前", ms.sender_name, key="cycle_mail_sender_name")
        c1, c2 = st.columns(2)
        username = c1.text_input("SMTP のユーザー（認証のいらないサーバーは空）", ms.username, key="cycle_mail_user")
        password = c2.text_input("SMTP のパスワード", type="password", key=f"cycle_mail_password_{saved}",
                                 placeholder="設定済み（変えるときだけ入力）" if ms.has_password else "認証のいらないサーバーは空",
                                 autocomplete="new-password")
        forget = st.checkbox("保存したパスワードを消す", key="cycle_mail_forget") if ms.has_password else False
        if st.form_submit_button("メールの設定を保存する", icon=":material/save:"):
            st.session_state["cycle_mail_saves"] = saved + 1
            act(mail.save_settings, "メールの設定を保存しました。", store, actor,
                mail.MailSettings(host, int(port), sender, sender_name or mail.MailSettings.sender_name, security,
                                  username), password="" if forget else (password or mail.KEEP))

with st.expander("この計画の設定（未確定の値・評価に使う目標）"):
    st.caption(frame.md(view.settings.text))
    show = st.toggle("確認待ち（未確定）の値をダッシュボードに表示する", value=view.settings.show_unconfirmed,
                     key="cycle_show_unconfirmed")
    against = st.radio("評価に使う目標", ["revised", "original"], index=0 if view.settings.grade_against == "revised" else 1,
                       format_func={"revised": "修正後の目標（当初の目標は並べて表示）", "original": "当初の目標"}.get,
                       key="cycle_grade_against", horizontal=True)
    if st.button("設定を保存する", key="cycle_save_settings"):
        act(cycle.save_settings, "設定を保存しました。", store, actor, ctx.plan_id, show_unconfirmed=show,
            grade_against=against)

if view.revisions:
    st.subheader("目標の修正（当初・修正）", anchor=False)
    st.dataframe(pd.DataFrame([{"取組": r.item_no, "目標": r.label(ctx.style), "当初": r.shown(r.original, ctx.style),
                                "修正": r.shown(r.revised, ctx.style), "修正日": f"{r.last.at:%Y-%m-%d}",
                                "修正した人": r.last.by, "理由": r.last.reason or "（記録なし）"} for r in view.revisions]),
                 hide_index=True, width="stretch", key="cycle_revisions")
