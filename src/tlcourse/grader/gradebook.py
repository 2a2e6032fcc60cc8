"""Writing to a gradebook that other grading runs write to at the same time (PostgreSQL).

Several graders may point ``TLCOURSE_DB_URL`` at one PostgreSQL database and grade at
once. nbgrader's Gradebook API is not safe for that on its own: ``update_or_create_student``
and ``update_or_create_submission`` look a row up and insert it when it is missing, and each
call commits by itself. Two processes that create the same student or submission at the
same moment both find nothing, and one insert fails on the unique constraint (nbgrader turns
the ``IntegrityError`` into ``InvalidEntry``). Two processes opening an empty database both
create the tables, and two runs preparing the same assignment both insert its cells.

What this module does, and why:

* **One PostgreSQL advisory lock per gradebook database**, taken around each unit of
  writing: opening the gradebook (tables, course row), preparing the course (assignment,
  notebooks, cells: nbgrader's ``generate_assignment``) and merging one submission. A unit
  is then atomic with respect to every other tlcourse run, whatever nbgrader commits inside
  it. It is a *session* lock held on a connection of its own, because nbgrader's own
  commits would release a transaction-level lock half-way through a submission. Runs
  interleave submission by submission; a submission merges in milliseconds, so waits are
  short, and with a single lock there is no deadlock.
  Retrying alone was not chosen as the main mechanism: a submission's merge is several
  nbgrader transactions, so a retry could only repair a collision after it happened,
  while the lock prevents it and needs no reasoning about which partial state each
  nbgrader call leaves behind.
* **A retry as a backstop**, for writers that do not take the lock (nbgrader's own
  commands, formgrader, an old tlcourse): a unit that fails with ``InvalidEntry`` or a
  database error (unique violation, serialization failure, deadlock, SQLite's "database is
  locked") is rolled back and run again; merging a submission is idempotent
  (``update_or_create_*`` finds what the other writer created).

SQLite (the default, one grader) takes no lock: the file's own locking serialises writers
and the retry covers a busy database.
"""

from __future__ import annotations

import random
import time
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

T = TypeVar("T")

#: First key of every advisory lock tlcourse takes ("tlcs"); the second is per purpose.
LOCK_NAMESPACE = 0x746C6373
RETRIES = 5


def is_postgresql(db_url: str) -> bool:
    from sqlalchemy.engine import make_url

    return make_url(db_url).get_backend_name() == "postgresql"


def _signed32(text: str) -> int:
    value = zlib.crc32(text.encode())
    return value - 2**32 if value >= 2**31 else value


class WriterLock:
    """The gradebook-wide writer lock (PostgreSQL advisory lock; nothing for other databases).

    >>> with WriterLock(db_url) as lock:              # doctest: +SKIP
    ...     with lock.held():
    ...         ...                                   # no other tlcourse writer runs here
    """

    def __init__(self, db_url: str, purpose: str = "gradebook") -> None:
        self.db_url = db_url
        self.key = _signed32(purpose)
        self._engine: Any = None
        self._connection: Any = None
        if is_postgresql(db_url):
            from sqlalchemy import create_engine
            from sqlalchemy.pool import NullPool

            self._engine = create_engine(db_url, poolclass=NullPool)
            self._connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for the duration of the block (waits for other holders)."""
        if self._connection is None:
            yield
            return
        from sqlalchemy import text

        args = {"ns": LOCK_NAMESPACE, "key": self.key}
        self._connection.execute(text("SELECT pg_advisory_lock(:ns, :key)"), args)
        try:
            yield
        finally:
            self._connection.execute(text("SELECT pg_advisory_unlock(:ns, :key)"), args)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()  # a closed session releases its advisory locks anyway
            self._engine.dispose()
            self._connection = self._engine = None

    def __enter__(self) -> "WriterLock":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def exclusive(db_url: str) -> Iterator[None]:
    """Run a block alone among tlcourse writers of ``db_url`` (e.g. preparing the course)."""
    with WriterLock(db_url) as lock, lock.held():
        yield


def prepare_course(out: Path, assignments: list[str], db_url: str) -> Any:
    """Make ``out`` an nbgrader course folder whose ``nbgrader_config.py`` points at
    ``db_url``, with ``assignments`` generated into that gradebook (tables, assignment,
    notebooks, cells), alone among tlcourse writers. Returns the ``ScratchCourse``."""
    from tlcourse.grader.grading import ScratchCourse

    with exclusive(db_url):
        return ScratchCourse(out, assignments, extra_config=f"c.CourseDirectory.db_url = {db_url!r}\n")


def _is_retryable(error: BaseException) -> bool:
    from nbgrader.api import InvalidEntry
    from sqlalchemy.exc import DBAPIError

    return isinstance(error, (InvalidEntry, DBAPIError))


class SharedGradebook:
    """An nbgrader ``Gradebook`` whose writing units are locked and retried.

    >>> with SharedGradebook(db_url) as shared:       # doctest: +SKIP
    ...     shared.write(lambda gb: gb.update_or_create_student("ana"))
    """

    def __init__(self, db_url: str, retries: int = RETRIES) -> None:
        from nbgrader.api import Gradebook

        self.retries = retries
        self.lock = WriterLock(db_url)
        try:
            # Opening creates the tables and the course row of an empty database.
            self.gradebook = self._attempt(lambda: Gradebook(db_url), rollback=None)
        except BaseException:
            self.lock.close()
            raise

    def write(self, unit: Callable[[Any], T]) -> T:
        """Run ``unit(gradebook)`` under the lock; roll back and rerun it on a collision."""
        return self._attempt(lambda: unit(self.gradebook), rollback=self.gradebook.db.rollback)

    def _attempt(self, action: Callable[[], T], rollback: Callable[[], None] | None) -> T:
        for attempt in range(1, self.retries + 1):
            try:
                with self.lock.held():
                    return action()
            except Exception as error:
                if rollback is not None:
                    rollback()
                if attempt == self.retries or not _is_retryable(error):
                    raise
                time.sleep(random.uniform(0.05, 0.2) * attempt)
        raise AssertionError("unreachable")

    def close(self) -> None:
        try:
            self.gradebook.close()
            self.gradebook.engine.dispose()
        finally:
            self.lock.close()

    def __enter__(self) -> "SharedGradebook":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
