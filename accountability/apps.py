from django.apps import AppConfig


class AccountabilityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accountability"
    verbose_name = "隐患、事故与追责"

    def ready(self):
        from . import scenario_sections

        scenario_sections.register()
