"""Opening an archive: database URLs, SQLite pragmas, the schema check against Alembic's head.

Alembic is imported only to create or upgrade an archive, or to tell an older schema from a
newer one: opening an archive at the head revision reads one row, which keeps every command
(and every crawl) from paying for Alembic's import.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from archive import packing
from archive.clock import Clock, system_clock
from archive.errors import ArchiveError, SchemaError, SchemaTooOld, StorageError, storage_failure

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

DB_ENV = "NEWSARCHIVE_DB"
MIGRATIONS = Path(__file__).with_name("migrations")
# The newest migration's revision: the schema this code reads and writes (test_migrations checks
# that it is Alembic's head; a new migration changes it).
HEAD_REVISION = "0016"


def default_db_path() -> Path:
    """The embedded archive's file: $XDG_DATA_HOME/newsarchive/newsarchive.db."""
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "newsarchive" / "newsarchive.db"


def resolve_db_url(value: str | None = None) -> str:
    """A SQLAlchemy URL from an option, $NEWSARCHIVE_DB or the default file; paths are accepted."""
    value = value or os.environ.get(DB_ENV) or str(default_db_path())
    if "://" in value:
        try:
            make_url(value)
        except ArgumentError as exc:
            raise ArchiveError(f"{value!r} is not a valid database URL: {exc}.") from None
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def alembic_config(engine: Engine | None = None) -> Config:
    """Alembic's configuration, built in code so an installed package needs no alembic.ini."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        # Alembic's config is an INI file: a % (a URL-quoted socket path) must be doubled.
        url = engine.url.render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The head revision as Alembic reads it from the migration scripts."""
    head = _scripts().get_current_head()
    assert head is not None
    return head


@dataclass
class Archive:
    """An open archive: the engine, a session factory and the clock that stamps writes."""

    engine: Engine
    clock: Clock = system_clock
    sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        packing.attach(self.engine)  # packed text finds its dictionaries through this engine

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self.sessions() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()


def open_archive(
    url: str | None = None,
    *,
    create: bool = True,
    clock: Clock = system_clock,
    read_only: bool = False,
) -> Archive:
    """Open the archive at `url`, creating it at the head schema if it is new and `create` is set.

    `read_only` opens an existing archive for reading only, and writes nothing to it, not even
    SQLite's journal: an evidence copy on a read-only file, folder or medium can be read.
    Raises SchemaError when the schema is older or newer than this code.
    """
    if create and read_only:
        raise ValueError("an archive opened read-only cannot be created")
    db_url = resolve_db_url(url)
    engine = _engine(db_url, create=create, read_only=read_only)
    if create:
        _create_sqlite_file(engine)
    try:
        _check_schema(engine, create=create)
    except BaseException:
        engine.dispose()
        raise
    return Archive(engine, clock)


def upgrade_archive(url: str | None = None) -> tuple[str | None, str]:
    """Upgrade the archive at `url` to the head schema; returns (old revision, new revision)."""
    engine = _engine(resolve_db_url(url), create=False)
    try:
        old = _current_revision(engine)
        _refuse_foreign(engine, old)
        _upgrade(engine)
        return old, HEAD_REVISION
    finally:
        engine.dispose()


def _engine(db_url: str, *, create: bool, read_only: bool = False) -> Engine:
    url = make_url(db_url)
    if url.get_backend_name() != "sqlite":
        return _server_engine(db_url, read_only)
    path = Path(url.database or "")
    if url.database in (None, "", ":memory:"):
        read_only = False  # nothing on disk to protect
    else:
        _check_sqlite_path(path, create=create, writable=not read_only)
    if read_only:
        engine = create_engine(db_url, creator=lambda: _connect_read_only(path))
        event.listen(engine, "connect", _sqlite_read_pragmas)
        return engine
    engine = create_engine(db_url, connect_args={"timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _server_engine(db_url: str, read_only: bool) -> Engine:
    url = make_url(db_url)
    backend = url.get_backend_name()
    if url.drivername == "postgresql":
        # The driver the postgresql extra installs (psycopg 3), whatever SQLAlchemy's default.
        url = url.set(drivername="postgresql+psycopg")
    options = {"postgresql_readonly": True} if read_only and backend == "postgresql" else {}
    try:
        return create_engine(url, execution_options=options)
    except ImportError as exc:
        extra = f" (pip install 'newsarchive[{backend}]')" if backend == "postgresql" else ""
        raise ArchiveError(
            f"The database driver for {backend} is not installed{extra}: {exc}."
        ) from None


def _check_sqlite_path(path: Path, *, create: bool, writable: bool = True) -> None:
    if path.is_dir():
        raise ArchiveError(f"{path} is a directory, not a database file.")
    if not path.exists():
        if not create:
            raise ArchiveError(f"There is no archive at {path}.")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ArchiveError(f"Cannot create the folder {path.parent}: {exc.strerror}.") from None
    if not writable:
        return
    if not os.access(path if path.exists() else path.parent, os.W_OK):
        raise ArchiveError(f"The archive {path} is not writable.")
    if not os.access(path.parent, os.W_OK):
        raise ArchiveError(
            f"The archive {path} cannot be written: its folder {path.parent} is read-only "
            "(SQLite keeps its journal beside the file)."
        )


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that cannot write. A file nobody can write (read-only, immutable, on a
    read-only medium) without a write-ahead log beside it is read as immutable: nothing is
    created beside it. Any other is read in `mode=ro`, which shares the WAL index with a crawl
    that may be writing; where SQLite cannot create that index (a read-only folder), as
    immutable again, unless a log holds changes not yet in the file (immutable would miss them)."""
    wal = path.with_name(path.name + "-wal")
    if not os.access(path, os.W_OK) and not wal.exists():
        return _sqlite_uri(path, "immutable=1")
    connection = _sqlite_uri(path, "mode=ro")
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return connection
    except sqlite3.OperationalError:
        connection.close()
    if wal.exists() and wal.stat().st_size > 0:
        raise sqlite3.OperationalError(
            f"its write-ahead log {wal} holds changes and its folder is read-only: read a copy "
            "of both files from writable storage"
        )
    return _sqlite_uri(path, "immutable=1")


def _sqlite_uri(path: Path, parameters: str) -> sqlite3.Connection:
    uri = f"{path.resolve().as_uri()}?{parameters}"
    return sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)


def _create_sqlite_file(engine: Engine) -> None:
    """A new SQLite archive is built beside its path and moved into place whole, so a crawl
    killed while creating it leaves no half-made schema behind (SQLite's DDL under Alembic is
    not one transaction). An existing file is left to the schema check."""
    path = _sqlite_file(engine)
    if path is None or (path.exists() and path.stat().st_size > 0):
        return
    building = path.with_name(f".{path.name}.creating-{os.getpid()}")
    builder = create_engine(f"sqlite:///{building}")
    event.listen(builder, "connect", _sqlite_pragmas)
    try:
        _upgrade(builder)
    finally:
        builder.dispose()  # the last connection checkpoints and removes the WAL
    try:
        if path.exists():  # an empty file: nothing in it to keep
            os.replace(building, path)
        else:
            os.link(building, path)  # fails if another process created it meanwhile: keep that
    except FileExistsError:
        pass
    finally:
        building.unlink(missing_ok=True)


def _sqlite_file(engine: Engine) -> Path | None:
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database or "")


def _sqlite_read_pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # WAL lets readers (history, export) run beside a crawl; NORMAL is durable at checkpoints
    # and safe against corruption in WAL mode.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _check_schema(engine: Engine, *, create: bool) -> None:
    current = _current_revision(engine)
    _refuse_foreign(engine, current)
    head = HEAD_REVISION
    if current == head:
        return
    if current is None and create:
        _upgrade(engine)
        return
    if current is None:
        raise SchemaError(f"{_where(engine)} holds no archive.")
    if not _known_revision(current):
        raise SchemaError(
            f"{_where(engine)} was written by a newer newsarchive (schema {current}); "
            "upgrade newsarchive to read it."
        )
    raise SchemaTooOld(
        f"{_where(engine)} has schema {current}, older than this newsarchive's {head}; "
        "back it up, then upgrade it",
        _where(engine),
    )


@lru_cache(maxsize=1)
def _scripts() -> ScriptDirectory:
    """The migration scripts, read once per process."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def _known_revision(revision: str) -> bool:
    from alembic.util.exc import CommandError

    try:
        return _scripts().get_revision(revision) is not None
    except CommandError:
        return False


def _current_revision(engine: Engine) -> str | None:
    """The revision Alembic recorded in the database (None in a database without one)."""
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            found = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
            revisions = sorted(str(revision) for revision in found)
    except (DatabaseError, OperationalError) as exc:
        why = storage_failure(str(exc))
        if why is not None and why != "read-only":  # read-only is said as "not writable"
            raise StorageError(
                f"{_where(engine)} cannot be opened ({why}): {_reason(exc)}."
            ) from None
        raise SchemaError(
            f"{_where(engine)} is not a database newsarchive can open: {_reason(exc)}."
        ) from None
    # Several heads is no schema this code wrote: told apart as an unknown revision.
    return ",".join(revisions) or None


def _refuse_foreign(engine: Engine, revision: str | None) -> None:
    """A database with tables but no revision belongs to something else: never write into it."""
    if revision is None and inspect(engine).get_table_names():
        raise SchemaError(f"{_where(engine)} is a database, but not a newsarchive archive.")


def _upgrade(engine: Engine) -> None:
    from alembic import command

    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _where(engine: Engine) -> str:
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database:
        return str(url.database)
    return url.render_as_string(hide_password=True)


def _reason(exc: Exception) -> str:
    """The driver's own words, on one line (libpq's messages span several)."""
    orig = getattr(exc, "orig", None)
    return " ".join(str(orig or exc).split()).rstrip(".")
