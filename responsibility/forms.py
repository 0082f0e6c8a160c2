"""Forms of the responsibility pages."""

from __future__ import annotations

from django import forms

from .models import RegionLevel, Track
from .validators import validate_day


class DayField(forms.DateField):
    """A day within the product's calendar: the page forms' twin of the API's DayField (one bound,
    responsibility.validators), so a form never accepts a date the API refuses."""

    default_validators = [validate_day]


TRACK_CHOICES = [
    (Track.SUPERVISION, "监管责任（党政、属地、主管、监管）"),
    (Track.ENTERPRISE, "主体责任（企业内部）"),
    ("all", "全部"),
]


class MatrixForm(forms.Form):
    region = forms.ChoiceField(label="区划")
    date = DayField(
        label="日期", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    track = forms.ChoiceField(label="责任", choices=TRACK_CHOICES, required=False)

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [
            (code, f"{RegionLevel(level).label} · {name}") for code, name, level in regions
        ]

    def clean_track(self):
        return self.cleaned_data.get("track") or Track.SUPERVISION


class WorkbookUploadForm(forms.Form):
    file = forms.FileField(label="责任矩阵工作簿（.xlsx）", help_text="先从本页导出，修改后再上传")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError("请上传 Excel 工作簿（.xlsx）")
        if upload.size > 20 * 1024 * 1024:
            raise forms.ValidationError("文件过大（上限 20 MB）")
        return upload
