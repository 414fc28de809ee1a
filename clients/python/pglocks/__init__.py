"""pglocks for Python: the key ids of the pglocks extension, and PostgreSQL
advisory locks held for a block or a function call (Django, psycopg or
psycopg2). ``pglocks.django_pglocks`` is a drop-in for django-pglocks.

Locks are PostgreSQL's own advisory locks, so a key locked here is the same
lock as ``pglocks.lock(key)`` in SQL, and as django-pglock's
``pglock.advisory(key)``. Spec: docs/key-hashing.md.
"""

from ._ids import crc32_key_id, key_id
from ._lock import LockNotAcquired, Raise, Return, Skip, advisory_lock

__all__ = ["key_id", "crc32_key_id", "advisory_lock", "LockNotAcquired", "Return", "Raise", "Skip"]
