"""データ取込: drop the yearly Excel sheets, check what would change, then write on confirmation."""

import pandas as pd
import streamlit as st

from kpi.errors import KpiError
from kpi.intake.pipeline import commit
from kpi.intake.review import direction_edits, direction_rows, editor_rows, edits_from_editor, review_key, review_upload
from ui import frame

AUTO, NEW = "__auto__", "__new__"

store = frame.page(__file__).store
st.title("データ取込", anchor=False)
st.caption("担当課から届いたExcelをそのまま取り込みます。様式はシートの中身から判定し、"
           "何が変わるかを確かめてから「取り込む」を押したときだけ書き込みます。")

done = st.session_state.pop("upload_done", None)
if done:
    st.success(done, icon=":material/check_circle:")

n = st.session_state.setdefault("upload_n", 0)
plans = {p.name: p for p in store.plans()}
choice = st.selectbox(
    "取り込み先の計画", [AUTO, *plans, NEW], key="upload_plan",
    format_func=lambda v: {AUTO: "ファイルから判断する（計画名がない様式は、同じ取組番号の計画）",
                           NEW: "新しい計画として取り込む…"}.get(v, v))
plan_name = None
if choice == NEW:
    plan_name = st.text_input("新しい計画の名前", key="upload_new_plan",
                              placeholder="例: ○○市行政改革推進プラン").strip() or None
elif choice != AUTO:
    plan_name = choice

files = st.file_uploader("Excelファイル（.xlsx、複数可）", type=["xlsx", "xlsm", "xls"], accept_multiple_files=True,
                         key=f"upload_files_{n}",
                         help="ここにファイルをドラッグするか、「Browse files」を押して選びます（複数可）。"
                              "1ファイル20MBまで。パスワード付き・マクロ付きのファイルは受け付けません。")
if not files:
    st.session_state.pop("upload_review", None)
    st.info("ファイルを選ぶと、様式の判定・チェック結果・変更点がここに表示されます。"
            "記入用の様式は「ダウンロード」画面から取り出せます。", icon=":material/info:")
    st.stop()
if choice == NEW and not plan_name:
    st.warning("新しい計画の名前を入れてください。", icon=":material/edit:")
    st.stop()

bases = st.session_state.setdefault(f"upload_text_base_{n}", {})
dir_bases = st.session_state.setdefault(f"upload_dir_base_{n}", {})
edits = {name: edits_from_editor(base, (st.session_state.get(f"ti_{n}_{name}") or {}).get("edited_rows"))
         for name, base in bases.items()}
for name, base in dir_bases.items():
    edits[name] = edits.get(name, []) + direction_edits(base, (st.session_state.get(f"dir_{n}_{name}") or {}).get("edited_rows"))
# A widget's rerun (a toggle, a checkbox) shows the review it already has: it is kept under the
# files' hashes, the edits, the data version and the reader (kpi.intake.review.review_key).
sources = [(f.name, f.getvalue()) for f in files]
asked = dict(plan_name=plan_name, edits=edits, today=frame.today(), actor=frame.current_user(), style=frame.era())
key = review_key(sources, version=frame.data_version(store), **asked)
kept = st.session_state.get("upload_review")
if kept is not None and kept[0] == key:
    review = kept[1]
else:
    review = review_upload(store, sources, **asked)
    st.session_state["upload_review"] = (key, review)

for f in review.files:
    bases[f.file_name] = f.text_indicators
    dir_bases[f.file_name] = f.directions
    with st.container(border=True):
        st.markdown(f"#### {frame.md(f.file_name)}")
        st.markdown(f"**様式**　{frame.md(f.layout_label)}　　**取り込み先**　{frame.md(f.plan_name or '―')}"
                    f"{'（新しい計画）' if f.plan_is_new else ''}")
        if f.plan_is_new and not f.errors:
            st.info(f"計画「{frame.md(f.plan_name)}」はまだ登録されていません。取り込むと、新しい計画として作ります。",
                    icon=":material/new_label:")
        if f.same_file_before:
            st.caption(f"このファイルと同じ内容のファイルは {frame.md(f.same_file_before)} に取り込み済みです。")
        frame.show_problems([p for p in f.problems if p.code != "rule_changed"])
        for p in f.problems:
            if p.code == "rule_changed":
                st.warning(f"**評価方式（評価ルール）が変わります**　{frame.md(p.where)}\n\n{frame.md(p.message)}",
                           icon=":material/rule:")
        if f.text_indicators:
            st.markdown("**成果指標の文章から読み取った目標** — 確かめて、違っていれば直してください（「取り込む」を外すと取り込みません）")
            st.data_editor(
                pd.DataFrame(editor_rows(f.text_indicators)), key=f"ti_{n}_{f.file_name}", hide_index=True,
                width="stretch", disabled=["No.", "元の文章"],
                column_config={
                    "元の文章": st.column_config.TextColumn(width="large"),
                    "目標値": st.column_config.NumberColumn(format="localized"),
                    "目標年度": st.column_config.TextColumn(help="例: 令和2年度、H32、2020"),
                    "方向": st.column_config.SelectboxColumn(options=["高いほど良い", "低いほど良い"], required=True),
                })
        if f.errors:
            st.caption(frame.md(f.summary))
            if frame.current_user().is_admin and any(p.code == "bad_file" for p in f.errors):
                from ui.layout_teach import teach_panel  # a workbook no layout reads: teach it (issue 19)
                teach_panel(store, f.file_name, files[review.files.index(f)].getvalue(),
                            f"{n}_{f.file_name}")
            continue
        if f.teachable and frame.current_user().is_admin and st.toggle(
                "この読み方が違うときは、様式を登録する（管理者）", key=f"teach_open_{n}_{f.file_name}",
                help="公開されている様式に似た見出しから読み方を選びました。市の独自のシートなら、列を指定して登録できます"):
            from ui.layout_teach import teach_panel
            teach_panel(store, f.file_name, files[review.files.index(f)].getvalue(), f"{n}_{f.file_name}")
        c1, c2, c3 = st.columns(3)
        c1.metric("新規", f.n_insert)
        c2.metric("変更", f.n_update)
        c3.metric("変更なし", f.n_unchanged)
        if f.changes_nothing:
            st.info("変更はありません。同じ内容がすでに登録されています。", icon=":material/check:")
            continue
        show_all = st.toggle("変更なしの行も表示する", key=f"all_{n}_{f.file_name}")
        rows = [r for r in f.rows if show_all or r.status != "変更なし"]
        st.dataframe(pd.DataFrame([{"状況": r.status, "区分": r.what, "No.": r.item_no, "取組": r.title,
                                    "指標": r.indicator,
                                    "年度": frame.fy_label(r.fiscal_year), "項目": r.field, "変更前": r.old,
                                    "変更後": r.new} for r in rows]),
                     hide_index=True, width="stretch", height=min(38 + 35 * len(rows), 420))
        if f.directions:
            st.markdown(f"**指標の良い方向（シートに記載がなく、取り込み時に判断したもの {len(f.directions)} 件）** — "
                        "根拠を確かめ、正しければ「確認」に、違っていれば「方向」を直してください。"
                        "確認・変更した方向は担当者の指定として保存し、次の取り込みでも変わりません")
            st.data_editor(
                pd.DataFrame(direction_rows(f.directions)), key=f"dir_{n}_{f.file_name}", hide_index=True,
                width="stretch", disabled=["No.", "指標", "根拠"],
                column_config={
                    "確認": st.column_config.CheckboxColumn(help="この方向で正しいときにチェック"),
                    "方向": st.column_config.SelectboxColumn(options=["高いほど良い", "低いほど良い"], required=True),
                    "根拠": st.column_config.TextColumn(width="large"),
                })

st.divider()
rule_accepted = False
if review.rule_changes and not review.errors:
    rule_accepted = st.checkbox("評価方式の変更を確認しました。この計画の評価方式を変えます", key=f"accept_rule_{n}")
accepted = True
if review.other_warnings and not review.errors:
    accepted = st.checkbox(f"注意 {len(review.other_warnings)} 件を確認しました。このまま取り込みます", key=f"accept_{n}")
reason = ""
if review.target_changes and not review.errors:
    reason = st.text_area("目標（計画値）を変更する理由", key=f"reason_{n}",
                          placeholder="例: 令和7年度の事業見直しにより目標を修正（○月○日 委員会で了承）",
                          help="取込履歴に記録されます")
blocker = review.blocker(warnings_accepted=accepted, reason=reason, rule_change_accepted=rule_accepted)
if st.button("取り込む", type="primary", disabled=blocker is not None, icon=":material/upload:", key=f"commit_{n}"):
    try:
        results = commit(store, list(review.preps), frame.current_user(), note=reason.strip() or None)
    except KpiError as exc:
        frame.show_error(exc)
    else:
        st.session_state.pop("upload_review", None)
        ids = [str(r.upload_id) for r in results if r.upload_id is not None]
        st.session_state["upload_done"] = (
            f"取り込みました（取込番号 {'、'.join(ids)}）。各画面に新しい数値が表示されます。取り消しは「取込履歴」からできます。"
            if ids else "変更はありませんでした（同じ内容が登録済みです）。")
        st.session_state["upload_n"] = n + 1
        st.rerun()
if blocker:
    st.caption(blocker)
