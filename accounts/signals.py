"""A key is as good as the password it was obtained with: when an account's password changes or the
account is deactivated, all its API keys are revoked (and each revocation is audited), so a leaked
key or a departed colleague's script stops working with the account it came from."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from .services import revoke_all_api_keys

PASSWORD_CHANGED = "password"  # ApiKeyEvent.via
DEACTIVATED = "deactivated"


def _reason(user) -> str | None:
    """Why this save ends the user's keys, if it does: set_password() leaves the new raw password in
    `_password` until the save (a login's hash upgrade clears it first, so that is no change)."""
    if user.pk is None:
        return None
    before = type(user)._default_manager.filter(pk=user.pk).values("is_active", "password").first()
    if before is None:
        return None
    if before["is_active"] and not user.is_active:
        return DEACTIVATED
    if getattr(user, "_password", None) is not None or (
        before["password"] != user.password and not user.has_usable_password()
    ):
        return PASSWORD_CHANGED
    return None


@receiver(pre_save, sender=settings.AUTH_USER_MODEL)
def note_key_revocation(sender, instance, raw=False, update_fields=None, **kwargs):
    # A save of other fields only (a login's last_login) cannot end the keys: no query for it.
    unrelated = update_fields is not None and not {"password", "is_active"} & set(update_fields)
    instance._revoke_api_keys = None if raw or unrelated else _reason(instance)


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def revoke_keys(sender, instance, raw=False, **kwargs):
    reason = getattr(instance, "_revoke_api_keys", None)
    if reason:
        instance._revoke_api_keys = None
        with transaction.atomic():
            revoke_all_api_keys(user=instance, via=reason)
