import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

DEMO_FILE = Path(settings.BASE_DIR) / "demo" / "demo_county.json"


class Command(BaseCommand):
    help = "Load the worked example county (idempotent) and make sure a demo admin account exists."

    def handle(self, *args, **options):
        call_command("import_scenario", str(DEMO_FILE), quiet=True, stdout=self.stdout)
        password = os.environ.get("DEMO_ADMIN_PASSWORD") or secrets.token_urlsafe(9)
        user, _ = get_user_model().objects.get_or_create(
            username="admin", defaults={"email": "admin@localhost"}
        )
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        self.stdout.write(
            self.style.SUCCESS(f"demo admin: admin / {password}   → http://127.0.0.1:8000/admin/")
        )
