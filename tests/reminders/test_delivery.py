"""Delivery: the in-app notification, the immediate mail, the daily digest — each exactly once."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.core import mail

from accountability.models import Notification, ReminderDigest, ReminderLog
from accountability.reminders.delivery import deliver, send_digest, send_digests
from responsibility.models import Person

from .conftest import H1_DEADLINE

OVERDUE_DAY = H1_DEADLINE + dt.timedelta(days=1)


@pytest.fixture
def reachable(demo_county):
    """高新化工's general manager (p23) has a login and a mailbox; 应急管理局's director (p14) a mailbox only."""
    user = User.objects.create_user("gm-e2", email="gm@e2.example.org")
    Person.objects.filter(code="p23").update(user=user, email="gm@e2.example.org")
    Person.objects.filter(code="p14").update(email="director@em.example.org")
    return user


def test_an_overdue_reminder_arrives_in_the_app_and_by_mail_once(reachable, only_rules, run):
    only_rules("hazard-overdue")
    run(OVERDUE_DAY)
    (notification,) = Notification.objects.for_user(reachable)
    assert notification.title == "重大隐患 H1：隐患逾期未整改，已逾期1天（期限 2024-05-31）"
    assert "储罐区可燃气体报警仪失效（高新化工有限公司，重大隐患，整改中）" in notification.body
    assert "您收到此提醒的身份：整改责任岗位、企业主要负责人。" in notification.body
    assert (notification.subject_type, notification.subject_code, notification.read_at) == (
        "hazard",
        "H1",
        None,
    )
    assert sorted(m.to[0] for m in mail.outbox) == ["director@em.example.org", "gm@e2.example.org"]
    message = next(m for m in mail.outbox if m.to == ["gm@e2.example.org"])
    assert message.subject == f"[安全生产责任链] {notification.title}"
    assert message.extra_headers["Message-ID"] == f"<reminder-{notification.reminder_id}@dutychain.reminders>"
    run(OVERDUE_DAY)
    run(OVERDUE_DAY + dt.timedelta(days=1))
    assert Notification.objects.count() == 2 and len(mail.outbox) == 2


def test_delivering_a_claim_twice_sends_it_once(reachable, only_rules, run):
    only_rules("hazard-overdue")
    report = run(OVERDUE_DAY, dispatch="none")
    assert ReminderLog.objects.filter(state="pending").count() == 2
    assert [deliver(i) for i in report.claimed_ids] == ["delivered", "delivered"]
    assert [deliver(i) for i in report.claimed_ids] == ["delivered", "delivered"]  # the state it already had
    assert Notification.objects.count() == 2 and len(mail.outbox) == 2


def test_a_claim_that_is_gone_is_dropped_quietly(db):
    assert deliver(987654) == "gone"


def test_a_person_without_login_or_mailbox_still_gets_the_in_app_record(demo_county, only_rules, run):
    only_rules("hazard-overdue")
    run(OVERDUE_DAY)
    assert Notification.objects.filter(person__code="p23", user=None).count() == 1
    assert mail.outbox == []
    assert set(ReminderLog.objects.filter(state="delivered").values_list("email_mode", flat=True)) == {"none"}


def test_a_mail_failure_rolls_the_delivery_back_for_a_retry(reachable, only_rules, run, monkeypatch):
    only_rules("hazard-overdue")
    report = run(OVERDUE_DAY, dispatch="none")
    log_id = ReminderLog.objects.get(person__code="p23").pk

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    with pytest.raises(ConnectionRefusedError):
        deliver(log_id)
    assert ReminderLog.objects.get(pk=log_id).state == "pending"
    assert not Notification.objects.exists()
    monkeypatch.undo()
    assert [deliver(i) for i in report.claimed_ids] == ["delivered", "delivered"]
    assert Notification.objects.count() == 2 and len(mail.outbox) == 2


def test_digest_rules_mail_one_digest_per_recipient_and_day(reachable, make_hazard, only_rules, run):
    only_rules("hazard-deadline-approaching")
    first = make_hazard(deadline=dt.date(2024, 7, 10))
    second = make_hazard(deadline=dt.date(2024, 7, 6))
    run(dt.date(2024, 7, 3))  # -7 for the first, -3 for the second
    assert Notification.objects.for_user(reachable).count() == 2
    assert mail.outbox == []  # digest rules send no mail per item
    assert send_digests(dt.date(2024, 7, 3)) == {f"person:{Person.objects.get(code='p23').pk}": 2}
    (digest_mail,) = mail.outbox
    assert digest_mail.to == ["gm@e2.example.org"]
    assert digest_mail.subject == "[安全生产责任链] 2024-07-03 期限提醒摘要（2 条）"
    assert f"重大隐患 {first.code}" in digest_mail.body and f"重大隐患 {second.code}" in digest_mail.body
    assert send_digests(dt.date(2024, 7, 3)) == {}
    run(dt.date(2024, 7, 5))  # -1 for the second
    key = f"person:{Person.objects.get(code='p23').pk}"
    assert send_digest(key, dt.date(2024, 7, 3)) == 0  # today's digest went out: the rest waits
    assert send_digest(key, dt.date(2024, 7, 5)) == 1
    assert len(mail.outbox) == 2
    assert ReminderDigest.objects.count() == 2
    assert not ReminderLog.objects.filter(email_mode="digest", emailed_at=None).exists()
