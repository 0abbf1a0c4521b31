"""Taught layouts (issue 19): a city's own sheet mapped once, saved as a profile, recognised by its
headers from then on, never applied to a sheet whose headers changed."""

from __future__ import annotations

import json

import pytest

import layout_books as books
from conftest import ROOT
from helpers import run_kpi
from kpi.intake.layouts.profile import ProfileError, load_profile, teach, year_columns
from kpi.intake.pipeline import commit, prepare, save_profile, stored_profile
from kpi.intake.workbook import column_letter, read_workbook

OFUNATO = ROOT.parent / "shared" / "samples" / "real" / "ofunato_jimujigyo_r7_report.xlsx"
OFUNATO_PROFILE = ROOT / "data" / "layouts" / "ofunato_jimujigyo.json"


def _values(sheet, header_rows):
    return [{"fiscal_year": fy, "kind": kind, "column": column_letter(c)}
            for c, fy, kind in year_columns(sheet, header_rows)]


def teach_two_row(data: bytes):
    sheet = read_workbook(data, "jisshi.xlsx").sheets[0]
    return teach("実施計画 進捗一覧", sheet, header_rows=[3, 4], first_data_row=5, plan_name="第2次実施計画",
                 item={"item_no": "A", "title": "B", "department": "C"},
                 indicators=[{"kind": "成果", "name": "D", "unit": "E", "baseline": "F", "final_target": "G",
                              "values": _values(sheet, [3, 4])}])


def teach_wareki(data: bytes):
    sheet = read_workbook(data, "hyoka.xlsx").sheets[0]
    return teach("行政評価 指標一覧", sheet, header_rows=[1], first_data_row=2, plan_name="行政評価",
                 item={"item_no": "A", "title": "B"}, skip={"when_contains": ["小計"]},
                 indicators=[{"kind": "成果", "name": "C", "unit": "D", "values": _values(sheet, [1])}],
                 evaluation={"fiscal_year": 2020, "grade": "I", "comment": "J"})


def teach_departments(data: bytes):
    sheet = read_workbook(data, "ka.xlsx").sheets[0]
    return teach("課別 進捗管理表", sheet, header_rows=[2], first_data_row=3, plan_name="課別の取組",
                 item={"item_no": "A", "title": "B", "department_from_sheet": True},
                 indicators=[{"kind": "成果", "name": "C", "unit": "D", "values": _values(sheet, [2])}])


def series(store, plan_name):
    plan = store.load_plan(store.plan_by_name(plan_name).plan_id)
    out = {}
    for it in plan.items:
        for ind in it.indicators:
            for y in ind.years:
                out[(it.item_no, ind.name, y.fiscal_year)] = (y.target, y.actual, y.actual_estimate, y.note)
    return plan, out


CASES = [
    ("two_row", books.two_row_header, teach_two_row, "第2次実施計画", "jisshi.xlsx", {
        ("1", "利用者数", 2022): (13000, 12850, False, None),
        ("1", "利用者数", 2023): (14000, 13920, False, None),
        ("1", "利用者数", 2024): (14500, 14100, True, None),
        ("1", "相談件数", 2023): (370, None, False, None),  # '―' is no value, never 0
        ("1", "相談件数", 2024): (390, 29, False, "実績: 29（4）"),
        ("2", "訓練参加率", 2022): (35.0, 31.25, False, None),  # fractions under ％ read as percentages
    }),
    ("wareki", books.wareki_header, teach_wareki, "行政評価", "hyoka.xlsx", {
        ("1-1", "協働事業数", 2018): (None, 12, False, None),
        ("1-1", "協働事業数", 2019): (None, 15, False, None),
        ("1-1", "協働事業数", 2021): (20, None, False, None),
        ("1-2", "ホームページ閲覧数", 2018): (None, 100000, False, None),
        ("1-2", "ホームページ閲覧数", 2019): (None, 112345, False, None),
        ("2-1", "特定健診受診率", 2018): (None, 41.2, False, None),
        ("2-1", "特定健診受診率", 2021): (45, None, False, None),
    }),
    ("departments", books.sheet_per_department, teach_departments, "課別の取組", "ka.xlsx", {
        ("A-1", "電子決裁率", 2023): (None, 45.5, False, None),
        ("A-1", "電子決裁率", 2024): (60, 62.3, False, None),
        ("B-1", "移住相談件数", 2023): (None, 80, False, None),
        ("B-1", "移住相談件数", 2024): (100, None, False, None),
        ("B-2", "寄附件数", 2024): (3500, 3811, False, None),
    }),
]


@pytest.mark.parametrize("case, build, teach_it, plan_name, file_name, expected", CASES, ids=[c[0] for c in CASES])
def test_taught_layout_reads_cell_for_cell_and_again_unchanged(store, case, build, teach_it, plan_name, file_name,
                                                                 expected):
    data = build()
    profile = teach_it(data)
    assert prepare(store, data, file_name).layout != profile.key  # not read with it before it is taught
    assert save_profile(store, profile, "admin") is not None
    prep = prepare(store, data, file_name)
    assert prep.ok, prep.errors
    assert prep.layout_label == f"登録した様式「{profile.name}」"  # the preview names the profile used
    commit(store, [prep], "admin")
    _plan, got = series(store, plan_name)
    for key, want in expected.items():
        assert got[key] == want, key
    again = prepare(store, data, file_name)
    assert again.layout == profile.key
    assert again.changes.is_empty and len(again.changes.unchanged) > 0  # 変更なし


def test_two_row_header_keeps_items_merged_down_and_baselines(store):
    data = books.two_row_header()
    save_profile(store, teach_two_row(data), "admin")
    commit(store, [prepare(store, data, "jisshi.xlsx")], "admin")
    plan, _ = series(store, "第2次実施計画")
    item = plan.item("1")
    assert item.title == "子育て支援センター運営" and item.department_names == ("子育て支援課",)
    assert [i.name for i in item.indicators] == ["利用者数", "相談件数"]
    assert (item.indicators[0].baseline, item.indicators[0].final_target) == (12000, 15000)
    rate = plan.item("2").indicators[0]
    assert (rate.unit, rate.baseline, rate.final_target, rate.kind) == ("％", 30.0, 50.0, "成果")


def test_wareki_sheet_skips_subtotal_and_repeated_header_and_reads_evaluation(store):
    data = books.wareki_header()
    save_profile(store, teach_wareki(data), "admin")
    prep = prepare(store, data, "hyoka.xlsx")
    assert prep.ok, prep.errors
    assert {r["item_no"] for r in prep.batch.table("items")} == {"1-1", "1-2", "2-1"}
    titles = {r["item_no"]: r["title"] for r in prep.batch.table("items")}
    assert titles["1-1"] == "市民協働の推進"  # the leading space is gone
    grades = {(r["item_no"], r["grade"], r["status_text"]) for r in prep.batch.table("evaluations")}
    assert ("2-1", "C", "受診率が伸び悩み") in grades


def test_one_sheet_per_department_names_the_department(store):
    data = books.sheet_per_department()
    save_profile(store, teach_departments(data), "admin")
    commit(store, [prepare(store, data, "ka.xlsx")], "admin")
    plan, _ = series(store, "課別の取組")
    assert plan.item("A-1").department_names == ("総務課",)
    assert plan.item("B-2").department_names == ("企画政策課",)


def test_inserted_column_is_reported_with_the_cells_and_nothing_is_written(store):
    save_profile(store, teach_two_row(books.two_row_header()), "admin")
    n_uploads = len(store.uploads())
    prep = prepare(store, books.two_row_header(insert_column=True), "jisshi.xlsx")
    assert not prep.ok and prep.batch is None
    cells = {p.cell for p in prep.errors if p.code == "layout_changed"}
    assert {"C3", "D3"} <= cells  # 担当課 moved right: the header cell that differs is named
    msg = next(p.message for p in prep.errors if p.cell == "C3")
    assert "担当課" in msg and "所管部" in msg
    assert all(p.sheet == "進捗一覧" for p in prep.errors if p.code == "layout_changed")
    assert len(store.uploads()) == n_uploads and store.plan_by_name("第2次実施計画") is None


def test_chosen_profile_on_a_changed_sheet_is_refused_not_misread(store):
    profile = teach_two_row(books.two_row_header())
    prep = prepare(store, books.two_row_header(insert_column=True), "jisshi.xlsx", layout_profile=profile)
    assert prep.batch is None and any(p.cell == "C3" for p in prep.errors)


def test_unreadable_value_names_sheet_and_cell(store):
    from openpyxl import load_workbook
    import io
    wb = load_workbook(io.BytesIO(books.wareki_header()))
    wb["指標一覧"]["F3"] = "約11万"
    buf = io.BytesIO()
    wb.save(buf)
    save_profile(store, teach_wareki(books.wareki_header()), "admin")
    prep = prepare(store, buf.getvalue(), "hyoka.xlsx")
    bad = [p for p in prep.errors if p.code == "not_a_number"]
    assert [(p.sheet, p.cell) for p in bad] == [("指標一覧", "F3")]
    assert "約11万" in bad[0].message


def test_profile_save_is_journalled_and_can_be_undone(store):
    profile = teach_two_row(books.two_row_header())
    first = save_profile(store, profile, "admin")
    assert save_profile(store, profile, "admin") is None  # the same text: nothing recorded
    rec = store.uploads()[0]
    assert (rec.upload_id, rec.kind, rec.uploaded_by) == (first, "layout", "admin")
    log = store.change_log(first)
    assert log[0]["table"] == "layout_profiles" and log[0]["key"] == {"name": "実施計画 進捗一覧"}
    from kpi.store.store import UploadMeta
    store.revert(first, UploadMeta(user="admin", kind="undo"))
    assert store.layout_profiles() == []


def test_profile_file_round_trip_and_mistakes_named():
    profile = teach_two_row(books.two_row_header())
    again = load_profile(profile.to_json())
    assert again == profile
    body = json.loads(profile.to_json())
    body["item"]["item_no"] = "1A"
    body["indicators"][0]["kind"] = "効果"
    with pytest.raises(ProfileError) as exc:
        load_profile(body)
    assert "取組番号の列「1A」" in exc.value.message and "種類「効果」" in exc.value.message
    with pytest.raises(ProfileError):
        load_profile("{not json")


def run_cli(*args):
    return run_kpi(*args)  # in this process (helpers.run_kpi); test_cli.py runs real processes


def test_cli_layout_import_list_export_and_import_with_layout(tmp_path):
    db = str(tmp_path / "kpi.duckdb")
    book = tmp_path / "jisshi.xlsx"
    book.write_bytes(books.two_row_header())
    prof_file = tmp_path / "p.json"
    prof_file.write_text(teach_two_row(book.read_bytes()).to_json(), encoding="utf-8")
    r = run_cli("--db", db, "layout", "import", str(prof_file))
    assert r.returncode == 0 and "登録しました" in r.stdout.decode()
    r = run_cli("--db", db, "layout", "list")
    assert "実施計画 進捗一覧" in r.stdout.decode()
    out = tmp_path / "out.json"
    r = run_cli("--db", db, "layout", "export", "実施計画 進捗一覧", "-o", str(out))
    assert r.returncode == 0 and json.loads(out.read_text("utf-8")) == json.loads(prof_file.read_text("utf-8"))
    r = run_cli("--db", db, "import", str(book), "--layout", "実施計画 進捗一覧")
    assert r.returncode == 0, r.stderr.decode()
    assert "登録した様式「実施計画 進捗一覧」" in r.stdout.decode() and "取り込みました" in r.stdout.decode()
    changed = tmp_path / "changed.xlsx"
    changed.write_bytes(books.two_row_header(insert_column=True))
    r = run_cli("--db", db, "import", str(changed), "--layout", "実施計画 進捗一覧")
    assert r.returncode == 1 and "セル C3" in r.stderr.decode()
    r = run_cli("--db", db, "import", str(book), "--layout", "ない様式")
    assert r.returncode == 1 and "登録されていません" in r.stderr.decode()


# ------------------------------------------------------------ the real Ofunato workbook, read in place

needs_ofunato = pytest.mark.skipif(not OFUNATO.exists(), reason=f"{OFUNATO} がありません（../shared の実データ）")


@pytest.fixture(scope="module")
def ofunato(tmp_path_factory):
    from kpi.store.store import Store
    store = Store.open(tmp_path_factory.mktemp("ofunato") / "kpi.duckdb")
    profile = load_profile(OFUNATO_PROFILE.read_text("utf-8"))
    save_profile(store, profile, "admin")
    prep = prepare(store, OFUNATO)
    results = commit(store, [prep], "admin", backup=False)
    return store, profile, prep, results


@pytest.fixture(scope="module")
def ofunato_read(ofunato):
    """The plan as stored, and the sheet as the tests read its cells: each read once for the module."""
    store = ofunato[0]
    return series(store, "大船渡市 事務事業評価"), read_workbook(OFUNATO).sheets[0]


@needs_ofunato
def test_ofunato_reads_through_its_profile(ofunato):
    store, profile, prep, _results = ofunato
    assert prep.layout_label == "登録した様式「大船渡市事務事業評価」" and not prep.errors
    items = prep.batch.table("items")
    assert len(items) == 406  # row 314 has no ID (0 from the lookup): named in a warning
    assert any(p.cell == "H314" and p.code == "no_item_no" for p in prep.warnings)
    kinds = {r["indicator_kind"] for r in prep.batch.table("indicators")}
    assert kinds == {"活動", "対象", "成果", None}  # the costs (事業費, トータルコスト) are of no kind


OFUNATO_SERIES = [
    ("0833", "対象者の二十歳のつどい出席率", "％", [None, 75.2, 75.6, 80.5, 75.2, 80.0]),
    ("0086", "処理して改善された不法投棄箇所の数", "件", [3, 2, 1, 2, 2, 3]),
    ("0090", "貸付件数（新規貸付件数）", "件", [36, 29, 25, 25, 27, 29]),
]


@needs_ofunato
@pytest.mark.parametrize("item_no, name, unit, values", OFUNATO_SERIES)
def test_ofunato_three_indicators_match_the_sheet(ofunato_read, item_no, name, unit, values):
    (plan, got), sheet = ofunato_read
    ind = next(i for i in plan.item(item_no).indicators if i.name == name)
    assert (ind.unit, ind.kind) == (unit, "成果")
    read = [got.get((item_no, name, fy), (None, None, False, None)) for fy in range(2020, 2026)]
    assert [r[1] for r in read[:5]] + [read[5][0]] == values  # blocks 1–5 実績 R2–R6, block 6 計画 R7
    # and against the cells themselves (0086: CJ3, DC3, DV3, EO3, FH3, GA3, text and numbers mixed)
    row = next(r for r in range(3, sheet.max_row + 1) if sheet.raw(r, 8) == item_no)
    from kpi.rules.numbers import parse_number
    assert [parse_number(sheet.raw(row, 88 + 19 * b)).value for b in range(6)] == values
    if item_no == "0090":
        assert [r[3] for r in read[:5]] == ["実績: 36（1）", "実績: 29（4）", "実績: 25（5）", "実績: 25（5）",
                                            "実績: 27（4）"]


@needs_ofunato
def test_ofunato_costs_are_yearly_values_in_thousand_yen(ofunato_read):
    """事業費計（A） and トータルコスト（A）＋（B） of each yearly block (BY / CC, then 19 columns on),
    read as two indicators in 千円 with the years the person assigned to the blocks."""
    (plan, got), sheet = ofunato_read
    costs = {i.name: i for i in plan.item("0086").indicators if i.unit == "千円"}
    assert set(costs) == {"事業費", "トータルコスト（事業費＋人件費）"} and costs["事業費"].kind == ""
    assert (sheet.raw(3, 8), sheet.raw(2, 77), sheet.raw(2, 81)) == ("0086", "事業費計  （A）", "トータルコスト(A)＋(B)")
    for name, col in (("事業費", 77), ("トータルコスト（事業費＋人件費）", 81)):
        read = [got[("0086", name, fy)] for fy in range(2020, 2026)]
        cells = [sheet.raw(3, col + 19 * b) for b in range(6)]
        assert [r[1] for r in read[:5]] + [read[5][0]] == cells, name  # 実績 R2–R6, 計画 R7
    assert got[("0086", "事業費", 2020)][1] == 3089 and got[("0086", "トータルコスト（事業費＋人件費）", 2020)][1] == 4209


@needs_ofunato
def test_ofunato_fractions_under_percent_and_reupload_unchanged(ofunato, ofunato_read):
    store, profile, prep, _ = ofunato
    (plan, got), _sheet = ofunato_read
    # 1369 stores 2.98％ as 0.0298… (cell DV102): read as a percentage, with a warning naming the cell
    assert got[("1369", "漁業集落排水(雨水)施設整備進捗率 （延長ベース）", 2022)][1] == pytest.approx(2.9805352798)
    assert any(p.cell == "DV102" and p.code == "fraction_percent" for p in prep.warnings)
    again = prepare(store, OFUNATO)
    assert again.layout == profile.key and again.changes.is_empty and not again.errors


def test_stored_profile_unknown_name_lists_known(store):
    save_profile(store, teach_two_row(books.two_row_header()), "admin")
    with pytest.raises(ProfileError) as exc:
        stored_profile(store, "ない")
    assert "「実施計画 進捗一覧」" in exc.value.message


def test_profile_detection_never_uses_the_file_name(store):
    data = books.two_row_header()
    save_profile(store, teach_two_row(data), "admin")
    assert prepare(store, data, "totally_other_name.xlsx").layout == "profile:実施計画 進捗一覧"
    assert prepare(store, books.wareki_header(), "jisshi.xlsx").layout != "profile:実施計画 進捗一覧"


@pytest.mark.parametrize("field, value, named", [
    ("header_rows", "x", "見出し行「x」"),
    ("groups", "効果 a", "指標の1行目「効果 a」"),
    ("years", "R2 実績 x", "年度の1行目「R2 実績 x」"),
    ("years", "令和0年度 実績 0", "年度の1行目「令和0年度」"),
    ("skip_rows", "十", "読み飛ばす行「十」"),
])
def test_teaching_form_names_each_mistake(field, value, named):
    from kpi.intake.layouts.profile import profile_from_form
    sheet = read_workbook(books.wareki_header(), "hyoka.xlsx").sheets[0]
    form = {"name": "t", "header_rows": "1", "first_data_row": 2, "item_no": "A", "groups": "成果 - C D E",
            "years": "H30 実績 0"}
    form[field] = value
    with pytest.raises(ProfileError) as exc:
        profile_from_form(sheet, **form)
    assert named in exc.value.message


def test_teaching_form_gives_the_shipped_ofunato_mapping():
    """The form's text, typed as the browser test types it, maps the sheet as the shipped profile does."""
    if not OFUNATO.exists():
        pytest.skip(f"{OFUNATO} がありません（../shared の実データ）")
    from kpi.intake.layouts.profile import profile_from_form
    from browser.test_teach_layout import GROUPS, YEARS
    sheet = read_workbook(OFUNATO).sheets[0]
    got = profile_from_form(sheet, name="大船渡市事務事業評価", plan_name="大船渡市 事務事業評価", header_rows="2",
                            first_data_row=3, item_no="H", title="I", department="U", groups=GROUPS, years=YEARS)
    shipped = load_profile(OFUNATO_PROFILE.read_text("utf-8"))
    # the nine indicator groups as typed; the shipped file adds the two costs the form has no line for
    assert got.indicators == shipped.indicators[:9] and got.fingerprint == shipped.fingerprint
    assert [(g.name_text, g.unit_text) for g in shipped.indicators[9:]] == [("事業費", "千円"),
                                                                          ("トータルコスト（事業費＋人件費）", "千円")]
    assert (got.item_no_col, got.title_col, got.department_col) == (8, 9, 21)


@pytest.mark.parametrize("chosen", [None, "課別 進捗管理表"], ids=["detected", "named"])
def test_one_upload_reads_the_taught_layouts_once_for_all_its_files(store, monkeypatch, chosen):
    """Every file of an upload is checked against the same taught layouts: read from the database and
    loaded once per upload, not once per file."""
    from kpi.intake import pipeline
    from kpi.intake.pipeline import prepare_many
    taught = [teach_two_row(books.two_row_header()), teach_wareki(books.wareki_header()),
              teach_departments(books.sheet_per_department())]
    for profile in taught:
        save_profile(store, profile, "admin")
    sql, loads = [], []

    class Counted:
        def __init__(self, cur):
            self._cur = cur

        def execute(self, query, *args, **kwargs):
            sql.append(query)
            self._cur.execute(query, *args, **kwargs)
            return self

        def __getattr__(self, name):
            return getattr(self._cur, name)

    real_cursor, real_load = type(store).cursor, pipeline.load_profile
    monkeypatch.setattr(type(store), "cursor", lambda self: Counted(real_cursor(self)))
    monkeypatch.setattr(pipeline, "load_profile", lambda body: loads.append(1) or real_load(body))
    files = [("jisshi.xlsx", books.two_row_header()), ("hyoka.xlsx", books.wareki_header()),
             ("ka.xlsx", books.sheet_per_department())]
    if chosen:
        files = [("ka.xlsx", books.sheet_per_department()), ("ka2.xlsx", books.sheet_per_department())]
    preps = prepare_many(store, files, layout_profile=chosen)
    want = [f"profile:{chosen}"] * 2 if chosen else [p.key for p in taught]
    assert [p.layout for p in preps] == want  # each file read with its own profile
    assert sum("layout_profiles" in q for q in sql) == 1  # one read of the stored layouts for the upload
    assert len(loads) == len(taught)  # each profile loaded once, not once per file
