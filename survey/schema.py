"""Is the database schema at the migrations' head? Checked before serving."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class SchemaStatus:
    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def schema_status(connection: Connection) -> SchemaStatus:
    """Read the stamped revision; raises SQLAlchemy's OperationalError when unreachable."""
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    current = MigrationContext.configure(connection).get_current_revision()
    return SchemaStatus(current=current, head=script.get_current_head())
