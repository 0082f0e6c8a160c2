import getpass
import json

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accountability.cases import open_case
from accountability.models import Accident, Hazard
from accountability.selectors import case_as_codes


class Command(BaseCommand):
    help = "Open the 一案双查 case of an accident or an overdue hazard (idempotent: a second call returns the same case)."

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--accident", help="accident code")
        source.add_argument("--hazard", help="hazard code (must be overdue)")
        parser.add_argument("--json", action="store_true")
        parser.add_argument(
            "--by", help="username of the investigator opening the case (recorded as its opener)"
        )

    def handle(self, *args, accident=None, hazard=None, by=None, **options):
        user = None
        if by:
            user = get_user_model().objects.filter(username=by, is_active=True).first()
            if user is None:
                raise CommandError(f"--by: no active user {by!r}")
        # Without --by the history still says it came from the command line, and which OS account.
        reason = f"命令行 open_case（{_os_user() or '未知用户'}）"[:100]
        try:
            if accident:
                opened = open_case(
                    accident=Accident.objects.get(code=accident), by=user, change_reason=reason
                )
            else:
                opened = open_case(hazard=Hazard.objects.get(code=hazard), by=user, change_reason=reason)
        except Accident.DoesNotExist:
            raise CommandError(f"--accident: no accident with code {accident!r}") from None
        except Hazard.DoesNotExist:
            raise CommandError(f"--hazard: no hazard with code {hazard!r}") from None
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from None
        data = case_as_codes(opened.case)
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        verb = "opened" if opened.created else "already open"
        self.stdout.write(f"{data['case']} ({verb}): {len(data['records'])} records")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""
