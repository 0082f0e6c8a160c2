"""Filters of the reference lists (API). Every reference is by code, matched as text, so a code outside
the caller's scope filters to nothing — the same answer as a code that does not exist."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django_filters.rest_framework import DjangoFilterBackend

from .models import Duty, DutyType, Person, Position, Region, RegionLevel, Sector, Unit, UnitKind


class SearchFilterSet(django_filters.FilterSet):
    """`search`: a case-insensitive substring of any of `search_fields`."""

    search_fields: tuple[str, ...] = ("code",)
    search = django_filters.CharFilter(method="filter_search", label="搜索（编码、名称）")

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        q = Q()
        for field in self.search_fields:
            q |= Q(**{f"{field}__icontains": value})
        return queryset.filter(q)


def subtree_of(field: str, model):
    """A filter method: rows whose `field` (a tree node) is the given code's node or lies below it."""

    def method(queryset, name, value):
        path = model.objects.filter(code=value).values_list("path", flat=True).first()
        if path is None:
            return queryset.none()
        return queryset.filter(**{f"{field}__path__startswith": path})

    return method


class RegionFilter(SearchFilterSet):
    search_fields = ("code", "name")
    level = django_filters.ChoiceFilter(choices=RegionLevel.choices)
    parent = django_filters.CharFilter(field_name="parent__code", label="上级区划编码")

    class Meta:
        model = Region
        fields = ["level", "parent"]


class SectorFilter(SearchFilterSet):
    search_fields = ("code", "name")
    parent = django_filters.CharFilter(field_name="parent__code", label="上级行业编码")

    class Meta:
        model = Sector
        fields = ["parent"]


class UnitFilter(SearchFilterSet):
    search_fields = ("code", "name")
    kind = django_filters.ChoiceFilter(choices=UnitKind.choices)
    region = django_filters.CharFilter(method=subtree_of("region", Region), label="区划编码（含下级）")
    sector = django_filters.CharFilter(field_name="sectors__code", label="经营行业编码", distinct=True)
    parent = django_filters.CharFilter(field_name="parent__code", label="上级单位编码")
    enterprise = django_filters.CharFilter(field_name="enterprise__code", label="所属企业编码")

    class Meta:
        model = Unit
        fields = ["kind", "region", "sector", "parent", "enterprise"]


class PositionFilter(SearchFilterSet):
    search_fields = ("code", "title")
    unit = django_filters.CharFilter(field_name="unit__code", label="所在单位编码")
    enterprise = django_filters.CharFilter(field_name="unit__enterprise__code", label="所属企业编码")

    class Meta:
        model = Position
        fields = ["unit", "enterprise"]


class PersonFilter(SearchFilterSet):
    search_fields = ("code", "name")

    class Meta:
        model = Person
        fields: list[str] = []


class DutyFilter(SearchFilterSet):
    search_fields = ("code", "basis")
    type = django_filters.ChoiceFilter(choices=DutyType.choices)
    holder_unit = django_filters.CharFilter(method="filter_holder_unit", label="责任单位编码（含其岗位）")
    holder_position = django_filters.CharFilter(field_name="holder_position__code", label="责任岗位编码")
    sector = django_filters.CharFilter(field_name="sectors__code", label="行业编码", distinct=True)
    active_on = django_filters.DateFilter(method="filter_active_on", label="在该日有效")

    class Meta:
        model = Duty
        fields = ["type", "holder_unit", "holder_position", "sector", "active_on"]

    def filter_holder_unit(self, queryset, name, value):
        return queryset.filter(Q(holder_unit__code=value) | Q(holder_position__unit__code=value))

    def filter_active_on(self, queryset, name, value):
        return queryset.on(value)


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, passed by when a request has no query parameters: with nothing to filter by,
    it would build and validate a form of empty fields only to return the queryset as it is."""

    def filter_queryset(self, request, queryset, view):
        if not request.query_params:
            return queryset
        return super().filter_queryset(request, queryset, view)
