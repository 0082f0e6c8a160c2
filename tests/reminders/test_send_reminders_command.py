"""`manage.py send_reminders [--dry-run] [--now …]`: one sweep by hand, printing what it sent."""

import pytest
from django.core.management import CommandError, call_command

from accountability.models import Case, Notification, ReminderLog


def run_command(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


def test_a_dry_run_prints_what_would_be_sent_and_sends_nothing(demo_county, rules):
    out = run_command("--dry-run", "--now", "2024-06-01")
    assert "提醒扫描 2024-06-01（演练，不发送）" in out
    assert (
        "[将发送] 隐患逾期未整改 · 隐患 H1 · 已逾期1天（期限 2024-05-31）→ 宋杰（p23）：整改责任岗位、企业主要负责人"
        in out
    )
    assert "将发送 2 条提醒。" in out
    assert not ReminderLog.objects.exists() and not Notification.objects.exists()


def test_it_sends_once_and_prints_what_it_sent(demo_county, rules):
    out = run_command("--now", "2024-06-30T07:30")
    assert (
        "[已送达] 隐患逾期升级至分管领导 · 隐患 H1 · 已逾期30天（期限 2024-05-31）→ 钱卫东（p08）：分管领导"
        in out
    )
    assert "新认领 5 条，送达 5 条，补发 0 条，立案 CASE-H-H1。" in out
    assert Case.objects.filter(hazard__code="H1").exists()
    assert "新认领 0 条，送达 0 条" in run_command("--now", "2024-06-30")
    assert Notification.objects.count() == 5


def test_a_bad_date_is_refused(db):
    with pytest.raises(CommandError, match="--now"):
        run_command("--now", "yesterday")
