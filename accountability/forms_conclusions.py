"""Forms of the workbench's 调查结论 panel: nature and causes, course, lessons, per-unit problems,
technical appraisal, hand-overs and their decisions, 回头看. They parse and show errors; every write
goes through accountability/cases.py (views_conclusions.py), the same service the API calls."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError

from responsibility.forms import DayField
from responsibility.models import CadreAuthority, DutyType, Track
from responsibility.permissions import Visibility
from responsibility.validators import validate_clean_text

from .forms import DATE_INPUT, CorrectionFields, RevisionReason
from .grading import INVESTIGATION_DAYS
from .measures import CRIMINAL_ARTICLES
from .measures import choices as measure_choices
from .measures import label_of as measure_label
from .models import CaseNature, Finding, InvestigatorRole
from .pickers import PickField, scoped

TEXT = {"rows": 4}


class NatureCausesForm(RevisionReason):
    """事故性质, 直接原因 and 间接原因 (record_conclusions)."""

    nature = forms.ChoiceField(
        label="事故性质", required=False, choices=[("", "—尚未认定—"), *CaseNature.choices]
    )
    direct_cause = forms.CharField(
        label="直接原因", required=False, max_length=20000, widget=forms.Textarea(attrs=TEXT)
    )
    indirect_cause = forms.CharField(
        label="间接原因", required=False, max_length=20000, widget=forms.Textarea(attrs=TEXT)
    )

    def clean(self):
        data = super().clean()
        if not self.errors and not any(data.get(f) for f in ("nature", "direct_cause", "indirect_cause")):
            self.add_error("direct_cause", "请填写事故性质或原因")
        return data


class CourseForm(RevisionReason):
    course_and_rescue = forms.CharField(
        label="事故发生经过和应急救援情况", max_length=50000, widget=forms.Textarea(attrs={"rows": 6})
    )


class LessonsForm(RevisionReason):
    lessons = forms.CharField(label="主要教训", max_length=20000, widget=forms.Textarea(attrs=TEXT))


class UnitProblemForm(forms.Form):
    """有关责任单位存在的主要问题: one text per unit; a second one for the unit replaces it."""

    unit = PickField(kind="units", label="责任单位", help_text="名称或编码")
    problems = forms.CharField(label="存在的主要问题", max_length=20000, widget=forms.Textarea(attrs=TEXT))

    def __init__(self, *args, vis: Visibility | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if vis is not None:
            # As the API: only units the investigator may see; unknown and out of scope read the same.
            self.fields["unit"].queryset = scoped(vis, "units")


class AppraisalForm(CorrectionFields):
    start = DayField(label="鉴定开始日期", widget=DATE_INPUT)
    end = DayField(label="鉴定结束日期", required=False, widget=DATE_INPUT, help_text="仍在进行的留空")
    subject = forms.CharField(label="鉴定事项", required=False, max_length=300)


class InvestigatorForm(forms.Form):
    """A member of the 调查组 (set_investigator): a unit of the matrix, or a body outside it by name; a
    second entry for the same member changes its role (never the 牵头's: that is `change_lead`)."""

    unit = PickField(kind="units", label="单位", required=False, help_text="名称或编码；矩阵外的机关不填")
    name = forms.CharField(
        label="矩阵外的机关或专家组",
        required=False,
        max_length=200,
        help_text="如 区人民检察院、事故技术专家组",
    )
    role = forms.ChoiceField(label="组内角色", choices=InvestigatorRole.choices)
    duty = forms.CharField(
        label="组内职责", required=False, max_length=300, help_text="如 派员参加，负责追责问责审查"
    )

    def __init__(self, *args, vis: Visibility | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if vis is not None:
            self.fields["unit"].queryset = scoped(vis, "units")

    def clean(self):
        data = super().clean()
        if not self.errors and (data.get("unit") is None) == (not (data.get("name") or "").strip()):
            self.add_error("unit", "须选择一个单位，或填写矩阵外机关（专家组）的名称，二者只填其一")
        return data


class TeamLeadForm(forms.Form):
    """更换牵头单位: explicit, with the reason (change_lead)."""

    member = forms.ChoiceField(label="新的牵头单位")
    reason = forms.CharField(label="更换理由", max_length=2000)

    def __init__(self, *args, team=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.team = {str(m.pk): m for m in team if m.unit_id and m.role != InvestigatorRole.LEAD}
        self.fields["member"].choices = [
            ("", "—请选择—"),
            *((pk, m.display_name) for pk, m in self.team.items()),
        ]


class WithdrawMemberForm(forms.Form):
    reason = forms.CharField(label="撤销理由", max_length=2000)


class InvestigationPeriodForm(forms.Form):
    """特别重大: the period the State Council sets (set_investigation_period)."""

    days = forms.IntegerField(
        label="国务院确定的调查期限（天，自事发日起）", min_value=INVESTIGATION_DAYS, max_value=3650
    )


class AppraisalEndForm(forms.Form):
    end = DayField(label="鉴定结束日期", widget=DATE_INPUT)


def record_label(record) -> str:
    snap = record.snapshot
    name = snap.get("person_name") or ("（空缺）" if record.vacant else "")
    place = "".join(x for x in (snap.get("unit_name", ""), snap.get("position_title", "")) if x)
    return f"{name}，{place}" if name and place else name or place


class HandOverForm(CorrectionFields):
    """问题线索移交: the responsible records, the receiving body (or the cadre authority that names it)."""

    records = forms.MultipleChoiceField(
        label="移交的责任人员", widget=forms.CheckboxSelectMultiple, help_text="只列认定负有责任的记录"
    )
    handed_on = DayField(label="移交日期", widget=DATE_INPUT)
    authority = forms.ChoiceField(
        label="干部管理权限", required=False, choices=[("", "—"), *CadreAuthority.choices]
    )
    receiving_body = forms.CharField(
        label="接收机关", required=False, max_length=200, help_text="留空按干部管理权限确定纪检监察机关"
    )
    decision_due = DayField(
        label="处理结果反馈期限", required=False, widget=DATE_INPUT, help_text="留空为移交后 90 日"
    )
    note = forms.CharField(label="说明", required=False, max_length=5000)

    def __init__(self, *args, records=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.responsible = {
            str(r.pk): r
            for r in records
            if r.current_decision is not None and r.current_decision.finding == Finding.RESPONSIBLE
        }
        self.fields["records"].choices = [(pk, record_label(r)) for pk, r in self.responsible.items()]

    def chosen_records(self) -> list:
        return [self.responsible[pk] for pk in self.cleaned_data["records"]]


class HandOverDecisionForm(forms.Form):
    """The decision that came back from the receiving body: the measure and its document number."""

    record = forms.ChoiceField(label="责任人员")
    kind = forms.ChoiceField(label="处理措施")
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
    document_number = forms.CharField(label="决定文号", max_length=200)
    decided_on = DayField(label="决定日期", widget=DATE_INPUT)
    correction_reason = forms.CharField(
        label="更正理由",
        required=False,
        max_length=5000,
        validators=[validate_clean_text],
        help_text="该人员已登记过处理结果的，再次登记即为更正，须写明理由",
    )

    def __init__(self, *args, handover=None, **kwargs):
        kwargs.setdefault("prefix", f"h{handover.pk}" if handover is not None else None)
        super().__init__(*args, **kwargs)
        self.handover = handover
        self.records = {str(r.pk): r for r in handover.records.all()} if handover is not None else {}
        self.fields["record"].choices = [(pk, record_label(r)) for pk, r in self.records.items()]
        self.fields["kind"].choices = [("", "—请选择—"), *measure_choices()]

    def measure(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "detail": data.get("detail") or "",
            "period_months": data.get("period_months"),
            "amount_yuan": data.get("amount_yuan"),
            "article": data.get("article") or "",
        }


CARRIED_OUT = [("yes", "已落实"), ("no", "未落实")]


def review_choices(actions, records) -> list[tuple[str, str]]:
    """What the 回头看 evaluates: each 整改措施建议 and each 处理建议 (a measure the finding proposed)
    once, with the decision that came back from its hand-over beside it (not as a second item)."""
    items = [(f"action-{a.pk}", f"整改措施：{a.description[:40]}") for a in actions]
    for record in records:
        decision = record.current_decision
        if decision is None:
            continue
        measures = list(decision.measures.all())
        decided = "；".join(
            f"{measure_label(m.kind)}（{m.document_number}）" for m in measures if m.handover_id
        )
        beside = f"——处理结果：{decided}" if decided else ""
        proposals = [m for m in measures if not m.handover_id]
        for measure in proposals:
            items.append(
                (
                    f"measure-{measure.pk}",
                    f"处理建议：{record_label(record)}，{measure_label(measure.kind)}{beside}",
                )
            )
        if not proposals and decided:
            # No proposal of its own: the decision that came back is what the 回头看 checks.
            first = next(m for m in measures if m.handover_id)
            items.append((f"measure-{first.pk}", f"处理结果：{record_label(record)}，{decided}"))
    return items


class ReviewForm(forms.Form):
    """回头看 (安全生产法 Art 86), one item at a time; an undone item may open a follow-up record."""

    reviewed_on = DayField(label="评估日期", widget=DATE_INPUT)
    item = forms.ChoiceField(label="评估事项")
    carried_out = forms.ChoiceField(label="是否落实", choices=CARRIED_OUT, widget=forms.RadioSelect)
    note = forms.CharField(label="评估说明", required=False, max_length=5000)
    follow_up = forms.BooleanField(label="未落实的，增列追责记录", required=False)
    track = forms.ChoiceField(label="责任轨道", required=False, choices=[("", "—"), *Track.choices])
    types = forms.MultipleChoiceField(
        label="责任类型",
        required=False,
        choices=DutyType.choices,
        widget=forms.SelectMultiple(attrs={"size": 3}),
    )
    unit = PickField(kind="units", label="单位", required=False, help_text="名称或编码")
    position = PickField(kind="positions", label="岗位", required=False, help_text="名称或编码")
    person = PickField(kind="people", label="人员", required=False, help_text="姓名或编码")

    FOLLOW_UP = ("track", "types", "unit", "position", "person")

    def __init__(self, *args, items=(), vis: Visibility | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", "—请选择—"), *items]
        if vis is not None:
            self.fields["unit"].queryset = scoped(vis, "units").select_related("region")
            self.fields["position"].queryset = scoped(vis, "positions").select_related("unit__region")
            self.fields["person"].queryset = vis.actors()

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data.get("follow_up"):
            if data.get("carried_out") == "yes":
                self.add_error("follow_up", "已落实的事项不增列追责记录")
            if not data.get("track"):
                self.add_error("track", "增列追责记录须选择责任轨道")
            if not data.get("types"):
                self.add_error("types", "增列追责记录须选择责任类型")
            if data.get("unit") is None and data.get("person") is None and data.get("position") is None:
                self.add_error("person", "增列追责记录须有单位或人员")
        elif any(data.get(f) for f in self.FOLLOW_UP):
            self.add_error("follow_up", "填写了追责主体，请勾选“增列追责记录”")
        return data

    def follow_up_subject(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("follow_up"):
            return None
        return {
            "track": data["track"],
            "types": data["types"],
            "unit": data.get("unit"),
            "position": data.get("position"),
            "person": data.get("person"),
        }


class WithdrawForm(forms.Form):
    """撤销 an entry of the case (corrections.py): the reason is required and kept."""

    reason = forms.CharField(label="撤销理由", max_length=5000, validators=[validate_clean_text])


MEASURE_KEY = re.compile(r"^measures\[\d+\]\.(\w+)$")
REVIEW_KEY = re.compile(r"^entries\[\d+\]$")


def show_service_errors(
    form: forms.Form, error: ValidationError, rename: dict[str, str] | None = None
) -> None:
    """A service's ValidationError on the field it names (a measure's `measures[0].kind` on `kind`,
    a renamed key on its form field), else above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, errors in error.error_dict.items():
        messages = ValidationError(errors).messages
        match = MEASURE_KEY.match(key)
        field = (rename or {}).get(key) or (match[1] if match else key)
        if REVIEW_KEY.match(key):
            field = "item"
        shown = field in form.fields and not form.fields[field].widget.is_hidden
        form.add_error(field if shown else None, messages)


def conclusion_forms(*, case, handovers, records, actions, bound: dict, team=()) -> dict:
    """The panel's forms: the one just refused (bound, with its errors) or a fresh one with today's
    values. A decision form hangs on its hand-over (`handover.decision_form`) for the table's rows."""
    refused = bound.get("decision_form")
    for handover in handovers:
        if refused is not None and refused.handover.pk == handover.pk:
            handover.decision_form = refused
        else:
            handover.decision_form = HandOverDecisionForm(handover=handover)
    return {
        "nature_form": bound.get("nature_form")
        or NatureCausesForm(
            initial={"nature": case.nature, "direct_cause": case.cause, "indirect_cause": case.indirect_cause}
        ),
        "course_form": bound.get("course_form")
        or CourseForm(initial={"course_and_rescue": case.course_and_rescue}),
        "lessons_form": bound.get("lessons_form") or LessonsForm(initial={"lessons": case.lessons}),
        "problem_form": bound.get("problem_form") or UnitProblemForm(),
        "appraisal_form": bound.get("appraisal_form") or AppraisalForm(),
        "appraisal_errors": bound.get("appraisal_errors"),
        "investigator_form": bound.get("investigator_form") or InvestigatorForm(),
        "lead_form": bound.get("lead_form") or TeamLeadForm(team=team),
        "team_errors": bound.get("team_errors"),
        "period_form": bound.get("period_form")
        or InvestigationPeriodForm(initial={"days": case.set_period_days or None}),
        "handover_form": bound.get("handover_form") or HandOverForm(records=records),
        "review_form": bound.get("review_form") or ReviewForm(items=review_choices(actions, records)),
    }
