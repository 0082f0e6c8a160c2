"""一案双查: open_case, findings and amendments, corrective actions, education, and the 四不放过 gate.

Writes only; reads are in selectors.py. Every service is keyword-only and atomic.

The services, by step: opening → findings → work → conclusions → closing. This package names them
all, so callers say `case_services.open_case(...)` whichever module holds it.
"""

from .closing import (
    CAUSE,
    EDUCATION,
    MEASURES,
    PEOPLE,
    CaseNotClosable,
    case_reopenings,
    close_case,
    closing_blockers,
    reopen_case,
)
from .conclusions import (
    HANDOVER_DECISION_DAYS,
    ReviewEntry,
    add_appraisal_period,
    end_appraisal_period,
    hand_over,
    record_conclusions,
    record_handover_decision,
    record_review,
    set_investigation_period,
    set_unit_problems,
)
from .corrections import (
    KIND_LABELS,
    KINDS,
    correct_entry,
    entry_of,
    withdraw_entry,
    write_entry,
)
from .findings import (
    PUBLIC_KINDS,
    amend_finding,
    check_decision,
    record_finding,
    subject_kind,
)
from .opening import (
    OpenedCase,
    add_subject,
    extend_case_to_grade,
    investigated_by_team,
    investigation_team,
    open_case,
    records_from_links,
)
from .team import change_lead, set_investigator, withdraw_investigator
from .timeline import record_report_dates
from .work import (
    add_corrective_action,
    complete_corrective_action,
    extend_investigation,
    record_cause,
    record_education,
)

__all__ = [
    "CAUSE",
    "CaseNotClosable",
    "EDUCATION",
    "HANDOVER_DECISION_DAYS",
    "KINDS",
    "KIND_LABELS",
    "MEASURES",
    "OpenedCase",
    "PEOPLE",
    "PUBLIC_KINDS",
    "ReviewEntry",
    "add_appraisal_period",
    "add_corrective_action",
    "add_subject",
    "amend_finding",
    "change_lead",
    "check_decision",
    "close_case",
    "closing_blockers",
    "complete_corrective_action",
    "correct_entry",
    "entry_of",
    "end_appraisal_period",
    "extend_case_to_grade",
    "extend_investigation",
    "hand_over",
    "investigated_by_team",
    "investigation_team",
    "open_case",
    "record_cause",
    "record_conclusions",
    "record_education",
    "record_finding",
    "record_handover_decision",
    "record_report_dates",
    "record_review",
    "records_from_links",
    "set_investigation_period",
    "set_investigator",
    "set_unit_problems",
    "subject_kind",
    "withdraw_investigator",
    "withdraw_entry",
    "reopen_case",
    "case_reopenings",
    "write_entry",
]
