"""Create the default alert rules (DOMAIN.md "Patterns that escalate") that are missing, at every level."""

from django.core.management.base import BaseCommand

from accountability.alerts import ensure_default_alert_rules


class Command(BaseCommand):
    help = (
        "创建缺少的默认预警规则（约谈、提请关闭、挂牌督办逾期、督查问题逾期、回头看未落实），各级区划各一套"
    )

    def handle(self, *args, **options):
        created = ensure_default_alert_rules()
        self.stdout.write(f"预警规则：新建 {created} 条")
