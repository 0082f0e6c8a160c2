import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from responsibility.coverage import coverage_report
from responsibility.management.dates import parse_day


class Command(BaseCommand):
    help = (
        "责任真空与多头管理: required duty types with no holder or only vacant ones, and competent overlaps."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD (default: today)")
        parser.add_argument("--json", action="store_true", help="print JSON (DESIGN §4)")

    def handle(self, *args, date=None, **options):
        day = parse_day(date, "--date") if date else timezone.localdate()
        report = coverage_report(day)
        if options["json"]:
            self.stdout.write(_dumps(report.as_codes()))
            return
        self.stdout.write(f"责任覆盖检查 {day}：{len(report.gaps)} 处空白，{len(report.overlaps)} 处多头管理")
        for gap in report.gaps:
            reason = "无人负责" if gap.reason == "missing" else "岗位空缺"
            self.stdout.write(f"  {gap.enterprise.name} / {gap.sector.name} / {gap.type}: {reason}")
        for overlap in report.overlaps:
            names = "、".join(u.name for u in overlap.units)
            self.stdout.write(f"  多头管理 {overlap.region_code} / {overlap.sector.name}: {names}")


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
