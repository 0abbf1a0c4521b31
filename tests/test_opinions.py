"""Committee opinions: meeting order, validation, and writes through the one write path."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import NIIGATA_PLAN

from kpi.access.permissions import LOCAL_ADMIN, Actor
from kpi.errors import PermissionDenied
from kpi.outputs.opinions import (
    Meeting,
    Opinion,
    OpinionError,
    earlier,
    load_opinions,
    meeting_key,
    meetings,
    new_opinion_batch,
    response_batch,
    save,
    suggest_meeting_name,
)


@pytest.mark.parametrize("a, b", [
    (("令和7年度第2回", None), ("令和8年度第1回", None)),
    (("令和8年度第1回", None), ("令和8年度第2回", None)),
    (("令和８年度第２回", None), ("令和8年度第10回", None)),  # full-width digits, 2 < 10
    (("平成30年度第3回", None), ("令和元年度第1回", None)),
    (("第1回推進委員会", date(2025, 8, 1)), ("第1回推進委員会 ", date(2026, 8, 1))),  # fiscal year from the date
    (("令和8年度第1回", date(2026, 7, 1)), ("令和8年度第1回（追加）", date(2026, 7, 20))),
])
def test_meetings_sort_by_fiscal_year_then_round_then_date(a, b):
    assert meeting_key(*a) < meeting_key(*b)


def op(item="28", meeting="令和7年度第2回", seq=1, day=None, text="意見", response=None) -> Opinion:
    return Opinion(item, meeting, seq, day, text, response)


def test_a_pack_shows_only_earlier_meetings_oldest_first():
    ops = [op(meeting="令和8年度第1回", text="今回"), op(meeting="令和7年度第2回", seq=2, text="前回2"),
           op(meeting="令和7年度第2回", text="前回1"), op(meeting="令和7年度第1回", text="前々回"),
           op(meeting="令和8年度第2回", text="次回")]
    shown = earlier(ops, Meeting("令和8年度第1回"))
    assert [o.opinion for o in shown] == ["前々回", "前回1", "前回2"]
    assert [o.opinion for o in earlier(ops, None)] == ["前々回", "前回1", "前回2", "今回", "次回"]
    # A new meeting after all of them shows everything recorded.
    assert len(earlier(ops, Meeting("令和9年度第1回", date(2027, 6, 1)))) == 5


def test_meeting_list_keeps_the_recorded_date():
    ms = meetings([op(meeting="令和8年度第1回", day=date(2026, 7, 3)), op(meeting="令和7年度第2回", seq=2),
                   op(meeting="令和8年度第1回", seq=2)])
    assert [m.name for m in ms] == ["令和7年度第2回", "令和8年度第1回"]
    assert ms[1].label == "令和8年度第1回（2026年7月3日）"


@pytest.mark.parametrize("today, existing, expected", [
    (date(2026, 11, 23), [], "令和8年度第1回"),
    (date(2026, 11, 23), [Meeting("令和8年度第1回"), Meeting("令和7年度第3回")], "令和8年度第2回"),
    (date(2027, 2, 10), [Meeting("令和8年度第2回")], "令和8年度第3回"),  # February is still FY2026
    (date(2019, 5, 10), [], "令和元年度第1回"),
])
def test_suggested_meeting_name_is_the_next_round_of_this_fiscal_year(today, existing, expected):
    assert suggest_meeting_name(today, existing) == expected


def test_recording_an_opinion_and_the_answer_goes_through_the_write_path(niigata_store):
    store = niigata_store
    info = store.plan_by_name(NIIGATA_PLAN)
    data = store.load_plan(info.plan_id)
    b = new_opinion_batch(data, (), item_no="28", meeting="令和8年度第1回", held_on=date(2026, 7, 3),
                          opinion="  まちづくりセンターの地域差の理由を示してほしい。 ")
    res = save(store, b, LOCAL_ADMIN, "委員意見の入力")
    assert res.upload_id is not None
    up = store.uploads(limit=1)[0]
    assert (up.kind, up.uploaded_by, up.n_insert) == ("edit", LOCAL_ADMIN.name, 1)
    (saved,) = load_opinions(store, info.plan_id)
    assert (saved.item_no, saved.meeting, saved.seq, saved.meeting_date) == ("28", "令和8年度第1回", 1, date(2026, 7, 3))
    assert saved.opinion == "まちづくりセンターの地域差の理由を示してほしい。" and not saved.answered

    # A second opinion in the same meeting is number 2.
    b2 = new_opinion_batch(data, load_opinions(store, info.plan_id), item_no="28", meeting="令和8年度第1回",
                           held_on=None, opinion="受講者のその後を把握しているか。")
    assert b2.table("committee_opinions")[0]["seq"] == 2
    save(store, b2, LOCAL_ADMIN, "委員意見の入力")

    r = save(store, response_batch(data, saved, response="区ごとの協議状況を一覧にして報告します。",
                                   department="市民協働課"), LOCAL_ADMIN, "回答")
    answered = load_opinions(store, info.plan_id)[0]
    assert answered.response == "区ごとの協議状況を一覧にして報告します。"
    assert answered.response_department == "市民協働課"
    (change,) = [c for c in store.change_log(r.upload_id) if c["table"] == "committee_opinions"]
    assert change["action"] == "update" and change["old"] == {"response": None, "response_department": None}
    # The opinion text itself is untouched by the answer.
    assert answered.opinion == saved.opinion


@pytest.mark.parametrize("kw, words", [
    (dict(item_no="99"), "No.99"),
    (dict(meeting="  "), "会議名"),
    (dict(opinion=" \n "), "委員意見が空欄"),
    (dict(opinion="あ" * 2001), "長すぎます"),
    (dict(held_on=date(2026, 7, 4)), "開催日"),  # the meeting was recorded on 7/3
])
def test_bad_entries_are_refused_with_a_reason(niigata_store, kw, words):
    info = niigata_store.plan_by_name(NIIGATA_PLAN)
    data = niigata_store.load_plan(info.plan_id)
    existing = (op(meeting="令和8年度第1回", day=date(2026, 7, 3)),)
    args = dict(item_no="28", meeting="令和8年度第1回", held_on=None, opinion="意見") | kw
    with pytest.raises(OpinionError) as e:
        new_opinion_batch(data, existing, **args)
    assert words in e.value.message


def test_an_empty_answer_is_refused(niigata_store):
    data = niigata_store.load_plan(niigata_store.plan_by_name(NIIGATA_PLAN).plan_id)
    with pytest.raises(OpinionError):
        response_batch(data, op(), response="  ", department=None)


@pytest.mark.parametrize("actor", [
    Actor("閲覧者", "viewer"),
    Actor("他課の職員", "editor", ("財政課",)),
])
def test_people_without_the_right_write_nothing(niigata_store, actor):
    store = niigata_store
    info = store.plan_by_name(NIIGATA_PLAN)
    data = store.load_plan(info.plan_id)
    before = store.uploads()
    b = new_opinion_batch(data, (), item_no="28", meeting="令和8年度第1回", held_on=None, opinion="意見")
    with pytest.raises(PermissionDenied):
        save(store, b, actor, "委員意見の入力")
    assert load_opinions(store, info.plan_id) == ()
    assert store.uploads() == before


def test_the_department_in_charge_may_answer(niigata_store):
    store = niigata_store
    info = store.plan_by_name(NIIGATA_PLAN)
    data = store.load_plan(info.plan_id)
    save(store, new_opinion_batch(data, (), item_no="28", meeting="令和8年度第1回", held_on=None, opinion="意見"),
         LOCAL_ADMIN, "入力")
    (saved,) = load_opinions(store, info.plan_id)
    clerk = Actor("市民協働課 担当", "editor", ("市民協働課",))
    save(store, response_batch(data, saved, response="対応します", department="市民協働課"), clerk, "回答")
    assert load_opinions(store, info.plan_id)[0].response == "対応します"
    assert store.uploads(limit=1)[0].uploaded_by == "市民協働課 担当"
