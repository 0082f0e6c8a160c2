"""Spreadsheet import and export of the duty matrix (django-import-export).

Rows are matched by code (tenures by position and start), foreign keys are written as codes,
and the columns are those of the scenario document (scenario.schema.json), so a sheet and a
JSON document say the same thing. An import is all or nothing: any invalid row rolls the whole
sheet back, and each problem names its row and column (`describe_errors`).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from import_export import fields, resources, widgets
from import_export.instance_loaders import CachedInstanceLoader, ModelInstanceLoader

from .models import Duty, DutyType, Person, Position, Region, RegionLevel, Sector, Tenure, Unit, UnitKind
from .spreadsheets import escape_text, unescape_text

SEPARATORS = re.compile(r"[,，;；|\s]+")


class CodeWidget(widgets.ForeignKeyWidget):
    """A foreign key written as the target's code; an unknown code is an error on that column."""

    def __init__(self, model, **kwargs):
        super().__init__(model, field="code", **kwargs)

    def clean(self, value, row=None, **kwargs):
        value = "" if value is None else str(value).strip()
        if not value:
            return None
        try:
            return self.get_queryset(value, row, **kwargs).get(code=value)
        except self.model.DoesNotExist:
            raise ValueError(f"找不到编码为“{value}”的{self.model._meta.verbose_name}") from None


class CodesWidget(widgets.ManyToManyWidget):
    """Several codes in one cell, separated by commas; an unknown code is an error on that column."""

    def __init__(self, model, **kwargs):
        super().__init__(model, separator=",", field="code", **kwargs)

    def codes(self, value) -> list[str]:
        if value is None:
            return []
        return [c for c in SEPARATORS.split(str(value).strip()) if c]

    def clean(self, value, row=None, **kwargs):
        codes = self.codes(value)
        if not codes:
            return self.model.objects.none()
        found = self.model.objects.filter(code__in=codes)
        missing = sorted(set(codes) - {obj.code for obj in found})
        if missing:
            raise ValueError(f"找不到编码为“{'、'.join(missing)}”的{self.model._meta.verbose_name}")
        return found

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return self.separator.join(sorted(obj.code for obj in value.all()))


class ChoiceWidget(widgets.Widget):
    """A choice by its stable code, or by its Chinese label as people type it."""

    def __init__(self, choices, **kwargs):
        self.by_label = {str(label): code for code, label in choices}
        self.labels = {code: str(label) for code, label in choices}
        self.codes = {code for code, _label in choices}
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs):
        value = "" if value is None else str(value).strip()
        if not value or value in self.codes:
            return value
        if value in self.by_label:
            return self.by_label[value]
        raise ValueError(f"“{value}”不是可选值，可选：{'、'.join(sorted(self.codes))}")

    def render(self, value, obj=None, **kwargs):
        return self.labels.get(value, value or "")


class TextWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        return "" if value is None else str(value).strip()


def code_field(attribute, model, column=None):
    return fields.Field(attribute=attribute, column_name=column or attribute, widget=CodeWidget(model))


def codes_field(attribute, model):
    return fields.Field(attribute=attribute, column_name=attribute, widget=CodesWidget(model))


def text_field(attribute):
    return fields.Field(attribute=attribute, column_name=attribute, widget=TextWidget())


def date_field(attribute):
    return fields.Field(attribute=attribute, column_name=attribute, widget=widgets.DateWidget("%Y-%m-%d"))


class DutyChainResource(resources.ModelResource):
    """Common rules: upsert by code, model validation on every row, all or nothing."""

    class Meta:
        abstract = True
        import_id_fields = ("code",)
        # One query for the rows a sheet already has, not one per row.
        instance_loader_class = CachedInstanceLoader
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def export(self, queryset=None, **kwargs):
        dataset = super().export(queryset, **kwargs)
        dataset.title = str(self._meta.model._meta.verbose_name_plural)[:31]  # the sheet's name
        return dataset

    def before_import(self, dataset, **kwargs):
        # Sheets written with the scenario's English field names still import.
        by_key = {name: field.column_name for name, field in self.fields.items()}
        dataset.headers = [by_key.get(h, h) if isinstance(h, str) else h for h in dataset.headers or []]
        super().before_import(dataset, **kwargs)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # Each error under the column's header, as the sheet shows it, not the model's field name.
        try:
            super().validate_instance(instance, import_validation_errors, validate_unique)
        except ValidationError as exc:
            headers = {name: field.column_name for name, field in self.fields.items()}
            raise ValidationError(
                {headers.get(name, name): messages for name, messages in exc.message_dict.items()}
            ) from None

    def export_field(self, field, instance, **kwargs):
        # Formula-like text (=, +, -, @, tab, CR) leaves as text, in CSV and Excel alike.
        return escape_text(super().export_field(field, instance, **kwargs))

    def before_import_row(self, row, **kwargs):
        for column, value in row.items():
            row[column] = unescape_text(value)

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):
        # One invalid row refuses the sheet: nothing of it is written.
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(
            dataset, dry_run=dry_run, raise_errors=raise_errors, use_transactions=True, **kwargs
        )

    def import_instance(self, instance, row, **kwargs):
        """As the library does, plus the many-to-many columns, so an unknown code there is a row error too."""
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        for field in self.get_import_fields():
            if isinstance(field.widget, widgets.ManyToManyWidget) and field.column_name in row:
                try:
                    field.clean(row)
                except ValueError as exc:
                    errors[field.column_name] = [str(exc)]
        if errors:
            raise ValidationError(errors)


class RegionResource(DutyChainResource):
    code = text_field("code")
    name = fields.Field(attribute="name", column_name="name", widget=TextWidget())
    level = fields.Field(attribute="level", column_name="level", widget=ChoiceWidget(RegionLevel.choices))
    parent = code_field("parent", Region)

    class Meta(DutyChainResource.Meta):
        model = Region
        fields = ("code", "name", "level", "parent")
        export_order = fields

    def get_queryset(self):
        return Region.objects.select_related("parent").order_by("path")


class SectorResource(DutyChainResource):
    code = text_field("code")
    name = fields.Field(attribute="name", column_name="name", widget=TextWidget())
    parent = code_field("parent", Sector)

    class Meta(DutyChainResource.Meta):
        model = Sector
        fields = ("code", "name", "parent")
        export_order = fields

    def get_queryset(self):
        return Sector.objects.select_related("parent").order_by("path")


class UnitResource(DutyChainResource):
    code = text_field("code")
    name = fields.Field(attribute="name", column_name="name", widget=TextWidget())
    kind = fields.Field(attribute="kind", column_name="kind", widget=ChoiceWidget(UnitKind.choices))
    region = code_field("region", Region)
    parent = code_field("parent", Unit)
    sectors = codes_field("sectors", Sector)

    class Meta(DutyChainResource.Meta):
        model = Unit
        fields = ("code", "name", "kind", "region", "parent", "sectors")
        export_order = fields

    def get_queryset(self):
        return (
            Unit.objects.select_related("region", "parent")
            .prefetch_related(Prefetch("sectors", queryset=Sector.objects.only("id", "code")))
            .order_by("path")
        )

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        # DESIGN §2: only an enterprise lists its sectors.
        if instance.kind and instance.kind != UnitKind.ENTERPRISE and "sectors" not in errors:
            if CodesWidget(Sector).codes(row.get("sectors")):
                errors["sectors"] = ["只有企业登记经营行业"]
        if errors:
            raise ValidationError(errors)


class PositionResource(DutyChainResource):
    code = text_field("code")
    title = fields.Field(attribute="title", column_name="title", widget=TextWidget())
    unit = code_field("unit", Unit)

    class Meta(DutyChainResource.Meta):
        model = Position
        fields = ("code", "title", "unit")
        export_order = fields

    def get_queryset(self):
        return Position.objects.select_related("unit").order_by("code")


class PersonResource(DutyChainResource):
    code = text_field("code")
    name = fields.Field(attribute="name", column_name="name", widget=TextWidget())
    email = fields.Field(attribute="email", column_name="email", widget=TextWidget())

    class Meta(DutyChainResource.Meta):
        model = Person
        fields = ("code", "name", "email")
        export_order = fields


class TenureResource(DutyChainResource):
    """Who held which post from when: a row is identified by its position and start."""

    person = code_field("person", Person)
    position = code_field("position", Position)
    start = date_field("start")
    end = date_field("end")

    class Meta(DutyChainResource.Meta):
        model = Tenure
        import_id_fields = ("position", "start")
        instance_loader_class = ModelInstanceLoader
        fields = ("person", "position", "start", "end", "document")
        export_order = fields

    def get_queryset(self):
        return Tenure.objects.select_related("person", "position").order_by("position__code", "start")

    def get_instance(self, instance_loader, row):
        # A row whose position or start is unreadable is a new row: its own validation names the column.
        try:
            return super().get_instance(instance_loader, row)
        except ValueError:
            return None


STORED_DUTY_TYPES = [
    c for c in DutyType.choices if c[0] in {v for v, _ in Duty._meta.get_field("type").choices}
]


class DutyResource(DutyChainResource):
    code = text_field("code")
    type = fields.Field(attribute="type", column_name="type", widget=ChoiceWidget(STORED_DUTY_TYPES))
    holder_position = code_field("holder_position", Position)
    holder_unit = code_field("holder_unit", Unit)
    sectors = codes_field("sectors", Sector)
    region = code_field("region", Region)
    enterprise = code_field("enterprise", Unit)
    start = date_field("start")
    end = date_field("end")
    basis = fields.Field(attribute="basis", column_name="basis", widget=TextWidget())

    class Meta(DutyChainResource.Meta):
        model = Duty
        fields = (
            "code",
            "type",
            "holder_position",
            "holder_unit",
            "sectors",
            "region",
            "enterprise",
            "start",
            "end",
            "basis",
        )
        export_order = fields

    def get_queryset(self):
        return (
            Duty.objects.select_related("holder_position", "holder_unit", "region", "enterprise")
            .prefetch_related(Prefetch("sectors", queryset=Sector.objects.only("id", "code")))
            .order_by("code")
        )


# The order a whole matrix is imported in: each sheet refers only to the ones before it.
RESOURCES = [
    ("regions", RegionResource),
    ("sectors", SectorResource),
    ("units", UnitResource),
    ("positions", PositionResource),
    ("people", PersonResource),
    ("tenures", TenureResource),
    ("duties", DutyResource),
]


def _use_chinese_headers() -> None:
    """Column headers are the matrix workbook's (one wording for both); e-mail is only here."""
    from .workbook import SHEETS

    headers = {sheet.section: {c.key: c.header for c in sheet.columns} for sheet in SHEETS}
    headers["people"]["email"] = "电子邮箱"
    for section, resource in RESOURCES:
        for name, field in resource.fields.items():
            field.column_name = headers[section].get(name, field.column_name)


_use_chinese_headers()


def describe_errors(result) -> list[str]:
    """One line per problem: the data row (and its line in the sheet, below the header) and the column."""
    lines = []
    for number, errors in result.row_errors():
        for error in errors:
            lines.append(f"第 {number} 行（表格第 {number + 1} 行）：{error.error}")
    for invalid in result.invalid_rows:
        for column, messages in invalid.error_dict.items():
            where = "（整行）" if column == "__all__" else f"“{column}”列"
            for message in messages:
                lines.append(f"第 {invalid.number} 行（表格第 {invalid.number + 1} 行）{where}：{message}")
    for error in result.base_errors:
        lines.append(f"整表：{error.error}")
    return lines
