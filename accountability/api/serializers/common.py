"""Fields and helpers shared by the accountability serializers: code references checked against the caller's scope."""

from __future__ import annotations

from django.core.validators import RegexValidator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from responsibility.models import PartyRole, Region, Sector
from responsibility.validators import text_problem

CODE_VALIDATOR = RegexValidator(r"^[A-Za-z0-9_.\-]+$", "编码只能包含字母、数字、下划线、点和短横线")


PARTY_ROLES = [c for c in PartyRole.choices if c[0] != PartyRole.MAIN]


MAX_COUNT = 1_000_000


def code_input(**kwargs) -> serializers.CharField:
    return serializers.CharField(max_length=64, validators=[CODE_VALIDATOR], **kwargs)


def money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0, **kwargs)


def username_of(user) -> str | None:
    return user.get_username() if user is not None else None


@extend_schema_field(OpenApiTypes.STR)
class CodeRefField(serializers.SlugRelatedField):
    """A reference by code; text no code can have (not a string, NUL) reads as unknown, never a 500."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if text_problem(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value="?")
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.STR)
class ScopedSlugField(CodeRefField):
    """A reference by code, looked up among what the caller may see: a code outside scope reads as unknown."""

    def __init__(self, scope, **kwargs):
        self.scope = scope
        super().__init__(queryset=None, **kwargs)

    def get_queryset(self):
        return self.scope(self.context["visibility"])


def _visible_enterprises(visibility):
    return visibility.enterprises()


def _visible_units(visibility):
    return visibility.units()


def _visible_positions(visibility):
    return visibility.positions().select_related("unit")


def _visible_actors(visibility):
    return visibility.actors()


def _all_sectors(visibility):
    return Sector.objects.all()


def _all_regions(visibility):
    return Region.objects.all()


class PartySerializer(serializers.Serializer):
    enterprise = ScopedSlugField(_visible_enterprises, help_text="在您权限范围内的企业")
    role = serializers.ChoiceField(choices=PARTY_ROLES)
    # DESIGN §5.12: where this party's own people were working (a contractor's crew), inside it
    unit = ScopedSlugField(
        _visible_units, required=False, allow_null=True, help_text="该相关企业内的作业车间/班组"
    )
    post = ScopedSlugField(
        _visible_positions, required=False, allow_null=True, help_text="该相关企业内的作业岗位"
    )

    def validate(self, attrs):
        errors = _outside_enterprise(attrs["enterprise"], unit=attrs.get("unit"), post=attrs.get("post"))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class ActorSerializer(serializers.Serializer):
    person = ScopedSlugField(_visible_actors, help_text="您可见的人员，或不在任何单位任职的人员")
    role = serializers.ChoiceField(choices=PARTY_ROLES)


def _outside_enterprise(enterprise, **references) -> dict:
    """Field errors for units or posts (by field name) that are not part of `enterprise`."""
    errors = {}
    for name, ref in references.items():
        owner = getattr(ref, "unit", ref)
        if ref is not None and (enterprise is None or owner.enterprise_id != enterprise.pk):
            errors[name] = f"{ref.code} 不属于企业 {enterprise.code if enterprise else '（未指定）'}"
    return errors
