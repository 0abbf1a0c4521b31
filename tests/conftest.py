"""Shared fixtures: databases built in tmp_path from the checked-in sample workbooks."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest

from kpi.store.store import Store

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
TEST_DATA = Path(__file__).resolve().parent / "data"
ARTIFACTS = Path(__file__).resolve().parent / "_artifacts"  # screenshots etc., never committed

NIIGATA = SAMPLES / "niigata_kaikaku_no28.xlsx"
NIIGATA_PLAN = "新潟市行政改革プラン2015"
# Fixed "today" for rules that depend on the date, so results do not drift with the calendar.
TODAY = date(2026, 11, 23)


@pytest.fixture
def store(tmp_path: Path, tmp_path_factory) -> Store:
    """A new empty database: a copy of one migrated once per session (copying a file takes a
    fraction of running every migration again)."""
    target = tmp_path / "kpi.duckdb"
    shutil.copy(_built_db(tmp_path_factory, "empty", lambda s: None), target)
    s = Store.open(target)
    yield s
    s.close()


@pytest.fixture
def niigata_store(store: Store) -> Store:
    from kpi.intake.pipeline import commit, prepare
    prep = prepare(store, NIIGATA, plan_name=NIIGATA_PLAN, today=TODAY)
    assert not prep.errors, prep.errors
    commit(store, [prep], "テスト")
    return store


@pytest.fixture
def demo_db(tmp_path_factory) -> Path:
    """A database file with the demo plans, built once per test session and copied per test."""
    return _demo_db(tmp_path_factory)


_BUILT: dict[str, Path] = {}


def _built_db(tmp_path_factory, name: str, build) -> Path:
    """A database filled once per test session by build(store); tests work on copies."""
    if name not in _BUILT:
        d = tmp_path_factory.mktemp(name)
        s = Store.open(d / f"{name}.duckdb")
        build(s)
        s.close()
        _BUILT[name] = d / f"{name}.duckdb"
    return _BUILT[name]


def _demo_db(tmp_path_factory) -> Path:
    from kpi.intake.demo import load_demo
    return _built_db(tmp_path_factory, "demo", load_demo)


@pytest.fixture
def demo_copy(tmp_path: Path, demo_db: Path) -> Path:
    target = tmp_path / "kpi.duckdb"
    shutil.copy(demo_db, target)
    return target


@pytest.fixture
def app_env(monkeypatch, demo_copy: Path):
    """Point the app at a private copy of the demo database and start with empty Streamlit caches."""
    yield from app_on(monkeypatch, demo_copy)


def app_on(monkeypatch, db: Path, copy_to: Path | None = None):
    """The app on db (first copied to copy_to, so a test writes its own file), with Streamlit's caches
    empty before and after: a fixture's body (`yield from app_on(...)`)."""
    import streamlit as st
    if copy_to is not None:
        shutil.copy(db, copy_to)
        db = copy_to
    monkeypatch.setenv("KPI_DB", str(db))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield db
    st.cache_resource.clear()
    st.cache_data.clear()


def _synthetic_db(tmp_path_factory) -> Path:
    """The large synthetic plan (kpi.intake.synthetic: 300 items × 3 indicators × 8 years), built once."""
    from kpi.intake.synthetic import build_synthetic
    return _built_db(tmp_path_factory, "synthetic", build_synthetic)


@pytest.fixture
def synthetic_db(tmp_path_factory) -> Path:
    return _synthetic_db(tmp_path_factory)


@pytest.fixture
def synthetic_env(monkeypatch, tmp_path: Path, synthetic_db: Path):
    """Like app_env, on a private copy of the large synthetic database."""
    yield from app_on(monkeypatch, synthetic_db, tmp_path / "kpi.duckdb")


def pytest_configure(config):
    ARTIFACTS.mkdir(exist_ok=True)
    os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")


@pytest.fixture(scope="session")
def pg(tmp_path_factory):
    """A real PostgreSQL server (Debian's package) in a temporary folder, for the shared store's tests."""
    from pgcluster import PgCluster
    cluster = PgCluster().init().start()
    yield cluster
    cluster.remove()


_PG_DATABASES: list[int] = []


@pytest.fixture
def shared_target(pg, tmp_path, monkeypatch) -> str:
    """A new empty DuckLake catalog on the test PostgreSQL server, with its own data folder."""
    _PG_DATABASES.append(len(_PG_DATABASES) + 1)
    target = pg.create_database(f"kpi_test_{len(_PG_DATABASES)}")
    monkeypatch.setenv("KPI_DATA_PATH", str(tmp_path / "lake_files"))
    return target
