"""Named reads: everything the pages, exports, sheets and the CLI read from the database, by what it is.

A read returns plain records (kpi.rules.model, or the small row types below), never a cursor; the
SQL stays here. The Store (kpi/store/store.py) composes these with the journal, so callers write
store.plans(), store.load_plan(plan_id), store.schedules(plan_id) …
"""

from __future__ import annotations

import json
import math
from datetime import date
from typing import TYPE_CHECKING, Any, Iterable, NamedTuple

from kpi.errors import NotFound
from kpi.rules.bounds import MAX_ABS_NUMBER
from kpi.rules.grading import GradingRule
from kpi.rules.model import Department, Evaluation, Indicator, Item, PlanData, PlanInfo, YearValue
from kpi.vocabulary import YEAR

if TYPE_CHECKING:
    pass


class ScheduleRow(NamedTuple):
    """One mark of a 工程 (schedule): an activity of an item in one fiscal year."""
    item_no: str
    activity: str | None
    fiscal_year: int | None
    mark: str | None
    sort: int | None


class NarrativeRow(NamedTuple):
    """年度ごとの実施状況: what an item did in one fiscal year, as written."""
    item_no: str
    fiscal_year: int | None
    text: str | None


class StatusRow(NamedTuple):
    """進捗状況 of an item in one fiscal year (a status word, a mark such as ✓ ◇ ・, a note)."""
    item_no: str
    fiscal_year: int | None
    status: str | None
    mark: str | None
    note: str | None


class PlanNoteRow(NamedTuple):
    """One row of 計画の経過・位置付け (section 'milestone' or 'positioning')."""
    section: str | None
    seq: int | None
    period_text: str | None
    fiscal_year: int | None
    title: str | None
    body: str | None


class OpinionRow(NamedTuple):
    """A committee member's opinion on an item at one meeting, and the department's response."""
    item_no: str
    meeting: str
    seq: int
    meeting_date: date | None
    opinion: str | None
    response: str | None
    response_department: str | None


class PlanYears(NamedTuple):
    """The fiscal years of a plan's records, read without the plan itself (the frame's year picker on
    every page): PlanData.data_years and PlanData.reported_years of the plan load_plan reads."""
    data_years: tuple[int, ...]
    reported_years: frozenset[int]


class PlanReads:
    """The Store's named reads (kpi/store/store.py composes them with the connection and the journal)."""

    # ------------------------------------------------------------------ plans
    def is_empty(self) -> bool:
        with self._read() as cur:
            return cur.execute("SELECT count(*) FROM plans").fetchone()[0] == 0

    def _plan_from_row(self, r: tuple) -> PlanInfo:
        return PlanInfo(plan_id=r[0], name=r[1], municipality=r[2] or "", kind=r[3] or "", start_fy=r[4], end_fy=r[5],
                        level_names=tuple(json.loads(r[6])) if r[6] else (), description=r[7] or "",
                        public=bool(r[8]))

    _PLAN_COLS = "plan_id, name, municipality, kind, start_fy, end_fy, level_names, description, public"

    def plans(self) -> list[PlanInfo]:
        with self._read() as cur:
            rows = cur.execute(f"SELECT {self._PLAN_COLS} FROM plans ORDER BY plan_id").fetchall()
        return [self._plan_from_row(r) for r in rows]

    def plan(self, plan_id: int) -> PlanInfo:
        with self._read() as cur:
            r = cur.execute(f"SELECT {self._PLAN_COLS} FROM plans WHERE plan_id = ?", [plan_id]).fetchone()
        if r is None:
            raise NotFound(f"計画（ID {plan_id}）はありません")
        return self._plan_from_row(r)

    def plans_named(self, name: str) -> list[PlanInfo]:
        """Every plan whose name is the same as name once both are normalised (kpi/rules/plan_names.py);
        one written exactly so comes first. More than one only in a database that stored two
        look-alike names before names were normalised."""
        from kpi.store.store import _plans_named  # the diff's own helper: one comparison of names
        with self._read() as cur:
            return [self._plan_from_row(r) for r in _plans_named(cur, self._PLAN_COLS, name)]

    def plan_by_name(self, name: str) -> PlanInfo | None:
        """The plan a person means by name (a sheet's 計画名, --plan, the upload page), or None.

        Raises AmbiguousPlan, naming the candidates, when several plans fit and none is written
        exactly as given."""
        from kpi.store.store import _one_plan_named
        with self._read() as cur:
            r = _one_plan_named(cur, self._PLAN_COLS, name)
        return self._plan_from_row(r) if r else None

    def require_plan(self, name: str) -> PlanInfo:
        """plan_by_name, or NotFound listing the registered plans."""
        info = self.plan_by_name(name)
        if info is None:
            names = "、".join(f"「{p.name}」" for p in self.plans()[:10]) or "（まだありません）"
            raise NotFound(f"計画「{name}」はありません", hint=f"登録されている計画: {names}")
        return info

    def rule(self, plan_id: int) -> GradingRule:
        """The plan's grading rule. A stored rule that cannot be read (written by hand or by an
        older version) never stops a page or an export: the default rule is used and
        GradingRule.notice says so, naming the plan."""
        with self._read() as cur:
            r = cur.execute("SELECT grading_rule, name FROM plans WHERE plan_id = ?", [plan_id]).fetchone()
        if r is None:
            raise NotFound(f"計画（ID {plan_id}）はありません")
        return rule_of(r[0], r[1])

    def load_plan(self, plan_id: int) -> PlanData:
        info = self.plan(plan_id)
        with self._read() as cur:
            p = [plan_id]
            nodes = cur.execute("SELECT path FROM nodes WHERE plan_id = ? ORDER BY depth, sort, path", p).fetchall()
            items = cur.execute(
                "SELECT item_no, title, node_path, current_issues, purpose, content, effect, qualitative_target, sort "
                "FROM items WHERE plan_id = ?", p).fetchall()
            depts = cur.execute(
                "SELECT item_no, department, is_main, role FROM item_departments WHERE plan_id = ? ORDER BY item_no, sort",
                p).fetchall()
            inds = cur.execute(
                "SELECT item_no, indicator, unit, direction, direction_source, cumulative, baseline, baseline_fy, "
                "baseline_estimated, final_target, final_target_fy, final_target_text, sort, indicator_kind, qualitative "
                "FROM indicators WHERE plan_id = ? ORDER BY item_no, sort", p).fetchall()
            vals = cur.execute(
                "SELECT item_no, indicator, fiscal_year, kind, value, is_estimate, raw_text, text_value "
                "FROM indicator_values WHERE plan_id = ?", p).fetchall()
            notes = cur.execute("SELECT item_no, indicator, fiscal_year, note FROM value_notes WHERE plan_id = ?",
                                p).fetchall()
            evals = cur.execute(
                "SELECT item_no, fiscal_year, stage, grade, status_text, issues_text, next_text "
                "FROM evaluations WHERE plan_id = ? ORDER BY fiscal_year", p).fetchall()
            stats = cur.execute(
                "SELECT item_no, fiscal_year, status, note FROM item_status WHERE plan_id = ? ORDER BY fiscal_year",
                p).fetchall()

        notices: list[str] = []

        def number(v: Any, what: str) -> float | None:
            # A value stored before values were bounded (inf, nan, 1e308) must not become 達成率 inf %
            # or an export of nan: it is shown as missing, and the page says which record it is.
            if v is None or (isinstance(v, (int, float)) and math.isfinite(v) and abs(v) < MAX_ABS_NUMBER):
                return v
            if len(notices) < 20:
                notices.append(f"{what}に保存されている値（{v:g}）は扱える数値ではないため、空欄として扱います")
            return None

        def where(item_no: str, ind: str, fy: int | None = None) -> str:
            no = item_no if len(item_no) <= 20 else f"{item_no[:20]}…"
            return f"No.{no}「{ind}」" + (f"{fy}年度の" if fy is not None else "の")

        # One pass over the values, checked inline: a plan has thousands, and a call, a message
        # and a dict per value were most of the cost of opening a plan at prefecture scale.
        # A year's slot: target (value, estimate, raw, words), actual (the same), note.
        values: dict[tuple[str, str], dict[int, list]] = {}
        for i, n, fy, k, v, e, raw, words in vals:
            if v is not None and not -MAX_ABS_NUMBER < v < MAX_ABS_NUMBER:  # also nan and inf
                v = number(v, where(i, n, fy) + ("計画" if k == "target" else "実績"))
            years_of = values.get((i, n))
            if years_of is None:
                years_of = values[(i, n)] = {}
            slot = years_of.get(fy)
            if slot is None:
                slot = years_of[fy] = [None, False, None, None, None, False, None, None, None]
            if k == "target":
                slot[0:4] = v, bool(e), raw, words
            elif k == "actual":
                slot[4:8] = v, bool(e), raw, words
        inds = [(*r[:6], number(r[6], where(r[0], r[1]) + "基準値"), *r[7:9],
                 number(r[9], where(r[0], r[1]) + "最終目標"), *r[10:]) for r in inds]
        by_item_depts: dict[str, list[Department]] = {}
        for item_no, dept, is_main, role in depts:
            by_item_depts.setdefault(item_no, []).append(Department(dept, bool(is_main), role or "担当"))
        for item_no, ind, fy, note in notes:
            years_of = values.setdefault((item_no, ind), {})
            slot = years_of.get(fy)
            if slot is None:
                slot = years_of[fy] = [None, False, None, None, None, False, None, None, None]
            slot[8] = note
        by_item_inds: dict[str, list[Indicator]] = {}
        for r in inds:
            item_no, name = r[0], r[1]
            years_of = values.get((item_no, name))
            years = tuple(YearValue(fy, s[0], s[4], s[1], s[5], s[2], s[6], s[8], s[3], s[7])
                          for fy, s in sorted(years_of.items())) if years_of else ()
            by_item_inds.setdefault(item_no, []).append(Indicator(
                name=name, unit=r[2] or "", direction=r[3] or "higher", direction_source=r[4] or "default",
                cumulative=bool(r[5]), baseline=r[6], baseline_fy=r[7], baseline_estimated=bool(r[8]),
                final_target=r[9], final_target_fy=r[10], final_target_text=r[11], years=years,
                sort=r[12] or 0, kind=r[13] or "", qualitative=bool(r[14])))
        by_item_evals: dict[str, list[Evaluation]] = {}
        for item_no, fy, stage, grade, st, iss, nxt in evals:
            by_item_evals.setdefault(item_no, []).append(Evaluation(fy, stage, grade, st, iss, nxt))
        by_item_status: dict[str, list[tuple[int | None, str, str | None]]] = {}
        for item_no, fy, status, note in stats:
            by_item_status.setdefault(item_no, []).append((fy, status, note))
        out = []
        for r in items:
            item_no = r[0]
            out.append(Item(
                item_no=item_no, title=r[1] or "", node_path=tuple(json.loads(r[2])) if r[2] else (),
                departments=tuple(by_item_depts.get(item_no, ())), current_issues=r[3], purpose=r[4], content=r[5],
                effect=r[6], qualitative_target=r[7], indicators=tuple(by_item_inds.get(item_no, ())),
                evaluations=tuple(by_item_evals.get(item_no, ())), statuses=tuple(by_item_status.get(item_no, ())),
                sort=r[8] or 0))
        from kpi.store.store import natural_key
        out.sort(key=lambda it: (it.sort, natural_key(it.item_no)))
        return PlanData(info, tuple(out), tuple(tuple(json.loads(n[0])) for n in nodes), tuple(notices))

    def plan_years(self, plan_id: int) -> PlanYears:
        """PlanYears of the plan, in one query: the records load_plan would attach (values and notes of
        the items' indicators, the items' evaluations and dated statuses), a value that load_plan reads
        as missing (not a finite number in bounds) not counted as an actual. A page that shows no
        plan data (データ取込, 取込履歴, ユーザー) still has the year picker, and opening the plan
        only for its years cost more than the rest of such a page after an upload."""
        with self._read() as cur:
            rows = cur.execute(
                "WITH its AS (SELECT item_no FROM items WHERE plan_id = $p), "
                "ind AS (SELECT i.item_no, i.indicator FROM indicators i JOIN its USING (item_no) WHERE i.plan_id = $p) "
                "SELECT fiscal_year, bool_or(in_data), bool_or(reported) FROM ("
                " SELECT v.fiscal_year, TRUE AS in_data, v.kind = 'actual' AND ("
                "  (v.value IS NOT NULL AND isfinite(v.value) AND v.value > -$m AND v.value < $m)"
                "  OR coalesce(v.text_value, '') <> '') AS reported"
                " FROM indicator_values v JOIN ind USING (item_no, indicator) WHERE v.plan_id = $p"
                " UNION ALL SELECT n.fiscal_year, TRUE, FALSE"
                " FROM value_notes n JOIN ind USING (item_no, indicator) WHERE n.plan_id = $p"
                " UNION ALL SELECT e.fiscal_year, TRUE, e.stage = $year"
                " FROM evaluations e JOIN its USING (item_no) WHERE e.plan_id = $p"
                " UNION ALL SELECT s.fiscal_year, FALSE, TRUE"
                " FROM item_status s JOIN its USING (item_no) WHERE s.plan_id = $p AND s.fiscal_year IS NOT NULL"
                ") GROUP BY fiscal_year",
                {"p": plan_id, "m": MAX_ABS_NUMBER, "year": YEAR}).fetchall()
        return PlanYears(tuple(sorted(fy for fy, in_data, _r in rows if in_data)),
                         frozenset(fy for fy, _d, reported in rows if reported))

    def item_departments(self, plan_id: int | None, item_no: str) -> set[str]:
        if plan_id is None:
            return set()
        with self._read() as cur:
            rows = cur.execute("SELECT department FROM item_departments WHERE plan_id = ? AND item_no = ?",
                               [plan_id, item_no]).fetchall()
        return {r[0] for r in rows}

    # ------------------------------------------------------- a plan's other tables
    def departments(self, plan_id: int | None = None) -> tuple[str, ...]:
        """Departments named on items, sorted by name: of one plan, or of every plan (the pickers of
        the ユーザー page)."""
        with self._read() as cur:
            if plan_id is None:
                rows = cur.execute("SELECT DISTINCT department FROM item_departments WHERE department IS NOT NULL "
                                   "ORDER BY department").fetchall()
            else:
                rows = cur.execute("SELECT department, min(sort) FROM item_departments WHERE plan_id = ? "
                                   "GROUP BY department ORDER BY department", [plan_id]).fetchall()
        return tuple(r[0] for r in rows)

    def schedules(self, plan_id: int) -> list[ScheduleRow]:
        """工程: by item, then the activity's order in its sheet, then fiscal year."""
        with self._read() as cur:
            rows = cur.execute("SELECT item_no, activity, fiscal_year, mark, sort FROM schedules WHERE plan_id = ? "
                               "ORDER BY item_no, sort, activity, fiscal_year", [plan_id]).fetchall()
        return [ScheduleRow(*r) for r in rows]

    def narratives(self, plan_id: int) -> list[NarrativeRow]:
        """年度ごとの実施状況, by fiscal year then item (rows whose text is empty included)."""
        with self._read() as cur:
            rows = cur.execute("SELECT item_no, fiscal_year, text FROM narratives WHERE plan_id = ? "
                               "ORDER BY fiscal_year, item_no", [plan_id]).fetchall()
        return [NarrativeRow(*r) for r in rows]

    def item_statuses(self, plan_id: int) -> list[StatusRow]:
        """進捗状況 rows (status, mark, note), by item then fiscal year."""
        with self._read() as cur:
            rows = cur.execute("SELECT item_no, fiscal_year, status, mark, note FROM item_status WHERE plan_id = ? "
                               "ORDER BY item_no, fiscal_year", [plan_id]).fetchall()
        return [StatusRow(*r) for r in rows]

    def plan_notes(self, plan_id: int) -> list[PlanNoteRow]:
        """計画の経過・位置付け, by section then the row's number."""
        with self._read() as cur:
            rows = cur.execute("SELECT section, seq, period_text, fiscal_year, title, body FROM plan_notes "
                               "WHERE plan_id = ? ORDER BY section, seq", [plan_id]).fetchall()
        return [PlanNoteRow(*r) for r in rows]

    def committee_opinions(self, plan_id: int) -> list[OpinionRow]:
        """委員意見 of a plan, as stored (kpi/outputs/opinions.py puts them in meeting order)."""
        with self._read() as cur:
            rows = cur.execute(
                "SELECT item_no, meeting, seq, meeting_date, opinion, response, response_department "
                "FROM committee_opinions WHERE plan_id = ?", [plan_id]).fetchall()
        return [OpinionRow(*r) for r in rows]

    # ------------------------------------------------------------ the history
    def data_version(self) -> int:
        """The data version: the number of the last write (the upload counter).

        Every write of data takes the next number inside its own transaction, whatever it writes
        (an import, an undo, settings, users, the public view, opinions, a restore), on whichever
        server it runs; so a cache keyed by this number is fresh on the next read everywhere. It
        never goes backwards, not even through a restore. A page run on a shared store reads it once
        per catalog snapshot (Connection._snapshot_memo), however often the frame asks."""
        def read() -> int:
            with self._read() as cur:
                row = cur.execute("SELECT value FROM counters WHERE name = 'upload'").fetchone()
            return int(row[0]) if row else 0
        return self._snapshot_memo("data_version", read)

    def deletions(self, upload_ids: Iterable[int]) -> dict[int, int]:
        """How many rows each of these uploads deleted (an undo deletes what its upload inserted)."""
        ids = [int(i) for i in upload_ids]
        if not ids:
            return {}
        marks = ", ".join("?" for _ in ids)
        with self._read() as cur:
            rows = cur.execute(f"SELECT upload_id, count(*) FROM change_log WHERE action = 'delete' "
                               f"AND upload_id IN ({marks}) GROUP BY upload_id", ids).fetchall()
        return {r[0]: r[1] for r in rows}

    # ------------------------------------------------------------ housekeeping
    def table_names(self) -> list[str]:
        with self._read() as cur:
            return [r[0] for r in cur.execute("SELECT table_name FROM information_schema.tables "
                                              "WHERE table_catalog = current_database() ORDER BY table_name"
                                              ).fetchall()]

    def row_counts(self, tables: Iterable[str] | None = None) -> dict[str, int]:
        """Rows per table (the benchmark's and the data generator's sizes): the given tables, or all."""
        known = self.table_names()
        wanted = list(tables) if tables is not None else known
        unknown = [t for t in wanted if t not in known]
        if unknown:
            raise ValueError(f"no such table: {', '.join(unknown)}")
        with self._read() as cur:
            # Table names are checked against the catalog above, never taken from a person.
            return {t: int(cur.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in wanted}


def rule_of(text: str | None, plan_name: str) -> GradingRule:
    """A stored grading rule; one that cannot be read is the default, with a notice naming the plan."""
    rule = GradingRule.from_json(text)
    if rule.notice:
        from dataclasses import replace
        rule = replace(rule, notice=f"計画「{plan_name}」: {rule.notice}")
    return rule
