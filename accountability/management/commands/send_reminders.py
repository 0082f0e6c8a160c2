import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from accountability.reminders.delivery import send_digests
from accountability.reminders.sweep import sweep
from responsibility.validators import DAY_MESSAGE, EARLIEST_DAY, LATEST_DAY


def parse_now(value: str) -> dt.datetime:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise ValueError(value)
        moment = dt.datetime.combine(day, dt.time(8, 0))
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = "Run one reminder sweep now and print what it sent (or, with --dry-run, would send)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="show what is due; claim and send nothing")
        parser.add_argument(
            "--now", help="the moment of the sweep, YYYY-MM-DD or YYYY-MM-DDTHH:MM (China time); default now"
        )
        parser.add_argument(
            "--queue",
            action="store_true",
            help="hand deliveries to the Celery workers instead of delivering them in this process",
        )
        parser.add_argument("--digest", action="store_true", help="also send the day's digest mails")

    def handle(self, *args, dry_run=False, now=None, queue=False, digest=False, **options):
        try:
            moment = parse_now(now) if now else timezone.now()
        except ValueError:
            raise CommandError(f"--now: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM, got {now!r}") from None
        # The sweep looks days ahead and back: a moment outside the calendar would compute past date.max.
        if not EARLIEST_DAY <= timezone.localtime(moment).date() <= LATEST_DAY:
            raise CommandError(f"--now: {DAY_MESSAGE}（{now!r}）")
        report = sweep(now=moment, dry_run=dry_run, dispatch="queue" if queue else "inline")
        mode = "演练，不发送" if dry_run else ("交由 Celery 送达" if queue else "本进程送达")
        self.stdout.write(f"提醒扫描 {report.day:%Y-%m-%d}（{mode}）")
        for line in report.lines():
            self.stdout.write(line)
        if dry_run:
            self.stdout.write(f"将发送 {len(report.sent)} 条提醒。")
            return
        self.stdout.write(
            f"新认领 {len(report.claimed_ids)} 条，送达 {report.delivered} 条，补发 {len(report.redelivered_ids)} 条"
            + (f"，立案 {', '.join(report.cases)}" if report.cases else "")
            + "。"
        )
        if digest:
            sent = send_digests(report.day)
            self.stdout.write(f"摘要邮件 {sum(1 for n in sent.values() if n)} 封。")
