"""Reading an uploaded workbook into plain cells in a child process with memory and time limits.

python-calamine is fast, but it trusts the file's numbers: a cell at XFD1048576 or a uniqueCount of
4294967295 makes it ask for tens of GB, and Rust then aborts the whole process (SIGABRT), which for
the app is the Streamlit server of every user. kpi/intake/package_checks.py refuses every such form it knows;
this module makes whatever it misses cost one refused upload instead of the server:

- Each file is checked and read by calamine in its own child process. The children are forked from a
  small zygote (`python -m kpi.intake.isolated_reader`, started once with subprocess — fork+exec, safe in the
  multi-threaded server — with a small environment: no database target or password), which has
  imported calamine already, so a read costs a fork (a few ms) instead of a new interpreter.
- Before it reads the file, a child limits its own address space (RLIMIT_AS, KPI_READ_MEMORY_MB,
  default 2048), CPU time (RLIMIT_CPU), wall-clock time (alarm; KPI_READ_TIMEOUT seconds, default 60),
  file writes (none) and core dumps, and asks the kernel to kill it when the zygote dies
  (PR_SET_PDEATHSIG). The zygote exits, killing its children, as soon as the parent's end of its
  control socket closes, so nothing outlives the server, even after kill -9.
- At most KPI_READ_WORKERS (default 2) files are read at once, so many uploads at the same time
  cannot add up to the machine's memory.
- A child answers with a pickle of plain lists (cell values, merged ranges, error cells), read back
  with an unpickler that accepts no class but the datetime types calamine returns. An abort, a
  MemoryError, the CPU limit or the alarm becomes a BadWorkbook with a Japanese message.

Error cells (#DIV/0!, #N/A, and the newer #SPILL!, #CALC! … that calamine 0.37 cannot read at all) are
read as blank and reported by sheet and cell: their sheets are rewritten, before calamine sees them, as
text cells carrying a private-use marker, so calamine itself says where each one lands.
"""

from __future__ import annotations

import gc
import io
import json
import os
import pickle
import re
import resource
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpi.errors import BadWorkbook
from kpi.intake.package_checks import (
    MAX_CELLS_PER_SHEET,
    MAX_CELLS_TOTAL,
    MAX_MERGED_CELLS_PER_SHEET,
    MAX_SHEETS,
    Package,
    check_package,
    coord,
    sniff,
)

ROOT = Path(__file__).resolve().parents[2]  # kpi/intake/isolated_reader.py → the repository
DEFAULT_MEMORY_MB = 2048
DEFAULT_TIMEOUT_S = 60.0
DEFAULT_WORKERS = 2
# Only these reach the child: it needs no database target, password or session secret.
_CHILD_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ")
_ERROR_MARK = "\ue000"  # private use: starts the text of a rewritten error cell


@dataclass(frozen=True)
class RawSheet:
    name: str
    rows: list[list[Any]]
    merged: list[tuple[int, int, int, int]]  # 1-based r0, c0, r1, c1
    visible: bool


@dataclass(frozen=True)
class CellError:
    """A cell holding an Excel error value (#DIV/0!, #N/A …), read as blank."""

    sheet: str
    cell: str
    value: str


@dataclass(frozen=True)
class RawBook:
    sheets: list[RawSheet]
    cell_errors: list[CellError]


@dataclass(frozen=True)
class Limits:
    memory_mb: int
    timeout_s: float
    workers: int

    @classmethod
    def from_env(cls) -> "Limits":
        def num(name: str, default: float) -> float:
            try:
                return float(os.environ.get(name, "") or default)
            except ValueError:
                return default
        return cls(int(num("KPI_READ_MEMORY_MB", DEFAULT_MEMORY_MB)), num("KPI_READ_TIMEOUT", DEFAULT_TIMEOUT_S),
                   max(1, int(num("KPI_READ_WORKERS", DEFAULT_WORKERS))))


# ------------------------------------------------------------------ in the child

_ERROR_CELL = re.compile(
    rb"""(<(?:[\w.\-]+:)?c\s[^>]*?(?<![\w:.\-])t\s*=\s*)(["'])e\2([^>]*(?<!/)>)(.*?)(</(?:[\w.\-]+:)?c\s*>)""", re.S)
_VALUE_OPEN = re.compile(rb"(<(?:[\w.\-]+:)?v(?:\s[^>]*)?>)")


def _mark_error_cells(data: bytes, pkg: Package) -> bytes:
    """The same package with each error cell of type e turned into a text cell '\\ue000#DIV/0!'."""
    mark = _ERROR_MARK.encode()

    def cell(m: re.Match) -> bytes:
        body = _VALUE_OPEN.sub(lambda v: v.group(1) + mark, m.group(4), count=1)
        return m.group(1) + m.group(2) + b"str" + m.group(2) + m.group(3) + body + m.group(5)

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            if info.is_dir():
                continue
            body = pkg.parts[info.filename]
            if info.filename in pkg.error_cell_parts:
                body = _ERROR_CELL.sub(cell, body)
            zout.writestr(zipfile.ZipInfo(info.filename, info.date_time), body)
    return out.getvalue()


def _name_key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold()


def read_cells(data: bytes, file_name: str, *, checks: bool = True) -> RawBook:
    """The checks, then calamine: every worksheet's cells. Runs in the child (or in a test)."""
    pkg = None
    if checks:
        sniff(data, file_name)
        pkg = check_package(data, file_name)
        if pkg.error_cell_parts:
            data = _mark_error_cells(data, pkg)
    import python_calamine as pc
    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        metas = {m.name: m for m in wb.sheets_metadata}
        names = list(wb.sheet_names)
        if len(names) > MAX_SHEETS:
            raise BadWorkbook(f"「{file_name}」にはシートが {len(names)} 枚あり、上限（{MAX_SHEETS} 枚）を超えています。")
        seen: dict[str, str] = {}
        for name in names:
            # Excel never has two sheets whose names differ only in case; a file that does would
            # have its second sheet read as the first one's copy.
            if _name_key(name) in seen:
                raise BadWorkbook(f"「{file_name}」には同じ名前のシートが2枚あります（「{seen[_name_key(name)]}」と「{name}」）。",
                                  hint="シート名を変えてExcelで保存し直してください")
            seen[_name_key(name)] = name
        sheets, errors, total = [], [], 0
        for name in names:
            meta = metas.get(name)
            if meta is not None and "WorkSheet" not in str(meta.typ):
                continue  # chart sheets and macro sheets hold no cells to read
            ws = wb.get_sheet_by_name(name)
            if ws.height * ws.width > MAX_CELLS_PER_SHEET:
                raise BadWorkbook(f"シート「{name}」は {ws.height:,} 行 × {ws.width:,} 列あり、大きすぎるため読み込みません。",
                                  hint="使っていない行や列を削除して保存し直してください")
            # skip_empty_area=False keeps row 1 / column A at index 0, so addresses match Excel.
            rows = ws.to_python(skip_empty_area=False)
            total += sum(len(r) for r in rows)
            if total > MAX_CELLS_TOTAL:
                raise BadWorkbook(f"「{file_name}」は全シートのセルが {MAX_CELLS_TOTAL:,} を超えるため読み込みません。",
                                  hint="不要なシートを削除するか、ファイルを分けてください")
            merged = [(a[0] + 1, a[1] + 1, b[0] + 1, b[1] + 1) for a, b in (ws.merged_cell_ranges or [])]
            merged_cells = sum((r1 - r0 + 1) * (c1 - c0 + 1) for r0, c0, r1, c1 in merged)
            if merged_cells > MAX_MERGED_CELLS_PER_SHEET:
                raise BadWorkbook(f"シート「{name}」の結合セルは合わせて {merged_cells:,} セルあり、大きすぎるため読み込みません"
                                  f"（上限 {MAX_MERGED_CELLS_PER_SHEET:,} セル）。",
                                  hint="行や列全体の結合を解除して保存し直してください")
            if pkg is not None and pkg.error_cell_parts:
                for ri, row in enumerate(rows):
                    for ci, v in enumerate(row):
                        if isinstance(v, str) and v.startswith(_ERROR_MARK):
                            errors.append(CellError(name, coord(ri + 1, ci + 1), v[1:]))
                            row[ci] = None
            visible = meta is None or str(meta.visible).endswith("Visible") and "Hidden" not in str(meta.visible)
            sheets.append(RawSheet(name, rows, merged, visible))
    except BadWorkbook:
        raise
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    # calamine raises its own types for every kind of broken part, and a Rust panic (pyo3's
    # PanicException is a BaseException) for some, e.g. a date cell holding 10**15 (found by tests/test_fuzz.py).
    except BaseException as exc:
        # Under the child's address-space limit an allocation inside calamine can fail as a Rust panic
        # instead of a MemoryError ("PyObject pointer is null": pyo3 got no memory for an object; which
        # one happens depends on where the limit is hit): that is the memory limit at work too.
        text = str(exc).lower()
        if "pointer is null" in text or "memory allocation" in text or "capacity overflow" in text:
            raise MemoryError(str(exc)) from exc
        raise BadWorkbook(f"「{file_name}」を読み込めませんでした（ファイルが壊れているか、対応していない形式です）。",
                          hint=f"Excelで開いて保存し直してください（詳細: {type(exc).__name__}: {str(exc)[:160]}）") from exc
    return RawBook(sheets, errors)


def _die_with_parent() -> None:
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: the zygote is its parent
    except (OSError, AttributeError):
        pass  # not Linux: the alarm and the CPU limit still bound the child


def _limit(memory_mb: int, cpu_s: int) -> None:
    for which, value in ((resource.RLIMIT_AS, memory_mb * 1024 * 1024), (resource.RLIMIT_CPU, cpu_s),
                         (resource.RLIMIT_CORE, 0),
                         (resource.RLIMIT_FSIZE, 0)):  # it writes nothing but its answer to the socket
        hard = resource.getrlimit(which)[1]
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)  # a parent's own lower limit stays in force
        resource.setrlimit(which, (value, value))


def _serve(conn: socket.socket, job: dict) -> int:
    """One read, in a child forked from the zygote: limits first, then the file, then the answer."""
    _die_with_parent()
    # The child ends after one answer: the cells it makes are freed with it, never by the cycle collector.
    gc.disable()
    _limit(job["memory_mb"], int(job["timeout_s"]) + 1)
    signal.alarm(int(job["timeout_s"]) + 1)  # SIGALRM's default action ends the process: a wall-clock limit
    conn.sendall(b"P" + os.getpid().to_bytes(4, "big"))
    chunks = []
    while True:
        chunk = conn.recv(1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    data = b"".join(chunks)
    del chunks
    if job.get("pause"):  # tests only: time to kill the parent while the child is at work
        time.sleep(job["pause"])
    try:
        book = read_cells(data, job["file_name"], checks=job["checks"])
        answer: tuple = ("ok", [(s.name, s.rows, s.merged, s.visible) for s in book.sheets],
                         [(e.sheet, e.cell, e.value) for e in book.cell_errors])
    except BadWorkbook as exc:
        answer = ("refused", exc.message, exc.hint)
    except MemoryError:
        answer = ("memory",)
    body = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    conn.sendall(b"A" + len(body).to_bytes(8, "big") + body)
    return 0


def _zygote(ctl_fd: int) -> int:
    """The reader's zygote: imports calamine once, then forks one child per file.

    Started by the parent with one end of a SEQPACKET socket: each message is a job with the socket of
    its requester attached. It forks a child for it, and when the child ends, sends the requester the
    child's exit status ('S' and the status) and closes. When the parent is gone (end of file on the
    control socket) it kills its children and exits, so nothing is left behind.
    """
    import python_calamine  # noqa: F401 - loaded once, shared by every fork
    ctl = socket.socket(fileno=ctl_fd)
    children: dict[int, socket.socket] = {}
    # A child's end wakes the loop at once (its status goes to its requester).
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w)
    try:
        while True:
            ready, _, _ = select.select([ctl, wake_r], [], [])
            if wake_r in ready:
                while True:
                    try:
                        if not os.read(wake_r, 4096):
                            break
                    except BlockingIOError:
                        break
                _reap(children)
            if ctl not in ready:
                continue
            try:
                msg, fds, _flags, _addr = socket.recv_fds(ctl, 65536, 1)
            except OSError:
                break
            if not msg:
                break  # the parent is gone
            if not fds:
                continue
            conn = socket.socket(fileno=fds[0])
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    signal.set_wakeup_fd(-1)
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    for fd in (wake_r, wake_w):
                        os.close(fd)
                    ctl.close()
                    for other in children.values():
                        other.close()
                    code = _serve(conn, json.loads(msg))
                finally:
                    os._exit(code)
            children[pid] = conn
            _reap(children)  # a child may have ended before it was listed
    finally:
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    return 0


def _reap(children: dict[int, socket.socket]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = children.pop(pid, None)
        if conn is not None:
            try:
                conn.sendall(b"S" + os.waitstatus_to_exitcode(status).to_bytes(4, "big", signed=True))
            except OSError:
                pass
            conn.close()


# ------------------------------------------------------------------ in the parent

class _Answer(pickle.Unpickler):
    """Plain lists, strings and numbers, and the datetime types calamine returns; nothing else."""

    _ALLOWED = {("datetime", "datetime"), ("datetime", "date"), ("datetime", "time"), ("datetime", "timedelta")}

    def find_class(self, module: str, name: str):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name}")


_slots_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}


def _slot(workers: int) -> threading.BoundedSemaphore:
    with _slots_lock:
        return _slots.setdefault(workers, threading.BoundedSemaphore(workers))


def _memory_refusal(file_name: str, limits: Limits) -> BadWorkbook:
    return BadWorkbook(f"「{file_name}」は読み込むのに必要なメモリが上限（{limits.memory_mb:,} MB）を超えたため、"
                       "読み込みを中止しました（シートの範囲や文字列の数が異常に大きいブックです）。",
                       hint="Excelで開き、使っていない行や列・シートを削除して保存し直してください")


def _time_refusal(file_name: str, limits: Limits) -> BadWorkbook:
    return BadWorkbook(f"「{file_name}」は読み込みに {limits.timeout_s:.0f} 秒以上かかるため、読み込みを中止しました。",
                       hint="不要なシートを削除するか、ファイルを分けてアップロードしてください")


class _Zygote:
    """The parent's handle on its zygote (started on first use, restarted if it died)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.proc: subprocess.Popen | None = None
        self.ctl: socket.socket | None = None

    def _start(self) -> None:
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {k: os.environ[k] for k in _CHILD_ENV if k in os.environ}
        env["PYTHONPATH"] = str(ROOT)
        self.proc = subprocess.Popen([sys.executable, "-s", "-m", "kpi.intake.isolated_reader", str(theirs.fileno())],
                                     pass_fds=[theirs.fileno()], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL)
        theirs.close()
        self.ctl = mine

    def submit(self, job: dict) -> socket.socket:
        """A socket to the child that will read this job."""
        msg = json.dumps(job).encode()
        with self.lock:
            for attempt in (1, 2):
                if self.proc is None or self.proc.poll() is not None:
                    self._start()
                mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    socket.send_fds(self.ctl, [msg], [theirs.fileno()])
                    return mine
                except OSError:
                    mine.close()
                    self.proc.kill()
                    self.proc.wait()
                    if attempt == 2:
                        raise
                finally:
                    theirs.close()
        raise AssertionError("unreachable")

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None


_ZYGOTE = _Zygote()


def _answer_complete(got: bytearray) -> bool:
    if len(got) < 14 or got[:1] != b"P" or got[5:6] != b"A":
        return False
    return len(got) >= 14 + int.from_bytes(got[6:14], "big")


def _frames(data: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {}
    i = 0
    while i < len(data):
        kind = data[i:i + 1]
        if kind == b"P":
            out["pid"] = int.from_bytes(data[i + 1:i + 5], "big")
            i += 5
        elif kind == b"S":
            out["status"] = int.from_bytes(data[i + 1:i + 5], "big", signed=True)
            i += 5
        elif kind == b"A":
            n = int.from_bytes(data[i + 1:i + 9], "big")
            out["answer"] = data[i + 9:i + 9 + n]
            i += 9 + n
        else:
            break
    return out


def read_isolated(data: bytes, file_name: str, *, checks: bool = True, limits: Limits | None = None,
                  _pause: float = 0) -> RawBook:
    """read_cells() in a child process with limits. Raises BadWorkbook for people, whatever the child does.

    checks=False skips kpi/intake/package_checks.py (tests only: to show that the child's limits alone hold).
    """
    limits = limits or Limits.from_env()
    slot = _slot(limits.workers)
    if not slot.acquire(timeout=limits.timeout_s):
        raise BadWorkbook("ほかのファイルの読み込みが続いていて混み合っているため、読み込めませんでした。",
                          hint="しばらくしてから、もう一度アップロードしてください")
    started = time.monotonic()
    got = bytearray()
    timed_out = False
    try:
        sock = _ZYGOTE.submit({"file_name": file_name, "checks": checks, "memory_mb": limits.memory_mb,
                               "timeout_s": limits.timeout_s, "pause": _pause})
        with sock:
            # The child ends itself after timeout_s (alarm); this is the backstop.
            sock.settimeout(limits.timeout_s + 10)
            try:
                sock.sendall(data)
                sock.shutdown(socket.SHUT_WR)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the child ended before reading everything: its status says why
            except TimeoutError:
                timed_out = True
            while not timed_out:
                try:
                    chunk = sock.recv(1 << 20)
                except TimeoutError:
                    timed_out = True
                    break
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                got += chunk
                if _answer_complete(got):
                    break  # the child ends by itself; its status only matters when it sent no answer
    finally:
        slot.release()
    frames = _frames(bytes(got))
    if timed_out:
        if "pid" in frames:
            try:
                os.kill(frames["pid"], signal.SIGKILL)
            except OSError:
                pass
        raise _time_refusal(file_name, limits)
    status = frames.get("status")
    if "answer" in frames and status in (None, 0):
        try:
            answer = _Answer(io.BytesIO(frames["answer"])).load()
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as exc:
            raise BadWorkbook(f"「{file_name}」を読み込めませんでした。", hint="Excelで開いて保存し直してください") from exc
        if answer[0] == "ok":
            return RawBook([RawSheet(*s) for s in answer[1]], [CellError(*e) for e in answer[2]])
        if answer[0] == "refused":
            raise BadWorkbook(answer[1], hint=answer[2])
        raise _memory_refusal(file_name, limits)
    if status in (-signal.SIGALRM, -signal.SIGXCPU) or time.monotonic() - started >= limits.timeout_s:
        raise _time_refusal(file_name, limits)
    if status in (-signal.SIGABRT, -signal.SIGKILL):
        raise _memory_refusal(file_name, limits)
    raise BadWorkbook(f"「{file_name}」を読み込めませんでした（ファイルが壊れているか、対応していない形式です）。",
                      hint=f"Excelで開いて保存し直してください（詳細: 読み込みの終了コード {status}）")


if __name__ == "__main__":
    sys.exit(_zygote(int(sys.argv[1])))
