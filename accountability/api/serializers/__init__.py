"""Serializers of hazards, accidents, traces and 一案双查 cases.

Read serializers present codes; write serializers only parse and check references against the
caller's scope — the rules themselves live in the services (hazards.py, accidents.py, cases/).
"""
