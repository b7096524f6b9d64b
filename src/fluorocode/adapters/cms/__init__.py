"""Readers of the official CMS files: one module per file format.

Every reader takes the file's bytes and a display name (inside a zip:
``archive.zip!member.TXT``) and returns a polars DataFrame with fixed, typed columns, rows
in file order (duplicates kept: they are edit history, domain.md §0.10). Anything malformed
raises :class:`fluorocode.errors.EditFileFormatError` naming the first bad physical line
(1-based; the sheet row for XLSX) and the column, by its output name.

============================  ===================================================
module                        reads
============================  ===================================================
``ptp_file``                  NCCI PTP tables ``ccipra``/``ccioph-vNNNrN-fK`` TXT, XLSX
``mue_file``                  MUE tables ``MCR_MUE_*_Eff_MM-DD-YYYY`` CSV, XLSX
``aoc_file``                  add-on code edits ``AOC_V2025Q4_01-MCR`` TXT, XLSX
``pfs_file``                  PFS relative value file ``PPRRVUyy_MON`` CSV, XLSX
``filenames``                 what a file is, from its CMS name (table, quarter, ...)
``archive``                   the members of a CMS zip, opened safely
============================  ===================================================

Shared machinery lives in private modules: ``_common`` (bytes to text, headers found by
meaning), ``_rules`` (vectorised validation, dates), ``_text`` (TAB and CSV rows with
their physical line numbers) and ``_sheet`` (XLSX sheets).

Sources: domain.md §6 (file formats) and §6.5 (real-data quirks).
"""
