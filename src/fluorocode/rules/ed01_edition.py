"""ED01 edition.demo: say so whenever the built-in demo edition answered.

**Policy source:** design.md, Editions: the demo edition's rows are illustrative and it
is labelled demo in every report. docs/medicaid.md: the Medicaid NCCI publishes PTP and
MUE edits only, no add-on code edits and no fee schedule.

**Fails when:** never. Emits ``edition.demo`` (``info``) when the demo edition was used:
the report is illustrative, not billing advice. Emits ``edition.borrowed`` (``info``)
when a Medicaid edition answered with add-on code or fee schedule tables: those came
from Medicare's files, imported with it, and the report says so.

**Passes when:** a real CMS edition answered (nothing is emitted).

**Bypass:** not applicable.

**Evidence emitted:** the edition block without its sources (the report lists them once).
"""

from __future__ import annotations

from typing import ClassVar

from fluorocode.domain.codes import Program
from fluorocode.domain.edits import Table
from fluorocode.domain.findings import Finding, Status
from fluorocode.rules.base import Outcome, RuleContext


class DemoEditionRule:
    code: ClassVar[str] = "ED01"
    name: ClassVar[str] = "edition.demo"
    emits: ClassVar[tuple[str, ...]] = ("edition.demo", "edition.borrowed")

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
                    {
                        "edition": {
                            k: v for k, v in ctx.edition.items() if k != "sources"
                        }
                    },
                    "fluorocode demo edition",
                )
            )
        info = ctx.edits.info
        borrowed = [t for t in (Table.PFS,) if ctx.edits.has_table(t)]
        if info.program is Program.MEDICAID and borrowed:
            names = ", ".join(t.value for t in borrowed)
            files = [s.file for s in info.sources if s.table in borrowed]
            out.findings.append(
                Finding(
                    "edition.borrowed",
                    Status.INFO,
                    (),
                    f"This Medicaid edition's {names} table(s) come from Medicare's files "
                    f"({', '.join(files)}): Medicaid NCCI publishes no fee schedule. The "
                    "state's own Medicaid policy may differ.",
                    {
                        "borrowed": {
                            "tables": [t.value for t in borrowed],
                            "files": files,
                        }
                    },
                    "CMS Medicaid NCCI edit files (PTP and MUE only)",
                )
            )
        return out
