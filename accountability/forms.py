"""Forms of the pages: they parse and show errors; every write goes through accountability/cases.py."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from responsibility.forms import DayField
from responsibility.models import DutyType, Track
from responsibility.permissions import Visibility
from responsibility.validators import MAX_COUNT

from .grading import Grade
from .measures import BY_CODE as MEASURE_KINDS
from .measures import CRIMINAL_ARTICLES
from .measures import choices as measure_choices
from .models import Category, Finding
from .pickers import PickField, scoped

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
REVISION_REASON_MAX = 97  # cases.conclusions.REASON_MAX: the history's change reason holds 100 characters


class TraceForm(forms.Form):
    """An accident, a hazard, or an enterprise with sector, day and grade (DESIGN §4 `trace`): the
    page's widgets; the rules between fields and the lookups are `accountability.tracing`'s."""

    accident = forms.CharField(
        label="事故编码",
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"list": "accident-codes"}),
    )
    hazard = forms.CharField(
        label="隐患编码",
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"list": "hazard-codes"}),
    )
    enterprise = forms.CharField(
        label="企业编码",
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"list": "enterprise-codes"}),
    )
    sector = forms.ChoiceField(label="行业领域", required=False)
    date = DayField(label="日期", required=False, widget=DATE_INPUT)
    grade = forms.ChoiceField(
        label="事故等级", required=False, choices=[("", "（无：按县级追溯）"), *Grade.choices]
    )
    since = DayField(
        label="隐患形成日期",
        required=False,
        widget=DATE_INPUT,
        help_text="填写后追溯 [隐患形成日期, 日期] 期间的历任责任人",
    )
    also_sector = forms.MultipleChoiceField(
        label="同时涉及的行业", required=False, widget=forms.SelectMultiple(attrs={"size": 3})
    )
    unit = forms.CharField(
        label="事发车间/班组",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"list": "pick-units", "data-pick": "units", "autocomplete": "off"}),
        help_text="名称或编码",
    )
    post = forms.CharField(
        label="事发岗位",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"list": "pick-positions", "data-pick": "positions", "autocomplete": "off"}
        ),
        help_text="名称或编码",
    )

    def __init__(self, *args, sectors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].choices = [("", "—")] + [(c, f"{n}（{c}）") for c, n in sectors]
        self.fields["also_sector"].choices = [(c, f"{n}（{c}）") for c, n in sectors]

    @property
    def mode(self) -> str | None:
        data = getattr(self, "cleaned_data", {})
        return next((n for n in ("accident", "hazard", "enterprise") if data.get(n)), None)


class FindingForm(forms.Form):
    # Starts with no outcome: an investigator chooses one, never accepts a default.
    finding = forms.ChoiceField(label="认定结论", choices=[("", "—请选择—"), *Finding.choices])
    category = forms.ChoiceField(
        label="责任类别",
        required=False,
        choices=[("", "—")] + Category.choices,
        help_text="负有责任（含已死亡免予追究）时必填",
    )
    grounds = forms.CharField(
        label="事实与依据",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="尽职免责须写明履职事实与依据",
    )
    no_measure_reason = forms.CharField(
        label="免予处理理由",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="负有责任而不给予处理措施的，须写明理由",
    )


class AmendForm(FindingForm):
    reason = forms.CharField(label="更正理由", widget=forms.Textarea(attrs={"rows": 2}))


class MeasureForm(forms.Form):
    kind = forms.ChoiceField(label="处理措施", required=False)
    detail = forms.CharField(label="具体内容", required=False, max_length=2000)
    period_months = forms.IntegerField(label="影响期（月）", required=False, min_value=1, max_value=600)
    amount_yuan = forms.DecimalField(
        label="金额（元）", required=False, max_digits=16, decimal_places=2, min_value=0
    )
    article = forms.ChoiceField(
        label="刑法条款",
        required=False,
        choices=[("", "—")] + [(code, f"第{code}条 {name}") for code, name in CRIMINAL_ARTICLES.items()],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "—")] + measure_choices()

    def as_measure(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("kind"):
            return None
        return {
            "kind": data["kind"],
            "detail": data.get("detail") or "",
            "period_months": data.get("period_months"),
            "amount_yuan": data.get("amount_yuan"),
            "article": data.get("article") or "",
        }

    def clean(self):
        data = super().clean()
        if not data.get("kind") and any(data.get(f) for f in ("detail", "amount_yuan", "article")):
            self.add_error("kind", "请选择处理措施")
        return data


MeasureFormSet = forms.formset_factory(MeasureForm, extra=3, max_num=10)


def measure_needs() -> dict[str, dict]:
    """For the page script: which measure kinds need an amount or an article."""
    return {
        code: {"amount": kind.needs_amount, "article": kind.needs_article, "person": kind.needs_person}
        for code, kind in MEASURE_KINDS.items()
    }


CORRECTION_FIELDS = ("replaces", "correction_reason")


class CorrectionFields(forms.Form):
    """Every form that adds a case entry also corrects one: opened with ?correct=<kind>-<id>, it comes filled
    with the entry's values and asks why; the entry is then withdrawn and the new one says it replaces it."""

    replaces = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    correction_reason = forms.CharField(
        label="更正理由", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields([name for name in self.fields if name not in CORRECTION_FIELDS])
        if not self.correcting:
            self.fields["correction_reason"].widget = forms.HiddenInput()

    @property
    def correcting(self) -> bool:
        return bool(self.data.get("replaces") if self.is_bound else self.initial.get("replaces"))

    def clean(self):
        data = super().clean()
        if data.get("replaces") and not (data.get("correction_reason") or "").strip():
            self.add_error("correction_reason", "更正须写明理由")
        return data

    def correction(self) -> dict:
        """The write_entry keywords."""
        return {
            "replaces": self.cleaned_data.get("replaces"),
            "reason": self.cleaned_data.get("correction_reason", ""),
        }


class RevisionReason(forms.Form):
    """A recorded conclusion (cause, nature, course, lessons) is changed or cleared only as a correction."""

    correction_reason = forms.CharField(
        label="更正理由",
        required=False,
        max_length=REVISION_REASON_MAX,
        help_text="修改或撤销已记录的内容时必填",
    )


class CauseForm(RevisionReason):
    cause = forms.CharField(label="事故（隐患）原因", widget=forms.Textarea(attrs={"rows": 4}))


class CorrectiveActionForm(CorrectionFields):
    description = forms.CharField(label="整改措施", widget=forms.Textarea(attrs={"rows": 2}))
    responsible = forms.CharField(label="责任单位/人", required=False, max_length=200)
    due_on = DayField(label="完成期限", required=False, widget=DATE_INPUT)


class CompleteActionForm(forms.Form):
    done_on = DayField(label="完成日期", widget=DATE_INPUT, initial=timezone.localdate)


class EducationForm(CorrectionFields):
    held_on = DayField(label="日期", widget=DATE_INPUT, initial=timezone.localdate)
    description = forms.CharField(label="警示教育内容", widget=forms.Textarea(attrs={"rows": 2}))
    participants = forms.IntegerField(label="参加人数", min_value=0, max_value=MAX_COUNT)


class AddSubjectForm(CorrectionFields):
    """An investigator names a subject the chain did not, always with the reason."""

    track = forms.ChoiceField(label="责任轨道", choices=Track.choices)
    types = forms.MultipleChoiceField(
        label="责任类型", choices=DutyType.choices, widget=forms.SelectMultiple(attrs={"size": 4})
    )
    unit = PickField(kind="units", label="单位", required=False, help_text="名称或编码")
    position = PickField(kind="positions", label="岗位", required=False, help_text="名称或编码")
    person = PickField(kind="people", label="人员", required=False, help_text="姓名或编码")
    reason = forms.CharField(label="增列理由", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, vis: Visibility, **kwargs):
        super().__init__(*args, **kwargs)
        # Only what the investigator may see: an unknown code and one outside scope read the same.
        self.fields["unit"].queryset = scoped(vis, "units").select_related("region")
        self.fields["position"].queryset = scoped(vis, "positions").select_related("unit__region")
        # People in scope, and people who hold no post anywhere (a landlord, a de facto controller).
        self.fields["person"].queryset = vis.actors()

    def clean(self):
        data = super().clean()
        if not self.errors and data.get("unit") is None and data.get("person") is None:
            if data.get("position") is None:
                raise ValidationError("增列的责任主体须有单位或人员")
        return data


MEASURE_KEY = re.compile(r"^measures\[(\d+)\]\.(\w+)$")


def apply_service_errors(form: forms.Form, error: ValidationError, measure_forms=()) -> None:
    """Show a service's ValidationError on the form: on the field it names, or above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, errors in error.error_dict.items():
        messages = ValidationError(errors).messages
        match = MEASURE_KEY.match(key)
        if match and int(match[1]) < len(measure_forms):
            target = measure_forms[int(match[1])]
            field = match[2] if match[2] in target.fields else None
            target.add_error(field, messages)
            if "处理措施有误，见下方标注" not in form.non_field_errors():
                form.add_error(None, "处理措施有误，见下方标注")
        elif key in form.fields and not form.fields[key].widget.is_hidden:
            form.add_error(key, messages)
        else:
            form.add_error(None, messages)
