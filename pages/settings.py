"""評価ルール: edit a plan's grading rule, preview which items change grade, save (administrators)."""

import re

import pandas as pd
import streamlit as st

from kpi.access.permissions import decide
from kpi.errors import KpiError
from kpi.rules import rule_form
from kpi.rules.grading import ITEM_GRADES, MEASURE_LABELS, MEASURE_NAMES, PRESETS, ROUNDINGS, STATE_CONDITIONS
from kpi.rules.scheme import rule_sentences
from kpi.views import rule_settings as settings
from ui import frame, tables

ctx = frame.plan_page(__file__)
actor = frame.current_user()
pid = ctx.plan_id
ver_key, base_key = f"rule_ver_{pid}", f"rule_base_{pid}"
st.session_state.setdefault(ver_key, 0)
if st.session_state.get(base_key) not in [rule_form.CURRENT, *PRESETS] or st.session_state.pop(f"rule_reset_{pid}", False):
    # After a save (or on first visit) the form starts again from the stored rule.
    st.session_state[base_key] = rule_form.CURRENT
    st.session_state[ver_key] += 1
base = ctx.rule if st.session_state[base_key] == rule_form.CURRENT else PRESETS[st.session_state[base_key]]
form0 = rule_form.form_of(base)
ver = st.session_state[ver_key]


def restart_form() -> None:
    st.session_state[ver_key] += 1


st.title("評価ルール", anchor=False)
st.caption(f"{frame.md(ctx.data.plan.name)}　自動評価の区分・しきい値・遅れの基準")
if msg := st.session_state.pop(f"rule_saved_{pid}", None):
    st.success(msg, icon=":material/check_circle:")
st.info(f"**現在のルール**　{frame.md(ctx.rule.name)}\n\n{frame.md(ctx.rule.describe())}", icon=":material/rule:")

st.subheader("ルールを編集する", anchor=False)
st.selectbox("ひな形", [rule_form.CURRENT, *PRESETS], key=base_key, on_change=restart_form,
             format_func=lambda k: "現在のルールから編集" if k == rule_form.CURRENT else f"ひな形: {PRESETS[k].name}")
c1, c2 = st.columns(2)
name = c1.text_input("ルールの名前", form0.name, key=f"rule_name_{ver}")
measures = list(MEASURE_LABELS)
measure = c2.selectbox("評価に使う値", measures, index=measures.index(form0.measure), format_func=MEASURE_LABELS.get,
                       key=f"rule_measure_{ver}")
st.caption("区分は良い順に上から判定します。種類が「自動（条件）」の区分は、評価に使う値（空欄はルール全体の値）が"
           "しきい値（%）以上（「超」に✓で、しきい値を含まない）で、上限があれば上限以下のとき。"
           "「それ以外」は上のどれにも当たらないとき。「手動のみ」は自動では付かず、自己評価で選べます。"
           "基準値からの変化率のしきい値は変化の%です（例: 0 に「超」で基準値を上回る、-10 で10%減まで）。")
kind_names = list(rule_form.KINDS.values())
measure_names = ["", *MEASURE_NAMES.values()]
edited = st.data_editor(
    pd.DataFrame([{"区分": r[0], "種類": rule_form.KINDS.get(r[3], ""),
                   "評価に使う値": MEASURE_NAMES.get(r[4], ""), "しきい値（%以上）": r[1], "上限（%以下）": r[5],
                   "超（しきい値を含まない）": bool(r[6]), "意味": r[2]}
                  for r in (rule_form._row(x) for x in form0.rows)]),
    num_rows="dynamic", hide_index=True, width="stretch", key=f"rule_rows_{ver}",
    column_config={"区分": st.column_config.TextColumn(required=True),
                   "種類": st.column_config.SelectboxColumn(options=kind_names, required=True, default=kind_names[0]),
                   "評価に使う値": st.column_config.SelectboxColumn(options=measure_names),
                   "しきい値（%以上）": st.column_config.NumberColumn(format="%.1f", step=0.1),
                   "上限（%以下）": st.column_config.NumberColumn(format="%.1f", step=0.1),
                   "超（しきい値を含まない）": st.column_config.CheckboxColumn(default=False),
                   "意味": st.column_config.TextColumn(width="large")})
rows = rule_form.rows_from_editor(edited.to_dict("records"))
labels = [r[0] for r in rows if r[0]] or [form0.lagging_below]
c3, c4 = st.columns(2)
lag_index = labels.index(form0.lagging_below) if form0.lagging_below in labels else min(1, len(labels) - 1)
lagging_below = c3.selectbox("この区分より低い評価を「遅れ」とする", labels, index=lag_index, key=f"rule_lag_{ver}")
grace = c4.number_input("実績の報告を待つ月数（年度終了後）", min_value=0, max_value=24, value=form0.grace_months,
                        key=f"rule_grace_{ver}")
words = st.text_input("上半期の進捗管理で「遅れ」とみなす記入（、区切り）", form0.first_half_lagging, key=f"rule_words_{ver}")

st.markdown("**評価できないときの表示**（空欄は「未評価」。自己評価としても記入できます）")
named = dict(form0.auto_states)
sc = st.columns(len(STATE_CONDITIONS))
states = tuple((c, v.strip()) for i, (c, what) in enumerate(STATE_CONDITIONS.items())
               if (v := sc[i].text_input(f"{what}とき", named.get(c, ""), key=f"rule_state_{c}_{ver}")).strip())
ungraded_text = st.text_input("担当課が記入する評価外の状態（、区切り。順位をつけない）", "、".join(form0.ungraded),
                              key=f"rule_ungraded_{ver}")
ungraded = tuple(w for w in (x.strip() for x in re.split(r"[、,，]", ungraded_text)) if w)
c5, c6 = st.columns(2)
items = list(ITEM_GRADES)
item_grade = c5.selectbox("取組の評価の決め方（指標が複数のとき）", items, index=items.index(form0.item_grade),
                          format_func=ITEM_GRADES.get, key=f"rule_item_{ver}")
roundings = list(ROUNDINGS)
rounding = c6.selectbox("平均の端数", roundings, index=roundings.index(form0.rounding), format_func=ROUNDINGS.get,
                        key=f"rule_round_{ver}", disabled=item_grade != "average")
text_grades = st.text_area(
    "文章の実績の評価（定性の指標。1行に1組「実施 = 達成」。空欄なら担当課の評価によります）", form0.text_grades,
    key=f"rule_text_{ver}", height=90)

form = rule_form.RuleForm(name, measure, rows, lagging_below, int(grace), words, ungraded, form0.extra_self_labels,
                          states, item_grade, rounding, text_grades)
# Kept per form until the data changes: each widget change reruns the page, the assessments are the cost.
preview = frame.view(ctx, settings.preview_rule_change, form=form)

st.subheader("保存する前に: 変更の影響", anchor=False)
if preview.problems:
    st.error("**このルールは保存できません**\n\n" + "\n".join(f"- {frame.md(p)}" for p in preview.problems),
             icon=":material/error:")
else:
    st.markdown(f"**新しいルール**　{frame.md(preview.new_text)}")
    st.markdown("\n".join(f"- {frame.md(t)}" for t in rule_sentences(preview.rule)))
    (st.info if preview.same else st.warning)(frame.md(preview.summary))
    if preview.changes:
        tables.show(preview.table, "rule_preview")
    c = st.columns(2)
    c[0].markdown("**変更前**　" + "　".join(f"{frame.md(k)} {v}件" for k, v in preview.counts_before.items()))
    c[1].markdown("**変更後**　" + "　".join(f"{frame.md(k)} {v}件" for k, v in preview.counts_after.items()))

allowed = decide(actor, "settings")
can_save = bool(allowed) and preview.rule is not None and not preview.same
if st.button("このルールを保存する", type="primary", disabled=not can_save, key="rule_save",
             help=None if allowed else allowed.reason):
    try:
        res = settings.save_rule(ctx.store, ctx.data.plan.name, preview.rule, actor)
    except KpiError as exc:
        frame.show_error(exc)
    else:
        st.session_state[f"rule_saved_{pid}"] = (f"評価ルールを保存しました（取込番号 {res.upload_id}）。"
                                                 "変更前のルールは取込履歴に残っています。")
        st.session_state[f"rule_reset_{pid}"] = True
        st.rerun()
if not allowed:
    st.caption(frame.md(allowed.reason))
