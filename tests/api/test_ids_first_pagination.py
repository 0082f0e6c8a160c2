"""API lists page their ids through the scope, then read the page's rows by primary key (issue 16)."""

from __future__ import annotations

from django.db.models import Count
from rest_framework.request import Request

from responsibility.api import pagination
from responsibility.api.pagination import IdsFirstPagination
from responsibility.models import Duty


def paged(rf, queryset, page: int, size: int = 5):
    paginator = IdsFirstPagination()
    paginator.page_size = size
    rows = paginator.paginate_queryset(queryset, Request(rf.get("/", {"page": str(page)})))
    return paginator, rows


def test_a_page_read_ids_first_is_that_page_of_the_list_with_its_related_rows(
    demo_county, rf, django_assert_num_queries
):
    queryset = Duty.objects.select_related("holder_position__unit", "holder_unit").order_by("-code")
    expected = list(queryset.values_list("pk", flat=True))
    assert len(expected) > 10

    paginator, rows = paged(rf, queryset, page=2)

    assert [row.pk for row in rows] == expected[5:10]
    assert paginator.page.paginator.count == len(expected)
    with django_assert_num_queries(0):  # read with the page, not one by one
        assert all(row.unit.code for row in rows)


def test_a_row_deleted_between_the_two_reads_is_left_out_not_an_error(demo_county, rf, monkeypatch):
    queryset = Duty.objects.order_by("code")
    expected = list(queryset.values_list("pk", flat=True)[:5])
    reads = pagination._same_reads

    def deleted_meanwhile(qs):
        Duty.objects.filter(pk=expected[2]).delete()
        return reads(qs)

    monkeypatch.setattr(pagination, "_same_reads", deleted_meanwhile)

    _paginator, rows = paged(rf, queryset, page=1)

    assert [row.pk for row in rows] == expected[:2] + expected[3:]


def test_an_annotated_list_is_paged_as_it_is(demo_county, rf):
    queryset = Duty.objects.annotate(sector_count=Count("sectors")).order_by("code")

    _paginator, rows = paged(rf, queryset, page=1)

    assert [row.pk for row in rows] == list(queryset.values_list("pk", flat=True)[:5])
    assert all(hasattr(row, "sector_count") for row in rows)
