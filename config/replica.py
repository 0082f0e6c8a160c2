"""Reads from a PostgreSQL streaming replica when DATABASE_REPLICA_URL is set (issue 27).

Only the reads of a read-only request (GET/HEAD: the pages, the API, the trace, coverage) go to the replica,
and only while nothing says they must see the primary:
- inside a transaction (`atomic`) every read goes to the primary (a read that decides a write is exact);
- after a write in the same request, the rest of it reads the primary;
- after any POST/PUT/PATCH/DELETE, the client carries a marker cookie for DATABASE_REPLICA_STICKY_SECONDS
  and all its requests read the primary meanwhile (read-your-writes across the redirect after a form);
- outside a request (Celery tasks — the reminder sweep's claims —, management commands) there is no
  request state, so everything goes to the primary.
Writes always go to the primary; migrations run only there.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
MARKER_COOKIE = "dutychain_primary"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass
class _RequestReads:
    may_use_replica: bool
    wrote: bool = False
    used: set[str] = field(default_factory=set)


_state: contextvars.ContextVar[_RequestReads | None] = contextvars.ContextVar("replica_reads", default=None)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        state = _state.get()
        if state is None:
            return DEFAULT_DB_ALIAS
        primary = not state.may_use_replica or state.wrote or connections[DEFAULT_DB_ALIAS].in_atomic_block
        alias = DEFAULT_DB_ALIAS if primary else REPLICA
        state.used.add(alias)
        return alias

    def db_for_write(self, model, **hints):
        state = _state.get()
        if state is not None:
            state.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, two copies of it

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


class ReplicaReadsMiddleware:
    """Decides, per request, whether its reads may go to the replica; names the databases read in the
    X-DB-Read response header (and the request log) so an operator can see where a page came from."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        safe = request.method in SAFE_METHODS
        state = _RequestReads(may_use_replica=safe and MARKER_COOKIE not in request.COOKIES)
        token = _state.set(state)
        try:
            response = self.get_response(request)
        finally:
            _state.reset(token)
        names = ",".join("primary" if alias == DEFAULT_DB_ALIAS else alias for alias in sorted(state.used))
        request.db_alias_used = names or None
        if names:
            response["X-DB-Read"] = names
        if not safe:
            response.set_cookie(
                MARKER_COOKIE,
                "1",
                max_age=settings.DATABASE_REPLICA_STICKY_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response
