"""`make run` is safe to repeat: the demo loads only into an empty database, keeps edits and passwords."""

import datetime as dt
import re
from io import StringIO

from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from responsibility.models import Duty, Person, Position, Tenure


def load_demo(*args) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def test_a_second_run_over_an_edited_database_keeps_the_edit_and_the_passwords(db, monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    first = load_demo()
    password = re.search(r"password: (\S+)", first).group(1)
    assert authenticate(username="enterprise", password=password)

    # an admin edits a duty's basis and hands a post over to a new person
    duty = Duty.objects.order_by("code").first()
    duty.basis = "县安委办〔2026〕1号 第三条"
    duty.save()
    tenure = Tenure.objects.filter(end__isnull=True).order_by("pk").first()
    handover = tenure.start + dt.timedelta(days=30)
    tenure.end = handover
    tenure.save()
    successor = Person.objects.create(code="p_new", name="接任者")
    Tenure.objects.create(person=successor, position=tenure.position, start=handover)

    second = load_demo()
    assert "password:" not in second and password not in second
    assert Duty.objects.get(pk=duty.pk).basis == "县安委办〔2026〕1号 第三条"
    assert Tenure.objects.get(position=tenure.position, start=handover).person == successor
    for username in ("admin", "inspector", "regulator", "township", "enterprise", "enterprise2"):
        assert authenticate(username=username, password=password), username

    third = load_demo()
    assert "password:" not in third


def test_a_missing_account_is_created_and_only_its_password_printed(db, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "first-pw-123")
    load_demo()
    get_user_model().objects.filter(username="enterprise2").delete()
    monkeypatch.setenv("DEMO_PASSWORD", "second-pw-456")
    out = load_demo()
    assert "new demo accounts (enterprise2), password: second-pw-456" in out
    assert authenticate(username="enterprise", password="first-pw-123")
    assert authenticate(username="enterprise2", password="second-pw-456")


def test_reload_imports_the_example_again_only_when_asked(db, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "pw-reload-789")
    load_demo()
    Position.objects.filter(code="e1_chair").update(title="董事长（已改）")
    load_demo()
    assert Position.objects.get(code="e1_chair").title == "董事长（已改）"
    load_demo("--reload")
    assert Position.objects.get(code="e1_chair").title != "董事长（已改）"
