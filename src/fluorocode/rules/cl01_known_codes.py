"""CL01 claim.code-unknown: every code and modifier on the claim is one CMS knows.

**Policy source:** the edition's own tables: a code is known when the PFS, either PTP
table (either column), an MUE table or the AOC file of the edition lists it; modifiers
are checked against the built-in CMS modifier list (``domain/modifiers.py``, with its
sources). A code nobody knows is a typo or an invented code, and a claim carrying one is
never ``clean``.

**Fails when:**
- a line's code is in none of the edition's tables (``claim.code-unknown``): hold the line
  with a ``confirm_code`` prompt (correct the code, or leave the line off);
- a line carries a modifier that is not on the CMS list (``claim.modifier-unknown``): hold
  it with a ``confirm_code`` prompt. Not a rejection: the list is compiled from public
  sources, so a gap in it costs a question, never a wrong claim.

**Passes when:** every code and modifier is known (nothing is emitted).

**Bypass:** not applicable.

**Evidence emitted:** the code or modifier, the tables the edition holds (for a code),
and the list's source (for a modifier). A code that an edition without any code table
cannot judge gives ``no_data``.
"""

from __future__ import annotations

from typing import ClassVar

from fluorocode.domain.findings import Action, Finding, Prompt, PromptKind, Status
from fluorocode.domain.modifiers import is_known_modifier
from fluorocode.rules.base import Outcome, RuleContext

CITATION = "CMS NCCI and PFS files of the edition; CMS HCPCS modifier list"
MODIFIER_SOURCE = (
    "built-in CMS modifier list: CPT Appendix A numbers, the CMS Alpha-Numeric HCPCS "
    "file's modifiers, ambulance origin/destination pairs (IOM 100-04 ch. 15)"
)


class KnownCodesRule:
    code: ClassVar[str] = "CL01"
    name: ClassVar[str] = "claim.code-unknown"
    emits: ClassVar[tuple[str, ...]] = ("claim.code-unknown", "claim.modifier-unknown")

    def evaluate(self, ctx: RuleContext) -> Outcome:
        out = Outcome()
        verdicts: dict[str, bool | None] = {}
        for line in ctx.lines:
            known = verdicts.get(line.code)
            if line.code not in verdicts:
                known = verdicts[line.code] = ctx.edits.code_known(line.code)
            if known is None:
                out.findings.append(
                    Finding(
                        "claim.code-unknown",
                        Status.NO_DATA,
                        (line.index,),
                        f"The edition holds no code table, so {line.code} "
                        f"(line {line.index}) could not be checked as a real code.",
                        {"code": line.code, "tables": sorted(ctx.edits.info.tables)},
                        CITATION,
                    )
                )
            elif not known:
                self._unknown_code(ctx, out, line.index, line.code)
            strange = [m for m in line.modifiers if not is_known_modifier(m)]
            if strange:
                self._unknown_modifiers(out, line.index, line.code, strange)
        return out

    @staticmethod
    def _unknown_code(ctx: RuleContext, out: Outcome, index: int, code: str) -> None:
        info = ctx.edits.info
        if info.demo:
            where = "the built-in demo edition"
            why = (
                ", which holds a few illustrative codes only: import a CMS quarter to "
                "check it"
            )
        else:
            where = f"the {info.program.value} {info.quarter} edition"
            why = " (PFS, PTP, MUE, AOC): a typo, or a code CMS does not recognise"
        out.act(index, Action.HOLD)
        out.prompt(
            Prompt(
                PromptKind.CONFIRM_CODE,
                index,
                f"{code} on line {index} is not a code {where} knows. Correct the code, "
                "or leave the line off the claim.",
                options=("correct", "remove"),
            )
        )
        out.findings.append(
            Finding(
                "claim.code-unknown",
                Status.FAIL,
                (index,),
                f"{code} (line {index}) is in none of the tables of {where}{why}.",
                {"code": code, "tables": sorted(info.tables)},
                CITATION,
            )
        )

    @staticmethod
    def _unknown_modifiers(
        out: Outcome, index: int, code: str, modifiers: list[str]
    ) -> None:
        listed = ", ".join(modifiers)
        out.act(index, Action.HOLD)
        out.prompt(
            Prompt(
                PromptKind.CONFIRM_CODE,
                index,
                f"Line {index} ({code}) carries {listed}, which is not on the CMS modifier "
                "list. Correct or drop it.",
                options=("correct", "remove"),
            )
        )
        out.findings.append(
            Finding(
                "claim.modifier-unknown",
                Status.FAIL,
                (index,),
                f"{listed} on line {index} ({code}) is not a modifier CMS lists.",
                {"modifiers": modifiers, "source": MODIFIER_SOURCE},
                CITATION,
            )
        )
