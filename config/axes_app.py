"""django-axes under a Chinese name in the admin (its own app config has none; its strings are in locale/)."""

from axes.apps import AppConfig


class AxesConfig(AppConfig):
    verbose_name = "登录锁定"
