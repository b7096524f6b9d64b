"""The batch engines: months of claim lines checked set-wise (issue 10).

``duckdb_job`` (embedded, the default) and ``spark_job`` (clusters) apply the NCCI
tables to every encounter at once, decide in SQL the encounters no rule can speak to,
and hand the rest, encounter by encounter, to the very same rule engine ``check`` runs.
``inputs`` reads claim-line CSV/Parquet, JSON lines and 837 files (through
``adapters.claims.reader``); ``rows`` flattens reports into the output tables' rows;
``report_html`` draws the practice self-audit page.

This package touches files, DuckDB and Spark; it may import ``domain``, ``rules``,
``adapters.store`` and ``adapters.claims``, never ``api``, ``cli`` or ``service``.
"""
