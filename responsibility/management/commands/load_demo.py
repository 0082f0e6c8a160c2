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


def create_demo_users(password: str, *, keep_existing: bool = False) -> list[str]:
    """An account per role over the worked example with `password`; returns the usernames given it.

    With `keep_existing`, an account that exists already is left exactly as it is (password, groups,
    grants): only missing accounts are created.
    """
    users = get_user_model().objects
    groups = ensure_role_groups()
    names = []
    admin, created = users.get_or_create(username="admin", defaults={"email": "admin@localhost"})
    if created or not keep_existing:
        admin.is_staff = admin.is_superuser = True
        admin.set_password(password)
        admin.save()
        admin.groups.add(groups[Role.ADMIN])
        names.append("admin")
    for username, role, (model, code, perm), person_code in DEMO_USERS:
        scope = model.objects.filter(code=code).first()
        if scope is None:
            continue  # the demo object was removed: no account to anchor there
        user, created = users.get_or_create(username=username, defaults={"email": f"{username}@localhost"})
        if not created and keep_existing:
            continue
        user.set_password(password)
        user.save()
        user.groups.add(groups[role])
        assign_perm(f"responsibility.{perm}", user, scope)
        if person_code:
            Person.objects.filter(code=person_code, user__isnull=True).update(user=user)
        names.append(username)
    return names


def database_is_empty() -> bool:
    return not (Region.objects.exists() or Unit.objects.exists())


class Command(BaseCommand):
    help = (
        "Load the worked example county and an account per role — only into an empty database "
        "(or with --reload). Never changes an existing account; a password is printed once, when created."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reload",
            action="store_true",
            help="import the example over a database that has data (reverts the example's rows to the file)",
        )
        parser.add_argument(
            "--address",
            default="127.0.0.1:8000",
            help="where the demo will be served (make run's HOST), for the address printed at the end",
        )

    def handle(self, *args, reload=False, address="127.0.0.1:8000", **options):
        if database_is_empty() or reload:
            call_command("import_scenario", str(DEMO_FILE), quiet=True, stdout=self.stdout)
        else:
            self.stdout.write(
                "the database has data already: the example is not imported "
                "(--reload imports it again and reverts edits of its rows)"
            )
        # The default alert rules for the example's regions (by command name: responsibility never
        # imports accountability).
        call_command("load_alert_rules", stdout=self.stdout)
        password = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(9)
        with transaction.atomic():
            created = create_demo_users(password, keep_existing=True)
        if created:
            self.stdout.write(
                self.style.SUCCESS(f"new demo accounts ({', '.join(created)}), password: {password}")
            )
            self.stdout.write("(shown only this once; to reset: manage.py changepassword USERNAME)")
        else:
            self.stdout.write(
                "demo accounts exist already; their passwords are unchanged (manage.py changepassword NAME to reset)."
            )
        self.stdout.write(self.style.SUCCESS(f"→ http://{address}/  ·  admin: http://{address}/admin/"))
