"""Alerts raised on the write that crosses a threshold: a recorded accident, a 回头看 that finds work undone;
and reminders for alerts left open."""

import datetime as dt

from django.utils import timezone

from accountability import cases as case_services
from accountability.accidents import record_accident
from accountability.models import CHINA, Accident, Alert, AlertKind, ReminderLog
from accountability.reminders.sweep import sweep
from responsibility.models import Region, Sector, Unit
from tests.alerts.conftest import major_accident
from tests.factories import opened_on, replied


def test_recording_the_second_major_accident_raises_the_summons_at_once(
    alert_rules, django_capture_on_commit_callbacks
):
    day = timezone.localdate() - dt.timedelta(days=3)
    major_accident("AM1", "T1", day - dt.timedelta(days=10))
    at = dt.datetime.combine(day, dt.time(8), tzinfo=CHINA)
    with django_capture_on_commit_callbacks(execute=True):
        record_accident(
            code="AM2",
            title="第二起重大事故",
            enterprise=Unit.objects.get(code="e1"),
            region=Region.objects.get(code="T1"),
            sector=Sector.objects.get(code="housing"),
            occurred_at=at,
            reported_at=at + dt.timedelta(minutes=20),
            deaths=12,
        )
    alert = Alert.objects.get()
    assert alert.kind == AlertKind.SUMMONS and alert.fired_on == timezone.localdate()
    assert sorted(alert.accidents.values_list("code", flat=True)) == ["AM1", "AM2"]
    # The daily sweep finds the same window: nothing new.
    assert sweep(dispatch="none").alerts == []


def test_an_undone_review_item_raises_an_alert_naming_who_was_to_carry_it_out(
    alert_rules, django_capture_on_commit_callbacks
):
    case = case_services.open_case(accident=Accident.objects.get(code="A0226")).case
    replied(opened_on(case, dt.date(2024, 3, 1)), submitted=dt.date(2024, 4, 20), reply=dt.date(2024, 5, 10))
    action = case_services.add_corrective_action(
        case=case, description="全区塔吊附着装置专项排查", responsible="示范区住房和城乡建设局"
    )
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        case_services.record_review(
            case=case,
            reviewed_on=today,
            entries=[case_services.ReviewEntry(carried_out=False, corrective_action=action, note="未开展")],
        )
    alert = Alert.objects.get(kind=AlertKind.REVIEW_UNDONE)
    assert alert.subject_key == f"case:{case.code}" and alert.region.code == "T1"
    assert [(n.unit.code, n.person.code) for n in alert.named.all()] == [("d_housing", "p09")]
    assert alert.review_items.get().corrective_action == action


def test_an_alert_left_open_reminds_the_summoning_body_once(two_majors_in_t1):
    sweep(now=dt.date(2024, 5, 21), dispatch="none")
    alert = Alert.objects.get()
    sweep(now=alert.fired_on + dt.timedelta(days=7), dispatch="none")
    sweep(now=alert.fired_on + dt.timedelta(days=8), dispatch="none")
    logs = ReminderLog.objects.filter(subject_type="alert", subject_id=alert.pk)
    # The heads of the county government (区长, the two 副区长) — each once.
    assert sorted(logs.values_list("person__code", flat=True)) == ["p05", "p07", "p08"]
