"""Issue 14, item 1: no workbook can take the process down.

Every hostile form of tests/hostile_books.py is refused by the pre-parse checks with its own Japanese
message; calamine alone would abort on the ones in ALLOCATES (shown here in a throw-away process);
and with the checks switched off the reader's child limits alone turn each of them into one refused
file while this process goes on. The child never outlives its parent and never runs past its time.
"""

from __future__ import annotations

import io
import os
import pickle
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import NIIGATA, ROOT, SAMPLES, TODAY
from hostile_books import ALLOCATES, HOSTILE, book, build

from kpi.errors import BadWorkbook
from kpi.intake.isolated_reader import _ZYGOTE, Limits, _Answer, read_isolated
from kpi.intake.package_checks import _WS, _any_extent, _canonical_extent
from kpi.intake.pipeline import prepare
from kpi.intake.workbook import read_workbook

SMALL = Limits(memory_mb=512, timeout_s=30, workers=2)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_each_hostile_book_is_refused_with_its_own_message(store, name):
    prep = prepare(store, build(name), name, today=TODAY)
    (err,) = prep.problems
    assert err.level == "error" and err.code == "bad_file" and err.file == name
    assert HOSTILE[name][1] in err.message, err.message
    assert err.hint
    assert store.uploads() == []


_CALAMINE_ALONE = """
import io, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
import python_calamine as pc
wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(sys.stdin.buffer.read()))
for name in wb.sheet_names:
    wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
"""


@pytest.mark.parametrize("name", ALLOCATES)
def test_calamine_alone_would_abort_on_it(name):
    """Why the checks exist: handed these few KB, calamine asks for more memory than the machine has."""
    r = subprocess.run([sys.executable, "-c", _CALAMINE_ALONE], input=build(name), capture_output=True, timeout=120)
    assert r.returncode != 0
    err = r.stderr.decode(errors="replace")
    assert r.returncode == -signal.SIGABRT and "memory allocation of" in err or "MemoryError" in err, (r.returncode, err[-500:])


@pytest.mark.parametrize("name", ALLOCATES)
def test_the_childs_limit_alone_saves_the_process(name):
    with pytest.raises(BadWorkbook) as refused:
        read_isolated(build(name), name, checks=False, limits=SMALL)
    assert f"「{name}」は読み込むのに必要なメモリが上限（512 MB）を超えたため" in refused.value.message
    assert refused.value.hint
    # The same reader goes on with the next file.
    assert [s.name for s in read_workbook(NIIGATA).sheets]


def test_a_read_that_runs_too_long_is_stopped_and_says_so():
    t0 = time.monotonic()
    with pytest.raises(BadWorkbook) as refused:
        read_isolated(NIIGATA.read_bytes(), "遅いファイル.xlsx", limits=Limits(512, 2, 2), _pause=30)
    assert time.monotonic() - t0 < 10
    assert "「遅いファイル.xlsx」は読み込みに 2 秒以上かかるため、読み込みを中止しました" in refused.value.message


_PARENT = """
import sys
sys.path.insert(0, sys.argv[1])
from kpi.intake.isolated_reader import read_isolated
read_isolated(open(sys.argv[2], 'rb').read(), 'x.xlsx', _pause=120)
"""


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_the_reader_dies_with_its_parent_even_after_kill_9():
    parent = subprocess.Popen([sys.executable, "-c", _PARENT, str(ROOT), str(NIIGATA)])
    try:
        deadline = time.monotonic() + 30
        zygote = reader = None
        while time.monotonic() < deadline and reader is None:
            for z in _children(parent.pid):
                kids = _children(z)
                if kids:
                    zygote, reader = z, kids[0]
            time.sleep(0.1)
        assert reader is not None, "the reader's child did not start"
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (_alive(zygote) or _alive(reader)):
            time.sleep(0.1)
        assert not _alive(zygote) and not _alive(reader)
    finally:
        if parent.poll() is None:
            parent.kill()


def test_the_answer_is_read_without_running_any_code():
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))
    with pytest.raises(pickle.UnpicklingError):
        _Answer(io.BytesIO(pickle.dumps(("ok", [Evil()], [])))).load()


def test_many_reads_at_once_are_all_answered():
    import threading
    data = NIIGATA.read_bytes()
    names = [s.name for s in read_workbook(NIIGATA).sheets]
    got = []

    def one():
        got.append([s.name for s in read_isolated(data, "x.xlsx", limits=Limits(512, 60, 2)).sheets])
    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [names] * 8
    assert _ZYGOTE.pid is not None


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.xlsx")), ids=lambda p: p.name)
def test_the_fast_reading_of_a_sheet_agrees_with_the_general_one(path):
    """Excel-written sheets take the fast path, and it finds the same last cell as the slow one."""
    with zipfile.ZipFile(path) as z:
        sheets = [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
    assert sheets
    for xml in sheets:
        fast = _canonical_extent(xml.translate(_WS))
        assert fast is not None
        slow = _any_extent(xml)
        assert (fast.rows, fast.cols, fast.cells) == (slow.rows, slow.cols, slow.cells)


def test_a_sheet_written_without_addresses_is_read_where_calamine_puts_it():
    """Some writers omit r= on rows and cells: not refused, and every value lands in its cell."""
    rows = "".join("<row>" + "".join(f'<c t="inlineStr"><is><t>{r}-{c}</t></is></c>' for c in range(12)) + "</row>"
                   for r in range(300))
    wb = read_workbook(book(rows), "番地なし.xlsx")
    (sheet,) = wb.sheets
    assert sheet.max_row == 300 and sheet.max_col == 12
    assert sheet.raw(1, 1) == "0-0" and sheet.raw(300, 12) == "299-11"
