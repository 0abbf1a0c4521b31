"""python -m kpi cycle … (issue 20): open, status, confirm, return, close and unlock from the command line,
each step in the history, refusals as Japanese messages with exit status 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TODAY
from helpers import DEPT_PLAN, department_plan

from kpi import cli
from kpi.access.permissions import Actor
from kpi.intake.history import upload_list
from kpi.intake.pipeline import commit, prepare
from kpi.store.store import Store


@pytest.fixture
def db(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("KPI_TODAY", "2025-05-20")
    path = tmp_path / "kpi.duckdb"
    s = Store.open(path)
    commit(s, [prepare(s, department_plan(tmp_path / "plan.xlsx"), today=TODAY)], "推進")
    s.close()
    return path


def run(db: Path, capsys, *args: str) -> tuple[int, str, str]:
    rc = cli.main(["--db", str(db), "cycle", *args, *(("--user", "推進 一郎") if args[0] != "remind" else ())])
    out = capsys.readouterr()
    return rc, out.out, out.err


def submit(db: Path, tmp_path: Path, item: int, actual: float, who: Actor) -> None:
    s = Store.open(db)
    try:
        commit(s, [prepare(s, department_plan(tmp_path / f"{item}-{actual}.xlsx", only=[item],
                                              actual={(item, 2022): actual}), today=TODAY)], who)
    finally:
        s.close()


def test_a_cycle_from_the_command_line(db, tmp_path, capsys):
    rc, out, _ = run(db, capsys, "open", "--plan", DEPT_PLAN, "--year", "令和4年度", "--deadline", "2025-05-31",
                     "--instructions", "実績を記入")
    assert rc == 0 and out.strip() == "令和4年度 年度評価の照会を開始しました（期限 2025-05-31、対象 2 課: 市民協働課、財政課）"
    submit(db, tmp_path, 1, 55, Actor("協働 太郎", "editor", ("市民協働課",)))
    submit(db, tmp_path, 2, 77, Actor("財政 次郎", "editor", ("財政課",)))
    rc, out, _ = run(db, capsys, "status", "--plan", DEPT_PLAN)
    assert "2 / 2 課 提出済、うち確認待ち 2 課、0 課 期限切れ" in out
    assert "市民協働課\t提出済（確認待ち）\t2025-05-20" in out

    rc, _, err = run(db, capsys, "close", "--plan", DEPT_PLAN)
    assert rc == 1 and "確認待ちの提出があります（市民協働課、財政課）" in err
    assert run(db, capsys, "confirm", "--plan", DEPT_PLAN, "--department", "市民協働課")[0] == 0
    rc, out, _ = run(db, capsys, "return", "--plan", DEPT_PLAN, "--department", "財政課", "--comment", "根拠を書いてください")
    assert rc == 0 and "財政課に差し戻しました" in out
    rc, out, _ = run(db, capsys, "status", "--plan", DEPT_PLAN)
    assert "財政課\t差し戻し\t" in out and "根拠を書いてください" in out
    rc, out, _ = run(db, capsys, "close", "--plan", DEPT_PLAN)
    assert rc == 0 and "令和4年度の年度の値と評価は、解除するまで変更できません" in out

    s = Store.open(db)
    late = prepare(s, department_plan(tmp_path / "late.xlsx", only=[1], actual={(1, 2022): 66}), today=TODAY)
    s.close()
    assert "推進 一郎が確定しました" in late.errors[0].message
    rc, _, err = run(db, capsys, "unlock", "--plan", DEPT_PLAN, "--year", "2022", "--stage", "年度", "--reason", " ")
    assert rc == 1 and "理由を書いてください" in err
    rc, out, _ = run(db, capsys, "unlock", "--plan", DEPT_PLAN, "--year", "2022", "--stage", "年度",
                     "--reason", "実績の訂正")
    assert rc == 0 and "確定を解除しました" in out
    s = Store.open(db)
    try:
        notes = [e.note for e in upload_list(s)]
        assert notes[0] == "確定の解除: 令和4年度 年度（理由: 実績の訂正）"
        assert all(e.who == "推進 一郎" for e in upload_list(s)[:3])
    finally:
        s.close()


@pytest.mark.parametrize("args, message", [
    (("status", "--plan", DEPT_PLAN), "照会はありません"),
    (("status", "--plan", "ない計画"), "ない計画"),
    (("open", "--plan", DEPT_PLAN, "--year", "2022", "--deadline", "5月31日"), "期限「5月31日」は日付として読めません"),
    (("open", "--plan", DEPT_PLAN, "--year", "2022", "--deadline", "2025-05-31", "--department", "土木課"),
     "担当課「土木課」"),
])
def test_refusals_are_messages(db, capsys, args, message):
    rc, _out, err = run(db, capsys, *args)
    assert rc == 1 and message in err and "Traceback" not in err
