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

from typing import ClassVar

from fluorocode.domain.codes import Program
from fluorocode.domain.edits import Table
from fluorocode.domain.findings import Action, Finding, Status
from fluorocode.rules.base import Outcome, RuleContext, edition_evidence, guidance_codes

CITATION = "CMS NCCI add-on code edits"


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
            evidence = {
                "aoc": [
                    {"addon": a.addon, "primary": a.primary, "edit_type": a.edit_type}
                    for a in rows[:100]
                ],
                **edition_evidence(ctx, Table.AOC),
            }
            types = {a.edit_type for a in rows}
            if others and types != {1}:
                out.findings.append(
                    Finding(
                        "aoc.primary-missing",
                        Status.INFO,
                        (line.index,),
                        f"{line.code} (line {line.index}) is an add-on code whose primaries are "
                        "defined by the Medicare contractor: confirm that "
                        f"{', '.join(o.code for o in others)} is an eligible primary.",
                        evidence,
                        CITATION,
                    )
                )
                continue
            out.act(line.index, Action.REMOVE)
            kind = "a guidance add-on" if line.code in guidance_codes() else "an add-on"
            out.findings.append(
                Finding(
                    "aoc.primary-missing",
                    Status.FAIL,
                    (line.index,),
                    f"{line.code} (line {line.index}) is {kind} code and none of its "
                    "eligible primary codes is on the claim. An add-on is paid only with its "
                    f"primary: add the primary service or leave {line.code} off.",
                    evidence,
                    CITATION,
                )
            )
        return out
