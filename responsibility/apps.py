from django.apps import AppConfig


class ResponsibilityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "responsibility"
    verbose_name = "责任体系"

    def ready(self):
        from .coverage import connect_invalidation

        connect_invalidation()
