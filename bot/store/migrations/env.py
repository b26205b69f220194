"""Alembic environment: runs on the connection frontdesk hands over."""

from alembic import context

from bot.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only via `alembic` on the command line
    raise SystemExit("run migrations through frontdesk (they upgrade at start-up)")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
