from django.apps import AppConfig


class AccountabilityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accountability"
    verbose_name = "隐患、事故与追责"

    def ready(self):
        from . import admin_reminders, scenario_sections  # noqa: F401

        scenario_sections.register()
