"""FL03 fluoro.guidance-code: needle guidance is 77001/77002/77003, not 76000.

**Policy source:** CPT guidance add-on codes: 77002 needle placement outside the spine,
77003 spinal/paraspinous injection, 77001 central venous access; none is reported with a
primary whose descriptor already includes imaging guidance (domain.md §0.5, §1.1, §1.2,
§8.6 [S4, S5]); their listed primaries come from the edition's AOC file.

**Fails when:**
- a 77001/77002/77003 line shares the claim with a primary that already includes
  imaging guidance (27096, 62320-62329, 64479-64495, 64633-64636, 22510-22515,
  20604/20606/20611, ...): remove the guidance line;
- a 76000 line shares the claim with a listed AOC primary of 77002 or 77003 and the
  provider has not confirmed a distinct indication: the guidance belongs to the add-on
  code. The line is held and 77002/77003 is suggested (never added silently).

**Passes when:** neither applies (nothing is emitted).

**Bypass:** for the 76000 case, a confirmed distinct indication (a separate study).

**Evidence emitted:** the primary, the guidance code, the AOC rows or policy source.
"""

from __future__ import annotations

from typing import ClassVar

from fluorocode.domain.findings import Action, Finding, Status, Suggestion
from fluorocode.rules.base import FLUORO, Outcome, RuleContext
from fluorocode.rules.policy import fluoro_policy

CITATION = "CPT guidance-code instructions; NCCI Policy Manual ch. IX; CMS AOC file"


class GuidanceCodeRule:
    code: ClassVar[str] = "FL03"
    name: ClassVar[str] = "fluoro.guidance-code"
    emits: ClassVar[tuple[str, ...]] = ("fluoro.guidance-code",)

    def evaluate(self, ctx: RuleContext) -> Outcome:
        out = Outcome()
        policy = fluoro_policy()
        guidance_lines = [ln for ln in ctx.lines if ln.code in policy.guidance]
        included = guidance_lines and [
            ln for ln in ctx.lines if ln.code in policy.imaging_included.members
        ]
        for line in guidance_lines:
            if included:
                host = included[0]
                out.act(line.index, Action.REMOVE)
                out.findings.append(
                    Finding(
                        "fluoro.guidance-code",
                        Status.FAIL,
                        (host.index, line.index),
                        f"{host.code} (line {host.index}) already includes imaging guidance, "
                        f"so {line.code} (line {line.index}) is not reported with it. "
                        f"Remove {line.code}.",
                        {
                            "primary": host.code,
                            "guidance": line.code,
                            "source": policy.imaging_included.source,
                        },
                        CITATION,
                    )
                )
        fluoro_lines = ctx.lines_with(FLUORO)
        if (
            not fluoro_lines
            or ctx.encounter.documentation.distinct_indication.confirmed is True
        ):
            return out
        dos = ctx.encounter.date_of_service
        codes = {ln.code: ln for ln in ctx.lines}
        replacing = [g for g in policy.guidance.values() if g.replaces_76000]
        for fluoro in fluoro_lines:
            for guidance in replacing:
                addon = guidance.code
                if addon in codes:
                    continue
                rows = [
                    a
                    for a in ctx.edits.aoc_with_primaries(addon, codes)
                    if a.in_force(dos)
                ]
                if not rows:
                    continue
                primary = codes[rows[0].primary]
                what = guidance.purpose
                out.act(fluoro.index, Action.HOLD)
                out.suggestions.append(
                    Suggestion(
                        addon,
                        "fluoro.guidance-code",
                        f"If fluoroscopy guided the {what} for {primary.code}, report {addon} "
                        f"instead of 76000 (line {fluoro.index}).",
                    )
                )
                out.findings.append(
                    Finding(
                        "fluoro.guidance-code",
                        Status.FAIL,
                        (primary.index, fluoro.index),
                        f"{primary.code} (line {primary.index}) is a listed primary of {addon} "
                        f"({what}). Fluoroscopic needle guidance is coded {addon}, not 76000: "
                        f"replace 76000 with {addon} unless the fluoroscopy was a separate "
                        "study with its own indication.",
                        {
                            "primary": primary.code,
                            "addon": addon,
                            "aoc": [
                                {
                                    "addon": a.addon,
                                    "primary": a.primary,
                                    "edit_type": a.edit_type,
                                }
                                for a in rows
                            ],
                        },
                        CITATION,
                    )
                )
                break
        return out
