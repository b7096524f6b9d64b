"""The set logic of a batch, as SQL both DuckDB and Spark SQL run (issue 10).

Every statement reads the views ``lines`` (one row per claim line, typed; see
``duckdb_job``), ``keys`` (program, claim type, date -> edition, fast), ``ptp``,
``mue``, ``aoc`` and ``codes`` (the edition tables, tagged with their edition index) and
``known_modifiers``. An encounter is ``ekey`` (claim id, date of service as written,
provider, source ordinal).

``CLAIM_EDITS`` finds the PTP rows in force between two codes of each encounter;
``routes`` then sends each encounter one of three ways, and everything else is
``clean`` (every line ``keep``, no finding).

An encounter is decided here, without the rule engine, only when no rule of
``rules.engine.RULES`` but NC01 could emit anything for it; the conditions, one per
rule (the proof that the answer equals ``check``'s):

- input: every field has the exact shape ``parse_encounter`` accepts, lines within the
  cap, line numbers distinct, one place of service / claim type / program, and no
  documentation, billing or note column filled (those go to the engine whole);
- ED01 (demo), the coverage gap, NC02/NC03 ``no_data``: the edition key is ``fast``
  (``editions.EditionMap``);
- CL01: every code is in the edition's code universe and every modifier on the CMS list;
- FL01-FL06: no code of the fluoroscopy family (76000, 76001, 77001-77003) and no code
  the policy deletes, so no fluoroscopy rule has a line to look at (FL06 needs a note);
- NC02: each code's units summed over the encounter are within its MUE (so is every
  line, and any subset of the lines: whatever NC01 removes);
- NC03: every add-on code with an AOC row in force on the date has another line whose
  code is one of its listed primaries (nothing is removed on such an encounter, so
  every line is live); an encounter NC01 speaks to has no add-on code at all (a
  removed line could be an add-on's only primary);
- CL02: four modifiers at most is part of the input shape, and no rule adds any;
- PY01 and the payer: the encounter's program has its built-in profile (NCCI as
  published: no extra bundles, the NCCI bypass modifiers) -- ``ptp_sql.programs``;
- NC01: either no in-force PTP row pairs two distinct codes (``clean``), or the rows
  that do are *untangled* (route ``ptp``): each code a row names is on exactly one
  line, and no ordered pair of codes has two rows in force. Then every row meets one
  column-1 line and one column-2 line (one variant, one group) and gives exactly one
  finding (``ptp_sql`` renders it: bundled, bypassed or modifier-required), in the
  order the engine reads the rows (column 1, then column 2); a line's action is the
  strongest of the rows it is column 2 of, and its one question stands unless it is
  removed.

Anything else -- a code on several lines, a pair with two rows in force, an add-on
beside an edit -- goes to the engine (route ``engine``).
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


def routes(ptp_programs: str) -> str:
    """One row per encounter that is not simply clean: ``(ekey, route)``, route
    ``engine`` or ``ptp``. ``ptp_programs``: the quoted programs whose built-in payer
    profile lets NC01 be decided here (``ptp_sql.programs``). Reads ``codes_of``
    (``ENCOUNTER_CODES``) and ``claim_edits``."""
    return f"""
WITH base AS (
  SELECT ekey FROM lines
  GROUP BY ekey
  HAVING NOT bool_and(code_ok AND mods_ok AND units_ok AND line_no IS NOT NULL
                      AND dos IS NOT NULL AND id_ok AND pos_ok AND type_ok AND plain)
      OR count(*) > max(cap)
      OR min(place_of_service) <> max(place_of_service)
      OR min(claim_type_n) <> max(claim_type_n)
      OR min(program_n) <> max(program_n)
      OR bool_or(special)
      OR bool_or(mods_unknown)
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
  SELECT DISTINCT u.ekey FROM codes_of u
  JOIN mue m ON m.code = u.code AND m.edition = u.edition AND m.tbl = u.mue_table
  WHERE u.fast AND u.total > m.value
),
addon AS (
  SELECT DISTINCT d.ekey, d.code, d.edition, a.primary_code
  FROM codes_of d JOIN aoc a ON a.addon = d.code AND a.edition = d.edition
  WHERE d.fast
    AND (a.effective IS NULL OR a.effective <= d.dosint)
    AND (a.deletion IS NULL OR a.deletion >= d.dosint)
),
addon_lines AS (
  SELECT DISTINCT l.ekey, l.line_no, l.code
  FROM lines l JOIN (SELECT DISTINCT ekey, code FROM addon) a
    ON a.ekey = l.ekey AND a.code = l.code
),
aoc_ok AS (
  SELECT DISTINCT al.ekey, al.line_no
  FROM addon_lines al
  JOIN addon a ON a.ekey = al.ekey AND a.code = al.code
  JOIN lines o ON o.ekey = al.ekey AND o.code = a.primary_code AND o.line_no <> al.line_no
),
aoc_hit AS (
  SELECT DISTINCT al.ekey FROM addon_lines al
  LEFT JOIN aoc_ok k ON k.ekey = al.ekey AND k.line_no = al.line_no
  WHERE k.ekey IS NULL
),
edited AS (
  SELECT DISTINCT ekey FROM claim_edits
),
edited_codes AS (
  SELECT c.* FROM codes_of c JOIN edited e ON e.ekey = c.ekey
),
addon_beside_edit AS (
  SELECT DISTINCT d.ekey FROM edited_codes d
  JOIN (SELECT DISTINCT edition, addon FROM aoc) a
    ON a.addon = d.code AND a.edition = d.edition
),
named AS (
  SELECT DISTINCT ekey, column1 AS code FROM claim_edits
  UNION SELECT DISTINCT ekey, column2 AS code FROM claim_edits
),
tangled AS (
  SELECT DISTINCT n.ekey FROM named n
  JOIN edited_codes c ON c.ekey = n.ekey AND c.code = n.code
  WHERE c.lines > 1
  UNION
  SELECT DISTINCT ekey FROM claim_edits
  GROUP BY ekey, column1, column2 HAVING count(*) > 1
),
other_payer AS (
  SELECT DISTINCT ekey FROM edited_codes WHERE program_n NOT IN ({ptp_programs})
),
engine AS (
  SELECT ekey FROM base
  UNION SELECT ekey FROM repeated_line
  UNION SELECT ekey FROM edition
  UNION SELECT ekey FROM unknown
  UNION SELECT ekey FROM mue_hit
  UNION SELECT ekey FROM aoc_hit
  UNION SELECT ekey FROM addon_beside_edit
  UNION SELECT ekey FROM tangled
  UNION SELECT ekey FROM other_payer
)
SELECT ekey, 'engine' AS route FROM engine
UNION ALL
SELECT d.ekey, 'ptp' AS route FROM edited d
LEFT JOIN engine g ON g.ekey = d.ekey
WHERE g.ekey IS NULL
"""


#: One row per edit row of a ``ptp`` encounter, with its two lines: their number, their
#: index in the encounter (line order, from 0), their modifiers as ``:XS:59:`` (so a
#: modifier is ``LIKE '%:XS:%'``), and the finding's place among the encounter's.
PTP_FACTS = """
WITH dl AS (
  SELECT l.ekey, l.claim_id, l.date_of_service, l.provider, l.program_n, l.code,
         l.line_no, concat(':', coalesce(l.modifiers, ''), ':') AS mods,
         row_number() OVER (PARTITION BY l.ekey ORDER BY l.line_no) - 1 AS idx
  FROM lines l JOIN routes r ON r.ekey = l.ekey AND r.route = 'ptp'
)
SELECT c.ekey, l1.claim_id, l1.date_of_service, l1.provider, l1.program_n AS program,
       c.edition, c.tbl, c.column1, c.column2, c.indicator, c.effective, c.deletion,
       p.rationale,
       l1.line_no AS line1, l1.idx AS idx1, l1.mods AS mods1,
       l2.line_no AS line2, l2.idx AS idx2, l2.mods AS mods2,
       row_number() OVER (PARTITION BY c.ekey ORDER BY c.column1, c.column2) - 1
         AS finding
FROM claim_edits c
JOIN routes r ON r.ekey = c.ekey AND r.route = 'ptp'
JOIN dl l1 ON l1.ekey = c.ekey AND l1.code = c.column1
JOIN dl l2 ON l2.ekey = c.ekey AND l2.code = c.column2
JOIN ptp p ON p.edition = c.edition AND p.tbl = c.tbl AND p.column1 = c.column1
          AND p.column2 = c.column2 AND p.effective = c.effective
          AND p.deletion = c.deletion AND p.indicator = c.indicator
"""


class Dialect:
    """What the two engines spell differently in the output statements: list values."""

    def __init__(
        self, open_: str, close: str, empty_strings: str, ordered_list: str
    ) -> None:
        self._open, self._close = open_, close
        #: an empty list of strings
        self.empty_strings = empty_strings
        self._ordered_list = ordered_list

    def of(self, *items: str) -> str:
        """A list of the SQL expressions ``items``."""
        return f"{self._open}{', '.join(items)}{self._close}"

    def ordered_list(self, value: str, order: str) -> str:
        """The aggregate: the group's ``value``s as a list, by ``order``."""
        return self._ordered_list.format(value=value, order=order)


DUCKDB = Dialect("[", "]", "[]::VARCHAR[]", "list({value} ORDER BY {order})")
SPARK = Dialect(
    "array(",
    ")",
    "CAST(array() AS ARRAY<STRING>)",
    "transform(array_sort(collect_list(struct({order} AS o, {value} AS v))), x -> x.v)",
)
