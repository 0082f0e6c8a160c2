import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from guardian.shortcuts import assign_perm

from responsibility.models import Person, Region, Unit
from responsibility.permissions import (
    ACT_FOR_ENTERPRISE,
    INSPECT_REGION,
    REGULATE_UNIT,
    Role,
    ensure_role_groups,
)

DEMO_FILE = Path(settings.BASE_DIR) / "demo" / "demo_county.json"

# username, role, scope object (model, code, permission), person code linked to the login
DEMO_USERS = [
    ("inspector", Role.INSPECTOR, (Region, "SD", INSPECT_REGION), None),
    ("regulator", Role.REGULATOR, (Unit, "d_housing", REGULATE_UNIT), "p09"),
    ("township", Role.REGULATOR, (Unit, "t1_gov", REGULATE_UNIT), "p16"),
    ("enterprise", Role.ENTERPRISE, (Unit, "e1", ACT_FOR_ENTERPRISE), "p17"),
    ("enterprise2", Role.ENTERPRISE, (Unit, "e2", ACT_FOR_ENTERPRISE), "p23"),
]


def create_demo_users(password: str) -> list[str]:
    """An account per role over the worked example, all with `password`."""
    users = get_user_model().objects
    groups = ensure_role_groups()
    admin, _ = users.get_or_create(username="admin", defaults={"email": "admin@localhost"})
    admin.is_staff = admin.is_superuser = True
    admin.set_password(password)
    admin.save()
    admin.groups.add(groups[Role.ADMIN])
    names = ["admin"]
    for username, role, (model, code, perm), person_code in DEMO_USERS:
        user, _ = users.get_or_create(username=username, defaults={"email": f"{username}@localhost"})
        user.set_password(password)
        user.save()
        user.groups.add(groups[role])
        assign_perm(f"responsibility.{perm}", user, model.objects.get(code=code))
        if person_code:
            Person.objects.filter(code=person_code).update(user=user)
        names.append(username)
    return names


class Command(BaseCommand):
    help = "Load the worked example county (idempotent) and an account per role (admin, inspector, regulator, enterprise…)."

    def handle(self, *args, **options):
        call_command("import_scenario", str(DEMO_FILE), quiet=True, stdout=self.stdout)
        password = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(9)
        with transaction.atomic():
            names = create_demo_users(password)
        self.stdout.write(self.style.SUCCESS(f"demo accounts ({', '.join(names)}), password: {password}"))
        self.stdout.write(
            self.style.SUCCESS("→ http://127.0.0.1:8000/  ·  admin: http://127.0.0.1:8000/admin/")
        )
