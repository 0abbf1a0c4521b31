"""評価ルール: edit a plan's grading rule, preview which items change grade, save (administrators)."""

import pandas as pd
import streamlit as st

from kpi.access.permissions import decide
from kpi.errors import KpiError
from kpi.rules import rule_form
from kpi.rules.grading import MEASURE_LABELS, PRESETS
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
st.caption("区分は良い順に上から。各区分は「しきい値（%）以上」で、最後の区分は「それ以外」です（しきい値は空欄）。"
           "基準値との比較では、しきい値は基準値からの変化率（例: 1 は +1%、-1 は −1%）です。")
edited = st.data_editor(
    pd.DataFrame([{"区分": label, "しきい値（%以上）": threshold, "意味": meaning}
                  for label, threshold, meaning in form0.rows]),
    num_rows="dynamic", hide_index=True, width="stretch", key=f"rule_rows_{ver}", placeholder="（それ以外）",
    column_config={"区分": st.column_config.TextColumn(required=True),
                   "しきい値（%以上）": st.column_config.NumberColumn(format="%.1f", step=0.1),
                   "意味": st.column_config.TextColumn(width="large")})
rows = rule_form.rows_from_editor(edited.to_dict("records"))
labels = [r[0] for r in rows if r[0]] or [form0.lagging_below]
c3, c4 = st.columns(2)
lag_index = labels.index(form0.lagging_below) if form0.lagging_below in labels else min(1, len(labels) - 1)
lagging_below = c3.selectbox("この区分より低い評価を「遅れ」とする", labels, index=lag_index, key=f"rule_lag_{ver}")
grace = c4.number_input("実績の報告を待つ月数（年度終了後）", min_value=0, max_value=24, value=form0.grace_months,
                        key=f"rule_grace_{ver}")
words = st.text_input("上半期の進捗管理で「遅れ」とみなす記入（、区切り）", form0.first_half_lagging, key=f"rule_words_{ver}")

form = rule_form.RuleForm(name, measure, rows, lagging_below, int(grace), words, form0.ungraded, form0.extra_self_labels)
# Kept per form until the data changes: each widget change reruns the page, the assessments are the cost.
preview = frame.view(ctx, settings.preview_rule_change, form=form)

st.subheader("保存する前に: 変更の影響", anchor=False)
if preview.problems:
    st.error("**このルールは保存できません**\n\n" + "\n".join(f"- {frame.md(p)}" for p in preview.problems),
             icon=":material/error:")
else:
    st.markdown(f"**新しいルール**　{frame.md(preview.new_text)}")
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
