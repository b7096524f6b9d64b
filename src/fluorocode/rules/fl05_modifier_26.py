"""FL05 fluoro.modifier-26: the professional component in facility settings.

**Policy source:** IOM 100-04 ch. 13 (radiology payment conditions [S14]): for hospital
patients (POS 19, 21, 22, 23) the hospital is paid the technical component and the
practitioner bills only the professional component (-26), whatever the practice's
habits; in an ASC (24) and the other facility places of service the practitioner also
bills -26 (domain.md §4, §0.7). Whether a code splits into 26/TC comes from the PFS
PC/TC indicator (1 = splits); without a PFS table, the built-in list of
``rules/policy/fluoroscopy.toml`` (76000, 77001-77003: PC/TC 1 in the July 2024 PFS).

**Fails when:** never: what it finds it corrects, with status ``info`` (the line goes
out right, action ``modify``, and nothing is left for anyone to do). On a
professional claim, a fluoroscopy or guidance line that is not removed and whose code
splits gets 26 appended (``fluoro.modifier-26``) in a facility setting, or in a
non-facility setting unless ``billing.global_billing`` is true. A TC on a professional
facility claim is replaced by 26. On institutional claims, a 26 is dropped (the hospital
bills the technical component).

**Passes when:** 26 is already there, or global billing applies in a non-facility
setting (nothing is emitted). Under a payer profile whose
``global_billing_in_facility`` is allowed (docs/payers.md), global billing applies in a
facility setting too: no 26, and a ``pass`` finding cites the departure.

**Bypass:** not applicable. 26 and TC never bypass a PTP edit (NC01 ignores them).

**Evidence emitted:** place of service and its setting, global billing, the PC/TC source.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from fluorocode.domain.codes import HOSPITAL_POS, ClaimType, Setting, setting_of
from fluorocode.domain.findings import Action, Finding, Status
from fluorocode.rules.base import (
    FLUORO,
    LineState,
    Outcome,
    RuleContext,
    guidance_codes,
)
from fluorocode.rules.policy import fluoro_policy

CITATION = "IOM 100-04 ch. 13 (radiology payment conditions); PFS PC/TC indicator"


class Modifier26Rule:
    code: ClassVar[str] = "FL05"
    name: ClassVar[str] = "fluoro.modifier-26"
    emits: ClassVar[tuple[str, ...]] = ("fluoro.modifier-26",)

    def splits(self, ctx: RuleContext, code: str) -> tuple[bool, str]:
        pfs = ctx.edits.pfs(code)
        if pfs is not None:
            return (
                pfs.pctc == "1",
                f"PFS PC/TC indicator {pfs.pctc} ({ctx.edition['quarter']})",
            )
        policy = fluoro_policy()
        return code in policy.pctc_builtin, policy.pctc_source

    def evaluate(self, ctx: RuleContext) -> Outcome:
        out = Outcome()
        enc = ctx.encounter
        pos = enc.place_of_service
        setting = setting_of(pos)
        guidance = guidance_codes()
        for line in ctx.live_lines():
            if line.code != FLUORO and line.code not in guidance:
                continue
            split, source = self.splits(ctx, line.code)
            evidence = {
                "place_of_service": pos,
                "setting": setting.value if setting else None,
                "global_billing": enc.global_billing,
                "pctc_source": source,
            }
            if enc.claim_type is ClaimType.INSTITUTIONAL:
                if "26" in line.modifiers:
                    out.drop_modifiers.setdefault(line.index, []).append("26")
                    out.act(line.index, Action.MODIFY)
                    out.findings.append(
                        Finding(
                            "fluoro.modifier-26",
                            Status.INFO,
                            (line.index,),
                            f"Institutional claims bill the technical component: 26 is "
                            f"dropped from {line.code} (line {line.index}).",
                            evidence,
                            CITATION,
                        )
                    )
                continue
            if not split or "26" in line.modifiers:
                continue
            departure = ctx.payer.global_billing_in_facility
            if (
                departure is not None
                and enc.global_billing
                and setting is Setting.FACILITY
            ):
                out.departures.add(departure.id)
                out.findings.append(
                    Finding(
                        "fluoro.modifier-26",
                        Status.PASS,
                        (line.index,),
                        f"POS {pos} is a facility setting, but the payer "
                        f"{ctx.payer.name} allows the global service there and the "
                        "practice bills globally (billing.global_billing is true): no "
                        f"26 is appended to {line.code} (line {line.index}).",
                        {**evidence, "payer_departure": departure.to_dict()},
                        f"payer {ctx.payer.id}: {departure.source}",
                    )
                )
                continue
            reason = self._reason(pos, setting, enc.global_billing)
            if reason is None:
                continue
            self._append_26(out, line, reason, evidence)
        return out

    @staticmethod
    def _reason(pos: str, setting: Setting | None, global_billing: bool) -> str | None:
        if pos in HOSPITAL_POS:
            extra = (
                " Global billing is not possible for hospital patients, whatever the "
                "practice prefers."
                if global_billing
                else ""
            )
            return (
                f"POS {pos} is a hospital setting: the hospital is paid the technical "
                f"component and the practitioner bills the professional component.{extra}"
            )
        if setting is Setting.FACILITY:
            return (
                f"POS {pos} is a facility setting: the facility covers the technical "
                "component and the practitioner bills the professional component."
            )
        if not global_billing:
            return (
                f"POS {pos} is a non-facility setting and the practice does not bill "
                "globally (billing.global_billing is false): bill the professional "
                "component."
            )
        return None

    @staticmethod
    def _append_26(
        out: Outcome, line: LineState, reason: str, evidence: Mapping[str, object]
    ) -> None:
        if "TC" in line.modifiers:
            out.drop_modifiers.setdefault(line.index, []).append("TC")
        out.add_modifier(line.index, "26")
        out.act(line.index, Action.MODIFY)
        out.findings.append(
            Finding(
                "fluoro.modifier-26",
                Status.INFO,
                (line.index,),
                f"{reason} 26 is appended to {line.code} (line {line.index}). Modifier 26 "
                "never bypasses an NCCI edit.",
                evidence,
                CITATION,
            )
        )
