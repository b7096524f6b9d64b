"""The set logic of a batch, as SQL both DuckDB and Spark SQL run (issue 10).

Every statement reads the views ``lines`` (one row per claim line, typed; see
``duckdb_job``), ``keys`` (program, claim type, date -> edition, fast), ``ptp``,
``mue``, ``aoc`` and ``codes`` (the edition tables, tagged with their edition index) and
``known_modifiers``. An encounter is ``ekey`` (claim id, date of service as written,
provider, source ordinal).

An encounter is decided here -- every line ``keep``, no finding, ``clean`` -- only when
no rule of ``rules.engine.RULES`` could emit anything for it; the conditions, one per
rule (the proof that the answer equals ``check``'s):

- input: every field has the exact shape ``parse_encounter`` accepts, lines within the
  cap, line numbers distinct, one place of service / claim type / program, and no
  documentation, billing or note column filled (those go to the engine whole);
- ED01 (demo), the coverage gap, NC02/NC03 ``no_data``: the edition key is ``fast``
  (``editions.EditionMap``);
- CL01: every code is in the edition's code universe and every modifier on the CMS list;
- FL01-FL06: no code of the fluoroscopy family (76000, 76001, 77001-77003) and no code
  the policy deletes, so no fluoroscopy rule has a line to look at (FL06 needs a note);
- NC01: no PTP row in force on the date (indicator not 9, effective <= date <=
  deletion) pairs two distinct codes of the encounter;
- NC02: each code's units summed over the encounter are within its MUE (so is every
  line, and any subset of the lines);
- NC03: every add-on code with an AOC row in force on the date has another line whose
  code is one of its listed primaries (nothing is removed on such an encounter, so
  every line is live);
- CL02: four modifiers at most is part of the input shape, and no rule adds any.
"""

from __future__ import annotations

LINE_FLAGS = """
SELECT l.ekey, l.code, l.units, l.code_ok AND l.mods_ok AND l.units_ok AS shape_ok,
       l.special, l.mods_unknown, k.edition, k.fast, l.ptp_table, l.mue_table, l.dosint
FROM lines l LEFT JOIN keys k
  ON k.program = l.program_n AND k.claim_type = l.claim_type_n AND k.dos = l.dos
"""

#: Encounters that need the engine: one statement, one row per encounter key.
SLOW_KEYS = f"""
WITH lf AS ({LINE_FLAGS}),
base AS (
  SELECT ekey FROM lines
  GROUP BY ekey
  HAVING NOT bool_and(code_ok AND mods_ok AND units_ok AND line_no IS NOT NULL
                      AND dos IS NOT NULL AND id_ok AND pos_ok AND type_ok AND plain)
      OR count(*) > max(cap)
      OR count(DISTINCT line_no) < count(*)
      OR count(DISTINCT place_of_service) > 1
      OR count(DISTINCT claim_type_n) > 1
      OR count(DISTINCT program_n) > 1
      OR bool_or(special)
),
edition AS (
  SELECT DISTINCT ekey FROM lf WHERE fast IS NOT TRUE
),
unknown AS (
  SELECT DISTINCT lf.ekey FROM lf
  LEFT JOIN codes c ON c.edition = lf.edition AND c.code = lf.code
  WHERE c.code IS NULL
     OR lf.mods_unknown
),
dcodes AS (
  SELECT DISTINCT ekey, code, edition, ptp_table, dosint FROM lf WHERE fast
),
ptp_hit AS (
  SELECT DISTINCT a.ekey
  FROM dcodes a
  JOIN dcodes b ON a.ekey = b.ekey AND a.code <> b.code
  JOIN ptp p ON p.column1 = a.code AND p.column2 = b.code
            AND p.edition = a.edition AND p.tbl = a.ptp_table
  WHERE p.effective <= a.dosint AND p.deletion >= a.dosint
),
mue_hit AS (
  SELECT DISTINCT u.ekey FROM (
    SELECT ekey, code, edition, mue_table, sum(units) AS total
    FROM lf WHERE fast GROUP BY ekey, code, edition, mue_table
  ) u
  JOIN mue m ON m.code = u.code AND m.edition = u.edition AND m.tbl = u.mue_table
  WHERE u.total > m.value
),
addon AS (
  SELECT DISTINCT d.ekey, d.code, d.edition, a.primary_code
  FROM dcodes d JOIN aoc a ON a.addon = d.code AND a.edition = d.edition
  WHERE (a.effective IS NULL OR a.effective <= d.dosint)
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
)
SELECT ekey FROM base
UNION SELECT ekey FROM edition
UNION SELECT ekey FROM unknown
UNION SELECT ekey FROM ptp_hit
UNION SELECT ekey FROM mue_hit
UNION SELECT ekey FROM aoc_hit
"""
