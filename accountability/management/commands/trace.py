import json

from django.core.management.base import BaseCommand, CommandError

from accountability.grading import Grade
from accountability.tracing import TraceRefused, TraceRequest, as_codes, resolve


class Command(BaseCommand):
    help = "The duty chain of an event on its day: both tracks, in DESIGN §3 order."

    def add_arguments(self, parser):
        parser.add_argument("--accident", help="trace this accident (its own scope, day and grade)")
        parser.add_argument("--hazard", help="trace this hazard (its deadline is the day)")
        parser.add_argument("--enterprise", help="enterprise code")
        parser.add_argument("--region", help="region code, for an event with no enterprise")
        parser.add_argument("--sector", help="sector code")
        parser.add_argument("--date", help="YYYY-MM-DD")
        parser.add_argument("--grade", choices=Grade.values)
        parser.add_argument("--unit", help="enterprise unit where it happened")
        parser.add_argument("--post", help="position (post) where it happened")
        parser.add_argument("--since", help="YYYY-MM-DD: the day the hazard came into being (DESIGN §5.1)")
        parser.add_argument(
            "--also-sector", action="append", default=[], help="a further sector of the event (repeatable)"
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        try:
            traced = resolve(TraceRequest.parse(opts))  # the command sees everything
        except TraceRefused as refused:
            raise CommandError(
                "; ".join(
                    f"--{name.replace('_', '-')}: {message}" for name, message in refused.errors.items()
                )
            ) from None
        if opts["json"]:
            self.stdout.write(json.dumps(as_codes(traced), ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{traced.title}  {traced.on_date.isoformat()}  {traced.sector.name}")
        for link in traced.links:
            who = (
                link.person.name
                if link.person
                else ("空缺" if link.vacant else "未录入" if link.unknown else "—")
            )
            if link.span:
                who += f"（在任期间 {link.span[0]:%Y-%m-%d} 至 {link.span[1]:%Y-%m-%d}）"
            where = " / ".join(
                x
                for x in [link.unit.name if link.unit else "", link.position.title if link.position else ""]
                if x
            )
            self.stdout.write(f"  [{link.track}] {link.type_label}: {where} {who}")
