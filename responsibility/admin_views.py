"""The read-only "chain on a date" page of an enterprise (DESIGN §3), inside the admin.

Admin staff check a chain before anything happens: who would answer, on this day, in this sector,
for an event at this site and post, and where a post stands vacant.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django import forms
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from .chain import REACH_BY_GRADE, EventScope, Link, resolve_chain, track_label
from .forms import DayField
from .models import Duty, DutyType, Inspection, Permit, Person, Position, Sector, Unit

# Labels for the grades resolve_chain understands (§3.5); the values are REACH_BY_GRADE's keys.
GRADE_LABELS = {
    "general": "一般事故（县级调查）",
    "larger": "较大事故（设区的市级调查）",
    "major": "重大事故（省级调查）",
    "especially_major": "特别重大事故（国务院调查）",
}
assert set(GRADE_LABELS) == {g for g in REACH_BY_GRADE if g}


class ChainForm(forms.Form):
    sector = forms.ChoiceField(label="行业领域")
    date = DayField(
        label="日期",
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="事故发生日；隐患取整改期限",
    )
    grade = forms.ChoiceField(
        label="事故等级",
        required=False,
        choices=[("", "不分级（隐患，县级）"), *GRADE_LABELS.items()],
        help_text="决定监管链向上追溯到哪一级",
    )
    unit = forms.ChoiceField(label="事发车间/班组", required=False)
    post = forms.ChoiceField(label="事发岗位", required=False)

    def __init__(self, *args, enterprise: Unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.enterprise = enterprise
        own = list(enterprise.sectors.order_by("path"))
        own_ids = {s.pk for s in own}
        others = [s for s in Sector.objects.order_by("path") if s.pk not in own_ids]
        self._sectors = {s.code: s for s in own + others}
        self.fields["sector"].choices = [
            (label, [(s.code, str(s)) for s in group])
            for label, group in (("本企业经营行业", own), ("其他行业", others))
            if group
        ]
        units = list(Unit.objects.filter(enterprise=enterprise).order_by("path"))
        self._units = {u.code: u for u in units}
        self.fields["unit"].choices = [("", "—")] + [
            (u.code, "　" * (len(u.ancestor_codes()) - len(enterprise.ancestor_codes())) + str(u))
            for u in units
        ]
        posts = list(
            Position.objects.filter(unit__enterprise=enterprise)
            .select_related("unit")
            .order_by("unit__path", "code")
        )
        self._posts = {p.code: p for p in posts}
        self.fields["post"].choices = [("", "—")] + [(p.code, f"{p} — {p.unit.name}") for p in posts]

    @classmethod
    def defaults(cls, enterprise: Unit) -> dict:
        first = enterprise.sectors.order_by("path").values_list("code", flat=True).first()
        data = {"date": timezone.localdate().isoformat()}
        if first:
            data["sector"] = first
        return data

    def clean_sector(self) -> Sector:
        return self._sectors[self.cleaned_data["sector"]]

    def clean_grade(self) -> str | None:
        return self.cleaned_data["grade"] or None

    def clean_unit(self) -> Unit | None:
        return self._units.get(self.cleaned_data["unit"])

    def clean_post(self) -> Position | None:
        return self._posts.get(self.cleaned_data["post"])

    def resolve(self) -> list[Link]:
        data = self.cleaned_data
        scope = EventScope(
            region=self.enterprise.region, enterprise=self.enterprise, unit=data["unit"], post=data["post"]
        )
        return resolve_chain(scope, data["sector"], data["date"], data["grade"])


@dataclass(frozen=True)
class ChainRow:
    link: Link
    track: str
    unit_url: str | None
    position_url: str | None
    person_url: str | None
    source_url: str | None


# Where a link's `source` code lives: approval links come from permits, inspection links from
# inspections, actor links from the event; every other link from a stored duty.
SOURCE_MODEL = {DutyType.APPROVAL: Permit, DutyType.INSPECTION: Inspection, DutyType.ACTOR: None}


def _rows(links: list[Link], site_name: str) -> list[ChainRow]:
    """The links with admin URLs for their unit, position, person and source (one query per source model)."""

    def change_url(model, pk):
        if model is None or pk is None:
            return None
        return reverse(f"{site_name}:{model._meta.app_label}_{model._meta.model_name}_change", args=[pk])

    codes: dict[type, set[str]] = defaultdict(set)
    for link in links:
        model = SOURCE_MODEL.get(link.type, Duty)
        if model is not None:
            codes[model].add(link.source)
    pk_of = {
        (model, code): pk
        for model, model_codes in codes.items()
        for code, pk in model.objects.filter(code__in=model_codes).values_list("code", "pk")
    }
    rows = []
    for link in links:
        model = SOURCE_MODEL.get(link.type, Duty)
        rows.append(
            ChainRow(
                link=link,
                track=track_label(link.track),
                unit_url=change_url(Unit, link.unit.pk if link.unit else None),
                position_url=change_url(Position, link.position.pk if link.position else None),
                person_url=change_url(Person, link.person.pk if link.person else None),
                source_url=change_url(model, pk_of.get((model, link.source))),
            )
        )
    return rows


def chain_view(model_admin, request, object_id):
    """GET only: a form (sector, date, grade, site, post) and the resolved links in §3.6 order."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    enterprise = Unit.objects.select_related("region").filter(pk__in=_pk_or_none(unquote(object_id))).first()
    if enterprise is None or not enterprise.is_enterprise:
        raise Http404("没有这个企业")
    if not model_admin.has_view_permission(request, enterprise):
        raise PermissionDenied

    form = ChainForm(request.GET or ChainForm.defaults(enterprise), enterprise=enterprise)
    rows = _rows(form.resolve(), model_admin.admin_site.name) if form.is_valid() else None
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "app_label": opts.app_label,
        "original": enterprise,
        "title": f"{enterprise.name}：责任链查询",
        "subtitle": None,
        "form": form,
        "rows": rows,
        "grade_label": GRADE_LABELS.get(form.cleaned_data["grade"]) if rows is not None else None,
        "vacant_count": sum(1 for r in rows if r.link.vacant) if rows else 0,
        "has_view_permission": True,
    }
    return TemplateResponse(request, "admin/responsibility/unit/chain.html", context)


def _pk_or_none(value: str) -> list[int]:
    """A malformed id in the URL is a 404, not a 500."""
    try:
        return [int(value)]
    except (TypeError, ValueError):
        return []
