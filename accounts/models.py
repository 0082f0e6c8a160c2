"""API keys (django-rest-knox: only a hash is stored, a user may hold several) and their audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from knox.models import AbstractAuthToken


class ApiKey(AbstractAuthToken):
    """One key of a user, named by its owner; the key itself is shown once, when created."""

    name = models.CharField("名称", max_length=100)

    class Meta:
        verbose_name = "API 密钥"
        verbose_name_plural = "API 密钥"
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name}（{self.token_key}…）"


class ApiKeyEvent(models.Model):
    """Who obtained, revoked or failed to obtain a key, when and from where."""

    class Action(models.TextChoices):
        CREATED = "created", "创建"
        REVOKED = "revoked", "撤销"
        REFUSED = "refused", "拒绝（用户名或密码错误）"

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    action = models.CharField("操作", max_length=10, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="api_key_events",
    )
    username = models.CharField("登录名", max_length=150)
    key_prefix = models.CharField("密钥前缀", max_length=25, blank=True)
    key_name = models.CharField("密钥名称", max_length=100, blank=True)
    via = models.CharField("途径", max_length=20)  # api, page, command
    address = models.GenericIPAddressField("来源地址", null=True, blank=True)

    class Meta:
        verbose_name = "API 密钥记录"
        verbose_name_plural = "API 密钥记录"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.get_action_display()}"
