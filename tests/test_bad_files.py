"""Files that are not what they claim: each has its own file in tests/data/bad, its own message, bounded memory,
and leaves the database byte-for-byte as it was — through prepare(), the CLI and the upload page."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest
from conftest import NIIGATA, NIIGATA_PLAN, ROOT, TEST_DATA, TODAY
from streamlit.testing.v1 import AppTest
from test_cli import run

from kpi.access.permissions import LOCAL_ADMIN
from kpi.intake.pipeline import commit, prepare
from kpi.outputs import export
from kpi.store.store import Store

BAD = TEST_DATA / "bad"
_spec = importlib.util.spec_from_file_location("make_bad_files", BAD / "make_bad_files.py")
make_bad_files = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_bad_files)
BAD_FILES: dict[str, tuple[str, str]] = make_bad_files.BAD_FILES
MEMORY_LIMIT_MB = 100  # peak RSS of a process that only refuses the file (interpreter and imports: ~25 MB)


def snapshot(store: Store) -> tuple[bytes, ...]:
    return tuple(export.to_csv(export.build(store, w, today=TODAY, actor=LOCAL_ADMIN)) for w in ("values", "evaluations", "indicators"))


def test_every_bad_file_is_checked_in():
    assert sorted(p.name for p in BAD.iterdir() if p.suffix != ".py") == sorted(BAD_FILES)


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_prepare_refuses_with_its_own_message_and_writes_nothing(niigata_store, name):
    before = snapshot(niigata_store)
    uploads = niigata_store.uploads()
    prep = prepare(niigata_store, BAD / name, plan_name=NIIGATA_PLAN, today=TODAY)
    (err,) = prep.problems
    assert err.level == "error" and err.code == "bad_file" and err.file == name
    assert BAD_FILES[name][1] in err.message, err.message
    assert err.hint  # what to do about it
    with pytest.raises(Exception):
        commit(niigata_store, [prep], "テスト")
    assert snapshot(niigata_store) == before and niigata_store.uploads() == uploads


def test_the_messages_differ_per_kind_of_file():
    # one message per kind of file (the two macro files and the two broken ones share theirs on purpose)
    assert len({m for _d, m in BAD_FILES.values()}) == len(BAD_FILES) - 2


_MEASURE = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # a runaway allocation fails instead of eating the machine
from kpi.errors import BadWorkbook
from kpi.intake.workbook import read_workbook

def peak_mb():
    # VmHWM: this process's own high-water mark (getrusage's maxrss keeps the parent's across exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

base = peak_mb()
try:
    read_workbook(sys.argv[1])
    outcome = "read"
except BadWorkbook as exc:
    outcome = exc.message
print(json.dumps({"base_mb": base, "peak_mb": peak_mb(), "outcome": outcome}, ensure_ascii=False))
"""


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_refusing_uses_bounded_memory(name):
    r = subprocess.run([sys.executable, "-c", _MEASURE, str(BAD / name)], capture_output=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr.decode(errors="replace")[-2000:]  # no abort, no MemoryError
    got = json.loads(r.stdout)
    print(f"{name}: peak {got['peak_mb']:.0f} MB (interpreter and imports {got['base_mb']:.0f} MB)")
    assert BAD_FILES[name][1] in got["outcome"]
    assert got["peak_mb"] < MEMORY_LIMIT_MB


def test_cli_refuses_every_bad_file_and_writes_nothing(tmp_path):
    db = str(tmp_path / "kpi.duckdb")
    assert run("--db", db, "import", str(NIIGATA), "--plan", NIIGATA_PLAN).returncode == 0
    before = [run("--db", db, "export", "--what", w).stdout for w in ("values", "evaluations", "indicators")]
    r = run("--db", db, "import", *(str(BAD / n) for n in sorted(BAD_FILES)), "--plan", NIIGATA_PLAN)
    err = r.stderr.decode()
    assert r.returncode == 1 and "Traceback" not in err
    for name, (_what, message) in BAD_FILES.items():
        assert any(name in line and message in line for line in err.splitlines()), (name, err)
    assert f"エラーが {len(BAD_FILES)} 件あるため、何も取り込んでいません" in err
    after = [run("--db", db, "export", "--what", w).stdout for w in ("values", "evaluations", "indicators")]
    assert after == before


def test_upload_page_shows_each_message_and_writes_nothing(app_env):
    store = Store.open(app_env)
    before, uploads = snapshot(store), store.uploads()
    store.close()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/upload.py")
    at.run()
    at.file_uploader[0].set_value([(n, (BAD / n).read_bytes(), "application/octet-stream") for n in sorted(BAD_FILES)])
    at.run()
    assert not at.exception, at.exception
    shown = " ".join(e.value for e in at.error).replace("\\", "")
    for name, (_what, message) in BAD_FILES.items():
        assert message in shown, name
    button = next(b for b in at.button if b.label == "取り込む")
    assert button.disabled
    assert any("エラーが" in c.value for c in at.caption)
    store = Store.open(app_env)
    try:
        assert snapshot(store) == before and store.uploads() == uploads
    finally:
        store.close()
