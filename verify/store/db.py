"""Opening the archive: connections, migrations (verify/store/migrations/*.sql, shipped inside
the wheel), transactions, the side-file locks writers queue on, and WAL checkpoints."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from verify.clock import now
from verify.errors import ConflictError, InputError
from verify.text import matchkeys

try:
    import fcntl
except ImportError:  # Windows: the side-file locks below are no-ops there
    fcntl = None  # type: ignore[assignment]

DEFAULT_DB = "verify.db"
BUSY_TIMEOUT_MS = 30_000


def default_db_path() -> str:
    """`VERIFY_DB` if set, else verify.db in the current directory."""
    return os.environ.get("VERIFY_DB") or DEFAULT_DB


def _migration_files() -> list[tuple[int, str, str]]:
    """(number, name, sql) for every migrations/NNNN_*.sql, in order."""
    root = resources.files("verify.store") / "migrations"
    entries = [
        (p.name, p.read_text(encoding="utf-8")) for p in root.iterdir() if p.name.endswith(".sql")
    ]
    out = []
    for name, sql in entries:
        number = int(name.split("_", 1)[0])
        out.append((number, name, sql))
    return sorted(out)


def connect(path: str | os.PathLike | None = None) -> sqlite3.Connection:
    """A raw connection in WAL mode with a busy timeout, autocommit outside explicit transactions,
    with the SQL functions the schema's triggers call."""
    path = str(path or default_db_path())
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    # the schema's triggers derive the decided claims' match keys (migration 0010)
    conn.create_function("verify_match_keys", 1, matchkeys.match_keys, deterministic=True)
    return conn


def open_db(path: str | os.PathLike | None = None, *, migrate: bool = True) -> Database:
    """Open (creating if needed) the archive and bring its schema up to date."""
    path = str(path or default_db_path())
    if path != ":memory:":
        parent = Path(path).resolve().parent
        if not parent.is_dir():
            raise InputError(f"cannot create database {path}: folder {parent} does not exist")
    try:
        conn = connect(path)
        db = Database(conn, execute_plugins=False)
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{path} is not a verify database ({exc})") from exc
    if migrate:
        apply_migrations(db)
    return db


def apply_migrations(db: Database) -> list[str]:
    """Apply every migration not yet applied, each in its own transaction. Returns their names."""
    conn = db.conn
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in conn.execute("SELECT number FROM _migrations")}
    applied = []
    for number, name, sql in _migration_files():
        if number in done:
            continue
        with immediate(db):
            # re-check inside the write lock: another process may have just applied it
            if conn.execute("SELECT 1 FROM _migrations WHERE number = ?", [number]).fetchone():
                continue
            for statement in _split_sql(sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO _migrations (number, name, applied_at) VALUES (?, ?, ?)",
                [number, name, now()],
            )
        applied.append(name)
    return applied


def _split_sql(sql: str) -> list[str]:
    """Split a migration into complete statements (triggers contain inner semicolons)."""
    statements: list[str] = []
    buf: list[str] = []
    for line in sql.splitlines():
        stripped = line.strip()
        if not buf and (not stripped or stripped.startswith("--")):
            continue
        buf.append(line)
        candidate = "\n".join(buf)
        if stripped.endswith(";") and sqlite3.complete_statement(candidate):
            statements.append(candidate)
            buf = []
    if "".join(buf).strip():
        statements.append("\n".join(buf))
    return statements


@contextlib.contextmanager
def immediate(db: Database) -> Iterator[Database]:
    """A write transaction that takes the write lock at once (BEGIN IMMEDIATE), so two writers
    queue on the busy timeout instead of failing with 'database is locked' on upgrade.
    Nested use becomes a savepoint through db.atomic()."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        db.conn.execute("COMMIT")


def side_file(db: Database, suffix: str) -> str | None:
    """The path `<database file>-<suffix>` beside the archive (None for an in-memory one)."""
    for _, name, file in db.conn.execute("PRAGMA database_list"):
        if name == "main":
            return f"{file}-{suffix}" if file else None
    return None


@contextlib.contextmanager
def side_lock(db: Database, suffix: str, *, busy: str | None = None) -> Iterator[None]:
    """Hold an exclusive flock on the side file `suffix` for the block: wait for it, or with
    `busy` (a message) raise ConflictError(busy) at once when another process holds it. The
    kernel releases it when the holder dies. A no-op where flock or the file is unavailable
    (Windows, in-memory archives, read-only folders): SQLite's own locking still applies."""
    path = side_file(db, suffix)
    if fcntl is None or not path:
        yield
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (fcntl.LOCK_NB if busy else 0))
        except BlockingIOError:
            raise ConflictError(busy) from None
        yield
    finally:
        os.close(fd)  # releases the flock


def rows(db: Database, sql: str, params: Any = ()) -> list[dict[str, Any]]:
    """Run a query and return a list of dicts."""
    cur = db.conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def row(db: Database, sql: str, params: Any = ()) -> dict[str, Any] | None:
    found = rows(db, sql, params)
    return found[0] if found else None


WRITER_LOCK = "writer.lock"  # the side file the review workflow's writers queue on


@contextlib.contextmanager
def _writer_turn(db: Database) -> Iterator[None]:
    """Wait in the kernel (flock on a side file) for our turn to write. SQLite's own busy
    handler polls with sleeps of 1, 2, 5, ... 100 ms, and with many reviewers asking at once
    a waiter often sleeps through the moment the lock is free, so the slowest of 8 waits tens
    of milliseconds for transactions that take well under one. A blocked flock wakes as soon
    as the holder is done, and the holder yields the CPU after its turn so the waiter runs.
    Where flock is unavailable this is a no-op and SQLite's busy timeout does the waiting."""
    try:
        with side_lock(db, WRITER_LOCK):
            yield
    finally:
        # give a woken waiter the CPU before this process can ask again: without it a process
        # that writes in a loop takes the lock back before the waiter runs (unfair on few cores)
        if hasattr(os, "sched_yield"):
            os.sched_yield()


CHECKPOINT_EVERY = 100  # review writes per process between explicit WAL checkpoints
_writes_since_checkpoint: dict[str, int] = {}


@contextlib.contextmanager
def write(db: Database) -> Iterator[Database]:
    """One write transaction (BEGIN IMMEDIATE), taken in turn with the other writers of the
    review workflow (see _writer_turn). SQLite's automatic WAL checkpoint would run inside
    COMMIT, while the other reviewers wait for their turn; it is switched off for the
    transaction and run (PASSIVE) after the turn is given up, every CHECKPOINT_EVERY review
    writes of this process, so one reviewer pays for it instead of everyone queued behind."""
    conn = db.conn
    if conn.in_transaction:
        with immediate(db):
            yield db
        return
    lock = side_file(db, WRITER_LOCK)
    previous = conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    try:
        with _writer_turn(db), immediate(db):
            yield db
    finally:
        conn.execute(f"PRAGMA wal_autocheckpoint = {int(previous)}")
    if lock and previous > 0:
        count = _writes_since_checkpoint.get(lock, 0) + 1
        if count >= CHECKPOINT_EVERY:
            count = 0
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        _writes_since_checkpoint[lock] = count


def parse_id(value: Any, what: str, listing: str) -> int:
    """An id from user input (int or digits); InputError naming the listing command otherwise."""
    if isinstance(value, bool):
        value = None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InputError(f"not a {what} id: {value!r} (give a number, see `{listing}`)") from None


def tune_for_reads(db: Database, mmap_bytes: int, cache_kib: int = 16_000) -> None:
    """Let reads go through the OS page cache (memory-mapped I/O) with a larger page cache:
    for the web server, whose worker threads each hold a connection."""
    db.conn.execute(f"PRAGMA mmap_size={int(mmap_bytes)}")
    db.conn.execute(f"PRAGMA cache_size=-{int(cache_kib)}")


def inserted_id(cursor: sqlite3.Cursor) -> int:
    """The id of the row an INSERT just added."""
    if cursor.lastrowid is None:  # pragma: no cover - an INSERT always sets it
        raise RuntimeError("no row was inserted")
    return cursor.lastrowid
