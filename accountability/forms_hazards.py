"""Forms of the hazard pages: they parse and show errors; every write goes through accountability/hazards.py."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from responsibility.forms import DayField
from responsibility.models import Sector
from responsibility.permissions import Role, Visibility

from .evidence import ACCEPT
from .forms import DATE_INPUT
from .hazards import reportable_sources
from .models import Hazard, HazardLevel, HazardSource
from .pickers import PickField, scoped

TEXT = forms.Textarea(attrs={"rows": 2})


class HazardReportForm(forms.Form):
    """A new hazard: an enterprise user reports a 自查 hazard of their own enterprise."""

    title = forms.CharField(label="隐患描述", max_length=300)
    enterprise = PickField(kind="enterprises", label="企业（名称或编码）")
    sector = forms.ModelChoiceField(
        label="行业领域", queryset=Sector.objects.order_by("path"), to_field_name="code"
    )
    unit = PickField(kind="units", label="所在车间/班组", required=False)
    level = forms.ChoiceField(label="等级", choices=HazardLevel.choices)
    source = forms.ChoiceField(label="来源", choices=HazardSource.choices, initial=HazardSource.SELF_CHECK)
    found_on = DayField(label="发现日期", widget=DATE_INPUT, initial=timezone.localdate)
    deadline = DayField(label="整改期限", widget=DATE_INPUT)

    def __init__(self, *args, vis: Visibility, **kwargs):
        super().__init__(*args, **kwargs)
        self.vis = vis
        self.fields["enterprise"].queryset = scoped(vis, "enterprises")
        self.fields["unit"].queryset = scoped(vis, "units")
        if vis.role == Role.ENTERPRISE:
            # As the API: an enterprise reports only its own 自查 hazards.
            self.fields["source"].choices = [(s, HazardSource(s).label) for s in reportable_sources(vis.role)]
            own = list(vis.enterprises().order_by("code")[:2])
            if len(own) == 1:
                self.fields["enterprise"].initial = own[0].code

    def clean(self):
        data = super().clean()
        if data.get("enterprise") is not None:
            outside = Hazard(enterprise=data["enterprise"], unit=data.get("unit")).outside_enterprise()
            for name, message in outside.items():
                self.add_error(name, message)
        return data


class PlanForm(forms.Form):
    """五到位: measures, responsible post, funds and contingency plan (the deadline is the hazard's)."""

    measures = forms.CharField(label="整改措施", required=False, widget=TEXT, max_length=5000)
    responsible_position = PickField(kind="positions", label="整改责任岗位", required=False)
    funds_yuan = forms.DecimalField(
        label="整改资金（元）", required=False, min_value=0, max_digits=16, decimal_places=2
    )
    contingency_plan = forms.CharField(label="应急预案", required=False, widget=TEXT, max_length=5000)

    def __init__(self, *args, vis: Visibility, hazard, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["responsible_position"]
        field.queryset = scoped(vis, "positions").filter(unit__enterprise=hazard.enterprise_id)
        field.widget.attrs["data-enterprise"] = hazard.enterprise.code

    @staticmethod
    def plan_of(data: dict) -> dict:
        return {
            name: data[name]
            for name in ("measures", "responsible_position", "funds_yuan", "contingency_plan")
        }


class SubmitForm(forms.Form):
    evidence = forms.FileField(
        label="整改证明材料",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        help_text="JPG、PNG、PDF、DOCX、XLSX",
    )
    note = forms.CharField(label="整改情况说明", required=False, widget=TEXT, max_length=2000)


class ExtensionRequestForm(forms.Form):
    requested_deadline = DayField(label="申请延期至", widget=DATE_INPUT)
    reason = forms.CharField(label="延期理由", widget=TEXT, max_length=2000)


class VerifyForm(forms.Form):
    on = DayField(label="销号日期", required=False, widget=DATE_INPUT, help_text="默认今日")
    note = forms.CharField(label="核查意见", required=False, widget=TEXT, max_length=2000)


class RejectForm(forms.Form):
    reason = forms.CharField(label="退回理由", widget=TEXT, max_length=2000)


class ListingForm(forms.Form):
    """挂牌督办: a regulator lists in its own unit's name; 安委办 names the unit."""

    listing_unit = PickField(kind="units", label="挂牌督办单位")
    due_on = DayField(label="督办期限", widget=DATE_INPUT)
    document = forms.CharField(label="督办文号", required=False, max_length=200)

    def __init__(self, *args, vis: Visibility, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["listing_unit"]
        if vis.role == Role.REGULATOR:
            field.queryset = scoped(vis, "units").filter(pk__in=vis.unit_ids)
            own = list(field.queryset.order_by("code")[:1])
            if own:
                field.initial = own[0].code
        else:
            field.queryset = scoped(vis, "units").filter(enterprise__isnull=True)


class DecideExtensionForm(forms.Form):
    extension = forms.IntegerField(widget=forms.HiddenInput(), min_value=1)
    approve = forms.TypedChoiceField(
        label="审批结果", choices=[("1", "同意延期"), ("0", "不同意")], coerce=lambda v: v == "1"
    )
    note = forms.CharField(label="审批意见", required=False, widget=TEXT, max_length=2000)

    def clean_extension(self):
        value = self.cleaned_data["extension"]
        if value > 2**31 - 1:
            raise ValidationError("没有该延期申请")
        return value
