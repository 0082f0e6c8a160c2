import json

from django.core.management.base import BaseCommand, CommandError

from accountability.events import accident_event, hazard_event, load_accident, load_hazard
from accountability.grading import Grade
from accountability.models import Accident, Hazard
from responsibility.chain import EventScope, resolve_chain
from responsibility.management.dates import parse_day
from responsibility.models import Position, Region, Sector, Unit


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
        event = self._event(opts)
        links = resolve_chain(
            event["scope"],
            event["sector"],
            event["date"],
            event["grade"],
            since=event["since"],
            also_sectors=event["also_sectors"],
        )
        scope = event["scope"]
        result = {
            "enterprise": scope.enterprise.code if scope.enterprise else None,
            "region": scope.region.code,
            "sector": event["sector"].code,
            "date": event["date"].isoformat(),
            "grade": event["grade"],
        }
        if event["since"]:
            result["since"] = event["since"].isoformat()
        if event["also_sectors"]:
            result["also_sectors"] = [s.code for s in event["also_sectors"]]
        result["links"] = [link.as_codes() for link in links]
        if opts["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{event['title']}  {result['date']}  {event['sector'].name}")
        for link in links:
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

    def _event(self, opts):
        if (opts["accident"] or opts["hazard"]) and (opts["since"] or opts["also_sector"]):
            # An event carries its own period and sectors; mixing in others would trace something else.
            raise CommandError(
                "--since and --also-sector go with --enterprise or --region, not with an event"
            )
        try:
            if opts["accident"]:
                accident = load_accident(opts["accident"])
                traced = accident_event(accident)
                return {
                    "scope": traced.scope,
                    "sector": traced.sector,
                    "date": traced.on_date,
                    "grade": traced.grade,
                    "since": traced.since,
                    "also_sectors": traced.also_sectors,
                    "title": accident.title or accident.code,
                }
            if opts["hazard"]:
                hazard = load_hazard(opts["hazard"])
                traced = hazard_event(hazard)
                return {
                    "scope": traced.scope,
                    "sector": traced.sector,
                    "date": traced.on_date,
                    "grade": None,
                    "since": traced.since,
                    "also_sectors": traced.also_sectors,
                    "title": hazard.title or hazard.code,
                }
        except Accident.DoesNotExist:
            raise CommandError(f"--accident: no accident with code {opts['accident']!r}") from None
        except Hazard.DoesNotExist:
            raise CommandError(f"--hazard: no hazard with code {opts['hazard']!r}") from None

        for option in ("sector", "date"):
            if not opts[option]:
                raise CommandError(f"--{option} is required unless --accident or --hazard is given")
        if bool(opts["enterprise"]) == bool(opts["region"]):
            raise CommandError("give exactly one of --enterprise and --region")
        sector = _get(Sector.objects.all(), opts["sector"], "--sector")
        day = parse_day(opts["date"], "--date")
        since = parse_day(opts["since"], "--since") if opts["since"] else None
        if since and since > day:
            raise CommandError(f"--since: {since} is after --date {day}")
        also = [_get(Sector.objects.all(), code, "--also-sector") for code in opts["also_sector"]]
        if opts["enterprise"]:
            enterprise = _get(
                Unit.objects.enterprises().select_related("region"), opts["enterprise"], "--enterprise"
            )
            unit = _get(Unit.objects.all(), opts["unit"], "--unit") if opts["unit"] else None
            post = (
                _get(Position.objects.select_related("unit"), opts["post"], "--post")
                if opts["post"]
                else None
            )
            if unit and unit.enterprise_id != enterprise.pk:
                raise CommandError(f"--unit: {unit.code!r} is not part of enterprise {enterprise.code!r}")
            if post and post.unit.enterprise_id != enterprise.pk:
                raise CommandError(f"--post: {post.code!r} is not in enterprise {enterprise.code!r}")
            scope = EventScope(region=enterprise.region, enterprise=enterprise, unit=unit, post=post)
            title = enterprise.name
        else:
            if opts["unit"] or opts["post"]:
                raise CommandError("--unit and --post need --enterprise")
            region = _get(Region.objects.all(), opts["region"], "--region")
            scope = EventScope(region=region)
            title = region.name
        return {
            "scope": scope,
            "sector": sector,
            "date": day,
            "grade": opts["grade"],
            "since": since,
            "also_sectors": tuple(also),
            "title": title,
        }


def _get(queryset, code, option):
    try:
        return queryset.get(code=code)
    except queryset.model.DoesNotExist:
        raise CommandError(f"{option}: no {queryset.model._meta.model_name} with code {code!r}") from None
