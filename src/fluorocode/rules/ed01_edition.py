"""ED01 edition.demo: say so whenever the built-in demo edition answered.

**Policy source:** design.md, Editions: the demo edition's rows are illustrative and it
is labelled demo in every report.

**Fails when:** never. Emits ``edition.demo`` (``info``) when the demo edition was used:
the report is illustrative, not billing advice.

**Passes when:** a real CMS edition answered (nothing is emitted).

**Bypass:** not applicable.

**Evidence emitted:** the edition block.
"""

from __future__ import annotations

from typing import ClassVar

from fluorocode.domain.findings import Finding, Status
from fluorocode.rules.base import Outcome, RuleContext


class DemoEditionRule:
    code: ClassVar[str] = "ED01"
    name: ClassVar[str] = "edition.demo"
    emits: ClassVar[tuple[str, ...]] = ("edition.demo",)

    def evaluate(self, ctx: RuleContext) -> Outcome:
        out = Outcome()
        if ctx.edits.info.demo:
            out.findings.append(
                Finding(
                    "edition.demo",
                    Status.INFO,
                    (),
                    "Checked against fluorocode's built-in demo edition: a few illustrative "
                    "rows, not a CMS quarter. This report is not billing advice; import the "
                    "real CMS files (fluorocode editions import).",
                    {"edition": dict(ctx.edition)},
                    "fluorocode demo edition",
                )
            )
        return out
