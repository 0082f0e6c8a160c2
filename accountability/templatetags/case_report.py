"""The conclusions panel of the case workbench: one query per list, whatever their length."""

from django import template

from ..forms_conclusions import conclusion_forms
from ..selectors import case_conclusions

register = template.Library()


@register.inclusion_tag("accountability/_case_conclusions.html", takes_context=True)
def case_conclusions_panel(context, case):
    # The workbench has read the records (with their standing findings) and the corrective actions.
    records = [*context.get("enterprise_records", []), *context.get("supervision_records", [])]
    data = case_conclusions(case, records)
    forms = conclusion_forms(
        case=case,
        handovers=data["handovers"],
        records=records,
        actions=context.get("actions", []),
        bound=context.get("bound_forms") or {},
        team=data["team"],
    )
    return {
        "case": case,
        **data,
        **forms,
        "may_write": context.get("may_write"),
        "may_review": context.get("may_review"),
    }
