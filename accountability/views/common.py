"""Page plumbing shared by the page modules: the scoped querysets and the content types.

Who may do what is the access policy's (responsibility/access.py: `page`, `may`, `require`); scope comes
from `request_visibility` (the same as the API): every list and every lookup is filtered, an object
outside scope is a 404.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from responsibility.validators import text_problem

from ..selectors import (  # noqa: F401 (the pages' scope)
    visible_accidents,
    visible_alerts,
    visible_cases,
    visible_findings,
    visible_hazards,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def posted_text_problems(request) -> list[str]:
    """Fields of a hand-read POST holding text no database stores (a NUL, a lone surrogate), named."""
    return [
        f"{name}：{problem}"
        for name, values in request.POST.lists()
        for value in values
        if (problem := text_problem(value))
    ]


def _today() -> dt.date:
    return timezone.localdate()
