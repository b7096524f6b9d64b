"""The compiled edition store: CMS tables as memory-mapped, key-sorted column arrays.

Layout of one edition directory (``<home>/editions/<program>-<quarter>/``, a link to
the directory of its latest import: ``registry``)::

    edition.json                 program, quarter, version, demo, row counts, sources,
                                 labels, each table's first effective date
    codes.npy                    the code universe: every distinct code, sorted int32 key
    <table>.key.npy              int64 sort key (pair or code key, see domain.codes)
    <table>.<column>.npy         one array per column, in key order
    <table>.parquet              the same rows for DuckDB / Spark (batch engines)

Opening an edition reads ``edition.json`` and memory-maps the arrays: milliseconds, and
no row is touched until a lookup asks for it.
"""
