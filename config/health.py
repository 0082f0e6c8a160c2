"""/healthz and /readyz for a load balancer or an orchestrator: no login, no data — only which check failed.

- /healthz: the process answers (nothing else is asked, so a slow database never restarts the web server);
- /readyz: the database answers a query, every migration is applied, and Redis answers when REDIS_URL is set.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

log = logging.getLogger("dutychain.health")
_migrated = False  # once every migration is applied it stays so for this process (a deploy restarts it)


@never_cache
@require_safe
def healthz(request):
    return JsonResponse({"status": "ok"})


def _database_ok() -> bool:
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone()[0] == 1


def _migrations_applied() -> bool:
    global _migrated
    if not _migrated:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        _migrated = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _migrated


def _redis_ok() -> bool:
    if not settings.REDIS_URL:
        return True
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        return bool(client.ping())
    finally:
        client.close()


CHECKS = {"database": _database_ok, "migrations": _migrations_applied, "redis": _redis_ok}


@never_cache
@require_safe
def readyz(request):
    failed = []
    for name, check in CHECKS.items():
        if name == "migrations" and "database" in failed:
            failed.append(name)  # not asked: without the database it cannot be known
            continue
        try:
            ok = check()
        except Exception as exc:  # any failure of a dependency means "not ready", never a 500
            log.warning("readyz: %s failed: %s", name, exc.__class__.__name__)
            ok = False
        if not ok:
            failed.append(name)
    if failed:
        return JsonResponse({"status": "unavailable", "failed": failed}, status=503)
    return JsonResponse({"status": "ready"})
