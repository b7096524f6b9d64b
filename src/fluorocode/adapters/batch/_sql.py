"""The set logic of a batch, as SQL both DuckDB and Spark SQL run (issue 10).

Every statement reads the views ``lines`` (one row per claim line, typed; see
``duckdb_job``), ``keys`` (program, claim type, date -> edition, fast), ``ptp``,
``mue``, ``aoc`` and ``codes`` (the edition tables, tagged with their edition index) and
``known_modifiers``. An encounter is ``ekey`` (claim id, date of service as written,
provider, source ordinal).

``CLAIM_EDITS`` finds the PTP rows in force between two codes of each encounter;
``routes`` then sends each encounter the engine's way or the ``edits`` way, and
everything else is ``clean`` (every line ``keep``, no finding).

An encounter is decided here, without the rule engine, only when no rule of
``rules.engine.RULES`` but NC01, NC03 and NC02 could emit anything for it; the
conditions, one per rule (the proof that the answer equals ``check``'s):

- input: every field has the exact shape ``parse_encounter`` accepts, lines within the
  cap, line numbers distinct, one place of service / claim type / program, and no
  documentation, billing or note column filled (those go to the engine whole);
- ED01 (demo), the coverage gap, NC02/NC03 ``no_data``: the edition key is ``fast``
  (``editions.EditionMap``);
- CL01: every code is in the edition's code universe and every modifier on the CMS list;
- FL01-FL06: no code of the fluoroscopy family (76000, 76001, 77001-77003) and no code
  the policy deletes, so no fluoroscopy rule has a line to look at (FL06 needs a note);
- CL02: four modifiers at most is part of the input shape, and no rule adds any;
- PY01 and the payer: the encounter's program has its built-in profile (NCCI as
  published: no extra bundles, the NCCI bypass modifiers, no MUE basis) --
  ``ptp_sql.programs``;
- NC01: either no in-force PTP row pairs two distinct codes, or the rows that do are
  *untangled*: each code a row names is on exactly one line, and no ordered pair of
  codes has two rows in force. Then every row meets one column-1 line and one
  column-2 line (one variant, one group) and gives exactly one finding (``ptp_sql``
  renders it: bundled, bypassed or modifier-required), in the order the engine reads
  the rows (column 1, then column 2); a line's action is the strongest of the rows it
  is column 2 of, and its one question stands unless it is removed;
- NC03 and NC02: decided in SQL on the lines NC01 leaves (``rule_sql``), when the
  store's rows are provably the ones read here: each code's MUE rows agree
  (``MUE_ROWS``), no add-on has two rows naming one primary (``AOC_ADDONS``).

An encounter with no PTP row between its codes, no code whose day's units exceed its
MUE (so no subset of its lines does either) and no add-on code is ``clean``; one with
any of them is route ``edits`` (NC01-NC03 in SQL: ``ptp_sql``, ``rule_sql``).

Anything else -- a code named by a PTP row on several lines, a pair with two rows in
force, odd edition rows -- goes to the engine (route ``engine``).
"""

from __future__ import annotations

#: One row per code of each encounter: its lines, its units, and the edition's key.
ENCOUNTER_CODES = """
SELECT l.ekey, l.code, k.edition, k.fast, l.ptp_table, l.mue_table, l.dosint,
       l.program_n, count(*) AS lines, sum(l.units) AS total
FROM lines l LEFT JOIN keys k
  ON k.program = l.program_n AND k.claim_type = l.claim_type_n AND k.dos = l.dos
GROUP BY l.ekey, l.code, k.edition, k.fast, l.ptp_table, l.mue_table, l.dosint,
         l.program_n
"""

#: The in-force PTP rows between two distinct codes of each ``fast`` encounter (the
#: row's rationale is read later, for the encounters decided here only: carried
#: through this join it would cost more than the join).
CLAIM_EDITS = """
SELECT a.ekey, a.edition, p.tbl, p.column1, p.column2, p.indicator, p.effective,
       p.deletion
FROM codes_of a
JOIN codes_of b ON a.ekey = b.ekey AND a.code <> b.code
JOIN ptp p ON p.column1 = a.code AND p.column2 = b.code
          AND p.edition = a.edition AND p.tbl = a.ptp_table
WHERE a.fast AND p.effective <= a.dosint AND (p.deletion >= a.dosint OR p.deletion = 0)
"""


def routes(programs: str) -> str:
    """One row per encounter that is not simply clean: ``(ekey, route, mue, addon)``,
    route ``engine`` or ``edits``; ``mue``: a code's units on the date exceed its MUE,
    ``addon``: a code is an add-on code (otherwise NC02, NC03 cannot speak to an
    ``edits`` encounter: ``rule_sql`` looks only where they are set). ``programs``:
    the quoted programs whose built-in payer profile lets NC01-NC03 be decided here
    (``ptp_sql.programs``). Reads ``codes_of``
    (``ENCOUNTER_CODES``), ``claim_edits``, ``mue_rows`` (``MUE_ROWS``) and
    ``aoc_addons`` (``AOC_ADDONS``)."""
    return f"""
WITH base AS (
  SELECT ekey FROM lines
  GROUP BY ekey
  HAVING NOT bool_and(code_ok AND mods_ok AND units_ok AND line_no IS NOT NULL
                      AND dos IS NOT NULL AND id_ok AND pos_ok AND type_ok AND plain
                      AND NOT special AND NOT mods_unknown)
      OR count(*) > max(cap)
      OR min(place_of_service) <> max(place_of_service)
      OR min(claim_type_n) <> max(claim_type_n)
      OR min(program_n) <> max(program_n)
),
repeated_line AS (
  SELECT DISTINCT ekey FROM lines GROUP BY ekey, line_no HAVING count(*) > 1
),
edition AS (
  SELECT DISTINCT ekey FROM codes_of WHERE fast IS NOT TRUE
),
unknown AS (
  SELECT DISTINCT e.ekey FROM codes_of e
  LEFT JOIN codes c ON c.edition = e.edition AND c.code = e.code
  WHERE c.code IS NULL
),
mue_hit AS (
  SELECT DISTINCT u.ekey, m.odd FROM codes_of u
  JOIN mue_rows m ON m.code = u.code AND m.edition = u.edition AND m.tbl = u.mue_table
  WHERE u.fast AND (u.total > m.value OR m.odd)
),
addon AS (
  SELECT DISTINCT d.ekey, a.odd FROM codes_of d
  JOIN aoc_addons a ON a.addon = d.code AND a.edition = d.edition
  WHERE d.fast
),
named AS (
  SELECT DISTINCT ekey, column1 AS code FROM claim_edits
  UNION SELECT DISTINCT ekey, column2 AS code FROM claim_edits
),
tangled AS (
  SELECT DISTINCT n.ekey FROM named n
  JOIN codes_of c ON c.ekey = n.ekey AND c.code = n.code
  WHERE c.lines > 1
  UNION
  SELECT DISTINCT ekey FROM claim_edits
  GROUP BY ekey, column1, column2 HAVING count(*) > 1
),
candidates AS (
  -- whether NC02 (a code over its MUE) or NC03 (an add-on code) could speak at all
  SELECT ekey, bool_or(mue) AS mue, bool_or(addon) AS addon FROM (
    SELECT DISTINCT ekey, false AS mue, false AS addon FROM claim_edits
    UNION ALL SELECT ekey, true, false FROM mue_hit
    UNION ALL SELECT ekey, false, true FROM addon
  ) c GROUP BY ekey
),
other_payer AS (
  SELECT DISTINCT c.ekey FROM codes_of c JOIN candidates d ON d.ekey = c.ekey
  WHERE c.program_n NOT IN ({programs})
),
engine AS (
  SELECT ekey FROM base
  UNION SELECT ekey FROM repeated_line
  UNION SELECT ekey FROM edition
  UNION SELECT ekey FROM unknown
  UNION SELECT ekey FROM mue_hit WHERE odd
  UNION SELECT ekey FROM addon WHERE odd
  UNION SELECT ekey FROM tangled
  UNION SELECT ekey FROM other_payer
)
SELECT ekey, 'engine' AS route, false AS mue, false AS addon FROM engine
UNION ALL
SELECT d.ekey, 'edits' AS route, d.mue, d.addon FROM candidates d
LEFT JOIN engine g ON g.ekey = d.ekey
WHERE g.ekey IS NULL
"""


#: One row per code of each MUE table: its value, MAI and rationale; ``odd`` when its
#: rows disagree, its MAI is not 1-3 or its rationale is missing (the store's row is
#: then not provably the one read here: such encounters go to the engine).
MUE_ROWS = """
SELECT edition, tbl, code, min(value) AS value, min(mai) AS mai,
       min(rationale) AS rationale,
       count(DISTINCT concat(CAST(value AS STRING), '|', CAST(mai AS STRING), '|',
                             coalesce(rationale, ''))) > 1
         OR min(mai) < 1 OR max(mai) > 3 OR count(rationale) < count(*) AS odd
FROM mue GROUP BY edition, tbl, code
"""

#: Each add-on code of each edition; ``odd`` when two of its rows name one primary or
#: a primary is not a code (the store orders an add-on's rows by primary, as a code:
#: otherwise that order is not provably ``primary_code``'s).
AOC_ADDONS = """
SELECT edition, addon, max(n) > 1 OR NOT bool_and(primary_ok) AS odd
FROM (
  SELECT edition, addon, primary_code, count(*) AS n,
         bool_and(length(primary_code) = 5 AND translate(primary_code,
           '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', '') = '') AS primary_ok
  FROM aoc GROUP BY edition, addon, primary_code
) r GROUP BY edition, addon
"""


#: The lines of the ``edits`` encounters, each with its index in the encounter (line
#: order, from 0, as the engine numbers them), its edition and its modifiers as
#: ``:XS:59:`` (so a modifier is ``LIKE '%:XS:%'``).
EDIT_LINES = """
SELECT l.ekey, l.claim_id, l.date_of_service, l.provider, l.place_of_service,
       l.program_n, l.code, l.line_no, l.modifiers, l.units, l.dosint, l.mue_table,
       k.edition, concat(':', coalesce(l.modifiers, ''), ':') AS mods,
       row_number() OVER (PARTITION BY l.ekey ORDER BY l.line_no) - 1 AS idx
FROM lines l
JOIN routes r ON r.ekey = l.ekey AND r.route = 'edits'
JOIN keys k ON k.program = l.program_n AND k.claim_type = l.claim_type_n
           AND k.dos = l.dos
"""

#: One row per edit row of an ``edits`` encounter, with its two lines (their number,
#: index and modifiers), and the finding's place among the encounter's.
PTP_FACTS = """
SELECT c.ekey, l1.claim_id, l1.date_of_service, l1.provider, l1.program_n AS program,
       c.edition, c.tbl, c.column1, c.column2, c.indicator, c.effective, c.deletion,
       p.rationale,
       l1.line_no AS line1, l1.idx AS idx1, l1.mods AS mods1,
       l2.line_no AS line2, l2.idx AS idx2, l2.mods AS mods2,
       row_number() OVER (PARTITION BY c.ekey ORDER BY c.column1, c.column2) - 1
         AS finding
FROM claim_edits c
JOIN edit_lines l1 ON l1.ekey = c.ekey AND l1.code = c.column1
JOIN edit_lines l2 ON l2.ekey = c.ekey AND l2.code = c.column2
JOIN ptp p ON p.edition = c.edition AND p.tbl = c.tbl AND p.column1 = c.column1
          AND p.column2 = c.column2 AND p.effective = c.effective
          AND p.deletion = c.deletion AND p.indicator = c.indicator
"""


class Dialect:
    """What the two engines spell differently in the output statements: lists."""

    def __init__(
        self,
        open_: str,
        close: str,
        empty_strings: str,
        ordered_list: str,
        joined: str,
    ) -> None:
        self._open, self._close = open_, close
        #: an empty list of strings
        self.empty_strings = empty_strings
        self._ordered_list = ordered_list
        self._joined = joined

    def of(self, *items: str) -> str:
        """A list of the SQL expressions ``items``."""
        return f"{self._open}{', '.join(items)}{self._close}"

    def ordered_list(self, value: str, order: str) -> str:
        """The aggregate: the group's ``value``s as a list, by ``order``."""
        return self._ordered_list.format(value=value, order=order)

    def joined(self, strings: str, separator: str) -> str:
        """A list of strings as one, ``separator`` between them."""
        return self._joined.format(strings=strings, separator=separator)


DUCKDB = Dialect(
    "[",
    "]",
    "[]::VARCHAR[]",
    # a sorted list of structs: 40% cheaper than ``list({value} ORDER BY {order})``
    "list_transform(list_sort(list({{'o': {order}, 'v': {value}}})), lambda x: x.v)",
    "array_to_string({strings}, {separator})",
)
SPARK = Dialect(
    "array(",
    ")",
    "CAST(array() AS ARRAY<STRING>)",
    "transform(array_sort(collect_list(struct({order} AS o, {value} AS v))), x -> x.v)",
    "array_join({strings}, {separator})",
)
