"""更正 on the workbench: `?correct=<kind>-<id>` opens the form that added the entry, filled with its values.

The form then carries `replaces` (hidden) and asks for the 更正理由; its view writes through
`case_services.write_entry`, which withdraws the old entry and links the new one to it (cases/corrections.py).
"""

from __future__ import annotations

from . import cases as case_services
from .forms import AddSubjectForm, CorrectiveActionForm, EducationForm
from .forms_conclusions import AppraisalForm, HandOverForm

# The workbench form that adds each kind of entry, by the name the workbench's context gives it.
FORM_NAMES = {
    "handover": "handover_form",
    "appraisal": "appraisal_form",
    "education": "education_form",
    "action": "action_form",
    "subject": "subject_form",
}


def _initial(kind: str, entry) -> dict:
    if kind == "handover":
        return {
            "records": [str(pk) for pk in entry.records.values_list("pk", flat=True)],
            "handed_on": entry.handed_on,
            "authority": entry.authority,
            "receiving_body": entry.receiving_body,
            "decision_due": entry.decision_due,
            "note": entry.note,
        }
    if kind == "appraisal":
        return {"start": entry.start, "end": entry.end, "subject": entry.subject}
    if kind == "education":
        return {
            "held_on": entry.held_on,
            "description": entry.description,
            "participants": entry.participants,
        }
    if kind == "action":
        return {"description": entry.description, "responsible": entry.responsible, "due_on": entry.due_on}
    return {
        "track": entry.track,
        "types": list(entry.types),
        "unit": entry.unit_code,
        "position": entry.position_code,
        "person": entry.person_code,
        "reason": entry.added_reason,
    }


def correction_form(case, wanted: str, *, vis, records) -> dict:
    """{form name: the form filled for correcting the entry `wanted` names ("handover-12")}, or {} when it
    names nothing this case may correct (an unknown kind or id, another case's, or already withdrawn)."""
    kind, _, pk = (wanted or "").partition("-")
    if kind not in FORM_NAMES or not pk.isdigit() or case.is_closed:
        return {}
    entry = case_services.entry_of(case, kind, int(pk))
    if entry is None or (kind == "subject" and entry.origin != "added"):
        return {}
    initial = {**_initial(kind, entry), "replaces": entry.pk}
    if kind == "handover":
        form = HandOverForm(initial=initial, records=records)
    elif kind == "subject":
        form = AddSubjectForm(initial=initial, vis=vis)
    else:
        form = {"appraisal": AppraisalForm, "education": EducationForm, "action": CorrectiveActionForm}[kind](
            initial=initial
        )
    return {FORM_NAMES[kind]: form}
