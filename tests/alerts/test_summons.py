"""约谈 (安委〔2018〕2号): a region with two 重大 accidents in 30 days — raised once by the daily sweep,
naming that region's own leaders on the day it fires, summoned by the government of the level above."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from accountability.alerts import close_alert, handle_alert, raise_alerts
from accountability.models import Alert, AlertKind, AlertState
from accountability.reminders.sweep import sweep
from tests import evidence_files

SWEEP_DAY = dt.date(2024, 5, 21)


def _minutes():
    return SimpleUploadedFile("minutes.pdf", evidence_files.pdf(), content_type="application/pdf")


def test_two_major_accidents_in_one_township_raise_exactly_one_summons_naming_its_own_leaders(
    two_majors_in_t1,
):
    report = sweep(now=SWEEP_DAY, dispatch="none")

    alerts = list(Alert.objects.all())
    assert [a.kind for a in alerts] == [AlertKind.SUMMONS]
    alert = alerts[0]
    assert report.alerts == [alert.code]
    assert alert.subject_key == "region:T1" and alert.region.code == "T1"
    assert alert.count == 2 and alert.window_start == dt.date(2024, 5, 1)
    assert sorted(a.code for a in alert.accidents.all()) == ["AM1", "AM2"]
    # Summoned by the government of the level above: the county's.
    assert alert.summoned_by.code == "d_gov"
    named = list(alert.named.select_related("person", "position"))
    people = {(n.duty_type, n.person.code) for n in named if n.person}
    assert people == {("leader_in_charge", "p16"), ("party_gov_lead", "p15")}
    # The township's vacant 主任 stays named, as vacant; nobody of the county or the city is named.
    assert [(n.position.code, n.vacant) for n in named if n.person is None] == [("t1_head", True)]
    assert all(n.unit.region.code == "T1" for n in named)

    again = sweep(now=SWEEP_DAY + dt.timedelta(days=1), dispatch="none")
    assert again.alerts == []
    assert Alert.objects.count() == 1


def test_handling_the_summons_with_minutes_closes_it_and_keeps_its_history(
    two_majors_in_t1, django_user_model
):
    sweep(now=SWEEP_DAY, dispatch="none")
    alert = Alert.objects.get()
    user = django_user_model.objects.create_user("anweiban")
    handled = handle_alert(
        alert=alert, by=user, held_on=dt.date(2024, 5, 28), attendees="马丽、黄涛", minutes=_minutes()
    )
    assert handled.state == AlertState.HANDLED
    closed = close_alert(alert=handled, by=user)
    assert closed.state == AlertState.CLOSED
    assert closed.minutes.name.endswith(".pdf")
    assert [h.state for h in Alert.history.filter(id=alert.pk).order_by("history_date")] == [
        "open",
        "handled",
        "closed",
    ]


def test_a_summons_needs_its_date_attendees_and_minutes(two_majors_in_t1):
    import pytest
    from django.core.exceptions import ValidationError

    sweep(now=SWEEP_DAY, dispatch="none")
    alert = Alert.objects.get()
    with pytest.raises(ValidationError) as refused:
        handle_alert(alert=alert, held_on=None, attendees="", minutes=None)
    assert set(refused.value.message_dict) == {"held_on", "attendees", "minutes"}
    with pytest.raises(ValidationError):
        close_alert(alert=alert)


def test_accidents_spread_over_two_townships_summon_the_county_by_the_city(alert_rules):
    from tests.alerts.conftest import major_accident

    major_accident("AM1", "T1", dt.date(2024, 5, 1))
    major_accident("AM3", "T2", dt.date(2024, 5, 10), sector="road", enterprise=None)
    raised = [a for a, created in raise_alerts(SWEEP_DAY) if created]
    assert [(a.subject_key, a.summoned_by.code) for a in raised] == [("region:SD", "c_gov")]
    named = {(n.duty_type, n.person.code) for n in raised[0].named.all() if n.person}
    assert ("party_gov_lead", "p04") in named and ("party_gov_lead", "p05") in named
    assert all(n.unit.region.code == "SD" for n in raised[0].named.all())


def test_one_accident_and_accidents_outside_the_window_raise_nothing(alert_rules):
    from tests.alerts.conftest import major_accident

    major_accident("AM1", "T1", dt.date(2024, 3, 1))
    major_accident("AM2", "T1", dt.date(2024, 5, 20))
    assert raise_alerts(SWEEP_DAY, kinds=[AlertKind.SUMMONS]) == []
