"""The dashboard: accidents and deaths by month with 同比, breakdowns, overdue hazards, 督办, reminders — bounded queries."""

import datetime as dt
import uuid

from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accountability.models import Accident, Hazard, HazardListing
from responsibility.models import Region, Sector, Unit

DASHBOARD = reverse("accountability:dashboard")


def _accident(code, day, deaths, region="T1", sector="housing"):
    return Accident.objects.create(
        code=code,
        title=code,
        region=Region.objects.get(code=region),
        sector=Sector.objects.get(code=sector),
        occurred_at=dt.datetime.combine(day, dt.time(10), tzinfo=timezone.get_current_timezone()),
        deaths=deaths,
    )


def test_it_counts_accidents_and_deaths_by_month_against_the_previous_year(inspector):
    _accident("X2302", dt.date(2023, 2, 10), 1)
    response = inspector.get(DASHBOARD, {"year": 2024})
    assert response.status_code == 200
    months = response.context["months"]
    assert [m["n"] for m in months[:4]] == [0, 1, 1, 1]
    assert [m["deaths"] for m in months[:4]] == [0, 2, 3, 1]
    assert months[1]["last_deaths"] == 1 and months[1]["yoy_deaths"] == "+100%"
    assert response.context["totals"] == {
        "n": 3,
        "deaths": 6,
        "last_n": 1,
        "last_deaths": 1,
        "yoy_n": "+200%",
        "yoy_deaths": "+500%",
    }
    grades = {row["label"]: row["n"] for row in response.context["by_grade"]}
    assert grades == {"一般事故": 2, "较大事故": 1, "重大事故": 0, "特别重大事故": 0}
    assert {r["sector__code"]: r["n"] for r in response.context["by_sector"]} == {"housing": 2, "road": 1}
    assert {r["region__code"]: r["n"] for r in response.context["by_territory"]} == {"T1": 2, "T2": 1}
    html = response.content.decode()
    assert "<svg" in html and "同比" in html


def test_it_defaults_to_the_latest_year_with_accidents(inspector):
    assert inspector.get(DASHBOARD).context["year"] == 2024


def test_it_shows_overdue_hazards_and_listings_due_soon_in_scope(inspector):
    today = timezone.localdate()
    hazard = Hazard.objects.get(code="H1")
    HazardListing.objects.create(
        hazard=hazard,
        listing_unit=Unit.objects.get(code="d_em"),
        listed_on=today,
        due_on=today + dt.timedelta(days=5),
    )
    response = inspector.get(DASHBOARD)
    assert response.context["overdue_total"] == 1
    assert [r["sector__code"] for r in response.context["overdue_by_sector"]] == ["hazchem"]
    assert [r["enterprise__region__code"] for r in response.context["overdue_by_territory"]] == ["P1"]
    assert [listing.hazard.code for listing in response.context["listings"]] == ["H1"]
    assert "储罐区可燃气体报警仪失效" in response.content.decode()


def test_a_regulator_counts_only_what_its_duties_cover(login):
    response = login("regulator").get(DASHBOARD, {"year": 2024})
    # 区住建局 covers construction (and gas) in the county: the two construction accidents, not the road one.
    assert response.context["totals"]["n"] == 2
    assert response.context["overdue_total"] == 0


def test_it_lists_the_reminders_delivered_about_deadlines_in_scope(login):
    log = apps.get_model("accountability", "ReminderLog")
    rule_model = apps.get_model("accountability", "ReminderRule")
    rule, _ = rule_model.objects.get_or_create(
        code="pages-test", defaults={"name": "隐患整改期限提醒", "kind": "hazard_deadline", "offsets": [-3]}
    )
    for hazard in Hazard.objects.filter(code__in=["H1", "H2"]):
        log.objects.create(
            rule=rule,
            subject_type="hazard",
            subject_id=hazard.pk,
            subject_code=hazard.code,
            due_date=hazard.deadline,
            offset=-3,
            recipient_key=f"user:{hazard.pk}",
            claimed_for=timezone.localdate(),
            claim_token=uuid.uuid4(),
            state="delivered",
            delivered_at=timezone.now(),
        )
    reminders = login("inspector").get(DASHBOARD).context["reminders"]
    assert {r.subject_code for r in reminders["latest"]} == {"H1", "H2"}
    assert [row["n"] for row in reminders["by_subject"]] == [2]
    # 区住建局 (construction and gas) sees the reminder about the construction site's hazard only.
    assert [r.subject_code for r in login("regulator").get(DASHBOARD).context["reminders"]["latest"]] == [
        "H2"
    ]


def test_it_takes_the_same_number_of_queries_however_many_accidents_and_hazards(inspector):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert inspector.get(DASHBOARD, {"year": 2024}).status_code == 200
        return len(ctx)

    before = count()
    enterprise = Unit.objects.get(code="e2")
    for i in range(30):
        _accident(f"Y{i}", dt.date(2024 - i % 2, i % 12 + 1, 3), i % 4, region=("T1", "T2", "P1")[i % 3])
        Hazard.objects.create(
            code=f"HY{i}",
            enterprise=enterprise,
            sector=Sector.objects.get(code="hazchem"),
            level="general",
            source="self_check",
            found_on=dt.date(2024, 1, 1),
            deadline=dt.date(2024, 2, 1),
        )
    after = count()
    assert after == before
    assert before <= 20, before
