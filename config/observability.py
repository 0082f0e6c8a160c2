"""What an operator sees of each request: a request id, one JSON log line per request, and the pages shown
when something fails (500 with the request id, a Chinese 503 when the database is unreachable).

The formatter and the filter are plain logging classes (no Django import at module level) so that
gunicorn's own log configuration (deploy/gunicorn.conf.py) can use them too.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import errno
import json
import logging
import re
import sys
import time
import uuid

REQUEST_ID_HEADER = "X-Request-ID"
# An id handed in by the proxy (nginx's $request_id) is kept when it looks like one; anything else is replaced,
# so a client cannot write arbitrary text into the logs.
_WELL_FORMED = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

DB_UNAVAILABLE = "数据库暂时无法访问，请稍后再试。"
DISK_FULL = "服务器存储空间已满，文件未能保存，本次操作没有生效。请稍后再试或联系管理员。"

# The standard LogRecord attributes: everything else on a record came in through `extra=` and is logged.
_RECORD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

request_log = logging.getLogger("dutychain.request")


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record logged while it is handled (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _current_request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, the `extra=` fields, an exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def current_request_id() -> str | None:
    return _current_request_id.get()


def _username(request) -> str | None:
    """The signed-in user's name without loading it: a user nobody asked for stays unloaded (the database
    may be the reason the request failed)."""
    from django.utils.functional import SimpleLazyObject, empty

    user = getattr(request, "user", None)
    if isinstance(user, SimpleLazyObject):
        user = None if user._wrapped is empty else user._wrapped
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.get_username()


class RequestLogMiddleware:
    """First in the chain: gives the request its id (X-Request-ID on the way in and out) and logs one JSON
    line when it is answered — method, path, status, duration, user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = given if _WELL_FORMED.match(given) else uuid.uuid4().hex
        request.request_id = request_id
        token = _current_request_id.set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            request_log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                    "user": _username(request),
                    "db": getattr(request, "db_alias_used", None),
                },
            )
            return response
        finally:
            _current_request_id.reset(token)


def _database_unreachable(exc: BaseException | None) -> bool:
    from django.db import InterfaceError, OperationalError

    return isinstance(exc, (OperationalError, InterfaceError))


def _disk_full(exc: BaseException | None) -> bool:
    """The evidence disk is full (or its quota reached): the upload's transaction is rolled back."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def _render(template: str, context: dict) -> str:
    """The error page; should even the page fail (a static file missing from the manifest), plain text."""
    from django.template import loader

    try:
        return loader.get_template(template).render(context)
    except Exception:
        logging.getLogger("dutychain.request").exception("the %s page could not be rendered", template)
        message = context.get("message") or "服务器出错了，请稍后重试。"
        return f"<!doctype html><meta charset=utf-8><p>{message}</p><p>请求编号：{context['request_id']}</p>"


def _page_context(request) -> dict:
    """No request context (its processors would read the database): the id and an anonymous user only."""
    from django.contrib.auth.models import AnonymousUser

    return {
        "request_id": getattr(request, "request_id", None) or current_request_id(),
        "user": AnonymousUser(),
    }


def unavailable_response(request, message: str = DB_UNAVAILABLE):
    """The 503 answer: JSON for the API, the Chinese page otherwise; rendered without the database."""
    from django.http import HttpResponse, JsonResponse

    request_id = getattr(request, "request_id", None) or current_request_id()
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"detail": message, "request_id": request_id},
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        body = _render("503.html", {**_page_context(request), "message": message})
        response = HttpResponse(body, status=503)
    response["Retry-After"] = "30"
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """A view that fails because the database cannot be reached answers 503 (the page says so, and to retry)
    instead of a 500 with a traceback in the log as if it were a bug."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if _disk_full(exception):
            logging.getLogger("dutychain.storage").error("evidence disk full: %s", exception)
            return unavailable_response(request, DISK_FULL)
        if not _database_unreachable(exception):
            return None
        logging.getLogger("dutychain.db").error(
            "database unreachable: %s", str(exception).splitlines()[0] if str(exception) else type(exception)
        )
        return unavailable_response(request)


def server_error(request):
    """handler500: the error page with the request id (to quote to the operator); an unreachable database
    raised outside a view (a middleware reading the session) still gets the 503 page."""
    from django.http import HttpResponseServerError

    if _database_unreachable(sys.exc_info()[1]):
        return unavailable_response(request)
    body = _render("500.html", _page_context(request))
    return HttpResponseServerError(body)
