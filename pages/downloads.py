"""ダウンロード: the department's pre-filled sheet, the blank template, and the long export tables."""

import streamlit as st

from kpi.access.permissions import no_plan_message, upload_hint
from kpi.outputs.department_sheet import (XLSX_MIME, blank_template, blank_template_name, department_sheet,
                                          department_sheet_label, departments_of)
from kpi.outputs.readable import export as export_table
from kpi.outputs.readable import name_of
from kpi.sanitize import safe_file_name
from ui import frame

ALL = "__all__"
EXPORTS = {"values": "年度値（計画・実績・達成率・評価）", "grades": "取組の評価（自動評価と自己評価・その差）",
           "evaluations": "評価（段階・評価・コメント）", "indicators": "指標（単位・方向・基準値・目標）"}

store, actor, ctx = frame.page(__file__, plan=True)
st.title("ダウンロード", anchor=False)

st.subheader("担当課の記入用シート（記入済み）", anchor=False)
if ctx is None:
    st.info(no_plan_message(actor, any_plan=bool(frame.plans(store))))
else:
    st.caption(f"「{frame.md(ctx.data.plan.name)}」の取組・指標と前年度の値を書き込んだExcelです。"
               "黄色のセルに入力して保存します。" + upload_hint(actor))
    plan = ctx.data.plan
    years = list(range(plan.start_fy, plan.end_fy + 1)) if plan.start_fy and plan.end_fy else []
    years = sorted(set(years) | set(ctx.data.data_years) | {ctx.fy})
    c1, c2 = st.columns(2)
    depts = frame.store_view(store, departments_of, version=ctx.version, plan_id=ctx.plan_id)  # a scan on a shared store
    dept = c1.selectbox("担当課", [ALL, *depts], key="dl_dept",
                        format_func=lambda d: "すべての担当課" if d == ALL else d)
    fy = c2.selectbox("報告する年度", years, index=years.index(ctx.fy), format_func=frame.fy_label, key="dl_fy")
    chosen = None if dept == ALL else dept
    # Files are made when a button is pressed, not on every run of the page.
    sheet_name, sheet_description = department_sheet_label(ctx.data, fy, chosen)
    st.download_button(f"記入用シートをダウンロード（{sheet_description}）",
                       lambda: department_sheet(store, ctx.plan_id, fy, chosen).data, sheet_name,
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", on_click="ignore",
                       icon=":material/download:", key="dl_prefill")

st.subheader("空のテンプレート", anchor=False)
st.caption("新しい計画を登録するときの標準様式です（計画・取組・指標・年度値・評価。書き方は「記入方法」シート）。")
# Made on the first press (then kept by the process): building it imports most of openpyxl.
st.download_button("空のテンプレートをダウンロード", lambda: blank_template().data, blank_template_name(),
                   XLSX_MIME, on_click="ignore", icon=":material/download:", key="dl_template")

st.subheader("データの書き出し", anchor=False)
c1, c2, c3, c4 = st.columns(4)
what = c1.radio("内容", list(EXPORTS), format_func=EXPORTS.get, key="dl_what")
fmt = c2.radio("形式", ["csv", "xlsx"], format_func=lambda f: {"csv": "CSV（Excelでそのまま開けます）",
                                                             "xlsx": "Excel（.xlsx）"}[f], key="dl_fmt")
SCOPES = {"plan": "選んでいる計画", "all": "すべての計画（公開中のもの）" if actor.public_only else "すべての計画"}
scope = c3.radio("範囲", list(SCOPES), format_func=SCOPES.get, key="dl_scope", disabled=ctx is None)
FORMS = {"people": "日本語の見出し（そのまま読む・印刷する）", "machine": "機械処理用（英語の列名・西暦・率は小数）"}
form = c4.radio("表の形", list(FORMS), format_func=FORMS.get, key="dl_form")
plan_name = ctx.data.plan.name if ctx is not None and scope == "plan" else None
# 「すべての計画」 is every plan this user may read: the export itself asks kpi.access.permissions.
# The file is made when the button is pressed; its name says what, of which plans and years.
years = ctx.data.data_years if plan_name else ()
style, day = frame.era(), frame.today()  # read now: the file is made after this run
export_name = (f"{what}{'_' + plan_name if plan_name else ''}.{fmt}" if form == "machine"
               else name_of(what, fmt, plan_name, years, style))
st.download_button(f"{EXPORTS[what].split('（')[0]}を書き出す",
                   lambda: export_table(store, what, fmt, actor=actor, plan=plan_name, today=day, style=style,
                                        machine=form == "machine")[0],
                   safe_file_name(export_name),
                   "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   on_click="ignore", icon=":material/table:", key="dl_export")
if form == "people":
    st.caption("1行に1つの値です（年度値なら 取組・指標・年度 ごとに1行）。年度は左で選んだ表示（和暦・西暦）、"
               "達成率は「計画に対する実績の割合」を%で、自動評価は画面と同じ評価です。空欄は値がないことを表します。"
               "目標が修正された値は「当初」と「修正後」を修正日・理由とともに並べます（評価に使う目標は計画の設定）。"
               "推進課の確認待ちの提出の値は「未確定」の列に印があります。")
else:
    st.caption("ほかのシステムやプログラムで読む形です。列名は英語で固定（plan＝計画名、item_no＝取組番号、"
               "fiscal_year＝年度が始まる西暦の年、target＝計画、actual＝実績、achievement_rate＝達成率を小数で"
               "（1.057 ＝ 105.7%）、direction＝方向 higher/lower）、はい/いいえは true/false です。")
