"""Filters of the hazard, accident, case and record lists (API). References are codes matched as text,
so a code outside the caller's scope filters to nothing, exactly like a code that does not exist."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.db.models import Q

from responsibility.filters import SearchFilterSet, subtree_of
from responsibility.models import Region, Sector, Track

from .grading import Grade
from .models import (
    CHINA,
    Accident,
    AccountabilityRecord,
    Case,
    CaseState,
    Decision,
    Finding,
    Hazard,
    HazardLevel,
    HazardSource,
    HazardState,
)

EARLIEST_DAY = dt.date(1900, 1, 1)
LATEST_DAY = dt.date(2100, 1, 1)


class HazardFilter(SearchFilterSet):
    search_fields = ("code", "title")
    state = django_filters.ChoiceFilter(choices=HazardState.choices)
    level = django_filters.ChoiceFilter(choices=HazardLevel.choices)
    source = django_filters.ChoiceFilter(choices=HazardSource.choices)
    enterprise = django_filters.CharFilter(field_name="enterprise__code", label="企业编码")
    sector = django_filters.CharFilter(method=subtree_of("sector", Sector), label="行业编码（含下级）")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="逾期（未销号且已过整改期限）")
    listed = django_filters.BooleanFilter(method="filter_listed", label="挂牌督办中")
    deadline_before = django_filters.DateFilter(
        field_name="deadline", lookup_expr="lte", label="整改期限不晚于"
    )
    deadline_after = django_filters.DateFilter(
        field_name="deadline", lookup_expr="gte", label="整改期限不早于"
    )

    class Meta:
        model = Hazard
        fields = ["state", "level", "source", "enterprise", "sector"]

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue() if value else queryset.not_overdue()

    def filter_listed(self, queryset, name, value):
        listed = Q(listing__isnull=False, listing__lifted_on__isnull=True)
        return queryset.filter(listed if value else ~listed)


class AccidentFilter(SearchFilterSet):
    search_fields = ("code", "title")
    grade = django_filters.ChoiceFilter(choices=Grade.choices)
    enterprise = django_filters.CharFilter(field_name="enterprise__code", label="事发企业编码")
    region = django_filters.CharFilter(method=subtree_of("region", Region), label="区划编码（含下级）")
    sector = django_filters.CharFilter(method=subtree_of("sector", Sector), label="行业编码（含下级）")
    occurred_after = django_filters.DateFilter(method="filter_occurred", label="事发日（北京时间）不早于")
    occurred_before = django_filters.DateFilter(method="filter_occurred", label="事发日（北京时间）不晚于")

    class Meta:
        model = Accident
        fields = ["grade", "enterprise", "region", "sector"]

    def filter_occurred(self, queryset, name, value):
        # The event day is the China calendar day; a day beyond any record is as good as the edge of the calendar.
        day = min(max(value, EARLIEST_DAY), LATEST_DAY)
        start = dt.datetime.combine(day, dt.time.min, tzinfo=CHINA)
        if name == "occurred_after":
            return queryset.filter(occurred_at__gte=start)
        return queryset.filter(occurred_at__lt=start + dt.timedelta(days=1))


class CaseFilter(SearchFilterSet):
    search_fields = ("code", "title")
    state = django_filters.ChoiceFilter(choices=CaseState.choices)
    grade = django_filters.ChoiceFilter(choices=Grade.choices)
    accident = django_filters.CharFilter(field_name="accident__code", label="事故编码")
    hazard = django_filters.CharFilter(field_name="hazard__code", label="隐患编码")
    source = django_filters.ChoiceFilter(
        choices=[("accident", "事故"), ("hazard", "逾期隐患")], method="filter_source", label="案件来源"
    )

    class Meta:
        model = Case
        fields = ["state", "grade", "accident", "hazard"]

    def filter_source(self, queryset, name, value):
        return queryset.filter(**{f"{value}__isnull": False})


class RecordFilter(SearchFilterSet):
    search_fields = ("unit_code", "position_code", "person_code")
    case = django_filters.CharFilter(field_name="case__code", label="案件编号")
    track = django_filters.ChoiceFilter(choices=Track.choices)
    unit = django_filters.CharFilter(field_name="unit_code", label="单位编码")
    position = django_filters.CharFilter(field_name="position_code", label="岗位编码")
    person = django_filters.CharFilter(field_name="person_code", label="人员编码")
    finding = django_filters.ChoiceFilter(
        choices=Finding.choices, method="filter_finding", label="现行认定结论"
    )
    decided = django_filters.BooleanFilter(method="filter_decided", label="已认定")

    class Meta:
        model = AccountabilityRecord
        fields = ["case", "track", "unit", "position", "person"]

    def filter_finding(self, queryset, name, value):
        return queryset.filter(pk__in=Decision.objects.current().filter(finding=value).values("record_id"))

    def filter_decided(self, queryset, name, value):
        decided = Q(pk__in=Decision.objects.values("record_id"))
        return queryset.filter(decided if value else ~decided)
