"""The server-rendered pages, one module per area (see accountability/urls.py).

Views are thin: scope comes from `request_visibility` (views/common.py), reads from selectors and the
chain, writes only through the services (accountability/cases/, accountability/hazards.py).
"""
