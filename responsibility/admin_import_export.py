"""Excel import and export in the admin (django-import-export), one mixin per model of the matrix.

An admin class adopts one by listing it first, e.g.::

    class RegionAdmin(RegionImportExportMixin, SimpleHistoryAdmin): ...

The import shows a dry-run preview; any invalid row refuses the whole sheet, and each error names
its row and column (see responsibility/resources.py).
"""

from __future__ import annotations

from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX

from .resources import (
    DutyResource,
    PersonResource,
    PositionResource,
    RegionResource,
    SectorResource,
    TenureResource,
    UnitResource,
)


class DutyChainImportExportMixin(ImportExportMixin):
    """Excel first (CSV as well); errors show the message and the offending row."""

    formats = [XLSX, CSV]
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
