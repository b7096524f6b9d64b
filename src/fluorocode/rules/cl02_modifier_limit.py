"""CL02 claim.modifier-limit: a claim line carries four modifiers at most.

**Policy source:** the CMS-1500 form (item 24D) and the X12 837P/837I (SV101-3 to
SV101-6, SV202-3 to SV202-6) have room for four modifiers per line. Runs last, after
every rule that adds a modifier (26, XE/XS/XP/XU).

**Fails when:** a line would go out with more than four modifiers (as submitted plus
what the rules added): hold it with a ``choose_modifiers`` prompt whose options are the
modifiers, so the provider or coder keeps the four the record supports (or splits the
line).

**Passes when:** every line has four modifiers or fewer (nothing is emitted).

**Bypass:** not applicable.

**Evidence emitted:** the line's modifiers in order.
"""

from __future__ import annotations

from typing import ClassVar

from fluorocode.domain.encounter_schema import MAX_MODIFIERS
from fluorocode.domain.findings import Action, Finding, Prompt, PromptKind, Status
from fluorocode.rules.base import Outcome, RuleContext

CITATION = "CMS-1500 item 24D; X12 837P SV101-3..6 and 837I SV202-3..6: four modifiers"


class ModifierLimitRule:
    code: ClassVar[str] = "CL02"
    name: ClassVar[str] = "claim.modifier-limit"
    emits: ClassVar[tuple[str, ...]] = ("claim.modifier-limit",)

    def evaluate(self, ctx: RuleContext) -> Outcome:
        out = Outcome()
        for line in ctx.live_lines():
            if len(line.modifiers) <= MAX_MODIFIERS:
                continue
            listed = ", ".join(line.modifiers)
            out.act(line.index, Action.HOLD)
            out.prompt(
                Prompt(
                    PromptKind.CHOOSE_MODIFIERS,
                    line.index,
                    f"Line {line.index} ({line.code}) would carry {len(line.modifiers)} "
                    f"modifiers ({listed}). Which four does the record support? Split "
                    "the line or drop the others.",
                    options=line.modifiers,
                )
            )
            out.findings.append(
                Finding(
                    "claim.modifier-limit",
                    Status.FAIL,
                    (line.index,),
                    f"Line {line.index} ({line.code}) would need {len(line.modifiers)} "
                    f"modifiers ({listed}); a claim line carries {MAX_MODIFIERS}.",
                    {"modifiers": list(line.modifiers)},
                    CITATION,
                )
            )
        return out
