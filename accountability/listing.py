"""The search box and filters every list page shares."""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q


def query_without_page(request) -> str:
    """The list's filters as a query string, without the page (for the pager and the ledger links)."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def text_search(qs, request, *fields: str):
    """The search box: rows where any of `fields` contains the text (codes, titles, names)."""
    text = request.GET.get("q", "").strip()[:100]
    if not text:
        return qs
    return qs.filter(reduce(or_, (Q(**{f"{f}__icontains": text}) for f in fields)))
