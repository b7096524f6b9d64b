"""The edge of fluorocode: everything that touches files, archives, stores or networks.

Adapters turn outside material into values the pure core understands and back again:

- ``adapters.cms``: the official CMS NCCI and PFS files -> typed polars DataFrames, with
  exact errors naming file, line and column;
- ``adapters.store``: the compiled, memory-mapped edition store (implements
  ``domain.edits.EditLookup``);
- ``adapters.keys``: the service's API keys, stored hashed under the home directory;
- ``adapters.audit``: the audit trail of every check, in SQLite.

Adapters may import ``domain`` and ``errors`` (and third-party I/O libraries such as
polars); the core never imports an adapter (import-linter contract in pyproject.toml).
"""
