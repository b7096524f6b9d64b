"""PY01 payer.bundle: the payer's own bundles, beyond the NCCI edits (payer profiles).

**Policy source:** the payer profile's ``[[extra_bundles]]`` entry, each with its
``source`` (docs/payers.md); for example Highmark BCBS WV policy X-23 pays fluoroscopy
only when a physician other than the operating surgeon performs it (domain.md §9, [S8]).
The built-in ``medicare`` and ``medicaid`` profiles have none, so this rule says nothing
under them.

A bundle pairs its ``column2`` codes with its column-1 codes (codes, ranges, or the
integral families of ``rules/policy/fluoroscopy.toml``). It applies to a pair of billed
lines that no in-force NCCI edit of the claim pairs (in either order), and also where
NCCI's edit has indicator 1 but the payer's bundle indicator 0 (the payer is stricter);
otherwise the NCCI edit decides (NC01).

**Fails when:**
- indicator 0: ``payer.bundled``, the column-2 line is removed; no modifier changes it;
- indicator 1 and the column-2 line carries no modifier the payer accepts
  (``ptp_bypass_modifiers``, else NCCI's): ``payer.modifier-required``, hold with a
  ``confirm_distinct_service`` prompt. For 76000 the provider's distinct-indication
  answer decides instead, as under NC01 (hold while not asked, remove when denied).

**Passes when:** the payer has no bundle pairing two billed lines (nothing is emitted).

**Bypass:** indicator 1 only: a modifier the payer accepts, anatomic ones where the
lines' sites differ; for 76000 the confirmed distinct indication (``payer.bypassed``).

**Evidence emitted:** the bundle (id, column-1 codes met, column 2, indicator) and the
payer departure (id, rule, source); the citation names the departure's source.
"""

from __future__ import annotations

from collections import defaultdict
from typing import ClassVar

from fluorocode.domain.codes import ModifierIndicator
from fluorocode.domain.findings import Action, Finding, Prompt, PromptKind, Status
from fluorocode.rules import _confirmation
from fluorocode.rules._modifiers import bypass_modifiers
from fluorocode.rules.base import FLUORO, LineState, Outcome, RuleContext, line_refs
from fluorocode.rules.payers import ExtraBundle

#: (bundle, column-2 code, the column-1 lines it meets) for every bundle that applies.
PayerPair = tuple[ExtraBundle, str, tuple[LineState, ...]]


def payer_pairs(ctx: RuleContext) -> tuple[PayerPair, ...]:
    """The payer's bundles that pair billed lines where PY01 decides (see the spec)."""
    bundles = ctx.payer.extra_bundles
    if not bundles:
        return ()  # every NCCI-only check: no work at all
    by_code = ctx.lines_by_code()
    ncci = {(e.column1, e.column2): e.indicator for e in ctx.claim_edits()}
    out: list[PayerPair] = []
    for bundle in bundles:
        for code2 in sorted(bundle.column2 & by_code.keys()):
            hosts = tuple(
                line
                for code, lines in by_code.items()
                if code != code2
                and bundle.covers(code)
                and _payer_decides(bundle, ncci, code, code2)
                for line in lines
            )
            if hosts:
                out.append((bundle, code2, tuple(sorted(hosts, key=_index))))
    return tuple(out)


def _index(line: LineState) -> int:
    return line.index


def _payer_decides(
    bundle: ExtraBundle,
    ncci: dict[tuple[str, str], ModifierIndicator],
    code1: str,
    code2: str,
) -> bool:
    indicators = [ncci[k] for k in ((code1, code2), (code2, code1)) if k in ncci]
    if not indicators:
        return True  # no NCCI edit pairs them
    stricter = bundle.indicator is ModifierIndicator.NOT_ALLOWED
    return stricter and all(i is ModifierIndicator.ALLOWED for i in indicators)


def bundled_by_payer(ctx: RuleContext, code: str) -> bool:
    """Whether a payer bundle decides a ``code`` line (FL02 then stays silent)."""
    return any(code2 == code for _, code2, _ in payer_pairs(ctx))


class PayerBundleRule:
    code: ClassVar[str] = "PY01"
    name: ClassVar[str] = "payer.bundle"
    emits: ClassVar[tuple[str, ...]] = (
        "payer.bundled",
        "payer.modifier-required",
        "payer.bypassed",
    )

    def evaluate(self, ctx: RuleContext) -> Outcome:
        out = Outcome()
        for bundle, code2, hosts in payer_pairs(ctx):
            groups: dict[tuple[str, Status, str], list[int]] = defaultdict(list)
            for line2 in ctx.lines_with(code2):
                if line2.action is Action.REMOVE:
                    continue  # already off the claim
                key = self._judge(ctx, out, bundle, line2, hosts)
                groups[key].append(line2.index)
            for (rule, status, how), lines in groups.items():
                out.findings.append(
                    self._finding(ctx, bundle, code2, hosts, rule, status, how, lines)
                )
            if groups:
                out.departures.add(bundle.departure.id)
        return out

    @staticmethod
    def _judge(
        ctx: RuleContext,
        out: Outcome,
        bundle: ExtraBundle,
        line2: LineState,
        hosts: tuple[LineState, ...],
    ) -> tuple[str, Status, str]:
        if bundle.indicator is ModifierIndicator.NOT_ALLOWED:
            out.act(line2.index, Action.REMOVE)
            return ("payer.bundled", Status.FAIL, "")
        partner = f"{hosts[0].code} on {line_refs(h.index for h in hosts)}"
        if line2.code == FLUORO:
            answer = ctx.encounter.documentation.distinct_indication
            decisions = [
                _confirmation.decide(line2, h, answer, ctx.payer) for h in hosts
            ]
            decision = next((d for d in decisions if d.modifier), decisions[0])
            _confirmation.apply(out, line2, decision, partner=partner)
            rule = (
                "payer.bypassed"
                if decision.status is Status.BYPASSED
                else "payer.modifier-required"
            )
            return (rule, decision.status, _confirmation.next_step(decision))
        accepted = ctx.payer.bypass_modifiers
        if all(bypass_modifiers(line2, h, accepted) for h in hosts):
            return ("payer.bypassed", Status.BYPASSED, "")
        out.act(line2.index, Action.HOLD)
        if not out.asked(PromptKind.CONFIRM_DISTINCT_SERVICE, line2.index):
            offered = [m for m in ("XE", "XS", "XP", "XU", "59") if m in accepted]
            out.prompt(
                Prompt(
                    PromptKind.CONFIRM_DISTINCT_SERVICE,
                    line2.index,
                    f"Was {line2.code} on line {line2.index} a distinct service from "
                    f"{partner} (separate encounter, anatomic site, practitioner, or an "
                    "unusual non-overlapping service)? The payer bundles them; if the "
                    "record shows it, add a modifier the payer accepts "
                    f"({', '.join(offered) or 'an anatomic modifier'}); otherwise leave "
                    f"{line2.code} off.",
                    options=(*offered, "remove"),
                )
            )
        return ("payer.modifier-required", Status.FAIL, "")

    @staticmethod
    def _finding(
        ctx: RuleContext,
        bundle: ExtraBundle,
        code2: str,
        hosts: tuple[LineState, ...],
        rule: str,
        status: Status,
        how: str,
        lines: list[int],
    ) -> Finding:
        payer = ctx.payer
        codes1 = sorted({h.code for h in hosts})
        refs1 = line_refs(h.index for h in hosts)
        refs2 = line_refs(lines)
        where = (
            f"The payer {payer.name} bundles {code2} ({refs2}) into "
            f"{', '.join(codes1)} ({refs1}) where NCCI does not"
        )
        if rule == "payer.bundled":
            message = (
                f"{where}: it is not separately billable with them under this payer "
                "(its bundle, indicator 0): leave it off the claim."
            )
        elif how:  # 76000: the provider's answer decides
            message = f"{where}, as an indicator-1 bundle. {how}"
        elif rule == "payer.bypassed":
            message = (
                f"{where}, as an indicator-1 bundle; the line's modifier bypasses it. "
                "Keep it only if the record documents the distinct service."
            )
        else:
            message = (
                f"{where}, as an indicator-1 bundle, and the line carries no modifier "
                "the payer accepts. One may be added only if the record documents a "
                f"distinct service; otherwise {code2} is not billable with them."
            )
        evidence = {
            "payer_bundle": {
                "id": bundle.departure.id.removeprefix("extra_bundles."),
                "column1": codes1,
                "column2": code2,
                "indicator": int(bundle.indicator),
            },
            "payer_departure": bundle.departure.to_dict(),
        }
        citation = f"payer {payer.id}: {bundle.departure.source}"
        lines_all = (*sorted(h.index for h in hosts), *sorted(lines))
        return Finding(rule, status, lines_all, message, evidence, citation)
