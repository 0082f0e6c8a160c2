"""The accountability pages (templates/accountability/)."""

from django.urls import path

from .views import cases, dashboard, directory, enterprises, hazards, ledgers, notifications, records, trace

app_name = "accountability"

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("trace/", trace.trace, name="trace"),
    path("trace/json/", trace.trace_json, name="trace_json"),
    path("accidents/", ledgers.accident_list, name="accident_list"),
    path("accidents/ledger.xlsx", ledgers.accident_ledger, name="accident_ledger"),
    path("accidents/<str:code>/", ledgers.accident_detail, name="accident_detail"),
    path("hazards/", ledgers.hazard_list, name="hazard_list"),
    path("hazards/ledger.xlsx", ledgers.hazard_ledger, name="hazard_ledger"),
    path("hazards/new/", hazards.hazard_report, name="hazard_report"),
    path("hazards/<str:code>/", hazards.hazard_detail, name="hazard_detail"),
    path("hazards/<str:code>/plan/", hazards.hazard_plan, name="hazard_plan"),
    path("hazards/<str:code>/submit/", hazards.hazard_submit, name="hazard_submit"),
    path(
        "hazards/<str:code>/extension/",
        hazards.hazard_request_extension,
        name="hazard_request_extension",
    ),
    path("hazards/<str:code>/verify/", hazards.hazard_verify, name="hazard_verify"),
    path("hazards/<str:code>/reject/", hazards.hazard_reject, name="hazard_reject"),
    path("hazards/<str:code>/listing/", hazards.hazard_list_for_supervision, name="hazard_listing"),
    path(
        "hazards/<str:code>/extension/decide/",
        hazards.hazard_decide_extension,
        name="hazard_decide_extension",
    ),
    path("hazards/<str:code>/evidence/<int:pk>/", hazards.hazard_evidence, name="hazard_evidence"),
    path("enterprises/", enterprises.enterprise_list, name="enterprise_list"),
    path("enterprises/<str:code>/", enterprises.enterprise_detail, name="enterprise_detail"),
    path("units/", directory.unit_list, name="unit_list"),
    path("units/<str:code>/", directory.unit_detail, name="unit_detail"),
    path("people/", directory.person_list, name="person_list"),
    path("people/<str:code>/", directory.person_detail, name="person_detail"),
    path("cases/", cases.case_list, name="case_list"),
    path("cases/open/", cases.case_open, name="case_open"),
    path("cases/<str:code>/", cases.case_workbench, name="case_workbench"),
    path("cases/<str:code>/cause/", cases.case_cause, name="case_cause"),
    path("cases/<str:code>/actions/", cases.case_action_add, name="case_action_add"),
    path("cases/<str:code>/actions/<int:pk>/done/", cases.case_action_done, name="case_action_done"),
    path("cases/<str:code>/education/", cases.case_education, name="case_education"),
    path("cases/<str:code>/subjects/", cases.case_add_subject, name="case_add_subject"),
    path("cases/<str:code>/close/", cases.case_close, name="case_close"),
    path("cases/<str:code>/records/<int:pk>/", records.record_detail, name="record_detail"),
    path("cases/<str:code>/report/", records.case_report, name="case_report"),
    path("cases/<str:code>/report.docx", records.case_report_docx, name="case_report_docx"),
    path("notifications/", notifications.notification_list, name="notification_list"),
    path("notifications/read/", notifications.notification_mark_read, name="notification_mark_read"),
]
