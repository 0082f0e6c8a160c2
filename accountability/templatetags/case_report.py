"""The conclusions panel of the case workbench: one query per list, whatever their length."""

from django import template

from ..selectors import case_conclusions

register = template.Library()


@register.inclusion_tag("accountability/_case_conclusions.html")
def case_conclusions_panel(case):
    return {"case": case, **case_conclusions(case)}
