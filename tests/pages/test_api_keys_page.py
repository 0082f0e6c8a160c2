"""The API keys page: each user sees, names and revokes only their own keys; every change is audited."""

from django.contrib.auth.models import User
from django.urls import reverse

from accounts.models import ApiKey, ApiKeyEvent
from accounts.services import issue_api_key


def test_every_page_links_to_the_keys_page(login):
    assert reverse("accounts:api_keys") in login("inspector").get("/", follow=True).content.decode()


def test_a_user_sees_only_their_own_keys(login):
    issue_api_key(user=User.objects.get(username="enterprise2"), name="别人的脚本", via="test")
    issue_api_key(user=User.objects.get(username="enterprise"), name="我的脚本", via="test")
    html = login("enterprise").get(reverse("accounts:api_keys")).content.decode()
    assert "我的脚本" in html and "别人的脚本" not in html


def test_a_new_key_is_shown_once_and_unnamed_keys_get_a_date(login):
    client = login("enterprise")
    response = client.post(reverse("accounts:api_keys"), {"name": ""}, follow=True)
    token = response.context["new_token"]
    key = ApiKey.objects.get(user__username="enterprise")
    assert token.startswith(key.token_key) and key.name.startswith("API 密钥 ")
    assert token not in client.get(reverse("accounts:api_keys")).content.decode()
    assert ApiKeyEvent.objects.filter(username="enterprise", action="created", via="page").exists()


def test_nobody_revokes_another_users_key(login):
    key, _token = issue_api_key(user=User.objects.get(username="enterprise2"), name="别人的脚本", via="test")
    response = login("enterprise").post(reverse("accounts:revoke_key"), {"key": key.token_key}, follow=True)
    assert "没有这个密钥" in response.content.decode()
    assert ApiKey.objects.filter(pk=key.pk).exists()


def test_revoking_is_audited(login):
    key, _token = issue_api_key(user=User.objects.get(username="enterprise"), name="旧脚本", via="test")
    login("enterprise").post(reverse("accounts:revoke_key"), {"key": key.token_key})
    assert not ApiKey.objects.filter(pk=key.pk).exists()
    event = ApiKeyEvent.objects.get(action="revoked", key_prefix=key.token_key)
    assert event.username == "enterprise" and event.key_name == "旧脚本" and event.via == "page"
