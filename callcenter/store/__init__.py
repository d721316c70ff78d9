"""The store: SQLAlchemy 2 (async) with Alembic migrations; SQLite by default, PostgreSQL."""

from callcenter.store.db import database_url, open_engine, upgrade
from callcenter.store.repository import CallStore, StoreWriter

__all__ = ["CallStore", "StoreWriter", "database_url", "open_engine", "upgrade"]
