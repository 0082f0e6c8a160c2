import json

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

    def handle(self, *args, accident=None, hazard=None, **options):
        try:
            if accident:
                opened = open_case(accident=Accident.objects.get(code=accident))
            else:
                opened = open_case(hazard=Hazard.objects.get(code=hazard))
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
