"""FL02 fluoro.integral: no PTP edit is not the same as billable.

**Policy source:** CPT "separate procedure" definition of 76000; NCCI Policy Manual
ch. I (a procedure includes the imaging needed to complete it) and ch. IV, V, VI, VIII,
XI (arthroscopy, spine, endoscopy, catheterisation); design.md step 4; domain.md §0.4.
Families are reviewed data in ``rules/policy/fluoroscopy.toml``, each with its source.
Real data: in July 2024, 27506, 27236, 27447, 27756, 28485 and 20690-20693 had no 76000
edit at all.

**Fails when:** a 76000 line is column 2 of no in-force PTP edit with another line, yet
the claim holds a service fluoroscopy is integral to (surgery 10000-69999, arthroscopy,
spine, endoscopy, cardiac catheterisation, or a code whose descriptor includes imaging
guidance). Treated as an indicator-1 edit: hold with a ``confirm_distinct_indication``
prompt; denied: remove.

**Passes when:** no such service is on the claim (nothing is emitted), or a PTP edit
already decided the line (NC01 speaks for it), or the payer's extra bundle did (PY01).

**Bypass:** the provider's confirmed distinct indication (status ``bypassed``; appends
XE/XS/XP/XU by its basis). No modifier alone.

**Evidence emitted:** the integral service's code, its family and the family's source.
"""

from __future__ import annotations

from typing import Any, ClassVar

from fluorocode.domain.codes import ANATOMIC_MODIFIERS
from fluorocode.domain.findings import Finding
from fluorocode.rules import _confirmation
from fluorocode.rules.base import FLUORO, LineState, Outcome, RuleContext, line_refs
from fluorocode.rules.policy import Family, fluoro_policy
from fluorocode.rules.py01_payer_bundle import bundled_by_payer

CITATION = "CPT separate-procedure rule; NCCI Policy Manual ch. I and the chapter of the family"


class IntegralRule:
    code: ClassVar[str] = "FL02"
    name: ClassVar[str] = "fluoro.integral"
    emits: ClassVar[tuple[str, ...]] = ("fluoro.integral",)

    def evaluate(self, ctx: RuleContext) -> Outcome:
        out = Outcome()
        billed = ctx.lines_with(FLUORO)
        if not billed:
            return out  # no 76000 line: nothing to judge
        # claim edits pair two billed codes: one with 76000 in column 2 decided it
        if any(e.column2 == FLUORO for e in ctx.claim_edits()):
            return out  # a PTP edit decided 76000 (NC01 speaks for it)
        if bundled_by_payer(ctx, FLUORO):
            return out  # the payer's own bundle decided it (PY01 speaks for it)
        policy = fluoro_policy()
        hosts = [
            (line, family)
            for line in ctx.lines
            if line.code != FLUORO
            and (family := policy.integral_family(line.code)) is not None
        ]
        if not hosts:
            return out
        host, family = hosts[0]
        answer = ctx.encounter.documentation.distinct_indication
        host_ref = line_refs([host.index])
        partner = f"{host.code} on {host_ref}"
        variants = _host_variants(hosts)
        # one finding per decision, naming every 76000 line it concerns
        groups: dict[_confirmation.Decision, list[int]] = {}
        for line in billed:
            # the X modifier is needed if any host shares the line's anatomic site
            decisions = [
                _confirmation.decide(line, h, answer, ctx.payer) for h in variants
            ]
            decision = next((d for d in decisions if d.modifier), decisions[0])
            _confirmation.apply(out, line, decision, partner=partner)
            groups.setdefault(decision, []).append(line.index)
        others = sorted({h.code for h, _ in hosts} - {host.code})
        for decision, fluoro_lines in groups.items():
            evidence: dict[str, Any] = {
                "service": host.code,
                "family": family.name,
                "family_source": family.source,
                "other_services": others,
            }
            citation = CITATION
            departure = ctx.payer.bypass_departure
            if decision.departure and departure is not None:  # 59 for an X modifier
                evidence["payer_departure"] = departure.to_dict()
                citation = f"{CITATION}; payer {ctx.payer.id}: {departure.source}"
            out.findings.append(
                Finding(
                    "fluoro.integral",
                    decision.status,
                    (host.index, *fluoro_lines),
                    f"No NCCI PTP edit pairs 76000 ({line_refs(fluoro_lines)}) with "
                    f"{host.code} ({host_ref}), but fluoroscopy is part of "
                    f"{family.name} and is not separately billable when it guided or "
                    "checked that service. " + _confirmation.next_step(decision),
                    evidence,
                    citation,
                )
            )
        return out


def _host_variants(hosts: list[tuple[LineState, Family]]) -> list[LineState]:
    """One host line per set of anatomic modifiers: all a decision depends on."""
    seen: dict[frozenset[str], LineState] = {}
    for line, _ in hosts:
        seen.setdefault(frozenset(line.modifiers) & ANATOMIC_MODIFIERS, line)
    return list(seen.values())
