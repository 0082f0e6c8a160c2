"""Round two (issue 23): API keys kept working after their owner changed the password or was
deactivated. Now both revoke every key of the account (audited), a key of an inactive account is
refused whatever way it was deactivated, and the key page says so."""

from __future__ import annotations

from django.contrib.auth.models import User

from accounts.models import ApiKey, ApiKeyEvent
from tests.api.conftest import PASSWORD, token_client

NEW_PASSWORD = "a-new-password-2024"


def works(client) -> int:
    return client.get("/api/v1/units/").status_code


def test_a_key_stops_working_when_its_owner_changes_the_password_on_the_page(world, client, tried):
    user = world.users["enterprise"]
    api = token_client(user)
    assert works(api) == 200
    client.force_login(user)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    tried["keys: password changed on the page"] += 1
    assert response.status_code == 302
    answer = api.get("/api/v1/units/")
    assert answer.status_code == 401 and answer.json()["detail"] == "API 密钥无效或已撤销"
    assert not ApiKey.objects.filter(user=user).exists()
    assert ApiKeyEvent.objects.filter(user=user, action="revoked", via="password").count() == 2


def test_a_key_stops_working_when_an_administrator_sets_a_new_password(world, tried):
    user = world.users["regulator"]
    api = token_client(user)
    assert works(api) == 200
    user.set_password(NEW_PASSWORD)
    user.save()
    tried["keys: password set"] += 1
    assert works(api) == 401


def test_a_key_stops_working_when_its_owner_is_deactivated(world, tried):
    user = world.users["inspector"]
    api = token_client(user)
    user.is_active = False
    user.save()
    tried["keys: account deactivated"] += 1
    assert works(api) == 401
    assert ApiKeyEvent.objects.filter(user=user, action="revoked", via="deactivated").exists()


def test_a_key_of_an_account_deactivated_behind_the_models_back_is_refused(world, tried):
    """A bulk update sends no signal: the key still exists, and the check at use refuses it."""
    user = world.users["township"]
    api = token_client(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    answer = api.get("/api/v1/units/")
    tried["keys: account deactivated in bulk"] += 1
    assert answer.status_code == 401
    assert answer.json()["detail"] == "该账号已停用，其 API 密钥不再有效"


def test_saving_an_account_for_other_reasons_keeps_its_keys(world, tried):
    user = world.users["enterprise2"]
    api = token_client(user)
    user.first_name = "改名"
    user.save()
    user.check_password(PASSWORD)  # may upgrade the stored hash: the same password, no revocation
    tried["keys: account saved"] += 1
    assert works(api) == 200


def test_the_key_page_says_keys_end_with_the_password(world, client):
    client.force_login(world.users["enterprise"])
    html = client.get("/account/api-keys/").content.decode()
    assert "修改密码或账号被停用时，您的全部 API 密钥将自动撤销" in html
