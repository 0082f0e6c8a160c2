"""Hazards, accidents, traces, 一案双查 cases and 终身追责 over the API.

Thin views: scope from `request_visibility` (computed once, applied as one subquery), writes through
the services (hazards.py, accidents.py, cases/), whose ValidationError becomes a 400 with
field-level messages (responsibility/api/exceptions.py).
"""
