"""Units, posts and people typed into a form as a code or a name, looked up only among what the user may see.

A value that does not exist and one outside the user's scope get the same error (DESIGN §1), so a form
never reveals which. The JSON endpoint of views/lookup.py feeds the same querysets to the datalists.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from responsibility.permissions import Visibility

NOT_FOUND = "“{value}”不存在或不在您的查看范围内"
AMBIGUOUS = "有多个名为“{value}”的{noun}，请从提示中选择（按编码）"

# kind → (name field, noun)
KINDS = {
    "enterprises": ("name", "企业"),
    "units": ("name", "单位"),
    "positions": ("title", "岗位"),
    "people": ("name", "人员"),
}


def scoped(vis: Visibility, kind: str) -> QuerySet:
    """What a user may pick, per kind: the same lists as the API's references."""
    if kind == "enterprises":
        return vis.enterprises()
    if kind == "units":
        return vis.units()
    if kind == "positions":
        return vis.positions().select_related("unit")
    if kind == "people":
        return vis.people()
    raise ValueError(kind)


def search(qs: QuerySet, kind: str, text: str) -> QuerySet:
    """Rows whose code or name contains `text` (the search boxes and the autocomplete)."""
    name_field, _ = KINDS[kind]
    return qs.filter(Q(code__icontains=text) | Q(**{f"{name_field}__icontains": text}))


def label_of(obj, kind: str) -> str:
    if kind == "positions":
        return f"{obj.title}（{obj.unit.name}）"
    return obj.name


def pick(qs: QuerySet, kind: str, value: str):
    """The row whose code is `value`, else the only one with that exact name; None when there is none."""
    found = qs.filter(code=value).first()
    if found is not None:
        return found
    name_field, noun = KINDS[kind]
    named = list(qs.filter(**{name_field: value})[:2])
    if len(named) > 1:
        raise ValidationError(AMBIGUOUS.format(value=value, noun=noun))
    return named[0] if named else None


class PickField(forms.CharField):
    """A code or an exact name; the form sets `queryset` to the user's scope before validating."""

    def __init__(self, *, kind: str, **kwargs):
        kwargs.setdefault("max_length", 200)
        super().__init__(**kwargs)
        self.kind = kind
        self.queryset = None
        self.widget.attrs.update({"list": f"pick-{kind}", "data-pick": kind, "autocomplete": "off"})

    def clean(self, value):
        value = (super().clean(value) or "").strip()
        if not value:
            return None
        found = pick(self.queryset, self.kind, value) if self.queryset is not None else None
        if found is None:
            raise ValidationError(NOT_FOUND.format(value=value))
        return found


def in_scope_or_form_error(form: forms.Form, name: str, qs):
    """DESIGN §1: a code that does not exist and one outside scope get one and the same form error."""
    value = form.cleaned_data[name]
    found = qs.filter(code=value).first()
    if found is None:
        form.add_error(name, NOT_FOUND.format(value=value))
    return found


def picked(form: forms.Form, name: str, kind: str, qs):
    """A code or an exact name typed into `name`, looked up in `qs`; else the one form error."""
    value = (form.cleaned_data.get(name) or "").strip()
    if not value:
        return None
    try:
        found = pick(qs, kind, value)
    except ValidationError as exc:
        form.add_error(name, exc)
        return None
    if found is None:
        form.add_error(name, NOT_FOUND.format(value=value))
    return found
