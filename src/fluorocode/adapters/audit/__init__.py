"""The audit trail: every check the service answers, kept durably in SQLite.

- ``records``: what one checked encounter leaves behind (``AuditRecord``);
- ``log``: the SQLite database, its group-commit writer thread and paged reads;
- ``export``: CSV and JSON lines.
"""
