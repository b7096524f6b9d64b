"""The policy as code: one rule per module, each with a stable code and finding ids.

Rules are pure: they read an encounter, the edits of one edition (through the
``EditLookup`` port) and the decisions earlier rules made, and return an ``Outcome``.
The engine (``rules.engine``) runs them in decision-table order and merges outcomes.
"""
