"""Excel import and export in the admin (django-import-export), one mixin per model of the matrix.

An admin class adopts one by listing it first, e.g.::

    class RegionAdmin(RegionImportExportMixin, SimpleHistoryAdmin): ...

The import shows a dry-run preview; any invalid row refuses the whole sheet, and each error names
its row and column (see responsibility/resources.py).
"""

from __future__ import annotations

from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import SelectableFieldsExportForm

from .resources import (
    DutyResource,
    PersonResource,
    PositionResource,
    RegionResource,
    SectorResource,
    TenureResource,
    UnitResource,
)


class ChineseExportForm(SelectableFieldsExportForm):
    """Each column to export under its Chinese header, not the model's field name."""

    def _get_field_label(self, resource, field_name: str) -> str:
        field = resource.fields.get(field_name)
        return str(field.column_name) if field else field_name


class DutyChainImportExportMixin(ImportExportMixin):
    """Excel first (CSV as well); errors show the message and the offending row.

    The whole matrix as one workbook is on the admin index (responsibility/workbook.py)."""

    formats = [XLSX, CSV]
    export_form_class = ChineseExportForm
    import_error_display = ("message", "row")
    skip_admin_log = True  # history (simple_history) already records every row the import writes


class RegionImportExportMixin(DutyChainImportExportMixin):
    resource_classes = [RegionResource]


class SectorImportExportMixin(DutyChainImportExportMixin):
    resource_classes = [SectorResource]


class UnitImportExportMixin(DutyChainImportExportMixin):
    resource_classes = [UnitResource]


class PositionImportExportMixin(DutyChainImportExportMixin):
    resource_classes = [PositionResource]


class PersonImportExportMixin(DutyChainImportExportMixin):
    resource_classes = [PersonResource]


class TenureImportExportMixin(DutyChainImportExportMixin):
    resource_classes = [TenureResource]


class DutyImportExportMixin(DutyChainImportExportMixin):
    resource_classes = [DutyResource]


# Admin class name → the mixin it should list first.
ADMIN_MIXINS = {
    "RegionAdmin": RegionImportExportMixin,
    "SectorAdmin": SectorImportExportMixin,
    "UnitAdmin": UnitImportExportMixin,
    "PositionAdmin": PositionImportExportMixin,
    "PersonAdmin": PersonImportExportMixin,
    "TenureAdmin": TenureImportExportMixin,
    "DutyAdmin": DutyImportExportMixin,
}
