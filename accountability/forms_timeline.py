"""The workbench's 调查报告提交 / 批复 form (cases/timeline.py writes it)."""

from __future__ import annotations

from django import forms

from responsibility.forms import DayField

from .forms import DATE_INPUT


class ReportDatesForm(forms.Form):
    report_submitted_on = DayField(label="调查报告提交日期", required=False, widget=DATE_INPUT)
    reply_on = DayField(
        label="批复日期", required=False, widget=DATE_INPUT, help_text="批复后一年内须开展回头看"
    )

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("report_submitted_on") and not data.get("reply_on"):
            self.add_error("report_submitted_on", "请填写调查报告提交日期或批复日期")
        return data
