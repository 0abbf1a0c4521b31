"""A throwaway PostgreSQL server for tests and benchmarks: Debian's postgresql, in a temporary folder.

The shared store (DuckLake with its catalog on PostgreSQL) is tested against a real server,
never a mock. scripts/test.sh installs Debian's `postgresql` package; this module runs its
initdb and pg_ctl on a free loopback port with trust authentication, so nothing outside the
folder is touched. PostgreSQL refuses to run as root: as root, the server runs as the
`postgres` user that the Debian package creates.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from appserver import free_port


def find_bin() -> Path | None:
    """The newest installed server's bin folder (/usr/lib/postgresql/N/bin), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    return Path(found[-1]).parent if found else None


class PgCluster:
    """initdb + pg_ctl in `folder`; user `kpi`, no password, loopback only."""

    def __init__(self, folder: Path | None = None, port: int | None = None):
        """folder: where the server keeps its files; by default a new folder in the system's temp
        directory (as root it must be there: pytest's own temp folders are closed to `postgres`)."""
        bindir = find_bin()
        if bindir is None:
            raise RuntimeError("PostgreSQL がありません: apt-get install -y postgresql（scripts/test.sh が入れます）")
        self.bin = bindir
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self._own_folder = folder is None or bool(self._as)
        self.folder = Path(tempfile.mkdtemp(prefix="kpi-pg-")) if self._own_folder else Path(folder)
        self.data = self.folder / "pgdata"
        self.port = port or free_port()
        self.user = "kpi"
        self.folder.mkdir(parents=True, exist_ok=True)
        if self._as:
            shutil.chown(self.folder, "postgres")

    def _run(self, *args: str) -> None:
        r = subprocess.run(self._as + [str(self.bin / args[0]), *args[1:]], capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0:
            log = self.folder / "server.log"
            raise RuntimeError(f"{' '.join(args)}: {r.stdout}{r.stderr}"
                               f"{log.read_text(errors='replace')[-2000:] if log.exists() else ''}")

    def init(self) -> "PgCluster":
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", self.user, "-E", "UTF8", "--no-locale")
        return self

    def start(self) -> "PgCluster":
        # fsync off: a throwaway server whose data never has to survive a power cut.
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-w", "-t", "60",
                  "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                        f"-c max_connections=200", "start")
        return self

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "-m", "fast", "stop")

    def remove(self) -> None:
        """Stop the server if it runs and delete its files."""
        if self.running():
            self.stop()
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def dsn(self, dbname: str) -> str:
        return f"dbname={dbname} host=127.0.0.1 port={self.port} user={self.user}"

    def create_database(self, name: str) -> str:
        """A new empty database; returns the store target 'ducklake:postgres:…' for it."""
        r = subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port),
                            "-U", self.user, "-d", "postgres", "-c", f'CREATE DATABASE "{name}"'],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(r.stderr)
        return f"ducklake:postgres:{self.dsn(name)}"
