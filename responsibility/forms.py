"""Forms of the responsibility pages."""

from __future__ import annotations

from django import forms

from .models import RegionLevel, Track

TRACK_CHOICES = [
    (Track.SUPERVISION, "监管责任（党政、属地、主管、监管）"),
    (Track.ENTERPRISE, "主体责任（企业内部）"),
    ("all", "全部"),
]


class MatrixForm(forms.Form):
    region = forms.ChoiceField(label="区划")
    date = forms.DateField(
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
