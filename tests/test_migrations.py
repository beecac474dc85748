"""The schema: Alembic creates it at head, it matches the models, and wrong databases are refused."""

from __future__ import annotations

import dataclasses
import sqlite3
from contextlib import closing
from datetime import timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from archive.database import (
    HEAD_REVISION,
    alembic_config,
    head_revision,
    open_archive,
    upgrade_archive,
)
from archive.errors import SchemaError, SchemaTooOld
from archive.models import Base, Version, include_name
from archive.records import RECORD_FIELDS, Outcome
from archive.store import Store
from crawler.run.exits import archive_refusal
from tests.test_store import RECORD, T0, URL, observe


def test_new_file_is_created_at_head(tmp_path):
    path = tmp_path / "new.db"
    open_archive(str(path)).close()
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head_revision()
    assert {"site", "crawl_run", "page", "capture", "blob", "version", "version_change"} <= set(
        inspect(engine).get_table_names()
    )


def test_models_and_database_agree(tmp_path):
    open_archive(str(tmp_path / "a.db")).close()
    engine = create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": include_name})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    archive = open_archive(str(tmp_path / "a.db"))
    with archive.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    archive.close()


@pytest.mark.skipif(head_revision() == "0001", reason="needs a schema older than head")
def test_older_schema_is_refused_with_the_command_to_run(tmp_path):
    path = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{path}")
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    with pytest.raises(SchemaTooOld) as refused:
        open_archive(str(path))
    assert refused.value.location == str(path)
    sentence = archive_refusal(refused.value).sentence
    assert sentence.endswith(f"back it up, then upgrade it: newsarchive db upgrade --db {path}")
    upgrade_archive(str(path))
    open_archive(str(path)).close()


def test_database_from_a_newer_newsarchive_is_refused(tmp_path):
    path = tmp_path / "future.db"
    open_archive(str(path)).close()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'ffff_from_the_future'")
    with pytest.raises(SchemaError, match="newer newsarchive"):
        open_archive(str(path))


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database\n" * 20)
    before = path.read_bytes()
    with pytest.raises(SchemaError, match="not a database"):
        open_archive(str(path))
    assert path.read_bytes() == before


def test_another_programs_sqlite_database_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE things (id INTEGER)")
    with pytest.raises(SchemaError, match="not a newsarchive archive"):
        open_archive(str(path))
    with sqlite3.connect(path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert tables == {"things"}


def test_upgrade_of_an_empty_file_reaches_head(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    old, new = upgrade_archive(str(path))
    assert (old, new) == (None, head_revision())
    open_archive(str(path), create=False).close()


def test_the_version_table_stores_every_field_of_the_record():
    """The record's fields are defined once (ArticleRecord); the table must keep each of them."""
    columns = set(Version.__table__.columns.keys())
    assert set(RECORD_FIELDS) <= columns


def test_the_revision_archives_are_opened_at_is_alembics_head():
    assert head_revision() == HEAD_REVISION


def test_revision_0005_fills_in_what_the_write_path_computes(tmp_path):
    """An archive taken back to 0004 and upgraded again gets the record digests, per-field
    counts and page publication times the write path gives new versions; and the views."""
    path = tmp_path / "a.db"
    archive = open_archive(str(path))
    store = Store(archive)
    store.record(observe())
    edited = dataclasses.replace(
        RECORD, title="我区召开全区工作大会", body=RECORD.body + "\n新的一段。"
    )
    store.record(observe(edited, at=T0 + timedelta(days=1), payload=b"v2"))
    archive.close()
    written = computed(path)
    engine = create_engine(f"sqlite:///{path}")
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    engine.dispose()
    assert upgrade_archive(str(path)) == ("0004", HEAD_REVISION)
    assert computed(path) == written
    with closing(sqlite3.connect(path)) as connection:
        latest = connection.execute("SELECT url, version, title FROM latest_version").fetchall()
        log = connection.execute("SELECT kind, version FROM change_log ORDER BY at").fetchall()
    assert latest == [(URL, 2, "我区召开全区工作大会")]
    assert log == [("new", 1), ("changed", 2)]


def test_revision_0007_adds_its_columns_in_place_to_an_archive_with_history(tmp_path):
    """Captures are what lifecycle events and mirror copies point at: the capture table of a
    crawled archive is never copied and dropped (with foreign keys on, that fails), its rows are
    the same after a downgrade to 0006 and an upgrade back (but for the two columns 0007 adds,
    which a downgrade drops)."""
    path = tmp_path / "a.db"
    archive = open_archive(str(path))
    store = Store(archive)
    store.record(observe())
    for day in (1, 3):  # missing, then gone: events pointing at their captures
        gone = observe(at=T0 + timedelta(days=day), verdict=Outcome.NOT_FOUND, status=404)
        store.record(gone)
    archive.close()
    before = rows_of(path)
    assert [row[2] for row in before[1]] == ["unreachable", "gone"]
    engine = create_engine(f"sqlite:///{path}")
    config = alembic_config(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
    engine.dispose()
    assert upgrade_archive(str(path)) == ("0006", HEAD_REVISION)
    assert rows_of(path) == before


def rows_of(path):
    with closing(sqlite3.connect(path)) as connection:
        captures = [
            row[:-2] for row in connection.execute("SELECT * FROM capture ORDER BY 1").fetchall()
        ]
        return [captures] + [
            connection.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in ("page_event", "version", "page")
        ]


def computed(path):
    with closing(sqlite3.connect(path)) as connection:
        return (
            connection.execute(
                "SELECT id, record_sha256, chars_added, chars_removed FROM version ORDER BY id"
            ).fetchall(),
            connection.execute(
                "SELECT version_id, field, chars_added, chars_removed FROM version_change "
                "ORDER BY id"
            ).fetchall(),
            connection.execute("SELECT id, published_at FROM page ORDER BY id").fetchall(),
        )
