"""The admin of accountability, one module per model group; importing the package registers them all.

What is history stays history here. Hazard transitions, casualty revisions, a case's records and every
decision are read-only; a state change, a 补报, an extension, opening or closing a case, a finding and
its correction go through the services (hazards.py, accidents.py, cases/), called by admin actions
and add forms, so the admin enforces the same rules as the pages and the API and keeps the same trail.
Changelists read related rows with joins or one prefetch, never a query per row.
"""

from . import accidents, alerts, cases, hazards, records, reminders  # noqa: F401
