"""My reminders page: the badge leads there; a user sees and marks only their own."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from accountability.models import Notification
from responsibility.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(demo_county):
    alice = User.objects.create_user("alice", password="pw-alice-1")
    bob = User.objects.create_user("bob", password="pw-bob-1")
    Person.objects.filter(code="p17").update(user=alice)
    Notification.objects.create(
        person=Person.objects.get(code="p17"), title="隐患 H2 整改期限临近", body="还有 3 天"
    )
    Notification.objects.create(user=alice, title="案件调查报告期限", link="/cases/")
    Notification.objects.create(user=bob, title="别人的提醒")
    return alice, bob


def test_the_badge_links_to_my_reminders_and_counts_the_unread(client, people):
    client.login(username="alice", password="pw-alice-1")
    html = client.get(reverse("accountability:notification_list")).content.decode()
    assert 'href="/notifications/"' in html and "<b>2</b>" in html
    assert "隐患 H2 整改期限临近" in html and "案件调查报告期限" in html
    assert "别人的提醒" not in html


def test_marking_one_read_touches_only_that_one_of_mine(client, people):
    alice, bob = people
    client.login(username="alice", password="pw-alice-1")
    mine = Notification.objects.get(title="案件调查报告期限")
    theirs = Notification.objects.get(user=bob)
    client.post(reverse("accountability:notification_mark_read"), {"id": [mine.pk, theirs.pk]})
    assert Notification.objects.get(pk=mine.pk).read_at is not None
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert Notification.objects.get(title="隐患 H2 整改期限临近").read_at is None
    html = client.get(reverse("accountability:notification_list"), {"unread": "1"}).content.decode()
    assert "隐患 H2 整改期限临近" in html and "案件调查报告期限" not in html


def test_mark_all_read_clears_my_badge(client, people):
    client.login(username="alice", password="pw-alice-1")
    client.post(reverse("accountability:notification_mark_read"))
    assert not Notification.objects.for_user(people[0]).unread().exists()
    assert Notification.objects.filter(user=people[1], read_at__isnull=True).exists()


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("accountability:notification_list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
