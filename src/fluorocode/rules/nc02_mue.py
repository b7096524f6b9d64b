"""NC02 mue: units over the medically unlikely edit (MUE) of the code.

**Policy source:** CMS NCCI MUE table of the edition (practitioner for professional
claims, outpatient hospital for institutional claims); MUE adjudication indicators
(domain.md §1.3): 1 line edit, 2 date-of-service edit based on policy (absolute: no
modifier or appeal raises it), 3 date-of-service edit based on clinical judgment (units
over the limit may be paid on appeal with documentation). 76000: 3 per day, MAI 3 in
July 2024.

**Fails when:** ``mue.exceeded``:
- MAI 1: a line's units exceed the value: the line goes out with the MUE value
  (``modify``);
- MAI 2: the day's units of the code (all live lines) exceed the value: lines keep their
  units in claim order until the value is used up, the rest are cut (``modify``) or
  removed;
- MAI 3: the day's units exceed the value: hold with a ``confirm_units`` prompt (reduce
  the units, or keep them with documentation for an appeal).

A payer profile's ``mue_basis`` (docs/payers.md) overrides the MAI's basis: ``line``
judges every row as MAI 1 (each line against the value, never summed); ``day`` judges
an MAI-1 row as MAI 2 (the day's units, cut in claim order). Findings so decided say
so and cite the departure; a day's total over the value with no line over it under
``line`` is a ``pass`` finding citing it.

**Passes when:** units are within the value, or the code has no MUE (nothing is
emitted).

**Bypass:** none (modifiers never raise an MUE).

**Evidence emitted:** the MUE row (code, value, MAI, rationale), the edition and the MUE
table (its source checksums are in the report's ``edition.sources``). If the edition
lacks the MUE table, one ``no_data`` finding.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar

from fluorocode.domain.codes import MueAdjudication
from fluorocode.domain.edits import MueEdit
from fluorocode.domain.findings import Action, Finding, Prompt, PromptKind, Status
from fluorocode.rules.base import (
    LineState,
    Outcome,
    RuleContext,
    edition_evidence,
    line_refs,
)
from fluorocode.rules.payers import MueBasis

CITATION = "CMS NCCI medically unlikely edits (MUE)"

# The findings' messages, as ``str.format`` templates: the rule fills them in, and the
# batch renders the very same templates in SQL (``adapters.batch.rule_sql``).
# ``index`` is a line's index in the claim; ``total`` the day's units of the code.
PER_LINE = (
    "{code} (line {index}) has {units} units; its MUE is {value} per line (MAI 1). "
    "Bill {value}."
)
PER_DAY_POLICY = (
    "{code} has {total} units on this date; its MUE is {value} per day by CMS policy "
    "(MAI 2), which no modifier or appeal raises. Bill {value}."
)
PER_DAY_JUDGMENT = (
    "{code} has {total} units on this date; its MUE is {value} per day (MAI 3, "
    "{rationale}). Units over it are denied unless paid on appeal with documentation."
)


def finding_evidence(mue: MueEdit, table: Mapping[str, Any]) -> dict[str, Any]:
    """A finding's evidence: the MUE row, and the edition and table it was read from."""
    return {"mue": mue.evidence(), **table}


class MueRule:
    code: ClassVar[str] = "NC02"
    name: ClassVar[str] = "mue"
    emits: ClassVar[tuple[str, ...]] = ("mue.exceeded",)

    def evaluate(self, ctx: RuleContext) -> Outcome:
        out = Outcome()
        if not ctx.edits.has_table(ctx.mue_table):
            out.findings.append(
                Finding(
                    "mue.exceeded",
                    Status.NO_DATA,
                    (),
                    f"The edition has no {ctx.mue_table.value} table, so units were not "
                    "checked. Import the CMS MUE file of this quarter.",
                    edition_evidence(ctx, ctx.mue_table),
                    CITATION,
                )
            )
            return out
        by_code: dict[str, list[LineState]] = defaultdict(list)
        for line in ctx.live_lines():
            by_code[line.code].append(line)
        for code, lines in by_code.items():
            mue = ctx.edits.mue(ctx.mue_table, code)
            total = lines[0].units if len(lines) == 1 else sum(ln.units for ln in lines)
            if mue is None or total <= mue.value:
                continue  # within the MUE per line and per day
            evidence = finding_evidence(mue, edition_evidence(ctx, ctx.mue_table))
            mai = _basis_mai(mue.mai, ctx.payer.mue_basis)
            first = len(out.findings)
            if mai is not mue.mai:
                _departure(ctx, out, evidence)
            if mai is MueAdjudication.LINE:
                if mai is not mue.mai and not any(ln.units > mue.value for ln in lines):
                    out.findings.append(
                        Finding(
                            "mue.exceeded",
                            Status.PASS,
                            tuple(line.index for line in lines),
                            f"{code} has {total} units on this date, over its MUE of "
                            f"{mue.value} (MAI {int(mue.mai)}), but no line exceeds "
                            "it.",
                            evidence,
                            CITATION,
                        )
                    )
                for line in lines:
                    if line.units > mue.value:
                        out.units[line.index] = mue.value
                        out.act(line.index, Action.MODIFY)
                        out.findings.append(
                            Finding(
                                "mue.exceeded",
                                Status.FAIL,
                                (line.index,),
                                PER_LINE.format(
                                    code=code,
                                    index=line.index,
                                    units=line.units,
                                    value=mue.value,
                                ),
                                evidence,
                                CITATION,
                            )
                        )
                _cite(ctx, out, first, mai is not mue.mai)
                continue
            indices = tuple(line.index for line in lines)
            if mai is MueAdjudication.DATE_OF_SERVICE_POLICY:
                left = mue.value
                for line in lines:
                    keep = min(line.units, left)
                    left -= keep
                    if keep == 0:
                        out.act(line.index, Action.REMOVE)
                    elif keep < line.units:
                        out.units[line.index] = keep
                        out.act(line.index, Action.MODIFY)
                out.findings.append(
                    Finding(
                        "mue.exceeded",
                        Status.FAIL,
                        indices,
                        PER_DAY_POLICY.format(code=code, total=total, value=mue.value),
                        evidence,
                        CITATION,
                    )
                )
                _cite(ctx, out, first, mai is not mue.mai)
                continue
            where = line_refs(line.index for line in lines)  # five named, at most
            for line in lines:  # every held line carries its own question
                out.act(line.index, Action.HOLD)
                out.prompt(
                    Prompt(
                        PromptKind.CONFIRM_UNITS,
                        line.index,
                        f"{code} has {total} units on this date ({where}), over its "
                        f"MUE of {mue.value} (MAI 3). Reduce the day's units to {mue.value}, "
                        f"or keep {total} only if the record documents each unit for an "
                        "appeal.",
                        options=(str(mue.value), str(total)),
                    )
                )
            out.findings.append(
                Finding(
                    "mue.exceeded",
                    Status.FAIL,
                    indices,
                    PER_DAY_JUDGMENT.format(
                        code=code, total=total, value=mue.value, rationale=mue.rationale
                    ),
                    evidence,
                    CITATION,
                )
            )
        return out


def _basis_mai(mai: MueAdjudication, basis: MueBasis | None) -> MueAdjudication:
    """The MAI a payer's MUE basis judges a row by (its own, without one)."""
    if basis is MueBasis.LINE:
        return MueAdjudication.LINE
    if basis is MueBasis.DAY and mai is MueAdjudication.LINE:
        return MueAdjudication.DATE_OF_SERVICE_POLICY
    return mai


def _departure(ctx: RuleContext, out: Outcome, evidence: dict[str, object]) -> None:
    departure = ctx.payer.mue_departure
    assert departure is not None and ctx.payer.mue_basis is not None
    out.departures.add(departure.id)
    evidence["payer_departure"] = departure.to_dict()
    evidence["mue_basis"] = ctx.payer.mue_basis.value


def _cite(ctx: RuleContext, out: Outcome, first: int, departed: bool) -> None:
    """Findings from ``first`` on were decided by the payer's MUE basis: say so."""
    if not departed:
        return
    departure = ctx.payer.mue_departure
    assert departure is not None and ctx.payer.mue_basis is not None
    note = (
        f" The payer {ctx.payer.name} judges MUEs per {ctx.payer.mue_basis.value}, "
        "not by the MAI."
    )
    out.findings[first:] = [
        replace(
            f,
            message=f.message + note,
            citation=f"{CITATION}; payer {ctx.payer.id}: {departure.source}",
        )
        for f in out.findings[first:]
    ]
