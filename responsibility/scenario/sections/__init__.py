"""The sections of the scenario document this app owns, registered in the order they are written.

`accountability` registers hazards and accidents after these, from its AppConfig.
"""

from ..context import Section, register_section
from .duties import (
    _validate_certifications,
    _validate_duties,
    _validate_inspections,
    _validate_permits,
    _write_certifications,
    _write_duties,
    _write_inspections,
    _write_permits,
)
from .people import (
    _validate_people,
    _validate_positions,
    _validate_tenures,
    _write_people,
    _write_positions,
    _write_tenures,
)
from .trees import (
    _validate_regions,
    _validate_sectors,
    _validate_units,
    _write_regions,
    _write_sectors,
    _write_units,
)

for _name, _validate, _write in [
    ("regions", _validate_regions, _write_regions),
    ("sectors", _validate_sectors, _write_sectors),
    ("units", _validate_units, _write_units),
    ("positions", _validate_positions, _write_positions),
    ("people", _validate_people, _write_people),
    ("tenures", _validate_tenures, _write_tenures),
    ("duties", _validate_duties, _write_duties),
    ("permits", _validate_permits, _write_permits),
    ("inspections", _validate_inspections, _write_inspections),
    ("certifications", _validate_certifications, _write_certifications),
]:
    register_section(Section(_name, _validate, _write))
