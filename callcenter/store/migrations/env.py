"""Alembic environment: runs the migrations on the engine the store hands over."""

from __future__ import annotations

from alembic import context

from callcenter.store.models import Base

target_metadata = Base.metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `vuurtoren db upgrade` (callcenter.store)")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run()
