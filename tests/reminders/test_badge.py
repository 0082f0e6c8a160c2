"""The unread badge on every page: no query for an anonymous visitor, one COUNT for a user."""

from django.contrib.auth.models import AnonymousUser, User
from django.test import RequestFactory
from django.utils import timezone

from accountability.context_processors import notification_badge
from accountability.models import Notification
from responsibility.models import Person


def request_as(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_an_anonymous_visitor_costs_no_query(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert notification_badge(request_as(AnonymousUser())) == {"unread_notification_count": 0}


def test_a_user_sees_the_unread_count_for_one_query(db, django_assert_num_queries):
    user = User.objects.create_user("reader")
    person = Person.objects.create(code="pr", name="读者", user=user)
    Notification.objects.create(user=user, title="一")
    Notification.objects.create(person=person, title="二")
    Notification.objects.create(user=user, title="已读", read_at=timezone.now())
    Notification.objects.create(user=User.objects.create_user("other"), title="别人的")
    with django_assert_num_queries(1):
        assert notification_badge(request_as(user)) == {"unread_notification_count": 2}
