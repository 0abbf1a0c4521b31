"""Backups before each import, and restoring one.

A backup is a complete DuckDB file written from a consistent snapshot of the live
database (Store.copy_to_file, kpi/store/copies.py: it works while the app is running and
never copies a half-written file). Backups live in backups/
next to the database, named kpi-YYYYmmdd-HHMMSS-uN.duckdb where N is the last upload
number they contain; the newest KPI_BACKUP_KEEP (default 20) are kept.

restore() replaces the plan data with a backup's inside one transaction (a crash
leaves the database as it was; Store.restore_from_file), after backing up the current
state. The user table, the sign-in state, the history of account changes and the migration
list are kept: restoring old numbers never restores old accounts. Upload numbers never go
backwards, so cached pages cannot mistake old data for new. This module holds the policy
(where, how many, who may, the messages); the store does the copying.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kpi.access.permissions import LOCAL_ADMIN, Actor, require
from kpi.errors import KpiError, StoreError
from kpi.store.copies import SourceUnreadable
from kpi.store.store import Store, UploadMeta
from kpi.store.users import ACCOUNT_KIND

DEFAULT_KEEP = 20
# Sessions of one server write backups one at a time (two uploads at once share one backup).
_lock = threading.Lock()
# Kept by restore(): accounts and sign-in state are not plan data, and the schema is the running program's.
NOT_RESTORED = ("users", "schema_migrations", "auth_state")
# Kept with the accounts: the history of account changes (an upload of kind 'users' each).
HISTORY_NOT_RESTORED = (ACCOUNT_KIND,)


class BackupError(KpiError):
    title = "バックアップ・復元のエラー"


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    created: datetime
    last_upload: int | None
    size: int


def backup_dir(store: Store) -> Path:
    return Path(store.path).parent / "backups"


def enabled(store: Store) -> bool:
    """File databases only: a DuckLake catalog is backed up with its PostgreSQL server."""
    p = str(store.path)
    return not (p == ":memory:" or p.startswith("ducklake:")) and os.environ.get("KPI_BACKUP", "on") != "off"


def keep_count() -> int:
    try:
        return max(1, int(os.environ.get("KPI_BACKUP_KEEP", DEFAULT_KEEP)))
    except ValueError:
        return DEFAULT_KEEP


def _copy_database(store: Store, target: Path) -> None:
    try:
        store.copy_to_file(target)
    except Exception as exc:
        target.unlink(missing_ok=True)
        raise BackupError(f"バックアップを作れませんでした: {str(exc).splitlines()[0][:200]}",
                          hint="ディスクの空き容量と、backups フォルダに書き込めるかを確かめてください") from exc


def make_backup(store: Store, *, label: str | None = None, now: datetime | None = None) -> Path | None:
    """Write a backup of the current state; returns its path (None for a catalog or an empty database)."""
    if not enabled(store) or store.is_empty():
        return None
    with _lock:
        last = store.data_version()  # the last upload number: the same number, the same data
        folder = backup_dir(store)
        if label is None:
            # The same upload number means the same plan data: one backup of it is enough.
            same = [b for b in list_backups(store) if b.last_upload == last and b.path.stem.endswith(f"-u{last}")]
            if same:
                return same[0].path
        now = now or datetime.now()
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"kpi-{now:%Y%m%d-%H%M%S}-u{last}" + (f"-{label}" if label else "")
        target = folder / f"{stem}.duckdb"
        n = 1
        while target.exists():
            n += 1
            target = folder / f"{stem}-{n}.duckdb"
        tmp = folder / f"{target.stem}.{uuid.uuid4().hex[:8]}.partial"
        _copy_database(store, tmp)
        os.replace(tmp, target)  # a backup is either complete or absent
        prune(store)
        return target


def list_backups(store: Store) -> list[BackupInfo]:
    folder = backup_dir(store)
    out = []
    for p in folder.glob("kpi-*.duckdb") if folder.exists() else ():
        parts = p.stem.split("-")
        try:
            created = datetime.strptime(f"{parts[1]}{parts[2]}", "%Y%m%d%H%M%S")
        except (IndexError, ValueError):
            created = datetime.fromtimestamp(p.stat().st_mtime)
        up = next((int(x[1:]) for x in parts[3:] if x.startswith("u") and x[1:].isdigit()), None)
        out.append(BackupInfo(p, created, up, p.stat().st_size))
    out.sort(key=lambda b: (b.created, b.path.name), reverse=True)
    return out


def prune(store: Store, keep: int | None = None) -> list[Path]:
    removed = []
    for b in list_backups(store)[keep or keep_count():]:
        b.path.unlink(missing_ok=True)
        removed.append(b.path)
    return removed


def before_import(store: Store) -> Path | None:
    """The automatic backup taken by kpi.intake.pipeline.commit before it writes."""
    return make_backup(store)


def restore(store: Store, source: str | os.PathLike, actor: Actor = LOCAL_ADMIN) -> Path | None:
    """Replace the data with a backup's, all or nothing. Administrators only.

    Returns the backup of the state before the restore (so a restore can itself be undone).
    """
    require(actor, "backup")
    src = Path(source)
    if not src.is_file():
        raise BackupError(f"バックアップファイル「{src}」が見つかりません。")
    if src.resolve() == Path(store.path).resolve():
        raise BackupError("使用中のデータベースそのものは復元元にできません。")
    with tempfile.TemporaryDirectory(prefix="kpi-restore-") as tmpdir:
        # Bring a copy of the backup up to the current schema first (old backups lack new columns).
        work = Path(tmpdir) / "restore.duckdb"
        shutil.copy(src, work)
        try:
            Store.open(work).close()
        except KpiError as exc:
            raise BackupError(f"「{src.name}」はこのアプリのデータベースとして開けません: {exc.message}") from exc
        before = make_backup(store, label="before-restore")
        meta = UploadMeta(user=actor.name, kind="restore", file_name=src.name,
                          note=f"バックアップ「{src.name}」から復元（復元前の状態: {before.name if before else 'なし'}）")
        try:
            store.restore_from_file(work, meta, keep_tables=NOT_RESTORED, keep_kinds=HISTORY_NOT_RESTORED)
        except SourceUnreadable as exc:
            raise BackupError(f"「{src.name}」を開けません: {exc}") from exc
        except StoreError:
            raise
        except KpiError:
            raise
        except Exception as exc:
            raise BackupError(f"復元できませんでした。データベースは変更していません: {str(exc).splitlines()[0][:200]}") from exc
    return before
