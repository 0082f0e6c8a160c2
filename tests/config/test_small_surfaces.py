"""Small things a user meets (issue 25 item 7): the favicon, the login lockout's admin in Chinese, and the
address the demo prints following make run's HOST."""

from io import StringIO
from pathlib import Path

from django.contrib.auth.models import User
from django.contrib.staticfiles import finders
from django.core.management import call_command


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/dutychain/favicon.svg"
    # The test client serves no static files (WhiteNoise does, in production): the file the redirect names.
    assert finders.find("dutychain/favicon.svg").endswith("favicon.svg")
    assert Path(finders.find("dutychain/favicon.svg")).read_text().startswith("<svg")
    assert 'href="/static/dutychain/favicon.svg"' in client.get("/accounts/login/").content.decode()


def test_the_login_lockout_admin_is_in_chinese(client, db):
    client.force_login(User.objects.create_superuser("chief", password="x"))
    index = client.get("/admin/").content.decode()
    assert "登录锁定" in index and "Axes" not in index
    attempts = client.get("/admin/axes/accessattempt/").content.decode()
    assert "登录尝试" in attempts and "Access attempt" not in attempts


def test_the_demo_prints_the_address_it_will_be_served_on(db):
    out = StringIO()
    call_command("load_demo", "--address", "0.0.0.0:8080", stdout=out)
    assert "http://0.0.0.0:8080/admin/" in out.getvalue()
