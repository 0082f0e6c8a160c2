"""Accounts and targets for the load test, in the loaded province (run in the stack's environment):

    python drills/load_setup.py PLAN.json

- enterprises: one account per enterprise with open general hazards (an API key each, the hazards' codes);
- inspectors: county 纪检 accounts, with 一案双查 cases opened for their county's accidents;
- regulators: county 应急 (emergency) department accounts, each seeing its county's hazards;
- 安委办: staff accounts editing duties in the admin and reading the matrix.
Every account's password is PASSWORD; the plan (JSON) lists who may do what to which code.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
PASSWORD = "load-test-password-2026"
COUNTS = {"enterprise": 40, "inspector": 8, "regulator": 8, "admin": 3}


def main(out: Path) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from guardian.shortcuts import assign_perm

    from accountability.cases import open_case
    from accountability.models import Accident, Case, Hazard, HazardLevel, HazardState
    from accountability.selectors import visible_hazards
    from accounts.services import issue_api_key
    from responsibility.models import Duty, Region, RegionLevel, Unit
    from responsibility.permissions import (
        ACT_FOR_ENTERPRISE,
        INSPECT_REGION,
        REGULATE_UNIT,
        Role,
        ensure_role_groups,
        visibility_for,
    )

    users = get_user_model().objects
    groups = ensure_role_groups()
    password = make_password(PASSWORD)  # hashed once: the same for every account
    plan: dict[str, list] = {role: [] for role in COUNTS}

    def account(name: str, role: str, **flags):
        user = users.create(username=name, password=password, **flags)
        user.groups.add(groups[role])
        _key, token = issue_api_key(user=user, via="command", name="load test")
        return user, token

    open_states = (HazardState.REPORTED, HazardState.RECTIFYING)
    with transaction.atomic():
        enterprise_ids = (
            Hazard.objects.filter(state__in=open_states, level=HazardLevel.GENERAL)
            .values_list("enterprise_id", flat=True)
            .distinct()
            .order_by("enterprise_id")[: COUNTS["enterprise"]]
        )
        for i, unit in enumerate(Unit.objects.filter(pk__in=list(enterprise_ids)).order_by("code")):
            user, token = account(f"load_ent_{i}", Role.ENTERPRISE)
            assign_perm(f"responsibility.{ACT_FOR_ENTERPRISE}", user, unit)
            hazards = Hazard.objects.filter(enterprise=unit, state__in=open_states, level=HazardLevel.GENERAL)
            plan["enterprise"].append(
                {"token": token, "enterprise": unit.code, "hazards": sorted(h.code for h in hazards)}
            )

        counties = [
            county
            for county in Region.objects.filter(level=RegionLevel.COUNTY).order_by("code")
            if Accident.objects.filter(region__path__startswith=county.path).exists()
        ]
        for i, county in enumerate(counties[: COUNTS["inspector"]]):
            user, token = account(f"load_insp_{i}", Role.INSPECTOR, is_staff=False)
            assign_perm(f"responsibility.{INSPECT_REGION}", user, county)
            accidents = list(
                Accident.objects.filter(region__path__startswith=county.path).order_by("code")[:5]
            )
            cases = []
            for accident in accidents:
                case = Case.objects.filter(accident=accident).first() or open_case(accident=accident).case
                cases.append(case.code)
            plan["inspector"].append(
                {
                    "username": user.username,
                    "token": token,
                    "accidents": [a.code for a in accidents],
                    "cases": cases,
                }
            )

        housing = Unit.objects.filter(region__level=RegionLevel.COUNTY, code__endswith=".yj").order_by("code")
        for i, unit in enumerate(housing[: COUNTS["regulator"]]):
            user, token = account(f"load_reg_{i}", Role.REGULATOR)
            assign_perm(f"responsibility.{REGULATE_UNIT}", user, unit)
            seen = visible_hazards(visibility_for(user)).filter(level=HazardLevel.GENERAL)
            plan["regulator"].append(
                {
                    "username": user.username,
                    "token": token,
                    "hazards": list(seen.values_list("code", flat=True)[:200]),
                }
            )

        regions = list(
            Region.objects.filter(level=RegionLevel.COUNTY).order_by("code").values_list("code", flat=True)
        )
        duties = list(
            Duty.objects.filter(holder_position__isnull=False)
            .order_by("id")
            .values_list("id", flat=True)[:200]
        )
        for i in range(COUNTS["admin"]):
            user, token = account(f"load_admin_{i}", Role.ADMIN, is_staff=True, is_superuser=True)
            plan["admin"].append(
                {"username": user.username, "token": token, "regions": regions[:20], "duties": duties}
            )
    out.write_text(json.dumps({"password": PASSWORD, **plan}, ensure_ascii=False))
    print({role: len(entries) for role, entries in plan.items()}, file=sys.stderr)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "drills.load_settings")
    main(Path(sys.argv[1]))
