"""Persistence: customers, conversations, messages, feedback.

One implementation, :class:`SqlStore`, serves SQLite (default) and PostgreSQL
through SQLAlchemy; the schema is migrated by Alembic when the store opens.
"""

from bot.store.records import Conversation, Customer, Message
from bot.store.sql import SqlStore, open_store

Store = SqlStore

__all__ = ["Conversation", "Customer", "Message", "SqlStore", "Store", "open_store"]
