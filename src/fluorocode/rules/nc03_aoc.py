"""NC03 aoc: an add-on code needs an eligible primary on the same claim.

**Policy source:** CMS NCCI add-on code (AOC) edit file of the edition; edit types:
1 = only the listed primaries; 2 = the contractor (MAC) defines the primaries
(primary ``CCCCC``); 3 = listed primaries plus others the contractor allows
(domain.md §6.3). An add-on is paid only if its primary is paid to the same
practitioner for the same patient on the same date.

**Fails when:** ``aoc.primary-missing``: a type-1 add-on has none of its listed primaries
on the claim (remove the add-on); any add-on stands with no other live line at all.

**Passes when:** a listed primary is on the claim (nothing is emitted). Type 2 and 3
add-ons without a listed primary get an ``info`` finding: the MAC's list decides.

**Bypass:** none.

**Evidence emitted:** the AOC rows of the add-on, the edition and the AOC table (its
source checksums are in the report's ``edition.sources``).
If the edition has no AOC table, one ``no_data`` finding says so.

**Not applied to Medicaid:** Medicaid NCCI has two kinds of edits, PTP and MUE (CMS
MLN9018659, "How to Use the Medicaid NCCI Tools", April 2022); a Medicaid edition has no
AOC table and none is missing, so nothing is emitted (docs/medicaid.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from fluorocode.domain.codes import Program
from fluorocode.domain.edits import AocEdit, Table
from fluorocode.domain.findings import Action, Finding, Status
from fluorocode.rules.base import Outcome, RuleContext, edition_evidence, guidance_codes

CITATION = "CMS NCCI add-on code edits"

# The findings' messages, as ``str.format`` templates: the rule fills them in, and the
# batch renders the very same templates in SQL (``adapters.batch.rule_sql``).
# ``index`` is the line's index in the claim; ``others`` the other live lines' codes,
# in line order, joined by ``OTHERS_SEPARATOR``; ``kind`` is ``ADDON`` or, for a
# guidance code, ``GUIDANCE_ADDON``.
CONTRACTOR_DEFINED = (
    "{code} (line {index}) is an add-on code whose primaries are defined by the "
    "Medicare contractor: confirm that {others} is an eligible primary."
)
PRIMARY_MISSING = (
    "{code} (line {index}) is {kind} code and none of its eligible primary codes is on "
    "the claim. An add-on is paid only with its primary: add the primary service or "
    "leave {code} off."
)
ADDON, GUIDANCE_ADDON = "an add-on", "a guidance add-on"
OTHERS_SEPARATOR = ", "
#: How many of the add-on's AOC rows a finding's evidence lists.
EVIDENCE_ROWS = 100


def row_evidence(row: AocEdit) -> dict[str, Any]:
    """One AOC row as a finding's evidence lists it."""
    return {"addon": row.addon, "primary": row.primary, "edit_type": row.edit_type}


def finding_evidence(
    rows: Sequence[AocEdit], table: Mapping[str, Any]
) -> dict[str, Any]:
    """A finding's evidence: the add-on's rows in force (the first ``EVIDENCE_ROWS``),
    and the edition and table they were read from."""
    return {"aoc": [row_evidence(a) for a in rows[:EVIDENCE_ROWS]], **table}


class AddOnRule:
    code: ClassVar[str] = "NC03"
    name: ClassVar[str] = "aoc"
    emits: ClassVar[tuple[str, ...]] = ("aoc.primary-missing",)

    def evaluate(self, ctx: RuleContext) -> Outcome:
        out = Outcome()
        if ctx.edits.info.program is Program.MEDICAID:
            return out  # Medicaid NCCI publishes no add-on code edits (docstring)
        if not ctx.edits.has_table(Table.AOC):
            out.findings.append(
                Finding(
                    "aoc.primary-missing",
                    Status.NO_DATA,
                    (),
                    "The edition has no add-on code table, so add-on codes were not checked. "
                    "Import the CMS AOC file with this quarter.",
                    edition_evidence(ctx, Table.AOC),
                    CITATION,
                )
            )
            return out
        dos = ctx.encounter.date_of_service
        live = ctx.live_lines()
        for line in live:
            addon_rows = ctx.edits.aoc_for_addon(line.code)
            if not addon_rows:
                continue  # not an add-on code
            others = [o for o in live if o.index != line.index]
            billed = {o.code for o in others}
            if any(a.primary in billed and a.in_force(dos) for a in addon_rows):
                continue  # a listed primary is on the claim
            rows = [a for a in addon_rows if a.in_force(dos)]
            if not rows:
                continue  # no AOC edit in force on the date of service
            evidence = finding_evidence(rows, edition_evidence(ctx, Table.AOC))
            types = {a.edit_type for a in rows}
            fields = {"code": line.code, "index": line.index}
            if others and types != {1}:
                listed = OTHERS_SEPARATOR.join(o.code for o in others)
                out.findings.append(
                    Finding(
                        "aoc.primary-missing",
                        Status.INFO,
                        (line.index,),
                        CONTRACTOR_DEFINED.format(**fields, others=listed),
                        evidence,
                        CITATION,
                    )
                )
                continue
            out.act(line.index, Action.REMOVE)
            kind = GUIDANCE_ADDON if line.code in guidance_codes() else ADDON
            out.findings.append(
                Finding(
                    "aoc.primary-missing",
                    Status.FAIL,
                    (line.index,),
                    PRIMARY_MISSING.format(**fields, kind=kind),
                    evidence,
                    CITATION,
                )
            )
        return out
