"""调查报告提交 / 批复 / 回头看 on the workbench with the deadlines they move; a case that 回头看 reopened
answers to the 回头看's period: no 调查超期 flag, no overdue count on the dashboard, no reminder."""

import datetime as dt

from django.urls import reverse

from accountability import cases
from accountability.cases import ReviewEntry
from accountability.models import Accident, Case, ReminderKind
from accountability.reminders.due import SELECTORS
from accountability.selectors import overdue_investigations
from accountability.team_checks import case_deadlines
from tests.factories import opened_on, replied


def _workbench(client, case) -> str:
    return client.get(reverse("accountability:case_workbench", args=[case.code])).content.decode()


def _row(html: str, code: str) -> str:
    start = html.index(f'data-deadline="{code}"')
    return html[start : html.index("</tr>", start)]


def test_the_workbench_records_submission_and_reply_and_shows_the_deadlines_they_move(inspector):
    case = opened_on(cases.open_case(accident=Accident.objects.get(code="A0226")).case, dt.date(2024, 2, 27))
    html = _workbench(inspector, case)
    assert "已超期" in _row(html, "investigation")  # the demo's 2024 accident, no report yet
    url = reverse("accountability:case_report_dates", args=[case.code])
    response = inspector.post(url, {"report_submitted_on": "2024-04-20", "reply_on": "2024-05-01"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.report_submitted_on, case.reply_on) == (dt.date(2024, 4, 20), dt.date(2024, 5, 1))
    html = _workbench(inspector, case)
    assert "2024-04-20" in _row(html, "investigation") and "已办结" in _row(html, "investigation")
    assert "2024-05-05" in _row(html, "reply")  # 15 days after the submission (Art 32)
    assert "2025-05-01" in _row(html, "review")  # within a year of the 批复 (安全生产法 Art 86)
    assert "已超过调查期限" not in html


def test_a_reply_before_the_submission_is_refused_naming_the_field(inspector):
    case = opened_on(cases.open_case(accident=Accident.objects.get(code="A0226")).case, dt.date(2024, 2, 27))
    url = reverse("accountability:case_report_dates", args=[case.code])
    response = inspector.post(url, {"report_submitted_on": "2024-04-20", "reply_on": "2024-04-10"})
    assert response.status_code == 400
    assert "不能早于调查报告提交日期（2024-04-20）" in response.content.decode()
    refused = inspector.post(url, {"reply_on": "2024-04-10"})
    assert "尚未登记调查报告提交日期" in refused.content.decode()
    case.refresh_from_db()
    assert (case.report_submitted_on, case.reply_on) == (None, None)


def test_a_case_reopened_by_review_is_not_overdue_on_the_investigation_period(inspector):
    case = opened_on(cases.open_case(accident=Accident.objects.get(code="A0226")).case, dt.date(2024, 2, 27))
    action = cases.add_corrective_action(case=case, description="全面排查塔吊附着装置")
    # 回头看 (after the 批复) found the measure undone: the case is open again, the investigation period long past.
    replied(case, submitted=dt.date(2024, 4, 20), reply=dt.date(2024, 5, 10))
    cases.record_review(
        case=case,
        reviewed_on=dt.date(2025, 5, 1),
        entries=[ReviewEntry(carried_out=False, corrective_action=action, note="未落实")],
    )
    case = Case.objects.get(pk=case.pk)
    today = dt.date(2025, 6, 1)
    assert case.reopened_by_review and not case.is_investigation_overdue(today)
    assert overdue_investigations(Case.objects.all(), today) == []
    due = case.investigation_due
    assert SELECTORS[ReminderKind.CASE_INVESTIGATION](due, due) == []
    assert not next(d for d in case_deadlines(case, today) if d["code"] == "investigation")["late"]
    html = _workbench(inspector, case)
    assert 'id="reopened-by-review"' in html and "已超过调查期限" not in html
    assert "已超期" not in _row(html, "investigation")
    dashboard = inspector.get(reverse("accountability:dashboard")).content.decode()
    assert case.code not in dashboard and 'id="kpi-late-cases">0<' in dashboard


def test_an_open_case_past_its_period_is_still_overdue(inspector):
    case = opened_on(cases.open_case(accident=Accident.objects.get(code="A0226")).case, dt.date(2024, 2, 27))
    today = case.investigation_due + dt.timedelta(days=1)
    assert case.is_investigation_overdue(today)
    assert [c.code for c in overdue_investigations(Case.objects.all(), today)] == [case.code]
    due = case.investigation_due
    assert [i.case.code for i in SELECTORS[ReminderKind.CASE_INVESTIGATION](due, due)] == [case.code]
