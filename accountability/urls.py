"""The accountability pages (templates/accountability/)."""

from django.urls import path

from . import views, views_conclusions, views_directory, views_hazards

app_name = "accountability"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("trace/", views.trace, name="trace"),
    path("trace/json/", views.trace_json, name="trace_json"),
    path("accidents/", views.accident_list, name="accident_list"),
    path("accidents/ledger.xlsx", views.accident_ledger, name="accident_ledger"),
    path("accidents/<str:code>/", views.accident_detail, name="accident_detail"),
    path("hazards/", views.hazard_list, name="hazard_list"),
    path("hazards/ledger.xlsx", views.hazard_ledger, name="hazard_ledger"),
    path("hazards/new/", views_hazards.hazard_report, name="hazard_report"),
    path("hazards/<str:code>/", views_hazards.hazard_detail, name="hazard_detail"),
    path("hazards/<str:code>/plan/", views_hazards.hazard_plan, name="hazard_plan"),
    path("hazards/<str:code>/submit/", views_hazards.hazard_submit, name="hazard_submit"),
    path(
        "hazards/<str:code>/extension/",
        views_hazards.hazard_request_extension,
        name="hazard_request_extension",
    ),
    path("hazards/<str:code>/verify/", views_hazards.hazard_verify, name="hazard_verify"),
    path("hazards/<str:code>/reject/", views_hazards.hazard_reject, name="hazard_reject"),
    path("hazards/<str:code>/listing/", views_hazards.hazard_list_for_supervision, name="hazard_listing"),
    path(
        "hazards/<str:code>/extension/decide/",
        views_hazards.hazard_decide_extension,
        name="hazard_decide_extension",
    ),
    path("hazards/<str:code>/evidence/<int:pk>/", views_hazards.hazard_evidence, name="hazard_evidence"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/<str:code>/", views.enterprise_detail, name="enterprise_detail"),
    path("units/", views_directory.unit_list, name="unit_list"),
    path("units/<str:code>/", views_directory.unit_detail, name="unit_detail"),
    path("people/", views_directory.person_list, name="person_list"),
    path("people/<str:code>/", views_directory.person_detail, name="person_detail"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/open/", views.case_open, name="case_open"),
    path("cases/<str:code>/", views.case_workbench, name="case_workbench"),
    path("cases/<str:code>/cause/", views.case_cause, name="case_cause"),
    path("cases/<str:code>/actions/", views.case_action_add, name="case_action_add"),
    path("cases/<str:code>/actions/<int:pk>/done/", views.case_action_done, name="case_action_done"),
    path("cases/<str:code>/education/", views.case_education, name="case_education"),
    path("cases/<str:code>/subjects/", views.case_add_subject, name="case_add_subject"),
    path("cases/<str:code>/close/", views.case_close, name="case_close"),
    # The 调查结论 forms of the workbench (views_conclusions.py).
    path("cases/<str:code>/nature/", views_conclusions.case_nature_causes, name="case_nature_causes"),
    path("cases/<str:code>/course/", views_conclusions.case_course, name="case_course"),
    path("cases/<str:code>/lessons/", views_conclusions.case_lessons, name="case_lessons"),
    path("cases/<str:code>/problems/", views_conclusions.case_unit_problems, name="case_unit_problems"),
    path("cases/<str:code>/appraisal/", views_conclusions.case_appraisal_add, name="case_appraisal_add"),
    path(
        "cases/<str:code>/appraisal/<int:pk>/end/",
        views_conclusions.case_appraisal_end,
        name="case_appraisal_end",
    ),
    path("cases/<str:code>/handovers/", views_conclusions.case_handover, name="case_handover"),
    path(
        "cases/<str:code>/handovers/<int:pk>/decision/",
        views_conclusions.case_handover_decision,
        name="case_handover_decision",
    ),
    path("cases/<str:code>/review/", views_conclusions.case_review, name="case_review"),
    path("cases/<str:code>/records/<int:pk>/", views.record_detail, name="record_detail"),
    path("cases/<str:code>/report/", views.case_report, name="case_report"),
    path("cases/<str:code>/report.docx", views.case_report_docx, name="case_report_docx"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read/", views.notification_mark_read, name="notification_mark_read"),
]
