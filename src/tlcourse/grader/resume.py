"""What each grade was computed from, kept in the gradebook database: resuming a class.

Every merged grade writes one row of ``tlcourse_graded`` (a table of its own beside
nbgrader's, in the same database: SQLite or PostgreSQL): student, assignment, the
submission's content hash, the grading version (course fingerprint plus the settings that
change grades), whether the job succeeded, its incidents and seconds. A rerun of the same
command after the client was killed skips the submissions whose row matches, so nothing
already graded is graded again; a changed notebook, course or setting is graded anew.

The row is written in the same writing unit as the scores (under the gradebook's lock),
after them: a client killed between the two leaves a grade without its row, which is
graded again (never a row without its grade).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

TABLE = "tlcourse_graded"


@dataclass(frozen=True)
class Graded:
    """One row: how a submission was last graded."""

    student: str
    assignment: str
    content_hash: str
    version: str
    ok: bool
    seconds: float
    incidents: list[tuple[str, str, str]]
    graded_at: str


def _table(metadata: Any = None) -> Any:
    from sqlalchemy import Boolean, Column, Float, MetaData, String, Table, Text

    return Table(TABLE, metadata or MetaData(),
                 Column("student", String(128), primary_key=True),
                 Column("assignment", String(128), primary_key=True),
                 Column("content_hash", String(64), nullable=False),
                 Column("version", String(64), nullable=False),
                 Column("ok", Boolean, nullable=False),
                 Column("seconds", Float, nullable=False),
                 Column("incidents", Text, nullable=False),
                 Column("graded_at", String(40), nullable=False))


def load(db_url: str) -> dict[tuple[str, str], Graded]:
    """Every row of the table at ``db_url`` (empty if the table or database does not exist)."""
    from sqlalchemy import create_engine, inspect, select
    from sqlalchemy.pool import NullPool

    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table(TABLE):
                return {}
            rows = connection.execute(select(_table())).mappings().all()
    finally:
        engine.dispose()
    found = {}
    for row in rows:
        incidents = [tuple(i) for i in json.loads(row["incidents"])]
        found[(row["student"], row["assignment"])] = Graded(**{**row, "incidents": incidents})
    return found


def save(session: Any, student: str, assignment: str, content_hash: str, version: str, ok: bool,
         seconds: float, incidents: list[tuple[str, str, str]]) -> None:
    """Replace the row of (student, assignment) through an nbgrader gradebook's session, and commit."""
    from sqlalchemy import delete, insert

    table = _table()
    table.create(bind=session.connection(), checkfirst=True)
    session.execute(delete(table).where(table.c.student == student, table.c.assignment == assignment))
    session.execute(insert(table).values(
        student=student, assignment=assignment, content_hash=content_hash, version=version, ok=ok,
        seconds=float(seconds), incidents=json.dumps([list(i) for i in incidents]),
        graded_at=datetime.now(timezone.utc).isoformat(timespec="seconds")))
    session.commit()
