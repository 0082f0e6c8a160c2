"""After the fault drill (run in the stack's environment): what the faults may have left behind.

    python drills/fault_checks.py MAIL_DIR      # prints one JSON object

- half-written hazards: a hazard whose state is not its last transition's, or a transition whose evidence
  file is missing or empty on disk;
- cases: how many have no record (compared before and after the faults: a torn opening adds one);
- half-written imports: an import run with an outcome other than imported/refused;
- reminders: claimed but never delivered (lost), an in-app notification twice for one claim or a mail
  count different from the claims marked as mailed (sent twice), the unique claim per threshold.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(mail_dir: Path) -> dict:
    import django

    django.setup()
    from django.db.models import Count, OuterRef, Subquery

    from accountability.models import (
        Case,
        Hazard,
        HazardTransition,
        Notification,
        ReminderDigest,
        ReminderLog,
    )
    from responsibility.models import ImportOutcome, ImportRun

    last = (
        HazardTransition.objects.filter(hazard=OuterRef("pk")).order_by("-at", "-id").values("to_state")[:1]
    )
    torn_hazards = (
        Hazard.objects.annotate(last=Subquery(last)).exclude(last=None).exclude(state=models_f("last"))
    )
    missing_files = 0
    for transition in HazardTransition.objects.exclude(evidence=""):
        try:
            if transition.evidence.size == 0:
                missing_files += 1
        except OSError:
            missing_files += 1
    cases_without_subjects = Case.objects.annotate(n=Count("records")).filter(n=0).count()
    by_state = Counter(ReminderLog.objects.values_list("state", flat=True))
    doubled = Notification.objects.values("reminder").annotate(n=Count("id")).filter(n__gt=1).count()
    mails = 0
    for path in mail_dir.glob("*") if mail_dir.is_dir() else []:
        mails += path.read_text(errors="replace").count("\nMessage-ID:")
    mailed = (
        ReminderLog.objects.exclude(emailed_at=None).filter(digest=None).count()
        + ReminderDigest.objects.count()
    )
    return {
        "hazards whose state is not their last transition's": torn_hazards.count(),
        "evidence files missing or empty": missing_files,
        "cases without records": cases_without_subjects,
        "import runs neither imported nor refused": ImportRun.objects.exclude(
            outcome__in=[ImportOutcome.IMPORTED, ImportOutcome.REFUSED]
        ).count(),
        "reminders claimed": sum(by_state.values()),
        "reminders by state": dict(by_state),
        "reminders lost (claimed, still pending)": by_state.get("pending", 0),
        "notifications twice for one reminder": doubled,
        "mails sent": mails,
        "mails expected (claims mailed + digests)": mailed,
    }


def models_f(name: str):
    from django.db.models import F

    return F(name)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "drills.load_settings")
    print(json.dumps(main(Path(sys.argv[1])), ensure_ascii=False))
