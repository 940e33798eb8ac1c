"""Alembic environment: runs against the engine handed over by hub.db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, text

import alerts.orm  # noqa: F401  (registers the alarm tables)
import ingest.orm  # noqa: F401  (registers ingest's tables on the shared metadata)
import inventory.orm
import inventory.scans.orm  # noqa: F401  (scanners and the scan journal)
import kernel.orm

config = context.config
# pg_advisory_xact_lock's key for schema migrations: "swmigrat" as a signed 64-bit number.
MIGRATION_LOCK = int.from_bytes(b"swmigrat", "big") - 2**63
target_metadata = kernel.orm.Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or create_engine(
        config.get_main_option("sqlalchemy.url")
    )
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Hub processes started together on one database (several machines, a
                # restart of them all) take turns: the first migrates, the others then
                # find the schema at head. Held until this transaction ends.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                   {"key": MIGRATION_LOCK})
            context.run_migrations()
        connection.commit()


run_migrations_online()
