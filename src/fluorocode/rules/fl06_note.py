"""FL06 fluoro.note: never add 76000 silently; say what the note's fluoroscopy means.

**Policy source:** design.md step 9; the same bundling sources as NC01 and FL02.

**Fails when:** never; it informs and suggests. When the note shows fluoroscopy was used
and no 76000 (nor a guidance code) is on the claim:
- if an in-force PTP edit or an integral service would bundle it:
  ``fluoro.not-separately-billable`` (``info``): nothing to add;
- else, if the note documents a stand-alone fluoroscopic study with its own indication:
  ``fluoro.separately-billable-missing`` (``info``) with a suggested 76000 line and the
  documentation prompt for it (the suggested line's index follows the claim's lines).

**Passes when:** the note does not show fluoroscopy, or 76000 is billed (nothing).

**Bypass:** not applicable.

**Evidence emitted:** the note's text spans, and the edit row or family that bundles.
"""

from __future__ import annotations

from typing import Any, ClassVar

from fluorocode.domain.findings import Finding, Prompt, PromptKind, Status, Suggestion
from fluorocode.rules.base import FLUORO, Outcome, RuleContext, fluoro_family
from fluorocode.rules.fl04_documentation import describe, missing_items
from fluorocode.rules.policy import fluoro_policy

CITATION = "CMS NCCI PTP edits; CPT separate-procedure rule; NCCI Policy Manual ch. I"


class NoteRule:
    code: ClassVar[str] = "FL06"
    name: ClassVar[str] = "fluoro.note"
    emits: ClassVar[tuple[str, ...]] = (
        "fluoro.not-separately-billable",
        "fluoro.separately-billable-missing",
    )

    def evaluate(self, ctx: RuleContext) -> Outcome:
        out = Outcome()
        reading = ctx.encounter.note_reading
        if reading is None or reading.fluoroscopy_used is not True:
            return out
        family = fluoro_family()
        if any(line.code in family for line in ctx.lines):
            return out
        spans = reading.spans_for("fluoroscopy_used", "standalone", "indication")
        bundler = self._bundler(ctx)
        if bundler is not None:
            code, why, extra = bundler
            out.findings.append(
                Finding(
                    "fluoro.not-separately-billable",
                    Status.INFO,
                    (),
                    f"The note shows fluoroscopy was used; it is not separately billable "
                    f"with {code} ({why}). Nothing to add.",
                    {"note": spans, **extra},
                    CITATION,
                )
            )
            return out
        if reading.standalone is not True:
            return out
        index = len(ctx.lines)
        missing = missing_items(ctx.encounter.documentation, ctx.encounter.claim_type)
        out.suggestions.append(
            Suggestion(
                FLUORO,
                "fluoro.separately-billable-missing",
                "The note documents a stand-alone fluoroscopic study with its own indication; "
                "76000 may be added once its documentation is complete.",
            )
        )
        if missing:
            out.prompt(
                Prompt(
                    PromptKind.FLUOROSCOPY_DOCUMENTATION,
                    index,
                    "To add 76000 for the stand-alone fluoroscopy, document "
                    + describe(missing)
                    + ".",
                    missing=tuple(missing),
                )
            )
        out.findings.append(
            Finding(
                "fluoro.separately-billable-missing",
                Status.INFO,
                (),
                "The note documents a stand-alone fluoroscopic study with its own indication "
                "and no edit bundles it, but 76000 is not on the claim. Consider adding it "
                "(suggested, never added automatically).",
                {"note": spans},
                CITATION,
            )
        )
        return out

    @staticmethod
    def _bundler(ctx: RuleContext) -> tuple[str, str, dict[str, Any]] | None:
        codes = {line.code for line in ctx.lines}
        for edit in ctx.ptp_in_force:
            if edit.column2 == FLUORO and edit.column1 in codes:
                return (
                    edit.column1,
                    "an NCCI PTP edit makes 76000 its column 2",
                    {"edit": edit.evidence()},
                )
        policy = fluoro_policy()
        for line in ctx.lines:
            family = policy.integral_family(line.code)
            if family is not None:
                return (
                    line.code,
                    f"fluoroscopy is part of {family.name}",
                    {"family": family.name, "family_source": family.source},
                )
        return None
