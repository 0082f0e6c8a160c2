"""The scenario import (DESIGN §4): validate the whole document, then write it in one transaction.

Every refusal is one line naming the section, the item's code and the field. Items are upserted
by code, so importing the same document twice changes nothing; a code that is neither in the
document nor in the database is refused.

Sections are registered in order; `accountability` registers hazards and accidents from its
AppConfig so that this module never imports it (events point at duties, never the reverse).
"""

from .context import (
    CHANGE_REASON,
    MODEL_OF_SECTION,
    SECTIONS,
    ImportContext,
    Section,
    _check_period,
    money,
    parse_date,
    parse_datetime,
    register_section,
)
from .document import SCHEMA, check_schema, parse_document
from .errors import ScenarioError, item_label
from .run import import_document, import_scenario, import_scenario_file
from .writing import _new_pks, _sync_m2m, _upsert_flat, batches

__all__ = [
    "CHANGE_REASON",
    "MODEL_OF_SECTION",
    "SCHEMA",
    "SECTIONS",
    "ImportContext",
    "ScenarioError",
    "Section",
    "_check_period",
    "_new_pks",
    "_sync_m2m",
    "_upsert_flat",
    "batches",
    "check_schema",
    "import_document",
    "import_scenario",
    "import_scenario_file",
    "item_label",
    "money",
    "parse_date",
    "parse_datetime",
    "parse_document",
    "register_section",
]
