"""Pages of the API's lists, read ids first (issue 16)."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework.pagination import PageNumberPagination


class IdsFirstPagination(PageNumberPagination):
    """Counts and pages a list's primary keys, then reads that page's rows by primary key.

    Joined to every table its serializer reads, a scoped list (a city's hazards: a UNION of the ways in)
    was planned as a scan of the whole table, because the planner cannot tell how few rows the scope
    keeps; the ids alone are sorted and cut along the scope's indexes, and fifty rows by primary key
    cost what fifty rows cost. A queryset that aggregates, annotates or combines is paged as it is."""

    def paginate_queryset(self, queryset, request, view=None):
        if not _pageable_by_ids(queryset):
            return super().paginate_queryset(queryset, request, view)
        ids = super().paginate_queryset(
            queryset.prefetch_related(None).values_list("pk", flat=True), request, view
        )
        if ids is None:
            return None
        ids = list(ids)
        by_pk = {row.pk: row for row in _same_reads(queryset).filter(pk__in=ids)}
        return [by_pk[pk] for pk in ids if pk in by_pk]  # a row deleted between the two reads is left out


def _pageable_by_ids(queryset) -> bool:
    query = getattr(queryset, "query", None)
    return (
        isinstance(queryset, QuerySet)
        and queryset._iterable_class.__name__ == "ModelIterable"
        and not (query.combinator or query.distinct or query.annotations or query.extra or query.group_by)
    )


def _same_reads(queryset: QuerySet) -> QuerySet:
    """The rows of `queryset`'s model with the same related rows, fields and prefetches, but none of its
    filters: the ids were taken through them already, and repeating a scope's UNION for fifty rows would
    cost as much as the page."""
    fresh = queryset.model._base_manager.all()
    fresh.query.select_related = queryset.query.select_related
    fresh.query.deferred_loading = queryset.query.deferred_loading
    return fresh.prefetch_related(*queryset._prefetch_related_lookups)
