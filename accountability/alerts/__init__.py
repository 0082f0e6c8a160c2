"""Patterns that escalate (DOMAIN.md): alert rules as data, alerts raised exactly once, whom they name.

Modules, in dependency order: rules (the defaults, at every level) → counting (what each rule finds on a
day: subjects, windows, evidence) → naming (whom an alert names, from the chain on the day it fires) →
firing (get-or-create under the unique (rule, subject, window), the evidence linked; the sweep's step and
the hooks of the writes that cross a threshold) → handling (约谈 held or closure decided, closed, dismissed).
"""

from .firing import check_accident, check_penalty, check_review, raise_alerts
from .handling import close_alert, dismiss_alert, handle_alert, record_penalty
from .rules import ensure_default_alert_rules

__all__ = [
    "check_accident",
    "check_penalty",
    "check_review",
    "close_alert",
    "dismiss_alert",
    "ensure_default_alert_rules",
    "handle_alert",
    "raise_alerts",
    "record_penalty",
]
