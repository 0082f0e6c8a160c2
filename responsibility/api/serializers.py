"""Serializers of the duty matrix (read-only over the API: the matrix is edited in the admin)."""

from __future__ import annotations

import datetime as dt

from rest_framework import serializers

from responsibility.models import Duty, DutyType, Person, Position, Region, Sector, Track, Unit
from responsibility.validators import day_problem, moment_problem


class DayField(serializers.DateField):
    """A day within the product's calendar (responsibility.validators)."""

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        problem = day_problem(day)
        if problem:
            raise serializers.ValidationError(problem, code="out_of_range")
        return day


class MomentField(serializers.DateTimeField):
    """A time within the product's calendar; an offset is required (a naive time is read as China time)."""

    def to_internal_value(self, value):
        problem = moment_problem(_aware_or_none(value))
        if problem:
            raise serializers.ValidationError(problem, code="out_of_range")
        moment = super().to_internal_value(value)
        problem = moment_problem(moment)
        if problem:
            raise serializers.ValidationError(problem, code="out_of_range")
        return moment


def _aware_or_none(value):
    """The raw input as an aware time, checked before DRF converts it (year 1 at +08:00 would overflow)."""
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip().upper().replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else None
    return value if isinstance(value, dt.datetime) and value.tzinfo is not None else None


USER_ROLES = [
    ("admin", "安委办"),
    ("inspector", "纪检监察"),
    ("regulator", "监管人员"),
    ("enterprise", "企业用户"),
    ("none", "无角色"),
]


def code_field(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="code", read_only=True, **kwargs)


class NamedSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class RegionSerializer(serializers.ModelSerializer):
    parent = code_field(allow_null=True)

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent", "path"]


class SectorSerializer(serializers.ModelSerializer):
    parent = code_field(allow_null=True)

    class Meta:
        model = Sector
        fields = ["code", "name", "parent", "path"]


class UnitSerializer(serializers.ModelSerializer):
    region = code_field()
    parent = code_field(allow_null=True)
    enterprise = code_field(allow_null=True)
    sectors = code_field(many=True)

    class Meta:
        model = Unit
        fields = ["code", "name", "kind", "region", "parent", "enterprise", "sectors"]


class HolderSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    since = serializers.DateField()


class PositionSerializer(serializers.ModelSerializer):
    unit = code_field()
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    holder = serializers.SerializerMethodField(help_text="今日在任者；空缺为 null")

    class Meta:
        model = Position
        fields = ["code", "title", "unit", "unit_name", "holder"]

    def get_holder(self, position) -> HolderSerializer(allow_null=True):  # type: ignore[valid-type]
        tenure = next(iter(getattr(position, "current_tenures", ())), None)
        if tenure is None:
            return None
        return {"code": tenure.person.code, "name": tenure.person.name, "since": tenure.start}


class PersonSerializer(serializers.ModelSerializer):
    class Meta:
        model = Person
        fields = ["code", "name"]


class DutySerializer(serializers.ModelSerializer):
    type = serializers.ChoiceField(choices=DutyType.choices)
    type_label = serializers.SerializerMethodField()
    track = serializers.CharField(read_only=True)
    holder_position = code_field(allow_null=True)
    holder_unit = code_field(allow_null=True)
    unit = serializers.SerializerMethodField(help_text="负有该责任的单位（责任单位，或责任岗位所在单位）")
    sectors = serializers.SerializerMethodField()
    region = code_field(allow_null=True)
    enterprise = code_field(allow_null=True)

    class Meta:
        model = Duty
        fields = [
            "code",
            "type",
            "type_label",
            "track",
            "holder_position",
            "holder_unit",
            "unit",
            "sectors",
            "region",
            "enterprise",
            "start",
            "end",
            "basis",
        ]

    def get_sectors(self, duty) -> list[str]:
        return sorted(duty.sector_codes)

    def get_type_label(self, duty) -> str:
        return DutyType(duty.type).label

    def get_unit(self, duty) -> str:
        return duty.unit.code


# ---- the chain, as `manage.py trace --json` prints it -------------------------------------------------


class LinkSerializer(serializers.Serializer):
    track = serializers.ChoiceField(choices=Track.choices)
    type = serializers.ChoiceField(choices=DutyType.choices)
    unit = serializers.CharField(allow_null=True)
    position = serializers.CharField(allow_null=True)
    person = serializers.CharField(allow_null=True)
    vacant = serializers.BooleanField()
    enterprise = serializers.CharField(allow_null=True)
    role = serializers.CharField(allow_null=True)
    basis = serializers.CharField(allow_blank=True)
    source = serializers.CharField(allow_blank=True, help_text="依据的责任、许可、检查或技术服务文书编码")
    unknown = serializers.BooleanField(help_text="该日无人任职且任职记录未录入（未录入，而非空缺）")
    term = serializers.ChoiceField(
        choices=[("event_day", "事发当日"), ("earlier", "责任期间内此前")],
        help_text="event_day：事发当日在任；earlier：隐患形成以来的前任（见 from/to）",
    )

    def get_fields(self):
        # `from` and `to` (earlier links only) are Python keywords: declared here, not as attributes.
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False, help_text="前任在责任期间内的首日")
        fields["to"] = serializers.DateField(required=False, help_text="前任在责任期间内的末日")
        return fields


class NamedLinkSerializer(LinkSerializer):
    type_label = serializers.CharField()
    unit_name = serializers.CharField(allow_null=True)
    position_title = serializers.CharField(allow_null=True)
    person_name = serializers.CharField(allow_null=True)


def named_link(link) -> dict:
    return {
        **link.as_codes(),
        "type_label": link.type_label,
        "unit_name": link.unit.name if link.unit else None,
        "position_title": link.position.title if link.position else None,
        "person_name": link.person.name if link.person else None,
    }


# ---- me and my duty list (全员安全生产责任清单) ---------------------------------------------------------


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.ChoiceField(choices=USER_ROLES)
    person = PersonSerializer(allow_null=True)
    enterprises = NamedSerializer(many=True, help_text="企业用户：本企业")
    units = NamedSerializer(many=True, help_text="监管人员：所在部门/乡镇")
    regions = NamedSerializer(many=True, help_text="纪检监察：负责的区划")


class OwnDutySerializer(serializers.Serializer):
    code = serializers.CharField()
    type = serializers.ChoiceField(choices=DutyType.choices)
    type_label = serializers.CharField()
    sectors = serializers.ListField(child=serializers.CharField(), help_text="空 = 全部行业")
    start = serializers.DateField()
    end = serializers.DateField(allow_null=True)
    basis = serializers.CharField(allow_blank=True)


class DutyPostSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    unit = serializers.CharField()
    unit_name = serializers.CharField()
    holder = HolderSerializer(allow_null=True)
    vacant = serializers.BooleanField()
    duties = OwnDutySerializer(many=True)


class UnitDutiesSerializer(serializers.Serializer):
    unit = serializers.CharField()
    unit_name = serializers.CharField()
    duties = OwnDutySerializer(many=True)


class AnswerableSerializer(serializers.Serializer):
    sector = serializers.CharField()
    sector_name = serializers.CharField()
    links = NamedLinkSerializer(many=True)


class MyDutiesSerializer(serializers.Serializer):
    enterprise = NamedSerializer()
    date = serializers.DateField()
    positions = DutyPostSerializer(many=True, help_text="本企业每个岗位：今日在任者及其责任")
    unit_duties = UnitDutiesSerializer(many=True, help_text="由本企业内部单位（机构）承担的责任")
    answerable = AnswerableSerializer(
        many=True, help_text="按行业：对本企业负有监管、主管、属地和领导责任的单位与人员（今日）"
    )


# ---- coverage (责任真空 / 多头管理) ---------------------------------------------------------------------


class GapSerializer(serializers.Serializer):
    enterprise = serializers.CharField()
    sector = serializers.CharField()
    type = serializers.ChoiceField(choices=DutyType.choices)
    reason = serializers.ChoiceField(choices=["missing", "vacant"])


class OverlapSerializer(serializers.Serializer):
    region = serializers.CharField()
    sector = serializers.CharField()
    units = serializers.ListField(child=serializers.CharField())


class CoverageSerializer(serializers.Serializer):
    date = serializers.DateField()
    gaps = GapSerializer(many=True)
    overlaps = OverlapSerializer(many=True)


class MyDutiesQuerySerializer(serializers.Serializer):
    enterprise = serializers.RegexField(
        r"^[A-Za-z0-9_.\-]+$",
        max_length=64,
        required=False,
        help_text="企业编码（用户代表多个企业时；默认第一个）",
    )
    date = DayField(required=False, help_text="YYYY-MM-DD：按这一天的在岗人员和责任，默认今日")


class CoverageQuerySerializer(serializers.Serializer):
    date = DayField(required=False, help_text="YYYY-MM-DD，默认今日")
