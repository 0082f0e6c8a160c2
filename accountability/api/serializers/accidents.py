"""Serializers of accidents and their casualty revisions (补报)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from responsibility.api.serializers import MomentField, code_field
from responsibility.models import RegionLevel
from responsibility.permissions import request_visibility

from ...grading import Grade
from ...models import (
    Accident,
    CasualtyRevision,
)
from .common import (
    MAX_COUNT,
    ActorSerializer,
    PartySerializer,
    ScopedSlugField,
    _all_regions,
    _all_sectors,
    _outside_enterprise,
    _visible_enterprises,
    _visible_positions,
    _visible_units,
    code_input,
    money,
    username_of,
)


class RevisionSerializer(serializers.ModelSerializer):
    by = serializers.SerializerMethodField()

    class Meta:
        model = CasualtyRevision
        fields = [
            "id",
            "at",
            "by",
            "deaths_before",
            "deaths_after",
            "serious_injuries_before",
            "serious_injuries_after",
            "loss_before",
            "loss_after",
            "grade_before",
            "grade_after",
            "note",
        ]

    def get_by(self, obj) -> str | None:
        return username_of(obj.by)


class AccidentSerializer(serializers.ModelSerializer):
    enterprise = code_field(allow_null=True)
    region = code_field()
    sector = code_field()
    unit = code_field(allow_null=True)
    post = code_field(allow_null=True)
    event_day = serializers.DateField(read_only=True, help_text="事发日（北京时间）：责任认定之日")
    late_report = serializers.BooleanField(
        source="is_late_report", read_only=True, help_text="迟报（超过1小时）"
    )
    grade = serializers.ChoiceField(
        choices=Grade.choices, read_only=True, help_text="由伤亡和损失计算，不可填写"
    )
    investigation_level = serializers.ChoiceField(
        choices=RegionLevel.choices,
        allow_blank=True,
        read_only=True,
        help_text="提级调查：实际调查的层级（空 = 按事故等级）",
    )
    investigating_body = serializers.CharField(read_only=True, help_text="负责调查的机关，如 国务院")
    hazard_since = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="隐患形成日期：追溯 [hazard_since, 事发日] 期间的历任责任人",
    )
    also_sectors = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="code", help_text="同时涉及的行业，追溯时逐一计入"
    )
    parties = serializers.SerializerMethodField()
    actors = serializers.SerializerMethodField()

    class Meta:
        model = Accident
        fields = [
            "code",
            "title",
            "enterprise",
            "region",
            "sector",
            "unit",
            "post",
            "occurred_at",
            "reported_at",
            "event_day",
            "late_report",
            "deaths",
            "serious_injuries",
            "direct_loss_yuan",
            "grade",
            "investigation_level",
            "investigating_body",
            "hazard_since",
            "also_sectors",
            "parties",
            "actors",
        ]

    def _others(self, accident) -> tuple[list, list]:
        """The event's parties and actors this user may see (Visibility.visible_parties, as the page)."""
        visibility = request_visibility(self.context["request"])
        return visibility.visible_parties(accident.parties.all(), accident.actors.all())

    @extend_schema_field(PartySerializer(many=True))
    def get_parties(self, accident):
        parties, _actors = self._others(accident)
        return [
            {
                "enterprise": p.enterprise.code,
                "role": p.role,
                "unit": p.unit.code if p.unit else None,
                "post": p.post.code if p.post else None,
            }
            for p in parties
        ]

    @extend_schema_field(ActorSerializer(many=True))
    def get_actors(self, accident):
        _parties, actors = self._others(accident)
        return [{"person": a.person.code, "role": a.role} for a in actors]


class AccidentDetailSerializer(AccidentSerializer):
    revisions = RevisionSerializer(many=True, read_only=True)

    class Meta(AccidentSerializer.Meta):
        fields = [*AccidentSerializer.Meta.fields, "revisions"]


class AccidentCreateSerializer(serializers.Serializer):
    code = code_input(required=False, help_text="留空则自动编号")
    title = serializers.CharField(max_length=300, required=False, allow_blank=True)
    enterprise = ScopedSlugField(_visible_enterprises, required=False, allow_null=True)
    region = ScopedSlugField(_all_regions, required=False, help_text="省略时取事发企业的属地")
    sector = ScopedSlugField(_all_sectors)
    unit = ScopedSlugField(_visible_units, required=False, allow_null=True)
    post = ScopedSlugField(_visible_positions, required=False, allow_null=True)
    occurred_at = MomentField()
    reported_at = MomentField(required=False, allow_null=True)
    deaths = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, default=0)
    serious_injuries = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, default=0)
    direct_loss_yuan = money(default=0)
    investigation_level = serializers.ChoiceField(
        choices=RegionLevel.choices,
        required=False,
        allow_blank=True,
        help_text="提级调查：实际调查的层级，不得低于事故等级对应的层级（省略 = 按事故等级）",
    )
    parties = PartySerializer(many=True, required=False)
    actors = ActorSerializer(many=True, required=False)

    def validate(self, attrs):
        """The region defaults to the enterprise's 属地; the event must lie in the caller's scope."""
        enterprise, sector = attrs.get("enterprise"), attrs["sector"]
        region = attrs.get("region") or (enterprise.region if enterprise else None)
        if region is None:
            raise serializers.ValidationError({"region": "无事发企业时须给出事发区划"})
        attrs["region"] = region
        if not self.context["visibility"].sees_event(enterprise=enterprise, region=region, sector=sector):
            raise serializers.ValidationError({"region": "该区划和行业不在您的管辖范围内"})
        errors = _outside_enterprise(enterprise, unit=attrs.get("unit"), post=attrs.get("post"))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class CasualtiesSerializer(serializers.Serializer):
    """补报: the new totals (not increments); the grade follows."""

    deaths = serializers.IntegerField(min_value=0, max_value=MAX_COUNT)
    serious_injuries = serializers.IntegerField(min_value=0, max_value=MAX_COUNT)
    direct_loss_yuan = money()
    at = MomentField(required=False, help_text="补报时间，默认现在")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class CasualtiesResultSerializer(serializers.Serializer):
    revision = RevisionSerializer()
    accident = AccidentDetailSerializer()
