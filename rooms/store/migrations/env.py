"""Alembic's entry point for the store's migrations, run by `rooms.store.migrate`.

The caller always hands over an open connection (`config.attributes["connection"]`), so one code
path serves SQLite and PostgreSQL, the CLI and the tests, and no URL is read from an ini file.
"""

from __future__ import annotations

from alembic import context

from rooms.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things in place; batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
