"""The yearly cycle's pure rules (issue 20): a department's status from its records, overdue, when a
reminder is due, what a period lock holds, the progress sentence, and target revisions."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from kpi.cycle.revisions import revisions_from
from kpi.cycle.rules import (
    CONFIRMED,
    NOT_SUBMITTED,
    PENDING,
    RETURNED,
    Event,
    Lock,
    call_title,
    department_status,
    is_overdue,
    lock_for,
    progress_text,
    reminder_due,
    stages_key,
)

DEADLINE = date(2025, 5, 31)
D = "市民協働課"


def ev(action: str, day: int, upload_id: int | None = None, comment: str | None = None, month: int = 5) -> Event:
    return Event(D, action, datetime(2025, month, day, 10, 0), "担当者", comment, upload_id)


STATUS_CASES = [
    # records in the order written                                  today          status        label                pending  overdue days late
    ([],                                                            date(2025, 5, 1),  NOT_SUBMITTED, "未提出",            (),      False, 0, False),
    ([],                                                            date(2025, 6, 3),  NOT_SUBMITTED, "未提出",            (),      True,  3, False),
    ([ev("submit", 20, 7)],                                         date(2025, 6, 3),  PENDING,       "提出済（確認待ち）", (7,),    False, 0, False),
    ([ev("submit", 20, 7), ev("submit", 22, 9)],                    date(2025, 6, 3),  PENDING,       "提出済（確認待ち）", (7, 9),  False, 0, False),
    ([ev("submit", 20, 7), ev("confirm", 21)],                      date(2025, 6, 3),  CONFIRMED,     "確定",              (),      False, 0, False),
    ([ev("submit", 20, 7), ev("return", 21, comment="根拠を")],      date(2025, 6, 3),  RETURNED,      "差し戻し",          (),      True,  3, False),
    ([ev("submit", 20, 7), ev("return", 21, comment="根拠を")],      date(2025, 5, 25), RETURNED,      "差し戻し",          (),      False, 0, False),
    ([ev("submit", 20, 7), ev("return", 21), ev("submit", 2, 11, month=6)], date(2025, 6, 3), PENDING, "提出済（確認待ち）", (11,), False, 0, True),
    ([ev("confirm", 21)],                                           date(2025, 6, 3),  NOT_SUBMITTED, "未提出",            (),      True,  3, False),
    ([ev("remind", 28), ev("remind", 29)],                          date(2025, 5, 30), NOT_SUBMITTED, "未提出",            (),      False, 0, False),
]


@pytest.mark.parametrize("events, today, status, label, pending, overdue, days, late", STATUS_CASES)
def test_department_status_follows_its_records(events, today, status, label, pending, overdue, days, late):
    s = department_status(D, events, DEADLINE, today)
    assert (s.status, s.label, s.pending, s.overdue, s.days_late, s.late_submission) == \
        (status, label, pending, overdue, days, late)


def test_a_return_keeps_its_comment_and_who_returned():
    s = department_status(D, [ev("submit", 20, 7), Event(D, "return", datetime(2025, 6, 2, 9), "推進 一郎", "根拠を")],
                          DEADLINE, date(2025, 6, 3))
    assert s.state_text == "差し戻し・期限切れ（3日経過）（理由: 根拠を）"
    assert (s.acted_by, s.acted_at) == ("推進 一郎", datetime(2025, 6, 2, 9))
    assert s.submitted_by == "担当者" and s.submitted_at == datetime(2025, 5, 20, 10)


def test_other_departments_records_do_not_count():
    other = Event("財政課", "submit", datetime(2025, 5, 20), "財政", None, 3)
    assert department_status(D, [other], DEADLINE, date(2025, 5, 1)).status == NOT_SUBMITTED


@pytest.mark.parametrize("status, today, expected", [
    (NOT_SUBMITTED, date(2025, 5, 31), (False, 0)),  # the deadline day itself is still on time
    (NOT_SUBMITTED, date(2025, 6, 1), (True, 1)),
    (RETURNED, date(2025, 6, 10), (True, 10)),
    (PENDING, date(2025, 6, 10), (False, 10)),
    (CONFIRMED, date(2025, 6, 10), (False, 10)),
])
def test_is_overdue(status, today, expected):
    assert is_overdue(status, DEADLINE, today) == expected


REMIND_CASES = [
    # status        today               last reminded       before every  due    reason
    (PENDING,       date(2025, 6, 10),  None,               3,     7,     False, "提出済（確認待ち）のため催促しません"),
    (CONFIRMED,     date(2025, 6, 10),  None,               3,     7,     False, "確定のため催促しません"),
    (NOT_SUBMITTED, date(2025, 5, 20),  None,               3,     7,     False, "期限まであと11日（催促は期限の3日前から）"),
    (NOT_SUBMITTED, date(2025, 5, 28),  None,               3,     7,     True,  "期限まであと3日です"),
    (NOT_SUBMITTED, date(2025, 5, 31),  None,               3,     7,     True,  "期限は今日です"),
    (NOT_SUBMITTED, date(2025, 5, 30),  date(2025, 5, 28),  3,     7,     False, "期限前の催促は05/28に送りました"),
    (NOT_SUBMITTED, date(2025, 5, 30),  date(2025, 5, 30),  3,     7,     False, "今日はもう催促しました"),
    (NOT_SUBMITTED, date(2025, 5, 30),  None,               0,     7,     False, "期限まであと1日（期限前の催促はしない設定）"),
    (NOT_SUBMITTED, date(2025, 6, 1),   date(2025, 5, 28),  3,     7,     True,  "期限を1日過ぎています"),
    (NOT_SUBMITTED, date(2025, 6, 5),   date(2025, 6, 1),   3,     7,     False, "前回の催促から4日（7日ごとに催促）"),
    (NOT_SUBMITTED, date(2025, 6, 8),   date(2025, 6, 1),   3,     7,     True,  "期限を8日過ぎています（前回の催促から7日）"),
    (RETURNED,      date(2025, 6, 8),   date(2025, 6, 1),   3,     0,     False, "期限後の催促は06/01に送りました（くり返さない設定）"),
    (RETURNED,      date(2025, 6, 2),   None,               3,     0,     True,  "期限を2日過ぎています"),
]


@pytest.mark.parametrize("status, today, last, before, every, due, reason", REMIND_CASES)
def test_reminder_due(status, today, last, before, every, due, reason):
    got = reminder_due(status, DEADLINE, today, last, before=before, every=every)
    assert (bool(got), got.reason) == (due, reason)


def _st(status: str, overdue: bool = False):
    return department_status(D, [], DEADLINE, date(2025, 5, 1)).__class__(
        D, status, None, "", None, "", "", (), None, 0, overdue, 0, False)


@pytest.mark.parametrize("statuses, text", [
    ([_st(CONFIRMED), _st(NOT_SUBMITTED, True), _st(NOT_SUBMITTED)], "1 / 3 課 提出済、1 課 期限切れ"),
    ([_st(CONFIRMED), _st(PENDING), _st(RETURNED, True)], "2 / 3 課 提出済、うち確認待ち 1 課、差し戻し 1 課、1 課 期限切れ"),
    ([_st(NOT_SUBMITTED)] * 22, "0 / 22 課 提出済、0 課 期限切れ"),
])
def test_progress_text(statuses, text):
    assert progress_text(statuses) == text


LOCKS = [Lock(2024, "年度", datetime(2025, 7, 1, 15, 30), "推進 一郎"), Lock(2024, "上半期", None, "推進 一郎")]


@pytest.mark.parametrize("table, key, locked_stage", [
    ("indicator_values", {"item_no": "1", "indicator": "指標1", "fiscal_year": 2024, "kind": "actual"}, "年度"),
    ("indicator_values", {"item_no": "1", "indicator": "指標1", "fiscal_year": 2023, "kind": "actual"}, None),
    ("evaluations", {"item_no": "1", "fiscal_year": 2024, "stage": "年度"}, "年度"),
    ("evaluations", {"item_no": "1", "fiscal_year": 2024, "stage": "上半期"}, "上半期"),
    ("evaluations", {"item_no": "1", "fiscal_year": 2024, "stage": "中間"}, None),
    ("item_status", {"item_no": "1", "fiscal_year": 2024}, "年度"),
    ("items", {"item_no": "1"}, None),  # no year: a title is no period's
])
def test_lock_for(table, key, locked_stage):
    got = lock_for(table, key, LOCKS)
    assert (got.stage if got else None) == locked_stage


def test_a_half_year_lock_holds_only_its_grades():
    half = [Lock(2024, "上半期", None, "x")]
    assert lock_for("indicator_values", {"fiscal_year": 2024, "kind": "actual"}, half) is None


def test_the_lock_names_who_and_when():
    assert LOCKS[0].text == "令和6年度の年度評価は2025-07-01 15:30に推進 一郎が確定しました"


@pytest.mark.parametrize("stages, key", [
    (["年度"], "年度"), (["計画期間", "年度"], "年度・計画期間"), (["中間", "上半期"], "上半期・中間"), ([], ""),
])
def test_stages_key(stages, key):
    assert stages_key(stages) == key


def test_an_unknown_stage_is_refused():
    with pytest.raises(ValueError, match="段階「通年」はありません"):
        stages_key(["通年"])


def test_call_title():
    assert call_title(2024, "年度・計画期間") == "令和6年度 年度評価・計画期間の評価の照会"


def _chg(upload_id, table, key, old, new, note="見直し", by="推進 一郎", day=1):
    return {"upload_id": upload_id, "at": datetime(2025, 6, day), "by": by, "note": note, "table": table,
            "key": key, "old": old, "new": new}


V24 = {"item_no": "1", "indicator": "指標1", "fiscal_year": 2024, "kind": "target"}
IND = {"item_no": "1", "indicator": "指標1"}
REVISION_CASES = [
    ("first target is no revision", [_chg(1, "indicator_values", V24, {"value": None}, {"value": 100.0})], []),
    ("one revision", [_chg(1, "indicator_values", V24, {"value": 100.0}, {"value": 120.0}, "中間見直し")],
     [("value", 2024, 100.0, 120.0, "当初 100 → 修正 120（2025-06-01 推進 一郎: 中間見直し）")]),
    ("two revisions keep the first as 当初",
     [_chg(1, "indicator_values", V24, {"value": 100.0}, {"value": 120.0}),
      _chg(2, "indicator_values", V24, {"value": 120.0}, {"value": 130.0}, "再見直し", day=9)],
     [("value", 2024, 100.0, 130.0, "当初 100 → 修正 130（2025-06-09 推進 一郎: 再見直し、修正 2 回）")]),
    ("changed back is no revision",
     [_chg(1, "indicator_values", V24, {"value": 100.0}, {"value": 120.0}),
      _chg(2, "indicator_values", V24, {"value": 120.0}, {"value": 100.0})], []),
    ("an actual is no target", [_chg(1, "indicator_values", {**V24, "kind": "actual"}, {"value": 1.0}, {"value": 2.0})], []),
    ("a qualitative target in words",  # 把握 → 検討: the words are the plan of a 定性 indicator
     [_chg(1, "indicator_values", V24, {"text_value": "把握"}, {"text_value": "検討"}, "方針の変更")],
     [("text_value", 2024, "把握", "検討", "当初 「把握」 → 修正 「検討」（2025-06-01 推進 一郎: 方針の変更）")]),
    ("first words are no revision", [_chg(1, "indicator_values", V24, {"text_value": None}, {"text_value": "把握"})], []),
    ("final target", [_chg(1, "indicators", IND, {"final_target": 50.0}, {"final_target": 60.0}, "")],
     [("final_target", None, 50.0, 60.0, "当初 50 → 修正 60（2025-06-01 推進 一郎: 理由の記録なし）")]),
]


@pytest.mark.parametrize("rows, expected", [pytest.param(r, e, id=i) for i, r, e in REVISION_CASES])
def test_revisions_from_the_change_log(rows, expected):
    got = revisions_from(rows)
    assert [(r.field, r.fiscal_year, r.original, r.revised, r.text()) for r in got] == expected
